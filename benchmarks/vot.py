"""VOT short-term sequences used as OPE data: ``<root>/<seq>/`` with frames in ``color/``,
``imgs/`` or the sequence folder itself, ``groundtruth.txt`` with rectangles or 8-value polygons
(converted to axis-aligned boxes, ``polygon`` = ``bounds`` (default, the VOT toolkit's bounding
rectangle) or ``area`` (SiamFC's area-preserving box)), an optional ``list.txt`` at the root, and an
optional ``*_frames.txt`` holding ``first,last`` (the SiamFC demo's frame range).

Results use the VOT toolkit's trajectory layout of its one-pass ("unsupervised") experiment:
``<out>/<seq>/<seq>_001.txt`` with ``1`` on the initialisation frame and one ``x,y,w,h`` region per
later frame, and ``<seq>_time.txt``; polygon regions in a result file are read too. VOT's reset-based
protocol (accuracy, robustness, EAO) is not implemented: the sequences are scored like OTB (OPE on
the converted boxes).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from unibench.benchmarks.base import check_count, check_produced, register_benchmark
from unibench.benchmarks.formats.boxes import polygon_to_box, read_regions
from unibench.benchmarks.sot_common import OPEBenchmark

from unibench.errors import DataError
from unibench.io import read_text
from unibench.types import VideoSequence


class VOT(OPEBenchmark):
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
                f"{f}: failure/skip codes belong to VOT's reset protocol, which is not "
                f"scored here (one-pass trajectories only)"
            )
        return out

    protocol = "OPE on VOT sequences (polygons → axis-aligned boxes); not VOT's EAO protocol"

    def __init__(self, root, split=None, sequences=None, name="vot", polygon: str = "bounds"):
        self.root = Path(root)
        self.split = split or "all"
        self.name = name
        self.polygon = polygon
        if self.split != "all":
            raise DataError(f"{name}: unknown split {self.split!r}; known splits: all")
        if not self.root.is_dir():
            raise DataError(f"VOT root {self.root} does not exist")
        if sequences:
            self._names = list(sequences)
        elif (self.root / "list.txt").is_file():
            self._names = [
                x.strip() for x in read_text(self.root / "list.txt").splitlines() if x.strip()
            ]
        else:
            self._names = sorted(
                p.name for p in self.root.iterdir() if (p / "groundtruth.txt").is_file()
            )

    def ground_truth(self, name: str) -> np.ndarray:
        return polygon_to_box(read_regions(self.root / name / "groundtruth.txt"), self.polygon)

    def frames(self, name: str) -> list[Path]:
        d = self.root / name
        for sub in (d / "color", d / "imgs", d):
            frames = sorted(sub.glob("*.jpg"))
            if frames:
                break
        else:
            raise DataError(f"sequence {name!r}: no .jpg frames in {d}/color, {d}/imgs or {d}")
        ranges = sorted(d.glob("*_frames.txt"))
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


def _vot(data_root, split, sequences):
    if data_root is None:
        raise DataError("vot needs --data-root DIR (the folder holding the sequence folders)")
    return VOT(data_root, split, sequences)


register_benchmark("vot", _vot, VOT)
