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

``motion=False`` (the paper's representation study) sets λ = 1 and removes the gate. Track ids are
counted per tracker instance (one per sequence). Boxes smaller than ``min_box_area`` are not output.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from unibench.heads.base import HEADS

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

    @property
    def tlwh(self) -> np.ndarray:
        return self.kf.tlwh


@dataclass
class AssociationParams:
    """UniTrack's MOT configuration."""

    similarity: Literal["rsm", "cosine-pool", "cosine-flat"] = "rsm"
    motion: bool = True
    lambda_app: float = 0.98
    match_thresh: float = 0.7
    iou_thresh: float = 0.5
    unconfirmed_thresh: float = 0.7
    duplicate_thresh: float = 0.15
    track_buffer: int = 30
    det_thresh: float = 0.5
    min_box_area: float = 200.0
    roi_hw: tuple[int, int] = (10, 4)
    feat_ema: float = 0.9
    rsm_temperature: float = 0.01

    def __post_init__(self) -> None:
        if not 0 <= self.lambda_app <= 1:
            raise ValueError(f"lambda_app must be in [0, 1], got {self.lambda_app}")


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


def similarity(kind: str, t: torch.Tensor, d: torch.Tensor, temperature: float) -> torch.Tensor:
    if len(t) == 0 or len(d) == 0:
        return torch.zeros(len(t), len(d))
    if kind == "rsm":
        from unibench.cuda_ops import rsm

        return rsm(t, d, temperature)
    if kind == "cosine-pool":
        return F.normalize(t.mean(1), dim=-1) @ F.normalize(d.mean(1), dim=-1).t()
    return F.normalize(t.flatten(1), dim=-1) @ F.normalize(d.flatten(1), dim=-1).t()


class JDETracker:
    """The association state of one sequence (ids counted per instance)."""

    def __init__(self, p: AssociationParams, frame_rate: float = 30.0) -> None:
        self.p = p
        self.tracks: list[_Track] = []
        self.frame = 0
        self.next_id = 1
        self.max_lost = int(frame_rate / 30.0 * p.track_buffer)

    def _new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def step(self, dets: np.ndarray, feats: torch.Tensor) -> list[_Track]:
        p = self.p
        self.frame += 1
        f = self.frame
        for t in self.tracks:
            t.kf.predict()
        det_idx = list(range(len(dets)))
        unconfirmed = [t for t in self.tracks if t.state == "tracked" and not t.activated]
        pool = [t for t in self.tracks if t.state in ("tracked", "lost") and t.activated]

        def update(t: _Track, i: int) -> None:
            t.kf.update(to_xyah(dets[i, :4])[0])
            t.feat = F.normalize(p.feat_ema * t.feat + (1 - p.feat_ema) * feats[i], dim=-1)
            t.score, t.last, t.state, t.activated = float(dets[i, 4]), f, "tracked", True

        # 1. appearance (+ motion)
        if pool and det_idx:
            sim = (
                similarity(
                    p.similarity, torch.stack([t.feat for t in pool]), feats, p.rsm_temperature
                )
                .numpy()
                .astype(float)
            )
            cost = np.clip(1.0 - sim, 0.0, None)
            if p.motion:
                xyah = to_xyah(dets[:, :4])
                gate = np.stack([t.kf.gating_distance(xyah) for t in pool])
                cost = p.lambda_app * cost + (1 - p.lambda_app) * gate
                cost[gate > CHI2_95_4DOF] = np.inf
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
            cost = 1 - iou_matrix(np.stack([t.tlwh for t in r_tracked]), dets[det_idx, :4])
            matches, u_t, u_d = linear_assignment(cost, p.iou_thresh)
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
            cost = 1 - iou_matrix(np.stack([t.tlwh for t in unconfirmed]), dets[det_idx, :4])
            matches, u_t, u_d = linear_assignment(cost, p.unconfirmed_thresh)
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


@HEADS.register("association")
class AssociationHead:
    task = "mot"
    Params = AssociationParams

    def __init__(self, params: AssociationParams) -> None:
        self.p = params

    def track(self, seq: VideoSequence, extractor) -> Iterator[TrackFramePrediction]:
        p = self.p
        tracker = JDETracker(p, float(seq.meta.get("frame_rate", 30.0)))
        for t in range(len(seq.clip)):
            dets = np.asarray(seq.init.boxes[t], float).reshape(-1, 5)
            if len(dets):
                fmap = extractor.features(seq, t).data
                feats = object_features(fmap.cpu(), dets, extractor.info.stride, p.roi_hw)
            else:
                feats = torch.zeros(0, p.roi_hw[0] * p.roi_hw[1], extractor.info.channels)
            out = [
                tr for tr in tracker.step(dets, feats) if tr.tlwh[2] * tr.tlwh[3] > p.min_box_area
            ]
            yield TrackFramePrediction(
                t,
                np.array([tr.track_id for tr in out], int),
                np.array([tr.tlwh for tr in out]).reshape(-1, 4),
                np.array([tr.score for tr in out], float),
            )
