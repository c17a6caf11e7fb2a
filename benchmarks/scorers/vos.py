"""J&F for semi-supervised VOS, re-implemented after davis2017-evaluation (the official code).

Protocol (``davis2017-evaluation``, ``task='semi-supervised'``):

* objects are the ids of the first-frame annotation; frames ``1 … N-2`` are scored (the first,
  given, and the last frame are excluded);
* J = region IoU per object and frame, 1 when prediction and ground truth are both empty;
* F = boundary F-measure: boundaries by ``seg2bmap``, matched within a disk of radius
  ``ceil(0.008 · image diagonal)`` (``bound_th=0.008``); precision/recall conventions of the official
  ``f_measure`` for empty boundaries;
* void pixels (255) are set to background and, as in the official semi-supervised path (which passes
  ``void_pixels=None``), are not excluded from J or F;
* per object: mean, recall (fraction > 0.5) and decay (mean of the first quarter minus mean of the
  last quarter of the frames, quarters from ``round(linspace(1, n, 5))``);
* the benchmark J&F-Mean is the mean over all objects of all sequences of J-Mean and F-Mean, averaged.

Difference from the official code, on purpose: its decay indices are cast to ``uint8`` and wrap for
sequences longer than 255 scored frames; we keep them as ``int64`` (identical up to 255 frames).
IDs are never re-matched: a prediction with swapped ids scores 0, unlike TrackEval's unsupervised
J&F.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import ndimage
from scipy.optimize import linear_sum_assignment

from unibench.metrics import register_metric

# the fields this family emits (davis2017-evaluation; the YouTube-VOS server's table)
register_metric("J&F-Mean", "percent", True, "J&F-Mean (davis2017-evaluation)")
register_metric("J-Mean", "percent")
register_metric("J-Recall", "percent")
register_metric("J-Decay", "percent", False)
register_metric("F-Mean", "percent")
register_metric("F-Recall", "percent")
register_metric("F-Decay", "percent", False)
register_metric("Overall", "percent", True, "Overall (YouTube-VOS server)")
# referring VOS (benchmarks/refvos.py): the J&F of the R-VOS benchmarks, under UniBench's protocols
register_metric("J&F (R-VOS)", "percent", True, "J&F (Ref-YouTube-VOS server / Ref-DAVIS17)")
register_metric("J (R-VOS)", "percent", True, "J (Ref-YouTube-VOS server / Ref-DAVIS17)")
register_metric("F (R-VOS)", "percent", True, "F (Ref-YouTube-VOS server / Ref-DAVIS17)")
# the zero-shot-grounding protocol's own figure and per-expression column (UniBench's, no toolkit's)
GROUNDING_ACC = "Grounding acc. (R-VOS)"
register_metric(
    GROUNDING_ACC,
    "percent",
    True,
    doc="zero-shot-grounding: the fraction of expressions that selected their referred object",
)
register_metric("selected", "count", doc="zero-shot-grounding: the object an expression selected")
register_metric("J-seen", "percent", True, "J_seen (YouTube-VOS server)")
register_metric("F-seen", "percent", True, "F_seen (YouTube-VOS server)")
register_metric("J-unseen", "percent", True, "J_unseen (YouTube-VOS server)")
register_metric("F-unseen", "percent", True, "F_unseen (YouTube-VOS server)")


def jaccard(gt: np.ndarray, pred: np.ndarray, void: np.ndarray | None = None) -> float:
    """Region similarity J of two boolean masks (1.0 when both are empty); ``void`` pixels (the
    annotation's 255) count for neither (``db_eval_iou``)."""
    gt, pred = gt.astype(bool), pred.astype(bool)
    keep = np.ones_like(gt) if void is None else ~void.astype(bool)
    union = (np.logical_or(gt, pred) & keep).sum()
    if union == 0:
        return 1.0
    return float((np.logical_and(gt, pred) & keep).sum() / union)


def seg2bmap(seg: np.ndarray) -> np.ndarray:
    """One-pixel-wide boundary of a binary mask (``_seg2bmap`` of the official code, same size)."""
    seg = seg.astype(bool)
    e = np.zeros_like(seg)
    s = np.zeros_like(seg)
    se = np.zeros_like(seg)
    e[:, :-1] = seg[:, 1:]
    s[:-1, :] = seg[1:, :]
    se[:-1, :-1] = seg[1:, 1:]
    b = (seg ^ e) | (seg ^ s) | (seg ^ se)
    b[-1, :] = seg[-1, :] ^ e[-1, :]
    b[:, -1] = seg[:, -1] ^ s[:, -1]
    b[-1, -1] = False
    return b


def disk(radius: int) -> np.ndarray:
    """The structuring element of ``skimage.morphology.disk``: x² + y² ≤ r²."""
    r = int(radius)
    y, x = np.mgrid[-r : r + 1, -r : r + 1]
    return (x * x + y * y) <= r * r


def dilate_disk(b: np.ndarray, radius: int) -> np.ndarray:
    """Binary dilation by :func:`disk` (``cv2.dilate`` with ``disk(r)`` in the official code).

    Computed as "Euclidean distance to the nearest set pixel ≤ r", which is the same set
    (offsets with dx² + dy² ≤ r²) and fast for the large radii of 480p frames.
    """
    if not b.any():
        return np.zeros_like(b, dtype=bool)
    return ndimage.distance_transform_edt(~b) <= radius


def boundary_radius(shape: tuple[int, int], bound_th: float = 0.008) -> int:
    return int(bound_th if bound_th >= 1 else math.ceil(bound_th * math.hypot(*shape)))


def f_measure(
    gt: np.ndarray, pred: np.ndarray, bound_th: float = 0.008, void: np.ndarray | None = None
) -> float:
    """Boundary F-measure of two boolean masks (official ``f_measure``; ``void`` pixels are
    cleared from both masks before their boundaries are taken)."""
    if void is not None:
        keep = ~void.astype(bool)
        gt, pred = gt.astype(bool) & keep, pred.astype(bool) & keep
    fg_b = seg2bmap(pred)
    gt_b = seg2bmap(gt)
    n_fg, n_gt = int(fg_b.sum()), int(gt_b.sum())
    if n_fg == 0 and n_gt > 0:
        precision, recall = 1.0, 0.0
    elif n_fg > 0 and n_gt == 0:
        precision, recall = 0.0, 1.0
    elif n_fg == 0 and n_gt == 0:
        precision, recall = 1.0, 1.0
    else:
        r = boundary_radius(gt.shape, bound_th)
        fg_dil = dilate_disk(fg_b, r)
        gt_dil = dilate_disk(gt_b, r)
        precision = float((fg_b & gt_dil).sum()) / n_fg
        recall = float((gt_b & fg_dil).sum()) / n_gt
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def statistics(values: np.ndarray) -> tuple[float, float, float]:
    """Mean, recall (> 0.5) and decay of per-frame values (``db_statistics``, int64 indices)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return float("nan"), float("nan"), float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        mean = float(np.nanmean(values))
        recall = float(np.nanmean(values > 0.5))
        ids = (np.round(np.linspace(1, len(values), 5) + 1e-10) - 1).astype(np.int64)
        bins = [values[ids[i] : ids[i + 1] + 1] for i in range(4)]
        decay = float(np.nanmean(bins[0]) - np.nanmean(bins[3]))
    return mean, recall, decay


def evaluate_sequence(
    gt: np.ndarray, pred: np.ndarray, object_ids: tuple[int, ...], bound_th: float = 0.008
) -> list[dict[str, float]]:
    """Score the frames given (``T×H×W`` label maps, already cut to frames 1…N-2) per object."""
    rows = []
    for oid in object_ids:
        j = np.array([jaccard(g == oid, p == oid) for g, p in zip(gt, pred, strict=True)])
        f = np.array(
            [f_measure(g == oid, p == oid, bound_th) for g, p in zip(gt, pred, strict=True)]
        )
        jm, jr, jd = statistics(j)
        fm, fr, fd = statistics(f)
        rows.append(
            {
                "object": int(oid),
                "J-Mean": jm,
                "J-Recall": jr,
                "J-Decay": jd,
                "F-Mean": fm,
                "F-Recall": fr,
                "F-Decay": fd,
                "J&F-Mean": (jm + fm) / 2,
                "frames": len(j),
            }
        )
    return rows


def evaluate_unsupervised(
    gt: np.ndarray, pred: np.ndarray, max_proposals: int = 20, bound_th: float = 0.008
) -> list[dict[str, float]]:
    """davis2017-evaluation's ``unsupervised`` task on one sequence (the protocol R-VOS papers run
    on Ref-DAVIS17): every frame; the objects of the ground truth are 1..max of its first frame,
    255 is void; the predicted ids 1..max over the sequence are matched to them by the Hungarian
    assignment maximising mean (J+F)/2 (a missing prediction scores 0); statistics per ground-truth
    object, as :func:`evaluate_sequence` returns them."""
    void = gt == 255
    labels = np.where(void, 0, gt)
    n_gt = int(labels[0].max())
    n_pred = int(pred.max()) if pred.size else 0
    if n_pred > max_proposals:
        raise ValueError(f"{n_pred} predicted objects: at most {max_proposals} are scored")
    n_res = max(n_pred, n_gt)
    j = np.zeros((n_res, n_gt, len(gt)))
    f = np.zeros((n_res, n_gt, len(gt)))
    for g in range(n_gt):
        for r in range(n_res):
            for t in range(len(gt)):
                gm, pm = labels[t] == g + 1, pred[t] == r + 1
                j[r, g, t] = jaccard(gm, pm, void[t])
                f[r, g, t] = f_measure(gm, pm, bound_th, void[t])
    rows_, cols_ = linear_sum_assignment(-(j.mean(2) + f.mean(2)) / 2)
    rows = []
    for r, g in zip(rows_, cols_, strict=True):
        jm, jr, jd = statistics(j[r, g])
        fm, fr, fd = statistics(f[r, g])
        rows.append({"object": int(g + 1), "J-Mean": jm, "J-Recall": jr, "J-Decay": jd,
                     "F-Mean": fm, "F-Recall": fr, "F-Decay": fd, "J&F-Mean": (jm + fm) / 2,
                     "frames": len(gt)})  # fmt: skip
    return sorted(rows, key=lambda r: r["object"])


def summarize(rows: list[dict[str, float]]) -> dict[str, float]:
    """Benchmark summary: every statistic averaged over all objects of all sequences."""
    keys = ["J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay"]
    if not rows:
        return {}
    out = {k: float(np.nanmean([r[k] for r in rows])) for k in keys}
    out["J&F-Mean"] = (out["J-Mean"] + out["F-Mean"]) / 2
    out["objects"] = float(len(rows))
    return out
