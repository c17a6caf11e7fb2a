"""A third-party plugin in one file: one benchmark, one head, one metric and one executor.

Each is one definition plus one registration line; UniBench finds this module through the
``unibench.plugins`` entry-point group (``tests/plugins/test_plugins.py`` installs the entry point
in a throw-away folder and runs ``unibench run`` with all four, end to end).

* metric ``Hits``: the share of ground-truth foreground pixels labelled with their object.
* benchmark ``demo-squares``: two in-memory VOS sequences (a square sliding on a ramp); predictions
  are ``.npy`` label maps, one per frame; its scorer emits ``Hits`` and ``frames``.
* head ``demo-copy``: repeats the first-frame mask (a training-free, feature-free baseline).
* executor ``demo-reversed``: computes the units in this process, last first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from unibench.benchmarks.base import BenchmarkBase, register_benchmark
from unibench.heads.base import Head, register_head

from unibench.datatypes import Clip, MaskInit, MetricTable, VideoSequence, VOSFramePrediction
from unibench.executors import EXECUTORS, Done, Unit, UnitComputer
from unibench.metrics import register_metric

register_metric("Hits", "percent", True, "hits (demo toolkit)")

SIZE, FRAMES = (32, 48), 4


def _mask(seq: int, t: int) -> np.ndarray:
    m = np.zeros(SIZE, np.uint8)
    x = 4 + 3 * t + 5 * seq
    m[8:20, x : x + 12] = 1
    return m


class DemoSquares(BenchmarkBase):
    name, tasks, split, root = "demo-squares", ("vos",), "val", Path("/")

    def __init__(self, data_root=None, split=None, sequences=None) -> None:
        self.names = list(sequences or ["sq-0", "sq-1"])

    def sequence_names(self) -> list[str]:
        return list(self.names)

    def load_sequence(self, name: str) -> VideoSequence:
        k = int(name.split("-")[1])
        ramp = np.linspace(0, 255, SIZE[1], dtype=np.uint8)

        def frame(t: int) -> np.ndarray:
            img = np.repeat(np.repeat(ramp[None, :, None], SIZE[0], 0), 3, 2).copy()
            img[_mask(k, t) == 1] = (250, 20, 20)
            return img

        clip = Clip(tuple(f"{t:05d}" for t in range(FRAMES)), frame, SIZE)
        return VideoSequence(name, clip, MaskInit(_mask(k, 0), (1,)))

    def write_predictions(
        self, seq: VideoSequence, preds: Iterable[VOSFramePrediction], out_dir: Path
    ) -> int:
        out_dir.mkdir(parents=True, exist_ok=True)
        n = 0
        for p in preds:
            np.save(out_dir / f"{seq.clip.frame_names[p.index]}.npy", p.labels)
            n += 1
        return n

    def evaluate(self, pred_dir: Path, sequences=None, progress: bool = False) -> MetricTable:
        rows = []
        for name in sequences or self.names:
            k = int(name.split("-")[1])
            hits = total = 0
            for t in range(FRAMES):
                gt = _mask(k, t)
                pred = np.load(Path(pred_dir) / name / f"{t:05d}.npy")
                hits += int(((pred == 1) & (gt == 1)).sum())
                total += int((gt == 1).sum())
            rows.append({"sequence": name, "Hits": hits / total, "frames": FRAMES})
        summary = {"Hits": float(np.mean([r["Hits"] for r in rows]))}
        return MetricTable(["sequence", "Hits", "frames"], rows, summary, "demo protocol")


register_benchmark("demo-squares", DemoSquares)


class DemoCopy(Head):
    task = "vos"
    version = 1

    @dataclass
    class Params:
        keep: bool = True

    def track(self, seq: VideoSequence, extractor) -> Iterator[VOSFramePrediction]:
        for t in range(len(seq.clip)):
            yield VOSFramePrediction(t, seq.init.mask.copy())


register_head("demo-copy")(DemoCopy)


class Reversed:
    name = "demo-reversed"

    def run(self, units: list[Unit], work: UnitComputer) -> Iterator[Done]:
        for u in reversed(units):
            yield work(u)


EXECUTORS.register("demo-reversed", lambda options: Reversed())
