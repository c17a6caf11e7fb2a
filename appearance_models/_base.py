"""Level 1: appearance models and their pretrained cards (timm style).

A model is an architecture entrypoint (``@register_arch``) plus a card (:class:`PretrainedCfg`) keyed
``arch.tag``; the bare architecture name is the card of a randomly initialised network. Heads never
see raw pixels normalisation: :class:`FeatureExtractor` applies the card's mean/std.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from unibench.appearance_models._fusion import Fused, fuse_for_inference

from unibench.datatypes import FeatureMap, TapInfo
from unibench.errors import ConfigError, UniBenchError
from unibench.registry import Registry

logger = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class AppearanceModel(nn.Module):
    """Contract: ``forward(x, taps)`` maps a normalised ``B×3×H×W`` batch to ``{tap: B×C×h×w}``.

    ``feature_info()`` declares channels and stride per tap; ``default_tap`` names the tap used when
    the user names none. Only the layers up to the deepest requested tap are evaluated.
    """

    default_tap: str = ""
    # the tap names every instance has, declared on the class so that planning and listing need no
    # network; None where they are known only once built (timm names: see ``arch_info``)
    tap_names: tuple[str, ...] | None = None
    # behaviour version of the family's forward pass: bump it with any change that alters features
    # (it is part of every run identity; tests/golden/behaviour.json pins the outputs per version)
    version: int = 1

    def feature_info(self) -> dict[str, TapInfo]:
        raise NotImplementedError

    def forward(self, x: torch.Tensor, taps: Sequence[str]) -> dict[str, torch.Tensor]:
        raise NotImplementedError


# OpenCLIP's names for a full CLIP checkpoint on the Hugging Face Hub (safetensors first)
CLIP_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")


@dataclass(frozen=True)
class TextTowerCfg:
    """A card's text tower.

    Attributes:
        activation: the MLP activation the tower was trained with (OpenAI: ``quick_gelu``,
            OpenCLIP's LAION models: ``gelu``).
        hf_hub: the Hub repository holding the full CLIP checkpoint (both towers).
        files: the file names tried in that repository, in order.
        image_tap: the image tower's tap that its projection applies to.
    """

    activation: Literal["gelu", "quick_gelu"]
    hf_hub: str
    files: tuple[str, ...] = CLIP_FILES
    image_tap: str = "norm"

    def __post_init__(self) -> None:
        if self.activation not in ("gelu", "quick_gelu"):
            raise ConfigError(
                f"text_tower.activation {self.activation!r}: expected gelu or quick_gelu"
            )
        if not self.files:
            raise ConfigError("text_tower.files: name at least one file")


@dataclass(frozen=True)
class PretrainedCfg:
    """A model card: where weights come from, how to preprocess, what the taps are, provenance."""

    name: str
    arch: str
    url: str | None = None
    file: str | None = None
    sha256: str | None = None
    # an installed Python package that carries the weight file: a requirement (``dist==version``)
    # and the file's path inside the distribution (see :mod:`~unibench.appearance_models._weights`)
    package: str | None = None
    package_file: str | None = None
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    input_scale: float = 1.0 / 255.0
    family: str = "random"
    training_data: str = "none"
    paper: str = ""
    license: str = ""
    imagenet_linear_top1: float | None = None
    top1_source: str = ""
    # what ``imagenet_linear_top1`` measures: a linear probe on the frozen trunk (the SSL rows of
    # the papers) or the supervised network's own accuracy; reports never pool the two unmarked.
    # None: "supervised" for a card of the supervised family, else "linear-probe"
    top1_kind: Literal["linear-probe", "supervised"] | None = None
    reference_name: str | None = None  # row name in the UniTrack tables / linear-probe CSV
    layout: str = "plain"  # checkpoint key layout (see layouts.LAYOUTS)
    # the evaluation protocol the card's authors used, per task: a named preset of the head that the
    # task runs (``{"vos": "dino"}``); checked when the card is registered or built
    protocol: dict[str, str] = field(default_factory=dict)
    arch_kwargs: dict[str, Any] = field(default_factory=dict)
    notes: str = ""
    source: str = "zoo"  # where the card comes from: zoo | timm | hf-hub | card file <path>
    # a text tower trained with the image tower (CLIP): what the zero-shot-grounding protocol
    # needs (:mod:`unibench.appearance_models.text`); not in the card identity: the runs that
    # use it hold its file's content and this declaration in their identity
    text_tower: TextTowerCfg | None = None

    @property
    def has_weights(self) -> bool:
        return bool(self.url or self.file or self.package)

    def __post_init__(self) -> None:
        if self.top1_kind is None:
            kind = "supervised" if self.family == "supervised" else "linear-probe"
            object.__setattr__(self, "top1_kind", kind)
        elif self.top1_kind not in ("linear-probe", "supervised"):
            raise ConfigError(
                f"card {self.name!r}: top1_kind {self.top1_kind!r}: expected linear-probe or "
                "supervised"
            )

    def identity(self) -> dict[str, Any]:
        """The fields that change the features a card produces (architecture and its arguments,
        preprocessing, checkpoint layout, the protocol (the preset it names per task)). Where the
        weights come from is not among them: the run identity holds the weights' content."""
        return {k: getattr(self, k) for k in CARD_IDENTITY_FIELDS}


# the card fields in a run identity; the others (name, url, file, sha256, provenance, top-1) do not
# change a feature
CARD_IDENTITY_FIELDS = (
    "arch", "mean", "std", "input_scale", "layout", "protocol", "arch_kwargs",
)  # fmt: skip


@dataclass(frozen=True)
class ArchSpec:
    """A registered architecture: its builder and the :class:`AppearanceModel` class it returns
    (whose class attributes declare the taps, the default tap and the behaviour version)."""

    factory: Callable[..., AppearanceModel]
    model_class: type[AppearanceModel]

    def __call__(self, **kwargs: Any) -> AppearanceModel:
        return self.factory(**kwargs)


@dataclass(frozen=True)
class ArchInfo:
    """What planning needs of a card's network without building it: taps, default tap, version.
    ``probe`` is a weightless instance on the ``meta`` device, only for architectures whose taps
    are known once built (timm models: the names come from timm's own feature metadata)."""

    taps: tuple[str, ...]
    default_tap: str
    version: int
    probe: AppearanceModel | None = None


ARCHS: Registry[ArchSpec] = Registry(
    "architecture",
    doc="ArchSpec(factory(**arch_kwargs) -> AppearanceModel, randomly initialised; model_class)",
)


MODELS: Registry[PretrainedCfg] = Registry(
    "model",
    doc="PretrainedCfg keyed 'arch' or 'arch.tag'",
)


def register_arch(name: str, model_class: type[AppearanceModel]):
    """Register a builder of ``model_class`` under ``name`` (a decorator)."""

    def deco(factory: Callable[..., AppearanceModel]) -> Callable[..., AppearanceModel]:
        ARCHS.register(name, ArchSpec(factory, model_class), stacklevel=2)
        return factory

    return deco


def arch_info(cfg: PretrainedCfg) -> ArchInfo:
    """The taps, default tap and behaviour version of ``cfg``'s architecture: read from the
    class's declarations; for a class that declares no tap names (timm), from an instance built
    on the ``meta`` device (no weights, no memory, no initialisation cost)."""
    spec = ARCHS.get(cfg.arch)
    cls = spec.model_class
    if cls.tap_names is not None:
        return ArchInfo(tuple(cls.tap_names), cls.default_tap, cls.version)
    with torch.device("meta"):
        probe = spec(**cfg.arch_kwargs)
    return ArchInfo(tuple(probe.feature_info()), probe.default_tap, type(probe).version, probe)


def tracking_taps(cfg: PretrainedCfg, max_stride: int = 16) -> list[str]:
    """The taps of ``cfg``'s network whose stride is at most ``max_stride`` (what ``--layers all``
    runs: the depths a dense head can track with), in the network's order. Read from an instance
    on the ``meta`` device."""
    probe = arch_info(cfg).probe
    if probe is None:
        with torch.device("meta"):
            probe = ARCHS.get(cfg.arch)(**cfg.arch_kwargs)
    return [t for t, i in probe.feature_info().items() if i.stride <= max_stride]


def register_pretrained(cfg: PretrainedCfg) -> PretrainedCfg:
    if cfg.arch not in ARCHS:
        raise UniBenchError(f"model card {cfg.name!r} names unknown architecture {cfg.arch!r}")
    MODELS.register(cfg.name, cfg)
    return cfg


def card_matches(cfg: PretrainedCfg, pattern: str) -> bool:
    """``pattern`` (a glob, or a substring) against the card's name, its architecture and tag, its
    reference name and its family, case-insensitively: ``dino*`` finds DINO and DINOv2 by tag."""
    pat = (pattern if any(c in pattern for c in "*?[") else f"*{pattern}*").lower()
    arch, _, tag = cfg.name.partition(".")
    fields = (cfg.name, arch, tag, cfg.reference_name or "", cfg.family)
    return any(f and fnmatch.fnmatch(f.lower(), pat) for f in fields)


def list_models(pattern: str = "") -> list[str]:
    names = MODELS.names()
    if pattern:
        names = [n for n in names if card_matches(MODELS.get(n), pattern)]
    return names


def build_random(cfg: PretrainedCfg, seed: int = 0) -> AppearanceModel:
    """Build the architecture with a fixed seed so a 'random init' row is reproducible."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = ARCHS.get(cfg.arch)(**cfg.arch_kwargs)
    return model.eval()


# the feature paths: float32, or the opt-in bfloat16 autocast (FeatureExtractor)
PRECISIONS = ("fp32", "bf16")


class FeatureExtractor:
    """A model in eval mode with its card's preprocessing, producing :class:`FeatureMap` s."""

    # behaviour version of preprocessing and extraction (see AppearanceModel.version); 2: batch
    # norms folded and channels-last by default (``fuse``)
    version = 2

    def __init__(
        self,
        model: AppearanceModel,
        cfg: PretrainedCfg,
        device: str = "cpu",
        tap: str | None = None,
        precision: str = "fp32",
        fuse: bool = True,
    ) -> None:
        """``precision``: ``fp32`` (the default, the golden numbers), or ``bf16``: the forward pass
        under bfloat16 autocast on a channels-last input (opt-in; part of the run identity; its
        measured effect is in docs/measured.md), features returned as float32. ``fuse``: run a
        copy of the network with its batch norms folded into the convolutions and its weights
        channels-last (:mod:`~unibench.appearance_models._fusion`, checked on the first frame
        against the network as built); ``False`` runs the network as built (``model.fuse``)."""
        if precision not in PRECISIONS:
            raise UniBenchError(f"precision {precision!r}: expected one of {', '.join(PRECISIONS)}")
        info = model.feature_info()
        tap = tap or model.default_tap
        if tap not in info:
            raise UniBenchError(f"model {cfg.name!r} has no tap {tap!r}; taps: {', '.join(info)}")
        if device == "cuda" and not torch.cuda.is_available():
            raise UniBenchError("device 'cuda' requested but torch sees no CUDA device")
        self.model = model.to(device).eval()
        self.cfg = cfg
        self.device = torch.device(device)
        self.tap = tap
        self.precision = precision
        self.fuse = fuse
        self.fused: Fused | None = None  # made on the first frame (its input is the probe)
        self.info = info[tap]
        self._mean = torch.tensor(cfg.mean, device=self.device).view(1, 3, 1, 1)
        self._std = torch.tensor(cfg.std, device=self.device).view(1, 3, 1, 1)

    @staticmethod
    def input_size(size: tuple[int, int], height: int | None = None) -> tuple[int, int]:
        """The network's input size for a frame of ``size`` (H, W) at ``height`` (the aspect
        ratio kept; None: the frame's own size)."""
        h, w = int(size[0]), int(size[1])
        if height is None or height == h:
            return h, w
        return height, max(1, round(w * height / h))

    def preprocess(self, frame: np.ndarray, height: int | None = None) -> torch.Tensor:
        x = torch.from_numpy(np.ascontiguousarray(frame)).to(self.device)
        x = x.permute(2, 0, 1).unsqueeze(0).float() * self.cfg.input_scale
        size = self.input_size(tuple(x.shape[-2:]), height)
        if size != tuple(x.shape[-2:]):
            x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
        return (x - self._mean) / self._std

    def network(self, x: torch.Tensor) -> tuple[torch.nn.Module, bool]:
        """The module the forward pass runs and whether its input goes channels-last: the
        fused copy (made on the first call, ``x`` its probe) or the network as built."""
        if not self.fuse:
            return self.model, self.precision == "bf16"
        if self.fused is None:
            self.fused = fuse_for_inference(
                self.model, lambda m, inp: m(inp, [self.tap])[self.tap], x
            )
            logger.debug(
                "%s: %d batch norms folded, channels-last %s (probe difference %.2g)",
                self.cfg.name, self.fused.folded, self.fused.channels_last, self.fused.max_diff,
            )  # fmt: skip
        return self.fused.module, self.fused.channels_last or self.precision == "bf16"

    @torch.inference_mode()
    def __call__(self, frame: np.ndarray, height: int | None = None) -> FeatureMap:
        x = self.preprocess(frame, height)
        net, channels_last = self.network(x)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        if self.precision == "bf16":
            with torch.autocast(self.device.type, dtype=torch.bfloat16):
                out = net(x, [self.tap])[self.tap]
        else:
            out = net(x, [self.tap])[self.tap]
        return FeatureMap(out[0].float().contiguous(), self.info.stride, self.tap)

    def features(self, seq, t: int, height: int | None = None) -> FeatureMap:
        """Features of frame ``t`` of ``seq``: through the feature cache when one is attached."""
        cache = getattr(self, "cache", None)
        key = seq.meta.get("cache_key")
        if cache is None or key is None:
            return self(seq.clip.frame(t), height)
        k = f"{key}|h={height}"
        hit = cache.get(k, t)
        if hit is None:
            hit = self(seq.clip.frame(t), height).data.to(torch.float16).cpu()
            cache.put(k, t, hit)
        return FeatureMap(hit.float().to(self.device), self.info.stride, self.tap)
