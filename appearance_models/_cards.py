"""Model cards: looking one up by name (zoo, ``timm:``/``hf-hub:`` names built on demand), what
a report shows of a measured model, and card files (YAML/TOML, ``$UNIBENCH_MODEL_CARDS``)."""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from unibench.appearance_models._base import (
    MODELS,
    PretrainedCfg,
    register_pretrained,
)
from unibench.appearance_models._key_layouts import (
    CONVERSIONS,
    layout_named,
)
from unibench.appearance_models.timm_adapter import (
    timm_card,
)

from unibench.config import from_dict, load_mapping
from unibench.errors import ConfigError, UniBenchError

logger = logging.getLogger(__name__)


def get_cfg(name: str) -> PretrainedCfg:
    """A registered card, or the card built for a ``timm:`` / ``hf-hub:`` name."""
    if name.startswith(("timm:", "hf-hub:")) and name not in MODELS:
        return timm_card(name)
    return MODELS.get(name)


def describe_model(model: str, checkpoint: str | None = None) -> dict[str, Any]:
    """What a report needs to know of a measured model, stored in its record (``model_info``):
    ``key``, the canonical name that aligns a model across sources (a zoo card's ``<arch>
    <reference_name>``, the paper's row name; ``<arch> Random Init.`` for a bare architecture;
    the model with its checkpoint otherwise), ``backbone``, ``reference`` (the card's reference
    name), ``top1`` (the card's ImageNet top-1; none for a checkpoint) and ``top1_kind`` (what
    that figure is: ``linear-probe`` or ``supervised`` accuracy)."""
    try:
        card = get_cfg(model)
    except (UniBenchError, KeyError):
        card = None
    if card is None:
        key = model + (f" [{checkpoint}]" if checkpoint else "")
        return {"key": key, "backbone": "", "reference": None, "top1": None, "top1_kind": None}
    arch = model.split(".")[0] if card.arch == "timm" else card.arch
    ref = card.reference_name or None
    if checkpoint:
        key, top1 = f"{model} [{checkpoint}]", None
    elif card.reference_name:
        key, top1 = f"{arch} {card.reference_name}", card.imagenet_linear_top1
    elif card.family == "random" and "." not in model and not model.startswith(("timm:", "hf-")):
        key, top1 = f"{arch} Random Init.", None
    elif card.family == "random" and model.startswith("timm:"):  # an untagged timm: name
        key, top1 = f"{model} random init", None
    else:
        key, top1 = model, card.imagenet_linear_top1
    kind = card.top1_kind if top1 is not None else None
    return {"key": key, "backbone": arch, "reference": ref, "top1": top1, "top1_kind": kind}


UNTRAINED_FAMILIES = ("random", "training-free")


def load_card_file(path: str | Path) -> PretrainedCfg:
    """Register a model card from a YAML or TOML file (unknown keys are errors)."""

    path = Path(path)
    data = load_mapping(path, "model card")
    cfg = replace(from_dict(PretrainedCfg, data, f"model card {path}"), source=f"card file {path}")
    if cfg.file and not Path(cfg.file).is_absolute():
        cfg = replace(cfg, file=str((path.parent / cfg.file).resolve()))
    try:
        layout_named(cfg.layout)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if cfg.layout in CONVERSIONS and cfg.arch != "timm":
        raise ConfigError(
            f"{path}: layout {cfg.layout!r} converts keys onto a timm network; the card's arch "
            f"is {cfg.arch!r} (use arch: timm with arch_kwargs.name)"
        )
    if bool(cfg.package) != bool(cfg.package_file):
        raise ConfigError(f"{path}: 'package' and 'package_file' go together")
    return register_pretrained(cfg)


def load_env_cards() -> list[str]:
    """Register the cards of ``$UNIBENCH_MODEL_CARDS`` (files or folders, ':'-separated)."""
    names = []
    for entry in filter(None, os.environ.get("UNIBENCH_MODEL_CARDS", "").split(os.pathsep)):
        p = Path(entry)
        files = (
            sorted([*p.glob("*.yaml"), *p.glob("*.yml"), *p.glob("*.toml")]) if p.is_dir() else [p]
        )
        for f in files:
            if f.stem not in MODELS:
                names.append(load_card_file(f).name)
    return names
