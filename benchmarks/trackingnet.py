"""TrackingNet: ``<root>/<SPLIT>/frames/<seq>/0.jpg …`` and ``<root>/<SPLIT>/anno/<seq>.txt``.

``TEST`` has only the first box public: runs write ``<seq>.txt`` per sequence (comma-separated
``x, y, w, h``) and ``unibench package`` zips them for the evaluation server; the ``TRAIN_<k>`` chunks
carry full annotations and are scored locally with OPE (success AUC, precision, normalised precision,
the metrics the TrackingNet server reports).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from unibench.benchmarks.base import known_splits, register_benchmark
from unibench.benchmarks.data.folders import DataLayout, Obtain, Variant
from unibench.benchmarks.formats.boxes import read_boxes
from unibench.benchmarks.ope import OPEBenchmark

from unibench.datatypes import MetricTable, VideoSequence
from unibench.errors import DataError
from unibench.io import list_files


class TrackingNet(OPEBenchmark):
    toolkit = "the TrackingNet evaluation server (test: unibench package); OPE with normalised precision elsewhere"
    checked_by = (
        "tests/benchmarks/test_sot_metrics.py::test_normalized_precision",
        "tests/benchmarks/test_sot_adapters.py::test_trackingnet_test_packaging",
    )

    def __init__(self, root, split: str | None = None, sequences=None, name="trackingnet"):
        self.root = Path(root)
        self.split = split or "TEST"
        self.name = name
        self.dir = self.root / self.split
        if not (self.dir / "frames").is_dir() or not (self.dir / "anno").is_dir():
            raise DataError(
                f"{self.dir}: expected TrackingNet's frames/ and anno/ folders; known splits: "
                f"{known_splits(self.root)}"
            )
        self.select_sequences(sequences, self.dir / "anno", "<seq>.txt")

    def discover_sequences(self) -> list[str]:
        return [p.stem for p in list_files(self.dir / "anno", "*.txt")]

    def ground_truth(self, name: str) -> np.ndarray:
        return read_boxes(self.dir / "anno" / f"{name}.txt", ground_truth=True)

    def load_sequence(self, name: str) -> VideoSequence:
        d = self.dir / "frames" / name
        frames = sorted(
            list_files(d, "*.jpg"), key=lambda p: int(p.stem) if p.stem.isdigit() else p.stem
        )
        if not frames:
            raise DataError(f"sequence {name!r}: no .jpg frames in {d}")
        gt = self.ground_truth(name)
        return self._box_sequence(name, frames, gt[0], f"{self.split}|{name}|{d.resolve()}")

    def evaluate(self, pred_dir: Path, sequences=None, progress: bool = False) -> MetricTable:
        if self.split.upper() == "TEST":
            raise DataError(
                "TrackingNet TEST has no public ground truth: zip the results with "
                "'unibench package --benchmark trackingnet' for the evaluation server"
            )
        return super().evaluate(pred_dir, sequences, progress)


TRACKINGNET_DATA = DataLayout(
    tree="""\
TrackingNet/
├── TEST/
│   ├── anno/<seq>.txt           (the first box only: the server scores)
│   └── frames/<seq>/0.jpg …
└── TRAIN_<k>/ (anno/, frames/)""",
    variants=(
        Variant(
            "official", ("*/frames/*", "*/anno/*.txt"), "frames unpacked (devkit extract_frame.py)"
        ),
        Variant(
            "chunks",
            ("*/zips/*.zip", "*/anno/*.txt"),
            "the downloaded chunks with their frames still zipped (<SPLIT>/zips/<seq>.zip)",
            repair="trackingnet-zips",
        ),
    ),
    obtain=Obtain(
        page="https://github.com/SilvioGiancola/TrackingNet-devkit",
        gate="access form",
        steps=(
            "request access (the form on tracking-net.org / the Hugging Face dataset "
            "SilvioGiancola/TrackingNet), then download TEST (and TRAIN_k) with the devkit's "
            "download_TrackingNet.py --trackingnet_dir DIR --chunk Test",
            "unpack the frames: `unibench data layout trackingnet --data-root DIR --from chunks "
            "--apply` (or the devkit's extract_frame.py)",
        ),
    ),
    manifests={"TEST": "trackingnet-test.json"},
    unlisted="TRAIN_0 … TRAIN_11: no list pinned (the devkit's csv_link/TRAIN_*.csv)",
    family="sot",
)
register_benchmark(
    "trackingnet", TrackingNet, data=TRACKINGNET_DATA,
    root="the folder holding TEST/, TRAIN_k/",
)  # fmt: skip
