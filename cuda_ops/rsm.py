"""Reconstruction Similarity Metric (UniTrack, Sec. 3.3) without materialising reconstructions.

Definition (the specification, :func:`rsm_direct`): tracklet ``i`` has points ``T_i`` (``s_t × C``),
detection ``j`` has points ``D_j`` (``s_d × C``), all L2-normalised. All tracklet points and all
detection points form one affinity ``S = T Dᵀ`` (``Σs_t × Σs_d``). ``P = softmax_row(S / τ)``
(each tracklet point over every detection point) and ``Q = softmax_col(S / τ)`` (each detection
point over every tracklet point). For a pair, the sub-matrices ``P_ij`` and ``Q_ij`` are
reconstruction weights: ``T̂_ij = P_ij D_j`` and ``D̂_ij = Q_ijᵀ T_i``, and

    RSM(i, j) = ½ [cos(vec T_i, vec T̂_ij) + cos(vec D_j, vec D̂_ij)].

Because the softmax runs over all detections (all tracklets), similar competitors lower a pair's
reconstruction, which is what makes RSM discriminative. ``τ`` defaults to 0.01 (UniTrack's
temperature 100 as a multiplier).

Fast form (:func:`rsm`): ``⟨T̂_ij, T_i⟩ = Σ P_ij ∘ S_ij`` and
``‖T̂_ij‖² = Σ (P_ij G_j) ∘ P_ij`` with the per-detection Gram matrix ``G_j = D_j D_jᵀ``
(symmetrically for ``D̂`` with ``H_i = T_i T_iᵀ``). That costs ``s³`` per pair instead of ``s² C``,
and no ``[points × detections × C]`` tensor is built.

Variable point counts are given by boolean masks (``t_mask``: ``M × s_t``, ``d_mask``: ``N × s_d``);
masked points take part in nothing. Empty inputs give an empty ``M × N`` matrix.
"""

from __future__ import annotations

import torch


def _prep(t, d, t_mask, d_mask):
    if t.dim() != 3 or d.dim() != 3 or t.shape[-1] != d.shape[-1]:
        raise ValueError(
            f"expected tracklets M×s_t×C and detections N×s_d×C, got "
            f"{tuple(t.shape)} and {tuple(d.shape)}"
        )
    dt = torch.promote_types(torch.promote_types(t.dtype, d.dtype), torch.float32)
    t = t.to(dt) * (t_mask[..., None] if t_mask is not None else 1.0)
    d = d.to(dt) * (d_mask[..., None] if d_mask is not None else 1.0)
    tm = (
        t_mask if t_mask is not None else torch.ones(t.shape[:2], dtype=torch.bool, device=t.device)
    )
    dm = (
        d_mask if d_mask is not None else torch.ones(d.shape[:2], dtype=torch.bool, device=d.device)
    )
    return t, d, tm.bool(), dm.bool()


def _softmaxes(S, tm, dm, temperature):
    """Row softmax (over all detection points) and column softmax (over all tracklet points),
    each pair block rescaled so that its largest weight is 1.

    The rescaling is exact for RSM (a cosine is invariant to a per-pair factor) and keeps the
    weights of a pair whose softmax mass is tiny (competitors win) away from underflow.
    """
    M, st, N, sd = S.shape
    valid = tm[:, :, None, None] & dm[None, None, :, :]
    logits = (S / temperature).masked_fill(~valid, float("-inf"))
    flat = logits.reshape(M * st, N * sd)
    out = []
    for dim in (1, 0):
        logp = (flat - torch.logsumexp(flat, dim=dim, keepdim=True)).reshape(M, st, N, sd)
        logp = logp.nan_to_num(float("-inf"), float("-inf"), float("-inf"))
        peak = logp.amax(dim=(1, 3), keepdim=True)
        out.append(torch.exp(logp - peak.clamp_min(torch.finfo(S.dtype).min)).nan_to_num(0.0))
    return out[0], out[1]


def _affinity(tracklets, detections, temperature, t_mask, d_mask):
    """Prepared features, the joint affinity ``S`` and its two softmaxes (None when empty)."""
    t, d, tm, dm = _prep(tracklets, detections, t_mask, d_mask)
    if t.shape[0] == 0 or d.shape[0] == 0:
        return t, d, None, None, None
    S = torch.einsum("mac,nbc->manb", t, d)
    P, Q = _softmaxes(S, tm, dm, temperature)
    return t, d, S, P, Q


def _cos(num, den, norm):
    return num / (den.clamp_min(0).sqrt() * norm.sqrt()).clamp_min(1e-12)


def rsm(
    tracklets: torch.Tensor,
    detections: torch.Tensor,
    temperature: float = 0.01,
    t_mask: torch.Tensor | None = None,
    d_mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """RSM via Gram matrices: ``M × N``, no reconstruction tensors."""
    t, d, S, P, Q = _affinity(tracklets, detections, temperature, t_mask, d_mask)
    M, N = t.shape[0], d.shape[0]
    if M == 0 or N == 0:
        return torch.zeros(M, N, device=t.device, dtype=t.dtype)
    Gd = torch.einsum("nbc,nec->nbe", d, d)
    Gt = torch.einsum("mac,mec->mae", t, t)
    num_t = (P * S).sum((1, 3))
    den_t = (torch.einsum("manb,nbe->mane", P, Gd) * P).sum((1, 3))
    num_d = (Q * S).sum((1, 3))
    den_d = (torch.einsum("mae,menb->manb", Gt, Q) * Q).sum((1, 3))
    norm_t = (t * t).sum((1, 2))[:, None]
    norm_d = (d * d).sum((1, 2))[None, :]
    return 0.5 * (_cos(num_t, den_t, norm_t) + _cos(num_d, den_d, norm_d))


def rsm_direct(
    tracklets: torch.Tensor,
    detections: torch.Tensor,
    temperature: float = 0.01,
    t_mask: torch.Tensor | None = None,
    d_mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """The definition, materialising every reconstruction (``M × s_t × N × C`` and the mirror)."""
    t, d, S, P, Q = _affinity(tracklets, detections, temperature, t_mask, d_mask)
    M, N = t.shape[0], d.shape[0]
    if M == 0 or N == 0:
        return torch.zeros(M, N, device=t.device, dtype=t.dtype)
    t_hat = torch.einsum("manb,nbc->manc", P, d)  # reconstruction of T_i from D_j
    d_hat = torch.einsum("manb,mac->mnbc", Q, t)  # reconstruction of D_j from T_i
    cos_t = torch.nn.functional.cosine_similarity(
        t_hat.permute(0, 2, 1, 3).reshape(M, N, -1),
        t.reshape(M, 1, -1).expand(M, N, -1),
        dim=-1,
        eps=1e-12,
    )
    cos_d = torch.nn.functional.cosine_similarity(
        d_hat.reshape(M, N, -1), d.reshape(1, N, -1).expand(M, N, -1), dim=-1, eps=1e-12
    )
    return 0.5 * (cos_t + cos_d)
