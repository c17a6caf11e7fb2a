"""``unibench show``: see what a run predicted, drawn over the benchmark's frames.

A run folder (as ``run`` prints it: ``config.yaml``, ``metrics.json``, ``predictions/``) is read
back through its benchmark's own reader (:meth:`~unibench.benchmarks.base.BenchmarkBase.view`): no
model is built, nothing is downloaded. Each frame shows the prediction (masks as a palette overlay
with contours and the ground truth beside them; boxes with the ground truth thin; tracks in one
colour per identity with short trails; skeletons), a banner (model, tap, head, benchmark, sequence,
frame, the sequence's score, the frame's events: failures, re-initialisations, absent targets,
identity switches) and a strip of per-frame scores. ``--compare`` puts other runs of the same
benchmark, split and sequence beside it, frame by frame; ``--worst K`` picks the K sequences the
run scores lowest (with ``--compare``: where it falls furthest behind the second run).

Bad input is one line and exit 2, nothing written: a folder that is not a run, a run without
stored predictions, a sequence not in the run, a frame missing from the data root, an existing
output (``--overwrite`` replaces only that file).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from unibench.benchmarks.base import build_benchmark
from unibench.config import load_yaml
from unibench.datatypes import SequenceView
from unibench.errors import ConfigError, DataError, UniBenchError
from unibench.io import read_json
from unibench.metrics import metric_meta
from unibench.reports import draw, figures
from unibench.reports.video import (
    DEFAULT_CRF,
    IMAGE_FORMATS,
    VIDEO_SUFFIXES,
    require_av,
    write_image,
    write_video,
)
from unibench.tasks import TASKS

TRAIL = 12  # frames of a track's recent centres drawn behind it


@dataclass
class Run:
    """A run folder read back: its resolved configuration, identity and per-sequence scores."""

    folder: Path
    config: dict[str, Any]
    identity: dict[str, Any]
    rows: list[dict]
    bench: Any = None

    @property
    def task(self) -> str:
        return self.config["task"]

    @property
    def benchmark(self) -> str:
        return self.config["benchmark"]["name"]

    @property
    def split(self) -> str:
        return self.bench.split

    @property
    def label(self) -> str:
        m = self.config["model"]
        prec = "" if m.get("precision", "fp32") == "fp32" else f" ({m['precision']})"
        return f"{m['name']}{prec} [{self.identity.get('tap', m.get('tap'))}] · {self.config['head']['name']}"

    @property
    def predictions(self) -> Path:
        return self.folder / "predictions"

    @property
    def metric(self) -> str:
        """The sequence score ``--worst`` ranks by: the task's first leaderboard figure."""
        return TASKS.get(self.task).leaderboard[0]

    def sequence_score(self, name: str) -> float | None:
        vals = [r[self.metric] for r in self.rows if r.get("sequence") == name and self.metric in r]
        vals = [float(v) for v in vals if isinstance(v, int | float) and math.isfinite(v)]
        return float(np.mean(vals)) if vals else None


def read_run(folder: Path | str, data_root: str | None = None) -> Run:
    """A run folder, checked; its benchmark built as the run built it (``data_root`` replaces
    the recorded one: the data moved)."""
    folder = Path(folder)
    cfg_file = folder / "config.yaml"
    if not folder.is_dir() or not cfg_file.is_file():
        raise DataError(
            f"{folder}: not a run folder (expected config.yaml and predictions/, as "
            "'unibench run' prints the folder of each cell)"
        )
    raw = load_yaml(cfg_file)
    if not isinstance(raw, dict) or "config" not in raw or "identity" not in raw:
        raise DataError(f"{cfg_file}: not a run's configuration (no config and identity)")
    if not (folder / "predictions").is_dir():
        raise DataError(f"{folder}: the run stored no predictions (no predictions/ folder)")
    metrics = folder / "metrics.json"
    rows = read_json(metrics, "the run's scores").get("rows", []) if metrics.is_file() else []
    run = Run(folder, raw["config"], raw["identity"], rows)
    b = run.config["benchmark"]
    root = data_root or b.get("data_root")
    run.bench = build_benchmark(
        b["name"], root, b.get("split"), None, b.get("detections"), b.get("options") or None,
        b.get("frames"), bool(b.get("truncate")),
    )  # fmt: skip
    return run


def _check_same(runs: list[Run], name: str) -> None:
    first = runs[0]
    for r in runs[1:]:
        differ = [
            what
            for what, a, b in (
                ("benchmark", first.benchmark, r.benchmark),
                ("split", first.split, r.split),
            )
            if a != b
        ]
        if differ:
            raise ConfigError(
                f"--compare: {r.folder} differs from {first.folder} in "
                + ", ".join(f"{w} ({getattr(r, w)} vs {getattr(first, w)})" for w in differ)
                + "; runs shown side by side share benchmark, split and sequence"
            )
        if name not in r.identity.get("sequences", []):
            raise ConfigError(f"--compare: {r.folder} did not run sequence {name!r}")


def _has_predictions(run: Run, name: str) -> None:
    if name not in run.identity.get("sequences", []):
        known = ", ".join(run.identity.get("sequences", [])[:8])
        raise ConfigError(f"{run.folder}: sequence {name!r} is not in the run (it ran: {known}…)")
    if not run.bench.result_path(run.predictions, name).exists():
        raise DataError(
            f"{run.folder}: no stored predictions of {name!r} "
            f"({run.bench.result_path(run.predictions, name)})"
        )


def _fmt(run: Run, name: str) -> str:
    s = run.sequence_score(name)
    if s is None:
        return "–"
    unit = metric_meta(run.metric).unit
    return f"{run.metric} {100 * s:.1f}" if unit == "percent" else f"{run.metric} {s:.3g}"


def frames_of(runs: list[Run], name: str):
    """The drawn frames of sequence ``name``: each run's view side by side, banner and strip."""
    seq = runs[0].bench.load_sequence(name)
    runs[0].bench.check_sequence(name)  # a missing frame is named before anything is written
    views: list[SequenceView] = [r.bench.view(r.predictions, name) for r in runs]
    n = len(views[0].frames)
    names = list(seq.clip.frame_names)
    index = (
        list(range(n))
        if len(names) == n
        else [names.index(s) for s in views[0].frame_names]
        if views[0].frame_names
        else list(range(n))
    )
    trails: list[dict[int, list]] = [{} for _ in runs]
    for t in range(n):
        img = seq.clip.frame(index[t])
        panels = []
        for k, (run, view) in enumerate(zip(runs, views, strict=True)):
            fv = view.frames[t]
            if view.trail:
                for o in fv.objects:
                    if o.box is not None:
                        cx, cy = o.box[0] + o.box[2] / 2, o.box[1] + o.box[3] / 2
                        trails[k].setdefault(o.ident, []).append((cx, cy))
                        trails[k][o.ident] = trails[k][o.ident][-TRAIL:]
                live = {o.ident for o in fv.objects}
                for ident in [i for i in trails[k] if i not in live]:
                    trails[k].pop(ident)
            drawn = draw.render_frame(img, fv, view, trails[k] if view.trail else None,
                                      gt_beside=k == len(runs) - 1)  # fmt: skip
            score = "" if fv.score is None else f" · {view.score_name} {fv.score:.2f}"
            lines = [f"{run.label}", f"{name} · frame {t + 1}/{n} · {_fmt(run, name)}{score}"]
            drawn = draw.banner(drawn, lines)
            if fv.events:
                drawn = draw.banner(drawn, [" · ".join(fv.events)], alert=True, bottom=True)
            strip = draw.score_strip([f.score for f in view.frames], t, drawn.shape[1],
                                     events=[bool(f.events) for f in view.frames])  # fmt: skip
            panels.append(draw.vstack([drawn, strip]))
        yield draw.hstack(panels, gap=6) if len(panels) > 1 else panels[0]


def _target(out: Path, overwrite: bool) -> Path:
    if out.exists() and not overwrite:
        raise ConfigError(f"{out} exists: pass --overwrite to replace it (only that file)")
    if out.exists() and not out.is_file():
        raise ConfigError(f"{out} is not a file: not replaced")
    return out


def render(runs: list[Run], name: str, out: Path, sheet: Path | None, every: int | None,
           fps: float, tile: int | None = None, crf: int = DEFAULT_CRF) -> list[Path]:  # fmt: skip
    """Write sequence ``name`` of ``runs`` as a video (by ``out``'s suffix) and a contact sheet
    (tiles ``tile`` pixels wide; default: about 200 px high); returns the files written."""
    written = []
    tiles: list[np.ndarray] = []
    captions: list[str] = []
    n_hint = len(runs[0].bench.load_sequence(name).clip)
    k = every or max(1, math.ceil(n_hint / 12))

    def frames():
        for t, f in enumerate(frames_of(runs, name)):
            if sheet is not None and t % k == 0:
                tiles.append(f)
                captions.append(f"frame {t + 1}")
            yield f

    if out is not None:
        written.append(write_video(out, frames(), fps, crf))
    else:
        for _ in frames():
            pass
    if sheet is not None:  # frame 0 is always a tile
        # tiles about 200 px high whatever the number of panels side by side, as many columns
        # (at most 4) as fit a sheet about 1800 px wide: a comparison stays readable
        h0, w0 = tiles[0].shape[:2]
        width = tile or min(w0, max(160, round(w0 * 200 / h0)))
        columns = max(1, min(4, round(1800 / width)))
        written.append(write_image(sheet, draw.contact_sheet(tiles, captions, columns, width)))
    return written


def worst(runs: list[Run], k: int) -> list[str]:
    """The ``k`` sequences the first run scores lowest by its task's first leaderboard figure
    (direction included); with a second run, where the first falls furthest behind it."""
    run = runs[0]
    higher = metric_meta(run.metric).higher_is_better
    names = [n for n in run.identity.get("sequences", []) if run.sequence_score(n) is not None]
    if not names:
        raise DataError(f"{run.folder}: metrics.json holds no per-sequence {run.metric}")

    def key(n: str) -> float:
        s = run.sequence_score(n)
        if len(runs) > 1 and (o := runs[1].sequence_score(n)) is not None:
            s = s - o
        return s if higher else -s

    return sorted(names, key=key)[:k]


def report_clips(records: list, out: Path, k: int = 3, fps: float = 12.0,
                 data_root: str | None = None) -> tuple[list[Path], list[str]]:  # fmt: skip
    """``report --videos``: the ``k`` worst sequences of each record's run rendered into the
    report folder (``videos/<run id>/<sequence>.mp4`` and ``.png``, with the index the page
    reads); a run already rendered is kept (its id changes with its numbers). Returns the files
    written and a note per run that could not be drawn (no run folder, no predictions, frames
    absent), naming why; nothing is skipped silently."""
    written: list[Path] = []
    notes: list[str] = []
    require_av()  # the one video format every browser plays: said before any work
    for r in records:
        if figures.read_clips(out, [r]):
            continue
        if not r.predictions:
            notes.append(f"run {r.run_id}: stored no predictions; no video")
            continue
        try:
            run = read_run(Path(r.predictions).parent, data_root)
            ran = run.identity.get("sequences", [])
            if any(run.sequence_score(n) is not None for n in ran):
                names = worst([run], k)
            else:  # VIS' AP is defined over the split only
                names = ran[:k]
                notes.append(f"run {r.run_id} ({r.model_name}, {r.benchmark_label}): no "
                             f"per-sequence {run.metric}: its first {len(names)} sequence(s) "
                             "drawn instead of its worst")  # fmt: skip
            clips = []
            folder = figures.clips_folder(out, r.run_id)
            for name in names:
                _has_predictions(run, name)
                stem = figures.safe_file(name)
                video, sheet = folder / f"{stem}.mp4", folder / f"{stem}.jpg"
                written += render([run], name, video, sheet, None, fps, tile=200)
                clips.append(figures.SequenceClips(name, sheet, video, _fmt(run, name)))
            written.append(figures.write_clips_index(out, r.run_id, clips))
        except UniBenchError as exc:
            notes.append(f"run {r.run_id} ({r.model_name}, {r.benchmark_label}): no video: {exc}")
    return written, notes


def add_parser(sub) -> None:
    p = sub.add_parser(
        "show",
        help="draw a run's predictions over the frames: a video (.mp4/.webp/.gif), a contact sheet, "
        "other runs side by side",
    )
    p.add_argument("run", type=Path, help="a run folder, as 'unibench run' prints it")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--sequence", help="the sequence to draw")
    which.add_argument("--worst", type=int, metavar="K",
                       help="the K sequences the run scores lowest (one file each)")  # fmt: skip
    p.add_argument("--out", type=Path, help="the video (.mp4, .webp, .gif); with --worst: a folder")
    p.add_argument("--format", default="mp4", choices=[s[1:] for s in VIDEO_SUFFIXES],
                   help="with --worst: the videos' format")  # fmt: skip
    p.add_argument("--sheet", nargs="?", const=True, default=None, metavar="IMAGE",
                   help="also a contact sheet (every k-th frame, labelled; .png, .jpg or "
                        ".webp); with --worst: a flag")  # fmt: skip
    p.add_argument("--every", type=int, help="the contact sheet's step (default: 12 tiles)")
    p.add_argument("--compare", nargs="+", type=Path, default=[], metavar="RUN",
                   help="other runs of the same benchmark, split and sequence, side by side")  # fmt: skip
    p.add_argument("--data-root", help="the benchmark's folder (default: the one the run used)")
    p.add_argument("--fps", type=float, default=12.0)
    p.add_argument("--crf", type=int, default=DEFAULT_CRF, metavar="0-51",
                   help=f"H.264 quality of an .mp4: lower is better and larger (default "
                        f"{DEFAULT_CRF}: about 5 MB per 480p minute)")  # fmt: skip
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")


def run(a: argparse.Namespace) -> int:
    if a.out is None and a.sheet is None:
        raise ConfigError("nothing to write: give --out FILE (a video) and/or --sheet PNG")
    if not 0 <= a.crf <= 51:
        raise ConfigError(f"--crf {a.crf}: expected H.264's range 0 to 51 (lower: better, larger)")
    runs = [read_run(a.run, a.data_root)] + [read_run(r, a.data_root) for r in a.compare]
    if a.worst is not None:
        if a.worst < 1:
            raise ConfigError("--worst K: K must be >= 1")
        if a.out is None or a.out.suffix:
            raise ConfigError("--worst writes one file per sequence: --out names a folder")
        names = worst(runs, a.worst)
        targets = [(n, a.out / f"{n}.{a.format}", a.out / f"{n}.png" if a.sheet else None)
                   for n in names]  # fmt: skip
    else:
        if a.out is not None and a.out.suffix.lower() not in VIDEO_SUFFIXES:
            raise ConfigError(
                f"--out {a.out}: expected a file ending in {', '.join(VIDEO_SUFFIXES)}"
            )
        if a.sheet is True:
            raise ConfigError("--sheet: name the image to write (.png, .jpg or .webp)")
        sheet = Path(a.sheet) if a.sheet else None
        if sheet is not None and sheet.suffix.lower() not in IMAGE_FORMATS:
            raise ConfigError(
                f"--sheet {sheet}: expected a file ending in {', '.join(IMAGE_FORMATS)}"
            )
        targets = [(a.sequence, a.out, sheet)]
    for name, out, sheet in targets:  # every check before anything is written
        for r in runs:
            _has_predictions(r, name)
        _check_same(runs, name)
        for f in (out, sheet):
            if f is not None:
                _target(f, a.overwrite)
    written = []
    for name, out, sheet in targets:
        written += render(runs, name, out, sheet, a.every, a.fps, crf=a.crf)
    for f in written:
        print(f"wrote {f}")
    return 0
