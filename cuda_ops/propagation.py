"""Top-k affinity label propagation: the hot path of the propagation heads.

For every query cell, the ``k`` most similar memory cells (dot product of L2-normalised features,
divided by ``temperature``) are kept, softmax-weighted (computed from the row maximum, so it never
overflows) and their labels averaged.

Spatial restriction: a memory cell of a *restricted* frame is eligible only if its grid distance to
the query cell is ``< radius`` (Euclidean, ``shape='circle'``, CRW/UniTrack) or ``<= radius`` in each
axis (``shape='square'``, DINO's window). Frame 0 of the memory is the long-term frame and is
restricted only when ``restrict_first`` is set. Ties are broken deterministically: the lower memory
index (frame-major, then row-major cell) wins. A query row with no eligible memory cell gets all-zero
labels.

Two implementations share that specification:

* :func:`topk_reference` (and :func:`propagate_reference` on it) materialises the whole
  ``s_q × s_m`` score matrix and a dense mask; it is the specification, used for debugging
  (``impl='reference'``) and, with ``stable=False``, as the reference codes' baseline in
  ``unibench bench kernels``.
* :func:`topk_affinity` (``impl='chunked'``, the CPU path of :func:`topk` and :func:`propagate`
  where the fused kernel is absent) searches the unrestricted frames in blocks of query rows (one
  reused score buffer) and the restricted frames on small 2-D query tiles against the window
  their radius reaches, then merges the two candidate lists; never ``s_q × s_m``.
* :func:`~unibench.cuda_ops.cpu_topk.topk_fused` (``impl='fused'``, the CPU default where it
  builds) keeps the top-k at the dot products: strips of 16 query cells scored in registers
  against exactly the rows and columns each frame's radius reaches, each score checked against
  the running k-th value as it is made; no score buffer at all.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
import unibench.cuda_ops.cpu_topk as cpu_topk
import unibench.cuda_ops.triton_topk as triton_topk
from unibench.cuda_ops.triton_topk import topk_affinity_triton

Shape = Literal["circle", "square"]


def _window(
    rows: torch.Tensor, grid: tuple[int, int], radius: float, shape: Shape, device
) -> torch.Tensor:
    """``len(rows) × h·w`` boolean: memory cell within the radius of each query cell."""
    h, w = grid
    qy, qx = (rows // w).float(), (rows % w).float()
    ys = torch.arange(h, device=device, dtype=torch.float32).repeat_interleave(w)
    xs = torch.arange(w, device=device, dtype=torch.float32).repeat(h)
    dy = qy[:, None] - ys[None, :]
    dx = qx[:, None] - xs[None, :]
    if shape == "circle":
        return dy * dy + dx * dx < radius * radius
    return (dy.abs() <= radius) & (dx.abs() <= radius)


def _stable_topk(scores: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-k per row, by value descending, ties resolved towards the lower column index.

    ``torch.topk`` picks an arbitrary subset of the entries tied with the k-th value; only rows where
    such a tie straddles the boundary are repaired, without sorting the row: every entry above the
    k-th value plus the first tied entries by index. The k kept entries are then ordered by
    (value desc, index asc).
    """
    n = scores.shape[1]
    vals, idx = torch.topk(scores, min(k + 1, n), dim=1, largest=True, sorted=True)
    # a tie straddles the boundary exactly when the (k+1)-th value equals the k-th
    straddle = (
        vals[:, k] == vals[:, k - 1]
        if n > k
        else torch.zeros(len(vals), dtype=torch.bool, device=scores.device)
    )
    vals, idx = vals[:, :k].contiguous(), idx[:, :k].contiguous()
    kth = vals[:, -1:]
    rows = straddle.nonzero().flatten()
    if rows.numel():
        sub = scores[rows]
        kr = kth[rows]
        above = sub > kr
        need = k - above.sum(1, keepdim=True)
        eq = sub == kr
        sel = above | (eq & (eq.cumsum(1) <= need))
        ridx = sel.nonzero()[:, 1].view(len(rows), k)
        idx[rows] = ridx
        vals[rows] = sub.gather(1, ridx)
    # order the kept entries by (value desc, index asc)
    idx, perm = idx.sort(1)
    vals = vals.gather(1, perm)
    vals, perm = torch.sort(vals, dim=1, descending=True, stable=True)
    return vals, idx.gather(1, perm)


def _softmax_gather(
    vals: torch.Tensor, idx: torch.Tensor, labels_flat: torch.Tensor, temperature: float
) -> torch.Tensor:
    """Softmax over the kept scores (from the row max) and weighted sum of the kept labels."""
    valid = torch.isfinite(vals)
    top = vals[:, :1].masked_fill(~valid[:, :1], 0.0)
    wts = torch.exp((vals - top) / temperature).masked_fill(~valid, 0.0)
    denom = wts.sum(1, keepdim=True)
    wts = wts / denom.clamp_min(1e-30)
    gathered = labels_flat[idx.clamp_min(0)]  # B×k×L
    return torch.einsum("bk,bkl->bl", wts, gathered)


def _prepare(query, memory, labels):
    """Dense layouts for the reference: ``s_q × C`` queries, ``s_m × C`` memory, ``s_m × L``."""
    lab, grid = _labels_flat(query, memory, labels)
    C = query.shape[0]
    Fm = memory.shape[0]
    q = query.reshape(C, -1).t()
    m = memory.reshape(Fm, C, -1).permute(0, 2, 1).reshape(-1, C)
    return q, m, lab, grid, Fm


def _labels_flat(query, memory, labels) -> tuple[torch.Tensor, tuple[int, int]]:
    """Validate shapes and lay the labels out as ``(F·h·w) × L`` (features are not copied)."""
    if query.dim() != 3 or memory.dim() != 4 or labels.dim() != 4:
        raise ValueError("expected query C×h×w, memory F×C×h×w, labels F×L×h×w")
    C, h, w = query.shape
    Fm = memory.shape[0]
    if memory.shape[1:] != (C, h, w) or labels.shape[0] != Fm or labels.shape[2:] != (h, w):
        raise ValueError(
            f"shape mismatch: query {tuple(query.shape)}, memory {tuple(memory.shape)}, "
            f"labels {tuple(labels.shape)}"
        )
    lab = labels.reshape(Fm, labels.shape[1], h * w).permute(0, 2, 1).reshape(Fm * h * w, -1)
    return lab, (h, w)


def _restricted_frames(n_frames: int, radius: float | None, restrict_first: bool) -> list[int]:
    if radius is None:
        return []
    return [f for f in range(n_frames) if f > 0 or restrict_first]


def propagate_reference(
    query: torch.Tensor,
    memory: torch.Tensor,
    labels: torch.Tensor,
    k: int,
    temperature: float,
    radius: float | None = None,
    restrict_first: bool = False,
    shape: Shape = "circle",
    stable: bool = True,
) -> torch.Tensor:
    """The specification: :func:`topk_reference`, then the softmax-weighted gather of labels.
    Returns ``L×h×w``."""
    lab, grid = _labels_flat(query, memory, labels)
    vals, idx = topk_reference(query, memory, k, temperature, radius, restrict_first, shape, stable)
    out = _softmax_gather(vals * temperature, idx, lab.float(), temperature)
    return out.t().reshape(-1, *grid)


def topk_reference(
    query,
    memory,
    k,
    temperature,
    radius=None,
    restrict_first=False,
    shape: Shape = "circle",
    stable: bool = True,
):
    """Top-k scores (already divided by temperature) and memory indices per query row: dense
    scores, a dense mask, a stable sort (ties: the lower memory index first). ``stable=False``
    takes ``torch.topk`` instead, as the reference codes (CRW, UniTrack) do: the baseline that
    ``unibench bench kernels`` times (``naive-*``)."""
    dummy = torch.zeros(memory.shape[0], 1, *memory.shape[2:], dtype=memory.dtype)
    q, m, _, grid, Fm = _prepare(query, memory, dummy)
    hw = grid[0] * grid[1]
    scores = (q.float() @ m.float().t()) / temperature
    if radius is not None:
        win = _window(torch.arange(hw, device=q.device), grid, radius, shape, q.device)
        for f in _restricted_frames(Fm, radius, restrict_first):
            scores[:, f * hw : (f + 1) * hw].masked_fill_(~win, float("-inf"))
    kk = min(k, scores.shape[1])
    if not stable:
        return scores.topk(kk, dim=1)
    order = torch.sort(scores, dim=1, descending=True, stable=True)
    return order.values[:, :kk], order.indices[:, :kk]


def _split(n: int, target: int) -> list[tuple[int, int]]:
    """``n`` cells in ``ceil(n / target)`` runs whose lengths differ by at most one."""
    parts = -(-n // max(1, target))
    bounds = [i * n // parts for i in range(parts + 1)]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


@dataclass(frozen=True)
class _TileRow:
    """One row of query tiles, batched: ``queries`` ``T×B`` (cells, padded with cell 0),
    ``valid`` ``T×B`` (the real ones), ``cells`` ``T×L`` (the memory window each tile's radius can
    reach, row-major, padded with cell 0 to a multiple of the group size and to the row's widest
    window) and ``bias`` ``T×B×L``: ``-inf`` for the pairs beyond the radius or in the padding,
    0 elsewhere (added to the scores: far cheaper than a broadcast ``masked_fill``)."""

    queries: torch.Tensor
    valid: torch.Tensor
    cells: torch.Tensor
    bias: torch.Tensor


@functools.lru_cache(maxsize=4)
def _geometry(
    h: int, w: int, target: int, rho: int, radius: float, shape: str, group: int
) -> tuple[_TileRow, ...]:
    """2-D query tiles of about ``target`` cells (a small tile reaches a window not much larger
    than the radius's own area), in rows of tiles batched together. Pure function of the grid
    and the radius, cached: the VOS head asks for the same one every frame."""
    th = max(1, min(h, round(math.sqrt(target * h / w))))
    tw = max(1, min(w, -(-target // th)))
    rows = []
    for y0, y1 in _split(h, th):
        qs, ws, outs = [], [], []
        for x0, x1 in _split(w, tw):
            ty = torch.arange(y0, y1).repeat_interleave(x1 - x0)
            tx = torch.arange(x0, x1).repeat(y1 - y0)
            r0, r1 = max(0, y0 - rho), min(h, y1 + rho)
            c0, c1 = max(0, x0 - rho), min(w, x1 + rho)
            wy = torch.arange(r0, r1).repeat_interleave(c1 - c0)
            wx = torch.arange(c0, c1).repeat(r1 - r0)
            dy = (ty[:, None] - wy[None, :]).float()
            dx = (tx[:, None] - wx[None, :]).float()
            if shape == "circle":
                outside = (dy * dy + dx * dx) >= radius * radius
            else:
                outside = (dy.abs() > radius) | (dx.abs() > radius)
            qs.append(ty * w + tx)
            ws.append(wy * w + wx)
            outs.append(outside)
        B = max(len(q) for q in qs)
        L = -(-max(len(c) for c in ws) // group) * group
        T = len(qs)
        queries = torch.zeros(T, B, dtype=torch.long)
        valid = torch.zeros(T, B, dtype=torch.bool)
        cells = torch.zeros(T, L, dtype=torch.long)
        bias = torch.full((T, B, L), float("-inf"))
        for t, (q, c, o) in enumerate(zip(qs, ws, outs, strict=True)):
            queries[t, : len(q)] = q
            valid[t, : len(q)] = True
            cells[t, : len(c)] = c
            bias[t, : len(q), : len(c)] = torch.where(o, float("-inf"), 0.0)
        rows.append(_TileRow(queries, valid, cells, bias))
    return tuple(rows)


# the largest integer offset that can satisfy the radius test (one rule for both CPU paths)
_reach = cpu_topk.reach


def _grouped_topk(scores: torch.Tensor, k: int, group: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact top-k of each row of ``B×N`` scores (``N`` a multiple of ``group``), ties towards
    the lower column: the maximum of each group of ``group`` columns, the k best groups (stable),
    then an exact top-k among their members. Every true top-k entry lies in a selected group, and
    because the selected groups are visited in ascending column order, ties resolve like a stable
    sort. Returns values and columns (``B×k'``)."""
    B, N = scores.shape
    gmax = scores.view(B, N // group, group).amax(-1)
    kg = min(k, N // group)
    _, gsel = _stable_topk(gmax, kg)
    gsel, _ = gsel.sort(1)
    cols = (gsel[:, :, None] * group + torch.arange(group, device=scores.device)).view(B, -1)
    vals, j = _stable_topk(scores.gather(1, cols), min(k, kg * group))
    return vals, cols.gather(1, j)


# rows of a block of the global pass: a buffer of 512 × 6420 scores (13 MB) runs the GEMM at the
# bare GEMM's rate on 2 cores; the whole 6420 × 6420 at once runs at half of it (page faults, cache)
_GLOBAL_ROWS = 512
# the most the working set of one batch of query tiles of the restricted pass (windows and scores)
# holds: a row of 8 tiles of 96 cells against 5 frames' windows at radius 12 fits (a 60 × 107 grid,
# 480p at stride 8); against 20 frames (the crw preset) the tiles go one at a time
_TILE_BYTES = 32 * 2**20


def _check_features(query: torch.Tensor, memory: torch.Tensor) -> None:
    if query.dim() != 3 or memory.dim() != 4 or memory.shape[1:] != query.shape:
        raise ValueError(
            f"shape mismatch: query {tuple(query.shape)} (C×h×w), memory {tuple(memory.shape)} (F×C×h×w)"
        )


def _merge_topk(parts, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-k of several candidate lists, each ordered (value desc, index asc), the earlier lists
    holding the lower memory indices: a stable sort by value keeps ties towards the lower index."""
    if len(parts) == 1:
        return parts[0]
    vals = torch.cat([v for v, _ in parts], 1)
    idx = torch.cat([i for _, i in parts], 1)
    vals, order = torch.sort(vals, dim=1, descending=True, stable=True)
    return vals[:, :k].contiguous(), idx.gather(1, order[:, :k])


def topk_affinity(
    query: torch.Tensor,
    memory: torch.Tensor,
    k: int,
    temperature: float = 1.0,
    radius: float | None = None,
    restrict_first: bool = False,
    shape: Shape = "circle",
    budget_bytes: int = 384 * 2**20,
    target_block: int = 96,
    group: int = 32,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact top-k memory cells per query cell, bounded memory (the CPU path).

    Args:
        query: ``C×h×w`` (L2-normalised) features of the query frame.
        memory: ``F×C×h×w`` features of the memory frames (frame 0 = long-term).
        budget_bytes: the most the score buffer of the unrestricted frames (blocks of query rows
            are sized from it) and a batch of tiles' windows and scores may hold (at least 16 rows
            and one tile).
        target_block: cells of a query tile for the restricted frames.
    Returns:
        ``(values, indices)``, each ``s_q × min(k, s_m)``: scores divided by ``temperature`` in
        descending order (ties: lower memory index first) and frame-major memory indices;
        ineligible slots hold ``-inf`` with index ``-1``.

    Design: two passes whose candidates are merged. The unrestricted frames (frame 0 unless
    ``restrict_first``; every frame without a radius) are searched globally in large blocks of
    query rows: one GEMM per block into one reused buffer. The restricted frames are searched on
    2-D query tiles of ≈``target_block`` cells: the window of memory cells the tile's radius can
    reach is gathered once for all restricted frames, one batched GEMM scores it, the exact
    radius mask is added (0 or ``-inf``). Small tiles keep the window near the radius's own area (a
    7 × 14 tile at radius 12 reaches 29 × 36 cells, 2.3× the circle's 452; a 540-cell tile 4.6×);
    the tiles of a row are batched so that small tiles cost no more calls. Each pass takes
    the grouped top-k (:func:`_grouped_topk`); the unrestricted frames always hold the lower
    memory indices, so a stable merge resolves ties like the reference. Extra memory: the score
    buffer (at most ``_GLOBAL_ROWS`` rows) and one batch of tiles (at most ``_TILE_BYTES``),
    never ``s_q × s_m``.
    """
    _check_features(query, memory)
    C, h, w = query.shape
    Fm = memory.shape[0]
    hw = h * w
    dev = query.device
    # cell-major layouts (cell × C): views where the caller's tensors are stored channels-last
    # (the VOS head's memory is), one copy otherwise
    qc = query.permute(1, 2, 0).reshape(hw, C).float()
    mc = memory.permute(0, 2, 3, 1).reshape(Fm, hw, C).float()
    restricted = _restricted_frames(Fm, radius, restrict_first)
    nf = Fm - len(restricted)  # the unrestricted frames are 0 .. nf-1
    kk = min(k, Fm * hw)
    G = group
    parts = []
    if nf:
        mg = mc[:nf].reshape(nf * hw, C).t()  # C × (nf·hw), frame-major
        ncols = nf * hw
        lp = -(-ncols // G) * G
        rows = max(16, min(hw, _GLOBAL_ROWS, budget_bytes // (4 * lp)))
        buf = torch.empty(rows * lp, device=dev)
        kg = min(kk, ncols)
        gv = torch.empty(hw, kg, device=dev)
        gi = torch.empty(hw, kg, dtype=torch.long, device=dev)
        for s in range(0, hw, rows):
            B = min(rows, hw - s)
            S = buf[: B * lp].view(B, lp)
            torch.mm(qc[s : s + B], mg, out=S[:, :ncols])
            if lp > ncols:
                S[:, ncols:].fill_(float("-inf"))
            v, col = _grouped_topk(S, kg, G)
            gv[s : s + B] = v
            gi[s : s + B] = col
        parts.append((gv, gi.masked_fill_(~torch.isfinite(gv), -1)))
    if restricted:
        Fr = len(restricted)
        # restricted memory as (frame, cell) rows of C features: a tile's windows are one gather
        mr = mc[nf:].reshape(Fr * hw, C)
        kr = min(kk, Fr * hw)
        rv = torch.full((hw, kr), float("-inf"), device=dev)
        ri = torch.full((hw, kr), -1, dtype=torch.long, device=dev)
        frame_off = torch.arange(Fr, device=dev)[:, None] * hw
        geo = _geometry(h, w, target_block, _reach(radius, shape), float(radius), shape, G)
        # batches of tiles whose windows and scores fit _TILE_BYTES (at least one tile), in two
        # buffers reused by every batch
        B0, L0 = max(r.queries.shape[1] for r in geo), max(r.cells.shape[1] for r in geo)
        per_tile = Fr * L0 * (C + B0) * 4
        tpb = max(
            1, min(max(len(r.queries) for r in geo), min(_TILE_BYTES, budget_bytes) // per_tile)
        )
        wbuf = torch.empty(tpb * Fr * L0 * C, device=dev)
        sbuf = torch.empty(tpb * B0 * Fr * L0, device=dev)
        batches = [
            (r, slice(t, t + tpb)) for r in geo for t in range(0, len(r.queries), tpb)
        ]  # fmt: skip
        for row, part in batches:
            queries, valid = row.queries[part].to(dev), row.valid[part].to(dev)
            cells, bias = row.cells[part].to(dev), row.bias[part].to(dev)
            T, B = queries.shape
            L = cells.shape[1]
            gidx = (frame_off[None] + cells[:, None, :]).reshape(-1)  # T·Fr·L
            win = torch.index_select(mr, 0, gidx, out=wbuf[: T * Fr * L * C].view(-1, C))
            win = win.view(T, Fr * L, C)
            qt = torch.index_select(qc, 0, queries.reshape(-1)).view(T, B, C)
            S = sbuf[: T * B * Fr * L].view(T, B, Fr * L)
            torch.bmm(qt, win.transpose(1, 2), out=S)  # frame-major columns
            S.view(T, B, Fr, L).add_(bias[:, :, None, :])  # the radius: -inf outside it
            v, col = _grouped_topk(S.view(T * B, Fr * L), kr, G)
            n = v.shape[1]
            tile = torch.arange(T, device=dev).repeat_interleave(B)[:, None]
            idx = (nf + col // L) * hw + cells[tile, col % L]
            idx.masked_fill_(~torch.isfinite(v), -1)
            keep = valid.reshape(-1)
            out = queries.reshape(-1)[keep]
            rv[out, :n] = v[keep]
            ri[out, :n] = idx[keep]
        parts.append((rv, ri))
    vals, idx = _merge_topk(parts, kk)
    return vals / temperature, idx


Impl = Literal["auto", "reference", "chunked", "fused", "triton"]


def resolve_impl(device: str, impl: str = "auto") -> str:
    """The implementation ``impl`` resolves to on ``device`` (what a run record states)."""
    return _choose(torch.empty(0, device="meta" if device == "cuda" else "cpu"), impl, device)


def _choose(query: torch.Tensor, impl: str, device: str | None = None) -> str:
    if impl == "reference" or os.environ.get("UNIBENCH_FORCE_REFERENCE") == "1":
        return "reference"
    if impl == "auto":
        if query.is_cuda if device is None else device == "cuda":
            return "triton" if triton_topk.available() else "chunked"
        return "fused" if cpu_topk.available() else "chunked"
    return impl


def topk(
    query: torch.Tensor,
    memory: torch.Tensor,
    k: int,
    temperature: float = 1.0,
    radius: float | None = None,
    restrict_first: bool = False,
    shape: Shape = "circle",
    impl: Impl = "auto",
    budget_bytes: int = 384 * 2**20,
    target_block: int = 96,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Dispatching top-k affinity: CUDA → Triton kernel; CPU → the fused kernel
    (:mod:`~unibench.cuda_ops.cpu_topk`, where it builds) or the chunked PyTorch path (blocks of
    query rows sized from ``budget_bytes``, tiles of ``target_block`` cells); ``impl='reference'``
    or ``UNIBENCH_FORCE_REFERENCE=1`` forces the specification (debugging)."""
    if temperature <= 0 or not math.isfinite(temperature):
        raise ValueError(f"temperature must be > 0, got {temperature}")
    which = _choose(query, impl)
    if which == "reference":
        return topk_reference(query, memory, k, temperature, radius, restrict_first, shape)
    if which == "fused":
        _check_features(query, memory)
        Fm = memory.shape[0]
        restricted = set(_restricted_frames(Fm, radius, restrict_first))
        kk = min(k, Fm * query.shape[1] * query.shape[2])
        vals, idx = cpu_topk.topk_fused(
            query, memory, kk, [f in restricted for f in range(Fm)], radius, shape
        )
        return vals / temperature, idx
    if which == "triton":
        return topk_affinity_triton(query, memory, k, temperature, radius, restrict_first, shape)
    return topk_affinity(
        query, memory, k, temperature, radius, restrict_first, shape, budget_bytes=budget_bytes,
        target_block=target_block,
    )  # fmt: skip


def propagate(
    query: torch.Tensor,
    memory: torch.Tensor,
    labels: torch.Tensor,
    k: int,
    temperature: float,
    radius: float | None = None,
    restrict_first: bool = False,
    shape: Shape = "circle",
    impl: Impl = "auto",
    budget_bytes: int = 384 * 2**20,
    target_block: int = 96,
) -> torch.Tensor:
    """Propagated labels ``L×h×w``; same dispatch as :func:`topk`."""
    if _choose(query, impl) == "reference":
        return propagate_reference(
            query, memory, labels, k, temperature, radius, restrict_first, shape
        )
    lab, grid = _labels_flat(query, memory, labels)
    vals, idx = topk(
        query, memory, k, 1.0, radius, restrict_first, shape, impl, budget_bytes, target_block
    )
    out = _softmax_gather(vals.float(), idx, lab.float(), temperature)
    return out.t().reshape(-1, *grid)


def l2_normalize(x: torch.Tensor, dim: int = 0) -> torch.Tensor:
    return F.normalize(x, p=2, dim=dim, eps=1e-12)
