"""Motion and assignment primitives of the association head: IoU matrices (with the +1-pixel
convention of ``cython_bbox``), Hungarian assignment with a cost limit (``lap.lapjv`` as UniTrack),
and the Kalman filter on ``(x, y, aspect, height)`` with deep-sort's noise model (UniTrack's
``core/motion/kalman_filter.py``)."""

from __future__ import annotations

import numpy as np

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
