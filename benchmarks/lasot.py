"""LaSOT: ``<root>/<class>/<class>-<n>/img/00000001.jpg``, ``groundtruth.txt`` (comma-separated),
``full_occlusion.txt`` and ``out_of_view.txt`` (one comma-separated 0/1 line), the test split from
``testing_set.txt`` at the root (or ``split=all``: every sequence found).

Scoring: OPE with success AUC, precision@20 px and normalised precision (``NormPrecision``: the
LaSOT paper's ranking score, the area under the normalised-precision curve over 0…0.5;
``NormPrecision@0.2``: the value the toolkit's threshold ranking and pytracking print), with the
frame rules of the official MATLAB toolkit (``HengLan/LaSOT_Evaluation_Toolkit``,
:func:`unibench.benchmarks.scorers.sot.toolkit_curves`): the toolkit's absent flags are the frames
that are fully occluded or out of view; absent frames fail and the divisor is the whole sequence.
``--option protocol=pytracking`` (and ``exclude_invalid_frames=true``) gives pytracking's
conventions instead. ``--option attributes=DIR`` (the toolkit's ``annos/att`` folder: one line of 14
comma-separated 0/1 per sequence) adds the success AUC per attribute, each the mean curve of the
sequences carrying it, as the toolkit's per-attribute plots.
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


def _flags(path: Path, n: int) -> np.ndarray:
    if not path.is_file():
        raise DataError(f"missing {path}: expected one line of {n} comma-separated 0/1 flags")
    text = read_text(path).replace("\n", ",")
    try:
        vals = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise DataError(f"{path}: expected comma-separated 0/1 flags") from None
    if len(vals) != n:
        raise DataError(f"{path}: {len(vals)} flags for {n} frames")
    return np.asarray(vals, bool)


class LaSOT(ToolkitOPEBenchmark):
    toolkit_name = "LaSOT_Evaluation_Toolkit"
    # run_tracker_performance_evaluation.m's att_fig_name / att_name, its files' column order
    attributes = tuple(Attribute(c, n) for c, n in (
        ("IV", "Illumination Variation"), ("POC", "Partial Occlusion"), ("DEF", "Deformation"),
        ("MB", "Motion Blur"), ("CM", "Camera Motion"), ("ROT", "Rotation"),
        ("BC", "Background Clutter"), ("VC", "Viewpoint Change"), ("SV", "Scale Variation"),
        ("FOC", "Full Occlusion"), ("FM", "Fast Motion"), ("OV", "Out-of-View"),
        ("LR", "Low Resolution"), ("ARC", "Aspect Ratio Change"),
    ))  # fmt: skip
    attribute_files = "LaSOT_Evaluation_Toolkit/annos/att/<sequence>.txt, 14 comma-separated 0/1"

    def __init__(
        self, root, split: str | None = None, sequences=None, name: str = "lasot", options=None
    ):
        self.options = self.scoring_options(options)
        self.open_folder(root, split, name, "test", ("test", "all"))
        self.select_sequences(sequences)

    def discover_sequences(self) -> list[str]:
        if self.split == "test":
            f = self.root / "testing_set.txt"
            if not f.is_file():
                raise DataError(
                    f"{f} does not exist: the LaSOT test split lists its sequences "
                    f"there (or pass --split all)"
                )
            return [x.strip() for x in read_text(f).splitlines() if x.strip()]
        return sorted(
            n
            for c in list_dirs(self.root)
            for n in list_dirs(self.root / c)
            if (self.root / c / n / "groundtruth.txt").is_file()
        )

    def _dir(self, name: str) -> Path:
        return self.root / name.rsplit("-", 1)[0] / name

    def ground_truth(self, name: str) -> np.ndarray:
        return read_boxes(self._dir(name) / "groundtruth.txt", ground_truth=True)

    def absent(self, name: str, gt: np.ndarray) -> np.ndarray:
        """Fully occluded or out of view (the toolkit's ``annos/absent`` flags; pytracking's
        ``target_visible`` is their negation)."""
        d = self._dir(name)
        return _flags(d / "full_occlusion.txt", len(gt)) | _flags(d / "out_of_view.txt", len(gt))

    def load_sequence(self, name: str) -> VideoSequence:
        d = self._dir(name)
        frames = check_numbered(list_files(d / "img", "*.jpg"))
        gt = self.ground_truth(name)
        check_count(d / "groundtruth.txt", len(gt), "boxes", frames)
        return self._box_sequence(name, frames, gt[0], f"{name}|{d.resolve()}")


_LASOT_TREE = """\
LaSOT/
├── testing_set.txt                 (the 280 test sequences)
└── <class>/<class>-<n>/
    ├── img/00000001.jpg …
    ├── groundtruth.txt
    ├── full_occlusion.txt
    └── out_of_view.txt"""
_LASOT_VARIANTS = (
    Variant("official", ("*/*-*/img", "*/*-*/groundtruth.txt"), "per-class folders"),
    Variant(
        "flat",
        ("*-*/img", "*-*/groundtruth.txt"),
        "sequence folders directly under the root (no class folders)",
        repair="lasot-flat",
    ),
)
LASOT_DATA = DataLayout(
    tree=_LASOT_TREE,
    variants=_LASOT_VARIANTS,
    obtain=Obtain(
        page="http://vision.cs.stonybrook.edu/~lasot/download.html",
        gate="manual download (Google Drive, Baidu Pan, Hugging Face)",
        steps=(
            "download the test set (LaSOT_test or the 70 per-class zips) from the page (Google "
            "Drive, Baidu Pan or Hugging Face)",
            "unpack every class folder into DIR and put testing_set.txt (from the toolkit "
            "HengLan/LaSOT_Evaluation_Toolkit) at DIR/testing_set.txt",
        ),
    ),
    manifests={"test": "lasot-test.json"},
    unlisted="train (1120 videos) and all: no list pinned (the release's training_set.txt)",
    family="sot",
)
register_benchmark("lasot", LaSOT, data=LASOT_DATA, root="the folder holding the class folders")


class LaSOTExt(LaSOT):
    """LaSOT-ext (Fan et al., IJCV 2021): 150 sequences of 15 new classes in LaSOT's layout, all of
    them the test set (the release has no ``testing_set.txt``; one, where present, is read)."""

    toolkit = "the LaSOT MATLAB toolkit's frame rules; pytracking's extract_results (lasot_extension_subset) as an option"
    checked_by = (
        "tests/benchmarks/test_sot_toolkit_parity.py::test_lasot_ext_follows_the_lasot_toolkit",
        "tests/benchmarks/test_sot_toolkit_parity.py::test_pytracking_option_equals_extract_results",
    )

    pytracking_dataset = "lasot_extension_subset"  # pytracking's name: not 'lasot' rules

    def __init__(self, root, split=None, sequences=None, name="lasot-ext", options=None):
        root = Path(root)
        split = split or "test"
        if split == "test" and not (root / "testing_set.txt").is_file():
            split = "all"
        super().__init__(root, split, sequences, name, options)
        self.split = "test"


LASOT_EXT_DATA = DataLayout(
    tree=_LASOT_TREE.replace("(the 280 test sequences)", "(optional: the 150 extension sequences)"),
    variants=_LASOT_VARIANTS,
    obtain=Obtain(
        page="http://vision.cs.stonybrook.edu/~lasot/download.html",
        gate="manual download (Google Drive, Baidu Pan, Hugging Face)",
        steps=(
            "download the extension subset (15 classes × 10 sequences) from the page",
            "unpack the class folders into DIR",
        ),
    ),
    manifests={"test": "lasot-ext-test.json", "all": "lasot-ext-test.json"},
    family="sot",
)
register_benchmark(
    "lasot-ext", LaSOTExt, data=LASOT_EXT_DATA, root="the folder holding the class folders"
)
