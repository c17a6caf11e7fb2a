"""The JDE-style tracker of the association head (UniTrack's ``AssociationTracker.update``; the
steps are stated in :mod:`unibench.heads.association`) and its configuration,
:class:`AssociationParams` (the head's ``Params``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from unibench.heads.motion import CHI2_95_4DOF, KalmanXYAH, iou_matrix, linear_assignment, to_xyah
from unibench.heads.object_features import similarity


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
