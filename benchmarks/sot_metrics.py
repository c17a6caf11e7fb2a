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
  ``‖(c_p − c_g) / wh_g‖``, thresholds ``linspace(0, 0.5, 51)``. ``NormPrecision`` is the LaSOT
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

import numpy as np

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
    return np.sqrt((((cp - cg) / np.maximum(gt[:, 2:], EPS)) ** 2).sum(1))


IOU_THRESHOLDS = np.linspace(0, 1, 21)
CE_THRESHOLDS = np.arange(0, 51)
NORM_THRESHOLDS = np.linspace(0, 0.5, 51)


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


def ope_summary(curves: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> dict[str, float]:
    """Curves averaged over sequences; AUC, precision@20, success rate@0.5, normalised precision."""
    succ = np.mean([c[0] for c in curves], 0)
    prec = np.mean([c[1] for c in curves], 0)
    nprec = np.mean([c[2] for c in curves], 0)
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
        ious = rect_iou(run[1:], gt[1:], bound=bound)
        out.append(ious[np.asarray(cover)[1:] > 0])
    return np.concatenate(out) if out else np.zeros(0)


def got10k_summary(ious: np.ndarray) -> dict[str, float]:
    return {
        "AO": float(np.mean(ious)) if len(ious) else float("nan"),
        "SR0.5": float(np.mean(ious > 0.5)) if len(ious) else float("nan"),
        "SR0.75": float(np.mean(ious > 0.75)) if len(ious) else float("nan"),
        "frames": float(len(ious)),
    }
