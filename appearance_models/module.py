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
  ``resnet50`` cards, UniTrack's layer3/layer4 at stride 8) and a timm model (``timm:<its
  architecture>``, the taps of its timm card).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

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
        tensors = {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}
        tmp = folder / f".module-{digest[:16]}.{os.getpid()}.partial"
        try:
            save_file(tensors, str(tmp), metadata={"card": card, "sha256": digest})
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return card, path
