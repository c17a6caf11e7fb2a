"""The chunked CPU path against the reference (the specification)."""

import pytest
import torch
from unibench.cuda_ops import propagation as P


def _inputs(C=16, h=7, w=9, F=3, L=3, seed=0, quantize=False):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(C, h, w, generator=g)
    m = torch.randn(F, C, h, w, generator=g)
    lab = torch.rand(F, L, h, w, generator=g)
    if quantize:  # integer features: every dot product is exact, so ties are real ties
        return q.sign(), m.sign(), lab
    return P.l2_normalize(q), P.l2_normalize(m, 1), lab


@pytest.mark.parametrize("radius", [None, 1.0, 2.5, 12.0])
@pytest.mark.parametrize("restrict_first", [False, True])
@pytest.mark.parametrize("shape", ["circle", "square"])
def test_chunked_matches_reference(radius, restrict_first, shape):
    q, m, lab = _inputs()
    ref = P.propagate_reference(q, m, lab, 5, 0.05, radius, restrict_first, shape)
    got = P.propagate(
        q, m, lab, 5, 0.05, radius, restrict_first, shape, "chunked", budget_bytes=1, target_block=4
    )  # many small blocks
    torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("k", [1, 3, 100, 10_000])  # k >= s_m included
def test_ties_and_large_k(k):
    q, m, lab = _inputs(quantize=True)
    ref = P.propagate_reference(q, m, lab, k, 0.1, 2.0, False)
    got = P.propagate(q, m, lab, k, 0.1, 2.0, False, impl="chunked", budget_bytes=1, target_block=5)
    torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-5)


def test_stable_topk_lower_index_wins():
    s = torch.tensor([[1.0, 3.0, 3.0, 2.0, 3.0, 3.0]])
    vals, idx = P._stable_topk(s, 3)
    assert idx.tolist() == [[1, 2, 4]] and vals.tolist() == [[3.0, 3.0, 3.0]]
    vals, idx = P._stable_topk(s, 5)
    assert idx.tolist() == [[1, 2, 4, 5, 3]]


def test_empty_rows_give_zero_labels():
    q, m, lab = _inputs(F=1)
    out = P.propagate(q, m, lab, 4, 0.05, radius=0.5, restrict_first=True, impl="chunked")
    ref = P.propagate_reference(q, m, lab, 4, 0.05, radius=0.5, restrict_first=True)
    # radius 0.5 keeps only the same cell: labels copied from that cell
    torch.testing.assert_close(out, lab[0], atol=1e-6, rtol=0)
    torch.testing.assert_close(ref, lab[0], atol=1e-6, rtol=0)


def test_softmax_is_stable_for_tiny_temperature():
    q, m, lab = _inputs()
    out = P.propagate(q, m, lab, 10, 1e-4)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out.sum(0), lab.sum(1).mean(0) * 0 + out.sum(0))


def test_weights_sum_to_one():
    q, m, _ = _inputs()
    ones = torch.ones(m.shape[0], 1, *m.shape[2:])
    out = P.propagate(q, m, ones, 10, 0.05, radius=3.0)
    torch.testing.assert_close(out, torch.ones_like(out))


def test_force_reference_env(monkeypatch):
    q, m, lab = _inputs()
    monkeypatch.setenv("UNIBENCH_FORCE_REFERENCE", "1")
    a = P.propagate(q, m, lab, 5, 0.05, 2.0)
    monkeypatch.delenv("UNIBENCH_FORCE_REFERENCE")
    b = P.propagate(q, m, lab, 5, 0.05, 2.0)
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_shape_errors():
    q, m, lab = _inputs()
    with pytest.raises(ValueError, match="shape mismatch"):
        P.propagate(q, m[:, :-1], lab, 5, 0.05)


@pytest.mark.parametrize("group", [1, 4, 7, 128])
@pytest.mark.parametrize("quantize", [False, True])
@pytest.mark.parametrize(
    "radius,restrict_first,shape",
    [
        (None, False, "circle"),
        (2.5, False, "circle"),
        (1.0, True, "circle"),
        (3.0, True, "square"),
        (12.0, False, "circle"),
    ],
)
def test_topk_affinity_matches_reference_exactly(group, quantize, radius, restrict_first, shape):
    q, m, _ = _inputs(C=8, h=9, w=11, F=3, seed=group, quantize=quantize)
    k = 6
    rv, ri = P.topk_reference(q, m, k, 0.05, radius, restrict_first, shape)
    gv, gi = P.topk_affinity(
        q, m, k, 0.05, radius, restrict_first, shape, budget_bytes=1, target_block=10, group=group
    )
    finite = torch.isfinite(rv)
    assert torch.equal(finite, torch.isfinite(gv))
    torch.testing.assert_close(gv[finite], rv[finite], atol=1e-5, rtol=1e-5)
    assert torch.equal(gi[finite], ri[finite])  # same cells, same tie order
    assert (gi[~finite] == -1).all()


@pytest.mark.parametrize("k", [1, 50, 10_000])
def test_topk_affinity_k_at_least_memory(k):
    q, m, _ = _inputs(C=4, h=3, w=5, F=2)
    rv, ri = P.topk_reference(q, m, k, 1.0)
    gv, gi = P.topk_affinity(q, m, k, 1.0, group=4)
    assert gv.shape == rv.shape == (15, min(k, 30))
    assert torch.equal(gi, ri)


@pytest.mark.parametrize(
    "grid,target,radius", [((60, 107), 96, 12.0), ((5, 3), 4, 2.5), ((9, 11), 1, 1.0)]
)
def test_tiles_cover_the_grid_once_and_windows_hold_the_radius(grid, target, radius):
    h, w = grid
    rows = P._geometry(h, w, target, P._reach(radius, "circle"), radius, "circle", 32)
    seen = torch.cat([r.queries[r.valid] for r in rows])
    assert torch.equal(seen.sort().values, torch.arange(h * w))
    for r in rows:
        assert r.cells.shape[1] % 32 == 0
        for t in range(len(r.queries)):
            for q in r.queries[t][r.valid[t]].tolist():
                b = r.queries[t].tolist().index(q)
                inside = r.cells[t][r.bias[t, b] == 0]
                qy, qx = divmod(q, w)
                want = [
                    y * w + x
                    for y in range(h)
                    for x in range(w)
                    if (y - qy) ** 2 + (x - qx) ** 2 < radius**2
                ]
                assert sorted(inside.tolist()) == want


def test_identical_memory_frames_tie_towards_the_lower_frame():
    """The VOS head pads the memory with copies at a sequence's start: every restricted score
    ties with frame 0's and with each other; the reference keeps the lowest memory index."""
    q, m, _ = _inputs(C=8, h=20, w=23, F=1)
    m = m.expand(6, -1, -1, -1).contiguous()
    rv, ri = P.topk_reference(q, m, 10, 0.05, 12.0, False)
    gv, gi = P.topk_affinity(q, m, 10, 0.05, 12.0, False)
    torch.testing.assert_close(gv, rv, atol=1e-5, rtol=1e-5)
    assert torch.equal(gi, ri)
