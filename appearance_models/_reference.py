"""What a model reference names: a registered card, a card file, or a checkpoint that names its
card (a ``.safetensors`` file with ``{"card": NAME}`` metadata); for any other checkpoint, the zoo
cards whose architecture fits its tensors."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from unibench.appearance_models._base import (
    ARCHS,
    MODELS,
)
from unibench.appearance_models._cards import get_cfg
from unibench.appearance_models._checkpoint import read_state_dict
from unibench.appearance_models._key_layouts import (
    layout_named,
)

from unibench.errors import CheckpointError, ConfigError

logger = logging.getLogger(__name__)


CHECKPOINT_SUFFIXES = (".pth", ".pt", ".safetensors", ".bin")


def checkpoint_card(path: str | Path) -> str | None:
    """The card a ``.safetensors`` checkpoint names in its metadata (``{"card": NAME}``, as
    :func:`unibench.appearance_models.any_module.materialise` writes it), or None."""
    p = Path(path)
    if p.suffix != ".safetensors" or not p.is_file():
        return None
    try:
        with safe_open(str(p), framework="pt") as f:
            card = (f.metadata() or {}).get("card")
    except Exception as exc:  # noqa: BLE001 — SafetensorError: not a safetensors file
        raise CheckpointError(f"{p}: not a readable safetensors file: {exc}") from None
    return card or None


def matching_cards(state: dict[str, Any]) -> list[str]:
    """Zoo cards whose architecture takes every backbone tensor of ``state`` (the keys its own
    layout maps, with their shapes): a hint for a checkpoint that names no card. The network is
    built on the ``meta`` device (no memory, no weights)."""
    shapes = {k: tuple(v.shape) for k, v in state.items()}
    fits: dict[tuple, bool] = {}
    out = []
    for name in MODELS.names():
        cfg = MODELS.get(name)
        key = (cfg.arch, repr(sorted(cfg.arch_kwargs.items())), cfg.layout)
        if key not in fits:
            try:
                with torch.device("meta"):
                    net = ARCHS.get(cfg.arch)(**cfg.arch_kwargs)
                mapped, _, _ = layout_named(cfg.layout).filter(state, net)
                target = {k: tuple(v.shape) for k, v in net.state_dict().items()}
                fits[key] = (
                    bool(target)
                    and all(
                        k in mapped and tuple(mapped[k].shape) == s
                        for k, s in target.items()
                        if not k.endswith("num_batches_tracked")
                    )
                    and len(shapes) > 0
                )
            except Exception:  # noqa: BLE001 — an architecture that cannot be built here
                fits[key] = False
        if fits[key]:
            out.append(name)
    return out


def model_reference(model: str | Path) -> tuple[str, str | None]:
    """``(card name, checkpoint)`` of what a user named as the model: a checkpoint file stands
    for the card its metadata names (an error listing the cards whose architecture fits it where
    it names none); anything else is a card name. The one rule of ``evaluate(model=...)`` and
    ``unibench run --checkpoint`` without ``--model``."""
    p = Path(model)
    if p.suffix not in CHECKPOINT_SUFFIXES:
        return str(model), None
    if not p.is_file():
        raise CheckpointError(f"checkpoint {p} does not exist")
    card = checkpoint_card(p)
    if card is not None:
        get_cfg(card)  # an unknown card fails here, listing the known ones
        return card, str(p)
    fits = matching_cards(read_state_dict(p))
    hint = (
        f"cards whose architecture fits its tensors: {', '.join(fits[:12])}"
        + (f" and {len(fits) - 12} more" if len(fits) > 12 else "")
        if fits
        else "no zoo card's architecture fits its tensors"
    )
    raise ConfigError(
        f"{p}: the checkpoint names no card (a .safetensors file may carry metadata "
        f'{{"card": NAME}}); name it: evaluate(NAME, checkpoint=...) or --model NAME '
        f"--checkpoint ...; {hint}"
    )
