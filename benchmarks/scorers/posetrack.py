"""PoseTrack multi-person pose tracking metrics, re-implemented after ``poseval`` (PoseTrack's official
evaluation, Python 3 version with py-motmetrics; not on PyPI).

Protocol (poseval ``eval_helpers.py`` / ``evaluateTracking.py`` / ``convert.py``), per sequence; the
default reproduces poseval, :class:`PoseEvalOptions` switches on the corrected behaviours:

1. **Frames.** Ground-truth and prediction frames are paired by their position in each file's
   ``images`` (the adapter checks that the two lists agree). A frame is scored when its ground truth
   lists at least one person (``cleanupData``: ``is_labeled`` is ignored, a person counts even without
   keypoints); ``count_empty_frames=True`` scores the ``is_labeled`` frames instead. The **last kept
   frame of each sequence is dropped** (poseval iterates ``imgidxs[:-1]``).
2. **Points.** A keypoint is absent only when it is exactly ``(0, 0, 0)`` (``Person.to_old``: the
   visibility flag is otherwise ignored, for ground truth and predictions alike);
   ``strict_visibility=True`` makes a keypoint present only where its visibility/score flag is > 0.
   The keypoint order is read from each file's ``categories`` (the adapter's job); the ears, which
   PoseTrack18 never annotates, are not scored (15 joints).
3. **Ignore regions** (``removeIgnoredPoints``), only in frames that have some: points inside a
   polygon are removed, then every person left without a point is removed (a person that had none to
   begin with too). Frames without polygons keep point-less persons.
4. **Empty frames** (``assignGTmulti``): where, after step 3, the ground truth or the prediction of a
   scored frame is empty, poseval gives every joint one dummy object and one dummy hypothesis that never
   match (1 miss + 1 false positive per joint, whatever the number of persons);
   ``count_empty_frames=True`` counts the frame as it is (one miss per ground-truth joint, one false
   positive per predicted joint). UniBench's dummy ids cannot collide with real track ids (poseval uses
   id 0, which can collide with track 0 of the first file; CLEAR counts are unaffected either way).
5. Per joint, the distance of a pair is the Euclidean distance normalised by the ground truth's **head
   size** ``0.6 × ‖head box diagonal‖``; pairs farther than **0.5** (inclusive) cannot match. A CLEAR-MOT
   accumulator (py-motmetrics' ``MOTAccumulator.update``: an object's last correspondence is
   re-established where it is matchable, the rest by Hungarian, a switch is a match to another track
   than the object's last one) counts misses, false positives, switches and matches; counts are summed
   over sequences.
6. ``MOTA_j = 1 − (FN + FP + IDSW) / GT``, precision, recall; the totals are the **mean over joints**
   that have a value (no ground truth → no MOTA or recall; nothing predicted or matched → no precision),
   as poseval's ``~isnan`` means.
   ``MOTP`` = 1 − mean normalised distance of the matched pairs (the definition; joints without a match
   left out). ``MOTP-poseval`` is the figure poseval prints as "MOTP Total": it divides
   ``events['D'].sum()`` of py-motmetrics ≥ 1.2, which also holds the RAW, TRANSFER, ASCEND and MIGRATE
   rows, by the matches, and sets joints without a match to 0 and averages them in. IDF1 per joint
   (global identity matching, as py-motmetrics), mean over joints; IDs = switches summed over joints
   (the figure UniTrack's tables print). Rates are fractions (as TrackEval's); reports print percent.

Deliberate differences: a sequence with a single scored frame scores nothing (poseval crashes on it);
points on a polygon's boundary follow matplotlib's ``Path.contains_points`` (poseval: shapely's strict
``contains``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from unibench.keypoints import POSETRACK18_KEYPOINTS
from unibench.metrics import register_metric

# the fields this family emits beyond CLEAR's (poseval's per-joint-group table)
register_metric("MOTP-poseval", "percent", True, "MOTP Total (poseval)")
register_metric("Prec", "percent", True, "Prec Total (poseval)")
register_metric("Rec", "percent", True, "Rec Total (poseval)")
for _g in ("Head", "Shou", "Elb", "Wri", "Hip", "Knee", "Ankl"):
    register_metric(f"MOTA-{_g}", "percent", True, f"MOTA {_g} (poseval)")

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


DUMMY_ID = -(2**62)  # poseval's never-matching dummy object/hypothesis of an empty frame


@dataclass(frozen=True)
class PoseEvalOptions:
    """Scoring variant. The defaults reproduce poseval; both ``True`` give the corrected metric."""

    strict_visibility: bool = (
        False  # present iff the visibility/score flag > 0 (poseval: not (0,0,0))
    )
    count_empty_frames: bool = False  # score is_labeled frames; empty frames counted as they are

    def describe(self) -> str:
        if not (self.strict_visibility or self.count_empty_frames):
            return "poseval"
        on = [k for k in ("strict_visibility", "count_empty_frames") if getattr(self, k)]
        return "poseval + " + ", ".join(on)


@dataclass
class PosePerson:
    track_id: int
    keypoints: np.ndarray  # K×3: x, y, presence flag (> 0: the point is there)
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
    labeled: bool = True  # the ground truth's ``is_labeled`` flag


def presence(k: np.ndarray, strict: bool) -> np.ndarray:
    """Which keypoints of a K×3 (x, y, visibility/score) array are there, by the chosen rule."""
    k = np.asarray(k, float)
    if strict:
        return k[:, 2] > 0
    return ~((k[:, 0] == 0) & (k[:, 1] == 0) & (k[:, 2] == 0))


def remove_ignored(persons: list[PosePerson], polygons: list[np.ndarray]) -> list[PosePerson]:
    """poseval's ``removeIgnoredPointsRects``: only where the frame has polygons, points inside one
    are removed and then persons without a scored point are removed."""
    paths = [p for p in polygons if len(p) >= 3]
    if not paths:
        return list(persons)
    from matplotlib.path import Path as MplPath

    paths = [MplPath(np.asarray(poly, float)) for poly in paths]
    joints = list(EVAL_JOINTS)
    out = []
    for p in persons:
        k = np.array(p.keypoints, float, copy=True)
        present = k[:, 2] > 0
        if present.any():
            inside = np.zeros(len(k), bool)
            for path in paths:
                inside |= path.contains_points(k[:, :2])
            k[present & inside, 2] = 0
        if (k[joints, 2] > 0).any():
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
        # py-motmetrics' events['D'].sum() (poseval's MOTP): RAW rows + MATCH/SWITCH/ASCEND/
        # TRANSFER/MIGRATE rows, with its hypothesis history and reverse matches
        self.events_dist_sum = 0.0
        self._hyp_seen: set[int] = set()  # motmetrics hypHistory
        self._res_m: dict[int, int] = {}  # hypothesis → object of its last Hungarian match
        self._matched_once: set[int] = set()  # motmetrics last_match keys

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
        self.events_dist_sum += float(dist[np.isfinite(dist)].sum())  # RAW rows
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
                self.events_dist_sum += dist[i, j]
                self._matched_once.add(o)
                self._hyp_seen.add(hids[j])
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
                    d = dist[i, j]
                    if o in self.last and self.last[o] != h:
                        self.switches += 1
                        if h not in self._hyp_seen:
                            self.events_dist_sum += d  # ASCEND row
                    if h in self._res_m and self._res_m[h] != o:
                        if o not in self._matched_once:
                            self.events_dist_sum += d  # MIGRATE row
                        self.events_dist_sum += d  # TRANSFER row
                    self.events_dist_sum += d  # MATCH or SWITCH row
                    self._hyp_seen.add(h)
                    self._matched_once.add(o)
                    self.last[o] = h
                    self._res_m[h] = o
                    o_free[i] = h_free[j] = False
                    self.matches += 1
                    self.dist_sum += d
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
    events_dist_sum: float = 0.0
    idtp: int = 0
    hyps: int = 0

    def add(self, acc: ClearAccumulator) -> None:
        self.objects += acc.objects
        self.misses += acc.misses
        self.fp += acc.fp
        self.switches += acc.switches
        self.matches += acc.matches
        self.dist_sum += acc.dist_sum
        self.events_dist_sum += acc.events_dist_sum
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


def scored_frames(frames: list[PoseFrame], options: PoseEvalOptions) -> list[PoseFrame]:
    """The frames poseval scores: with a ground-truth person (or ``is_labeled`` with
    ``count_empty_frames``), the last of them dropped."""
    if options.count_empty_frames:
        kept = [f for f in frames if f.labeled]
    else:
        kept = [f for f in frames if f.gt]
    return kept[:-1]


def sequence_counts(
    frames: list[PoseFrame], options: PoseEvalOptions | None = None
) -> dict[int, ClearAccumulator]:
    """One accumulator per evaluated joint over the scored frames of a sequence."""
    options = options or PoseEvalOptions()
    accs = {j: ClearAccumulator() for j in EVAL_JOINTS}
    dummy = np.full((1, 1), np.nan)
    for fr in scored_frames(frames, options):
        clean = PoseFrame(remove_ignored(fr.gt, fr.ignore), remove_ignored(fr.pred, fr.ignore))
        empty = not clean.gt or not clean.pred
        for j in EVAL_JOINTS:
            if empty and not options.count_empty_frames:
                accs[j].update([DUMMY_ID], [DUMMY_ID], dummy)
            else:
                accs[j].update(*_distances(clean, j))
    return accs


def evaluate(
    sequences: dict[str, list[PoseFrame]], options: PoseEvalOptions | None = None
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Summary (MOTA, MOTP, MOTP-poseval, Prec, Rec, IDF1, IDs, FP, FN, per-group MOTA) and
    per-sequence rows."""
    total = {j: JointCounts() for j in EVAL_JOINTS}
    per_seq: dict[str, dict[str, float]] = {}
    for name, frames in sequences.items():
        accs = sequence_counts(frames, options)
        seq = {j: JointCounts() for j in EVAL_JOINTS}
        for j, acc in accs.items():
            total[j].add(acc)
            seq[j].add(acc)
        per_seq[name] = _summarise(seq)
    return _summarise(total), per_seq


def _nan_div(a: float, b: float) -> float:
    return a / b if b else float("nan")


def joint_rates(c: JointCounts) -> dict[str, float]:
    """One joint's rates; NaN where poseval's are undefined."""
    return {
        "MOTA": 1 - _nan_div(c.misses + c.fp + c.switches, c.objects),
        "MOTP": 1 - _nan_div(c.dist_sum, c.matches),
        # poseval: 0 where nothing matched (and averaged in); D-sum over every event row
        "MOTP-poseval": 1 - c.events_dist_sum / c.matches if c.matches else 0.0,
        "Prec": _nan_div(c.matches, c.matches + c.fp),
        "Rec": _nan_div(c.matches, c.objects),
        "IDF1": _nan_div(2 * c.idtp, c.objects + c.hyps),
    }


def _summarise(counts: dict[int, JointCounts]) -> dict[str, float]:
    """Per-joint rates with poseval's undefined cases, then the mean over the joints that have a
    value (poseval's ``~isnan`` mean); group values are poseval's plain means (NaN if a joint is)."""
    per = {j: joint_rates(c) for j, c in counts.items()}
    out: dict[str, float] = {}
    for k in ("MOTA", "MOTP", "MOTP-poseval", "Prec", "Rec", "IDF1"):
        vals = [v[k] for v in per.values() if not np.isnan(v[k])]
        out[k] = float(np.mean(vals)) if vals else float("nan")
    out["IDs"] = int(sum(c.switches for c in counts.values()))
    out["FP"] = int(sum(c.fp for c in counts.values()))
    out["FN"] = int(sum(c.misses for c in counts.values()))
    names = {n: i for i, n in enumerate(POSETRACK18_KEYPOINTS)}
    for g, joints in GROUPS.items():
        vals = [per[names[n]]["MOTA"] for n in joints]
        out[f"MOTA-{g}"] = float(np.mean(vals))
    return out
