"""The golden checks have teeth: they accept what another processor or thread count changes (a
near-tie pixel, a tied arg-max) and report a real change of behaviour, naming the cell, the file
and the size of the difference. Hand-made digests check each tolerance at its edge; perturbed runs
of the embedded suite (a head parameter, a scorer option) check the whole way."""

from __future__ import annotations

import numpy as np
import pytest
from golden_content import (
    TOLERANCES,
    _rle,
    cell_key,
    check,
    compare_predictions,
    compare_summary,
    load_golden,
    run_cell,
)

T = TOLERANCES


def _map(shape, objects: dict[int, np.ndarray]) -> dict:
    return {"size": list(shape), "objects": {str(k): _rle(m) for k, m in objects.items()}}


def _square(shape, y0, x0, n) -> np.ndarray:
    m = np.zeros(shape, bool)
    m[y0 : y0 + n, x0 : x0 + n] = True
    return m


# ------------------------------------------------------------------------- masks, by hand


def test_mask_flips_within_the_fraction_pass_and_beyond_it_fail():
    shape = (120, 160)
    obj = _square(shape, 10, 10, 50)  # 2500 pixels: 2 % is 50
    was = {"a/00001.png": _map(shape, {1: obj})}
    near = obj.copy()
    near[10:12, 10:35] = False  # 50 pixels flipped: exactly the tolerance
    assert compare_predictions("c", "vos", was, {"a/00001.png": _map(shape, {1: near})}) == []
    far = near.copy()
    far[12, 10] = False  # 51 pixels
    (line,) = compare_predictions("c", "vos", was, {"a/00001.png": _map(shape, {1: far})})
    assert line.startswith("c: a/00001.png object 1: 51 of 2500 pixels differ (2.04 %")


def test_a_small_object_may_lose_a_few_pixels_but_not_its_place():
    shape = (40, 40)
    obj = _square(shape, 5, 5, 3)  # 9 pixels: the absolute allowance decides
    moved = _square(shape, 5, 6, 3)  # 6 pixels differ <= 16
    was = {"f.png": _map(shape, {1: obj})}
    assert compare_predictions("c", "vos", was, {"f.png": _map(shape, {1: moved})}) == []
    gone = _square(shape, 20, 20, 5)  # 9 + 25 pixels differ
    (line,) = compare_predictions("c", "vos", was, {"f.png": _map(shape, {1: gone})})
    assert "object 1: 34 of 25 pixels differ" in line


def test_an_object_that_appears_or_disappears_is_reported():
    shape = (60, 60)
    was = {"f.png": _map(shape, {1: _square(shape, 0, 0, 10)})}
    now = {"f.png": _map(shape, {1: _square(shape, 0, 0, 10), 2: _square(shape, 30, 30, 10)})}
    (line,) = compare_predictions("c", "vos", was, now)
    assert line == (
        "c: f.png object 2: 100 of 100 pixels differ (100.00 %; tolerance 2 % or 16 pixels)"
    )


# ---------------------------------------------------------------- text tables, by hand


def test_box_coordinates_within_the_pixel_tolerance():
    was = {"s.txt": {"rows": [[10.0, 20.0, 30.0, 40.0]]}}
    ok = {"s.txt": {"rows": [[10.02, 20.0, 30.0, 39.99]]}}
    bad = {"s.txt": {"rows": [[10.0, 20.5, 30.0, 40.0]]}}
    assert compare_predictions("c", "sot", was, ok) == []
    (line,) = compare_predictions("c", "sot", was, bad)
    assert (
        line == "c: s.txt line 1 column 2: 20.0 became 20.5 (pixels difference 0.5; tolerance 0.02)"
    )


def test_mot_ids_and_frames_are_exact_scores_within_their_tolerance():
    row = [1, 2, 10.0, 20.0, 30.0, 40.0, 0.5, -1, -1, -1]
    was = {"m.txt": {"rows": [row]}}
    other_id = {"m.txt": {"rows": [[1, 3, *row[2:]]]}}
    score = {"m.txt": {"rows": [[*row[:6], 0.5009, -1, -1, -1]]}}
    far_score = {"m.txt": {"rows": [[*row[:6], 0.52, -1, -1, -1]]}}
    assert compare_predictions("c", "mot", was, other_id) == [
        "c: m.txt line 1 column 2: 2 became 3"
    ]
    assert compare_predictions("c", "mot", was, score) == []
    (line,) = compare_predictions("c", "mot", was, far_score)
    assert "column 7: 0.5 became 0.52 (score difference 0.02" in line
    assert compare_predictions("c", "mot", was, {"m.txt": {"rows": []}}) == [
        "c: m.txt: 1 rows became 0"
    ]


def test_mots_masks_compare_by_pixels():
    shape = (50, 60)
    a, b = _square(shape, 5, 5, 20), _square(shape, 5, 5, 20)
    b[5, 5:9] = False  # 4 of 400 pixels
    c = _square(shape, 5, 15, 20)
    was = {"m.txt": {"rows": [[1, 2001, 2, 50, 60, _rle(a)]]}}
    assert (
        compare_predictions("c", "mots", was, {"m.txt": {"rows": [[1, 2001, 2, 50, 60, _rle(b)]]}})
        == []
    )
    (line,) = compare_predictions(
        "c", "mots", was, {"m.txt": {"rows": [[1, 2001, 2, 50, 60, _rle(c)]]}}
    )
    assert line.startswith("c: m.txt line 1 (frame 1, id 2001) mask: 400 of 400 pixels differ")


def _pose_rows(moves: dict[int, tuple[float, float]], n: int = 100) -> dict:
    rows = []
    for i in range(n):
        dx, ds = moves.get(i, (0.0, 0.0))
        rows.append([i // 15, i % 15, 50.0 + dx, 60.0, 0.8 + ds])
    return {"p.txt": {"rows": rows}}


def test_a_tied_arg_max_may_move_a_keypoint_a_cell_but_only_rarely():
    was = _pose_rows({})
    # two keypoints (2 %) jump 8 px with the same peak score: flipped arg-maxes, accepted
    assert (
        compare_predictions("c", "poseprop", was, _pose_rows({3: (8.0, 0.0), 7: (8.0, 0.0)})) == []
    )
    # the same jump with another score is no tie
    (line,) = compare_predictions("c", "poseprop", was, _pose_rows({3: (8.0, 0.01)}))
    assert line.startswith("c: p.txt line 4 (frame 0, joint 3): moved 8 px, score 0.8 -> 0.81")
    # three of 100 (over 2 %) is a change of behaviour, however tied
    (line,) = compare_predictions(
        "c", "poseprop", was, _pose_rows({i: (8.0, 0.0) for i in (1, 2, 3)})
    )
    assert line == (
        "c: p.txt: 3 of 100 keypoints moved as tied arg-maxes (up to 8 px); at most 2 % may"
    )
    # beyond tie_px it is never a tie
    (line,) = compare_predictions("c", "poseprop", was, _pose_rows({5: (T.tie_px + 1, 0.0)}))
    assert "moved 13 px" in line


def test_posetrack_json_keypoints_scores_and_ids():
    kps = [10.0, 20.0, 1.0, 30.0, 40.0, 0.0]
    ann = {"image_id": 1, "track_id": 4, "category_id": 1, "keypoints": kps, "scores": [0.9, 0.0],
           "score": 0.9, "bbox": [10.0, 20.0, 20.0, 20.0]}  # fmt: skip
    doc = {"images": [{"id": 1}], "annotations": [ann], "categories": []}
    was = {"v.json": {"json": doc}}

    def with_(**kw):
        return {"v.json": {"json": {**doc, "annotations": [{**ann, **kw}]}}}

    assert (
        compare_predictions("c", "posetrack", was, with_(keypoints=[10.01, 20.0, 1.0, *kps[3:]]))
        == []
    )
    assert compare_predictions("c", "posetrack", was, with_(track_id=5)) == [
        "c: v.json annotation 0 (image 1, track 4): track_id 4 became 5"
    ]
    (line,) = compare_predictions(
        "c", "posetrack", was, with_(keypoints=[13.0, 20.0, 1.0, *kps[3:]], scores=[0.8, 0.0])
    )
    assert line.startswith("c: v.json annotation 0 (image 1, track 4) joint 0: moved 3 px")
    (line,) = compare_predictions("c", "posetrack", was, with_(keypoints=[*kps[:2], 0.0, *kps[3:]]))
    assert line == "c: v.json annotation 0 (image 1, track 4) joint 0: visibility 1.0 became 0.0"


def test_vis_json_masks_and_scores():
    shape = (30, 40)
    seg = {"size": list(shape), "counts": _rle(_square(shape, 2, 2, 10))}
    far = {"size": list(shape), "counts": _rle(_square(shape, 15, 20, 10))}
    was = {
        "v.json": {
            "json": [{"video_id": 1, "category_id": 1, "score": 0.7, "segmentations": [seg, None]}]
        }
    }
    now = {
        "v.json": {
            "json": [{"video_id": 1, "category_id": 1, "score": 0.7, "segmentations": [far, None]}]
        }
    }
    (line,) = compare_predictions("c", "vis", was, now)
    assert line.startswith("c: v.json track 0 frame 0 mask: 200 of 100 pixels differ")


# ------------------------------------------------------------------ summaries, by hand


def test_summaries_exact_on_the_same_predictions_within_tolerance_otherwise():
    was = {"J": 0.9, "IDs": 10, "HOTA": float("nan")}
    near = {"J": 0.9 * (1 + 1e-4), "IDs": 11, "HOTA": float("nan")}
    assert compare_summary("c", was, near, same_predictions=False) == []
    lines = compare_summary("c", was, near, same_predictions=True)
    assert lines[0].startswith("c: summary J 0.9 became 0.9000900000000001 (difference 9e-05")
    assert lines[1] == "c: summary IDs 10 became 11 (count; tolerance 0)"
    far = {"J": 0.95, "IDs": 12, "HOTA": 0.5}
    lines = compare_summary("c", was, far, same_predictions=False)
    assert len(lines) == 3 and "IDs 10 became 12 (count; tolerance 1)" in lines[1]
    assert compare_summary("c", was, {"J": 0.9}, True) == [
        "c: summary fields ['HOTA', 'IDs', 'J'] became ['J']"
    ]


# -------------------------------------------------------- perturbed runs against the golden


@pytest.fixture(scope="module")
def golden():
    return load_golden()


def test_a_changed_vos_top_k_fails_its_golden_check(tmp_path, golden):
    key = cell_key("vos", "propagation", "synthetic-davis")
    now = run_cell("vos", "propagation", "synthetic-davis", tmp_path, {"head": {"topk": 5}})
    problems = check(key, "vos", golden["cells"][key], now)
    assert problems, "head.topk=5 went through the golden check unnoticed"
    masks = [p for p in problems if ".png object" in p]
    assert masks and all(p.startswith(f"{key}: synth-00/") for p in masks)
    assert all("pixels differ" in p and "%" in p for p in masks)


def test_a_changed_pose_decoding_fails_its_golden_check(tmp_path, golden):
    key = cell_key("poseprop", "pose-propagation", "synthetic-jhmdb")
    now = run_cell("poseprop", "pose-propagation", "synthetic-jhmdb", tmp_path,
                   {"head": {"decode_topk": 4}})  # fmt: skip
    problems = check(key, "poseprop", golden["cells"][key], now)
    # decode_topk leaves each peak (the score) as it was: only the flip budget catches it
    assert any("keypoints moved as tied arg-maxes" in p and ".txt" in p for p in problems), problems


def test_a_changed_scorer_option_fails_its_golden_check(tmp_path, golden):
    key = cell_key("vos", "propagation", "synthetic-youtubevos")
    now = run_cell("vos", "propagation", "synthetic-youtubevos", tmp_path,
                   {"benchmark": {"options": {"seen_categories": "ellipse"}}})  # fmt: skip
    was = golden["cells"][key]
    assert now["predictions"] == was["predictions"] or not check(
        key, "vos", {**was, "summary": now["summary"]}, now
    )  # the predictions are the golden ones; only the scoring changed
    problems = check(key, "vos", was, now)
    j_seen = [p for p in problems if "summary J-seen" in p]
    assert j_seen and j_seen[0].startswith(f"{key}: summary J-seen ")
    assert "(difference " in j_seen[0]
