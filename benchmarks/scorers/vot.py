"""The VOT protocols' figures, as the VOT toolkit (``vot-toolkit`` on PyPI, 0.9.0) computes them.

Regions (rectangles, polygons, masks, special codes) are read, written and rasterised by
:mod:`unibench.benchmarks.formats.regions`. The overlap of two regions is the toolkit's raster
overlap (``vot.region.raster.calculate_overlap``): both rasterised to pixels in the union of their
bounds, clipped to the image when ``bounds`` is given; two regions whose union of bounds has no
width or height overlap 1 (two empty regions are the same), regions outside the image 0.

- **Reset-based** ("supervised", VOT2016-2019; ``vot.analysis.supervised``): a trajectory holds
  code 1 where the tracker was (re)initialised, code 2 where it failed (overlap ≤ 0), code 0 on the
  frames skipped before re-initialisation. Accuracy: mean overlap over the frames that are neither
  within ``burnin`` frames of an initialisation, nor failures, nor unknown; robustness: the number
  of failures; aggregated over sequences weighted by their length; the AR point's robustness
  ``exp(-S · failures / length)`` (S = 30). EAO: every initialisation starts a segment that ends at
  the next failure (or at the sequence end: a success); the curve at length ``j`` averages, over
  segments, the mean overlap of frames ``1..j`` (a failed segment padded with zeros to every
  length; a successful one counted only up to its length; frame 0 of the curve is the raw overlap
  of the segments' first frames); the score is the curve's mean over ``[low, high]``.
- **Anchor-based** ("multistart", VOT2020+; ``vot.analysis.multistart``): from each anchor frame
  a run goes to the sequence end (forward anchors) or back to frame 0 (backward ones). A run fails
  at the first frame of ``grace`` (10) consecutive frames whose overlap ≤ ``threshold`` (0.1) with
  a non-empty ground truth; its progress is the frames before that. Accuracy: sum of the overlaps
  before the failure / sum of progress; robustness: sum of progress / sum of run lengths (higher is
  better), both pooled over a sequence's runs, then over sequences weighted likewise. EAO: per
  sequence, the curve at length ``j`` averages over runs the mean overlap of frames ``1..j`` (a
  failed run's overlaps after its failure are 0 and it stays active beyond its length, its sum
  divided by ``j - 1``); sequences pooled by their active runs; the score is the mean over
  ``[low, high]``.
- **Long-term** (VOT-LT; ``vot.analysis.longterm``): thresholds at ``resolution - 2`` quantiles of
  every confidence of every sequence (plus ±inf); per sequence, precision at threshold τ is the
  mean overlap of the frames with confidence ≥ τ (1 when there are none) and recall their summed
  overlap over the frames where the target is visible; both averaged over sequences; F = 2PR/(P+R)
  at each threshold; the reported F is its maximum, with the precision and recall there. Where
  P + R = 0 the toolkit divides by zero; here F is 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from unibench.benchmarks.formats.regions import (
    FAILURE,
    INIT,
    UNKNOWN,
    Region,
    rasterise,
    region_bounds,
)

from unibench.errors import DataError
from unibench.metrics import register_metric

register_metric("EAO", "ratio", True, "Expected average overlap (vot-toolkit)")
register_metric("Accuracy", "ratio", True, "Accuracy (vot-toolkit)")
register_metric(
    "Failures",
    "ratio",
    False,
    "Robustness (vot-toolkit supervised: failures, length-weighted mean)",
)
register_metric("Robustness", "ratio", True, "Robustness (vot-toolkit, anchor-based)")
register_metric("F-score", "ratio", True, "F-score (vot-toolkit long-term)")
register_metric("Pr", "ratio", True, "Precision (vot-toolkit long-term)")
register_metric("Re", "ratio", True, "Recall (vot-toolkit long-term)")


def overlap(
    a: Region, b: Region, bounds: tuple[int, int] | None = None, ignore: Region | None = None
) -> float:
    """The toolkit's overlap of two regions; ``bounds`` = (width, height) of the image."""
    ba, bb = region_bounds(a), region_bounds(b)
    u = (min(ba[0], bb[0]), min(ba[1], bb[1]), max(ba[2], bb[2]), max(ba[3], bb[3]))
    if u[0] >= u[2] or u[1] >= u[3]:
        return 1.0
    if bounds is not None:
        u = (max(0, u[0]), max(0, u[1]), min(bounds[0] - 1, u[2]), min(bounds[1] - 1, u[3]))
    if u[0] >= u[2] or u[1] >= u[3]:
        return 0.0
    m1, m2 = rasterise(a, u) != 0, rasterise(b, u) != 0
    if ignore is not None and not ignore.is_special():
        keep = rasterise(ignore, u) == 0
        m1, m2 = m1 & keep, m2 & keep
    union = int((m1 | m2).sum())
    return float((m1 & m2).sum()) / union if union else 0.0


def overlaps(
    traj: Sequence[Region],
    gt: Sequence[Region],
    bounds: tuple[int, int] | None = None,
    ignore: Sequence[Region] | None = None,
) -> list[float]:
    if len(traj) != len(gt):
        raise DataError(f"{len(traj)} regions for {len(gt)} ground-truth frames")
    return [
        overlap(a, b, bounds, None if ignore is None else ignore[i])
        for i, (a, b) in enumerate(zip(traj, gt, strict=True))
    ]


# ---------------------------------------------------------------- reset-based (supervised)
@dataclass(frozen=True)
class SupervisedSequence:
    """One sequence's figures of the reset-based experiment (its repetitions averaged)."""

    accuracy: float
    failures: float
    length: int


def kept_overlaps(
    traj: Sequence[Region],
    gt: Sequence[Region],
    bounds: tuple[int, int] | None,
    burnin: int = 10,
    ignore_unknown: bool = True,
) -> np.ndarray:
    """The overlaps accuracy averages (``gather_overlaps``): not within ``burnin`` frames of an
    initialisation, not a failure, not unknown."""
    ov = np.array(overlaps(traj, gt, bounds))
    keep = np.ones(len(ov), bool)
    for i, r in enumerate(traj):
        if r.is_special(UNKNOWN) and ignore_unknown:
            keep[i] = False
        elif r.is_special(INIT):
            keep[i : i + burnin] = False
        elif r.is_special(FAILURE):
            keep[i] = False
    return ov[keep]


def supervised_sequence(
    runs: Sequence[Sequence[Region]],
    gt: Sequence[Region],
    bounds: tuple[int, int] | None,
    burnin: int = 10,
    ignore_unknown: bool = True,
) -> SupervisedSequence:
    """Accuracy and failures of one sequence's trajectories (repetitions averaged)."""
    acc, fails = 0.0, 0.0
    for traj in runs:
        ov = kept_overlaps(traj, gt, bounds, burnin, ignore_unknown)
        acc += float(ov.mean()) if len(ov) else 0.0
        fails += sum(1 for r in traj if r.is_special(FAILURE))
    return SupervisedSequence(acc / len(runs), fails / len(runs), len(gt))


@dataclass(frozen=True)
class TaggedSequence:
    """One sequence's figures on the frames carrying one tag (repetitions averaged)."""

    accuracy: float
    failures: float
    frames: int  # frames carrying the tag
    length: int  # the sequence's length (the accuracy's weight)


def supervised_tagged(
    runs: Sequence[Sequence[Region]],
    gt: Sequence[Region],
    bounds: tuple[int, int] | None,
    tagged: np.ndarray,
    burnin: int = 10,
) -> TaggedSequence | None:
    """Accuracy and failures of a sequence on its frames that carry a tag; None where none does
    (the toolkit's MissingResultsException: the sequence is left out).

    Accuracy is vot-toolkit 0.9.0's ``SequenceAccuracy(filter_tag=…)``: the trajectory and the
    ground truth cut to the tagged frames first, then the burn-in and exclusions applied to the
    cut lists, the mean of what is kept (0 where nothing is). Failures are the legacy MATLAB
    toolkit's per-label count (``process_results_labels.m``: failure codes on tagged frames;
    vot-toolkit 0.9.0 has no per-tag failure analysis)."""
    idx = np.nonzero(np.asarray(tagged, bool))[0]
    if not len(idx):
        return None
    acc = fails = 0.0
    g = [gt[i] for i in idx]
    for traj in runs:
        t = [traj[i] for i in idx]
        ov = kept_overlaps(t, g, bounds, burnin)
        acc += float(ov.mean()) if len(ov) else 0.0
        fails += sum(1 for r in t if r.is_special(FAILURE))
    return TaggedSequence(acc / len(runs), fails / len(runs), len(idx), len(gt))


def supervised_tag_summary(seqs: Sequence[TaggedSequence | None]) -> dict[str, float]:
    """One tag over the sequences: accuracy weighted by sequence length over those with tagged
    frames (vot-toolkit's ``AverageAccuracy``, weighted), failures summed (the legacy toolkit's
    per-label robustness), the tagged frames and the failure rate per tagged frame."""
    have = [s for s in seqs if s is not None]
    if not have:
        return {"frames": 0, "sequences": 0}
    w = sum(s.length for s in have)
    frames = sum(s.frames for s in have)
    fails = sum(s.failures for s in have)
    return {
        "Accuracy": sum(s.accuracy * s.length for s in have) / w,
        "Failures": fails,
        "failure rate": fails / frames,
        "frames": frames,
        "sequences": len(have),
    }


def supervised_summary(seqs: Sequence[SupervisedSequence], sensitivity: float = 30.0) -> dict:
    """Accuracy, failures (weighted by sequence length) and the AR plot's robustness."""
    w = sum(s.length for s in seqs)
    acc = sum(s.accuracy * s.length for s in seqs) / w
    fails = sum(s.failures * s.length for s in seqs) / w
    length = w / len(seqs)
    return {
        "Accuracy": acc,
        "Failures": fails,
        "AR robustness": math.exp(-(fails / length) * sensitivity),
    }


def supervised_segments(
    traj: Sequence[Region], gt: Sequence[Region], bounds: tuple[int, int] | None
) -> list[tuple[list[float], bool]]:
    """The EAO segments of one trajectory: (overlaps from an initialisation, ended in success)."""
    ov = overlaps(traj, gt, bounds)
    fails = [i for i, r in enumerate(traj) if r.is_special(FAILURE)]
    inits = [i for i, r in enumerate(traj) if r.is_special(INIT)]
    if not fails:
        return [(ov, True)]
    out = [(ov[inits[i] : fails[i]], False) for i in range(len(fails))]
    if len(inits) > len(fails):
        out.append((ov[inits[-1] :], True))
    return out


def supervised_eao_curve(segments: Iterable[tuple[Sequence[float], bool]]) -> np.ndarray:
    """The EAO curve over every segment of every sequence (each segment weighs 1)."""
    segs = list(segments)
    n = max(len(o) for o, _ in segs)
    ov = np.zeros((len(segs), n), np.float32)
    active = np.zeros((len(segs), n), np.float32)
    for k, (o, success) in enumerate(segs):
        ov[k, : len(o)] = np.asarray(o, np.float32)
        active[k, :] = 1
        if success:
            active[k, len(o) :] = 0
    running = ov.copy()
    for j in range(1, n):
        running[:, j] = ov[:, 1 : j + 1].mean(axis=1)
    return (running * active).sum(0) / active.sum(0)


def eao_score(curve: Sequence[float], low: int, high: int) -> float:
    """The mean of the EAO curve over sequence lengths ``low..high`` (inclusive)."""
    return float(np.mean(np.asarray(curve)[low : high + 1]))


# ---------------------------------------------------------------- anchor-based (multistart)
def find_anchors(values: Sequence[float]) -> tuple[list[int], list[int]]:
    """Forward and backward anchors from a sequence's per-frame ``anchor.value`` (VOT2020+):
    a positive value starts a run forward to the end, a negative one backward to frame 0."""
    return [i for i, v in enumerate(values) if v > 0], [i for i, v in enumerate(values) if v < 0]


def _progress(ov: Sequence[float], gt: Sequence[Region], grace: int, threshold: float) -> int:
    left = grace
    for j, o in enumerate(ov):
        if o <= threshold and not gt[j].is_empty():
            left -= 1
            if left == 0:
                return j + 1 - grace
        else:
            left = grace
    return len(ov)


@dataclass(frozen=True)
class AnchorRun:
    """One run of the anchor-based experiment, already in its run order (reversed for a
    backward anchor): its overlaps and progress (frames before the failure)."""

    overlaps: list[float]
    progress: int


def anchor_run(
    traj: Sequence[Region],
    gt: Sequence[Region],
    bounds: tuple[int, int] | None,
    grace: int = 10,
    threshold: float = 0.1,
    ignore: Sequence[Region] | None = None,
) -> AnchorRun:
    ov = overlaps(traj, gt, bounds, ignore)
    return AnchorRun(ov, _progress(ov, gt, grace, threshold))


def anchor_sequence(runs: Sequence[AnchorRun], length: int, high: int) -> dict:
    """One sequence's accuracy, robustness (and their weights) and its EAO curve with the number
    of active runs per length."""
    prog = sum(r.progress for r in runs)
    total = sum(len(r.overlaps) for r in runs)
    acc_sum = sum(float(np.sum(r.overlaps[: r.progress])) for r in runs)
    phi, active = np.zeros(high), np.zeros(high)
    for r in runs:
        o = np.asarray(r.overlaps, float).copy()
        success = r.progress >= len(o)
        o[r.progress :] = 0
        for j in range(1, high):
            if j < len(o):
                phi[j] += o[1 : j + 1].mean()
                active[j] += 1
            elif not success:
                phi[j] += o[1:].sum() / (j - 1)
                active[j] += 1
    curve = np.where(active > 0, phi / np.maximum(active, 1), 0.0)
    return {
        "accuracy": acc_sum / prog if prog > 0 else 0.0,
        "robustness": prog / total,
        "accuracy_weight": prog,
        "robustness_weight": length,
        "curve": curve,
        "active": active,
    }


def anchor_summary(seqs: Sequence[dict], low: int, high: int) -> dict:
    """Accuracy, robustness and EAO over sequences (the toolkit's weights)."""
    wa = sum(s["accuracy_weight"] for s in seqs)
    wr = sum(s["robustness_weight"] for s in seqs)
    curve = np.zeros(high)
    weight = np.zeros(high)
    for s in seqs:
        curve += s["curve"] * s["active"]
        weight += s["active"]
    curve = np.where(weight > 0, curve / np.maximum(weight, 1e-300), 0.0)
    return {
        "Accuracy": sum(s["accuracy"] * s["accuracy_weight"] for s in seqs) / wa,
        "Robustness": sum(s["robustness"] * s["robustness_weight"] for s in seqs) / wr,
        "EAO": eao_score(curve, low, high),
        "curve": curve,
    }


# ---------------------------------------------------------------- long-term
def lt_thresholds(scores: Iterable[float], resolution: int = 100) -> list[float]:
    s = sorted((v for v in scores if not math.isnan(v)), reverse=True)
    if len(s) > resolution - 2:
        delta = math.floor(len(s) / (resolution - 2))
        idx = np.round(np.linspace(delta, len(s) - delta, num=resolution - 2)).astype(int)
        s = [s[i] for i in idx]
    return [math.inf, *s, -math.inf]


def lt_sequence(
    traj: Sequence[Region],
    confidence: Sequence[float],
    gt: Sequence[Region],
    thresholds: Sequence[float],
    bounds: tuple[int, int] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall of one sequence at each threshold."""
    ov = np.array(overlaps(traj, gt, bounds))
    conf = np.asarray(confidence, float)
    visible = sum(1 for r in gt if not r.is_special())
    pr, re = np.zeros(len(thresholds)), np.zeros(len(thresholds))
    for i, t in enumerate(thresholds):
        sel = conf >= t
        if not sel.any():
            pr[i], re[i] = 1.0, 0.0
        else:
            pr[i] = ov[sel].mean()
            re[i] = ov[sel].sum() / visible if visible else math.nan
    return pr, re


def lt_summary(per_sequence: Sequence[tuple[np.ndarray, np.ndarray]], thresholds) -> dict:
    """Pr/Re curves averaged over sequences, the F curve, and F at its maximum with Pr and Re."""
    pr = np.mean([p for p, _ in per_sequence], axis=0)
    re = np.mean([r for _, r in per_sequence], axis=0)
    den = pr + re
    f = np.where(den > 0, 2 * pr * re / np.where(den > 0, den, 1), 0.0)
    best = int(np.argmax(f))
    return {
        "F-score": float(f[best]),
        "Pr": float(pr[best]),
        "Re": float(re[best]),
        "curves": {
            "thresholds": [float(t) for t in thresholds],
            "precision": [float(v) for v in pr],
            "recall": [float(v) for v in re],
            "f": [float(v) for v in f],
        },
    }


# ---------------------------------------------------------------- the challenges' protocols
@dataclass(frozen=True)
class VotStack:
    """One challenge's experiment as its ``vot-toolkit`` stack file sets it (``reference``)."""

    experiment: str  # supervised (reset-based) | multistart (anchor-based) | longterm
    low: int | None = None  # EAO interval of sequence lengths
    high: int | None = None
    skip_initialize: int = 5  # supervised: frames skipped after a failure
    burnin: int = 10  # supervised accuracy: frames ignored after an initialisation
    sensitivity: float = 30.0  # supervised AR plot
    grace: int = 10  # multistart: consecutive low-overlap frames that make a failure
    threshold: float = 0.1  # multistart: overlap at or below which a frame counts to the grace
    resolution: int = 100  # longterm: number of confidence thresholds
    reference: str = ""


STACKS: dict[str, VotStack] = {
    "vot2016": VotStack(
        "supervised", 108, 371, reference="vot-toolkit 0.9.0 vot/stack/vot2016/rgb.yaml"
    ),
    "vot2017": VotStack(
        "supervised", 100, 356, reference="vot-toolkit 0.9.0 vot/stack/vot2017.yaml"
    ),
    "vot2018": VotStack(
        "supervised", 100, 356, reference="vot-toolkit 0.9.0 vot/stack/vot2018/shortterm.yaml"
    ),
    "vot2019": VotStack(
        "supervised", 46, 291, reference="vot-toolkit 0.9.0 vot/stack/vot2019/shortterm.yaml"
    ),
    "vot2020": VotStack(
        "multistart", 115, 755, reference="vot-toolkit 0.9.0 vot/stack/vot2020/shortterm.yaml"
    ),
    "vot2021": VotStack(
        "multistart", 115, 755, reference="vot-toolkit 0.9.0 vot/stack/vot2021/shortterm.yaml"
    ),
    "vot2022": VotStack(
        "multistart", 115, 755, reference="vot-toolkit 0.9.0 vot/stack/vot2022/shortterm.yaml"
    ),
    "vot2018-lt": VotStack(
        "longterm", reference="vot-toolkit 0.9.0 vot/stack/vot2018/longterm.yaml"
    ),
    "vot2019-lt": VotStack(
        "longterm", reference="vot-toolkit 0.9.0 vot/stack/vot2019/longterm.yaml"
    ),
    "vot2022-lt": VotStack(
        "longterm", reference="vot-toolkit 0.9.0 vot/stack/vot2022/longterm.yaml"
    ),
    # the embedded suite's 40-frame sequences: the challenges' experiments with an EAO interval
    # that fits them (the challenges' intervals start beyond their length; the target's jump at
    # frame 20 ends the segments before it)
    "synthetic-vot": VotStack(
        "supervised", 5, 19, reference="unibench: VOT2019's experiment, EAO interval [5, 19]"
    ),
    "synthetic-vot2020": VotStack(
        "multistart", 5, 19, reference="unibench: VOT2020's experiment, EAO interval [5, 19]"
    ),
    "synthetic-vot-lt": VotStack("longterm", reference="unibench: VOT-LT2019's experiment"),
}
