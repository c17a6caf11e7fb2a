"""YouTube-VOS 2018 and 2019 (semi-supervised VOS with objects that enter late).

Layout (official): ``<root>/<split>/JPEGImages/<seq>/<frame>.jpg`` (every 5th frame of a 30 fps
video), ``<root>/<split>/Annotations/<seq>/<frame>.png`` (palette, value = object id) and
``<root>/<split>/meta.json`` (``{"videos": {seq: {"objects": {id: {"category", "frames"}}}}}``, the
first entry of ``frames`` is the object's first appearance). On ``train`` every sampled frame is
annotated; on ``valid``/``test`` only each object's first-appearance frame is. The variant
``all_frames`` propagates through ``<root>/<split>_all_frames/JPEGImages/<seq>/`` (every frame)
while the output and the scores stay on the sampled frames.

Each object enters at its first annotated frame: the head receives frame 0's objects as the usual
mask and the others as late first appearances (``MaskInit.later``), and never predicts an object
before it appears. Results: ``<out>/<seq>/<frame>.png`` for exactly the sampled frames (the server's
``Annotations/<seq>/<frame>.png``), zipped by ``unibench package --benchmark youtubevos-2019``.

Local scoring (where ground truth exists: a held-out part of ``train``, the common practice): per
object, region J and boundary F (the DAVIS definitions of :mod:`vos_metrics`) averaged over the
sampled frames after its first appearance (the first-appearance frame, given, is not scored); an
object is *seen* when its category is among the training categories — the categories of
``<root>/train/meta.json`` (the official 65 of YouTube-VOS 2018/2019) unless
``--option seen_categories=a,b,…`` names them — and *unseen* otherwise. Summary as the server:
``J-seen``, ``F-seen``, ``J-unseen``, ``F-unseen`` (means over the objects of each group) and
``Overall`` = their mean; a group without objects is NaN and left out of the overall (said in the
protocol line).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from unibench.benchmarks.base import (
    SplitFolder,
    check_produced,
    clip_meta,
    frame_clip,
    iter_progress,
    parse_options,
    register_benchmark,
    unreadable,
)
from unibench.benchmarks.data.folders import DataLayout, Obtain, Variant
from unibench.benchmarks.formats.jsonfiles import read_videos
from unibench.benchmarks.formats.palette import read_label_map, write_palette_png
from unibench.benchmarks.scorers import vos as vos_metrics

from unibench.datatypes import (
    FirstAppearance,
    FrameView,
    MaskInit,
    MetricTable,
    SequenceView,
    VideoSequence,
    VOSFramePrediction,
)
from unibench.errors import DataError
from unibench.io import (
    atomic_zip,
    check_numbered,
    image_size,
    list_dirs,
    list_files,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class YTVOSOptions:
    all_frames: bool = False  # propagate through <split>_all_frames/JPEGImages
    seen_categories: str | None = None  # comma-separated; default: train/meta.json's categories


class YouTubeVOS(SplitFolder):
    toolkit = "the YouTube-VOS evaluation server (valid: unibench package); on annotated splits the DAVIS J&F, seen and unseen"
    checked_by = (
        "tests/benchmarks/test_youtubevos.py::test_scoring_seen_unseen_and_overall_by_hand",
    )
    Options = YTVOSOptions
    tasks = ("vos",)

    def __init__(self, root, split="valid", sequences=None, name="youtubevos-2019", options=None):
        self.root = Path(root)
        self.split = split
        self.name = name
        # its own options, also under Ref-YouTube-VOS (whose Options are the referring ones)
        self.options = parse_options(YTVOSOptions, options)
        self.dir = self.split_folder(self.root, "<root>/<split>/JPEGImages")
        self.images = self.dir / "JPEGImages"
        self.annotations = self.dir / "Annotations"
        self.meta_path = self.dir / "meta.json"
        self.meta = self._read_meta(self.meta_path)
        on_disk = list_dirs(self.images)
        if not on_disk:
            raise DataError(f"{self.images}: no video folders")
        missing = sorted(set(self.meta) - set(on_disk))
        extra = sorted(set(on_disk) - set(self.meta))
        if missing or extra:
            raise DataError(
                f"{self.meta_path} and {self.images} disagree: "
                + (f"in meta.json only: {', '.join(missing[:5])}; " if missing else "")
                + (f"on disk only: {', '.join(extra[:5])}" if extra else "")
            )
        unknown = [n for n in sequences or () if n not in self.meta]
        if unknown:
            raise DataError(f"{self.name}: no video {', '.join(unknown)} in {self.meta_path}")
        self.select_sequences(sequences, self.images, "video folders")

    def discover_sequences(self) -> list[str]:
        return list_dirs(self.images)

    @staticmethod
    def _read_meta(path: Path) -> dict[str, dict[int, dict]]:
        def video(seq: str, v: dict) -> dict[int, dict]:
            objs = {}
            for oid, o in v["objects"].items():
                frames = [str(f) for f in o["frames"]]
                if not frames:
                    raise DataError(f"{path}: {seq} object {oid} lists no frames")
                objs[int(oid)] = {"category": o.get("category"), "frames": frames}
            return objs

        shape = "{'videos': {seq: {'objects': {id: {'category', 'frames'}}}}}"
        return read_videos(path, "YouTube-VOS meta.json", video, shape)

    # ------------------------------------------------------------------ frames and objects
    def sampled_frames(self, name: str) -> list[Path]:
        d = self.images / name
        frames = list_files(d, "*.jpg")  # every 5th frame: gaps are the layout, not an error
        if not frames:
            raise DataError(f"{d}: no .jpg frames")
        bad = [f.name for f in frames if not f.stem.isdigit()]
        if bad:
            raise DataError(
                f"{d}: frame {bad[0]} is not numbered (expected 00000.jpg, 00005.jpg, …)"
            )
        return sorted(frames, key=lambda f: int(f.stem))

    def clip_frames(self, name: str) -> list[Path]:
        if not self.options.all_frames:
            return self.sampled_frames(name)
        d = self.root / f"{self.split}_all_frames" / "JPEGImages" / name
        frames = check_numbered(list_files(d, "*.jpg"))
        if not frames:
            raise DataError(f"{d}: no .jpg frames (option all_frames reads <split>_all_frames)")
        have = {f.stem for f in frames}
        lost = [f.stem for f in self.sampled_frames(name) if f.stem not in have]
        if lost:
            raise DataError(f"{d}: the sampled frame {lost[0]} of {self.images / name} is missing")
        return frames

    def first_appearances(self, name: str, stems: list[str]) -> dict[int, int]:
        """Object id → index (in ``stems``) of its first appearance, checked against meta.json."""
        out = {}
        for oid, o in self.meta[name].items():
            f = o["frames"][0]
            if f not in stems:
                raise DataError(
                    f"{self.meta_path}: {name} object {oid} first appears in frame {f}, which is "
                    f"not a frame of {self.images / name}"
                )
            out[oid] = stems.index(f)
        return out

    def load_sequence(self, name: str) -> VideoSequence:
        frames = self.clip_frames(name)
        stems = [f.stem for f in frames]
        size = image_size(frames[0])
        first = self.first_appearances(name, stems)
        objects = tuple(sorted(first))
        if any(o > 255 for o in objects):
            raise DataError(f"{self.meta_path}: {name}: object ids above 255 do not fit a PNG")
        masks: dict[int, np.ndarray] = {}
        for oid, t in first.items():
            if t not in masks:
                f = self.annotations / name / f"{stems[t]}.png"
                m = read_label_map(f)
                if m.shape != size:
                    raise DataError(f"{f}: mask size {m.shape}, frame size {size}")
                masks[t] = m
            if not (masks[t] == oid).any():
                raise DataError(
                    f"{self.annotations / name / (stems[t] + '.png')}: object {oid} is not in the "
                    f"mask of its first frame (meta.json says it appears there)"
                )
        mask0 = np.zeros(size, np.uint8)
        if 0 in masks:
            keep = [o for o, t in first.items() if t == 0]
            mask0 = np.where(np.isin(masks[0], keep), masks[0], 0).astype(np.uint8)
        later = tuple(
            FirstAppearance(t, oid, masks[t] == oid) for oid, t in sorted(first.items()) if t > 0
        )
        paths = tuple(frames)
        clip = frame_clip(frames, size)
        return VideoSequence(
            name,
            clip,
            MaskInit(mask0, objects, later),
            {
                "expected_frames": [f.stem for f in self.sampled_frames(name)],
                **clip_meta(self.name, name, frames=paths),
            },
        )

    def decode_all(self, name: str) -> list[str]:
        """Every frame, then every annotation PNG of the sequence (``--deep``)."""
        masks = list_files(self.annotations / name, "*.png")
        return super().decode_all(name) + unreadable(masks, read_label_map)

    # ------------------------------------------------------------------ results
    def view(self, pred_dir: Path, name: str) -> SequenceView:
        """The run's PNGs of the sampled frames over them, the annotation beside each frame that
        has one (every sampled frame of train; the first appearances of valid), J per annotated
        frame over the objects it holds."""
        views = []
        sampled = self.sampled_frames(name)
        for f in sampled:
            p = Path(pred_dir) / name / f"{f.stem}.png"
            if not p.is_file():
                raise DataError(f"missing prediction {p}: expected one PNG per sampled frame")
            pred = read_label_map(p)
            a = self.annotations / name / f"{f.stem}.png"
            gt = read_label_map(a) if a.is_file() else None
            ids = [int(k) for k in np.unique(gt) if k] if gt is not None else []
            j = (
                float(np.mean([vos_metrics.jaccard(gt == k, pred == k) for k in ids]))
                if ids
                else None
            )
            views.append(FrameView(labels=pred, gt_labels=gt, score=j))
        scored = [v.score for v in views[1:] if v.score is not None]
        return SequenceView(
            name, tuple(views), "J", float(np.mean(scored)) if scored else None,
            frame_names=tuple(f.stem for f in sampled),
        )  # fmt: skip

    def write_predictions(
        self, seq: VideoSequence, preds: Iterable[VOSFramePrediction], out_dir: Path
    ) -> int:
        expected = set(seq.meta.get("expected_frames") or seq.clip.frame_names)
        n = 0
        for p in preds:
            stem = seq.clip.frame_names[p.index]
            if stem in expected:
                write_palette_png(Path(out_dir) / f"{stem}.png", p.labels)
            n += 1
        check_produced(seq.name, n, len(seq.clip))
        return n

    def result_files(self, name: str) -> list[str]:
        """The result files of a video the server expects, relative to the predictions folder."""
        return [f"{name}/{f.stem}.png" for f in self.sampled_frames(name)]

    def package(self, pred_dir: Path, out_zip: Path) -> Path:
        """``Annotations/<seq>/<frame>.png`` for every sampled frame of every video (the server's
        layout); a missing frame is an error and nothing is written."""
        pred_dir = Path(pred_dir)
        files = []
        for name in self._names:
            for rel in self.result_files(name):
                p = pred_dir / rel
                if not p.is_file():
                    raise DataError(f"missing result {p}: the server expects every sampled frame")
                files.append((p, f"Annotations/{rel}"))
        with atomic_zip(Path(out_zip), pred_dir) as add:
            for p, entry in files:
                add(p, entry)
        return Path(out_zip)

    # ------------------------------------------------------------------ scoring
    def seen_categories(self) -> set[str]:
        if self.options.seen_categories:
            return {c.strip() for c in self.options.seen_categories.split(",") if c.strip()}
        train = self.root / "train" / "meta.json"
        if not train.is_file():
            raise DataError(
                f"seen/unseen needs the training categories: {train} is missing; pass "
                "--option seen_categories=a,b,… (YouTube-VOS' 65 training categories)"
            )
        return {o["category"] for objs in self._read_meta(train).values() for o in objs.values()}

    def evaluate(self, pred_dir: Path, sequences=None, progress: bool = False) -> MetricTable:
        pred_dir = Path(pred_dir)
        seen = self.seen_categories()
        rows = []
        for name in iter_progress(list(sequences or self._names), "evaluate", progress):
            stems = [f.stem for f in self.sampled_frames(name)]
            first = self.first_appearances(name, stems)
            gt_files = [self.annotations / name / f"{s}.png" for s in stems]
            missing = [f for f in gt_files if not f.is_file()]
            if missing:
                raise DataError(
                    f"{name}: no ground truth {missing[0]} ({len(missing)} sampled frames "
                    f"unannotated): local scoring needs a fully annotated split (e.g. held-out "
                    f"train); package {self.split!r} results for the server instead"
                )
            gts, preds = [], []
            for s, g in zip(stems, gt_files, strict=True):
                p = pred_dir / name / f"{s}.png"
                if not p.is_file():
                    raise DataError(f"missing prediction {p}: expected one PNG per sampled frame")
                gm, pm = read_label_map(g), read_label_map(p)
                if gm.shape != pm.shape:
                    raise DataError(f"{p}: size {pm.shape} != ground truth {gm.shape}")
                gts.append(gm)
                preds.append(pm)
            for oid, t0 in sorted(first.items()):
                frames = range(t0 + 1, len(stems))
                j = [vos_metrics.jaccard(gts[t] == oid, preds[t] == oid) for t in frames]
                f = [vos_metrics.f_measure(gts[t] == oid, preds[t] == oid) for t in frames]
                cat = self.meta[name][oid]["category"]
                rows.append(
                    {
                        "sequence": name,
                        "object": oid,
                        "category": cat,
                        "seen": cat in seen,
                        "J-Mean": float(np.mean(j)) if j else float("nan"),
                        "F-Mean": float(np.mean(f)) if f else float("nan"),
                        "first frame": stems[t0],
                        "frames": len(j),
                    }
                )
        summary = ytvos_summary(rows)
        return MetricTable(
            ["sequence", "object", "category", "seen", "J-Mean", "F-Mean", "first frame", "frames"]
            + ["Overall", "J-seen", "F-seen", "J-unseen", "F-unseen"],
            rows,
            summary,
            protocol="YouTube-VOS: per object J and F (DAVIS definitions) over the sampled frames "
            "after its first appearance; J/F seen and unseen (training categories), Overall = "
            "mean of the defined ones of the four",
        )


def ytvos_summary(rows: list[dict]) -> dict[str, float]:
    """The server's summary: J and F over the objects of seen and of unseen categories, and
    Overall, the mean of the four (a group without objects is NaN and left out)."""
    out = {}
    for group, flag in (("seen", True), ("unseen", False)):
        objs = [r for r in rows if r["seen"] == flag and not np.isnan(r["J-Mean"])]
        for k in ("J", "F"):
            vals = [r[f"{k}-Mean"] for r in objs]
            out[f"{k}-{group}"] = float(np.mean(vals)) if vals else float("nan")
    vals = [v for v in out.values() if not np.isnan(v)]
    out["Overall"] = float(np.mean(vals)) if vals else float("nan")
    out["objects"] = float(len(rows))
    return out


def _factory(year: int):
    def make(data_root, split, sequences, options=None):
        return YouTubeVOS(data_root, split or "valid", sequences, f"youtubevos-{year}", options)

    return make


def _ytvos_data(year: int) -> DataLayout:
    return DataLayout(
        tree="""\
YouTube-VOS/
├── valid/ (JPEGImages/<seq>/00000.jpg …, Annotations/<seq>/00000.png (first appearances), meta.json)
├── valid_all_frames/JPEGImages/<seq>/…   (optional: every frame, for the all_frames variant)
└── train/ (JPEGImages/, Annotations/, meta.json)""",
        variants=(
            Variant(
                "official",
                ("*/JPEGImages/*", "*/Annotations/*", "*/meta.json"),
                "split folders with JPEGImages/, Annotations/ and meta.json",
            ),
            Variant(
                "no-meta",
                ("*/JPEGImages/*", "*/Annotations/*"),
                "split folders without meta.json: download the split's archive again",
            ),
        ),
        obtain=Obtain(
            page=f"https://youtube-vos.org/dataset/{'vos' if year == 2019 else ''}",
            gate="registration (CodaLab)",
            steps=(
                f"register on the YouTube-VOS {year} CodaLab competition, then download valid.zip "
                "(and valid_all_frames.zip for the all-frames variant) from the links it gives",
                "unpack them into DIR (DIR/valid/, DIR/valid_all_frames/)",
            ),
        ),
        unlisted=f"no citable list of YouTube-VOS {year}'s valid or train videos was found (the "
        "lists ship in the registration-gated meta.json); data check compares no sequence list",
        family="vos",
        optional=(
            ("{split}_all_frames/JPEGImages/*", "every frame: the all_frames variant needs it"),
        ),
    )


for _year in (2018, 2019):
    register_benchmark(
        f"youtubevos-{_year}", _factory(_year), YouTubeVOS, data=_ytvos_data(_year),
        root="the folder holding valid/ (and train/)",
    )  # fmt: skip
