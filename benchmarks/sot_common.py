"""What the OPE-scored SOT adapters share: prediction files, evaluation, server packaging."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
from unibench.benchmarks import sot_metrics
from unibench.benchmarks.base import iter_progress
from unibench.benchmarks.boxes import read_boxes, write_boxes

from unibench.errors import DataError
from unibench.io import atomic_zip, frames_fingerprint
from unibench.paths import safe_name
from unibench.types import BoxFramePrediction, MetricTable, VideoSequence


class OPEBenchmark:
    """Base of OTB-style adapters: ``<out>/<seq>.txt`` results scored with OPE.

    Subclasses provide ``ground_truth(name)``, ``load_sequence(name)``, ``_names`` and may override
    ``valid_frames(name, gt)`` (frames to score) and ``offset`` (1 for 1-based files).
    """

    tasks = ("sot",)
    offset = 0.0  # added to x, y when writing results (OTB files are 1-based)
    protocol = "OPE (got10k ExperimentOTB): 21 IoU thresholds, AUC = mean"

    def sequence_names(self) -> list[str]:
        return list(self._names)

    def result_path(self, pred_dir: Path, name: str) -> Path:
        return Path(pred_dir) / f"{name}.txt"

    def write_predictions(
        self, seq: VideoSequence, preds: Iterable[BoxFramePrediction], out: Path
    ) -> int:
        o = self.offset
        boxes = [(b.box[0] + o, b.box[1] + o, b.box[2], b.box[3]) for b in preds]
        if len(boxes) != len(seq.clip):
            raise DataError(
                f"{seq.name}: head produced {len(boxes)} boxes for {len(seq.clip)} frames"
            )
        write_boxes(out, boxes)
        return len(boxes)

    def _box_sequence(self, name: str, frames: list[Path], box, key: str) -> VideoSequence:
        """A lazily loaded clip of ``frames`` started from ``box`` (0-based ``x, y, w, h``)."""
        from unibench.io import image_size, read_rgb
        from unibench.types import BoxInit, Clip

        clip = Clip(
            tuple(p.stem for p in frames), lambda i: read_rgb(frames[i]), image_size(frames[0])
        )
        return VideoSequence(
            name,
            clip,
            BoxInit(tuple(float(v) for v in box)),
            {"cache_key": f"{self.name}|{key}|{frames_fingerprint(frames)}"},
        )

    def read_trajectory(self, pred_dir: Path, name: str, gt: np.ndarray) -> np.ndarray:
        """The predicted boxes of a sequence, checked against the ground-truth length. A box that
        is not finite or has no area is kept as NaN: it scores as a miss (IoU and centre error
        undefined fail every threshold) and is counted in the table."""
        f = self.result_path(pred_dir, name)
        pred = read_boxes(f, allow_nan=True)
        if len(pred) != len(gt):
            raise DataError(f"{f}: {len(pred)} boxes for {len(gt)} ground-truth frames")
        bad = ~np.isfinite(pred).all(1) | (pred[:, 2] <= 0) | (pred[:, 3] <= 0)
        pred[bad] = np.nan
        return pred

    def valid_frames(self, name: str, gt: np.ndarray) -> np.ndarray | None:
        return None

    def evaluate(self, pred_dir: Path, sequences=None, progress: bool = False) -> MetricTable:
        rows, curves = [], []
        for name in iter_progress(list(sequences or self._names), "evaluate", progress):
            gt = self.ground_truth(name)
            pred = self.read_trajectory(pred_dir, name, gt)
            invalid = int(np.isnan(pred[1:]).any(1).sum())  # frame 0 is the given box
            c = sot_metrics.ope_curves(pred, gt, self.valid_frames(name, gt))
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
        summary = sot_metrics.ope_summary(curves) if curves else {}
        if any(r["invalid boxes"] for r in rows):
            cols.append("invalid boxes")
            summary["invalid boxes"] = sum(r["invalid boxes"] for r in rows)
        mean_curves = {}
        if curves:
            mean_curves = {
                "iou_thresholds": [float(t) for t in sot_metrics.IOU_THRESHOLDS],
                "success": [float(v) for v in np.mean([c[0] for c in curves], 0)],
                "pixel_thresholds": [float(t) for t in sot_metrics.CE_THRESHOLDS],
                "precision": [float(v) for v in np.mean([c[1] for c in curves], 0)],
            }
        return MetricTable(cols, rows, summary, protocol=self.protocol, curves=mean_curves)

    def package(self, pred_dir: Path, out_zip: Path) -> Path:
        """Zip ``<seq>.txt`` of every sequence (the TrackingNet / LaSOT server format)."""
        for name in self._names:  # every name first: nothing is written for a bad list
            safe_name(name, "sequence", str(self.root), DataError)
        with atomic_zip(Path(out_zip), pred_dir) as add:
            for name in self._names:
                f = self.result_path(pred_dir, name)
                if not f.is_file():
                    raise DataError(f"missing results for {name}: {f}")
                add(f, f.name)
        return Path(out_zip)
