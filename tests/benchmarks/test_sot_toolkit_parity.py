"""LaSOT, LaSOT-ext and TNL2K success/precision against their official toolkits and pytracking.

The reference figures below were produced once, outside the project, on exactly these files:

* **toolkit**: the LaSOT MATLAB toolkit (``HengLan/LaSOT_Evaluation_Toolkit``, ``utils/eval_tracker.m``,
  ``calc_seq_err_robust.m``, ``calc_rect_int.m``) and the TNL2K toolkit
  (``wangxiao5791509/TNL2K_evaluation_toolkit``, its own ``eval_tracker.m`` and
  ``calc_seq_err_robust.m``) run under GNU Octave 8 with ``norm_dst`` 0 and 1; the summary is
  ``plot_draw_save.m``'s (all-zero sequence rows dropped, mean over sequences, AUC = mean of the
  curve, precision = the curve at index 21). TNL2K's ``annos/absent`` file was written as the
  toolkit's own files are (1 exactly where the ground truth is 0,0,0,0).
* **pytracking**: ``pytracking/analysis/extract_results.py`` (visionml/pytracking master,
  ``exclude_invalid_frames`` False and True) with dataset names ``lasot``,
  ``lasot_extension_subset`` and ``tnl2k`` (no ``target_visible``, as the tnl2k dataset classes of
  pytracking's descendants); its curves are float32, hence the 1e-6 tolerance.

Sequence ``cat-1`` has an absent frame, a visible box touching the left edge (x = 0), a 0,0,0,0
frame flagged absent, zero-width predictions and a first prediction that is not the ground truth;
``cat-2`` adds a NaN row and a negative width (toolkit only: pytracking refuses such files).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from unibench.benchmarks.base import build_benchmark

from unibench.errors import ConfigError

GT_A = [
    (10, 10, 20, 20),
    (12, 10, 20, 20),
    (14, 10, 20, 20),
    (0, 10, 20, 20),
    (16, 12, 20, 20),
    (18, 12, 20, 22),
    (0, 0, 0, 0),
    (20, 14, 20, 22),
    (22, 14, 20, 22),
    (24, 16, 18, 20),
]
OCC_A = [0, 0, 1, 0, 0, 0, 1, 0, 0, 0]
OOV_A = [0, 0, 0, 0, 0, 1, 1, 0, 0, 0]
PRED_A = [
    (11, 11, 19, 19),
    (13, 11, 20, 20),
    (40, 40, 20, 20),
    (2, 10, 20, 20),
    (16, 12, 0, 20),
    (18, 12, 20, 22),
    (5, 5, 10, 10),
    (60, 14, 20, 22),
    (23, 15, 20, 22),
    (24, 16, 0, 20),
]
GT_B = [
    (30, 30, 10, 10),
    (31, 30, 10, 10),
    (32, 31, 10, 10),
    (33, 31, 10, 10),
    (34, 32, 10, 10),
    (35, 32, 10, 10),
]
OCC_B = [0] * 6
OOV_B = [0, 0, 0, 0, 0, 1]
PRED_B = [(30, 30, 10, 10), (31, 31, 10, 10), ("NaN", "NaN", "NaN", "NaN"), (36, 31, 9, 11),
          (35, 33, -10, 12), (80, 80, 10, 10)]  # fmt: skip

KEYS = ("AUC", "Precision", "SuccessRate", "NormPrecision", "NormPrecision@0.2")
# Octave runs of the two MATLAB toolkits (see the module docstring), cat-1 + cat-2
TOOLKIT = {
    "lasot": (0.4920634921, 0.7166666667, 0.6166666667, 0.5490196078, 0.5833333333),
    "tnl2k": (0.5396825397, 0.7666666667, 0.6666666667, 0.5990196078, 0.6333333333),
}
# pytracking extract_results, cat-1 only: (exclude_invalid_frames False, True)
PYTRACKING = {
    "lasot": (
        (0.3571428610, 0.5, 0.4000000060, 0.4705882370, 0.5),
        (0.5952381045, 0.8333333135, 0.6666666865, 0.7843137091, 0.8333333135),
    ),
    "lasot-ext": (
        (0.3571428610, 0.5, 0.4000000060, 0.7705882484, 0.8000000119),
        (0.5952381045, 0.8333333135, 0.6666666865, 1.2843137582, 1.3333333731),
    ),
    "tnl2k": (
        (0.4523809573, 0.6000000238, 0.5, 0.6705882257, 0.6999999881),
        (0.5654761905, 0.75, 0.625, 0.8382352941, 0.875),
    ),
}


def _write(path: Path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(",".join(str(v) for v in r) + "\n" for r in rows))


@pytest.fixture
def layouts(tmp_path):
    seqs = {"cat-1": (GT_A, OCC_A, OOV_A, PRED_A), "cat-2": (GT_B, OCC_B, OOV_B, PRED_B)}
    for s, (g, occ, oov, p) in seqs.items():
        d = tmp_path / "lasot" / "cat" / s
        _write(d / "groundtruth.txt", g)
        (d / "full_occlusion.txt").write_text(",".join(map(str, occ)))
        (d / "out_of_view.txt").write_text(",".join(map(str, oov)))
        _write(tmp_path / "tnl" / s / "groundtruth.txt", g)
        (tmp_path / "tnl" / s / "imgs").mkdir()
        for k in range(len(g)):
            Image.new("RGB", (8, 8)).save(tmp_path / "tnl" / s / "imgs" / f"{k + 1:05d}.png")
        _write(tmp_path / "pred" / f"{s}.txt", p)
    return tmp_path


def _summary(root: Path, bench: str, sequences, options=None) -> tuple[float, ...]:
    data = root / ("tnl" if bench == "tnl2k" else "lasot")
    split = None if bench == "tnl2k" else "all"
    b = build_benchmark(bench, data, split, sequences, options=options)
    t = b.evaluate(root / "pred")
    return tuple(t.summary[k] for k in KEYS)


@pytest.mark.parametrize("bench", ["lasot", "tnl2k"])
def test_default_protocol_equals_the_matlab_toolkit(layouts, bench):
    got = _summary(layouts, bench, None)
    assert got == pytest.approx(TOOLKIT[bench], abs=1e-9)


def test_lasot_ext_follows_the_lasot_toolkit(layouts):
    (layouts / "lasot-ext").symlink_to(layouts / "lasot")
    got = _summary(layouts, "lasot-ext", None)
    assert got == pytest.approx(TOOLKIT["lasot"], abs=1e-9)


@pytest.mark.parametrize("bench", ["lasot", "lasot-ext", "tnl2k"])
@pytest.mark.parametrize("exclude", [False, True])
def test_pytracking_option_equals_extract_results(layouts, bench, exclude):
    opts = {"protocol": "pytracking", "exclude_invalid_frames": exclude}
    got = _summary(layouts, bench, ("cat-1",), opts)
    assert got == pytest.approx(PYTRACKING[bench][int(exclude)], abs=1e-6)


def test_toolkit_carries_invalid_boxes_forward_and_counts_them(layouts):
    b = build_benchmark("lasot", layouts / "lasot", "all", None)
    t = b.evaluate(layouts / "pred")
    assert t.summary["invalid boxes"] == 4  # two zero widths, a NaN row, a negative width
    assert [r["invalid boxes"] for r in t.rows] == [2, 2]
    assert "LaSOT_Evaluation_Toolkit" in t.protocol


def test_options_are_checked(layouts):
    with pytest.raises(ConfigError, match="known: toolkit, pytracking"):
        build_benchmark("lasot", layouts / "lasot", "all", None, options={"protocol": "otb"})
    with pytest.raises(ConfigError, match="protocol=pytracking"):
        build_benchmark(
            "tnl2k", layouts / "tnl", None, None, options={"exclude_invalid_frames": True}
        )
