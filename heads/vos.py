"""Mask label propagation for semi-supervised VOS (UniTrack/CRW protocol and its relatives).

Per frame t: the query is frame t's L2-normalised feature map; the memory is frame 0 (long-term,
ground-truth labels, spatially restricted only with ``restrict_first``) plus a short-term window of
``n_recent`` entries with their predicted soft labels, restricted to a spatial ``radius`` in feature
cells (``radius_shape``). Each query cell keeps its ``topk`` most similar memory cells, softmax with
``temperature`` over those, and takes the weighted mean of their labels. The soft map is upsampled
bilinearly to the image (optionally min-max normalised per channel) and arg-maxed.

What the short-term window holds at the start of a clip differs between the reference codes:

* ``pad_memory=True`` (UniTrack, CRW/videowalk): the loaders pad the clip with ``n_recent`` copies of
  frame 0 carrying its ground-truth labels (``data/vos.py`` ``make_paths``: ``i = max(0, i −
  videoLen)``), and the window of frame t is the ``n_recent`` entries before it
  (``context_index_bank``): at t ≤ n_recent it holds ``n_recent − t + 1`` copies of frame 0, so with
  the long-term entry frame 0 appears ``n_recent + 2 − t`` times (7 − t at UniTrack's 5).
* ``first_in_window=True`` (VFS ``VanillaTracker.forward_test``: ``key_start = max(0, t −
  precede_frames)`` plus ``with_first``): the window runs over the real frames ``max(0, t − n)…t −
  1``, so frame 0 is there once more until it slides out; no copies.
* neither (DINO ``eval_video_segmentation.py``: an empty queue of ``n_last_frames``): frame 0 only
  as the long-term entry, the window over frames ``max(1, t − n)…t − 1``.

Presets (``head.preset``) set every protocol parameter of their reference; the table is
``heads/propagation_presets.yaml`` (each value with its reference file:line). First-frame labels are resized to the feature grid bilinearly
(one-hot channels, point-sampled as the reference codes do), by nearest neighbour, or antialiased
(``label_downsample='area'``, in no reference protocol). Ties among equal similarities resolve to the
lower memory index (the references use ``torch.topk``, whose order among ties is unspecified; measured
effect at most 0.006% of pixels, and none among copies of a frame, whose labels are equal).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from unibench.cuda_ops import l2_normalize, propagate
from unibench.heads.base import Head, load_presets, preset_file, register_head

from unibench.datatypes import BoxFramePrediction, MaskInit, VideoSequence, VOSFramePrediction


@dataclass
class PropagationSpec:
    """The label-propagation parameters shared by the mask, pose and mask-box heads (UniTrack's
    VOS configuration by default)."""

    temperature: float = 0.05
    topk: int = 10
    radius: float | None = 12.0  # feature cells; None = no restriction
    radius_shape: Literal["circle", "square"] = "circle"
    restrict_first: bool = False
    n_recent: int = 5
    pad_memory: bool = True  # the window starts as copies of frame 0 (UniTrack, CRW)
    first_in_window: bool = False  # the window runs over real frames from 0 (VFS)
    input_height: int | None = None  # None = native resolution (480p on DAVIS)
    memory_budget_mb: int = 384
    impl: Literal["auto", "reference", "chunked", "fused", "triton"] = "auto"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise ValueError(f"temperature must be a finite number > 0, got {self.temperature}")
        if self.topk < 1:
            raise ValueError(f"topk must be >= 1, got {self.topk}")
        if self.n_recent < 0:
            raise ValueError(f"n_recent must be >= 0, got {self.n_recent}")
        if self.radius is not None and not (math.isfinite(self.radius) and self.radius > 0):
            raise ValueError(f"radius must be a finite number > 0 or null, got {self.radius}")
        if self.input_height is not None and self.input_height <= 0:
            raise ValueError(f"input_height must be > 0 or null, got {self.input_height}")
        if self.pad_memory and self.first_in_window:
            raise ValueError("pad_memory and first_in_window are two memory layouts: pick one")


@dataclass
class PropagationParams(PropagationSpec):
    """Every hyperparameter of the VOS head; defaults are UniTrack's VOS protocol."""

    preset: Literal["unitrack", "crw", "dino", "vfs"] = "unitrack"
    label_downsample: Literal["bilinear", "nearest", "area"] = "bilinear"
    output_norm: Literal["none", "minmax"] = "none"
    init_from_box: bool = False  # box-initialised VOS: each object's first-frame box as its mask


Arrival = Callable[[int, torch.Tensor, tuple[int, int]], "torch.Tensor | None"]


def propagate_sequence(
    seq: VideoSequence,
    extractor,
    p,
    labels0: Callable[[tuple[int, int]], torch.Tensor],
    arrive: Arrival | None = None,
) -> Iterator[tuple[int, torch.Tensor]]:
    """Label propagation over a sequence, shared by the mask and pose heads: yields ``(t, soft
    labels on the feature grid)`` for every frame after the first. The memory is frame 0 with
    ``labels0(grid)`` plus the short-term window (``n_recent`` entries, laid out by ``pad_memory``
    / ``first_in_window``, see the module docstring); ``p`` is a :class:`PropagationSpec`.

    ``arrive(t, soft, grid)`` may return frame t's labels with objects that enter there written
    in (YouTube-VOS); that frame then joins the long-term memory beside frame 0, after it (so only
    frame 0 is the unrestricted entry of ``restrict_first=False``), and its labels go on into the
    short-term window. Without arrivals the memory is exactly frame 0 plus the window."""
    feat0 = cell_major(l2_normalize(extractor.features(seq, 0, p.input_height).data))
    grid = tuple(feat0.shape[:2])
    lab0 = labels0(grid).to(feat0)
    recent = initial_window(feat0, lab0, p)
    long_term: list[tuple[torch.Tensor, torch.Tensor]] = [(feat0, lab0)]
    for t in range(1, len(seq.clip)):
        q = cell_major(l2_normalize(extractor.features(seq, t, p.input_height).data))
        if tuple(q.shape[:2]) != grid:
            raise ValueError(f"{seq.name}: frame {t} feature grid {tuple(q.shape[:2])} != {grid}")
        soft = propagate(
            q.permute(2, 0, 1),
            torch.stack([f for f, _ in long_term] + [f for f, _ in recent]).permute(0, 3, 1, 2),
            torch.stack([lb for _, lb in long_term] + [lb for _, lb in recent]),
            p.topk,
            p.temperature,
            p.radius,
            p.restrict_first,
            p.radius_shape,
            impl=p.impl,
            budget_bytes=p.memory_budget_mb * 2**20,
        )
        if arrive is not None and (merged := arrive(t, soft, grid)) is not None:
            soft = merged.to(soft)
            long_term.append((q, soft))
        if p.n_recent > 0:
            recent.append((q, soft))
        yield t, soft


def cell_major(feat: torch.Tensor) -> torch.Tensor:
    """``C×h×w`` features stored as ``h×w×C`` (each cell's features contiguous): the layout the
    propagation's GEMMs and window gathers read, made once per frame rather than per use."""
    return feat.permute(1, 2, 0).contiguous()


def initial_window(
    feat0: torch.Tensor, lab0: torch.Tensor, p: PropagationSpec
) -> deque[tuple[torch.Tensor, torch.Tensor]]:
    """The short-term window before frame 1: ``n_recent`` copies of frame 0 (``pad_memory``), frame
    0 once (``first_in_window``) or nothing; later frames push the oldest entries out."""
    recent: deque[tuple[torch.Tensor, torch.Tensor]] = deque(maxlen=max(p.n_recent, 1))
    if p.n_recent > 0:
        if p.pad_memory:
            recent.extend([(feat0, lab0)] * p.n_recent)
        elif p.first_in_window:
            recent.append((feat0, lab0))
    return recent


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


def channel_argmax(x: torch.Tensor) -> torch.Tensor:
    """``x.argmax(0)`` of an ``L×H×W`` map (the first channel wins a tie, as argmax), computed
    as L−1 running comparisons: a reduction over the outer dimension of a full-resolution map
    is slow on CPU (65 ms for 2 × 480 × 854 against a few here)."""
    best = x[0].clone()
    idx = torch.zeros(x.shape[1:], dtype=torch.long, device=x.device)
    for c in range(1, x.shape[0]):
        better = x[c] > best
        idx.masked_fill_(better, c)
        torch.maximum(best, x[c], out=best)
    return idx


def one_hot(mask: np.ndarray, object_ids: tuple[int, ...]) -> torch.Tensor:
    """``(1+n)×H×W`` float one-hot: channel 0 background, channel i object_ids[i-1]."""
    chans = [mask == 0] + [mask == oid for oid in object_ids]
    return torch.from_numpy(np.stack(chans).astype(np.float32))


# named presets, whole protocols: unitrack (the default), crw, dino, vfs
PRESETS = load_presets(preset_file(__file__, "propagation"), PropagationParams).presets


@register_head("propagation")
class MaskPropagationHead(Head):
    task = "vos"
    version = 1  # behaviour version: bump with any change of output (tests/golden)
    Params = PropagationParams
    presets = PRESETS
    p: PropagationParams

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
        return ids[channel_argmax(up).cpu().numpy()]

    def track(self, seq: VideoSequence, extractor) -> Iterator[VOSFramePrediction]:
        p = self.p
        oids = seq.init.object_ids
        ids = np.array((0, *oids), dtype=np.uint8)
        size = seq.clip.size
        init = seq.init.mask
        if p.init_from_box:
            init = boxes_as_mask(init, oids)
        yield VOSFramePrediction(0, seq.init.mask.astype(np.uint8))
        onehot = one_hot(init, oids)  # late objects: empty channels until they enter
        later: dict[int, list] = {}
        for a in getattr(seq.init, "later", ()):
            later.setdefault(a.frame, []).append(a)
        first = np.array([0] + [seq.init.first_frame(o) if later else 0 for o in oids])

        def given(a) -> np.ndarray:  # an entering object's mask (its box with init_from_box)
            m = np.asarray(a.mask, bool)
            return boxes_as_mask(m.astype(np.uint8), (1,)) == 1 if p.init_from_box else m

        def arrive(t: int, soft: torch.Tensor, grid) -> torch.Tensor | None:
            if t not in later:
                return None
            out = soft.clone()
            for a in later[t]:
                g = self._labels_to_grid(torch.from_numpy(given(a)[None].astype(np.float32)), grid)
                g = g[0].to(out)
                out = out * (1 - g)  # the entering object takes the cells it covers
                out[1 + oids.index(a.object_id)] += g
            return out

        for t, soft in propagate_sequence(
            seq,
            extractor,
            p,
            lambda grid: self._labels_to_grid(onehot, grid),
            arrive if later else None,
        ):
            if later:  # an object is never predicted before it enters
                soft = soft.clone()
                soft[torch.from_numpy(first > t)] = -1.0
            labels = self._decode(soft, size, ids)
            for a in later.get(t, ()):
                labels[given(a)] = a.object_id
            yield VOSFramePrediction(t, labels)


@dataclass
class BoxFromMaskParams(PropagationParams):
    """Mask propagation run as a SOT head: the first box drawn as a mask, propagated, and the
    bounding box of the predicted mask returned (the previous box where the mask vanishes). The
    documented weak baseline of box propagation by a VOS head."""


@register_head("mask-box")
class BoxFromMaskHead(Head):
    task = "sot"
    version = 1  # behaviour version: bump with any change of output (tests/golden)
    Params = BoxFromMaskParams
    p: BoxFromMaskParams

    def track(self, seq: VideoSequence, extractor):
        x, y, w, h = seq.init.box
        H, W = seq.clip.size
        mask = np.zeros((H, W), np.uint8)
        x0, y0 = max(0, int(round(x))), max(0, int(round(y)))
        x1, y1 = min(W, int(round(x + w))), min(H, int(round(y + h)))
        mask[y0 : max(y1, y0 + 1), x0 : max(x1, x0 + 1)] = 1
        vseq = VideoSequence(seq.name, seq.clip, MaskInit(mask, (1,)), seq.meta)
        prev = (x, y, w, h)
        area0 = max(1, int(mask.sum()))
        t0 = time.perf_counter()
        for pred in MaskPropagationHead(self.p).track(vseq, extractor):
            # confidence: the predicted mask's area relative to the first box (0 when it vanishes)
            score = min(1.0, float((pred.labels == 1).sum()) / area0)
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
            yield BoxFramePrediction(pred.index, box, time.perf_counter() - t0, score)
            t0 = time.perf_counter()
