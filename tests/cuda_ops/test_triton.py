"""The fused Triton kernel: under the CPU interpreter in CI, on CUDA where present."""

import os

import pytest
import torch
from unibench.cuda_ops import propagation as P
from unibench.cuda_ops import triton_topk

pytestmark = pytest.mark.skipif(not triton_topk.available(), reason="triton not installed")


def _inputs(C=8, h=5, w=7, F=3, seed=0, integer=True, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(C, h, w, generator=g)
    m = torch.randn(F, C, h, w, generator=g)
    if integer:  # exact dot products: ties are real ties
        q, m = q.sign(), m.sign()
    else:
        q, m = P.l2_normalize(q), P.l2_normalize(m, 1)
    return q.to(device), m.to(device)


interp = pytest.mark.skipif(
    os.environ.get("TRITON_INTERPRET") != "1", reason="interpreter tests run where no GPU is (CI)"
)

CASES = [
    (None, False, "circle"),
    (2.5, False, "circle"),
    (1.0, True, "circle"),
    (1.0, True, "square"),
    (30.0, False, "circle"),
]


@pytest.mark.parametrize("radius,restrict_first,shape", CASES)
@pytest.mark.parametrize("k,splits", [(6, 3), (1, 1), (200, 2)])  # k >= s_m too
@interp
def test_interpreter_matches_reference(radius, restrict_first, shape, k, splits):
    q, m = _inputs()
    v, i = triton_topk.topk_affinity_triton(
        q,
        m,
        k,
        0.5,
        radius,
        restrict_first,
        shape,
        splits=splits,
        block_q=16,
        block_m=16,
        block_c=16,
        input_precision="ieee",
    )
    rv, ri = P.topk_reference(q, m, k, 0.5, radius, restrict_first, shape)
    fin = torch.isfinite(rv)
    assert torch.equal(fin, torch.isfinite(v))
    torch.testing.assert_close(v[fin], rv[fin])
    assert torch.equal(i[fin], ri[fin])  # same members, same tie order
    assert (i[~fin] == -1).all()


@interp
def test_interpreter_non_multiple_sizes_random():
    q, m = _inputs(C=20, h=6, w=9, F=2, integer=False, seed=3)  # C, s_q, s_m not tile multiples
    v, i = triton_topk.topk_affinity_triton(
        q, m, 5, 0.05, 3.0, block_q=16, block_m=32, block_c=16, input_precision="ieee"
    )
    rv, ri = P.topk_reference(q, m, 5, 0.05, 3.0)
    torch.testing.assert_close(v, rv, atol=1e-4, rtol=1e-5)
    assert (i == ri).float().mean() > 0.99


@interp
def test_dispatch_forced_triton_on_cpu_propagates_like_chunked():
    q, m = _inputs(integer=False)
    lab = torch.rand(3, 2, 5, 7)
    a = P.propagate(q, m, lab, 4, 0.05, 2.0, impl="triton")
    b = P.propagate(q, m, lab, 4, 0.05, 2.0, impl="chunked")
    torch.testing.assert_close(a, b, atol=1e-3, rtol=0)  # TF32 default precision


def test_cpu_tensors_need_interpreter(monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    q, m = _inputs()
    with pytest.raises(ValueError, match="TRITON_INTERPRET"):
        triton_topk.topk_affinity_triton(q, m, 3)


gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("radius,restrict_first,shape", CASES)
def test_cuda_kernel_matches_cpu_path_fp32(radius, restrict_first, shape):
    q, m = _inputs(C=64, h=30, w=53, F=6, integer=True)
    cv, ci = P.topk_affinity(q, m, 10, 1.0, radius, restrict_first, shape)
    gv, gi = triton_topk.topk_affinity_triton(
        q.cuda(), m.cuda(), 10, 1.0, radius, restrict_first, shape, input_precision="ieee"
    )
    fin = torch.isfinite(cv)
    torch.testing.assert_close(gv.cpu()[fin], cv[fin])
    assert torch.equal(gi.cpu()[fin], ci[fin])


@pytest.mark.gpu
@gpu
def test_cuda_bf16_propagation_close_to_cpu():
    q, m = _inputs(C=256, h=60, w=107, F=6, integer=False)
    lab = torch.rand(6, 3, 60, 107)
    cpu = P.propagate(q, m, lab, 10, 0.05, 12.0)
    gpu_out = P.propagate(q.cuda().bfloat16(), m.cuda().bfloat16(), lab.cuda(), 10, 0.05, 12.0)
    assert (gpu_out.cpu() - cpu).abs().mean() < 0.02  # bf16 score error / τ (documented)
