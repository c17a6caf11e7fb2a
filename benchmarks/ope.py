"""What the OPE-scored SOT adapters share: prediction files, evaluation, server packaging."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
from unibench.benchmarks.base import (
    TextResults,
    clip_meta,
    frame_clip,
    iter_progress,
)
from unibench.benchmarks.formats.boxes import box_line, read_boxes
from unibench.benchmarks.scorers import sot as sot_metrics

from unibench.datatypes import (
    BoxFramePrediction,
    BoxInit,
    Drawn,
    FrameView,
    MetricTable,
    SequenceView,
    VideoSequence,
)
from unibench.errors import ConfigError, DataError
from unibench.io import atomic_zip, read_text
from unibench.paths import safe_name

Attribute = sot_metrics.Attribute


@dataclass(frozen=True)
class AttributeOptions:
    """``benchmark.options`` of OTB: ``attributes``, the folder of its toolkit's per-sequence
    attribute files (``tracker_benchmark_v1.0/anno/att``; the dataset ships none): with it,
    ``eval`` and ``run`` add the success AUC per attribute."""

    attributes: str = ""


def check_result_boxes(path: Path, frames: int) -> np.ndarray:
    """A result file as ``eval`` reads it (4 numbers per line, NaN allowed as a miss), one box per
    frame of the sequence: what a packager checks before zipping it for a server."""
    boxes = read_boxes(path, allow_nan=True)
    if len(boxes) != frames:
        raise DataError(f"{path}: {len(boxes)} boxes for the {frames} frames of the sequence")
    return boxes


def _zero_based(box, offset: float) -> tuple[float, float, float, float]:
    x, y, w, h = (float(v) for v in box)
    return x - offset, y - offset, w, h


def invalid_boxes(pred: np.ndarray) -> np.ndarray:
    """Boxes that are not finite or have no area (``w ≤ 0`` or ``h ≤ 0``)."""
    with np.errstate(invalid="ignore"):
        return ~np.isfinite(pred).all(1) | (pred[:, 2] <= 0) | (pred[:, 3] <= 0)


class OPEBenchmark(TextResults):
    """Base of OTB-style adapters: ``<out>/<seq>.txt`` results scored with OPE.

    Subclasses provide ``ground_truth(name)``, ``discover_sequences()``, ``load_sequence(name)``
    and may override
    ``valid_frames(name, gt)`` (frames to score) and ``offset`` (1 for 1-based files).
    """

    tasks = ("sot",)
    offset = 0.0  # added to x, y when writing results (OTB files are 1-based)
    protocol = "OPE (got10k ExperimentOTB): 21 IoU thresholds, AUC = mean"
    # the attributes its toolkit annotates per sequence, in the order of its files' columns
    attributes: ClassVar[tuple[Attribute, ...]] = ()
    attribute_files: ClassVar[str] = ""  # where the toolkit keeps them, said in errors
    options = None

    produced = "boxes"

    def result_lines(self, seq: VideoSequence, b: BoxFramePrediction) -> list[str]:
        """One box per line, 4 decimals, comma-separated (``offset`` added to x and y)."""
        o = self.offset
        return [box_line((b.box[0] + o, b.box[1] + o, b.box[2], b.box[3]))]

    def _box_sequence(self, name: str, frames: list[Path], box, key: str) -> VideoSequence:
        """A lazily loaded clip of ``frames`` started from ``box`` (0-based ``x, y, w, h``)."""

        clip = frame_clip(frames)
        return VideoSequence(
            name,
            clip,
            BoxInit(tuple(float(v) for v in box)),
            clip_meta(self.name, key, frames=frames),
        )

    def read_trajectory(
        self, pred_dir: Path, name: str, gt: np.ndarray, raw: bool = False
    ) -> np.ndarray:
        """The predicted boxes of a sequence, checked against the ground-truth length. A box that
        is not finite or has no area is kept as NaN: it scores as a miss (IoU and centre error
        undefined fail every threshold) and is counted in the table. ``raw``: the boxes as
        written (for protocols with their own rule for such boxes)."""
        f = self.result_path(pred_dir, name)
        pred = read_boxes(f, allow_nan=True)
        if len(pred) != len(gt):
            raise DataError(f"{f}: {len(pred)} boxes for {len(gt)} ground-truth frames")
        if not raw:
            pred[invalid_boxes(pred)] = np.nan
        return pred

    def valid_frames(self, name: str, gt: np.ndarray) -> np.ndarray | None:
        return None

    def absent_frames(self, name: str, gt: np.ndarray) -> np.ndarray:
        """Frames whose target is absent by the benchmark's own flags (none here)."""
        return np.zeros(len(gt), bool)

    def view(self, pred_dir: Path, name: str) -> SequenceView:
        """The run's boxes over the frames with the ground truth thin and white, IoU per frame;
        an absent target (the benchmark's flags) and a box the tracker did not give (not finite
        or without area) are the frame's events."""
        gt = self.ground_truth(name)
        pred = self.read_trajectory(pred_dir, name, gt, raw=True)
        o = self.offset  # boxes drawn 0-based
        absent = self.absent_frames(name, gt)
        bad = invalid_boxes(pred)
        ious = sot_metrics.rect_iou(pred, gt)
        frames = []
        for t in range(len(gt)):
            gbox = None if absent[t] or not np.isfinite(gt[t]).all() else _zero_based(gt[t], o)
            iou = None if gbox is None or bad[t] else float(ious[t])
            events = ("target absent",) if absent[t] else ()
            events += ("no box",) if bad[t] and t > 0 else ()
            pbox = None if bad[t] else _zero_based(pred[t], o)
            frames.append(FrameView(
                objects=(Drawn(1, pbox, text=f"IoU {iou:.2f}" if iou is not None else ""),),
                gt_objects=(Drawn(0, gbox),) if gbox is not None else (),
                score=iou, events=events,
            ))  # fmt: skip
        scored = [f.score for f in frames[1:] if f.score is not None]
        return SequenceView(name, tuple(frames), "IoU", float(np.mean(scored)) if scored else None)

    # ---------------------------------------------------------------- attributes
    def attribute_folder(self) -> Path | None:
        """The toolkit's attribute folder given as ``benchmark.options.attributes`` (None: no
        per-attribute analysis)."""
        folder = getattr(self.options, "attributes", "") if self.options is not None else ""
        if not folder:
            return None
        path = Path(folder).expanduser()
        if not path.is_dir():
            raise ConfigError(
                f"benchmark.options.attributes: {path} is not a folder (expected "
                f"{self.attribute_files})"
            )
        return path

    def analysis_inputs(self) -> dict[str, str]:
        """The attribute files of the selected sequences by content (sha256 of the attributes
        each sequence carries, in sequence order), where the attribute folder is given; a
        missing or malformed file is an error here, before any frame is computed."""
        folder = self.attribute_folder() if self.attributes else None
        if folder is None:
            return {}
        h = hashlib.sha256()
        for n in self._names:  # each file checked here, before any frame is computed
            h.update(f"{n}\0{sorted(self.sequence_attributes(folder, n))}\0".encode())
        return {"attributes": h.hexdigest()[:16]}

    def attribute_file(self, folder: Path, name: str) -> Path:
        """Sequence ``name``'s attribute file in the toolkit's folder (``<name>.txt``)."""
        return folder / f"{name}.txt"

    def sequence_attributes(self, folder: Path, name: str) -> frozenset[str]:
        """The codes of the attributes sequence ``name`` carries, read from its toolkit file:
        one value per attribute, in :attr:`attributes`' order, separated by commas, spaces or
        lines (MATLAB's ``dlmread`` / ``load``); a value > 0 sets it (the toolkits' test)."""
        safe_name(name, "sequence", str(folder), DataError)
        f = self.attribute_file(folder, name)
        if not f.is_file():
            raise DataError(
                f"missing {f}: the attribute file of sequence {name!r} ({len(self.attributes)} "
                f"values; {self.attribute_files})"
            )
        tokens = [t for t in re.split(r"[,\s]+", read_text(f)) if t]
        try:
            vals = [float(t) for t in tokens]
        except ValueError:
            raise DataError(f"{f}: expected {len(self.attributes)} numbers") from None
        if len(vals) != len(self.attributes):
            raise DataError(
                f"{f}: {len(vals)} values for the {len(self.attributes)} attributes of "
                f"{self.name} ({', '.join(a.code for a in self.attributes)})"
            )
        return frozenset(a.code for a, v in zip(self.attributes, vals, strict=True) if v > 0)

    def sequence_curves(self, name: str, pred: np.ndarray, gt: np.ndarray):
        """Success, precision and normalised-precision curves of one sequence from the boxes as
        written (got10k's ExperimentOTB rule here; LaSOT and TNL2K follow their toolkits)."""
        pred = pred.copy()
        pred[invalid_boxes(pred)] = np.nan
        return sot_metrics.ope_curves(pred, gt, self.valid_frames(name, gt))

    drop_empty_curves = False  # see sot_metrics.ope_summary

    def evaluate(self, pred_dir: Path, sequences=None, progress: bool = False) -> MetricTable:
        rows, curves = [], []
        names = list(sequences or self._names)
        att_folder = self.attribute_folder() if self.attributes else None
        # every file read before any scoring: a missing one is named, nothing half-scored
        flags = [self.sequence_attributes(att_folder, n) for n in names] if att_folder else []
        for name in iter_progress(names, "evaluate", progress):
            gt = self.ground_truth(name)
            pred = self.read_trajectory(pred_dir, name, gt, raw=True)
            invalid = int(invalid_boxes(pred[1:]).sum())  # frame 0 is the given box
            c = self.sequence_curves(name, pred, gt)
            curves.append(c)
            rows.append(
                {
                    "sequence": name,
                    "AUC": float(c[0].mean()),
                    "Precision": float(c[1][20]),
                    "NormPrecision": float(c[2].mean()),
                    "frames": len(gt),
                    "invalid boxes": invalid,
                }
            )
        cols = ["sequence", "AUC", "Precision", "NormPrecision", "frames"]
        summary = (
            sot_metrics.ope_summary(curves, drop_empty=self.drop_empty_curves) if curves else {}
        )
        if any(r["invalid boxes"] for r in rows):
            cols.append("invalid boxes")
            summary["invalid boxes"] = sum(r["invalid boxes"] for r in rows)
        mean_curves = {}

        def mean(k: int) -> np.ndarray:
            return sot_metrics.mean_curve(curves, k, self.drop_empty_curves)

        if curves:
            mean_curves = {
                "iou_thresholds": [float(t) for t in sot_metrics.IOU_THRESHOLDS],
                "success": [float(v) for v in mean(0)],
                "pixel_thresholds": [float(t) for t in sot_metrics.CE_THRESHOLDS],
                "precision": [float(v) for v in mean(1)],
            }
        protocol = self.protocol
        if flags:
            codes = [a.code for a in self.attributes]
            for r, f in zip(rows, flags, strict=True):
                r["attributes"] = " ".join(c for c in codes if c in f)
            cols.append("attributes")
            mean_curves["attributes"] = sot_metrics.attribute_summary(
                curves, flags, self.attributes, self.drop_empty_curves
            )
            protocol += (
                f"; per attribute ({len(self.attributes)}, the toolkit's files): the mean curve "
                f"of the sequences carrying it, attributes on fewer than "
                f"{sot_metrics.MIN_ATTRIBUTE_SEQUENCES} sequences not scored"
            )
        return MetricTable(cols, rows, summary, protocol=protocol, curves=mean_curves)

    def package(self, pred_dir: Path, out_zip: Path) -> Path:
        """Zip ``<seq>.txt`` of every sequence (the TrackingNet / LaSOT server format)."""
        for name in self._names:  # every name first: nothing is written for a bad list
            safe_name(name, "sequence", str(self.root), DataError)
        with atomic_zip(Path(out_zip), pred_dir) as add:
            for name in self._names:
                f = self.result_path(pred_dir, name)
                if not f.is_file():
                    raise DataError(f"missing results for {name}: {f}")
                check_result_boxes(f, len(self.load_sequence(name).clip))
                add(f, f.name)
        return Path(out_zip)


PROTOCOLS = ("toolkit", "pytracking")


@dataclass(frozen=True)
class ToolkitOptions:
    """``benchmark.options`` of LaSOT, LaSOT-ext and TNL2K: which frames count and how.

    ``protocol=toolkit`` (default): the benchmark's own MATLAB toolkit
    (:func:`sot_metrics.toolkit_curves`); ``protocol=pytracking``: pytracking's
    ``extract_results`` (:func:`sot_metrics.pytracking_curves`), with its
    ``exclude_invalid_frames`` switch. ``attributes``: the toolkit's ``annos/att`` folder (the
    datasets ship none): with it, the success AUC per attribute is added."""

    protocol: str = "toolkit"
    exclude_invalid_frames: bool = False
    attributes: str = ""  # the toolkit's annos/att folder: success AUC per attribute

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise ConfigError(
                f"benchmark.options.protocol: unknown {self.protocol!r}; known: "
                + ", ".join(PROTOCOLS)
            )
        if self.exclude_invalid_frames and self.protocol != "pytracking":
            raise ConfigError(
                "benchmark.options.exclude_invalid_frames is pytracking's switch: give it with "
                "protocol=pytracking"
            )


class ToolkitOPEBenchmark(OPEBenchmark):
    toolkit = "the official MATLAB toolkit's frame rules (LaSOT_Evaluation_Toolkit, TNL2K_evaluation_toolkit); pytracking's extract_results as an option"
    checked_by = (
        "tests/benchmarks/test_sot_toolkit_parity.py::test_default_protocol_equals_the_matlab_toolkit",
        "tests/benchmarks/test_sot_toolkit_parity.py::test_pytracking_option_equals_extract_results",
    )
    Options = ToolkitOptions
    """OPE scored as the LaSOT / TNL2K toolkits (or pytracking's conventions on request).

    Subclasses provide ``absent(name, gt)`` (the frames the toolkit removes) and may override
    ``pytracking_visible`` (pytracking's ``target_visible``; ``None`` where its dataset class has
    none) and ``pytracking_dataset`` (the dataset name its rules test for)."""

    options = ToolkitOptions()
    pytracking_dataset = "lasot"
    toolkit_name = "toolkit"

    def absent(self, name: str, gt: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def absent_frames(self, name: str, gt: np.ndarray) -> np.ndarray:
        return self.absent(name, gt)

    def pytracking_visible(self, name: str, gt: np.ndarray) -> np.ndarray | None:
        return ~self.absent(name, gt)

    @property
    def drop_empty_curves(self) -> bool:  # type: ignore[override]
        return self.options.protocol == "toolkit"

    @property
    def protocol(self) -> str:  # type: ignore[override]
        if self.options.protocol == "toolkit":
            return (
                f"{self.toolkit_name} (calc_seq_err_robust.m): invalid boxes take the previous "
                "box, absent frames fail, GT not all > 0: IoU -1 / centre error -1, divisor = "
                "all frames; AUC, precision@20, normalised precision"
            )
        ex = self.options.exclude_invalid_frames
        return (
            f"pytracking extract_results (dataset {self.pytracking_dataset!r}, "
            f"exclude_invalid_frames={ex}); AUC, precision@20, normalised precision"
        )

    def sequence_curves(self, name: str, pred: np.ndarray, gt: np.ndarray):
        if self.options.protocol == "toolkit":
            return sot_metrics.toolkit_curves(pred, gt, self.absent(name, gt))
        return sot_metrics.pytracking_curves(
            pred,
            gt,
            self.pytracking_visible(name, gt),
            self.pytracking_dataset,
            self.options.exclude_invalid_frames,
        )
