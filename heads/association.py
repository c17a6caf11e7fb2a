"""JDE-style association for MOT, MOTS, PoseTrack and VIS (observations given every frame; the
appearance model decides identities), equal by default to UniTrack's own tracker (its ``tracker/mot/``:
``multitracker.py`` ``AssociationTracker.update``, ``basetrack.py``, ``box.py``/``mask.py``/``pose.py``,
and ``core/association/matching.py``, ``core/motion/kalman_filter.py``).

Per frame, as UniTrack's ``AssociationTracker.update``:

0. detections scoring ``<= det_thresh`` are dropped (``drop_low_score``; box.py ``prepare_obs``);
   object features: boxes by RoIAlign (``roi_hw`` = 4 high × 10 wide, unaligned, adaptive sampling:
   ``ops.roi_align(feat, boxes, [4, 10])``), masks by the feature cells they cover, poses drawn as a
   mask on the feature grid;
1. tracked + lost (confirmed) tracks are predicted by a Kalman filter on ``(x, y, aspect, height)``
   (deep-sort noise model); a lost track's height velocity is zeroed first
   (``lost_zero_height_velocity``: basetrack ``multi_predict``), unconfirmed tracks are not predicted
   (``predict_unconfirmed``). Appearance cost ``1 − similarity`` of the track's latest detection
   features (``track_feature=latest``: ``reconsdot_distance`` reads ``curr_feat``) and the detections'
   (``rsm``, ``cosine-pool`` or ``cosine-flat``), fused with motion: cost = λ·appearance + (1 − λ)·
   Mahalanobis, pairs beyond the χ²(4) 95% gate (9.4877) forbidden (``fuse_motion``); Hungarian
   (``lap.lapjv``) with cost limit ``match_thresh``;
2. the remaining tracked tracks and detections are matched on IoU distance (``iou_thresh``), with the
   +1-pixel IoU of ``cython_bbox`` (``iou_plus_one``);
3. unconfirmed (one-frame) tracks are matched on IoU distance (``unconfirmed_thresh``), else removed;
4. unmatched detections above ``det_thresh`` start tracks (confirmed at birth in frame 1, or always
   with ``activate_immediately``: UniTrack's MOTS/PoseTrack trackers build detections with
   ``ac=True``); lost tracks past ``track_buffer × frame_rate / 30`` frames are removed, but stay
   matchable one more frame (``removed_grace_frame``: step 5 subtracts the removed list before adding
   this frame's removals); a tracked/lost pair closer than ``duplicate_thresh`` IoU distance loses its
   younger member (``duplicate_rule``);
5. the output: confirmed tracked tracks, boxes of area ``> min_box_area`` and not wider than
   ``max_aspect`` × height (test_mot.py's ``w / h > 1.6`` filter).

``head.preset=unibench`` is the tracker UniBench ran before (EMA features, continuous IoU, low scores
kept for matching, all tracks predicted, no grace frame, ages at the current frame, no aspect filter,
RoIAlign 10 × 4 aligned with 2 samples, unconfirmed MOTS/PoseTrack births); docs/protocols/association.md lists each
option's measured effect. ``motion=False`` (the paper's representation study) sets λ = 1 and removes
the gate; ``gate=False`` keeps the motion cost but removes the gate (UniTrack's MOTS/PoseTrack setting).
``class_gate=True`` forbids matching a track to a detection of another class in every stage
(multi-class benchmarks: KITTI-MOTS, BDD100K; UniTrack adds the class difference to the cost instead).
Track ids are counted per tracker instance (one per sequence; UniTrack counts across sequences, which
changes no metric).

Mask and pose features have a variable number of points, so their tracks always take the features of
the latest detection and ``cosine-flat`` is refused for them. Per-task defaults (UniTrack's
configurations) live in ``TASK_DEFAULTS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from unibench.cuda_ops import rsm
from unibench.heads.base import Head, load_presets, preset_file, register_head

from unibench.datatypes import TrackFramePrediction, VideoSequence
from unibench.errors import ConfigError
from unibench.keypoints import POSE_SEGMENTS, POSE_TRUNK

CHI2_95_4DOF = 9.4877


def iou_matrix(a: np.ndarray, b: np.ndarray, plus_one: bool = False) -> np.ndarray:
    """IoU of ``x, y, w, h`` boxes, ``len(a) × len(b)``. ``plus_one``: the pixel-inclusive
    convention of ``cython_bbox.bbox_overlaps`` that UniTrack's ``matching.ious`` calls on
    ``(x, y, x + w, y + h)``: widths and intersections are ``x2 − x1 + 1``."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    e = 1.0 if plus_one else 0.0
    ax2, ay2 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]
    bx2, by2 = b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.clip(
        np.minimum(ax2[:, None], bx2[None]) - np.maximum(a[:, None, 0], b[None, :, 0]) + e, 0, None
    )
    ih = np.clip(
        np.minimum(ay2[:, None], by2[None]) - np.maximum(a[:, None, 1], b[None, :, 1]) + e, 0, None
    )
    inter = iw * ih
    union = ((a[:, 2] + e) * (a[:, 3] + e))[:, None] + ((b[:, 2] + e) * (b[:, 3] + e))[None] - inter
    return inter / np.maximum(union, 1e-12)


def linear_assignment(cost: np.ndarray, thresh: float):
    """Hungarian matching (LAPJV) with a cost limit: matches, unmatched rows, unmatched columns."""
    if cost.size == 0:
        return [], list(range(cost.shape[0])), list(range(cost.shape[1]))
    import lap

    c = np.where(np.isfinite(cost), cost, 1e6)
    _, x, y = lap.lapjv(c, extend_cost=True, cost_limit=thresh)
    matches = [(i, int(j)) for i, j in enumerate(x) if j >= 0]
    return (matches, [i for i, j in enumerate(x) if j < 0], [j for j, i in enumerate(y) if i < 0])


class KalmanXYAH:
    """Constant-velocity Kalman filter on (cx, cy, aspect, height) with deep-sort's noise model,
    built on filterpy."""

    std_pos, std_vel = 1 / 20, 1 / 160

    def __init__(self, xyah: np.ndarray) -> None:
        from filterpy.kalman import KalmanFilter

        kf = KalmanFilter(dim_x=8, dim_z=4)
        kf.F = np.eye(8)
        kf.F[:4, 4:] = np.eye(4)
        kf.H = np.eye(4, 8)
        h = xyah[3]
        kf.x = np.r_[xyah, np.zeros(4)].reshape(8, 1)
        std = [
            2 * self.std_pos * h,
            2 * self.std_pos * h,
            1e-2,
            2 * self.std_pos * h,
            10 * self.std_vel * h,
            10 * self.std_vel * h,
            1e-5,
            10 * self.std_vel * h,
        ]
        kf.P = np.diag(np.square(std))
        self.kf = kf

    def predict(self, zero_height_velocity: bool = False) -> None:
        if zero_height_velocity:  # UniTrack's STrack.multi_predict for tracks not Tracked
            self.kf.x[7, 0] = 0.0
        h = float(self.kf.x[3, 0])
        std = [
            self.std_pos * h,
            self.std_pos * h,
            1e-2,
            self.std_pos * h,
            self.std_vel * h,
            self.std_vel * h,
            1e-5,
            self.std_vel * h,
        ]
        self.kf.predict(Q=np.diag(np.square(std)))

    def _R(self) -> np.ndarray:
        h = float(self.kf.x[3, 0])
        return np.diag(np.square([self.std_pos * h, self.std_pos * h, 1e-1, self.std_pos * h]))

    def update(self, xyah: np.ndarray) -> None:
        self.kf.update(xyah.reshape(4, 1), R=self._R())

    def gating_distance(self, xyah: np.ndarray) -> np.ndarray:
        """Squared Mahalanobis distance of measurements (N×4) to the projected state."""
        H, P = self.kf.H, self.kf.P
        S = H @ P @ H.T + self._R()
        d = xyah - (H @ self.kf.x).ravel()[None]
        return np.einsum("ni,ij,nj->n", d, np.linalg.inv(S), d)

    @property
    def tlwh(self) -> np.ndarray:
        cx, cy, a, h = self.kf.x[:4, 0]
        w = a * h
        return np.array([cx - w / 2, cy - h / 2, w, h])


def to_xyah(tlwh: np.ndarray) -> np.ndarray:
    t = np.atleast_2d(tlwh).astype(float)
    return np.c_[
        t[:, 0] + t[:, 2] / 2, t[:, 1] + t[:, 3] / 2, t[:, 2] / np.maximum(t[:, 3], 1e-6), t[:, 3]
    ]


@dataclass
class _Track:
    track_id: int
    kf: KalmanXYAH
    feat: torch.Tensor  # points × C, L2-normalised per point
    score: float
    start: int
    last: int
    state: str = "tracked"  # tracked | lost | removed
    activated: bool = False
    cls: int = -1
    det: int = -1  # index of the detection matched in the current frame
    expired: bool = False  # past the lost-track buffer, in its grace frame (UniTrack's quirk)

    @property
    def tlwh(self) -> np.ndarray:
        return self.kf.tlwh


@dataclass
class AssociationParams:
    """UniTrack's MOT configuration; the defaults are the ``unitrack`` protocol (its tracker as
    ``tracker/mot/`` runs it), ``head.preset=unibench`` switches on UniBench's refinements."""

    preset: Literal["unitrack", "unibench"] = "unitrack"
    similarity: Literal["rsm", "cosine-pool", "cosine-flat"] = "rsm"
    motion: bool = True
    gate: bool = True  # Mahalanobis gate at the χ²(4) 95% quantile (with motion on)
    class_gate: bool = False
    objects: Literal["auto", "box", "mask", "pose"] = "auto"
    lambda_app: float = 0.98
    match_thresh: float = 0.7
    iou_thresh: float = 0.5
    unconfirmed_thresh: float = 0.7
    duplicate_thresh: float = 0.15
    track_buffer: int = 30
    det_thresh: float = 0.5
    min_box_area: float = 200.0
    max_aspect: float = 1.6  # output filter: boxes wider than max_aspect × height dropped (0: off)
    roi_hw: tuple[int, int] = (4, 10)  # RoIAlign output (high, wide): UniTrack's feat_size [4, 10]
    roi_aligned: bool = False  # torchvision's aligned (half-pixel) RoIAlign; UniTrack: False
    roi_sampling_ratio: int = -1  # RoIAlign samples per bin (-1: adaptive, torchvision's default)
    max_mask_area: int = 200  # feature cells per mask/pose object
    limb_width: float = 0.1  # pose → mask: segment width as a fraction of the body size
    track_feature: Literal["latest", "ema"] = "latest"  # box tracks; masks/poses: always latest
    feat_ema: float = 0.9  # with track_feature=ema
    rsm_temperature: float = 0.01
    iou_plus_one: bool = True  # +1-pixel IoU (cython_bbox) in the IoU stages and duplicates
    drop_low_score: bool = True  # detections with score <= det_thresh dropped before matching
    lost_zero_height_velocity: bool = True  # zero vh of lost tracks before predicting them
    predict_unconfirmed: bool = False  # predict one-frame (unconfirmed) tracks too
    removed_grace_frame: bool = True  # a track past the buffer stays matchable one more frame
    duplicate_rule: Literal["unitrack", "current-age"] = "unitrack"
    activate_immediately: bool = False  # new tracks are confirmed at birth (UniTrack MOTS/pose)

    def __post_init__(self) -> None:
        if not 0 <= self.lambda_app <= 1:
            raise ValueError(f"lambda_app must be in [0, 1], got {self.lambda_app}")
        if self.max_mask_area < 1:
            raise ValueError(f"max_mask_area must be >= 1, got {self.max_mask_area}")
        if min(self.roi_hw) < 1:
            raise ValueError(f"roi_hw must be positive, got {self.roi_hw}")


# Presets (unitrack: UniTrack's tracker, the default; unibench: UniBench's refinements, each a named
# option) and per-task defaults (UniTrack's MOTS and PoseTrack trackers give every detection score 1
# and build it activated; VIS: MOTS's mask tracker with the class gate), every value with its
# reference file:line, in association_presets.yaml.
_TABLES = load_presets(preset_file(__file__, "association"), AssociationParams)
PRESETS = _TABLES.presets
TASK_DEFAULTS = _TABLES.task_defaults


def object_features(
    fmap: torch.Tensor,
    boxes: np.ndarray,
    stride: int,
    roi_hw: tuple[int, int],
    aligned: bool = False,
    sampling_ratio: int = -1,
) -> torch.Tensor:
    """RoIAlign of ``x, y, w, h`` image boxes on a ``C×h×w`` map: ``N × points × C``, unit cells
    (``roi_hw`` = output high × wide; UniTrack's box tracker, box.py:26: ``ops.roi_align(feat,
    boxes, feat_size)`` with feat_size [4, 10]
    on boxes scaled to the feature grid, i.e. ``aligned=False`` and adaptive sampling)."""
    from torchvision.ops import roi_align

    if len(boxes) == 0:
        return torch.zeros(0, roi_hw[0] * roi_hw[1], fmap.shape[0])
    b = torch.as_tensor(boxes[:, :4], dtype=torch.float32)
    rois = torch.cat([torch.zeros(len(b), 1), b[:, :2], b[:, :2] + b[:, 2:4]], 1)
    out = roi_align(
        fmap[None].float(),
        rois,
        tuple(roi_hw),
        spatial_scale=1.0 / stride,
        sampling_ratio=sampling_ratio,
        aligned=aligned,
    )  # N×C×h×w
    return F.normalize(out.flatten(2).transpose(1, 2), dim=-1)


def _cells(cover: torch.Tensor, max_points: int) -> torch.Tensor:
    """Flat indices of the cells a mask covers by ≥ half (else its best cell), evenly capped."""
    flat = cover.flatten()
    idx = torch.nonzero(flat >= 0.5).flatten()
    if len(idx) == 0:
        idx = flat.argmax().view(1)
    if len(idx) > max_points:
        idx = idx[torch.from_numpy(np.linspace(0, len(idx) - 1, max_points).round().astype(int))]
    return idx


def _cell_features(
    fmap: torch.Tensor, covers: Iterable[torch.Tensor], max_points: int
) -> list[torch.Tensor]:
    """Unit features (``points_i × C``) of the cells each ``h×w`` coverage map selects."""
    C, h, w = fmap.shape
    flat = F.normalize(fmap.float().reshape(C, h * w), dim=0)
    return [flat[:, _cells(cover, max_points)].t().contiguous() for cover in covers]


def masked_features(
    fmap: torch.Tensor, masks: list[np.ndarray], max_points: int
) -> list[torch.Tensor]:
    """Features of the cells under each ``H×W`` mask (image resolution): ``points_i × C`` each."""
    grid = tuple(fmap.shape[-2:])
    covers = (
        F.adaptive_avg_pool2d(torch.from_numpy(np.asarray(m, np.float32))[None, None], grid)[0, 0]
        for m in masks
    )
    return _cell_features(fmap, covers, max_points)


def pose_grid_mask(
    kps: np.ndarray, image_size: tuple[int, int], grid: tuple[int, int], limb_width: float
) -> np.ndarray:
    """A pose (``K×3`` PoseTrack18 keypoints, x, y, visibility; image pixels) drawn on the feature
    grid: the trunk polygon through the visible shoulders and hips, and the limb/head segments
    whose both ends are visible, ``limb_width`` × body size wide (at least one cell). Body size is
    the square root of the area of the visible keypoints' bounding box."""
    from PIL import Image, ImageDraw

    H, W = image_size
    h, w = grid
    sx, sy = w / W, h / H
    vis = kps[:, 2] > 0
    pts = [((x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5) for x, y in kps[:, :2]]
    img = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(img)
    if vis.any():
        v = kps[vis, :2]
        body = float(np.sqrt(max(np.ptp(v[:, 0]), 1.0) * max(np.ptp(v[:, 1]), 1.0)))
        width = max(1, int(round(limb_width * body * (sx + sy) / 2)))
        trunk = [pts[i] for i in POSE_TRUNK if vis[i]]
        if len(trunk) >= 3:
            draw.polygon(trunk, fill=1)
        elif len(trunk) == 2:
            draw.line(trunk, fill=1, width=width)
        for a, b in POSE_SEGMENTS:
            if a < len(kps) and b < len(kps) and vis[a] and vis[b]:
                draw.line([pts[a], pts[b]], fill=1, width=width)
        for i in np.nonzero(vis)[0]:  # lone keypoints still mark their cell
            x, y = pts[i]
            draw.point((round(x), round(y)), fill=1)
    return np.asarray(img, bool)


def pose_features(
    fmap: torch.Tensor,
    poses: np.ndarray,
    image_size: tuple[int, int],
    max_points: int,
    limb_width: float,
) -> list[torch.Tensor]:
    """Object features of poses (``N×K×3``): each pose's grid mask, then the masked features."""
    grid = tuple(fmap.shape[-2:])
    covers = (
        torch.from_numpy(pose_grid_mask(kps, image_size, grid, limb_width)).float() for kps in poses
    )
    return _cell_features(fmap, covers, max_points)


def _pad(feats: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    n = max(len(f) for f in feats)
    x = torch.zeros(len(feats), n, feats[0].shape[-1])
    m = torch.zeros(len(feats), n, dtype=torch.bool)
    for i, f in enumerate(feats):
        x[i, : len(f)], m[i, : len(f)] = f, True
    return x, m


def similarity(
    kind: str, t: list[torch.Tensor], d: list[torch.Tensor], temperature: float
) -> torch.Tensor:
    """``M × N`` appearance similarity of tracklets and detections (each a ``points × C`` set)."""
    if len(t) == 0 or len(d) == 0:
        return torch.zeros(len(t), len(d))
    tp, tm = _pad(list(t))
    dp, dm = _pad(list(d))
    if kind == "rsm":
        return rsm(tp, dp, temperature, tm, dm)
    if kind == "cosine-pool":
        tmean = tp.sum(1) / tm.sum(1, keepdim=True)
        dmean = dp.sum(1) / dm.sum(1, keepdim=True)
        return F.normalize(tmean, dim=-1) @ F.normalize(dmean, dim=-1).t()
    if not (tm.all() and dm.all() and tp.shape[1] == dp.shape[1]):
        raise ValueError(
            "cosine-flat compares corresponding points and needs the same number of points per "
            "object (box RoIAlign features); use rsm or cosine-pool for masks and poses"
        )
    return F.normalize(tp.flatten(1), dim=-1) @ F.normalize(dp.flatten(1), dim=-1).t()


class JDETracker:
    """The association state of one sequence (ids counted per instance).

    ``ema=True`` lets box tracks follow ``track_feature``; ``ema=False`` always keeps the latest
    matched detection's features (mask and pose features, whose points do not correspond).
    UniTrack references are to ``tracker/mot/multitracker.py`` (``AssociationTracker.update``),
    ``tracker/mot/basetrack.py`` and ``core/association/matching.py`` of its repository.
    """

    def __init__(self, p: AssociationParams, frame_rate: float = 30.0, ema: bool = True) -> None:
        self.p = p
        self.ema = ema
        self.tracks: list[_Track] = []
        self.frame = 0
        self.next_id = 1
        self.max_lost = int(frame_rate / 30.0 * p.track_buffer)

    def _new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def _class_block(self, tracks: list[_Track], classes: np.ndarray | None, idx) -> np.ndarray:
        """True where the class gate forbids a pair."""
        if not self.p.class_gate or classes is None:
            return np.zeros((len(tracks), len(idx)), bool)
        tc = np.array([t.cls for t in tracks])
        return tc[:, None] != np.asarray(classes)[list(idx)][None, :]

    def _iou(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return iou_matrix(a, b, self.p.iou_plus_one)

    def duplicates(self, tracked: list[_Track], lost: list[_Track]) -> list[_Track]:
        """The tracks that duplicate removal drops: tracked/lost pairs closer than
        ``duplicate_thresh`` in IoU distance lose their younger member. ``unitrack``
        (basetrack.py:233-240 ``remove_duplicate_stracks``): ages at the last update (``frame_id −
        start_frame``), a tie drops the tracked one; ``current-age``: ages at the current frame, a tie
        drops the lost one."""
        if not tracked or not lost:
            return []
        f = self.frame
        d = 1 - self._iou(np.stack([t.tlwh for t in tracked]), np.stack([t.tlwh for t in lost]))
        losers = []
        for a, b in zip(*np.nonzero(d < self.p.duplicate_thresh), strict=True):
            ta, tb = tracked[a], lost[b]
            if self.p.duplicate_rule == "unitrack":
                losers.append(tb if (ta.last - ta.start) > (tb.last - tb.start) else ta)
            else:
                losers.append(tb if (f - ta.start) >= (f - tb.start) else ta)
        return losers

    def step(
        self, dets: np.ndarray, feats: list[torch.Tensor], classes: np.ndarray | None = None
    ) -> list[_Track]:
        """One frame: ``dets`` N×5 (x, y, w, h, score), ``feats`` one ``points × C`` set per
        detection, ``classes`` optional N class ids. Returns the tracks output in this frame; each
        has ``det`` = the index of its detection here. Detections at or below ``det_thresh`` take
        no part where ``drop_low_score`` (UniTrack's box.py ``prepare_obs``: ``score >
        conf_thres``); the caller may also drop them before extracting features."""
        p = self.p
        self.frame += 1
        f = self.frame
        for t in self.tracks:
            t.det = -1
        # box.py:31 keeps ``obs[:, 4] > conf_thres`` before any feature is computed
        det_idx = [i for i in range(len(dets)) if not p.drop_low_score or dets[i, 4] > p.det_thresh]
        unconfirmed = [t for t in self.tracks if t.state == "tracked" and not t.activated]
        pool = [t for t in self.tracks if t.state in ("tracked", "lost") and t.activated]
        # multitracker.py:65,69: only tracked + lost tracks are predicted (STrack.multi_predict),
        # and a track not in the Tracked state has its height velocity zeroed first
        # (basetrack.py:107 ``multi_mean[i][7] = 0``)
        for t in pool:
            t.kf.predict(p.lost_zero_height_velocity and t.state != "tracked")
        if p.predict_unconfirmed:
            for t in unconfirmed:
                t.kf.predict()

        def update(t: _Track, i: int) -> None:
            t.kf.update(to_xyah(dets[i, :4])[0])
            if self.ema and p.track_feature == "ema" and t.feat.shape == feats[i].shape:
                t.feat = F.normalize(p.feat_ema * t.feat + (1 - p.feat_ema) * feats[i], dim=-1)
            else:  # matching.py:207 get_track_feat(tracks, feat_flag='curr'): the latest
                t.feat = feats[i]
            t.score, t.last, t.state, t.activated = float(dets[i, 4]), f, "tracked", True
            t.expired = False
            t.det = i

        def iou_stage(tracks: list[_Track], idx: list[int], thresh: float):
            cost = 1 - self._iou(np.stack([t.tlwh for t in tracks]), dets[idx, :4])
            cost[self._class_block(tracks, classes, idx)] = np.inf
            return linear_assignment(cost, thresh)

        # 1. appearance (+ motion): multitracker.py:66-72, matching.py:102-112 fuse_motion
        if pool and det_idx:
            sim = (
                similarity(
                    p.similarity,
                    [t.feat for t in pool],
                    [feats[i] for i in det_idx],
                    p.rsm_temperature,
                )  # fmt: skip
                .numpy()
                .astype(float)
            )
            cost = np.clip(1.0 - sim, 0.0, None)
            if p.motion:
                xyah = to_xyah(dets[det_idx, :4])
                gate = np.stack([t.kf.gating_distance(xyah) for t in pool])
                cost = p.lambda_app * cost + (1 - p.lambda_app) * gate
                if p.gate:
                    cost[gate > CHI2_95_4DOF] = np.inf
            cost[self._class_block(pool, classes, det_idx)] = np.inf
            matches, u_t, u_d = linear_assignment(cost, p.match_thresh)
            for ti, di in matches:
                update(pool[ti], det_idx[di])
            rest = [pool[i] for i in u_t]
            det_idx = [det_idx[i] for i in u_d]
        else:
            rest = list(pool)
        # 2. IoU on the remaining tracked tracks (multitracker.py:89-92; matching.py:45-57 ious
        # through cython_bbox: the +1-pixel convention)
        r_tracked = [t for t in rest if t.state == "tracked"]
        if r_tracked and det_idx:
            matches, u_t, u_d = iou_stage(r_tracked, det_idx, p.iou_thresh)
            for ti, di in matches:
                update(r_tracked[ti], det_idx[di])
            lost_now = [r_tracked[i] for i in u_t]
            det_idx = [det_idx[i] for i in u_d]
        else:
            lost_now = r_tracked
        for t in lost_now:
            t.state = "lost"
        # 3. unconfirmed tracks (multitracker.py:104-113)
        if unconfirmed and det_idx:
            matches, u_t, u_d = iou_stage(unconfirmed, det_idx, p.unconfirmed_thresh)
            for ti, di in matches:
                update(unconfirmed[ti], det_idx[di])
            for i in u_t:
                unconfirmed[i].state = "removed"
            det_idx = [det_idx[i] for i in u_d]
        else:
            for t in unconfirmed:
                t.state = "removed"
        # 4. new tracks (multitracker.py:124-128; born confirmed in frame 1, basetrack.py:122, or
        # always with ac=True, basetrack.py:71, mask.py:54, pose.py:70), expiry, duplicates
        for i in det_idx:
            if dets[i, 4] < p.det_thresh:
                continue
            self.tracks.append(
                _Track(
                    self._new_id(),
                    KalmanXYAH(to_xyah(dets[i, :4])[0]),
                    feats[i].clone(),
                    float(dets[i, 4]),
                    f,
                    f,
                    activated=(f == 1) or p.activate_immediately,
                    cls=int(classes[i]) if classes is not None else -1,
                    det=i,
                )
            )
        lost_before = {id(t) for t in lost_now}
        for t in self.tracks:
            if t.state != "lost" or id(t) in lost_before or f - t.last <= self.max_lost:
                continue
            # multitracker.py:133 marks it removed, but line 142 subtracts the removed list before
            # line 143 adds this frame's removals: it stays in lost_stracks one more frame
            if p.removed_grace_frame and not t.expired:
                t.expired = True
            else:
                t.state = "removed"
        self.tracks = [t for t in self.tracks if t.state != "removed"]
        tracked = [t for t in self.tracks if t.state == "tracked"]
        lost = [t for t in self.tracks if t.state == "lost"]
        for t in self.duplicates(tracked, lost):
            t.state = "removed"
        self.tracks = [t for t in self.tracks if t.state != "removed"]
        return [t for t in self.tracks if t.state == "tracked" and t.activated]


def _decode_masks(rles: list[dict]) -> list[np.ndarray]:
    if not rles:
        return []
    from pycocotools import mask as mask_utils

    return [mask_utils.decode(r).astype(bool) for r in rles]


def _object_kind(p: AssociationParams, seq: VideoSequence) -> str:
    obs = seq.init
    if p.objects != "auto":
        if p.objects == "mask" and obs.masks is None:
            raise ConfigError(f"{seq.name}: head.objects=mask but the observations carry no masks")
        if p.objects == "pose" and obs.keypoints is None:
            raise ConfigError(f"{seq.name}: head.objects=pose but the observations carry no poses")
        return p.objects
    if obs.masks is not None:
        return "mask"
    if obs.keypoints is not None:
        return "pose"
    return "box"


@register_head("association")
class AssociationHead(Head):
    """JDE-style association of given observations (boxes, masks or poses) for MOT, MOTS,
    PoseTrack and VIS; per-task defaults in ``TASK_DEFAULTS``."""

    task = "mot"
    tasks = ("mot", "mots", "posetrack", "vis")
    version = 1  # behaviour version: bump with any change of output (tests/golden)
    task_defaults = TASK_DEFAULTS
    presets = PRESETS
    Params = AssociationParams
    p: AssociationParams

    def track(self, seq: VideoSequence, extractor) -> Iterator[TrackFramePrediction]:
        p = self.p
        kind = _object_kind(p, seq)
        if kind != "box" and p.similarity == "cosine-flat":
            raise ConfigError(
                f"similarity cosine-flat needs box features (corresponding points); the {kind} "
                "observations give variable point sets: use rsm or cosine-pool"
            )
        obs = seq.init
        tracker = JDETracker(p, float(seq.meta.get("frame_rate", 30.0)), ema=kind == "box")
        for t in range(len(seq.clip)):
            all_dets = np.asarray(obs.boxes[t], float).reshape(-1, 5)
            # the detections the tracker sees (UniTrack drops low scores before any feature)
            keep = np.arange(len(all_dets))
            if p.drop_low_score:
                keep = keep[all_dets[:, 4] > p.det_thresh]
            dets = all_dets[keep]
            classes = None if obs.classes is None else np.asarray(obs.classes[t], int)[keep]
            feats: list[torch.Tensor] = []
            if len(dets):
                fmap = extractor.features(seq, t).data.cpu()
                if kind == "box":
                    feats = list(
                        object_features(
                            fmap,
                            dets,
                            extractor.info.stride,
                            p.roi_hw,
                            p.roi_aligned,
                            p.roi_sampling_ratio,
                        )  # fmt: skip
                    )
                elif kind == "mask":
                    masks = _decode_masks([obs.masks[t][i] for i in keep])
                    feats = masked_features(fmap, masks, p.max_mask_area)
                else:
                    kps = np.asarray(obs.keypoints[t])[keep]
                    feats = pose_features(fmap, kps, seq.clip.size, p.max_mask_area, p.limb_width)
            tracks = tracker.step(dets, feats, classes)
            # the output box: the track's Kalman box (boxes) or its matched observation's
            shown = [tr.tlwh if kind == "box" else dets[tr.det, :4] for tr in tracks]
            out = [  # test_mot.py:43-44: area > min_box_area and not w / h > 1.6
                (tr, b)
                for tr, b in zip(tracks, shown, strict=True)
                if b[2] * b[3] > p.min_box_area
                and not (p.max_aspect and b[2] > p.max_aspect * b[3])
            ]
            src = [int(keep[tr.det]) for tr, _ in out]  # index among the sequence's observations
            yield TrackFramePrediction(
                t,
                np.array([tr.track_id for tr, _ in out], int),
                np.array([b for _, b in out], float).reshape(-1, 4),
                np.array([tr.score for tr, _ in out], float),
                classes=None if obs.classes is None else np.asarray(obs.classes[t], int)[src],
                masks=[obs.masks[t][i] for i in src] if kind == "mask" else None,
                keypoints=(
                    np.asarray(obs.keypoints[t])[src].reshape(len(out), -1, 3)
                    if kind == "pose"
                    else None
                ),
            )
