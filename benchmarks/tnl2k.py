"""TNL2K (Wang et al., CVPR 2021: tracking by natural language): ``<root>/<seq>/imgs/*.jpg|png``,
``groundtruth.txt`` (``x, y, w, h`` per frame, comma-separated, 0-based pixels as released) and
``language.txt`` (the sentence describing the target, carried in the sequence metadata as
``language``; the heads here ignore it). The split is the folder given (the release ships the 700
test videos as ``TNL2K_test_subset``): every sequence folder under ``--data-root``.

Scoring: OPE with the frame rules of the official TNL2K MATLAB toolkit
(``wangxiao5791509/TNL2K_evaluation_toolkit``, whose ``calc_seq_err_robust.m`` and
``eval_tracker.m`` are LaSOT's; :func:`unibench.benchmarks.scorers.sot.toolkit_curves`): success AUC
over 21 IoU thresholds, precision@20 px and normalised precision. The toolkit's absent flags
(``annos/absent/<seq>.txt``, shipped with the toolkit, not the dataset) are exactly the frames whose
ground truth is ``0,0,0,0`` (checked on the 699 test sequences whose two files agree in length:
65,253 absent frames, every one all-zero, no all-zero frame not absent), so they are derived from
the ground truth here. ``--option protocol=pytracking`` gives pytracking's conventions (dataset
``tnl2k``: no ``target_visible``). ``--option attributes=DIR`` (the toolkit's ``annos/att`` folder,
from ``annos/annos.tar.gz``: ``<seq>_attribute.txt``, 17 lines of 0/1) adds the success AUC per
attribute, as the toolkit's per-attribute plots.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from unibench.benchmarks.base import check_count, register_benchmark
from unibench.benchmarks.data.folders import DataLayout, Obtain, Variant
from unibench.benchmarks.formats.boxes import read_boxes
from unibench.benchmarks.ope import Attribute, ToolkitOPEBenchmark

from unibench.datatypes import VideoSequence
from unibench.errors import DataError
from unibench.io import check_numbered, list_dirs, list_files, read_text


class TNL2K(ToolkitOPEBenchmark):
    toolkit_name = "TNL2K_evaluation_toolkit"
    pytracking_dataset = "tnl2k"
    # Evaluate_TNL2K_dataset.m's att_fig_name / att_name, its files' line order
    attributes = tuple(Attribute(c, n) for c, n in (
        ("CM", "Camera Motion"), ("ROT", "Rotation"), ("DEF", "Deformation"),
        ("FOC", "Full Occlusion"), ("IV", "Illumination Variation"), ("OV", "Out-of-View"),
        ("POC", "Partial Occlusion"), ("VC", "Viewpoint Change"), ("SV", "Scale Variation"),
        ("BC", "Background Clutter"), ("MB", "Motion Blur"), ("ARC", "Aspect Ratio Change"),
        ("LR", "Low Resolution"), ("FM", "Fast Motion"), ("AS", "Adversarial Samples"),
        ("TC", "Thermal Crossover"), ("MS", "Modality Switch"),
    ))  # fmt: skip
    attribute_files = "TNL2K_evaluation_toolkit/annos/att/<sequence>_attribute.txt, 17 lines of 0/1"

    def attribute_file(self, folder: Path, name: str) -> Path:
        return folder / f"{name}_attribute.txt"

    def __init__(self, root, split=None, sequences=None, name="tnl2k", options=None):
        self.options = self.scoring_options(options)
        self.open_folder(root, split, name, "test")  # the split is the folder given
        if sequences:
            found = self.discover_sequences()
            unknown = [n for n in sequences if n not in found]
            if unknown:
                raise DataError(f"{self.root}: no sequence {', '.join(unknown)}")
        self.select_sequences(sequences, self.root, "a folder with a groundtruth.txt")

    def discover_sequences(self) -> list[str]:
        return [n for n in list_dirs(self.root) if (self.root / n / "groundtruth.txt").is_file()]

    def _frames(self, name: str) -> list[Path]:
        d = self.root / name / "imgs"
        frames = list_files(d, "*.jpg", "*.png")
        frames = check_numbered(frames) if frames else frames
        if not frames:
            raise DataError(f"{d}: no .jpg or .png frames")
        return frames

    def ground_truth(self, name: str) -> np.ndarray:
        """The boxes, checked against the frames (so a long ground truth is named as such, not
        blamed on the predictions)."""
        f = self.root / name / "groundtruth.txt"
        gt = read_boxes(f, ground_truth=True)
        check_count(f, len(gt), "boxes", self._frames(name))
        return gt

    def absent(self, name: str, gt: np.ndarray) -> np.ndarray:
        """The toolkit's absent flags: ground truth ``0,0,0,0``."""
        return (gt == 0).all(1)

    def pytracking_visible(self, name: str, gt: np.ndarray) -> None:
        return None  # the tnl2k dataset classes of pytracking's descendants carry none

    def language(self, name: str) -> str:
        f = self.root / name / "language.txt"
        if not f.is_file():
            raise DataError(f"missing {f}: TNL2K describes every target in language.txt")
        return read_text(f).strip()

    def load_sequence(self, name: str) -> VideoSequence:
        d = self.root / name / "imgs"
        frames = self._frames(name)
        gt = self.ground_truth(name)
        seq = self._box_sequence(name, frames, gt[0], f"{name}|{d.resolve()}")
        seq.meta["language"] = self.language(name)
        return seq


TNL2K_DATA = DataLayout(
    tree="""\
TNL2K_test_subset/
└── <seq>/ (imgs/00001.png|jpg …, groundtruth.txt, language.txt)""",
    variants=(
        Variant("official", ("*/imgs", "*/groundtruth.txt"), "one folder per sequence"),
        Variant(
            "nested",
            ("*/*/imgs", "*/*/groundtruth.txt"),
            "the sequence folders one level down: pass that folder",
        ),
    ),
    obtain=Obtain(
        page="https://sites.google.com/view/langtrackbenchmark/",
        gate="manual download (Google Drive, Baidu Pan)",
        steps=(
            "download TNL2K_test_subset (700 videos) from the page (Google Drive or Baidu Pan)",
            "unpack it and pass the folder holding the sequence folders",
        ),
    ),
    manifests={"test": "tnl2k-test.json"},
    family="sot",
)
register_benchmark("tnl2k", TNL2K, data=TNL2K_DATA, root="the folder of the sequence folders")
