"""RSM: fast Gram form == materialised form == a loop over the paper's formula."""

import math

import pytest
import torch
from unibench.cuda_ops import rsm, rsm_direct


def _loop_rsm(T, D, tau, tmask=None, dmask=None):
    """The paper's formula, literally, one pair at a time (lists of point sets)."""
    Ts = [
        t[m] if tmask is not None else t
        for t, m in zip(T, tmask if tmask is not None else T, strict=True)
    ]
    Ds = [
        d[m] if dmask is not None else d
        for d, m in zip(D, dmask if dmask is not None else D, strict=True)
    ]
    allT, allD = torch.cat(Ts), torch.cat(Ds)
    A = allT @ allD.t() / tau
    P = torch.softmax(A, 1)
    Q = torch.softmax(A, 0)
    out = torch.zeros(len(Ts), len(Ds), dtype=torch.float64)
    ro = 0
    for i, t in enumerate(Ts):
        co = 0
        for j, d in enumerate(Ds):
            Pij = P[ro : ro + len(t), co : co + len(d)]
            Qij = Q[ro : ro + len(t), co : co + len(d)]
            t_hat = Pij @ d
            d_hat = Qij.t() @ t
            c1 = (t_hat * t).sum() / (t_hat.norm() * t.norm())
            c2 = (d_hat * d).sum() / (d_hat.norm() * d.norm())
            out[i, j] = 0.5 * (c1 + c2)
            co += len(d)
        ro += len(t)
    return out


def _feats(M, N, s, C, seed=0):
    g = torch.Generator().manual_seed(seed)
    t = torch.nn.functional.normalize(
        torch.randn(M, s, C, generator=g, dtype=torch.float64), dim=-1
    )
    d = torch.nn.functional.normalize(
        torch.randn(N, s, C, generator=g, dtype=torch.float64), dim=-1
    )
    return t, d


@pytest.mark.parametrize("tau", [0.01, 0.1, 1.0])
def test_fast_equals_direct_and_loop(tau):
    t, d = _feats(5, 7, 6, 16)
    ref = _loop_rsm(t, d, tau)
    torch.testing.assert_close(rsm_direct(t, d, tau).double(), ref, atol=1e-5, rtol=0)
    torch.testing.assert_close(rsm(t, d, tau).double(), ref, atol=1e-5, rtol=0)


def test_masks_variable_point_counts():
    t, d = _feats(3, 4, 8, 10, seed=1)
    tm = torch.ones(3, 8, dtype=torch.bool)
    dm = torch.ones(4, 8, dtype=torch.bool)
    tm[0, 5:] = False
    dm[2, 3:] = False
    ref = _loop_rsm(t, d, 0.05, tm, dm)
    torch.testing.assert_close(rsm(t, d, 0.05, tm, dm).double(), ref, atol=1e-5, rtol=0)
    torch.testing.assert_close(rsm_direct(t, d, 0.05, tm, dm).double(), ref, atol=1e-5, rtol=0)


def test_identity_pairs_score_highest():
    t, _ = _feats(4, 1, 10, 32, seed=2)
    d = t[torch.tensor([2, 0, 3, 1])] + 0.05 * torch.randn(4, 10, 32, dtype=torch.float64)
    s = rsm(t, torch.nn.functional.normalize(d, dim=-1))
    assert s.argmax(1).tolist() == [1, 3, 0, 2]
    assert ((s <= 1 + 1e-9) & (s >= -1 - 1e-9)).all()


def test_empty_inputs():
    t, d = _feats(3, 2, 4, 8)
    assert rsm(t[:0], d).shape == (0, 2)
    assert rsm(t, d[:0]).shape == (3, 0)


def test_matches_in_float32_to_1e5():
    t, d = _feats(10, 12, 40, 64, seed=3)
    a = rsm(t.float(), d.float())
    b = rsm_direct(t.float(), d.float())
    assert math.isclose(float((a - b).abs().max()), 0.0, abs_tol=1e-5)
