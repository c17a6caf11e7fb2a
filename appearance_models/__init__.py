"""Appearance models: registry, cards and the families (one module per family)."""

from unibench.appearance_models import pixels, resnet  # noqa: F401  (registrations)
from unibench.appearance_models.base import (
    ARCHS,
    MODELS,
    AppearanceModel,
    FeatureExtractor,
    PretrainedCfg,
    build_random,
    get_cfg,
    list_models,
    register_arch,
    register_pretrained,
)
from unibench.appearance_models.checkpoint import LoadReport, apply_state_dict, read_state_dict

__all__ = [
    "ARCHS",
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
]


def create_model(
    name: str,
    checkpoint: str | None = None,
    allow_partial: bool = False,
    device: str = "cpu",
    tap: str | None = None,
) -> tuple[FeatureExtractor, LoadReport | None]:
    """Build a model from its card, optionally loading a local checkpoint, wrapped for extraction."""
    cfg = get_cfg(name)
    model = build_random(cfg)
    report = None
    if checkpoint is not None:
        report = apply_state_dict(
            model, read_state_dict(checkpoint), checkpoint, allow_partial=allow_partial
        )
    return FeatureExtractor(model, cfg, device=device, tap=tap), report
