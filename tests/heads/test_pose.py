"""Pose propagation: belief maps, decoding, and keypoints carried through motion."""

import numpy as np
import pytest
from clips import clip_from_arrays
from unibench.appearance_models import create_model
from unibench.heads import HEADS
from unibench.heads.pose import PosePropagationParams, belief_maps, decode

from unibench.datatypes import Observations, VideoSequence


def test_belief_maps_round_trip_and_sigma_follows_body_size():
    poses = np.zeros((2, 17, 3))
    poses[0, :3] = [[50.3, 60.7, 1], [100.2, 30.1, 1], [80, 90, 1]]
    poses[1, 0] = [200, 100, 1]  # a one-keypoint "person": σ is at least half a cell
    maps, vis = belief_maps(poses, (240, 352), (30, 44), sigma_ratio=0.05)
    assert maps.shape == (34, 30, 44) and vis.sum() == 4
    assert maps[3:17].abs().sum() == 0  # invisible keypoints have no map
    dec = decode(maps, maps.flatten(1).amax(1), (240, 352), topn=5)
    for p, k in ((0, 0), (0, 1), (0, 2), (1, 0)):
        assert np.hypot(*(dec[p * 17 + k, :2] - poses[p, k, :2])) < 2.0
        assert dec[p * 17 + k, 2] == pytest.approx(1.0)
    wide, _ = belief_maps(poses[:1], (240, 352), (30, 44), sigma_ratio=0.5)
    assert (wide[0] > 0.5).sum() > (maps[0] > 0.5).sum()


def _shifting_texture(n=5, dx=16):
    """A high-frequency random texture translating right by ``dx`` px per frame."""
    rng = np.random.default_rng(0)
    base = (rng.uniform(0, 255, (16, 30, 3))).astype(np.uint8).repeat(8, 0).repeat(8, 1)
    frames = [np.roll(base, dx * t, axis=1) for t in range(n)]
    k = np.zeros((1, 17, 3))
    k[0, 0] = (60, 40, 1)
    k[0, 5] = (90, 80, 1)
    k[0, 11] = (70, 100, 1)
    obs = Observations((np.array([[60, 40, 30, 60, 0.9]]),) * n, keypoints=(k,) * n)
    return VideoSequence("shift", clip_from_arrays(frames), obs), k, dx


def test_keypoints_follow_a_translation():
    seq, k, dx = _shifting_texture()
    ex, _ = create_model("resnet18")  # random init: local structure, unlike 3-channel colours
    preds = list(HEADS.get("pose-propagation")(PosePropagationParams()).track(seq, ex))
    assert len(preds) == len(seq.clip) and list(preds[0].ids) == [1]
    for p in preds[1:]:
        got = p.keypoints[0]
        for j in (0, 5, 11):
            want = k[0, j, :2] + [dx * p.index, 0]
            # within half a feature cell (stride 8); standing still would be ≥ 16 px off
            assert np.hypot(*(got[j, :2] - want)) < 4.0, (p.index, j)
            assert got[j, 2] > 0
        assert (got[[1, 2, 3, 4], 2] == 0).all()  # never given, never reported


def test_named_parameters_act():
    seq, _, _ = _shifting_texture(n=3)
    ex, _ = create_model("pixels")
    loose = PosePropagationParams(decode_window=None)  # far cells pull the decoded mean away
    far = list(HEADS.get("pose-propagation")(loose).track(seq, ex))
    near = list(HEADS.get("pose-propagation")(PosePropagationParams()).track(seq, ex))
    assert not np.allclose(far[2].keypoints, near[2].keypoints)
    strict = PosePropagationParams(min_keypoint_score=1.01)
    preds = list(HEADS.get("pose-propagation")(strict).track(seq, ex))
    assert (preds[1].keypoints[0, :, 2] == 0).all()  # every score is below the threshold
    nobody = PosePropagationParams(det_thresh=0.95)  # the only pose scores 0.9
    preds = list(HEADS.get("pose-propagation")(nobody).track(seq, ex))
    assert all(len(p.ids) == 0 for p in preds)
    with pytest.raises(ValueError, match="sigma_ratio"):
        PosePropagationParams(sigma_ratio=0)
