"""Appearance models: the registry of architectures and cards (:mod:`.base`), one module per family
(imported here, which registers them), cards and card files (:mod:`.cards`), building a network with
its weights (:mod:`.build`) and what a model reference names (:mod:`.reference`)."""

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
from unibench.appearance_models._base import (
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
from unibench.appearance_models._build import create_model, load_weights, weights_file
from unibench.appearance_models._cards import (
    UNTRAINED_FAMILIES,
    describe_model,
    get_cfg,
    load_card_file,
    load_env_cards,
)
from unibench.appearance_models._checkpoint import LoadReport, apply_state_dict, read_state_dict
from unibench.appearance_models._reference import (
    CHECKPOINT_SUFFIXES,
    checkpoint_card,
    matching_cards,
    model_reference,
)

__all__ = [
    "ARCHS",
    "CHECKPOINT_SUFFIXES",
    "MODELS",
    "UNTRAINED_FAMILIES",
    "AppearanceModel",
    "ArchInfo",
    "FeatureExtractor",
    "LoadReport",
    "PretrainedCfg",
    "apply_state_dict",
    "arch_info",
    "build_random",
    "checkpoint_card",
    "create_model",
    "describe_model",
    "get_cfg",
    "list_models",
    "load_card_file",
    "load_env_cards",
    "load_weights",
    "matching_cards",
    "model_reference",
    "read_state_dict",
    "register_arch",
    "register_pretrained",
    "tracking_taps",
    "weights_file",
]
