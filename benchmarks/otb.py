"""OTB-2015 (OTB-100): ``<root>/<Seq>/img/0001.jpg`` and ``groundtruth_rect.txt``.

Ground truth separated by commas, tabs or spaces (both occur in the release), 1-based ``x, y, w, h``.
Two-target sequences (Jogging, Skating2) carry ``groundtruth_rect.1.txt`` / ``.2.txt`` and become
``Jogging.1``, ``Jogging.2``. Sequences whose annotation covers a sub-range of the frames use the
official ranges (David 300–770, Football1 1–74, Freeman3 1–460, Freeman4 1–283, Diving 1–215, as the
got10k toolkit does); any other length mismatch is an error, never a silent truncation. Results are
written as the toolkits read them: ``<out>/<Seq>.txt`` with one comma-separated box per frame
(1-based). Scoring is the OPE protocol of :mod:`unibench.benchmarks.scorers.sot`; unlike got10k, a
result file whose length differs from the ground truth is an error rather than a warning.
``--option attributes=DIR`` (the OTB toolkit's ``anno/att`` folder, one file of 11 values per
sequence; the dataset ships none) adds the success AUC per attribute.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from unibench.benchmarks.base import check_count, clip_meta, frame_clip, register_benchmark
from unibench.benchmarks.data.folders import Archive, DataLayout, Manifest, Obtain, Variant
from unibench.benchmarks.formats.boxes import read_boxes
from unibench.benchmarks.ope import Attribute, AttributeOptions, OPEBenchmark

from unibench.datatypes import BoxInit, VideoSequence
from unibench.errors import DataError
from unibench.io import check_numbered, image_size, list_dirs, list_files

logger = logging.getLogger(__name__)
RANGES = {
    "david": (300, 770),
    "football1": (1, 74),
    "freeman3": (1, 460),
    "freeman4": (1, 283),
    "diving": (1, 215),
}


class OTB(OPEBenchmark):
    Options = AttributeOptions
    # the OTB toolkit's attName (perfPlot.m), its anno/att files' column order
    attributes = tuple(Attribute(c, n) for c, n in (
        ("IV", "Illumination Variation"), ("OPR", "Out-of-Plane Rotation"),
        ("SV", "Scale Variation"), ("OCC", "Occlusion"), ("DEF", "Deformation"),
        ("MB", "Motion Blur"), ("FM", "Fast Motion"), ("IPR", "In-Plane Rotation"),
        ("OV", "Out-of-View"), ("BC", "Background Clutter"), ("LR", "Low Resolution"),
    ))  # fmt: skip
    attribute_files = (
        "tracker_benchmark_v1.0/anno/att/<Seq>.txt (Jogging-1 for Jogging.1), 11 values"
    )

    toolkit = "the OTB one-pass evaluation (success AUC over 21 thresholds, precision at 20 px), as the got10k toolkit's ExperimentOTB"
    checked_by = (
        "tests/benchmarks/test_sot_metrics.py::test_ope_hand_case",
        "tests/benchmarks/test_sot_metrics.py::test_center_error_uses_one_based_centres",
    )
    offset = 1.0  # OTB files are 1-based
    frame_subsets = True

    def __init__(
        self,
        root,
        split: str | None = None,
        sequences: Iterable[str] | None = None,
        name: str = "otb2015",
        options=None,
    ) -> None:
        self.options = self.scoring_options(options)
        self.open_folder(root, split, name, "all", ("all",))
        self.select_sequences(sequences)

    def discover_sequences(self) -> list[str]:
        names = []
        for d in (self.root / n for n in list_dirs(self.root)):
            gts = list_files(d, "groundtruth_rect*.txt")
            if not gts or not (d / "img").is_dir():
                logger.warning(
                    "%s: %s has no img/ or groundtruth_rect*.txt; not a sequence", self.name, d
                )
                continue
            multi = [g for g in gts if g.name != "groundtruth_rect.txt"]
            names += [f"{d.name}.{g.name.split('.')[1]}" for g in multi] if multi else [d.name]
        if not names:
            raise DataError(f"{self.root}: no OTB sequence (<Seq>/img/ + groundtruth_rect.txt)")
        return names

    def attribute_file(self, folder: Path, name: str) -> Path:
        return folder / f"{name.replace('.', '-')}.txt"  # the toolkit's Jogging-1

    def _paths(self, name: str) -> tuple[Path, Path]:
        base, _, idx = name.partition(".")
        d = self.root / base
        gt = d / (f"groundtruth_rect.{idx}.txt" if idx else "groundtruth_rect.txt")
        return d, gt

    def _all_ground_truth(self, name: str) -> np.ndarray:
        return read_boxes(self._paths(name)[1], ground_truth=True)

    def ground_truth(self, name: str) -> np.ndarray:
        return self.first_frames(self._all_ground_truth(name))

    def frames(self, name: str) -> list[Path]:
        d, gt_file = self._paths(name)
        frames = check_numbered(list_files(d / "img", "*.jpg"))
        if not frames:
            raise DataError(f"sequence {name!r}: no .jpg frames in {d / 'img'}")
        n_gt = len(self._all_ground_truth(name))
        rng = RANGES.get(d.name.lower())
        if rng is not None and len(frames) != n_gt:
            frames = frames[rng[0] - 1 : rng[1]]
        check_count(gt_file, n_gt, "boxes", frames,
                    f" in {d / 'img'} (no official frame range is known for {d.name})")  # fmt: skip
        return list(self.first_frames(frames))

    def load_sequence(self, name: str) -> VideoSequence:
        frames = self.frames(name)
        gt = self.ground_truth(name)
        size = image_size(frames[0])
        x, y, w, h = gt[0]
        clip = frame_clip(frames, size)
        return VideoSequence(
            name,
            clip,
            BoxInit((x - 1, y - 1, w, h)),
            clip_meta(self.name, name, frames=frames),
        )


_OTB_SEQS = sorted({n.partition(".")[0] for n in Manifest.load("otb2015-all.json").sequences})
OTB_DATA = DataLayout(
    tree="""\
OTB100/
└── <Seq>/                      (100 targets in 98 folders)
    ├── img/0001.jpg …
    └── groundtruth_rect.txt    (Jogging, Skating2: groundtruth_rect.1.txt, .2.txt)""",
    variants=(
        Variant("official", ("*/img", "*/groundtruth_rect*.txt"), "one folder per sequence"),
        Variant(
            "nested",
            ("*/*/img", "*/*/groundtruth_rect*.txt"),
            "the sequence folders one level down (e.g. OTB100/OTB100/): pass that folder",
        ),
    ),
    obtain=Obtain(
        page="http://cvlab.hanyang.ac.kr/tracker_benchmark/datasets.html",
        archives=tuple(
            Archive(f"{s}.zip", f"http://cvlab.hanyang.ac.kr/tracker_benchmark/seq/{s}.zip")
            for s in _OTB_SEQS
        ),
    ),
    manifests={"all": "otb2015-all.json"},
    family="sot",
)
register_benchmark("otb2015", OTB, data=OTB_DATA, root="the folder holding the sequence folders")
