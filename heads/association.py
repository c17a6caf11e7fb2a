"""JDE-style association for MOT (boxes given every frame; the appearance model decides identities).

Per frame: each detection's object feature is RoIAligned from the frame's feature map
(``roi_hw`` = 10×4 cells, 40 points, UniTrack's "4×10"). Tracks keep an exponential moving average of
their features (``feat_ema``). Association, as in JDE/UniTrack's tracker:

1. tracked + lost tracks are predicted by a Kalman filter on ``(x, y, aspect, height)`` and their
   velocities (filterpy, deep-sort noise model); appearance cost ``1 − similarity`` (``rsm``,
   ``cosine-pool`` or ``cosine-flat``) is fused with motion: cost = λ·appearance + (1 − λ)·Mahalanobis,
   with pairs beyond the χ²(4) 95% gate (9.4877) forbidden; Hungarian (``lap.lapjv``) with cost
   limit ``match_thresh``;
2. the remaining tracked tracks and detections are matched on IoU distance (``iou_thresh``);
3. unconfirmed (one-frame) tracks are matched on IoU distance (``unconfirmed_thresh``), else dropped;
4. unmatched detections above ``det_thresh`` start new (unconfirmed) tracks; tracks lost for more
   than ``track_buffer × frame_rate / 30`` frames are removed; a tracked/lost pair closer than
   ``duplicate_thresh`` IoU distance keeps the longer-lived track.

``motion=False`` (the paper's representation study) sets λ = 1 and removes the gate; ``gate=False``
keeps the motion cost but removes the gate (UniTrack's MOTS setting). ``class_gate=True`` forbids
matching a track to a detection of another class in every stage (multi-class benchmarks: KITTI-MOTS,
BDD100K). Track ids are counted per tracker instance (one per sequence). Boxes smaller than
``min_box_area`` are not output.

One tracker serves boxes, masks and poses; only the object features differ (``objects``, chosen from
the observations by default):

* ``box``: RoIAlign, ``roi_hw`` points; the track keeps an EMA of its features;
* ``mask``: the feature cells that the mask covers by at least half (the best-covered cell if none),
  at most ``max_mask_area`` of them, taken evenly in raster order where there are more;
* ``pose``: the pose drawn as a mask on the feature grid (trunk polygon through the shoulders and
  hips, plus limb and head segments ``limb_width`` × body size wide), then as ``mask``.

Mask and pose features have a variable number of points, so a track takes the features of its latest
detection (an EMA needs corresponding points) and ``cosine-flat`` is refused for them. Per-task
defaults (UniTrack's configurations) live in ``TASK_DEFAULTS``: MOT (the dataclass defaults), MOTS
(λ 0.98, no gate, 200 cells) and PoseTrack (λ 0.9999, unconfirmed 0.6, duplicates 0.2, 400 cells).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from unibench.heads.base import HEADS

from unibench.errors import ConfigError
from unibench.protocols import POSE_SEGMENTS, POSE_TRUNK
from unibench.types import TrackFramePrediction, VideoSequence

CHI2_95_4DOF = 9.4877


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of ``x, y, w, h`` boxes, ``len(a) × len(b)``."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    ax2, ay2 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]
    bx2, by2 = b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.clip(
        np.minimum(ax2[:, None], bx2[None]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None
    )
    ih = np.clip(
        np.minimum(ay2[:, None], by2[None]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None
    )
    inter = iw * ih
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None] - inter
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

    def predict(self) -> None:
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

    @property
    def tlwh(self) -> np.ndarray:
        return self.kf.tlwh


@dataclass
class AssociationParams:
    """UniTrack's MOT configuration."""

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
    roi_hw: tuple[int, int] = (10, 4)
    max_mask_area: int = 200  # feature cells per mask/pose object
    limb_width: float = 0.1  # pose → mask: segment width as a fraction of the body size
    feat_ema: float = 0.9
    rsm_temperature: float = 0.01

    def __post_init__(self) -> None:
        if not 0 <= self.lambda_app <= 1:
            raise ValueError(f"lambda_app must be in [0, 1], got {self.lambda_app}")
        if self.max_mask_area < 1:
            raise ValueError(f"max_mask_area must be >= 1, got {self.max_mask_area}")


TASK_DEFAULTS: dict[str, dict] = {
    "mot": {},
    "mots": {"gate": False, "max_mask_area": 200, "min_box_area": 0.0},
    "posetrack": {
        "lambda_app": 0.9999,
        "unconfirmed_thresh": 0.6,
        "duplicate_thresh": 0.2,
        "max_mask_area": 400,
        "min_box_area": 0.0,
    },
}


def object_features(
    fmap: torch.Tensor, boxes: np.ndarray, stride: int, roi_hw: tuple[int, int]
) -> torch.Tensor:
    """RoIAlign of ``x, y, w, h`` image boxes on a ``C×h×w`` map: ``N × points × C``, unit cells."""
    from torchvision.ops import roi_align

    if len(boxes) == 0:
        return torch.zeros(0, roi_hw[0] * roi_hw[1], fmap.shape[0])
    b = torch.as_tensor(boxes[:, :4], dtype=torch.float32)
    rois = torch.cat([torch.zeros(len(b), 1), b[:, :2], b[:, :2] + b[:, 2:4]], 1)
    out = roi_align(
        fmap[None].float(), rois, roi_hw, spatial_scale=1.0 / stride, sampling_ratio=2, aligned=True
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
        from unibench.cuda_ops import rsm

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

    ``ema=True`` smooths a track's features over time (box features, whose points correspond);
    ``ema=False`` replaces them by the latest matched detection's (mask and pose features).
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

    def step(
        self, dets: np.ndarray, feats: list[torch.Tensor], classes: np.ndarray | None = None
    ) -> list[_Track]:
        """One frame: ``dets`` N×5 (x, y, w, h, score), ``feats`` one ``points × C`` set per
        detection, ``classes`` optional N class ids. Returns the tracks output in this frame; each
        has ``det`` = the index of its detection here."""
        p = self.p
        self.frame += 1
        f = self.frame
        for t in self.tracks:
            t.kf.predict()
            t.det = -1
        det_idx = list(range(len(dets)))
        unconfirmed = [t for t in self.tracks if t.state == "tracked" and not t.activated]
        pool = [t for t in self.tracks if t.state in ("tracked", "lost") and t.activated]

        def update(t: _Track, i: int) -> None:
            t.kf.update(to_xyah(dets[i, :4])[0])
            if self.ema and t.feat.shape == feats[i].shape:
                t.feat = F.normalize(p.feat_ema * t.feat + (1 - p.feat_ema) * feats[i], dim=-1)
            else:
                t.feat = feats[i]
            t.score, t.last, t.state, t.activated = float(dets[i, 4]), f, "tracked", True
            t.det = i

        def iou_stage(tracks: list[_Track], idx: list[int], thresh: float):
            cost = 1 - iou_matrix(np.stack([t.tlwh for t in tracks]), dets[idx, :4])
            cost[self._class_block(tracks, classes, idx)] = np.inf
            return linear_assignment(cost, thresh)

        # 1. appearance (+ motion)
        if pool and det_idx:
            sim = (
                similarity(p.similarity, [t.feat for t in pool], feats, p.rsm_temperature)
                .numpy()
                .astype(float)
            )
            cost = np.clip(1.0 - sim, 0.0, None)
            if p.motion:
                xyah = to_xyah(dets[:, :4])
                gate = np.stack([t.kf.gating_distance(xyah) for t in pool])
                cost = p.lambda_app * cost + (1 - p.lambda_app) * gate
                if p.gate:
                    cost[gate > CHI2_95_4DOF] = np.inf
            cost[self._class_block(pool, classes, det_idx)] = np.inf
            matches, u_t, u_d = linear_assignment(cost, p.match_thresh)
            for ti, di in matches:
                update(pool[ti], di)
            rest = [pool[i] for i in u_t]
            det_idx = u_d
        else:
            rest = list(pool)
        # 2. IoU on the remaining tracked tracks
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
        # 3. unconfirmed tracks
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
        # 4. new tracks, expiry, duplicates
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
                    activated=(f == 1),
                    cls=int(classes[i]) if classes is not None else -1,
                    det=i,
                )
            )
        for t in self.tracks:
            if t.state == "lost" and f - t.last > self.max_lost:
                t.state = "removed"
        self.tracks = [t for t in self.tracks if t.state != "removed"]
        tracked = [t for t in self.tracks if t.state == "tracked"]
        lost = [t for t in self.tracks if t.state == "lost"]
        if tracked and lost:
            d = 1 - iou_matrix(
                np.stack([t.tlwh for t in tracked]), np.stack([t.tlwh for t in lost])
            )
            for a, b in zip(*np.nonzero(d < p.duplicate_thresh), strict=True):
                ta, tb = tracked[a], lost[b]
                loser = tb if (f - ta.start) >= (f - tb.start) else ta
                loser.state = "removed"
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


@HEADS.register("association")
class AssociationHead:
    """JDE-style association of given observations (boxes, masks or poses) for MOT, MOTS and
    PoseTrack; per-task defaults in ``TASK_DEFAULTS``."""

    task = "mot"
    tasks = ("mot", "mots", "posetrack")
    task_defaults = TASK_DEFAULTS
    Params = AssociationParams

    def __init__(self, params: AssociationParams) -> None:
        self.p = params

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
            dets = np.asarray(obs.boxes[t], float).reshape(-1, 5)
            classes = None if obs.classes is None else np.asarray(obs.classes[t], int)
            feats: list[torch.Tensor] = []
            if len(dets):
                fmap = extractor.features(seq, t).data.cpu()
                if kind == "box":
                    feats = list(object_features(fmap, dets, extractor.info.stride, p.roi_hw))
                elif kind == "mask":
                    feats = masked_features(fmap, _decode_masks(obs.masks[t]), p.max_mask_area)
                else:
                    feats = pose_features(
                        fmap, obs.keypoints[t], seq.clip.size, p.max_mask_area, p.limb_width
                    )
            out = [
                tr
                for tr in tracker.step(dets, feats, classes)
                if kind != "box" or tr.tlwh[2] * tr.tlwh[3] > p.min_box_area
            ]
            if kind != "box":  # masks and poses: the matched observation is the output
                out = [tr for tr in out if dets[tr.det, 2] * dets[tr.det, 3] > p.min_box_area]
            boxes = (
                np.array([tr.tlwh for tr in out])
                if kind == "box"
                else dets[[tr.det for tr in out], :4]
            )
            yield TrackFramePrediction(
                t,
                np.array([tr.track_id for tr in out], int),
                boxes.reshape(-1, 4),
                np.array([tr.score for tr in out], float),
                classes=None if classes is None else classes[[tr.det for tr in out]],
                masks=[obs.masks[t][tr.det] for tr in out] if kind == "mask" else None,
                keypoints=(
                    np.asarray(obs.keypoints[t])[[tr.det for tr in out]].reshape(len(out), -1, 3)
                    if kind == "pose"
                    else None
                ),
            )
