"""Building a card's network with its weights: the card's own file (or a ``--checkpoint``, read
with ``weights_only``/safetensors and converted from its layout), or random initialisation."""

from __future__ import annotations

import logging
from pathlib import Path

from unibench.appearance_models._base import (
    AppearanceModel,
    FeatureExtractor,
    PretrainedCfg,
    build_random,
)
from unibench.appearance_models._cards import UNTRAINED_FAMILIES, get_cfg
from unibench.appearance_models._checkpoint import LoadReport, apply_state_dict, read_state_dict
from unibench.appearance_models._key_layouts import (
    CONVERSIONS,
    LAYOUTS,
    conversion_for,
    detect,
    layout_named,
)
from unibench.appearance_models._weights import fetch_card
from unibench.appearance_models.timm_adapter import (
    TIMM_LAYOUT,
    TimmModel,
    load_timm_weights,
    untagged,
    weight_file,
)

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

    try:
        return _load_weights(model, cfg, checkpoint, allow_partial, allow_nonfinite)
    except CheckpointError as exc:
        hint = _fitting_layout(model, cfg, checkpoint)
        if hint is None:
            raise
        raise CheckpointError(f"{exc}; {hint}") from None


def _fitting_layout(
    model: AppearanceModel, cfg: PretrainedCfg, checkpoint: str | None
) -> str | None:
    """Where a file does not fit under the card's layout: the known key layout (or key
    conversion) it does fit, as the line that says what to write in the card."""
    try:
        path = weights_file(model, cfg, checkpoint)
        state = read_state_dict(path) if path is not None else None
    except CheckpointError:
        return None
    if state is None:
        return None
    given = cfg.layout if checkpoint is None else ""
    for name, how in _candidate_layouts(model, state):
        if name == given:
            continue
        try:
            mapped, _, _ = how(state, model)
        except CheckpointError:
            continue
        target = model.state_dict()
        fits = [k for k, v in mapped.items() if k in target and target[k].shape == v.shape]
        needed = [k for k in target if not k.endswith("num_batches_tracked")]
        if mapped and len(fits) == len(mapped) and set(needed) <= set(fits):
            where = f"the card ({cfg.name})" if checkpoint is None else "a card for this file"
            return (
                f"the file fits the known key layout {name!r} "
                f"({layout_named(name).notes}): write 'layout: {name}' in {where}"
            )
    return None


def _candidate_layouts(model: AppearanceModel, state: dict):
    """The key layouts a file may be in, for this kind of network: the key conversions whose
    signature keys the file holds and timm's own names for a timm-built one, the checkpoint
    layouts otherwise."""
    if isinstance(model, TimmModel):
        yield from ((c.name, c.filter) for c in CONVERSIONS.values() if c.recognises(state))
        yield TIMM_LAYOUT.name, TIMM_LAYOUT.filter
        return
    yield from ((n, lay.filter) for n, lay in LAYOUTS.items() if n != "timm")


def _load_weights(
    model: AppearanceModel,
    cfg: PretrainedCfg,
    checkpoint: str | None,
    allow_partial: bool,
    allow_nonfinite: bool,
) -> LoadReport | None:
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
