"""Object features for association from a frame's feature map: boxes by RoIAlign, masks by the
feature cells they cover, poses drawn as a mask on the feature grid; and the similarity of two sets
of objects (RSM, pooled or flat cosine), as UniTrack's ``tracker/mot/`` computes them."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch
import torch.nn.functional as F
from unibench.cuda_ops import rsm

from unibench.keypoints import POSE_SEGMENTS, POSE_TRUNK


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
