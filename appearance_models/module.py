"""In-memory networks as appearance models: what ``unibench.evaluate(model=<nn.Module>)`` runs.

A module reaches the pipeline as a card plus a checkpoint holding its ``state_dict``, written once
per content under the output folder (``<output>/modules/<sha256>.safetensors``), so it goes through
the same resolution, planning, loading (layout detection) and run identity as a file passed with
``--checkpoint``: the weights' content is part of every run id, and a module trained for one more
step is a new record, never a stale one.

Which card a module runs as (its taps, strides and preprocessing):

* :class:`AsCard` — the documented adapter: ``AsCard(module, card="resnet50")`` declares that the
  module's ``state_dict`` is in the key layout of that card's architecture (any registered card or
  ``timm:`` name; a custom architecture is registered once with ``register_arch`` and a card).
* recognised without an adapter: a torchvision ``ResNet`` (depth 18 or 50: the ``resnet18`` /
  ``resnet50`` cards, UniTrack's layer3/layer4 at stride 8), a torchvision ``VisionTransformer``
  (the timm ViT of the same patch, width and depth, ``timm:vit_<base|large|huge>_patch<P>_<size>``;
  its keys renamed to timm's by :func:`torchvision_vit_to_timm`, the same network) and a timm model
  (``timm:<its architecture>``, the taps of its timm card).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import timm
import torch
from safetensors.torch import save_file
from torch import nn

from unibench.errors import ConfigError

# torchvision ResNet (block type, blocks per stage) -> the card of that architecture (ResNet-34 has
# ResNet-50's stage depths with basic blocks: the block type tells them apart)
_RESNETS = {("BasicBlock", (2, 2, 2, 2)): "resnet18", ("Bottleneck", (3, 4, 6, 3)): "resnet50"}


@dataclass(frozen=True)
class AsCard:
    """A module declared to be in the key layout of ``card`` (see the module docstring)."""

    module: nn.Module
    card: str


_VIT_WIDTHS = {192: "tiny", 384: "small", 768: "base", 1024: "large", 1280: "huge"}
# timm's ViT entrypoints: size -> (depth, heads)
_VIT_SHAPES = {
    "tiny": (12, 3),
    "small": (12, 6),
    "base": (12, 12),
    "large": (24, 16),
    "huge": (32, 16),
}
# torchvision's encoder-layer names -> timm's block names (MLPBlock: Linear 0, GELU, Dropout, Linear 3)
_VIT_LAYER_KEYS = {
    "ln_1": "norm1", "self_attention.in_proj_weight": "attn.qkv.weight",
    "self_attention.in_proj_bias": "attn.qkv.bias", "self_attention.out_proj": "attn.proj",
    "ln_2": "norm2", "mlp.0": "mlp.fc1", "mlp.3": "mlp.fc2",
}  # fmt: skip
_VIT_TOP_KEYS = {
    "class_token": "cls_token", "conv_proj": "patch_embed.proj",
    "encoder.pos_embedding": "pos_embed", "encoder.ln": "norm", "heads.head": "head",
}  # fmt: skip


def _is_torchvision_vit(module: nn.Module) -> bool:
    cls = type(module)
    return cls.__module__.startswith("torchvision.models") and cls.__name__ == "VisionTransformer"


def torchvision_vit_to_timm(state: dict) -> dict:
    """A torchvision ``VisionTransformer`` state_dict with timm's ``VisionTransformer`` names (the
    two compute the same function: pre-norm blocks, LayerNorm eps 1e-6, q/k/v stacked in that
    order in one projection, the class token first)."""
    out = {}
    for key, value in state.items():
        new = None
        if key.startswith("encoder.layers.encoder_layer_"):
            index, rest = key[len("encoder.layers.encoder_layer_") :].split(".", 1)
            for old, repl in _VIT_LAYER_KEYS.items():
                if rest == old or rest.startswith(old + "."):
                    new = f"blocks.{index}.{repl}{rest[len(old) :]}"
        else:
            for old, repl in _VIT_TOP_KEYS.items():
                if key == old or key.startswith(old + "."):
                    new = repl + key[len(old) :]
        if new is None:
            raise ConfigError(f"torchvision ViT key {key!r} has no timm counterpart")
        out[new] = value
    return out


def state_sha256(module: nn.Module) -> str:
    """The sha256 of a module's ``state_dict``: names, dtypes, shapes and bytes, in name order."""
    h = hashlib.sha256()
    for name, t in sorted(module.state_dict().items()):
        t = t.detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def card_of(module: nn.Module) -> str:
    """The card a recognised module runs as; an error naming the adapter for any other module."""
    if isinstance(module, AsCard):
        return module.card
    cls = type(module)
    if cls.__module__.startswith("torchvision.models") and cls.__name__ == "ResNet":
        depth = tuple(len(getattr(module, f"layer{i}")) for i in range(1, 5))
        block = type(module.layer1[0]).__name__
        if (block, depth) in _RESNETS:
            return _RESNETS[(block, depth)]
    if _is_torchvision_vit(module):
        size = _VIT_WIDTHS.get(module.hidden_dim)
        name = f"vit_{size}_patch{module.patch_size}_{module.image_size}"
        # the timm entrypoint's depth and heads must agree (a different head count loads the same
        # weights into a different function: never silently)
        shape = (len(module.encoder.layers), module.encoder.layers[0].self_attention.num_heads)
        if size is not None and timm.is_model(name) and shape == _VIT_SHAPES[size]:
            return f"timm:{name}"
    if cls.__module__.startswith("timm.models"):
        arch = (getattr(module, "pretrained_cfg", None) or {}).get("architecture")
        if arch:
            return f"timm:{arch}"
    raise ConfigError(
        f"cannot tell which card a {cls.__module__}.{cls.__name__} runs as: wrap it as "
        "unibench.AsCard(module, card=NAME) (a card whose architecture has its state_dict's key "
        "layout; see 'unibench models list'), or register its architecture and a card"
    )


def materialise(model: nn.Module | AsCard, out_dir: Path) -> tuple[str, Path]:
    """``(card name, checkpoint path)`` of an in-memory module: its state_dict written once per
    content under ``out_dir/modules/`` (atomically; an existing file of the same content is
    reused)."""
    module = model.module if isinstance(model, AsCard) else model
    card = card_of(model)
    digest = state_sha256(module)
    folder = Path(out_dir) / "modules"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"module-{digest[:16]}.safetensors"
    if not path.exists():
        state = module.state_dict()
        if _is_torchvision_vit(module):
            state = torchvision_vit_to_timm(state)
        tensors = {k: v.detach().cpu().clone() for k, v in state.items()}
        tmp = folder / f".module-{digest[:16]}.{os.getpid()}.partial"
        try:
            save_file(tensors, str(tmp), metadata={"card": card, "sha256": digest})
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return card, path
