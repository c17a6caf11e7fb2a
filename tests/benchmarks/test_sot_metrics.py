"""SOT metrics: hand-computed OPE and GOT-10k cases, and parity with the got10k toolkit."""

import numpy as np
import pytest
from unibench.benchmarks.scorers import sot as M


def test_iou_hand_cases():
    a = np.array([[0, 0, 10, 10]])
    assert M.rect_iou(a, a)[0] == pytest.approx(1.0)
    assert M.rect_iou(a, np.array([[5, 0, 10, 10]]))[0] == pytest.approx(50 / 150)
    assert M.rect_iou(a, np.array([[20, 20, 5, 5]]))[0] == 0.0
    # a zero-size box: IoU 0, never NaN
    assert M.rect_iou(np.array([[0, 0, 0, 0]]), np.array([[0, 0, 0, 0]]))[0] == 0.0
    # GOT-10k bound: both boxes clipped to a 10×10 image first
    b = np.array([[5, 5, 10, 10]])
    assert M.rect_iou(b, np.array([[5, 5, 5, 5]]), bound=(10, 10))[0] == pytest.approx(1.0)


def test_center_error_uses_one_based_centres():
    a = np.array([[0, 0, 11, 11]])  # centre 5, 5 ((w-1)/2)
    b = np.array([[3, 4, 11, 11]])
    assert M.center_error(a, b)[0] == pytest.approx(5.0)


def test_ope_hand_case():
    gt = np.array([[0, 0, 10, 10]] * 4, float)
    pred = np.array(
        [
            [50, 50, 10, 10],  # replaced by gt (first frame)
            [0, 0, 10, 10],  # IoU 1
            [5, 0, 10, 10],  # IoU 1/3, centre error 5
            [30, 0, 10, 10],
        ],
        float,
    )  # IoU 0, centre error 30
    succ, prec, _ = M.ope_curves(pred, gt)
    ious = np.array([1, 1, 1 / 3, 0])
    expected = [(ious > t).mean() for t in np.linspace(0, 1, 21)]
    np.testing.assert_allclose(succ, expected)
    assert succ[0] == 0.75 and succ[-1] == 0.0  # IoU > 1 never holds
    assert prec[20] == 0.75  # errors 0, 0, 5, 30
    s = M.ope_summary([(succ, prec, _)])
    assert s["AUC"] == pytest.approx(np.mean(expected))
    assert s["SuccessRate"] == pytest.approx(0.5)  # IoU > 0.5: frames 0 and 1


def test_ope_averages_sequences_not_frames():
    gt1 = np.array([[0, 0, 10, 10]] * 2, float)
    gt2 = np.array([[0, 0, 10, 10]] * 10, float)
    p2 = gt2.copy()
    p2[1:, 0] += 100
    s = M.ope_summary([M.ope_curves(gt1, gt1), M.ope_curves(p2, gt2)])
    # sequence 1: success 1 below threshold 1; sequence 2: 1/10
    assert s["AUC"] == pytest.approx((20 / 21 + 0.1 * 20 / 21) / 2)


def test_normalized_precision():
    gt = np.array([[0, 0, 10, 20]] * 2, float)
    pred = np.array([[0, 0, 10, 20], [1, 2, 10, 20]], float)  # offset 0.1 w, 0.1 h
    e = M.normalized_center_error(pred, gt)
    assert e[1] == pytest.approx(np.sqrt(0.1**2 + 0.1**2))
    _, _, nprec = M.ope_curves(pred, gt)
    assert nprec[20] == 1.0 and nprec[14] == 0.5  # thresholds 0.2 and 0.14


def test_got10k_cover_and_pooling():
    gt = np.array([[0, 0, 10, 10]] * 4, float)
    run = gt.copy()
    run[2] = [5, 0, 10, 10]  # IoU 1/3
    cover = np.array([8, 8, 8, 0])  # last frame absent: excluded; first never scored
    ious = M.got10k_ious([run], gt, cover, bound=(100, 100))
    np.testing.assert_allclose(ious, [1.0, 1 / 3], atol=1e-12)
    s = M.got10k_summary(np.concatenate([ious, [0.8]]))  # pooled with another sequence
    assert s["AO"] == pytest.approx((1 + 1 / 3 + 0.8) / 3)
    assert s["SR0.5"] == pytest.approx(2 / 3) and s["SR0.75"] == pytest.approx(2 / 3)


def test_parity_with_got10k_toolkit():
    """The got10k package (the official Python toolkit) as an oracle on fabricated results."""
    utils = pytest.importorskip("got10k.utils.metrics")
    otb = pytest.importorskip("got10k.experiments.otb")
    rng = np.random.default_rng(0)
    gt = np.c_[rng.uniform(0, 200, (60, 2)), rng.uniform(5, 80, (60, 2))]
    pred = gt + rng.normal(0, 8, gt.shape)
    pred[:, 2:] = np.abs(pred[:, 2:])
    np.testing.assert_allclose(M.rect_iou(pred, gt), utils.rect_iou(pred, gt), atol=1e-12)
    np.testing.assert_allclose(M.center_error(pred, gt), utils.center_error(pred, gt), atol=1e-12)
    bound = (220, 220)
    np.testing.assert_allclose(
        M.rect_iou(pred, gt, bound), utils.rect_iou(pred.copy(), gt.copy(), bound=bound)
    )
    exp = otb.ExperimentOTB.__new__(otb.ExperimentOTB)  # no dataset: metric methods only
    exp.nbins_iou, exp.nbins_ce = 21, 51
    p0 = pred.copy()
    p0[0] = gt[0]
    ious, ces = exp._calc_metrics(p0, gt)
    s_ref, p_ref = exp._calc_curves(ious, ces)
    succ, prec, _ = M.ope_curves(pred, gt)
    np.testing.assert_allclose(succ, s_ref)
    np.testing.assert_allclose(prec, p_ref)
