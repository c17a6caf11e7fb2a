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
* :func:`topk_affinity` (``impl='chunked'``, the CPU path of :func:`topk` and :func:`propagate`)
  processes query rows in blocks sized from a memory budget, reusing one score buffer, and builds
  the radius mask per block from coordinates (one ``block × h·w`` window, shared by all restricted
  frames), never ``s_q × s_m``.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
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


def _tiles(grid: tuple[int, int], target: int, windowed: bool) -> list[torch.Tensor]:
    """Query blocks of about ``target`` cells: 2-D tiles when a radius window is used (smaller
    windows), consecutive raster rows otherwise."""
    h, w = grid
    if not windowed:
        n = h * w
        return [torch.arange(s, min(s + target, n)) for s in range(0, n, target)]
    th = max(1, min(h, round(math.sqrt(target * h / w))))
    tw = max(1, min(w, -(-target // th)))
    out = []
    for y0 in range(0, h, th):
        for x0 in range(0, w, tw):
            ys = torch.arange(y0, min(y0 + th, h))
            xs = torch.arange(x0, min(x0 + tw, w))
            out.append((ys[:, None] * w + xs[None, :]).flatten())
    return out


@dataclass(frozen=True)
class _Geometry:
    tiles: tuple[torch.Tensor, ...]
    windows: tuple[tuple[torch.Tensor, torch.Tensor], ...]  # (window cells, outside mask) per tile
    max_win: int


@functools.lru_cache(maxsize=16)
def _geometry(
    h: int, w: int, target: int, rho: int, radius: float, shape: str, windowed: bool
) -> _Geometry:
    """Query tiles and, per tile, the memory window its radius can reach with the exact mask.

    Pure function of the grid and the radius, cached: the VOS head asks for the same one every
    frame."""
    tiles = tuple(_tiles((h, w), target, windowed))
    if not windowed:
        return _Geometry(tiles, (), h * w)
    ys_all, xs_all = torch.arange(h), torch.arange(w)
    windows = []
    for qidx in tiles:
        ty, tx = qidx // w, qidx % w
        r0, r1 = max(0, int(ty.min()) - rho), min(h, int(ty.max()) + rho + 1)
        c0, c1 = max(0, int(tx.min()) - rho), min(w, int(tx.max()) + rho + 1)
        wy = ys_all[r0:r1].repeat_interleave(c1 - c0)
        wx = xs_all[c0:c1].repeat(r1 - r0)
        dy = (ty[:, None] - wy[None, :]).float()
        dx = (tx[:, None] - wx[None, :]).float()
        if shape == "circle":
            outside = (dy * dy + dx * dx) >= radius * radius
        else:
            outside = (dy.abs() > radius) | (dx.abs() > radius)
        windows.append((wy * w + wx, outside))
    return _Geometry(tiles, tuple(windows), max(len(c) for c, _ in windows))


def _reach(radius: float, shape: Shape) -> int:
    """Largest integer offset that can satisfy the radius test."""
    if shape == "circle":
        return max(0, math.ceil(radius) - 1)
    return int(math.floor(radius))


def topk_affinity(
    query: torch.Tensor,
    memory: torch.Tensor,
    k: int,
    temperature: float = 1.0,
    radius: float | None = None,
    restrict_first: bool = False,
    shape: Shape = "circle",
    budget_bytes: int = 384 * 2**20,
    target_block: int = 540,
    group: int = 32,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact top-k memory cells per query cell, bounded memory (the CPU path).

    Args:
        query: ``C×h×w`` (L2-normalised) features of the query frame.
        memory: ``F×C×h×w`` features of the memory frames (frame 0 = long-term).
    Returns:
        ``(values, indices)``, each ``s_q × min(k, s_m)``: scores divided by ``temperature`` in
        descending order (ties: lower memory index first) and frame-major memory indices;
        ineligible slots hold ``-inf`` with index ``-1``.

    Design: query blocks of ≈``target_block`` cells (2-D tiles when a radius applies). Per block,
    one GEMM per memory frame writes scores into one reused buffer; a restricted frame is computed
    only on the window of rows/columns its radius can reach from the tile, then masked exactly.
    Top-k is grouped: the maximum of each group of ``group`` columns, the k best groups (stable),
    and an exact top-k among their members: every true top-k entry lies in a selected group, and
    because columns are laid out in ascending memory index, ties resolve like the reference.
    Extra memory is the score buffer (``block × columns``) within ``budget_bytes``, plus per-frame
    window copies, never ``s_q × s_m``.
    """
    if query.dim() != 3 or memory.dim() != 4 or memory.shape[1:] != query.shape:
        raise ValueError(
            f"shape mismatch: query {tuple(query.shape)} (C×h×w), memory {tuple(memory.shape)} (F×C×h×w)"
        )
    C, h, w = query.shape
    Fm = memory.shape[0]
    hw = h * w
    dev = query.device
    q2 = query.reshape(C, hw).float()
    m3 = memory.reshape(Fm, C, hw).float()
    restricted = set(_restricted_frames(Fm, radius, restrict_first))
    kk = min(k, Fm * hw)
    G = group
    rho = _reach(radius, shape) if restricted else 0

    def lpad(n: int) -> int:
        return -(-n // G) * G

    # block size from the budget: the score buffer dominates
    max_win = min(h, 2 * rho + h) * min(w, 2 * rho + w) if restricted else hw
    per_row = sum(lpad(hw if f not in restricted else max_win) for f in range(Fm)) * 4
    target = max(16, min(target_block, budget_bytes // max(per_row, 1)))
    geo = _geometry(h, w, target, rho, float(radius or 0.0), shape, bool(restricted))
    max_win = geo.max_win
    bmax = max(len(t) for t in geo.tiles)
    seg_cap = [lpad(max_win if f in restricted else hw) for f in range(Fm)]
    storage = torch.empty(bmax * sum(seg_cap), device=dev)
    wtmp = torch.empty(C, max_win, device=dev) if restricted else None

    out_v = torch.full((hw, kk), float("-inf"), device=dev)
    out_i = torch.full((hw, kk), -1, dtype=torch.long, device=dev)
    for ti, qidx in enumerate(geo.tiles):
        qidx = qidx.to(dev)
        B = len(qidx)
        qb = q2[:, qidx].t()  # B×C (transposed view of a small copy)
        if restricted:
            widx, outside = geo.windows[ti][0].to(dev), geo.windows[ti][1].to(dev)
            nwin = len(widx)
        segs, gmax, colmaps, offs = [], [], [], 0
        for f in range(Fm):
            n = nwin if f in restricted else hw
            lp = lpad(n)
            seg = storage[offs : offs + B * lp].view(B, lp)
            if f in restricted:
                mw = torch.index_select(m3[f], 1, widx, out=wtmp[:, :n])
                torch.mm(qb, mw, out=seg[:, :n])
                seg[:, :n].masked_fill_(outside, float("-inf"))
                colmaps.append(widx + f * hw)
            else:
                torch.mm(qb, m3[f], out=seg[:, :n])
                colmaps.append(torch.arange(f * hw, (f + 1) * hw, device=dev))
            if lp > n:
                seg[:, n:].fill_(float("-inf"))
                colmaps.append(torch.full((lp - n,), -1, dtype=torch.long, device=dev))
            gmax.append(seg.view(B, lp // G, G).amax(-1))
            segs.append((offs, lp))
            offs += B * lp
        gmax_all = torch.cat(gmax, 1)  # B×NG
        colmap = torch.cat(colmaps)  # virtual column → memory index (-1 = pad)
        ng = gmax_all.shape[1]
        kg = min(kk, ng)
        _, gsel = _stable_topk(gmax_all, kg)
        gsel, _ = gsel.sort(1)  # ascending group = ascending memory index
        # flat positions of the selected groups' members in the storage
        seg_off = torch.cat([torch.full((lp // G,), o, dtype=torch.long) for o, lp in segs]).to(dev)
        seg_ld = torch.cat([torch.full((lp // G,), lp, dtype=torch.long) for _, lp in segs]).to(dev)
        seg_start = torch.cat([torch.arange(0, lp, G, dtype=torch.long) for _, lp in segs]).to(dev)
        rows = torch.arange(B, device=dev)[:, None]
        base = seg_off[gsel] + rows * seg_ld[gsel] + seg_start[gsel]  # B×kg
        pos = (base[:, :, None] + torch.arange(G, device=dev)).reshape(B, kg * G)
        cand = storage[pos]
        vcol = (gsel * G)[:, :, None] + torch.arange(G, device=dev)
        vals, j = _stable_topk(cand, min(kk, kg * G))
        gidx = colmap[vcol.reshape(B, -1).gather(1, j)]
        gidx = gidx.masked_fill(~torch.isfinite(vals), -1)
        out_v[qidx, : vals.shape[1]] = vals / temperature
        out_i[qidx, : vals.shape[1]] = gidx
    return out_v, out_i


Impl = Literal["auto", "reference", "chunked", "triton"]


def resolve_impl(device: str, impl: str = "auto") -> str:
    """The implementation ``impl`` resolves to on ``device`` (what a run record states)."""
    return _choose(torch.empty(0, device="meta" if device == "cuda" else "cpu"), impl, device)


def _choose(query: torch.Tensor, impl: str, device: str | None = None) -> str:
    if impl == "reference" or os.environ.get("UNIBENCH_FORCE_REFERENCE") == "1":
        return "reference"
    if impl == "auto":
        cuda = query.is_cuda if device is None else device == "cuda"
        return "triton" if cuda and triton_topk.available() else "chunked"
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
    target_block: int = 540,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Dispatching top-k affinity: CUDA → Triton kernel, CPU → chunked path (blocks of query
    rows sized from ``budget_bytes``, at least ``target_block``); ``impl='reference'`` or
    ``UNIBENCH_FORCE_REFERENCE=1`` forces the specification (debugging)."""
    if temperature <= 0 or not math.isfinite(temperature):
        raise ValueError(f"temperature must be > 0, got {temperature}")
    which = _choose(query, impl)
    if which == "reference":
        return topk_reference(query, memory, k, temperature, radius, restrict_first, shape)
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
    target_block: int = 540,
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
