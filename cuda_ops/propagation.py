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

* :func:`propagate_reference` materialises the whole ``s_q × s_m`` score matrix and a dense mask; it
  is the specification and is used for debugging (``impl='reference'``).
* :func:`propagate_chunked` processes query rows in blocks sized from a memory budget, reusing one
  score buffer, and builds the radius mask per block from coordinates (one ``block × h·w`` window,
  shared by all restricted frames), never ``s_q × s_m``.
"""

from __future__ import annotations

import math
import os
from typing import Literal

import torch
import torch.nn.functional as F

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
    if query.dim() != 3 or memory.dim() != 4 or labels.dim() != 4:
        raise ValueError("expected query C×h×w, memory F×C×h×w, labels F×L×h×w")
    C, h, w = query.shape
    Fm = memory.shape[0]
    if memory.shape[1:] != (C, h, w) or labels.shape[0] != Fm or labels.shape[2:] != (h, w):
        raise ValueError(
            f"shape mismatch: query {tuple(query.shape)}, memory {tuple(memory.shape)}, "
            f"labels {tuple(labels.shape)}"
        )
    q = query.reshape(C, h * w).t()
    m = memory.reshape(Fm, C, h * w).permute(0, 2, 1).reshape(Fm * h * w, C)
    lab = labels.reshape(Fm, labels.shape[1], h * w).permute(0, 2, 1).reshape(Fm * h * w, -1)
    return q, m, lab, (h, w), Fm


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
) -> torch.Tensor:
    """The specification: dense scores, dense mask, stable sort. Returns ``L×h×w``."""
    q, m, lab, grid, Fm = _prepare(query, memory, labels)
    hw = grid[0] * grid[1]
    scores = (q.float() @ m.float().t()) / temperature  # s_q × s_m
    if radius is not None:
        win = _window(torch.arange(hw, device=q.device), grid, radius, shape, q.device)
        for f in _restricted_frames(Fm, radius, restrict_first):
            scores[:, f * hw : (f + 1) * hw].masked_fill_(~win, float("-inf"))
    kk = min(k, scores.shape[1])
    order = torch.sort(scores, dim=1, descending=True, stable=True)
    vals, idx = order.values[:, :kk] * temperature, order.indices[:, :kk]
    out = _softmax_gather(vals, idx, lab.float(), temperature)
    return out.t().reshape(-1, *grid)


def topk_reference(
    query, memory, k, temperature, radius=None, restrict_first=False, shape: Shape = "circle"
):
    """Top-k scores (already divided by temperature) and memory indices per query row."""
    dummy = torch.zeros(memory.shape[0], 1, *memory.shape[2:], dtype=memory.dtype)
    q, m, _, grid, Fm = _prepare(query, memory, dummy)
    hw = grid[0] * grid[1]
    scores = (q.float() @ m.float().t()) / temperature
    if radius is not None:
        win = _window(torch.arange(hw, device=q.device), grid, radius, shape, q.device)
        for f in _restricted_frames(Fm, radius, restrict_first):
            scores[:, f * hw : (f + 1) * hw].masked_fill_(~win, float("-inf"))
    kk = min(k, scores.shape[1])
    order = torch.sort(scores, dim=1, descending=True, stable=True)
    return order.values[:, :kk], order.indices[:, :kk]


def propagate_chunked(
    query: torch.Tensor,
    memory: torch.Tensor,
    labels: torch.Tensor,
    k: int,
    temperature: float,
    radius: float | None = None,
    restrict_first: bool = False,
    shape: Shape = "circle",
    budget_bytes: int = 512 * 2**20,
    min_block: int = 64,
) -> torch.Tensor:
    """Exact propagation in query blocks; extra memory ~ ``block × s_m`` floats within the budget."""
    q, m, lab, grid, Fm = _prepare(query, memory, labels)
    hw = grid[0] * grid[1]
    s_q, s_m = q.shape[0], m.shape[0]
    q = q.float().contiguous()
    m = m.float().contiguous()
    lab = lab.float().contiguous()
    block = max(min_block, budget_bytes // max(1, 4 * s_m * 2))  # scores + topk/mask scratch
    block = min(block, s_q)
    buf = torch.empty(block, s_m, device=q.device, dtype=torch.float32)
    restricted = _restricted_frames(Fm, radius, restrict_first)
    kk = min(k, s_m)
    out = torch.empty(s_q, lab.shape[1], device=q.device, dtype=torch.float32)
    mt = m.t().contiguous()
    for start in range(0, s_q, block):
        stop = min(start + block, s_q)
        n = stop - start
        scores = buf[:n]
        torch.mm(q[start:stop], mt, out=scores)
        if restricted:
            rows = torch.arange(start, stop, device=q.device)
            outside = ~_window(rows, grid, radius, shape, q.device)
            view = scores.view(n, Fm, hw)
            for f in restricted:
                view[:, f].masked_fill_(outside, float("-inf"))
        vals, idx = _stable_topk(scores, kk)
        out[start:stop] = _softmax_gather(vals, idx, lab, temperature)
    return out.t().reshape(-1, *grid)


def propagate(
    query: torch.Tensor,
    memory: torch.Tensor,
    labels: torch.Tensor,
    k: int,
    temperature: float,
    radius: float | None = None,
    restrict_first: bool = False,
    shape: Shape = "circle",
    impl: Literal["auto", "reference", "chunked"] = "auto",
    budget_bytes: int = 512 * 2**20,
) -> torch.Tensor:
    """Dispatch: ``UNIBENCH_FORCE_REFERENCE=1`` or ``impl='reference'`` forces the specification."""
    if impl == "reference" or os.environ.get("UNIBENCH_FORCE_REFERENCE") == "1":
        return propagate_reference(
            query, memory, labels, k, temperature, radius, restrict_first, shape
        )
    if temperature <= 0 or not math.isfinite(temperature):
        raise ValueError(f"temperature must be > 0, got {temperature}")
    return propagate_chunked(
        query,
        memory,
        labels,
        k,
        temperature,
        radius,
        restrict_first,
        shape,
        budget_bytes=budget_bytes,
    )


def l2_normalize(x: torch.Tensor, dim: int = 0) -> torch.Tensor:
    return F.normalize(x, p=2, dim=dim, eps=1e-12)
