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
