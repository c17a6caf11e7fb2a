"""Long-term SOT: OxUvA's TPR/TNR/MaxGM (hand-computed against the toolkit's definitions), the
presence flag from the heads' confidence, LaSOT-ext and TNL2K layouts."""

import math

import numpy as np
import pytest
from PIL import Image
from unibench.benchmarks import BENCHMARKS
from unibench.benchmarks.base import parse_options
from unibench.benchmarks.oxuva import (
    OxUvA,
    OxUvAOptions,
    assess_frame,
    iou_clip,
    max_gm_line,
    posthoc_max_gm,
    quality,
)

from unibench.errors import ConfigError, DataError


def test_frame_assessment_and_clipped_iou():
    box = (0.1, 0.3, 0.1, 0.3)
    assert assess_frame(True, box, True, box) == "TP"
    assert assess_frame(True, box, False, ()) == "FN"
    assert assess_frame(False, (), True, box) == "FP"
    assert assess_frame(False, (), False, ()) == "TN"
    # IoU exactly 0.5 is a true positive (>=); boxes are clipped to the image first
    assert iou_clip((0.0, 0.2, 0.0, 0.2), (0.0, 0.1, 0.0, 0.2)) == pytest.approx(0.5)
    assert assess_frame(True, (0.0, 0.2, 0.0, 0.2), True, (0.0, 0.1, 0.0, 0.2)) == "TP"
    assert iou_clip((-0.2, 0.2, 0.0, 0.2), (0.0, 0.2, 0.0, 0.2)) == pytest.approx(1.0)


def test_max_gm_line_hand_computed():
    # from (TNR, TPR) = (0, 0.5) to (1, 0): sqrt(th · 0.5 (1 − th)) peaks at th = 0.5
    assert max_gm_line(0.0, 0.5) == pytest.approx(math.sqrt(0.125))
    assert max_gm_line(0.5, 2 / 3) == pytest.approx(math.sqrt(1 / 3))  # the point itself
    assert max_gm_line(1.0, 0.0) == 0.0


def _layout(root):
    (root / "tasks").mkdir(parents=True)
    (root / "annotations").mkdir()
    (root / "tasks" / "dev.csv").write_text(
        "vA,obj0000,0,90,0.1,0.3,0.1,0.3\nvB,obj0000,0,60,0.4,0.6,0.4,0.6\n"
    )
    ann = [
        "vA,obj0000,1,cat,false,false,0,present,0.1,0.3,0.1,0.3",
        "vA,obj0000,1,cat,false,false,30,present,0.1,0.3,0.1,0.3",
        "vA,obj0000,1,cat,false,false,60,absent,,,,",
        "vA,obj0000,1,cat,false,false,90,present,0.5,0.7,0.5,0.7",
        "vB,obj0000,2,dog,false,false,0,present,0.4,0.6,0.4,0.6",
        "vB,obj0000,2,dog,false,false,30,absent,,,,",
        "vB,obj0000,2,dog,false,false,60,present,0.0,0.2,0.0,0.2",
    ]
    (root / "annotations" / "dev.csv").write_text("\n".join(ann) + "\n")
    for v, n in (("vA", 91), ("vB", 61)):
        d = root / "images" / "dev" / v
        d.mkdir(parents=True)
        for t in range(n):
            Image.fromarray(np.zeros((20, 40, 3), np.uint8)).save(d / f"{t:06d}.jpeg")
    return root


def test_oxuva_hand_case_pooled_counts_previous_prediction_and_posthoc(tmp_path):
    b = OxUvA(_layout(tmp_path / "ox"))
    pred = tmp_path / "pred"
    pred.mkdir()
    (pred / "vA_obj0000.csv").write_text(
        "vA,obj0000,30,present,0.9,0.1,0.3,0.1,0.3\n"  # TP
        "vA,obj0000,60,present,0.4,0.1,0.3,0.1,0.3\n"  # target absent: FP
        "vA,obj0000,75,present,0.8,0.5,0.7,0.5,0.7\n"  # no row at 90: this one is used: TP
    )
    (pred / "vB_obj0000.csv").write_text(
        "vB,obj0000,30,absent,0.2,0,0,0,0\n"  # TN
        "vB,obj0000,60,present,0.7,0.1,0.3,0.0,0.2\n"  # IoU 1/3: FN
    )
    s = b.evaluate(pred).summary
    assert (s["TP"], s["FN"], s["FP"], s["TN"]) == (2, 1, 1, 1)
    assert s["TPR"] == pytest.approx(2 / 3) and s["TNR"] == pytest.approx(0.5)
    assert s["GM"] == pytest.approx(math.sqrt(1 / 3)) and s["MaxGM"] == pytest.approx(
        math.sqrt(1 / 3)
    )
    # lowering the threshold: .9 (TP) .8 (TP) -> TPR 2/3, TNR 1: sqrt(2/3); then .4 (FP)
    assert s["PosthocMaxGM"] == pytest.approx(math.sqrt(2 / 3))
    (pred / "vB_obj0000.csv").write_text("vB,obj0000,45,absent,0.2,0,0,0,0\n")
    with pytest.raises(DataError, match="no prediction at or before labelled frame 30"):
        b.evaluate(pred)


# --- a transcription of the OxUvA toolkit's prediction reader (oxuva/long-term-tracking-benchmark,
# python/oxuva/io_pred.py load_predictions_csv + _dict_reader_optional_fieldnames, util.str2bool);
# the toolkit is not on PyPI, so its reader is transcribed here to check what UniBench writes
_OXUVA_FIELDS = ["video", "object", "frame_num", "present", "score", "xmin", "xmax", "ymin", "ymax"]


def _toolkit_str2bool(x):
    x = x.strip().lower()
    if x in ["t", "true", "y", "yes", "1"]:
        return True
    if x in ["f", "false", "n", "no", "0"]:
        return False
    raise ValueError(f"warning: unclear value: {x}")


def _toolkit_load_predictions_csv(fp):
    import csv

    reader = csv.DictReader(fp, fieldnames=None)
    if set(reader.fieldnames) != set(_OXUVA_FIELDS):
        fp.seek(0)
        reader = csv.DictReader(fp, fieldnames=_OXUVA_FIELDS)
    out = {}
    for row in reader:
        present = _toolkit_str2bool(row["present"])
        out[int(row["frame_num"])] = {
            "present": present,
            "score": float(row["score"]),
            **{k: float(row[k]) if present else None for k in ("xmin", "xmax", "ymin", "ymax")},
        }
    return out


def test_written_predictions_are_read_by_the_toolkit_reader(tmp_path):
    from unibench.datatypes import BoxFramePrediction

    b = OxUvA(_layout(tmp_path / "ox"), "dev", ["vB_obj0000"], options=parse_options(OxUvAOptions,
        {"presence_threshold": 0.5}))  # fmt: skip
    seq = b.load_sequence("vB_obj0000")
    preds = [BoxFramePrediction(i, (8.0, 4.0, 8.0, 4.0), score=0.3 + 0.01 * i) for i in range(61)]
    out = tmp_path / "vB_obj0000.csv"
    b.write_predictions(seq, preds, out)
    with open(out, newline="") as fp:
        read = _toolkit_load_predictions_csv(fp)  # raised "unclear value: present" before
    assert sorted(read) == list(range(1, 61))
    assert [read[t]["present"] for t in range(1, 61)] == [0.3 + 0.01 * i >= 0.5 for i in
                                                         range(1, 61)]  # fmt: skip
    assert read[30]["xmin"] == pytest.approx(0.2) and read[30]["ymax"] == pytest.approx(0.4)
    assert set(out.read_text().split(",")[3::8]) <= {"true", "false"}
    # UniBench reads the toolkit's own words (and the annotation words) back the same way
    mine = b.read_predictions(out)
    assert {t: p[0] for t, p in mine.items()} == {t: r["present"] for t, r in read.items()}
    for word, flag in [("T", True), ("yes", True), ("Y", True), ("1", True), ("present", True),
                       ("f", False), ("NO", False), ("n", False), ("0", False), ("absent", False)]:  # fmt: skip
        (tmp_path / "w.csv").write_text(f"vB,obj0000,30,{word},0.5,0.1,0.3,0.1,0.3\n")
        assert b.read_predictions(tmp_path / "w.csv")[30][0] is flag
    (tmp_path / "w.csv").write_text("vB,obj0000,30,maybe,0.5,0.1,0.3,0.1,0.3\n")
    with pytest.raises(DataError, match="w.csv:1: expected frame_num, present"):
        b.read_predictions(tmp_path / "w.csv")


def test_quality_and_posthoc_edge_cases():
    assert math.isnan(quality({"TP": 1, "FN": 0, "FP": 0, "TN": 0})["TNR"])  # no absent frame
    assert math.isnan(posthoc_max_gm([("TP", 1.0)]))


def test_presence_threshold_writes_flags_from_the_head_confidence(tmp_path):
    from unibench.appearance_models import create_model
    from unibench.heads import HEADS

    b = BENCHMARKS.get("oxuva")(_layout(tmp_path / "ox"), "dev", ["vB_obj0000"],
                                options={"presence_threshold": 0.5})  # fmt: skip
    seq = b.load_sequence("vB_obj0000")
    assert seq.init.box == pytest.approx((16.0, 8.0, 8.0, 4.0))  # normalised box to pixels
    ex, _ = create_model("pixels")
    head_cls = HEADS.get("xcorr")
    preds = list(head_cls(head_cls.Params()).track(seq, ex))
    assert all(np.isfinite(p.score) for p in preds)
    out = tmp_path / "vB_obj0000.csv"
    b.write_predictions(seq, preds, out)
    rows = [r.split(",") for r in out.read_text().splitlines()]
    assert len(rows) == 60 and rows[0][2] == "1"  # every frame after the given one
    for r, p in zip(rows, preds[1:], strict=True):
        assert (r[3] == "true") == (p.score >= 0.5) and float(r[4]) == pytest.approx(
            p.score, rel=1e-5
        )
    with pytest.raises(ConfigError, match="tau"):
        parse_options(OxUvAOptions, {"tau": 1})
    with pytest.raises(DataError, match="no public ground truth"):
        b2 = OxUvA.__new__(OxUvA)
        b2.split, b2._labels = "test", None
        b2.labels()


def test_oxuva_bad_files_name_file_and_line(tmp_path):
    root = _layout(tmp_path / "ox")
    (root / "tasks" / "dev.csv").write_text("vA,obj0000,0,90,0.1,0.3\n")
    with pytest.raises(DataError, match=r"dev.csv:1: expected 8 fields"):
        OxUvA(root)
    (root / "tasks" / "dev.csv").write_text("vA,obj0000,0,95,0.1,0.3,0.1,0.3\n")
    with pytest.raises(DataError, match="5 of 96 frames missing, first .*000091.jpeg"):
        OxUvA(root).load_sequence("vA_obj0000")


def test_lasot_ext_and_tnl2k_layouts(tmp_path):
    root = tmp_path / "ext"
    for name in ("atv-1", "atv-2"):
        d = root / "atv" / name
        (d / "img").mkdir(parents=True)
        for t in range(3):
            Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(d / "img" / f"{t + 1:08d}.jpg")
        (d / "groundtruth.txt").write_text("1,1,4,4\n" * 3)
        (d / "full_occlusion.txt").write_text("0,0,0")
        (d / "out_of_view.txt").write_text("0,1,0")
    b = BENCHMARKS.get("lasot-ext")(root, None, None)
    assert b.sequence_names() == ["atv-1", "atv-2"] and b.split == "test"
    t = tmp_path / "tnl"
    d = t / "Bike_video_1"
    (d / "imgs").mkdir(parents=True)
    for k in range(3):
        Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(d / "imgs" / f"{k:05d}.png")
    (d / "groundtruth.txt").write_text("1,1,4,4\n0,0,0,0\n2,2,4,4\n")
    (d / "language.txt").write_text("the white bike in the middle\n")
    tb = BENCHMARKS.get("tnl2k")(t, None, None)
    seq = tb.load_sequence("Bike_video_1")
    assert seq.meta["language"] == "the white bike in the middle"
    assert tb.absent("Bike_video_1", tb.ground_truth("Bike_video_1")).tolist() == [
        False,
        True,
        False,
    ]
    (d / "language.txt").unlink()
    with pytest.raises(DataError, match="language.txt"):
        tb.load_sequence("Bike_video_1")
