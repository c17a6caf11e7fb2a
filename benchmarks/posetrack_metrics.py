"""PoseTrack multi-person pose tracking metrics, re-implemented after ``poseval`` (PoseTrack's official
evaluation; not on PyPI).

Protocol (poseval ``evaluateTracking.py`` / ``eval_helpers.py``), per sequence:

1. Only labelled ground-truth frames are scored; predictions on other frames are ignored. The
   **last labelled frame of each sequence is dropped** (poseval iterates ``imgidxs[:-1]``).
2. **Ignore regions**: ground-truth and predicted keypoints inside an ignore polygon are removed;
   a person left without keypoints is removed.
3. Per joint (the 15 PoseTrack joints: COCO's 17 without the ears, which PoseTrack18 never
   annotates), a ground-truth person takes part where its joint is annotated (visibility > 0), a
   predicted person where its joint is given (visibility/score flag > 0). The distance of a pair is
   the Euclidean distance normalised by the ground truth's **head size** ``0.6 × ‖head box
   diagonal‖``; pairs farther than **0.5** cannot match.
4. Per joint, a CLEAR-MOT accumulator (py-motmetrics' ``MOTAccumulator.update``: an object's last
   correspondence is re-established where it is matchable, the rest is matched by Hungarian on
   distance, a switch is a match to another track than the object's last one) counts misses, false positives, switches,
   matches and the sum of matched distances. Counts are summed over sequences.
5. ``MOTA_j = 1 − (FN + FP + IDSW) / GT``, ``MOTP_j = 1 − ΣD / TP``, precision, recall; the totals are
   the **mean over joints** (a joint where a rate is undefined — no ground truth for MOTA/recall,
   no prediction for precision, no match for MOTP — is left out of that mean, where poseval would
   print NaN). IDF1 per joint (global identity matching, as py-motmetrics), mean over joints;
   IDs = switches summed over joints (the figure UniTrack's tables print). Rates are fractions
   (as TrackEval's); reports print them as percentages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from unibench.protocols import POSETRACK18_KEYPOINTS

DIST_THRESH = 0.5
EVAL_JOINTS: tuple[int, ...] = tuple(
    i for i, n in enumerate(POSETRACK18_KEYPOINTS) if n not in ("left_ear", "right_ear")
)
GROUPS: dict[str, tuple[str, ...]] = {
    "Head": ("nose", "head_bottom", "head_top"),
    "Shou": ("left_shoulder", "right_shoulder"),
    "Elb": ("left_elbow", "right_elbow"),
    "Wri": ("left_wrist", "right_wrist"),
    "Hip": ("left_hip", "right_hip"),
    "Knee": ("left_knee", "right_knee"),
    "Ankl": ("left_ankle", "right_ankle"),
}


@dataclass
class PosePerson:
    track_id: int
    keypoints: np.ndarray  # K×3: x, y, visibility (gt) or presence/score (prediction)
    head_box: tuple[float, float, float, float] | None = None  # x, y, w, h (ground truth)

    def head_size(self) -> float:
        if self.head_box is None:
            raise ValueError(f"ground-truth person {self.track_id} has no head box")
        _, _, w, h = self.head_box
        return 0.6 * float(np.hypot(w, h))


@dataclass
class PoseFrame:
    gt: list[PosePerson]
    pred: list[PosePerson]
    ignore: list[np.ndarray] = field(default_factory=list)  # polygons, each P×2 (x, y)


def remove_ignored(persons: list[PosePerson], polygons: list[np.ndarray]) -> list[PosePerson]:
    """Keypoints inside an ignore polygon are removed; persons left without keypoints too."""
    if not polygons:
        return [p for p in persons if (p.keypoints[:, 2] > 0).any()]
    from matplotlib.path import Path as MplPath

    paths = [MplPath(np.asarray(poly, float)) for poly in polygons if len(poly) >= 3]
    out = []
    for p in persons:
        k = np.array(p.keypoints, float, copy=True)
        present = k[:, 2] > 0
        if present.any() and paths:
            inside = np.zeros(len(k), bool)
            for path in paths:
                inside |= path.contains_points(k[:, :2])
            k[present & inside, 2] = 0
        if (k[:, 2] > 0).any():
            out.append(PosePerson(p.track_id, k, p.head_box))
    return out


class ClearAccumulator:
    """CLEAR-MOT counting with py-motmetrics' ``MOTAccumulator.update`` semantics (distances;
    NaN = cannot match)."""

    def __init__(self) -> None:
        self.last: dict[int, int] = {}  # object → hypothesis of its last match
        self.objects = self.misses = self.fp = self.switches = self.matches = 0
        self.dist_sum = 0.0
        self.pairs: dict[tuple[int, int], int] = {}  # (object, hypothesis) → matchable frames
        self.o_count: dict[int, int] = {}
        self.h_count: dict[int, int] = {}

    def update(self, oids: list[int], hids: list[int], dist: np.ndarray) -> None:
        dist = np.asarray(dist, float).reshape(len(oids), len(hids))
        self.objects += len(oids)
        for o in oids:
            self.o_count[o] = self.o_count.get(o, 0) + 1
        for h in hids:
            self.h_count[h] = self.h_count.get(h, 0) + 1
        for i, o in enumerate(oids):
            for j, h in enumerate(hids):
                if np.isfinite(dist[i, j]):
                    self.pairs[(o, h)] = self.pairs.get((o, h), 0) + 1
        o_free = np.ones(len(oids), bool)
        h_free = np.ones(len(hids), bool)
        for i, o in enumerate(oids):  # 1. re-establish each object's last correspondence
            if o not in self.last:
                continue
            js = [j for j, h in enumerate(hids) if h_free[j] and h == self.last[o]]
            if js and np.isfinite(dist[i, js[0]]):
                j = js[0]
                o_free[i] = h_free[j] = False
                self.matches += 1
                self.dist_sum += dist[i, j]
        oi, hj = np.nonzero(o_free)[0], np.nonzero(h_free)[0]
        if len(oi) and len(hj):  # 2. Hungarian on the rest
            sub = dist[np.ix_(oi, hj)]
            if np.isfinite(sub).any():
                cost = np.where(np.isfinite(sub), sub, 1e9)
                rows, cols = linear_sum_assignment(cost)
                for r, c in zip(rows, cols, strict=True):
                    if not np.isfinite(sub[r, c]):
                        continue
                    i, j = oi[r], hj[c]
                    o, h = oids[i], hids[j]
                    if o in self.last and self.last[o] != h:
                        self.switches += 1
                    self.last[o] = h
                    o_free[i] = h_free[j] = False
                    self.matches += 1
                    self.dist_sum += dist[i, j]
        self.misses += int(o_free.sum())
        self.fp += int(h_free.sum())

    def id_true_positives(self) -> int:
        """IDTP of the global one-to-one identity assignment (py-motmetrics' IDF1)."""
        if not self.pairs:
            return 0
        objs = sorted(self.o_count)
        hyps = sorted(self.h_count)
        oi = {o: i for i, o in enumerate(objs)}
        hi = {h: j for j, h in enumerate(hyps)}
        gain = np.zeros((len(objs), len(hyps)))
        for (o, h), n in self.pairs.items():
            gain[oi[o], hi[h]] = n
        r, c = linear_sum_assignment(-gain)
        return int(gain[r, c].sum())


@dataclass
class JointCounts:
    objects: int = 0
    misses: int = 0
    fp: int = 0
    switches: int = 0
    matches: int = 0
    dist_sum: float = 0.0
    idtp: int = 0
    hyps: int = 0

    def add(self, acc: ClearAccumulator) -> None:
        self.objects += acc.objects
        self.misses += acc.misses
        self.fp += acc.fp
        self.switches += acc.switches
        self.matches += acc.matches
        self.dist_sum += acc.dist_sum
        self.idtp += acc.id_true_positives()
        self.hyps += sum(acc.h_count.values())


def _distances(frame: PoseFrame, joint: int) -> tuple[list[int], list[int], np.ndarray]:
    gts = [p for p in frame.gt if p.keypoints[joint, 2] > 0]
    prs = [p for p in frame.pred if p.keypoints[joint, 2] > 0]
    d = np.full((len(gts), len(prs)), np.nan)
    for i, g in enumerate(gts):
        hs = g.head_size()
        for j, p in enumerate(prs):
            v = float(np.hypot(*(g.keypoints[joint, :2] - p.keypoints[joint, :2]))) / hs
            if v <= DIST_THRESH:
                d[i, j] = v
    return [g.track_id for g in gts], [p.track_id for p in prs], d


def sequence_counts(frames: list[PoseFrame]) -> dict[int, ClearAccumulator]:
    """One accumulator per evaluated joint over the labelled frames of a sequence (last dropped)."""
    accs = {j: ClearAccumulator() for j in EVAL_JOINTS}
    for fr in frames[:-1]:
        clean = PoseFrame(remove_ignored(fr.gt, fr.ignore), remove_ignored(fr.pred, fr.ignore))
        for j in EVAL_JOINTS:
            accs[j].update(*_distances(clean, j))
    return accs


def evaluate(
    sequences: dict[str, list[PoseFrame]],
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Summary (MOTA, MOTP, Prec, Rec, IDF1, IDs, per-group MOTA) and per-sequence rows."""
    total = {j: JointCounts() for j in EVAL_JOINTS}
    per_seq: dict[str, dict[str, float]] = {}
    for name, frames in sequences.items():
        accs = sequence_counts(frames)
        seq = {j: JointCounts() for j in EVAL_JOINTS}
        for j, acc in accs.items():
            total[j].add(acc)
            seq[j].add(acc)
        per_seq[name] = _summarise(seq)
    return _summarise(total), per_seq


def _summarise(counts: dict[int, JointCounts]) -> dict[str, float]:
    per: dict[int, dict[str, float]] = {}
    for j, c in counts.items():
        if c.objects == 0:
            continue
        per[j] = {
            "MOTA": 1 - (c.misses + c.fp + c.switches) / c.objects,
            "MOTP": 1 - c.dist_sum / c.matches if c.matches else float("nan"),
            "Prec": c.matches / (c.matches + c.fp) if c.matches + c.fp else float("nan"),
            "Rec": c.matches / c.objects,
            "IDF1": 2 * c.idtp / (c.objects + c.hyps) if c.objects + c.hyps else 0.0,
        }
    out: dict[str, float] = {}
    for k in ("MOTA", "MOTP", "Prec", "Rec", "IDF1"):
        vals = [v[k] for v in per.values() if not np.isnan(v[k])]
        out[k] = float(np.mean(vals)) if vals else float("nan")
    out["IDs"] = float(sum(c.switches for c in counts.values()))
    out["FP"] = float(sum(c.fp for c in counts.values()))
    out["FN"] = float(sum(c.misses for c in counts.values()))
    names = {n: i for i, n in enumerate(POSETRACK18_KEYPOINTS)}
    for g, joints in GROUPS.items():
        vals = [per[names[n]]["MOTA"] for n in joints if names[n] in per]
        out[f"MOTA-{g}"] = float(np.mean(vals)) if vals else float("nan")
    return out
