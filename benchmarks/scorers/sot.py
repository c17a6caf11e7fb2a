"""Single-object tracking metrics, re-implemented after the official Python toolkit ``got10k``.

Boxes are ``x, y, w, h`` in pixels (1-based OTB convention for centres, as in got10k).

* IoU (``rect_iou``): continuous-coordinate intersection over union, ``inter / (union + eps)``,
  clipped to [0, 1]; with a ``bound`` (image width, height) both boxes are first clipped to the image
  (GOT-10k).
* Centre error (``center_error``): distance of the centres ``xy + (wh − 1) / 2``.
* OTB OPE (``ExperimentOTB``): the first predicted box is replaced by the ground truth; per sequence
  the success curve is the fraction of frames with IoU **>** each of 21 thresholds
  ``linspace(0, 1, 21)`` and the precision curve the fraction with centre error **≤** 0…50 px;
  curves are averaged over sequences; AUC (success score) = mean of the averaged success curve,
  precision = curve at 20 px, success rate = curve at IoU 0.5.
* Normalised precision (LaSOT): centre error divided by the ground-truth size,
  ``‖c_p / wh_g − c_g / wh_g‖`` (divided first, as the toolkits and pytracking), thresholds
  ``(0:50) / 100``. ``NormPrecision`` is the LaSOT
  paper's ranking score, the area under that curve (its mean); ``NormPrecision@0.2`` is the value at
  0.2 that pytracking prints. Frames flagged invalid (absent target) are excluded.
* GOT-10k (``ExperimentGOT10k``): frames after the first whose ``cover.label`` is 0 (absent or fully
  occluded) are excluded; IoUs with boxes clipped to the image; all frames of all sequences pooled
  (frame weighting: a long sequence counts more), repeated runs of a sequence concatenated;
  AO = mean IoU, SR₀.₅ / SR₀.₇₅ = fraction of IoU > 0.5 / 0.75.

pysot-toolkit differs (documented, not implemented): it computes IoU only on frames whose ground
truth has w, h > 0 and counts the others as failures, uses centres ``xy + wh / 2``, and does not
replace the first box.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from unibench.metrics import register_metric

# the fields this family emits (OPE: OTB / LaSOT / TNL2K / TrackingNet toolkits; GOT-10k's
# toolkit; OxUvA's long-term analysis)
register_metric("AUC", "percent", True, "success AUC (got10k ope)")
register_metric("Precision", "percent", True, "precision@20px")
register_metric("NormPrecision", "percent")
register_metric("NormPrecision@0.2", "percent")
register_metric("SuccessRate", "percent")
register_metric("AO", "percent")
register_metric("SR0.5", "percent")
register_metric("SR0.75", "percent")
register_metric("MaxGM", "percent", True, "MaxGM (OxUvA)")
register_metric("TPR", "percent")
register_metric("TNR", "percent")
register_metric("GM", "percent")
register_metric("PosthocMaxGM", "percent")
register_metric("TP", "count")
register_metric("TN", "count")

EPS = np.finfo(float).eps


def _clip(r: np.ndarray, bound: tuple[float, float]) -> np.ndarray:
    r = r.astype(float).copy()
    r[:, 0] = np.clip(r[:, 0], 0, bound[0])
    r[:, 1] = np.clip(r[:, 1], 0, bound[1])
    r[:, 2] = np.clip(r[:, 2], 0, bound[0] - r[:, 0])
    r[:, 3] = np.clip(r[:, 3], 0, bound[1] - r[:, 1])
    return r


def rect_iou(a: np.ndarray, b: np.ndarray, bound: tuple[float, float] | None = None) -> np.ndarray:
    a = np.atleast_2d(np.asarray(a, float))
    b = np.atleast_2d(np.asarray(b, float))
    if a.shape != b.shape:
        raise ValueError(f"box arrays differ in shape: {a.shape} vs {b.shape}")
    if bound is not None:
        a, b = _clip(a, bound), _clip(b, bound)
    x1 = np.maximum(a[:, 0], b[:, 0])
    y1 = np.maximum(a[:, 1], b[:, 1])
    x2 = np.minimum(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2])
    y2 = np.minimum(a[:, 1] + a[:, 3], b[:, 1] + b[:, 3])
    inter = np.maximum(x2 - x1, 0) * np.maximum(y2 - y1, 0)
    union = a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter
    return np.clip(inter / (union + EPS), 0.0, 1.0)


def center_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.atleast_2d(np.asarray(a, float))
    b = np.atleast_2d(np.asarray(b, float))
    ca = a[:, :2] + (a[:, 2:] - 1) / 2
    cb = b[:, :2] + (b[:, 2:] - 1) / 2
    return np.sqrt(((ca - cb) ** 2).sum(1))


def normalized_center_error(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    pred = np.atleast_2d(np.asarray(pred, float))
    gt = np.atleast_2d(np.asarray(gt, float))
    cp = pred[:, :2] + (pred[:, 2:] - 1) / 2
    cg = gt[:, :2] + (gt[:, 2:] - 1) / 2
    wh = np.maximum(gt[:, 2:], EPS)
    # each centre divided by the ground-truth size, then subtracted: the order of the LaSOT/TNL2K
    # toolkits and pytracking (it decides ties at a threshold, e.g. 0.1 exactly)
    return np.sqrt(((cp / wh - cg / wh) ** 2).sum(1))


IOU_THRESHOLDS = np.linspace(0, 1, 21)
CE_THRESHOLDS = np.arange(0, 51)
NORM_THRESHOLDS = np.arange(51) / 100  # (0:50)/100 as the LaSOT toolkit and pytracking


def ope_curves(pred: np.ndarray, gt: np.ndarray, valid: np.ndarray | None = None):
    """Per-sequence success and precision curves (first box replaced by the ground truth)."""
    pred = np.asarray(pred, float).copy()
    gt = np.asarray(gt, float)
    if len(pred) != len(gt):
        raise ValueError(f"{len(pred)} predicted boxes for {len(gt)} ground-truth boxes")
    pred[0] = gt[0]
    ious = rect_iou(pred, gt)
    ces = center_error(pred, gt)
    nces = normalized_center_error(pred, gt)
    if valid is not None:
        ious, ces, nces = ious[valid], ces[valid], nces[valid]
    succ = (ious[:, None] > IOU_THRESHOLDS[None, :]).mean(0)
    prec = (ces[:, None] <= CE_THRESHOLDS[None, :]).mean(0)
    nprec = (nces[:, None] <= NORM_THRESHOLDS[None, :]).mean(0)
    return succ, prec, nprec


def _carry_forward(pred: np.ndarray, gt: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Frames 1… whose prediction is ``bad`` (and whose ground truth is not NaN) take the previous
    frame's prediction, in frame order (so a run of bad frames carries one box forward)."""
    pred = pred.copy()
    for i in range(1, len(pred)):
        if bad[i] and not np.isnan(gt[i]).any():
            pred[i] = pred[i - 1]
    return pred


def _counts_to_curves(ious, ces, nces, n: int):
    n = max(int(n), 1)
    succ = (ious[:, None] > IOU_THRESHOLDS[None, :]).sum(0) / n
    prec = (ces[:, None] <= CE_THRESHOLDS[None, :]).sum(0) / n
    nprec = (nces[:, None] <= NORM_THRESHOLDS[None, :]).sum(0) / n
    return succ, prec, nprec


def toolkit_curves(pred: np.ndarray, gt: np.ndarray, absent: np.ndarray):
    """Per-sequence curves as the LaSOT and TNL2K MATLAB toolkits compute them
    (``utils/calc_seq_err_robust.m`` + ``utils/eval_tracker.m``, identical in both toolkits):

    1. a prediction of frame 2… that is NaN or has ``w ≤ 0`` or ``h ≤ 0`` is replaced by the
       previous frame's (when that frame's ground truth is not NaN);
    2. the first prediction is replaced by the ground truth;
    3. frames flagged absent are removed, but the divisor stays the full sequence length: an absent
       frame fails every threshold of every curve;
    4. among the remaining frames, one whose ground truth is not all four values > 0 gets IoU −1
       (fails every success threshold) and centre error −1 (passes every precision and normalised
       precision threshold);
    5. success counts IoU **>** each of ``0:0.05:1``, precision centre error **≤** ``0:50`` px,
       normalised precision ``‖(c_p − c_g) / wh_g‖`` **≤** ``0:0.01:0.5``.
    """
    pred = np.asarray(pred, float)
    gt = np.asarray(gt, float)
    if len(pred) != len(gt):
        raise ValueError(f"{len(pred)} predicted boxes for {len(gt)} ground-truth boxes")
    bad = ~np.isfinite(pred).all(1) | (pred[:, 2] <= 0) | (pred[:, 3] <= 0)
    pred = _carry_forward(pred, gt, bad)
    pred[0] = gt[0]
    keep = ~np.asarray(absent, bool)
    p, g = pred[keep], gt[keep]
    with np.errstate(invalid="ignore", divide="ignore"):
        ious, ces, nces = rect_iou(p, g), center_error(p, g), normalized_center_error(p, g)
    ok = (g > 0).all(1)
    ious[~ok] = -1.0
    ces[~ok] = -1.0
    nces[~ok] = -1.0
    return _counts_to_curves(ious, ces, nces, len(gt))


def pytracking_curves(
    pred: np.ndarray,
    gt: np.ndarray,
    visible: np.ndarray | None,
    dataset: str,
    exclude_invalid_frames: bool = False,
):
    """Per-sequence curves as pytracking's ``analysis/extract_results.py`` computes them
    (``calc_seq_err_robust`` + ``extract_results``): a prediction of frame 1… with zero width or
    height takes the previous one; the first prediction is the ground truth; a frame is valid when
    all four ground-truth values are > 0 (and the target visible, where the dataset says); invalid
    frames get IoU −1 (a miss), centre error ∞ (a miss) and normalised centre error −1 (a hit),
    except on ``dataset == 'lasot'`` where a frame with the target not visible gets ∞ for both
    centre errors; the divisor is the sequence length, or the number of valid frames with
    ``exclude_invalid_frames``. Deliberate difference: pytracking refuses a file holding NaN or a
    negative size; here such a box is a miss (counted in ``invalid boxes``)."""
    pred = np.asarray(pred, float)
    gt = np.asarray(gt, float)
    if len(pred) != len(gt):
        raise ValueError(f"{len(pred)} predicted boxes for {len(gt)} ground-truth boxes")
    zero = (pred[:, 2] == 0) | (pred[:, 3] == 0)
    pred = _carry_forward(pred, gt, zero)
    pred[0] = gt[0]
    valid = (gt > 0).all(1)
    if visible is not None:
        visible = np.asarray(visible, bool)
        valid &= visible
    with np.errstate(invalid="ignore", divide="ignore"):
        ious = rect_iou(pred, gt)
        ces = center_error(pred, gt)
        nces = normalized_center_error_raw(pred, gt)
    ious[~valid] = -1.0
    ces[~valid] = np.inf
    nces[~valid] = -1.0
    if dataset == "lasot" and visible is not None:
        ces[~visible] = np.inf
        nces[~visible] = np.inf
    n = int(valid.sum()) if exclude_invalid_frames else len(gt)
    return _counts_to_curves(ious, ces, nces, n)


def normalized_center_error_raw(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """``‖(c_p − c_g) / wh_g‖`` without guarding a zero ground-truth size (the callers overwrite
    those frames)."""
    cp = pred[:, :2] + (pred[:, 2:] - 1) / 2
    cg = gt[:, :2] + (gt[:, 2:] - 1) / 2
    return np.sqrt(((cp / gt[:, 2:] - cg / gt[:, 2:]) ** 2).sum(1))


def mean_curve(curves: list, k: int, drop_empty: bool = False) -> np.ndarray:
    """The mean over sequences of curve ``k`` (0 success, 1 precision, 2 normalised precision)."""
    rows = [c[k] for c in curves]
    if drop_empty:
        rows = [r for r in rows if r.sum() > EPS]
        if not rows:  # MATLAB's mean of an empty set
            return np.full(len(curves[0][k]), np.nan)
    return np.mean(rows, 0)


def ope_summary(
    curves: list[tuple[np.ndarray, np.ndarray, np.ndarray]], drop_empty: bool = False
) -> dict[str, float]:
    """Curves averaged over sequences; AUC, precision@20, success rate@0.5, normalised precision.

    ``drop_empty``: a sequence whose curve is zero at every threshold is left out of that curve's
    mean (``aa = aa(sum(aa,2)>eps, :)`` in the LaSOT/TNL2K toolkits' ``plot_draw_save.m``)."""

    succ, prec, nprec = (mean_curve(curves, k, drop_empty) for k in range(3))
    return {
        "AUC": float(succ.mean()),
        "Precision": float(prec[20]),
        "SuccessRate": float(succ[len(IOU_THRESHOLDS) // 2]),
        "NormPrecision": float(nprec.mean()),
        "NormPrecision@0.2": float(nprec[20]),
        "sequences": float(len(curves)),
    }


def got10k_ious(
    pred_runs: list[np.ndarray], gt: np.ndarray, cover: np.ndarray, bound: tuple[float, float]
) -> np.ndarray:
    """IoUs of frames 1… with cover > 0, boxes clipped to the image, runs concatenated."""
    gt = np.asarray(gt, float)
    out = []
    for run in pred_runs:
        run = np.asarray(run, float)
        if run.shape != gt.shape:
            raise ValueError(f"run has shape {run.shape}, ground truth {gt.shape}")
        with np.errstate(invalid="ignore"):
            ious = rect_iou(run[1:], gt[1:], bound=bound)
        # a NaN box is a miss (got10k's AO would turn NaN); infinite or empty boxes give 0 there
        ious = np.nan_to_num(ious, nan=0.0)
        out.append(ious[np.asarray(cover)[1:] > 0])
    return np.concatenate(out) if out else np.zeros(0)


def got10k_summary(ious: np.ndarray) -> dict[str, float]:
    return {
        "AO": float(np.mean(ious)) if len(ious) else float("nan"),
        "SR0.5": float(np.mean(ious > 0.5)) if len(ious) else float("nan"),
        "SR0.75": float(np.mean(ious > 0.75)) if len(ious) else float("nan"),
        "frames": float(len(ious)),
    }


# ------------------------------------------------------------------ per-attribute analysis
@dataclass(frozen=True)
class Attribute:
    """One attribute a benchmark annotates: its short code (as its toolkit's figure names) and
    its name (as its toolkit's plot titles)."""

    code: str
    name: str


MIN_ATTRIBUTE_SEQUENCES = 2  # the toolkits draw no plot of an attribute with fewer sequences


def attribute_summary(
    curves: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    flags: list[frozenset[str]],
    attributes: tuple[Attribute, ...],
    drop_empty: bool = False,
) -> list[dict]:
    """Success AUC and precision@20 px per attribute: the curves of the sequences carrying it
    averaged as the overall plot averages them (``drop_empty``: the LaSOT/TNL2K toolkits' rule),
    the scores read off that mean curve. An attribute on fewer than
    :data:`MIN_ATTRIBUTE_SEQUENCES` sequences is listed with its count and no score (the
    OTB/LaSOT/TNL2K toolkits skip it: ``if length(idx_seq_set) < 2, continue``)."""
    out = []
    for a in attributes:
        idx = [i for i, f in enumerate(flags) if a.code in f]
        entry: dict = {"code": a.code, "name": a.name, "sequences": len(idx)}
        if len(idx) >= MIN_ATTRIBUTE_SEQUENCES:
            sub = [curves[i] for i in idx]
            succ, prec = mean_curve(sub, 0, drop_empty), mean_curve(sub, 1, drop_empty)
            entry.update(AUC=float(succ.mean()), Precision=float(prec[20]),
                         success=[float(v) for v in succ])  # fmt: skip
        out.append(entry)
    return out
