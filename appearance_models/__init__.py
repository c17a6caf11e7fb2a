"""Appearance models: registry, cards and the families (one module per family)."""

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from unibench.appearance_models import (  # noqa: F401  (registrations)
    clip,
    dinov2,
    mae,
    mobile,
    pixels,
    resnet,
    timm_adapter,
    timm_supervised,
    vit,
    zoo,
)
from unibench.appearance_models.base import (
    ARCHS,
    MODELS,
    AppearanceModel,
    ArchInfo,
    FeatureExtractor,
    PretrainedCfg,
    arch_info,
    build_random,
    list_models,
    register_arch,
    register_pretrained,
    tracking_taps,
)
from unibench.appearance_models.checkpoint import LoadReport, apply_state_dict, read_state_dict
from unibench.appearance_models.layouts import (
    CONVERSIONS,
    conversion_for,
    detect,
    layout_named,
)
from unibench.appearance_models.timm_adapter import (
    TIMM_LAYOUT,
    TimmModel,
    load_timm_weights,
    timm_card,
    untagged,
    weight_file,
)
from unibench.appearance_models.weights import fetch_card

from unibench.config import from_dict, load_mapping
from unibench.errors import CheckpointError, ConfigError, UniBenchError

logger = logging.getLogger(__name__)


def describe_model(model: str, checkpoint: str | None = None) -> dict[str, Any]:
    """What a report needs to know of a measured model, stored in its record (``model_info``):
    ``key``, the canonical name that aligns a model across sources (a zoo card's ``<arch>
    <reference_name>``, the paper's row name; ``<arch> Random Init.`` for a bare architecture;
    the model with its checkpoint otherwise), ``backbone``, ``reference`` (the card's reference
    name) and ``top1`` (the card's ImageNet linear-probe accuracy; none for a checkpoint)."""
    try:
        card = get_cfg(model)
    except (UniBenchError, KeyError):
        card = None
    if card is None:
        key = model + (f" [{checkpoint}]" if checkpoint else "")
        return {"key": key, "backbone": "", "reference": None, "top1": None}
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
    return {"key": key, "backbone": arch, "reference": ref, "top1": top1}


def get_cfg(name: str) -> PretrainedCfg:
    """A registered card, or the card built for a ``timm:`` / ``hf-hub:`` name."""
    if name.startswith(("timm:", "hf-hub:")) and name not in MODELS:
        return timm_card(name)
    return MODELS.get(name)


UNTRAINED_FAMILIES = ("random", "training-free")

__all__ = [
    "checkpoint_card",
    "describe_model",
    "matching_cards",
    "model_reference",
    "ARCHS",
    "ArchInfo",
    "arch_info",
    "MODELS",
    "AppearanceModel",
    "FeatureExtractor",
    "LoadReport",
    "PretrainedCfg",
    "apply_state_dict",
    "build_random",
    "create_model",
    "get_cfg",
    "list_models",
    "read_state_dict",
    "register_arch",
    "register_pretrained",
    "tracking_taps",
    "weights_file",
]


def load_weights(
    model: AppearanceModel,
    cfg: PretrainedCfg,
    checkpoint: str | None = None,
    allow_partial: bool = False,
    allow_nonfinite: bool = False,
) -> LoadReport | None:
    """Load ``checkpoint`` (layout auto-detected) or the card's own weights (card layout).

    A card that names a weight source (``file``, ``url``, ``package``) always has it loaded, or the
    run stops, whatever the architecture: a timm-built card reads it through its key conversion
    (``layout`` naming one of :data:`CONVERSIONS`) or timm's own names; only a card without a
    source runs untrained (a ``random`` or ``training-free`` family, an untagged ``timm:`` name).
    """

    if isinstance(model, TimmModel):  # timm / hf-hub names and timm-built cards
        if checkpoint is not None:
            state = read_state_dict(checkpoint)
            conversion = conversion_for(state)
            if conversion is not None:
                logger.info("%s: recognised layout %r (%s)", checkpoint, conversion.name,
                            conversion.notes)  # fmt: skip
            how = (conversion or TIMM_LAYOUT).filter
            return apply_state_dict(model, state, checkpoint, how, allow_partial, allow_nonfinite)
        if cfg.has_weights:
            path = weights_file(model, cfg)
            how = (CONVERSIONS.get(cfg.layout) or TIMM_LAYOUT).filter
            return apply_state_dict(
                model, read_state_dict(path), str(path), how, allow_partial, allow_nonfinite
            )
        return load_timm_weights(
            model, cfg, allow_partial, allow_nonfinite, weights_file(model, cfg)
        )
    if checkpoint is not None:
        state = read_state_dict(checkpoint)
        layout, hits = detect(state, model)
        logger.info(
            "%s: detected layout %r (%s) matching %d backbone keys",
            checkpoint,
            layout.name,
            layout.notes,
            hits,
        )
        return apply_state_dict(
            model, state, checkpoint, layout.filter, allow_partial, allow_nonfinite
        )
    if not cfg.has_weights:
        if cfg.family in UNTRAINED_FAMILIES:
            return None

        raise CheckpointError(
            f"model {cfg.name!r} is a trained representation whose weights cannot be fetched by URL "
            f"({cfg.paper or 'see its card'}): download them and pass --checkpoint FILE (the key "
            f"layout is detected), or register a card with 'file:'. Refusing to run it untrained."
        )
    path = weights_file(model, cfg)
    return apply_state_dict(
        model,
        read_state_dict(path),
        str(path),
        layout_named(cfg.layout).filter,
        allow_partial,
        allow_nonfinite,
    )


def weights_file(
    model: AppearanceModel, cfg: PretrainedCfg, checkpoint: str | None = None
) -> Path | None:
    """The file :func:`load_weights` reads for ``cfg`` (found in a cache or fetched), or ``None``
    where nothing is loaded (an untrained card, an untagged ``timm:`` name). The run identity
    hashes this file, so new weights under an old name are never served from the store."""

    if checkpoint is not None:
        return Path(checkpoint)
    if cfg.has_weights:
        return fetch_card(cfg)
    if isinstance(model, TimmModel):
        return None if untagged(model) else weight_file(model, cfg)
    return None


def create_model(
    name: str,
    checkpoint: str | None = None,
    allow_partial: bool = False,
    device: str = "cpu",
    tap: str | None = None,
    allow_nonfinite: bool = False,
) -> tuple[FeatureExtractor, LoadReport | None]:
    """Build a model from its card with its weights (or ``checkpoint``), wrapped for extraction.

    A card without weights (``resnet50``, ``pixels``) builds a seeded random initialisation.
    """
    cfg = get_cfg(name)
    model = build_random(cfg)
    report = load_weights(model, cfg, checkpoint, allow_partial, allow_nonfinite)
    return FeatureExtractor(model, cfg, device=device, tap=tap), report


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
    import os

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
