"""Mask label propagation for semi-supervised VOS (UniTrack/CRW protocol).

Per frame t: the query is frame t's L2-normalised feature map; the memory is frame 0 (long-term,
ground-truth labels) plus the ``n_recent`` most recent frames with their predicted soft labels. Each
query cell keeps its ``topk`` most similar memory cells (short-term frames restricted to a spatial
``radius`` in feature cells), softmax with ``temperature`` over those, and takes the weighted mean of
their labels. The soft map is upsampled bilinearly to the image and arg-maxed.

Protocol choices (documented, configurable): the label map of a recent frame is the soft propagated
map (CRW keeps soft labels); the memory is not padded with copies of frame 0 while fewer than
``n_recent`` frames exist; first-frame labels are resized to the feature grid bilinearly (one-hot
channels, point-sampled as the reference codes do), by nearest neighbour, or antialiased
(``label_downsample='area'``, not in any reference protocol: it keeps sub-cell boundary positions
that point sampling snaps to the 8 px grid).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from unibench.cuda_ops import l2_normalize, propagate
from unibench.heads.base import HEADS

from unibench.protocols import VOS_PROTOCOLS
from unibench.types import VideoSequence, VOSFramePrediction

PRESETS = VOS_PROTOCOLS  # named presets: unitrack (default), crw, dino, vfs


@dataclass
class PropagationParams:
    """Every hyperparameter of the head; defaults are UniTrack's VOS configuration."""

    preset: Literal["unitrack", "crw", "dino", "vfs"] = "unitrack"
    temperature: float = 0.05
    topk: int = 10
    radius: float | None = 12.0  # feature cells; None = no restriction
    radius_shape: Literal["circle", "square"] = "circle"
    restrict_first: bool = False
    n_recent: int = 5
    label_downsample: Literal["bilinear", "nearest", "area"] = "bilinear"
    output_norm: Literal["none", "minmax"] = "none"
    input_height: int | None = None  # None = native resolution (480p on DAVIS)
    init_from_box: bool = False  # box-initialised VOS: each object's first-frame box as its mask
    memory_budget_mb: int = 384
    impl: Literal["auto", "reference", "chunked", "triton"] = "auto"

    def __post_init__(self) -> None:
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}")
        if self.topk < 1:
            raise ValueError(f"topk must be >= 1, got {self.topk}")
        if self.n_recent < 0:
            raise ValueError(f"n_recent must be >= 0, got {self.n_recent}")
        if self.radius is not None and self.radius <= 0:
            raise ValueError(f"radius must be > 0 or null, got {self.radius}")


def propagate_sequence(
    seq: VideoSequence, extractor, p, labels0: Callable[[tuple[int, int]], torch.Tensor]
) -> Iterator[tuple[int, torch.Tensor]]:
    """Label propagation over a sequence, shared by the mask and pose heads: yields ``(t, soft
    labels on the feature grid)`` for every frame after the first. The memory is frame 0 with
    ``labels0(grid)`` plus the ``p.n_recent`` latest frames with their propagated soft labels; ``p``
    carries ``topk, temperature, radius, restrict_first, radius_shape, n_recent, input_height,
    memory_budget_mb, impl``."""
    feat0 = l2_normalize(extractor.features(seq, 0, p.input_height).data)
    grid = tuple(feat0.shape[-2:])
    lab0 = labels0(grid).to(feat0)
    recent: deque[tuple[torch.Tensor, torch.Tensor]] = deque(maxlen=max(p.n_recent, 0) or None)
    for t in range(1, len(seq.clip)):
        q = l2_normalize(extractor.features(seq, t, p.input_height).data)
        if tuple(q.shape[-2:]) != grid:
            raise ValueError(f"{seq.name}: frame {t} feature grid {tuple(q.shape[-2:])} != {grid}")
        soft = propagate(
            q,
            torch.stack([feat0] + [f for f, _ in recent]),
            torch.stack([lab0] + [lb for _, lb in recent]),
            p.topk,
            p.temperature,
            p.radius,
            p.restrict_first,
            p.radius_shape,
            impl=p.impl,
            budget_bytes=p.memory_budget_mb * 2**20,
        )
        if p.n_recent > 0:
            recent.append((q, soft))
        yield t, soft


def boxes_as_mask(mask: np.ndarray, object_ids: tuple[int, ...]) -> np.ndarray:
    """Each object's bounding box drawn as its mask (larger objects first, so smaller ones stay
    visible where boxes overlap)."""
    out = np.zeros_like(mask)
    boxes = []
    for oid in object_ids:
        ys, xs = np.nonzero(mask == oid)
        if len(xs):
            boxes.append(
                (
                    (ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1),
                    oid,
                    ys.min(),
                    ys.max(),
                    xs.min(),
                    xs.max(),
                )
            )
    for _, oid, y0, y1, x0, x1 in sorted(boxes, reverse=True):
        out[y0 : y1 + 1, x0 : x1 + 1] = oid
    return out


def one_hot(mask: np.ndarray, object_ids: tuple[int, ...]) -> torch.Tensor:
    """``(1+n)×H×W`` float one-hot: channel 0 background, channel i object_ids[i-1]."""
    chans = [mask == 0] + [mask == oid for oid in object_ids]
    return torch.from_numpy(np.stack(chans).astype(np.float32))


@HEADS.register("propagation")
class MaskPropagationHead:
    task = "vos"
    Params = PropagationParams
    presets = PRESETS

    def __init__(self, params: PropagationParams) -> None:
        self.p = params

    def _labels_to_grid(self, onehot: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
        if self.p.label_downsample == "nearest":
            return F.interpolate(onehot[None], size=grid, mode="nearest")[0]
        if self.p.label_downsample == "area":  # antialiased: keeps sub-cell boundary positions
            return F.interpolate(
                onehot[None], size=grid, mode="bilinear", align_corners=False, antialias=True
            )[0]
        return F.interpolate(onehot[None], size=grid, mode="bilinear", align_corners=False)[0]

    def _decode(self, soft: torch.Tensor, size: tuple[int, int], ids: np.ndarray) -> np.ndarray:
        up = F.interpolate(soft[None], size=size, mode="bilinear", align_corners=False)[0]
        if self.p.output_norm == "minmax":
            lo = up.flatten(1).min(1).values.view(-1, 1, 1)
            hi = up.flatten(1).max(1).values.view(-1, 1, 1)
            up = (up - lo) / (hi - lo).clamp_min(1e-12)
        return ids[up.argmax(0).cpu().numpy()]

    def track(self, seq: VideoSequence, extractor) -> Iterator[VOSFramePrediction]:
        p = self.p
        ids = np.array((0, *seq.init.object_ids), dtype=np.uint8)
        size = seq.clip.size
        init = seq.init.mask
        if p.init_from_box:
            init = boxes_as_mask(init, seq.init.object_ids)
        yield VOSFramePrediction(0, seq.init.mask.astype(np.uint8))
        onehot = one_hot(init, seq.init.object_ids)
        for t, soft in propagate_sequence(
            seq, extractor, p, lambda grid: self._labels_to_grid(onehot, grid)
        ):
            yield VOSFramePrediction(t, self._decode(soft, size, ids))


@dataclass
class BoxFromMaskParams(PropagationParams):
    """Mask propagation run as a SOT head: the first box drawn as a mask, propagated, and the
    bounding box of the predicted mask returned (the previous box where the mask vanishes). The
    documented weak baseline of box propagation by a VOS head."""


@HEADS.register("mask-box")
class BoxFromMaskHead:
    task = "sot"
    Params = BoxFromMaskParams

    def __init__(self, params: BoxFromMaskParams) -> None:
        self.p = params

    def track(self, seq: VideoSequence, extractor):
        import time

        from unibench.types import BoxFramePrediction, MaskInit

        x, y, w, h = seq.init.box
        H, W = seq.clip.size
        mask = np.zeros((H, W), np.uint8)
        x0, y0 = max(0, int(round(x))), max(0, int(round(y)))
        x1, y1 = min(W, int(round(x + w))), min(H, int(round(y + h)))
        mask[y0 : max(y1, y0 + 1), x0 : max(x1, x0 + 1)] = 1
        vseq = VideoSequence(seq.name, seq.clip, MaskInit(mask, (1,)), seq.meta)
        prev = (x, y, w, h)
        t0 = time.perf_counter()
        for pred in MaskPropagationHead(self.p).track(vseq, extractor):
            if pred.index == 0:
                box = prev
            else:
                ys, xs = np.nonzero(pred.labels == 1)
                box = (
                    prev
                    if len(xs) == 0
                    else (
                        float(xs.min()),
                        float(ys.min()),
                        float(xs.max() - xs.min() + 1),
                        float(ys.max() - ys.min() + 1),
                    )
                )
            prev = box
            yield BoxFramePrediction(pred.index, box, time.perf_counter() - t0)
            t0 = time.perf_counter()
