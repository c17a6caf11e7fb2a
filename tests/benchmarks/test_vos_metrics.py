"""J&F against the official definitions, on hand-computed cases."""

import math

import numpy as np
import pytest
from unibench.benchmarks.scorers import vos as M


def test_jaccard_hand_cases():
    a = np.zeros((4, 4), bool)
    assert M.jaccard(a, a) == 1.0  # empty/empty
    gt = a.copy()
    gt[0, :4] = True
    pred = a.copy()
    pred[0, :2] = True
    assert M.jaccard(gt, pred) == 0.5
    pred2 = a.copy()
    pred2[3, 3] = True
    assert M.jaccard(gt, pred2) == 0.0
    pred3 = a.copy()
    pred3[0, 2:] = True
    pred3[1, 0] = True
    assert M.jaccard(gt, pred3) == pytest.approx(2 / 5)


def test_seg2bmap_square():
    seg = np.zeros((6, 6), bool)
    seg[1:4, 1:4] = True
    b = M.seg2bmap(seg)
    # official rule: a pixel is boundary where it differs from its E, S or SE neighbour
    expected = np.zeros((6, 6), bool)
    expected[0, 0] = True  # SE neighbour (1,1) is foreground
    expected[0, 1:4] = True  # S neighbour is foreground
    expected[1:4, 0] = True  # E neighbour is foreground
    expected[1:4, 3] = True  # E neighbour background
    expected[3, 1:4] = True  # S neighbour background
    assert (b == expected).all(), b.astype(int)


def test_boundary_radius_davis_480p():
    # ceil(0.008 * hypot(480, 854)) = ceil(7.84) = 8
    assert M.boundary_radius((480, 854)) == 8
    assert M.boundary_radius((100, 100)) == math.ceil(0.008 * math.hypot(100, 100))
    assert M.disk(1).astype(int).tolist() == [[0, 1, 0], [1, 1, 1], [0, 1, 0]]


def test_f_measure_conventions():
    z = np.zeros((20, 20), bool)
    sq = z.copy()
    sq[5:12, 5:12] = True
    assert M.f_measure(sq, sq) == 1.0
    assert M.f_measure(z, z) == 1.0  # both empty: P = R = 1
    assert M.f_measure(sq, z) == 0.0  # empty prediction: P = 1, R = 0
    assert M.f_measure(z, sq) == 0.0  # empty ground truth: P = 0, R = 1
    shifted = z.copy()
    shifted[6:13, 5:12] = True  # 1 px shift, within the 1 px tolerance of a 20×20 image
    assert M.boundary_radius((20, 20)) == 1
    assert M.f_measure(sq, shifted) == 1.0
    far = z.copy()
    far[14:18, 14:18] = True
    assert M.f_measure(sq, far) == 0.0


def test_f_measure_partial_hand_case():
    # 1×1 tolerance on a 40×40 image; a 3 px shift matches only the boundary parts that overlap
    z = np.zeros((40, 40), bool)
    gt = z.copy()
    gt[10:20, 10:20] = True
    pr = z.copy()
    pr[10:20, 13:23] = True
    gb, pb = M.seg2bmap(gt), M.seg2bmap(pr)
    from scipy import ndimage

    se = M.disk(M.boundary_radius((40, 40)))
    p = (pb & ndimage.binary_dilation(gb, se)).sum() / pb.sum()
    r = (gb & ndimage.binary_dilation(pb, se)).sum() / gb.sum()
    assert M.f_measure(gt, pr) == pytest.approx(2 * p * r / (p + r))
    assert 0 < M.f_measure(gt, pr) < 1


def test_statistics_decay_quarters():
    v = np.array([1.0, 1.0, 0.8, 0.6, 0.6, 0.4, 0.2, 0.0])
    mean, recall, decay = M.statistics(v)
    assert mean == pytest.approx(v.mean())
    assert recall == pytest.approx(np.mean(v > 0.5))
    # ids = round(linspace(1, 8, 5)) - 1 = [0, 2, 3, 5, 7] (4.5 rounds to 4)
    assert decay == pytest.approx(v[0:3].mean() - v[5:8].mean())


def test_decay_longer_than_255_frames():
    """The official code casts the quarter indices to uint8; we do not (documented)."""
    n = 400
    v = np.r_[np.ones(n // 2), np.zeros(n // 2)]
    _, _, decay = M.statistics(v)
    assert decay == pytest.approx(1.0)
    ids = np.round(np.linspace(1, n, 5) + 1e-10) - 1
    wrapped = ids.astype(np.int64) % 256  # what astype(np.uint8) does
    official = v[wrapped[0] : wrapped[1] + 1].mean() - v[wrapped[3] : wrapped[4] + 1].mean()
    assert official == pytest.approx(0.0)  # the overflow hides the decay entirely


def test_swapped_ids_score_zero():
    gt = np.zeros((3, 10, 10), np.uint8)
    gt[:, 1:4, 1:4] = 1
    gt[:, 6:9, 6:9] = 2
    pred = gt.copy()
    pred[gt == 1] = 2
    pred[gt == 2] = 1
    rows = M.evaluate_sequence(gt, pred, (1, 2))
    assert [r["J-Mean"] for r in rows] == [0.0, 0.0]
    assert [r["F-Mean"] for r in rows] == [0.0, 0.0]
    perfect = M.evaluate_sequence(gt, gt, (1, 2))
    assert all(r["J&F-Mean"] == 1.0 for r in perfect)


def test_summary_averages_objects_not_sequences():
    rows = [
        {"J-Mean": 1.0, "J-Recall": 1, "J-Decay": 0, "F-Mean": 1.0, "F-Recall": 1, "F-Decay": 0},
        {"J-Mean": 0.0, "J-Recall": 0, "J-Decay": 0, "F-Mean": 0.5, "F-Recall": 0, "F-Decay": 0},
        {"J-Mean": 0.5, "J-Recall": 0, "J-Decay": 0, "F-Mean": 0.5, "F-Recall": 0, "F-Decay": 0},
    ]
    s = M.summarize(rows)
    assert s["J-Mean"] == pytest.approx(0.5)
    assert s["F-Mean"] == pytest.approx(2 / 3)
    assert s["J&F-Mean"] == pytest.approx((0.5 + 2 / 3) / 2)


@pytest.mark.parametrize("radius", [1, 2, 3, 8])
def test_dilate_disk_equals_structuring_element(radius):
    from scipy import ndimage

    rng = np.random.default_rng(radius)
    b = rng.random((40, 50)) > 0.97
    ref = ndimage.binary_dilation(b, structure=M.disk(radius))
    assert (M.dilate_disk(b, radius) == ref).all()
