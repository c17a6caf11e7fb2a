"""PoseTrack18 adapter and the poseval-style MOTA, on hand-computed cases."""

import json

import numpy as np
import pytest
from unibench.benchmarks.posetrack import PoseTrack18
from unibench.benchmarks.scorers import posetrack as PM

from unibench.errors import DataError
from unibench.keypoints import POSETRACK18_KEYPOINTS

K = len(POSETRACK18_KEYPOINTS)
NOSE, LEFT_EAR = 0, 3
HEAD = (0.0, 0.0, 6.0, 8.0)  # head size 0.6 × 10 = 6 px: matches up to 3 px


def person(tid, joints, head=HEAD):
    """A person with the given joints ({index: (x, y)}) present."""
    k = np.zeros((K, 3))
    for j, (x, y) in joints.items():
        k[j] = (x, y, 1)
    return PM.PosePerson(tid, k, head)


def test_hand_case_switch_motp_and_last_frame_dropped():
    frames = [
        PM.PoseFrame([person(1, {NOSE: (10, 10)})], [person(7, {NOSE: (12, 10)})]),  # d = 2/6
        PM.PoseFrame([person(1, {NOSE: (10, 10)})], [person(8, {NOSE: (11, 10)})]),  # switch
        PM.PoseFrame([person(1, {NOSE: (10, 10)})], []),  # last labelled frame: dropped
    ]
    s, per = PM.evaluate({"v": frames})
    assert s["MOTA"] == pytest.approx(1 - 1 / 2)  # only the nose has ground truth
    assert s["IDs"] == 1 and s["FN"] == 0 and s["FP"] == 0
    assert s["MOTP"] == pytest.approx(1 - (2 / 6 + 1 / 6) / 2)
    assert s["IDF1"] == pytest.approx(2 * 1 / (2 + 2))  # one identity keeps one of two frames
    # poseval's group columns are plain means: head_bottom/head_top have no ground truth → NaN
    assert np.isnan(s["MOTA-Head"]) and np.isnan(s["MOTA-Knee"])
    assert per["v"]["MOTA"] == pytest.approx(0.5)


def test_distance_threshold_is_inclusive_and_normalised_by_head_size():
    at = [PM.PoseFrame([person(1, {NOSE: (0, 0)})], [person(1, {NOSE: (3, 0)})])] * 2
    beyond = [PM.PoseFrame([person(1, {NOSE: (0, 0)})], [person(1, {NOSE: (3.01, 0)})])] * 2
    assert PM.evaluate({"a": at})[0]["MOTA"] == pytest.approx(1.0)
    s = PM.evaluate({"b": beyond})[0]
    assert (s["FN"], s["FP"]) == (1, 1) and s["MOTA"] == pytest.approx(-1.0)
    big = (0.0, 0.0, 60.0, 80.0)  # head size 60: 3.01 px is close
    far = [PM.PoseFrame([person(1, {NOSE: (0, 0)}, big)], [person(1, {NOSE: (3.01, 0)})])] * 2
    assert PM.evaluate({"c": far})[0]["MOTA"] == pytest.approx(1.0)


def test_ignore_regions_remove_points_of_both_sides_and_ears_are_not_scored():
    square = np.array([[50, 50], [80, 50], [80, 80], [50, 80]], float)
    fr = PM.PoseFrame(
        [person(1, {NOSE: (10, 10)}), person(2, {NOSE: (60, 60)})],  # gt 2 lies in the region
        [person(5, {NOSE: (10, 10)}), person(6, {NOSE: (70, 70)}), person(9, {LEFT_EAR: (0, 0)})],
        [square],
    )
    s = PM.evaluate({"v": [fr, fr]})[0]
    assert (s["FN"], s["FP"], s["IDs"]) == (0, 0, 0) and s["MOTA"] == pytest.approx(1.0)
    assert PM.remove_ignored([person(2, {NOSE: (60, 60)})], [square]) == []


def test_per_joint_mean_over_joints_with_ground_truth():
    LS = POSETRACK18_KEYPOINTS.index("left_shoulder")
    gt = person(1, {NOSE: (0, 0), LS: (0, 20)})
    pr = person(3, {NOSE: (0, 0)})  # the shoulder is missed
    s = PM.evaluate({"v": [PM.PoseFrame([gt], [pr])] * 2})[0]
    assert s["MOTA"] == pytest.approx((1.0 + 0.0) / 2)
    assert s["Rec"] == pytest.approx(0.5) and s["Prec"] == pytest.approx(1.0)


def test_clear_accumulator_matches_py_motmetrics_on_random_sequences():
    mm = pytest.importorskip("motmetrics")
    rng = np.random.default_rng(0)
    for trial in range(20):
        ours, ref = PM.ClearAccumulator(), mm.MOTAccumulator(auto_id=True)
        for _ in range(15):
            oids = sorted(rng.choice(6, rng.integers(0, 5), replace=False).tolist())
            hids = sorted((10 + rng.choice(7, rng.integers(0, 5), replace=False)).tolist())
            d = rng.uniform(0, 1, (len(oids), len(hids)))
            d[rng.uniform(size=d.shape) < 0.5] = np.nan
            ours.update(oids, hids, d)
            ref.update(oids, hids, d)
        m = mm.metrics.create().compute(
            ref,
            metrics=[
                "num_objects",
                "num_misses",
                "num_false_positives",
                "num_switches",
                "num_detections",
                "idtp",
            ],
            return_dataframe=False,
        )
        got = (ours.objects, ours.misses, ours.fp, ours.switches, ours.matches)
        want = (
            m["num_objects"],
            m["num_misses"],
            m["num_false_positives"],
            m["num_switches"],
            m["num_detections"],
        )
        assert got == want, trial
        assert ours.id_true_positives() == m["idtp"], trial
        if ours.matches:
            ev = ref.mot_events  # without the RAW rows newer py-motmetrics adds to .events
            matched = ev[ev["Type"].isin(["MATCH", "SWITCH"])]
            assert ours.dist_sum == pytest.approx(matched["D"].sum()), trial
        # poseval's MOTP sums events['D'] of py-motmetrics >= 1.2: RAW and TRANSFER rows included
        total = ref.events["D"].sum()
        assert ours.events_dist_sum == pytest.approx(0.0 if np.isnan(total) else total), trial


# ---------------------------------------------------------------------------------- the adapter
def _video(root, name="000001_test", n=3, nframes=None, persons=2):
    (root / "annotations" / "val").mkdir(parents=True, exist_ok=True)
    images, anns = [], []
    for t in range(n):
        images.append(
            {
                "id": 100 + t,
                "frame_id": 100 + t,
                "file_name": f"images/val/{name}/{t:06d}.jpg",
                "nframes": nframes or n,
                "is_labeled": t != 1,
                "ignore_regions_x": [[90, 99, 99, 90]],
                "ignore_regions_y": [[0, 0, 9, 9]],
            }
        )
        for p in range(persons):
            k = np.zeros((K, 3))
            k[NOSE] = (10 + 30 * p, 20, 1)
            anns.append(
                {
                    "image_id": 100 + t,
                    "track_id": p,
                    "keypoints": k.ravel().tolist(),
                    "bbox_head": [0, 0, 6, 8],
                }
            )
    cats = [{"id": 1, "name": "person", "keypoints": list(POSETRACK18_KEYPOINTS)}]
    doc = {"images": images, "annotations": anns, "categories": cats}
    (root / "annotations" / "val" / f"{name}.json").write_text(json.dumps(doc))
    return doc


def test_ground_truth_scores_perfectly_and_frames_are_kept_by_content(tmp_path):
    doc = _video(tmp_path)
    b = PoseTrack18(tmp_path)
    frames = b.frames_for_scoring("000001_test", _write_pred(tmp_path, doc))
    assert [f.labeled for f in frames] == [True, False, True]
    assert [len(f.gt) for f in frames] == [2, 2, 2] and len(frames[0].ignore) == 1
    # poseval ignores is_labeled: frames with people are scored (the last dropped) …
    assert len(PM.scored_frames(frames, PM.PoseEvalOptions())) == 2
    # … the corrected rule takes the is_labeled frames (0 and 2), the last dropped
    assert len(PM.scored_frames(frames, PM.PoseEvalOptions(count_empty_frames=True))) == 1
    t = b.evaluate(tmp_path / "pred")
    assert t.summary["MOTA"] == pytest.approx(1.0) and t.summary["IDs"] == 0


def _write_pred(root, doc, mutate=None):
    anns = [dict(a) for a in doc["annotations"]]
    if mutate:
        mutate(anns)
    (root / "pred").mkdir(exist_ok=True)
    f = root / "pred" / "000001_test.json"
    f.write_text(json.dumps({**doc, "annotations": anns}))
    return f


def test_errors_name_the_file(tmp_path):
    doc = _video(tmp_path, nframes=50)
    with pytest.raises(DataError, match="nframes says"):
        PoseTrack18(tmp_path).frames_for_scoring("000001_test", tmp_path / "x.json")

    def bad(anns):
        anns[0]["keypoints"] = [1, 2, 3]

    f = _write_pred(tmp_path, doc, bad)
    with pytest.raises(DataError, match=r"000001_test.json: annotation 0: expected 51"):
        PoseTrack18(tmp_path, truncate=True).frames_for_scoring("000001_test", f)

    def stranger(anns):
        anns[0]["image_id"] = 999

    f = _write_pred(tmp_path, doc, stranger)
    with pytest.raises(DataError, match="image_id 999 is not a frame"):
        PoseTrack18(tmp_path, truncate=True).frames_for_scoring("000001_test", f)


@pytest.mark.realdata
def test_real_posetrack18_samples(realdata):
    root = realdata / "posetrack" / "posetrack18-samples"
    with pytest.raises(DataError, match="nframes says"):
        PoseTrack18(root).load_sequence("003418_mpii_test")  # 1 of 149 frames listed
    b = PoseTrack18(root, truncate=True)
    assert b.sequence_names() == ["003418_mpii_test", "009473_mpii_test", "012834_mpii_test"]
    gt = root / "annotations" / "val" / "012834_mpii_test.json"
    frames = b.frames_for_scoring("012834_mpii_test", gt)  # the gt re-read as a prediction
    assert len(frames) == 1 and len(frames[0].gt) == 11 and len(frames[0].ignore) > 0
    kept = PM.remove_ignored(frames[0].gt, frames[0].ignore)
    assert 0 < len(kept) <= 11
    # one labelled frame per video: poseval drops the last labelled frame, so nothing is scored
    assert np.isnan(PM.evaluate({"v": frames})[0]["MOTA"])
    det = PoseTrack18(root, truncate=True, detections=root / "dets")
    with pytest.raises(DataError, match="missing .*dets/003418_mpii_test.json"):
        det.load_sequence("003418_mpii_test")
