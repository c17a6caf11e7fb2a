"""The JDE-style association head."""

import numpy as np
import pytest
import torch
from unibench.appearance_models import create_model
from unibench.heads import HEADS
from unibench.heads.association import (
    CHI2_95_4DOF,
    AssociationParams,
    JDETracker,
    KalmanXYAH,
    linear_assignment,
    to_xyah,
)

from unibench.types import Clip, Observations, VideoSequence


def test_kalman_constant_velocity_and_gating():
    kf = KalmanXYAH(to_xyah(np.array([0, 0, 20, 40]))[0])
    for t in range(1, 12):
        kf.predict()
        kf.update(to_xyah(np.array([3 * t, 0, 20, 40]))[0])
    kf.predict()
    assert kf.tlwh[0] == pytest.approx(36, abs=1.0)  # velocity learnt: 3 px/frame
    near = to_xyah(np.array([[36, 0, 20, 40]]))
    far = to_xyah(np.array([[136, 0, 20, 40]]))
    assert kf.gating_distance(near)[0] < CHI2_95_4DOF < kf.gating_distance(far)[0]


def test_hungarian_with_thresholds():
    cost = np.array([[0.1, 0.9], [0.8, 0.75], [0.2, 0.3]])
    matches, ut, ud = linear_assignment(cost, 0.7)
    assert sorted(matches) == [(0, 0), (2, 1)] and ut == [1] and ud == []
    m, ut, ud = linear_assignment(np.array([[np.inf]]), 0.7)
    assert m == [] and ut == [0] and ud == [0]
    assert linear_assignment(np.zeros((0, 3)), 0.5) == ([], [], [0, 1, 2])


def _crossing():
    """Two differently coloured squares crossing each other horizontally over 16 frames."""
    h, w, n = 96, 192, 16
    frames, boxes = [], []
    rng = np.random.default_rng(0)
    for t in range(n):
        f = (rng.uniform(0, 1, (h, w, 3)) * 60).astype(np.uint8)
        xa, xb = 10 + 10 * t, 150 - 10 * t
        f[30:70, xb : xb + 32] = [40, 80, 230]
        f[30:70, xa : xa + 32] = [230, 60, 40]  # a passes in front of b
        frames.append(f)
        boxes.append(np.array([[xa, 30, 32, 40, 0.9], [xb, 30, 32, 40, 0.9]], float))
    return VideoSequence("cross", Clip.from_arrays(frames), Observations(tuple(boxes))), boxes


@pytest.mark.parametrize("similarity", ["rsm", "cosine-pool", "cosine-flat"])
def test_identity_kept_through_a_crossing_without_motion(similarity):
    seq, boxes = _crossing()
    ex, _ = create_model("pixels")
    p = AssociationParams(similarity=similarity, motion=False, min_box_area=0)
    preds = list(HEADS.get("association")(p).track(seq, ex))
    assert len(preds) == len(boxes)
    ids_a, ids_b = set(), set()
    for pred in preds[1:]:
        gt = boxes[pred.index]
        if abs(gt[0, 0] - gt[1, 0]) < 24:  # the objects overlap: attribution is ambiguous
            continue
        for i, b in zip(pred.ids, pred.boxes, strict=True):
            d = [abs(b[0] - g[0]) for g in gt[:, :4]]
            (ids_a if int(np.argmin(d)) == 0 else ids_b).add(int(i))
    assert len(ids_a) == 1 and len(ids_b) == 1 and ids_a != ids_b


def test_ids_belong_to_the_instance_and_empty_frames():
    p = AssociationParams(motion=False, min_box_area=0)
    a, b = JDETracker(p), JDETracker(p)
    f = torch.nn.functional.normalize(torch.ones(1, 4, 3), dim=-1)
    det = np.array([[0, 0, 10, 10, 0.9]])
    assert [t.track_id for t in a.step(det, f)] == [1]
    assert [t.track_id for t in b.step(det, f)] == [1]  # no shared class-level counter
    assert a.step(np.zeros((0, 5)), torch.zeros(0, 4, 3)) == []  # an empty frame is fine
    ex, _ = create_model("pixels")
    seq = VideoSequence(
        "e",
        Clip.from_arrays([np.zeros((32, 32, 3), np.uint8)] * 3),
        Observations((np.zeros((0, 5)),) * 3),
    )
    preds = list(HEADS.get("association")(p).track(seq, ex))
    assert [len(x.ids) for x in preds] == [0, 0, 0]


def test_defaults_are_unitrack_mot():
    p = AssociationParams()
    assert (
        p.lambda_app,
        p.match_thresh,
        p.iou_thresh,
        p.unconfirmed_thresh,
        p.duplicate_thresh,
        p.track_buffer,
        p.min_box_area,
        p.roi_hw,
    ) == (0.98, 0.7, 0.5, 0.7, 0.15, 30, 200.0, (10, 4))


# ------------------------------------------------------------------------- masks, poses, gates
def test_masked_features_are_capped_and_never_empty():
    from unibench.heads.association import masked_features

    fmap = torch.randn(8, 30, 40)
    big = np.zeros((240, 320), bool)
    big[:160, :160] = True  # 20 × 20 = 400 cells
    tiny = np.zeros((240, 320), bool)
    tiny[100:102, 100:102] = True  # less than half a cell
    f_big, f_tiny = masked_features(fmap, [big, tiny], max_points=200)
    assert f_big.shape == (200, 8) and f_tiny.shape == (1, 8)
    assert torch.allclose(f_big.norm(dim=1), torch.ones(200))
    (f_all,) = masked_features(fmap, [big], max_points=1000)
    assert f_all.shape == (400, 8)


def test_pose_grid_mask_draws_trunk_and_limbs_of_visible_keypoints():
    from unibench.heads.association import pose_grid_mask

    from unibench.protocols import POSETRACK18_KEYPOINTS as N

    k = np.zeros((17, 3))
    for name, xy in {
        "left_shoulder": (120, 40),
        "right_shoulder": (40, 40),
        "left_hip": (110, 120),
        "right_hip": (50, 120),
        "left_elbow": (150, 80),
    }.items():
        k[N.index(name)] = (*xy, 1)
    m = pose_grid_mask(k, (240, 320), (30, 40), limb_width=0.1)
    assert m[10, 10]  # inside the trunk (80, 80 px)
    assert m[6:9, 17].any()  # on the left upper arm (≈ 140, 60 px)
    assert not m[25, 35] and not m[2, 2]
    k[N.index("left_elbow"), 2] = 0  # an invisible elbow draws no arm
    assert not pose_grid_mask(k, (240, 320), (30, 40), 0.1)[6:9, 17].any()


def test_class_gate_forbids_matches_across_classes():
    p = AssociationParams(motion=False, min_box_area=0, class_gate=True, match_thresh=1.0)
    tr = JDETracker(p)
    f = torch.nn.functional.normalize(torch.ones(1, 4, 3), dim=-1)
    det = np.array([[0, 0, 10, 10, 0.9]])
    (a,) = tr.step(det, list(f), np.array([1]))
    out = tr.step(det, list(f), np.array([2]))  # same place and look, other class
    assert a.track_id not in [t.track_id for t in out]
    tr2 = JDETracker(AssociationParams(motion=False, min_box_area=0, match_thresh=1.0))
    (b,) = tr2.step(det, list(f), np.array([1]))
    assert [t.track_id for t in tr2.step(det, list(f), np.array([2]))] == [b.track_id]


def test_gate_switch_keeps_motion_cost_but_drops_the_gate():
    f = torch.nn.functional.normalize(torch.ones(1, 4, 3), dim=-1)
    near, far = np.array([[0, 0, 20, 40, 0.9]]), np.array([[200, 0, 20, 40, 0.9]])
    for gate, kept in ((True, False), (False, True)):
        p = AssociationParams(gate=gate, lambda_app=0.9999, min_box_area=0, match_thresh=10.0)
        tr = JDETracker(p)
        (a,) = tr.step(near, list(f))
        out = tr.step(far, list(f))
        assert (a.track_id in [t.track_id for t in out]) is kept


def _crossing_masks():
    from pycocotools import mask as mask_utils

    seq, boxes = _crossing()
    h, w = seq.clip.size
    masks = []
    for b in boxes:  # visible masks (MOTS masks never overlap): a is in front of b
        (xa, ya, wa, ha, _), (xb, yb, wb, hb, _) = b
        ma = np.zeros((h, w), np.uint8)
        ma[int(ya) : int(ya + ha), int(xa) : int(xa + wa)] = 1
        mb = np.zeros((h, w), np.uint8)
        mb[int(yb) : int(yb + hb), int(xb) : int(xb + wb)] = 1
        mb[ma > 0] = 0
        masks.append([mask_utils.encode(np.asfortranarray(m)) for m in (ma, mb)])
    obs = Observations(seq.init.boxes, masks=tuple(masks))
    return VideoSequence("cross-masks", seq.clip, obs), boxes


@pytest.mark.parametrize("similarity", ["rsm", "cosine-pool"])
def test_mask_objects_keep_identity_through_a_crossing(similarity):
    seq, boxes = _crossing_masks()
    ex, _ = create_model("pixels")
    p = AssociationParams(similarity=similarity, motion=False, min_box_area=0)
    preds = list(HEADS.get("association")(p).track(seq, ex))
    ids = {}
    for pred in preds[1:]:
        gt = boxes[pred.index]
        if abs(gt[0, 0] - gt[1, 0]) < 24:
            continue
        assert pred.masks is not None and len(pred.masks) == len(pred.ids)
        for i, b in zip(pred.ids, pred.boxes, strict=True):
            ids.setdefault(int(np.argmin([abs(b[0] - g[0]) for g in gt])), set()).add(int(i))
    assert len(ids[0]) == 1 and len(ids[1]) == 1 and ids[0] != ids[1]


def test_cosine_flat_is_refused_for_variable_point_sets():
    seq, _ = _crossing_masks()
    ex, _ = create_model("pixels")
    head = HEADS.get("association")(AssociationParams(similarity="cosine-flat"))
    from unibench.errors import ConfigError

    with pytest.raises(ConfigError, match="cosine-flat needs box features"):
        next(iter(head.track(seq, ex)))


def test_task_defaults_resolve_unitrack_configurations():
    from unibench.runner import resolve_config

    mots = resolve_config({"task": "mots"}).head_params
    assert (mots.gate, mots.max_mask_area, mots.lambda_app) == (False, 200, 0.98)
    pose = resolve_config({"task": "posetrack"}).head_params
    assert (pose.lambda_app, pose.unconfirmed_thresh, pose.duplicate_thresh) == (0.9999, 0.6, 0.2)
    assert pose.max_mask_area == 400
    mot = resolve_config({"task": "mot"}).head_params
    assert (mot.gate, mot.min_box_area, mot.roi_hw) == (True, 200.0, (10, 4))
    user = resolve_config({"task": "mots", "head": {"max_mask_area": 50}}).head_params
    assert user.max_mask_area == 50  # the user's layer wins over the task defaults
