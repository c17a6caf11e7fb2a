"""VOT short-term sequences used as OPE data: ``<root>/<seq>/`` with frames in ``color/``,
``imgs/`` or the sequence folder itself, ``groundtruth.txt`` with rectangles or 8-value polygons
(converted to axis-aligned boxes, ``polygon`` = ``bounds`` (default, the VOT toolkit's bounding
rectangle) or ``area`` (SiamFC's area-preserving box)), an optional ``list.txt`` at the root, and an
optional ``*_frames.txt`` holding ``first,last`` (the SiamFC demo's frame range).

Results use the VOT toolkit's trajectory layout of its one-pass ("unsupervised") experiment:
``<out>/<seq>/<seq>_001.txt`` with ``1`` on the initialisation frame and one ``x,y,w,h`` region per
later frame, and ``<seq>_time.txt``; polygon regions in a result file are read too; the sequences
are scored like OTB (OPE on the converted boxes).

The challenges' own experiments (reset-based and anchor-based EAO, accuracy and robustness; the
long-term Pr / Re / F) are :class:`VOTChallenge` (``vot2016`` … ``vot2022``, ``vot20xx-lt``), scored
by :mod:`unibench.benchmarks.scorers.vot`; the runner re-initialises the head
(:mod:`unibench.app.pipeline.experiments`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from unibench.benchmarks.base import (
    BenchmarkBase,
    check_count,
    check_produced,
    clip_meta,
    frame_clip,
    iter_progress,
    listed_or_scanned,
    register_benchmark,
)
from unibench.benchmarks.data.folders import DataLayout, Obtain, Variant
from unibench.benchmarks.formats.boxes import polygon_to_box, read_regions
from unibench.benchmarks.formats.regions import (
    FAILURE,
    INIT,
    Region,
    format_region,
    parse_region,
    region_bounds,
)
from unibench.benchmarks.ope import OPEBenchmark
from unibench.benchmarks.scorers.sot import rect_iou as sot_rect_iou
from unibench.benchmarks.scorers.vot import (
    STACKS,
    anchor_run,
    anchor_sequence,
    anchor_summary,
    eao_score,
    find_anchors,
    lt_sequence,
    lt_summary,
    lt_thresholds,
    supervised_eao_curve,
    supervised_segments,
    supervised_sequence,
    supervised_summary,
    supervised_tag_summary,
    supervised_tagged,
)

from unibench.datatypes import (
    AnchorExperiment,
    BoxInit,
    Drawn,
    FrameView,
    MetricTable,
    ProtocolRun,
    ResetExperiment,
    RunFrame,
    SequenceView,
    VideoSequence,
)
from unibench.errors import DataError
from unibench.io import (
    atomic_write_text,
    check_numbered,
    image_size,
    list_files,
    read_text,
)

VOT_SEQUENCE = "list.txt, or folders with a groundtruth.txt"


class VOT(OPEBenchmark):
    toolkit = "one-pass evaluation on VOT sequences; regions parsed and written as vot-toolkit does"
    checked_by = (
        "tests/benchmarks/test_vot_toolkit_parity.py::test_regions_parse_and_write_as_the_toolkit_does",
        "tests/benchmarks/test_sot_adapters.py::test_vot_polygon_conversion_modes",
    )

    def result_path(self, pred_dir: Path, name: str) -> Path:
        return Path(pred_dir) / name  # a folder: <seq>/<seq>_001.txt (VOT trajectory layout)

    def write_predictions(self, seq: VideoSequence, preds, out: Path) -> int:
        ps = list(preds)
        check_produced(seq.name, len(ps), len(seq.clip), "boxes")
        lines = ["1\n"] + [",".join(f"{v:.4f}" for v in p.box) + "\n" for p in ps[1:]]
        (Path(out) / f"{seq.name}_001.txt").write_text("".join(lines))
        (Path(out) / f"{seq.name}_time.txt").write_text("".join(f"{p.seconds:.6f}\n" for p in ps))
        return len(ps)

    def read_trajectory(
        self, pred_dir: Path, name: str, gt: np.ndarray, raw: bool = False
    ) -> np.ndarray:
        """A VOT trajectory as boxes; the initialisation line ``1`` takes the ground truth."""
        f = Path(pred_dir) / name / f"{name}_001.txt"
        if not f.is_file():
            raise DataError(f"missing prediction {f}")
        boxes = []
        for n, line in enumerate(read_text(f).splitlines(), 1):
            vals = [v for v in line.replace("\t", ",").replace(" ", ",").split(",") if v]
            try:
                nums = [float(v) for v in vals]
            except ValueError:
                raise DataError(
                    f"{f}:{n}: expected a VOT region or status code, got {line!r}"
                ) from None
            if len(nums) == 1:  # status code (1 = initialisation)
                boxes.append(gt[len(boxes)] if int(nums[0]) == 1 else [np.nan] * 4)
            elif len(nums) in (4, 8):
                boxes.append(polygon_to_box(np.array([nums]), self.polygon)[0])
            else:
                raise DataError(f"{f}:{n}: expected 1, 4 or 8 values, got {len(nums)}")
        out = np.asarray(boxes, float)
        if len(out) != len(gt):
            raise DataError(f"{f}: {len(out)} regions for {len(gt)} ground-truth frames")
        if np.isnan(out).any():
            raise DataError(
                f"{f}: failure/skip codes belong to VOT's reset-based experiment: score it "
                f"with the vot2016 ... vot2019 benchmarks (this one scores one-pass trajectories)"
            )
        return out

    protocol = "OPE on VOT sequences (polygons → axis-aligned boxes); not VOT's EAO protocol"

    def __init__(self, root, split=None, sequences=None, name="vot", polygon: str = "bounds"):
        self.polygon = polygon
        self.open_folder(root, split, name, "all", ("all",))
        self.select_sequences(sequences, self.root, VOT_SEQUENCE)

    def discover_sequences(self) -> list[str]:
        return listed_or_scanned(self.root / "list.txt", self.root, "groundtruth.txt")

    def ground_truth(self, name: str) -> np.ndarray:
        return polygon_to_box(read_regions(self.root / name / "groundtruth.txt"), self.polygon)

    def frames(self, name: str) -> list[Path]:
        d = self.root / name
        for sub in (d / "color", d / "imgs", d):
            frames = list_files(sub, "*.jpg")
            if frames:
                break
        else:
            raise DataError(f"sequence {name!r}: no .jpg frames in {d}/color, {d}/imgs or {d}")
        ranges = list_files(d, "*_frames.txt")
        if ranges:
            text = ranges[0].read_text().strip()
            try:
                first, last = (int(v) for v in text.replace(" ", ",").split(",")[:2])
            except ValueError:
                raise DataError(f"{ranges[0]}: expected 'first,last', got {text!r}") from None
            frames = frames[first - 1 : last]
        n_gt = len(self.ground_truth(name))
        check_count(d / "groundtruth.txt", n_gt, "regions", frames)
        return frames

    def load_sequence(self, name: str) -> VideoSequence:
        frames = self.frames(name)
        gt = self.ground_truth(name)
        return self._box_sequence(name, frames, gt[0], f"{name}|{(self.root / name).resolve()}")


# ------------------------------------------------------------------ the VOT challenges' protocols
class VOTChallenge(BenchmarkBase):
    """A VOT challenge's sequences scored with its own experiment (``metrics.vot.STACKS``):
    reset-based EAO / accuracy / failures (VOT2016-2019), anchor-based EAO / accuracy /
    robustness (VOT2020+) or long-term Pr / Re / F (VOT-LT).

    Layout (the toolkit's): ``<root>/list.txt`` (or every folder with a ``groundtruth.txt``),
    ``<seq>/color/*.jpg`` (or ``<seq>/*.jpg``), ``<seq>/groundtruth.txt`` with one region per line
    (rectangle, polygon, ``m``-encoded mask, or NaN where the target is absent), and for anchor-based
    stacks ``<seq>/anchor.value`` (per frame: > 0 a forward anchor, < 0 a backward one).
    Results in the toolkit's result layout, so ``vot analysis`` reads them:
    ``<predictions>/baseline/<seq>/<seq>_001.txt`` (reset-based: 1 = initialisation,
    2 = failure, 0 = skipped), ``<seq>_<anchor:08d>.txt`` (anchor-based, in run order),
    ``<predictions>/longterm/<seq>/<seq>_001.txt`` with ``<seq>_001_confidence.value``
    (long-term: the head's confidence; the initialisation frame's line empty, read as 0 as the
    toolkit reads it), and ``_time.value`` beside each."""

    toolkit = (
        "vot-toolkit 0.9.0 (reset-based EAO/A/failures, anchor-based EAO/A/R, long-term Pr/Re/F)"
    )
    checked_by = (
        "tests/benchmarks/test_vot_toolkit_parity.py::test_reset_based_accuracy_failures_and_eao_equal_the_toolkit",
        "tests/benchmarks/test_vot_toolkit_parity.py::test_anchor_based_accuracy_robustness_and_eao_equal_the_toolkit",
        "tests/benchmarks/test_vot_toolkit_parity.py::test_long_term_precision_recall_and_f_equal_the_toolkit",
    )

    tasks = ("sot",)

    def __init__(self, root, split=None, sequences=None, name="vot2019", stack: str | None = None):
        self.stack = STACKS[stack or name]
        self.open_folder(root, split, name, "all", ("all",))
        self.select_sequences(sequences, self.root, VOT_SEQUENCE)

    def discover_sequences(self) -> list[str]:
        return listed_or_scanned(self.root / "list.txt", self.root, "groundtruth.txt")

    @property
    def folder(self) -> str:
        """The toolkit's experiment folder of the results."""
        return "longterm" if self.stack.experiment == "longterm" else "baseline"

    @property
    def protocol(self) -> str:
        s = self.stack
        if s.experiment == "supervised":
            how = (
                f"reset-based (vot-toolkit supervised: re-initialised {s.skip_initialize} frames "
                f"after a failure, accuracy burn-in {s.burnin}, EAO over [{s.low}, {s.high}])"
            )
        elif s.experiment == "multistart":
            how = (
                f"anchor-based (vot-toolkit multistart: failure after {s.grace} frames of overlap "
                f"<= {s.threshold}, EAO over [{s.low}, {s.high}])"
            )
        else:
            how = f"long-term (vot-toolkit: Pr/Re over {s.resolution} confidence thresholds, F max)"
        return f"{self.name} {how}; {s.reference}"

    def frames(self, name: str) -> list[Path]:
        d = self.root / name
        for sub in (d / "color", d):
            frames = check_numbered(list_files(sub, "*.jpg"))
            if frames:
                return frames
        raise DataError(f"sequence {name!r}: no .jpg frames in {d}/color or {d}")

    def regions(self, name: str) -> list[Region]:
        f = self.root / name / "groundtruth.txt"
        if not f.is_file():
            raise DataError(f"sequence {name!r}: missing {f}")
        lines = [ln for ln in read_text(f).splitlines() if ln.strip()]
        return [parse_region(ln, f"{f}:{i}") for i, ln in enumerate(lines, 1)]

    def _checked(self, name: str) -> tuple[list[Path], list[Region], tuple[int, int]]:
        frames, gt = self.frames(name), self.regions(name)
        check_count(self.root / name / "groundtruth.txt", len(gt), "regions", frames)
        h, w = image_size(frames[0])
        return frames, gt, (w, h)

    def load_sequence(self, name: str) -> VideoSequence:
        frames, gt, _ = self._checked(name)
        boxes = init_boxes(gt)
        if gt[0].is_special():
            raise DataError(f"{self.root / name / 'groundtruth.txt'}:1: no target on frame 0")
        return self._box_sequence(name, frames, boxes[0])

    def _box_sequence(self, name: str, frames: list[Path], box) -> VideoSequence:
        clip = frame_clip(frames)
        key = f"{name}|{(self.root / name).resolve()}"
        return VideoSequence(
            name, clip, BoxInit(tuple(box)), clip_meta(self.name, key, frames=frames)
        )

    def frame_tags(self, name: str, n: int) -> dict[str, np.ndarray]:
        """The per-frame tags of a sequence (``*.tag`` and ``*.label`` files in its folder: one
        line per frame, ``1`` sets it), as the toolkit reads them: a short file is padded with
        unset frames; a file longer than the sequence is an error naming it."""
        d = self.root / name
        out = {}
        for f in list_files(d, "*.tag", "*.label"):
            lines = read_text(f).splitlines()
            while lines and not lines[-1].strip():
                lines.pop()
            if len(lines) > n:
                raise DataError(f"{f}: {len(lines)} lines for the {n} frames of {name!r}")
            flags = np.zeros(n, bool)
            flags[: len(lines)] = [ln.strip() == "1" for ln in lines]
            out[f.stem] = flags
        return out

    def _tag_summary(self, names, trajectories, gts, bounds) -> list[dict]:
        """Accuracy and failures per tag (reset-based stacks): every sequence's tags read, each
        tag summarised over the sequences (:func:`supervised_tag_summary`)."""
        tags = [self.frame_tags(n, len(g)) for n, g in zip(names, gts, strict=True)]
        known = sorted({t for ts in tags for t in ts})
        out = []
        for tag in known:
            per = [
                supervised_tagged([tr], g, b, ts[tag], self.stack.burnin) if tag in ts else None
                for tr, g, b, ts in zip(trajectories, gts, bounds, tags, strict=True)
            ]
            out.append({"code": tag, "name": tag.replace("_", " "), **supervised_tag_summary(per)})
        return out

    def anchors(self, name: str, n: int) -> tuple[list[int], list[int]]:
        f = self.root / name / "anchor.value"
        if not f.is_file():
            raise DataError(f"{f}: missing (an anchor-based stack needs each sequence's anchors)")
        try:
            vals = [float(v) if v.strip() else 0.0 for v in read_text(f).splitlines()]
        except ValueError:
            raise DataError(f"{f}: expected one number per frame") from None
        check_count(f, len(vals), "anchor values", range(n))
        fwd, bwd = find_anchors(vals)
        if not fwd and not bwd:
            raise DataError(f"{f}: no anchor (a positive or negative value) in {n} frames")
        return fwd, bwd

    def experiment_for(self, seq: VideoSequence):
        """What the runner runs on ``seq`` (:mod:`unibench.app.pipeline.experiments`)."""
        if self.stack.experiment == "longterm":
            return None
        _, gt, bounds = self._checked(seq.name)
        boxes = tuple(init_boxes(gt))
        if self.stack.experiment == "supervised":
            return ResetExperiment(tuple(gt), boxes, bounds, self.stack.skip_initialize)
        fwd, bwd = self.anchors(seq.name, len(gt))
        return AnchorExperiment(tuple(fwd), tuple(bwd), boxes)

    # ---------------------------------------------------------------- results
    def result_path(self, pred_dir: Path, name: str) -> Path:
        return Path(pred_dir) / self.folder / name

    def write_predictions(self, seq: VideoSequence, preds, out: Path) -> int:
        out = Path(out)
        if self.stack.experiment == "longterm":
            ps = list(preds)
            check_produced(seq.name, len(ps), len(seq.clip), "boxes")
            frames = [RunFrame(INIT, seconds=ps[0].seconds)]
            frames += [RunFrame(None, tuple(p.box), p.seconds, p.score) for p in ps[1:]]
            runs = [ProtocolRun("001", tuple(frames))]
        else:
            runs = list(preds)
        n = 0
        for run in runs:
            stem = f"{seq.name}_{run.key}"
            lines = [
                (str(f.code) if f.code is not None else format_region(Region.rect(*f.box)))
                for f in run.frames
            ]
            atomic_write_text(out / f"{stem}.txt", "".join(v + "\n" for v in lines))
            atomic_write_text(
                out / f"{stem}_time.value", "".join(f"{f.seconds:.6f}\n" for f in run.frames)
            )
            if self.stack.experiment == "longterm":
                conf = ["" if f.score is None else f"{f.score:.6f}" for f in run.frames]
                atomic_write_text(out / f"{stem}_confidence.value", "".join(c + "\n" for c in conf))
            n += len(run.frames)
        return n

    def _trajectory(self, f: Path, n: int) -> list[Region]:
        if not f.is_file():
            raise DataError(f"missing prediction {f}")
        lines = [ln for ln in read_text(f).splitlines() if ln.strip()]
        traj = [parse_region(ln, f"{f}:{i}") for i, ln in enumerate(lines, 1)]
        if len(traj) != n:
            raise DataError(f"{f}: {len(traj)} regions for {n} frames")
        return traj

    def _confidence(self, f: Path, n: int) -> list[float]:
        if not f.is_file():
            raise DataError(f"missing confidence file {f} (long-term results carry one)")
        vals = []
        for i, ln in enumerate(read_text(f).splitlines(), 1):
            try:
                vals.append(float(ln) if ln.strip() else 0.0)  # no confidence: 0, as the toolkit
            except ValueError:
                raise DataError(f"{f}:{i}: expected a number, got {ln!r}") from None
        if len(vals) != n:
            raise DataError(f"{f}: {len(vals)} values for {n} frames")
        return vals

    def view(self, pred_dir: Path, name: str) -> SequenceView:
        """The run that starts at frame 0 (the reset-based run ``_001``, the long-term run, or
        the forward run from anchor 0) over the frames: its regions' boxes, the ground truth's
        thin; re-initialisations and failures (reset-based), frames predicted absent (an empty
        region; long-term) as the frames' events; IoU of the bounding boxes per frame."""
        _, gt, _bounds = self._checked(name)
        d = self.result_path(pred_dir, name)
        f = d / f"{name}_001.txt"
        if not f.is_file():
            f = d / f"{name}_{0:08d}.txt"
        traj = self._trajectory(f, len(gt))
        frames = []
        for r, g in zip(traj, gt, strict=True):
            events: tuple[str, ...] = ()
            box = None
            if r.is_special(INIT):
                events = ("initialised",)
            elif r.is_special(FAILURE):
                events = ("failure",)
            elif r.is_special() or r.is_empty():
                events = ("predicted absent",) if self.stack.experiment == "longterm" else ()
            else:
                box = _bounds_box(r)
            gbox = None if g.is_special() or g.is_empty() else _bounds_box(g)
            iou = (
                float(sot_rect_iou(np.array([box]), np.array([gbox]))[0])
                if box is not None and gbox is not None
                else None
            )
            frames.append(FrameView(
                objects=(Drawn(1, box, text=f"IoU {iou:.2f}" if iou is not None else ""),)
                if box is not None else (),
                gt_objects=(Drawn(0, gbox),) if gbox is not None else (),
                score=iou, events=events,
            ))  # fmt: skip
        scored = [v.score for v in frames if v.score is not None]
        return SequenceView(name, tuple(frames), "IoU", float(np.mean(scored)) if scored else None)

    def evaluate(self, pred_dir: Path, sequences=None, progress: bool = False) -> MetricTable:
        names = list(sequences or self._names)
        s = self.stack
        rows: list[dict] = []
        protocol = self.protocol
        if s.experiment == "supervised":
            per, segments, kept = [], [], ([], [], [])
            for name in iter_progress(names, "evaluate", progress):
                _, gt, bounds = self._checked(name)
                f = self.result_path(pred_dir, name) / f"{name}_001.txt"
                traj = self._trajectory(f, len(gt))
                for k, v in enumerate((traj, gt, bounds)):
                    kept[k].append(v)
                r = supervised_sequence([traj], gt, bounds, s.burnin)
                per.append(r)
                segments += supervised_segments(traj, gt, bounds)
                rows.append({"sequence": name, "Accuracy": r.accuracy, "Failures": r.failures,
                             "frames": len(gt)})  # fmt: skip
            summ = supervised_summary(per, s.sensitivity)
            curve = supervised_eao_curve(segments)
            summary = {"EAO": eao_score(curve, s.low, s.high), "Accuracy": summ["Accuracy"],
                       "Failures": summ["Failures"]}  # fmt: skip
            cols = ["sequence", "Accuracy", "Failures", "frames"]
            curves = {"eao": [float(v) for v in curve], "eao_interval": [s.low, s.high]}
            tags = self._tag_summary(names, *kept)
            if tags:
                curves["attributes"] = tags
                protocol += (
                    "; per tag (the sequences' *.tag files): accuracy as vot-toolkit's "
                    "SequenceAccuracy(filter_tag) averaged by sequence length, failures on the "
                    "tagged frames summed (the legacy toolkit's per-label robustness)"
                )
        elif s.experiment == "multistart":
            per = []
            for name in iter_progress(names, "evaluate", progress):
                _, gt, bounds = self._checked(name)
                fwd, bwd = self.anchors(name, len(gt))
                runs = []
                for a, back in [(a, False) for a in fwd] + [(a, True) for a in bwd]:
                    order = list(range(a, -1, -1)) if back else list(range(a, len(gt)))
                    f = self.result_path(pred_dir, name) / f"{name}_{a:08d}.txt"
                    traj = self._trajectory(f, len(order))
                    g = [gt[k] for k in order]
                    runs.append(anchor_run(traj, g, bounds, s.grace, s.threshold))
                r = anchor_sequence(runs, len(gt), s.high)
                per.append(r)
                rows.append({"sequence": name, "Accuracy": r["accuracy"],
                             "Robustness": r["robustness"], "frames": len(gt)})  # fmt: skip
            summ = anchor_summary(per, s.low, s.high)
            summary = {k: summ[k] for k in ("EAO", "Accuracy", "Robustness")}
            cols = ["sequence", "Accuracy", "Robustness", "frames"]
            curves = {"eao": [float(v) for v in summ["curve"]], "eao_interval": [s.low, s.high]}
        else:
            data = []
            for name in iter_progress(names, "evaluate", progress):
                _, gt, bounds = self._checked(name)
                d = self.result_path(pred_dir, name)
                traj = self._trajectory(d / f"{name}_001.txt", len(gt))
                conf = self._confidence(d / f"{name}_001_confidence.value", len(gt))
                data.append((name, traj, conf, gt, bounds))
            thresholds = lt_thresholds([c for d in data for c in d[2]], s.resolution)
            per = [lt_sequence(tr, cf, gt, thresholds, b) for _n, tr, cf, gt, b in data]
            summ = lt_summary(per, thresholds)
            best = summ["curves"]["f"].index(summ["F-score"])
            for (name, *_rest), (pr, re) in zip(data, per, strict=True):
                f = 2 * pr[best] * re[best] / (pr[best] + re[best]) if pr[best] + re[best] else 0.0
                rows.append({"sequence": name, "Pr": float(pr[best]), "Re": float(re[best]),
                             "F-score": float(f), "frames": len(_rest[2])})  # fmt: skip
            summary = {k: summ[k] for k in ("F-score", "Pr", "Re")}
            cols = ["sequence", "Pr", "Re", "F-score", "frames"]
            curves = {k: v for k, v in summ["curves"].items() if k != "thresholds"}
            curves["thresholds"] = [t if math.isfinite(t) else None for t in thresholds]
        return MetricTable(cols, rows, summary, protocol=protocol, curves=curves)


def _bounds_box(r: Region) -> tuple[float, float, float, float]:
    """A region's bounding box, ``x, y, w, h``."""
    left, top, right, bottom = region_bounds(r)
    return float(left), float(top), float(right - left + 1), float(bottom - top + 1)


def init_boxes(gt: list[Region]) -> list[tuple[float, float, float, float]]:
    """The 0-based ``x, y, w, h`` a head is initialised with on each frame: the toolkit's
    conversion of the ground-truth region to a rectangle (a polygon's and a mask's bounds: left,
    top, right - left, bottom - top); a frame without a target takes the last one before it."""
    out: list[tuple[float, float, float, float]] = []
    last = (0.0, 0.0, 0.0, 0.0)
    for r in gt:
        if r.kind == "rect":
            last = tuple(float(v) for v in r.data)
        elif r.kind == "polygon":
            p = r.data
            x0, y0 = p[:, 0].min(), p[:, 1].min()
            last = (float(x0), float(y0), float(p[:, 0].max() - x0), float(p[:, 1].max() - y0))
        elif r.kind == "mask" and r.data.any():
            ys, xs = np.nonzero(r.data)
            ox, oy = r.offset
            last = (float(xs.min() + ox), float(ys.min() + oy),
                    float(xs.max() - xs.min()), float(ys.max() - ys.min()))  # fmt: skip
        out.append(last)
    return out


def _challenge(name: str):
    def make(data_root, split, sequences):
        return VOTChallenge(data_root, split, sequences, name=name)

    return make


# the stacks whose sequence list has a sourced manifest (manifests/<stack>-all.json)
_MANIFESTS = ("vot2018", "vot2019")


def _vot_data(stack: str, manifest: bool = True) -> DataLayout:
    return DataLayout(
        tree="""\
<workspace>/sequences/            (the folder a `vot initialize` workspace holds)
├── list.txt
└── <seq>/ (color/00000001.jpg …, groundtruth.txt, sequence, *.tag)""",
        variants=(
            Variant(
                "official", ("list.txt", "*/groundtruth.txt"), "the toolkit's sequences folder"
            ),
            Variant(
                "workspace",
                ("sequences/list.txt", "sequences/*/groundtruth.txt"),
                "a vot-toolkit workspace: pass --data-root WORKSPACE/sequences",
            ),
            Variant(
                "no-list",
                ("*/groundtruth.txt",),
                "sequence folders without list.txt: every folder is read",
                readable=True,
            ),
        ),
        obtain=Obtain(
            page="https://www.votchallenge.net/",
            gate="vot-toolkit download",
            steps=(
                "pip install vot-toolkit; `vot initialize " + stack + " --workspace WS` downloads "
                "the stack's sequences (its description.json names each archive and checksum)",
                "pass --data-root WS/sequences",
            ),
        ),
        manifests={"all": f"{stack}-all.json"} if manifest and stack in _MANIFESTS else {},
        unlisted=""
        if manifest and stack in _MANIFESTS
        else "the generic 'vot' reader takes any stack's folder: no one list applies"
        if not manifest
        else f"no citable list of the {stack} stack's sequences was found (the stack's "
        "description.json on the VOT server, which vot-toolkit reads, is not in a public "
        "repository); data check compares no sequence list",
        family="sot",
    )


for _name in STACKS:
    if not _name.startswith("synthetic"):
        register_benchmark(
            _name, _challenge(_name), VOTChallenge, data=_vot_data(_name),
            root="the folder holding the sequences",
        )  # fmt: skip


register_benchmark(
    "vot", VOT, data=_vot_data("vot2018", manifest=False),
    root="the folder holding the sequence folders",
)  # fmt: skip
