"""MOTS20 / KITTI-MOTS adapters and sMOTSA through TrackEval, on hand-built cases."""

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils
from unibench.benchmarks.formats.mots import read_mots_txt
from unibench.benchmarks.mots import MOTS20, KittiMOTS, resolve_overlaps

from unibench.errors import DataError

H, W = 20, 40


def rect(x0, x1, y0=0, y1=10):
    m = np.zeros((H, W), np.uint8)
    m[y0:y1, x0:x1] = 1
    return mask_utils.encode(np.asfortranarray(m))["counts"].decode()


def line(t, oid, cls, counts):
    return f"{t} {oid} {cls} {H} {W} {counts}\n"


def mots20(root, gt_lines, n=3, frames=True):
    d = root / "train" / "SEQ-01"
    (d / "gt").mkdir(parents=True)
    (d / "img1").mkdir()
    if frames:
        for t in range(n):
            Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(d / "img1" / f"{t + 1:06d}.jpg")
    (d / "seqinfo.ini").write_text(f"[Sequence]\nname=SEQ-01\nseqLength={n}\nimExt=.jpg\n")
    (d / "gt" / "gt.txt").write_text("".join(gt_lines))
    return MOTS20(root)


def write_pred(root, lines):
    (root / "pred").mkdir(exist_ok=True)
    (root / "pred" / "SEQ-01.txt").write_text("".join(lines))
    return root / "pred"


def test_smotsa_hand_case_with_switch_soft_tp_and_ignore_region(tmp_path):
    # two pedestrians over three frames; an ignore region on the right
    gt = []
    for t in (1, 2, 3):
        gt += [line(t, 2001, 2, rect(0, 10)), line(t, 2002, 2, rect(20, 30))]
        gt.append(line(t, 10000, 10, rect(32, 40)))
    b = mots20(tmp_path, gt)
    pred = [
        line(1, 2001, 2, rect(0, 10)),
        line(1, 2002, 2, rect(20, 28)),  # IoU 0.8
        line(2, 2001, 2, rect(0, 10)),
        line(2, 2002, 2, rect(20, 30)),
        line(3, 2005, 2, rect(0, 10)),  # a new id for object 1: one switch
        line(3, 2002, 2, rect(20, 30)),
        line(3, 2009, 2, rect(33, 39)),  # inside the ignore region: removed, not a FP
        line(2, 2007, 2, rect(11, 19)),  # a real false positive
    ]
    t = b.evaluate(write_pred(tmp_path, pred))
    s = t.summary
    assert (s["FP"], s["FN"], s["IDs"]) == (1, 0, 1)
    assert s["MOTSA"] == pytest.approx(1 - (0 + 1 + 1) / 6)
    assert s["sMOTSA"] == pytest.approx((5 + 0.8 - 1 - 1) / 6)
    assert s["IDF1"] == pytest.approx(2 * 5 / (6 + 7))


def test_ground_truth_scores_perfectly_and_no_frames_needed_for_scoring(tmp_path):
    gt = [line(t, 2001, 2, rect(0, 10)) for t in (1, 2, 3)]
    b = mots20(tmp_path, gt, frames=False)
    s = b.evaluate(write_pred(tmp_path, gt)).summary
    assert s["sMOTSA"] == pytest.approx(1.0) and s["HOTA"] == pytest.approx(1.0)


def test_errors_name_file_and_line(tmp_path):
    f = tmp_path / "x.txt"
    f.write_text(f"1 2001 2 {H} {W} abc\n1 2002 2 {H}\n")
    with pytest.raises(DataError, match=r"x.txt:2: expected 'frame id class height width rle'"):
        read_mots_txt(f)
    b = mots20(tmp_path, [line(5, 2001, 2, rect(0, 10))], n=3, frames=False)
    with pytest.raises(DataError, match="frame 5 outside the sequence's 3 frames"):
        b.evaluate(write_pred(tmp_path, []))
    overlapping = [line(1, 2001, 2, rect(0, 10)), line(1, 2002, 2, rect(5, 15))]
    b2 = mots20(tmp_path / "b", [line(1, 2001, 2, rect(0, 10))], frames=False)
    with pytest.raises(DataError, match="SEQ-01.txt: frame 1: masks overlap"):
        b2.evaluate(write_pred(tmp_path / "b", overlapping))


def test_seqinfo_length_mismatch_is_an_error(tmp_path):
    b = mots20(tmp_path, [], n=3)
    (tmp_path / "train" / "SEQ-01" / "img1" / "000003.jpg").unlink()
    with pytest.raises(DataError, match="seqLength=3 but .* holds 2 frames"):
        b.frames("SEQ-01")


def test_resolve_overlaps_gives_pixels_to_the_higher_score():
    a, b = ({"size": [H, W], "counts": rect(*r).encode()} for r in ((0, 10), (5, 15)))
    out = resolve_overlaps([a, b], np.array([0.2, 0.9]))
    assert mask_utils.area(out[1]) == 100 and mask_utils.area(out[0]) == 50
    assert resolve_overlaps([a, a], np.array([0.9, 0.1]))[1] is None


def test_kitti_mots_zero_based_frames_two_classes_and_seqmap(tmp_path):
    (tmp_path / "instances_txt").mkdir()
    gt = [line(t, 1001, 1, rect(0, 10)) + line(t, 2001, 2, rect(20, 30)) for t in (0, 1)]
    (tmp_path / "instances_txt" / "0002.txt").write_text("".join(gt))
    (tmp_path / "val.seqmap").write_text("0002 empty 000000 000001\n")
    b = KittiMOTS(tmp_path, "val", ["0002"])
    pred = [line(0, 1001, 1, rect(0, 10)), line(1, 1001, 1, rect(0, 10))]  # cars only
    (tmp_path / "pred").mkdir()
    (tmp_path / "pred" / "0002.txt").write_text("".join(pred))
    s = b.evaluate(tmp_path / "pred").summary
    assert s["car/sMOTSA"] == pytest.approx(1.0) and s["pedestrian/sMOTSA"] == pytest.approx(0.0)
    assert s["sMOTSA"] == pytest.approx(0.5)  # the class mean
    # a val sequence without frames or a seqmap line: its length is the manifest's (the MOTS
    # tools' val.seqmap), and its missing ground truth is the error
    b6 = KittiMOTS(tmp_path, "val", ["0006"])
    assert b6.n_frames("0006") == 270
    with pytest.raises(
        DataError, match=r"missing .*instances_txt/0006.txt: kitti-mots val is scored"
    ):
        b6.evaluate(tmp_path / "pred")
    with pytest.raises(DataError, match="no line for it in .* and not in the val split's manifest"):
        KittiMOTS(tmp_path, "val", ["0099"]).evaluate(tmp_path / "pred")
    assert KittiMOTS(tmp_path, "fulltrain", None).sequence_names() == [
        f"{i:04d}" for i in range(21)
    ]


def test_synthetic_mots_suite_reads_back(tmp_path):
    from unibench.benchmarks.synthetic.scene import default_scenes
    from unibench.benchmarks.synthetic.writers import write_mots

    write_mots(default_scenes(0), tmp_path)
    b = MOTS20(tmp_path)
    seq = b.load_sequence(b.sequence_names()[0])
    assert seq.init.masks is not None and len(seq.init.masks) == len(seq.clip) == 30
    n_det = sum(len(m) for m in seq.init.masks)
    assert n_det > 0 and all(
        len(c) == len(m) for c, m in zip(seq.init.classes, seq.init.masks, strict=True)
    )
    # ground truth scored against itself; the ignore rows (class 10) are not objects
    pred = tmp_path / "pred"
    pred.mkdir()
    for name in b.sequence_names():
        rows = read_mots_txt(b.gt_file(name))
        txt = "".join(f"{r[0]} {r[1]} {r[2]} {r[3]} {r[4]} {r[5]}\n" for r in rows if r[2] != 10)
        (pred / f"{name}.txt").write_text(txt)
    s = b.evaluate(pred).summary
    assert s["sMOTSA"] == pytest.approx(1.0) and s["IDF1"] == pytest.approx(1.0)


def test_multi_class_benchmarks_turn_the_class_gate_on():
    from unibench.app.pipeline import resolve_config

    for bench, task in (("kitti-mots", "mots"), ("bdd100k-mot", "mot"), ("bdd100k-mots", "mots")):
        cfg = resolve_config({"task": task, "benchmark": {"name": bench}})
        assert cfg.head_params.class_gate is True, bench
        assert cfg.provenance["head.params.class_gate"].startswith("benchmark defaults"), bench
    assert resolve_config({"task": "mots"}).head_params.class_gate is False


def test_kitti_mots_reads_png_frames_and_detection_files(tmp_path):
    img = tmp_path / "training" / "image_02" / "0002"
    img.mkdir(parents=True)
    for t in range(2):
        Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(img / f"{t:06d}.png")
    (tmp_path / "instances_txt").mkdir()
    (tmp_path / "instances_txt" / "0002.txt").write_text(line(0, 1001, 1, rect(0, 10)))
    dets = tmp_path / "dets"
    dets.mkdir()
    (dets / "0002.txt").write_text(
        line(0, -1, 1, rect(0, 10)).strip()
        + " 0.9\n"
        + line(1, -1, 2, rect(20, 30)).strip()
        + " 0.7\n"
        + line(1, -1, 10, rect(30, 40))  # an ignore-class detection is not an observation
    )
    with pytest.raises(DataError, match="no public detections"):
        KittiMOTS(tmp_path, "val", ["0002"]).load_sequence("0002")
    seq = KittiMOTS(tmp_path, "val", ["0002"], detections=dets).load_sequence("0002")
    assert len(seq.clip) == 2 and seq.meta["frame_rate"] == 10
    assert [list(c) for c in seq.init.classes] == [[1], [2]]
    assert seq.init.boxes[1][0].tolist() == [20, 0, 10, 10, 0.7]
    assert KittiMOTS(tmp_path, "val", ["0002"]).n_frames("0002") == 2  # from the frames
