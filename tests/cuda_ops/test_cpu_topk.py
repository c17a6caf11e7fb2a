"""The fused CPU top-k (cuda_ops/csrc/topk_cpu.cpp) against the specification and the chunked
PyTorch path: every register kernel this CPU runs, values and indices, ties, widths that are not a
multiple of the 16-cell strip, empty and short lists; the dispatch and its fallback."""

import logging

import pytest
import torch
from unibench.cuda_ops import cpu_topk
from unibench.cuda_ops import propagation as P

needs_fused = pytest.mark.skipif(
    not cpu_topk.available(),
    reason="the fused CPU top-k did not build here (no C++ compiler / ninja, not x86-64, or a CPU "
    "without AVX2+FMA); the chunked path runs instead",
)
KERNELS = [
    pytest.param(k, marks=pytest.mark.skipif(
        not cpu_topk.available() or (k == "avx512" and cpu_topk.kernel() != "avx512"),
        reason=f"this CPU does not run the {k} kernel",
    ))
    for k in cpu_topk.KERNELS
]  # fmt: skip


def _features(C, h, w, F, seed, quantize):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(C, h, w, generator=g)
    m = torch.randn(F, C, h, w, generator=g)
    if quantize:  # a few levels: every dot product is exact, so ties are real ties
        return (q * 2).round().clamp(-2, 2) / 4, (m * 2).round().clamp(-2, 2) / 4
    return P.l2_normalize(q), P.l2_normalize(m, 1)


def _spec(q, m, k, radius, restrict_first, shape):
    """topk_reference with the specification's empty slots written as (-inf, -1)."""
    v, i = P.topk_reference(q, m, k, 1.0, radius, restrict_first, shape)
    return v, i.masked_fill(~torch.isfinite(v), -1)


def _fused(q, m, k, radius, restrict_first, shape, kernel):
    restricted = set(P._restricted_frames(m.shape[0], radius, restrict_first))
    return cpu_topk.topk_fused(
        q, m, k, [f in restricted for f in range(m.shape[0])], radius, shape, kernel
    )


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("radius", [None, 0.5, 1.0, 2.5, 4.2, 12.0])
@pytest.mark.parametrize("restrict_first", [False, True])
@pytest.mark.parametrize("shape", ["circle", "square"])
def test_equals_the_specification_with_ties(kernel, radius, restrict_first, shape):
    """Quantized features: values and indices equal the dense specification exactly, ties
    (abundant at 5 levels in 8 channels) resolved to the lower memory index; grids 7..33 wide
    (partial strips), k up to more cells than a radius admits (empty slots -inf / -1)."""
    for seed, (h, w, F, k) in enumerate(
        [(7, 9, 3, 5), (6, 33, 2, 10), (11, 17, 4, 40), (3, 16, 1, 7)]
    ):
        q, m = _features(8, h, w, F, seed, quantize=True)
        ref = _spec(q, m, k, radius, restrict_first, shape)
        got = _fused(q, m, k, radius, restrict_first, shape, kernel)
        assert torch.equal(got[1], ref[1]), (h, w, F, k)
        assert torch.equal(got[0], ref[0]), (h, w, F, k)


@pytest.mark.parametrize("kernel", KERNELS)
def test_unit_features_agree_with_the_chunked_path(kernel):
    """Real-valued unit features (96 channels, as MobileNetV2's tap): the same indices as the
    chunked path; values within float32 rounding of the channel sum's order."""
    q, m = _features(96, 13, 37, 6, 3, quantize=False)
    a = _fused(q, m, 10, 12.0, False, "circle", kernel)
    b = P.topk_affinity(q, m, 10, 1.0, 12.0)
    assert torch.equal(a[1], b[1])
    torch.testing.assert_close(a[0], b[0], atol=2e-6, rtol=0)


@needs_fused
def test_dispatch_auto_runs_fused_and_propagates_like_chunked():
    q, m = _features(16, 9, 21, 4, 5, quantize=False)
    lab = torch.rand(4, 3, 9, 21, generator=torch.Generator().manual_seed(1))
    assert P.resolve_impl("cpu") == "fused"
    a = P.propagate(q, m, lab, 5, 0.05, 3.0)
    b = P.propagate(q, m, lab, 5, 0.05, 3.0, impl="chunked")
    c = P.propagate_reference(q, m, lab, 5, 0.05, 3.0)
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(a, c, atol=1e-5, rtol=1e-5)
    v, i = P.topk(q, m, 5, 0.05, 3.0)  # divided by the temperature, like every path
    rv, ri = P.topk(q, m, 5, 0.05, 3.0, impl="chunked")
    assert torch.equal(i, ri) and torch.allclose(v, rv, atol=1e-4)


@needs_fused
def test_cell_major_memory_is_read_without_a_copy_and_shapes_are_checked():
    q, m = _features(16, 5, 7, 2, 0, quantize=False)
    mem = m.contiguous(memory_format=torch.channels_last)  # how the VOS head stores it
    assert torch.equal(_fused(q, mem, 3, 2.0, False, "circle", None)[1],
                       _fused(q, m, 3, 2.0, False, "circle", None)[1])  # fmt: skip
    with pytest.raises(ValueError, match="shape mismatch"):
        P.topk(q, m[:, :8], 3, impl="fused")


def test_fallback_when_it_cannot_build(monkeypatch, caplog):
    """Where the kernel does not build (here: switched off), auto resolves to the chunked path,
    with the reason logged, and the results are the specification's."""
    monkeypatch.setenv("UNIBENCH_FUSED_CPU", "0")
    cpu_topk._module.cache_clear()
    try:
        with caplog.at_level(logging.INFO, logger="unibench.cuda_ops.cpu_topk"):
            assert not cpu_topk.available() and cpu_topk.kernel() == ""
            assert P.resolve_impl("cpu") == "chunked"
        assert "UNIBENCH_FUSED_CPU=0" in caplog.text
        q, m = _features(8, 6, 9, 3, 2, quantize=True)
        lab = torch.rand(3, 2, 6, 9, generator=torch.Generator().manual_seed(0))
        torch.testing.assert_close(
            P.propagate(q, m, lab, 4, 0.1, 2.0), P.propagate_reference(q, m, lab, 4, 0.1, 2.0)
        )
        with pytest.raises(RuntimeError, match="unavailable"):
            cpu_topk.topk_fused(q, m, 4, [False, True, True], 2.0, "circle")
    finally:
        monkeypatch.delenv("UNIBENCH_FUSED_CPU")
        cpu_topk._module.cache_clear()


@needs_fused
def test_a_kernel_the_cpu_lacks_is_refused():
    if cpu_topk.kernel() == "avx512":
        pytest.skip("this CPU runs both kernels")
    q, m = _features(8, 4, 5, 1, 0, quantize=True)
    with pytest.raises(RuntimeError, match="does not support the avx512 kernel"):
        _fused(q, m, 3, None, False, "circle", "avx512")
