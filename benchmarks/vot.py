"""VOT short-term sequences used as OPE data: ``<root>/<seq>/`` with frames in ``color/``,
``imgs/`` or the sequence folder itself, ``groundtruth.txt`` with rectangles or 8-value polygons
(converted to axis-aligned boxes, ``polygon`` = ``bounds`` (default, the VOT toolkit's bounding
rectangle) or ``area`` (SiamFC's area-preserving box)), an optional ``list.txt`` at the root, and an
optional ``*_frames.txt`` holding ``first,last`` (the SiamFC demo's frame range).

VOT's own reset-based protocol (accuracy, robustness, EAO) is not implemented: the sequences are
scored like OTB (OPE on the converted boxes), which is what single-object-tracking tables that mix
VOT sequences into OPE do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from unibench.benchmarks.base import BENCHMARKS
from unibench.benchmarks.boxes import polygon_to_box, read_regions
from unibench.benchmarks.sot_common import OPEBenchmark

from unibench.errors import DataError
from unibench.types import VideoSequence


class VOT(OPEBenchmark):
    protocol = "OPE on VOT sequences (polygons → axis-aligned boxes); not VOT's EAO protocol"

    def __init__(self, root, split=None, sequences=None, name="vot", polygon: str = "bounds"):
        self.root = Path(root)
        self.split = split or "all"
        self.name = name
        self.polygon = polygon
        if not self.root.is_dir():
            raise DataError(f"VOT root {self.root} does not exist")
        if sequences:
            self._names = list(sequences)
        elif (self.root / "list.txt").is_file():
            self._names = [
                x.strip() for x in (self.root / "list.txt").read_text().splitlines() if x.strip()
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
        if len(frames) != n_gt:
            raise DataError(f"{d / 'groundtruth.txt'}: {n_gt} regions for {len(frames)} frames")
        return frames

    def load_sequence(self, name: str) -> VideoSequence:
        frames = self.frames(name)
        gt = self.ground_truth(name)
        return self._box_sequence(name, frames, gt[0], f"{name}|{(self.root / name).resolve()}")


def _vot(data_root, split, sequences):
    if data_root is None:
        raise DataError("vot needs --data-root DIR (the folder holding the sequence folders)")
    return VOT(data_root, split, sequences)


BENCHMARKS.register("vot", _vot)
