"""Building a card's network with its weights: the card's own file (or a ``--checkpoint``, read
with ``weights_only``/safetensors and converted from its layout), or random initialisation."""

from __future__ import annotations

import logging
from pathlib import Path

from unibench.appearance_models.base import (
    AppearanceModel,
    FeatureExtractor,
    PretrainedCfg,
    build_random,
)
from unibench.appearance_models.cards import UNTRAINED_FAMILIES, get_cfg
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
    untagged,
    weight_file,
)
from unibench.appearance_models.weights import fetch_card

from unibench.errors import CheckpointError

logger = logging.getLogger(__name__)


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
