"""Checkpoint key layouts of the released models, and the filter that maps each onto a backbone.

A :class:`Layout` names where the backbone sits in its authors' checkpoint (prefixes, wrapper keys),
what is dropped on purpose (heads, projectors, momentum encoders, queues) and small key rewrites
(CRW's reflect-padded convs, TimeCycle's inflated 3-D kernels). ``checkpoint_filter_fn`` of a family
is ``LAYOUTS[name].filter``; :func:`detect` tries every layout and reports the best match.

Facts about the authors' releases that could not be checked offline are marked in ``notes``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

Rewrite = Callable[[str, torch.Tensor, set[str]], tuple[str, torch.Tensor]]


def _crw_reflect(key: str, v: torch.Tensor, target: set[str]) -> tuple[str, torch.Tensor]:
    """CRW wraps padded convs as ``Sequential(ReflectionPad2d, Conv2d)``: ``conv1.1.weight``."""
    if key in target:
        return key, v
    parts = key.split(".")
    if len(parts) >= 3 and parts[-2] == "1":
        alt = ".".join(parts[:-2] + parts[-1:])
        if alt in target:
            return alt, v
    return key, v


def _inflated_3d(key: str, v: torch.Tensor, target: set[str]) -> tuple[str, torch.Tensor]:
    """TimeCycle's encoder has 5-D kernels ``out×in×T×k×k``; T = 1 squeezes, T > 1 sums over time
    (the inverse of I3D inflation, which divides by T)."""
    if v.dim() == 5:
        v = v[:, :, 0] if v.shape[2] == 1 else v.sum(2)
    return key, v


@dataclass(frozen=True)
class Layout:
    name: str
    prefixes: tuple[str, ...]
    drop: tuple[str, ...] = ()
    rewrites: tuple[Rewrite, ...] = ()
    notes: str = ""

    def filter(
        self, state: dict[str, torch.Tensor], model: torch.nn.Module
    ) -> tuple[dict[str, torch.Tensor], str, list[str]]:
        """``checkpoint_filter_fn``: (mapped state, prefix used, keys dropped on purpose)."""
        target = set(model.state_dict())
        prefix = max(self.prefixes, key=lambda p: _hits(state, p, target, self.rewrites))
        out, dropped = {}, []
        for k, v in state.items():
            if not k.startswith(prefix):
                dropped.append(k)
                continue
            kk = k[len(prefix) :]
            if kk.startswith(self.drop):
                dropped.append(k)
                continue
            for rw in self.rewrites:
                kk, v = rw(kk, v, target)
            out[kk] = v
        return out, prefix, dropped


def _hits(state, prefix, target, rewrites) -> int:
    n = 0
    for k, v in state.items():
        if k.startswith(prefix):
            kk = k[len(prefix) :]
            for rw in rewrites:
                kk, v = rw(kk, v, target)
            n += kk in target
    return n


# wrapper prefixes of timm-built networks, tried in order (ties: the first): DINO/DINOv2 teacher first
TIMM_PREFIXES = (
    "",
    "teacher.backbone.",
    "backbone.",
    "module.backbone.",
    "student.backbone.",
    "module.",
    "model.",
    "encoder.",
)

# key prefixes (inside a layout's prefix) of heads and projectors that releases carry beside the
# backbone and that loading drops on purpose (reported, never silently)
DROPPED_KEYS = (
    "fc.",
    "fc1.",
    "fc2.",
    "linear.",
    "head.",
    "heads.",
    "projector.",
    "projection_head.",
    "prototypes.",
    "predictor.",
    "classifier.",
    "jigsaw_head.",
    "head_jig.",
    "memory",
    "mask_token",  # DINOv2 / MAE mask embedding (pre-training only)
    "masked_embed",  # iBOT's mask embedding
    "dino_head.",
    "ibot_head.",
    "decoder",  # MAE's decoder
)

LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in [
        Layout(
            "plain",
            ("",),
            DROPPED_KEYS,
            notes="torchvision; SimCLR v1/v2 and BYOL after conversion "
            "to torch; Barlow Twins' resnet50.pth",
        ),
        Layout(
            "module",
            ("module.",),
            DROPPED_KEYS,
            notes="SwAV, DeepCluster-v2, SeLa-v2 (DataParallel)",
        ),
        Layout(
            "moco",
            ("module.encoder_q.",),
            DROPPED_KEYS,
            notes="MoCo v1/v2, PCL v1/v2, DetCo: query encoder kept; encoder_k and queue "
            "dropped (outside the prefix)",
        ),
        Layout(
            "module-encoder",
            ("module.encoder.",),
            DROPPED_KEYS,
            notes="InsDis, PIRL, InfoMin (PyContrast; jigsaw/projection heads dropped) and PixPro "
            "(encoder_k, projector, predictor dropped; unverified offline): one key layout, which "
            "detection cannot split, so one entry",
        ),
        Layout(
            "byol-torch",
            ("online_network.encoder.", ""),
            DROPPED_KEYS,
            notes="BYOL re-implementations that save online_network.encoder.*",
        ),
        Layout(
            "mmaction",
            ("backbone.",),
            DROPPED_KEYS,
            notes="VFS (mmaction2 style, under 'state_dict'); cls_head dropped",
        ),
        Layout(
            "crw",
            ("encoder.model.",),
            DROPPED_KEYS,
            (_crw_reflect,),
            notes="CRW videowalk: reflect-padded convs saved as Sequential(pad, conv)",
        ),
        Layout("uvc", ("module.gray_encoder.",), DROPPED_KEYS, notes="UVC (unverified offline)"),
        Layout(
            "timecycle",
            ("module.encoderVideo.",),
            DROPPED_KEYS,
            (_inflated_3d,),
            notes="TimeCycle: 3-D inflated ResNet-50, temporal kernels collapsed",
        ),
        Layout("model", ("model.",), DROPPED_KEYS, notes="Colorization+mem (unverified offline)"),
        Layout(
            "dino",
            ("", "backbone."),
            DROPPED_KEYS,
            notes="DINO: backbone-only release (no prefix) or full checkpoint ('teacher', "
            "backbone.* kept, DINOHead dropped)",
        ),
        Layout(
            "timm",
            TIMM_PREFIXES,
            DROPPED_KEYS,
            notes="timm-built networks (timm:/hf-hub: names, the DINOv2/MAE/CLIP/ConvNeXt cards): "
            "the wrapper prefix that fits, then the architecture's own timm "
            "checkpoint_filter_fn (CLIP visual tower, DINOv2 registers); not auto-detected",
        ),
        Layout(
            "unicorn",
            ("backbone.backbone.", "backbone."),
            DROPPED_KEYS,
            notes="Unicorn: the backbone of the tracker (FPN neck and heads dropped); key "
            "prefix unverified offline",
        ),
    ]
}


def detect(state: dict[str, torch.Tensor], model: torch.nn.Module) -> tuple[Layout, int]:
    """The layout whose prefixes match the most backbone keys (ties: the first listed)."""
    target = set(model.state_dict())
    best, best_hits = LAYOUTS["plain"], -1
    for layout in LAYOUTS.values():
        if layout.name == "timm":  # timm networks always use their own filter (timm_adapter)
            continue
        hits = max(_hits(state, p, target, layout.rewrites) for p in layout.prefixes)
        if hits > best_hits:
            best, best_hits = layout, hits
    return best, best_hits
