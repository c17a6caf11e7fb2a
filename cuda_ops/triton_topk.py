"""Fused top-k affinity on the GPU (Triton), with a small split-merge kernel.

Design (flash-attention-style tiling; the ``s_q × s_m`` score matrix never reaches global memory):

* Grid ``(⌈s_q / BQ⌉, splits)``: a program owns ``BQ`` query rows and one contiguous range of memory
  columns (split over memory so that a single 480p frame, 51 query blocks, still fills the GPU).
* For each memory tile of ``BM`` columns, scores are accumulated over channels in ``BC`` chunks with
  ``tl.dot`` (bf16/fp16 inputs, or TF32/IEEE fp32, always fp32 accumulation). Features are read in
  their native ``C×h×w`` / ``F×C×h×w`` layouts (no relayout copy of the memory).
* Radius restriction: a tile entirely inside one restricted frame whose grid rows are out of reach
  of the program's query rows is skipped before the GEMM; inside a tile, the exact test (circle
  ``dy²+dx² < r²`` or square) masks scores to ``-inf``.
* Running top-k in registers: ``KP`` (power of two ≥ k) slots per row. The epilogue is an
  extraction loop, not a sort: compute each row's tile maximum (one op per score); while some row's
  maximum beats its current k-th value, insert that maximum (``argmax`` takes the lowest column among
  equals) in place of the row's worst slot (ties in the slots: the highest memory index is evicted),
  blank it, and recompute the row maxima. A tile that cannot beat any row's k-th value costs one
  max per score; after the first tiles, most tiles insert nothing, so the epilogue averages a few
  ops per score instead of the ~200 of a per-tile ``tl.topk``.
* Splits write ``splits × s_q × KP`` candidates (a few MB); ``_merge`` keeps the k best per row by
  repeated extraction, ties to the lower memory index, so the result is deterministic.

Precision: with bf16 inputs a unit-vector dot product carries an error of about 1e-3; divided by the
temperature (0.05) that is ~0.02 in the softmax logits, i.e. ~2% relative error in a weight, and a
near-tie at the k-th place may swap members. fp32 inputs with ``input_precision='ieee'`` match the CPU
path to float rounding; the default for fp32 on the GPU is TF32 (error ~1e-3 too).
"""

from __future__ import annotations

import functools
import math
import os

import torch


@functools.lru_cache(maxsize=2)
def _kernels(interpret: bool):
    """Build the kernels; ``interpret`` mirrors ``TRITON_INTERPRET`` (read by Triton itself at
    decoration and at run time), so kernels are built once per mode."""
    import triton
    import triton.language as tl

    @triton.jit
    def topk_tiles(
        Q,
        M,
        OV,
        OI,
        s_q,
        s_m,
        C,
        hw,
        w,
        radius,
        radius2,
        k,
        m_per_split,
        RESTRICT_FIRST: tl.constexpr,
        USE_RADIUS: tl.constexpr,
        SQUARE: tl.constexpr,
        PRECISION: tl.constexpr,
        BQ: tl.constexpr,
        BM: tl.constexpr,
        BC: tl.constexpr,
        KP: tl.constexpr,
    ):
        pid_q = tl.program_id(0)
        pid_s = tl.program_id(1)
        rq = pid_q * BQ + tl.arange(0, BQ)
        qmask = rq < s_q
        qy = rq // w
        qx = rq % w
        qy_lo = (pid_q * BQ) // w
        qy_hi = (tl.minimum(pid_q * BQ + BQ, s_q) - 1) // w
        slot = tl.arange(0, KP)
        topv = tl.where(slot[None, :] < k, float("-inf"), float("inf")) + tl.zeros(
            [BQ, KP], dtype=tl.float32
        )
        topi = tl.zeros([BQ, KP], dtype=tl.int32) - 1
        kth = tl.min(topv, 1)
        start = pid_s * m_per_split
        end = tl.minimum(start + m_per_split, s_m)
        cols = tl.arange(0, BM)
        for m0 in range(start, end, BM):
            rm = m0 + cols
            mmask = rm < end
            skip = False
            if USE_RADIUS:
                f_lo = m0 // hw
                f_hi = (tl.minimum(m0 + BM, end) - 1) // hw
                if f_lo == f_hi:
                    if (f_lo > 0) | RESTRICT_FIRST:
                        my_lo = (m0 % hw) // w
                        my_hi = ((tl.minimum(m0 + BM, end) - 1) % hw) // w
                        gap = tl.maximum(tl.maximum(my_lo - qy_hi, qy_lo - my_hi), 0)
                        if SQUARE:
                            skip = gap > radius
                        else:
                            skip = gap * gap >= radius2
            if not skip:
                f = rm // hw
                cell = rm % hw
                acc = tl.zeros([BQ, BM], dtype=tl.float32)
                for c0 in range(0, C, BC):
                    rc = c0 + tl.arange(0, BC)
                    cm = rc < C
                    q = tl.load(
                        Q + rc[None, :] * s_q + rq[:, None],
                        mask=qmask[:, None] & cm[None, :],
                        other=0.0,
                    )
                    mt = tl.load(
                        M + f[None, :] * (C * hw) + rc[:, None] * hw + cell[None, :],
                        mask=cm[:, None] & mmask[None, :],
                        other=0.0,
                    )
                    acc = tl.dot(q, mt, acc, input_precision=PRECISION)
                valid = qmask[:, None] & mmask[None, :]
                if USE_RADIUS:
                    my = cell // w
                    mx = cell % w
                    dy = (qy[:, None] - my[None, :]).to(tl.float32)
                    dx = (qx[:, None] - mx[None, :]).to(tl.float32)
                    if SQUARE:
                        inside = (tl.abs(dy) <= radius) & (tl.abs(dx) <= radius)
                    else:
                        inside = dy * dy + dx * dx < radius2
                    restricted = (f > 0) | RESTRICT_FIRST
                    valid = valid & (inside | (restricted == 0)[None, :])
                s = tl.where(valid, acc, float("-inf"))
                rowmax = tl.max(s, 1)
                while tl.max((rowmax > kth).to(tl.int32), 0) > 0:
                    better = rowmax > kth
                    am = tl.argmax(s, 1)
                    key = tl.where(topv == kth[:, None], topi, -2)
                    ev = tl.argmax(key, 1)
                    upd = better[:, None] & (slot[None, :] == ev[:, None])
                    topv = tl.where(upd, rowmax[:, None], topv)
                    topi = tl.where(upd, (m0 + am)[:, None], topi)
                    s = tl.where(better[:, None] & (cols[None, :] == am[:, None]), float("-inf"), s)
                    rowmax = tl.max(s, 1)
                    kth = tl.min(topv, 1)
        real = slot[None, :] < k
        topv = tl.where(real, topv, float("-inf"))
        topi = tl.where(real & (topv > float("-inf")), topi, -1)
        out = pid_s * s_q * KP + rq[:, None] * KP + slot[None, :]
        tl.store(OV + out, topv, mask=qmask[:, None])
        tl.store(OI + out, topi, mask=qmask[:, None])

    @triton.jit
    def merge(OV, OI, V, IDX, s_q, n_cand, k, KP: tl.constexpr, BQ: tl.constexpr, NC: tl.constexpr):
        pid = tl.program_id(0)
        rq = pid * BQ + tl.arange(0, BQ)
        qmask = rq < s_q
        c = tl.arange(0, NC)
        sp = c // KP
        sl = c % KP
        addr = sp[None, :] * s_q * KP + rq[:, None] * KP + sl[None, :]
        cm = qmask[:, None] & (c < n_cand)[None, :]
        vals = tl.load(OV + addr, mask=cm, other=float("-inf"))
        idx = tl.load(OI + addr, mask=cm, other=2147483647)
        idx = tl.where(idx < 0, 2147483647, idx)
        for j in range(0, k):
            m = tl.max(vals, 1)
            sel = tl.min(tl.where(vals == m[:, None], idx, 2147483647), 1)
            ok = m > float("-inf")
            tl.store(V + rq * k + j, m, mask=qmask)
            tl.store(IDX + rq * k + j, tl.where(ok, sel, -1), mask=qmask)
            vals = tl.where((idx == sel[:, None]) & (vals == m[:, None]), float("-inf"), vals)

    return topk_tiles, merge


def available() -> bool:
    try:
        import triton  # noqa: F401
    except ImportError:
        return False
    return True


def topk_affinity_triton(
    query: torch.Tensor,
    memory: torch.Tensor,
    k: int,
    temperature: float = 1.0,
    radius: float | None = None,
    restrict_first: bool = False,
    shape: str = "circle",
    splits: int | None = None,
    block_q: int = 64,
    block_m: int = 64,
    block_c: int = 32,
    input_precision: str = "tf32",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Same contract as :func:`unibench.cuda_ops.topk_affinity`, fused on the GPU.

    With ``TRITON_INTERPRET=1`` in the environment the kernels run under Triton's CPU interpreter on
    CPU tensors, which is how CI checks them without a GPU.
    """
    if query.dim() != 3 or memory.dim() != 4 or memory.shape[1:] != query.shape:
        raise ValueError(
            f"shape mismatch: query {tuple(query.shape)}, memory {tuple(memory.shape)}"
        )
    interpret = os.environ.get("TRITON_INTERPRET") == "1"
    if not query.is_cuda and not interpret:
        raise ValueError(
            "the Triton kernel needs CUDA tensors, or TRITON_INTERPRET=1 for CPU tensors"
        )
    topk_tiles, merge = _kernels(interpret)
    C, h, w = query.shape
    Fm = memory.shape[0]
    hw = h * w
    s_q, s_m = hw, Fm * hw
    kk = min(k, s_m)
    KP = max(2, 1 << (kk - 1).bit_length())
    q = query.contiguous()
    m = memory.contiguous()
    if q.dtype != m.dtype:
        raise ValueError(f"query dtype {q.dtype} != memory dtype {m.dtype}")
    n_qblocks = -(-s_q // block_q)
    if splits is None:
        sms = torch.cuda.get_device_properties(q.device).multi_processor_count if q.is_cuda else 1
        splits = max(1, min(-(-s_m // block_m), -(-2 * sms // n_qblocks)))
    per = math.ceil(s_m / splits)
    m_per_split = math.ceil(per / block_m) * block_m
    splits = math.ceil(s_m / m_per_split)
    dev = q.device
    ov = torch.empty(splits, s_q, KP, device=dev, dtype=torch.float32)
    oi = torch.empty(splits, s_q, KP, device=dev, dtype=torch.int32)
    r = float(radius) if radius is not None else 0.0
    prec = input_precision if q.dtype == torch.float32 else "ieee"
    topk_tiles[(n_qblocks, splits)](
        q,
        m,
        ov,
        oi,
        s_q,
        s_m,
        C,
        hw,
        w,
        r,
        r * r,
        kk,
        m_per_split,
        RESTRICT_FIRST=bool(restrict_first),
        USE_RADIUS=radius is not None,
        SQUARE=shape == "square",
        PRECISION=prec,
        BQ=block_q,
        BM=block_m,
        BC=block_c,
        KP=KP,
    )
    vals = torch.empty(s_q, kk, device=dev, dtype=torch.float32)
    idx = torch.empty(s_q, kk, device=dev, dtype=torch.int32)
    n_cand = splits * KP
    merge_bq = 16
    merge[(-(-s_q // merge_bq),)](
        ov,
        oi,
        vals,
        idx,
        s_q,
        n_cand,
        kk,
        KP=KP,
        BQ=merge_bq,
        NC=max(16, 1 << (n_cand - 1).bit_length()),
    )
    return vals / temperature, idx.long()


__all__ = ["available", "topk_affinity_triton"]
