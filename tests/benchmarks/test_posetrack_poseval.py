"""PoseTrack18 MOTA against the official poseval on its edge cases.

The files are built here. The expected numbers were printed by the unmodified official poseval
(leonid-pishchulin/poseval, Python 3 version, with py-motmetrics 1.4 and shapely) run on exactly these
files (``python -m poseval.evaluate -g gt/ -p pred/ -t``); poseval is not on PyPI, so its figures are
recorded here rather than computed in the test. The corrected variants are checked by hand.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from unibench.benchmarks.posetrack import PoseTrack18
from unibench.benchmarks.scorers import posetrack as PM

from unibench.errors import DataError
from unibench.keypoints import POSETRACK18_KEYPOINTS

NAMES = list(POSETRACK18_KEYPOINTS)
J = {n: i for i, n in enumerate(NAMES)}
VIDEO = "000001_mpii_test"
T = 6
HEAD = 20.0  # head box 20 × 20: head size 0.6·√800 = 16.97 px, threshold 8.49 px
# a standing person, offsets from its centre (x, y) per keypoint; the ears are never annotated
SKELETON = {
    "nose": (0, -40), "head_bottom": (0, -30), "head_top": (0, -55),
    "left_shoulder": (12, -25), "right_shoulder": (-12, -25),
    "left_elbow": (18, -5), "right_elbow": (-18, -5),
    "left_wrist": (20, 12), "right_wrist": (-20, 12),
    "left_hip": (8, 10), "right_hip": (-8, 10),
    "left_knee": (9, 35), "right_knee": (-9, 35),
    "left_ankle": (10, 60), "right_ankle": (-10, 60),
}  # fmt: skip
CENTRES = {0: (60, 100), 1: (160, 100), 2: (260, 100)}  # persons A, B, C; they walk right
CATEGORIES = [{"id": 1, "name": "person", "supercategory": "person", "keypoints": NAMES}]


def _image_id(t: int) -> int:
    return 10_000_010_000 + t  # poseval's id scheme for 000001_mpii


def _pose(centre, t, jitter=None, drop=(), dx=0.0):
    k = np.zeros((len(NAMES), 3))
    for n, (ox, oy) in SKELETON.items():
        if n in drop:
            continue
        k[J[n]] = (centre[0] + ox + 3 * t + dx, centre[1] + oy, 1)
    if jitter is not None:
        present = k[:, 2] > 0
        k[present, :2] += jitter[present]
    return k


def main_case() -> tuple[dict, dict]:
    """Ground truth and prediction: jitter, a joint beyond threshold, a missed person, an ID swap,
    a false positive, an ignore polygon, missing joints."""
    rng = np.random.default_rng(3)
    images, gt, pred = [], [], []
    for t in range(T):
        image = {
            "id": _image_id(t),
            "file_name": f"images/val/{VIDEO}/{t:06d}.jpg",
            "frame_id": _image_id(t),
            "vid_id": "000001",
            "nframes": T,
            "is_labeled": True,
        }
        if t == 2:  # covers person C's right arm and the false positive's home
            image["ignore_regions_x"] = [[225, 250, 250, 225]]
            image["ignore_regions_y"] = [[70, 70, 125, 125]]
        images.append(image)
        for p, c in CENTRES.items():
            k = _pose(c, t, drop=("left_ankle",) if p == 0 else ())  # A's ankle never annotated
            x, y = k[J["head_top"], :2]
            gt.append({"image_id": _image_id(t), "track_id": p, "category_id": 1,
                       "keypoints": k.ravel().tolist(), "bbox_head": [x - 10, y, HEAD, HEAD]})  # fmt: skip
        for p, c in CENTRES.items():
            if p == 2 and t == 1:
                continue  # C is missed in frame 1
            k = _pose(c, t, jitter=rng.uniform(-2, 2, (len(NAMES), 2)),
                      drop=("nose",) if (p == 1 and t == 0) else ())  # fmt: skip
            if p == 0 and t == 2:
                k[J["right_wrist"], 0] += 12  # beyond the threshold
            tid = {0: 10, 1: 11 if t < 3 else 12, 2: 13}[p]  # B's prediction changes id at t=3
            pred.append({"image_id": _image_id(t), "track_id": tid, "category_id": 1,
                         "keypoints": k.ravel().tolist(), "scores": k[:, 2].tolist()})  # fmt: skip
        if t in (2, 4):  # a false positive far from everyone (inside the ignore polygon at t=2)
            k = _pose((238 - 3 * t, 140), t, drop=tuple(SKELETON)[3:])
            pred.append({"image_id": _image_id(t), "track_id": 99, "category_id": 1,
                         "keypoints": k.ravel().tolist(), "scores": k[:, 2].tolist()})  # fmt: skip
    doc = {"images": images, "annotations": gt, "categories": CATEGORIES}
    pdoc = {"images": copy.deepcopy(images), "annotations": pred, "categories": CATEGORIES}
    return doc, pdoc


def _annotation(doc, t, track):
    return next(
        a for a in doc["annotations"] if a["image_id"] == _image_id(t) and a["track_id"] == track
    )


def empty_prediction_frame():
    """Frame 3 of the tracker output has no person."""
    gt, pr = main_case()
    pr["annotations"] = [a for a in pr["annotations"] if a["image_id"] != _image_id(3)]
    return gt, pr


def predicted_visibility_zero():
    """A predicted joint with visibility 0 whose coordinates are kept (right knee of A, frame 1)."""
    gt, pr = main_case()
    a = _annotation(pr, 1, 10)
    a["keypoints"][3 * J["right_knee"] + 2] = 0
    return gt, pr


def ground_truth_visibility_zero():
    """A ground-truth joint with visibility 0 whose coordinates are kept (left elbow of B, frame 2)."""
    gt, pr = main_case()
    a = _annotation(gt, 2, 1)
    a["keypoints"][3 * J["left_elbow"] + 2] = 0
    return gt, pr


def labelled_frame_without_people():
    """The last frame is labelled but its ground truth lists nobody."""
    gt, pr = main_case()
    gt["annotations"] = [a for a in gt["annotations"] if a["image_id"] != _image_id(T - 1)]
    return gt, pr


CASES = {
    "main": main_case,
    "empty_prediction_frame": empty_prediction_frame,
    "predicted_visibility_zero": predicted_visibility_zero,
    "ground_truth_visibility_zero": ground_truth_visibility_zero,
    "labelled_frame_without_people": labelled_frame_without_people,
}


def write_case(root: Path, name: str) -> tuple[Path, Path]:
    gt, pr = CASES[name]()
    (root / "annotations" / "val").mkdir(parents=True, exist_ok=True)
    (root / "pred").mkdir(exist_ok=True)
    (root / "annotations" / "val" / f"{VIDEO}.json").write_text(json.dumps(gt))
    (root / "pred" / f"{VIDEO}.json").write_text(json.dumps(pr))
    return root / "annotations" / "val", root / "pred"


# poseval's printed figures on these files (percent): total MOTA, MOTP Total, Prec Total, Rec Total,
# and MOTA per joint in poseval's joint order
POSEVAL_JOINTS = ("right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle",
                  "right_wrist", "right_elbow", "right_shoulder", "left_shoulder", "left_elbow",
                  "left_wrist", "head_bottom", "nose", "head_top")  # fmt: skip
_MAIN_JOINTS = (86.666667, 86.666667, 86.666667, 86.666667, 86.666667, 30.0, 71.428571, 85.714286,
                86.666667, 86.666667, 86.666667, 86.666667, 80.0, 73.333333, 80.0)  # fmt: skip
POSEVAL = {
    "main": (80.031746, 82.069432, 95.741148, 92.126984, _MAIN_JOINTS),
    "empty_prediction_frame": (
        61.851852, 82.022136, 87.241647, 82.920228,
        (69.230769, 69.230769, 69.230769, 69.230769, 69.230769, 11.111111, 50.0, 66.666667,
         69.230769, 69.230769, 69.230769, 69.230769, 61.538462, 53.846154, 61.538462),
    ),
    "predicted_visibility_zero": (80.031746, 82.069432, 95.741148, 92.126984, _MAIN_JOINTS),
    "ground_truth_visibility_zero": (80.031746, 82.069432, 95.741148, 92.126984, _MAIN_JOINTS),
    "labelled_frame_without_people": (
        77.474747, 82.005843, 96.909091, 90.126263,
        (83.333333, 83.333333, 83.333333, 83.333333, 83.333333, 25.0, 63.636364, 81.818182,
         83.333333, 83.333333, 83.333333, 83.333333, 83.333333, 75.0, 83.333333),
    ),
}  # fmt: skip
CORRECTED = PM.PoseEvalOptions(strict_visibility=True, count_empty_frames=True)


def _score(tmp_path, name, options=None):
    gt_dir, pred_dir = write_case(tmp_path, name)
    bench = PoseTrack18(tmp_path, options=options)
    table = bench.evaluate(pred_dir)
    frames = bench.frames_for_scoring(VIDEO, pred_dir / f"{VIDEO}.json")
    joints = {}
    for j, acc in PM.sequence_counts(frames, options).items():
        c = PM.JointCounts()
        c.add(acc)
        joints[NAMES[j]] = PM.joint_rates(c)
    return table.summary, joints


@pytest.mark.parametrize("name", list(POSEVAL))
def test_default_scoring_equals_poseval(tmp_path, name):
    s, joints = _score(tmp_path, name)
    mota, motp, prec, rec, per_joint = POSEVAL[name]
    assert 100 * s["MOTA"] == pytest.approx(mota, abs=1e-5)
    assert 100 * s["MOTP-poseval"] == pytest.approx(motp, abs=1e-5)
    assert 100 * s["Prec"] == pytest.approx(prec, abs=1e-5)
    assert 100 * s["Rec"] == pytest.approx(rec, abs=1e-5)
    got = [100 * joints[n]["MOTA"] for n in POSEVAL_JOINTS]
    assert got == pytest.approx(list(per_joint), abs=1e-5)
    # poseval's group columns: Head = (head_top, neck, nose), Ankl = both ankles, …
    assert 100 * s["MOTA-Ankl"] == pytest.approx((per_joint[0] + per_joint[5]) / 2, abs=1e-5)


def test_main_case_counts_and_the_correct_motp(tmp_path):
    s, joints = _score(tmp_path, "main")
    # B changes id at frame 3: one switch on each of its 15 joints
    assert (s["IDs"], s["FP"], s["FN"]) == (15, 9, 17)
    assert isinstance(s["IDs"], int) and isinstance(s["FN"], int)
    # MOTP from matched pairs only: below poseval's figure, which also sums RAW/TRANSFER rows
    assert 100 * s["MOTP"] == pytest.approx(91.362421, abs=1e-5)
    assert s["MOTP"] > s["MOTP-poseval"]


def test_empty_prediction_frame_dummy_pair_or_counted(tmp_path):
    d, _ = _score(tmp_path, "empty_prediction_frame")
    c, _ = _score(tmp_path, "empty_prediction_frame", PM.PoseEvalOptions(count_empty_frames=True))
    # frame 3 holds 3 persons, 44 annotated joints (A never has its left ankle): poseval counts
    # one dummy miss and one dummy false positive per joint instead (15 + 15)
    assert c["FN"] - d["FN"] == 44 - 15
    assert d["FP"] - c["FP"] == 15
    assert 100 * c["MOTA"] == pytest.approx(60.507937, abs=1e-5)


@pytest.mark.parametrize(
    "name, dfn, dfp",
    [("predicted_visibility_zero", 1, 0), ("ground_truth_visibility_zero", 0, 1)],
)
def test_strict_visibility_drops_flagged_points(tmp_path, name, dfn, dfp):
    d, _ = _score(tmp_path, name)
    s, _ = _score(tmp_path, name, PM.PoseEvalOptions(strict_visibility=True))
    # predicted knee absent → one more miss; ground-truth elbow absent → the prediction's elbow is a
    # false positive
    assert (s["FN"] - d["FN"], s["FP"] - d["FP"]) == (dfn, dfp)
    assert s["MOTA"] < d["MOTA"]


def test_count_empty_frames_keeps_labelled_frames_and_moves_the_dropped_frame(tmp_path):
    main, _ = _score(tmp_path / "a", "main")
    d, _ = _score(tmp_path / "b", "labelled_frame_without_people")
    c, _ = _score(tmp_path / "b", "labelled_frame_without_people", CORRECTED)
    # poseval drops frame 4 (the last with people); the corrected rule scores frames 0..4 like main
    assert d["MOTA"] != pytest.approx(main["MOTA"])
    assert c == pytest.approx(main, nan_ok=True)


def test_keypoint_order_is_read_from_each_file(tmp_path):
    gt_dir, pred_dir = write_case(tmp_path, "main")
    f = pred_dir / f"{VIDEO}.json"
    doc = json.loads(f.read_text())
    perm = np.random.default_rng(0).permutation(len(NAMES))
    doc["categories"] = [{**CATEGORIES[0], "keypoints": [NAMES[i] for i in perm]}]
    for a in doc["annotations"]:
        k = np.asarray(a["keypoints"]).reshape(-1, 3)
        a["keypoints"] = k[perm].ravel().tolist()
    f.write_text(json.dumps(doc))
    s = PoseTrack18(tmp_path).evaluate(pred_dir).summary
    assert 100 * s["MOTA"] == pytest.approx(POSEVAL["main"][0], abs=1e-5)
    doc["categories"][0]["keypoints"] = NAMES[:14]
    f.write_text(json.dumps(doc))
    with pytest.raises(DataError, match="15 or 17 keypoint names"):
        PoseTrack18(tmp_path).evaluate(pred_dir)
    doc["categories"][0]["keypoints"] = ["elbow" if n == "nose" else n for n in NAMES]
    f.write_text(json.dumps(doc))
    with pytest.raises(DataError, match="lacks nose"):
        PoseTrack18(tmp_path).evaluate(pred_dir)


def test_frames_are_paired_by_position_and_disagreement_is_an_error(tmp_path):
    _, pred_dir = write_case(tmp_path, "main")
    f = pred_dir / f"{VIDEO}.json"
    doc = json.loads(f.read_text())
    doc["images"] = doc["images"][::-1]
    f.write_text(json.dumps(doc))
    with pytest.raises(DataError, match=r"images\[0\] has id .* ground truth's order"):
        PoseTrack18(tmp_path).evaluate(pred_dir)
    doc["images"] = doc["images"][:-1]
    f.write_text(json.dumps(doc))
    with pytest.raises(DataError, match="5 images listed, the ground truth .* lists 6"):
        PoseTrack18(tmp_path).evaluate(pred_dir)
    del doc["images"]
    f.write_text(json.dumps(doc))
    with pytest.raises(DataError, match="expected 'images'"):
        PoseTrack18(tmp_path).evaluate(pred_dir)


def test_duplicate_track_in_a_frame_is_an_error(tmp_path):
    _, pred_dir = write_case(tmp_path, "main")
    f = pred_dir / f"{VIDEO}.json"
    doc = json.loads(f.read_text())
    doc["annotations"].append(dict(doc["annotations"][0]))
    f.write_text(json.dumps(doc))
    with pytest.raises(DataError, match="track_id 10 appears twice"):
        PoseTrack18(tmp_path).evaluate(pred_dir)


def test_options_reach_the_benchmark_through_the_config(tmp_path):
    from unibench.benchmarks.base import build_benchmark

    from unibench.errors import ConfigError

    write_case(tmp_path, "main")
    b = build_benchmark("posetrack18", tmp_path, None, None, options={"strict_visibility": True})
    assert b.options == PM.PoseEvalOptions(strict_visibility=True)
    with pytest.raises(ConfigError, match="unknown key 'benchmark.options.strict'"):
        build_benchmark("posetrack18", tmp_path, None, None, options={"strict": True})
    with pytest.raises(ConfigError, match="takes no scoring options"):
        build_benchmark("davis2017", None, None, None, options={"strict_visibility": True})
