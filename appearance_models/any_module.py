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
* any other module, read at a named node: :class:`Tapped` (``evaluate(module, tap="features.13")``
  wraps it so): the node is extracted with torchvision's ``create_feature_extractor`` (FX), or with
  a forward hook where the module cannot be traced; its stride and channels are inferred from the
  output on a probe image; ``mean``/``std`` default to ImageNet's and are recorded. The module
  becomes a card (``<Class>.<id>``, family ``external (nn.Module)``) whose architecture name holds
  the sha256 of the class, the ``state_dict``, the node and the preprocessing, so the run identity
  covers all four. It runs in the calling process (``executor="inline"``): a module object cannot
  be rebuilt in another process without pickled code, which UniBench never loads.
"""

from __future__ import annotations

import copy
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import timm
import torch
from safetensors.torch import save_file
from torch import nn
from unibench.appearance_models._base import (
    ARCHS,
    IMAGENET_MEAN,
    IMAGENET_STD,
    MODELS,
    AppearanceModel,
    ArchSpec,
    PretrainedCfg,
    register_pretrained,
)

from unibench.datatypes import TapInfo
from unibench.errors import ConfigError

# torchvision ResNet (block type, blocks per stage) -> the card of that architecture (ResNet-34 has
# ResNet-50's stage depths with basic blocks: the block type tells them apart)
_RESNETS = {("BasicBlock", (2, 2, 2, 2)): "resnet18", ("Bottleneck", (3, 4, 6, 3)): "resnet50"}


@dataclass(frozen=True)
class AsCard:
    """A module declared to be in the key layout of ``card`` (see the module docstring)."""

    module: nn.Module
    card: str


@dataclass(frozen=True)
class Tapped:
    """Any module read at the node ``tap`` (see the module docstring)."""

    module: nn.Module
    tap: str
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    probe: int = 224  # side of the square probe image the stride is inferred from


class _Stop(Exception):
    """Raised by the hook once the node's output is captured: the rest is not computed."""


class NodeModel(AppearanceModel):
    """A module's named node as an appearance model (FX extraction, else a forward hook)."""

    version = 1

    def __init__(self, module: nn.Module, tap: str, channels: int, stride: int) -> None:
        super().__init__()
        self.net = module
        self.node = tap
        self.default_tap = tap
        self._info = {tap: TapInfo(channels, stride)}
        self._graph: nn.Module | None = None
        self._traced: bool | None = None

    def feature_info(self) -> dict[str, TapInfo]:
        return dict(self._info)

    def forward(self, x: torch.Tensor, taps) -> dict[str, torch.Tensor]:
        unknown = set(taps) - {self.node}
        if unknown:
            raise KeyError(f"unknown taps {sorted(unknown)}; taps: [{self.node!r}]")
        return {self.node: node_output(self, x)}


def node_output(model: NodeModel, x: torch.Tensor) -> torch.Tensor:
    """The node's output: through the FX graph (built on first use, so it sees loaded weights;
    it shares the module's parameters), else through a forward hook on the submodule."""
    if model._traced is None:
        from torchvision.models.feature_extraction import create_feature_extractor

        try:
            model._graph = create_feature_extractor(model.net, return_nodes=[model.node])
            model._traced = True
        except Exception:  # noqa: BLE001 — not traceable, or not an FX node name: hooks
            model._traced = False
    if model._traced:
        return model._graph(x)[model.node]
    try:
        sub = model.net.get_submodule(model.node)
    except AttributeError:
        raise ConfigError(
            f"tap {model.node!r}: the module cannot be traced and has no submodule of that name"
        ) from None
    box: list[torch.Tensor] = []

    def hook(_m, _i, out):
        box.append(out)
        raise _Stop

    handle = sub.register_forward_hook(hook)
    try:
        model.net(x)
    except _Stop:
        pass
    finally:
        handle.remove()
    if not box:
        raise ConfigError(f"tap {model.node!r}: the module's forward never ran that submodule")
    return box[0]


def tapped_card(t: Tapped) -> PretrainedCfg:
    """The card of a :class:`Tapped` module, registered (with its architecture) once per
    identity: class, state_dict, node and preprocessing."""
    cls = type(t.module)
    qual = f"{cls.__module__}.{cls.__qualname__}"
    h = hashlib.sha256(
        f"{qual}|{state_sha256(t.module)}|{t.tap}|{tuple(t.mean)}|{tuple(t.std)}".encode()
    ).hexdigest()[:16]
    name = f"{cls.__name__}.{h}"
    if name in MODELS:
        return MODELS.get(name)
    was = t.module.training
    t.module.eval()
    probe = NodeModel(t.module, t.tap, 0, 0)
    try:
        with torch.inference_mode():
            out = node_output(probe, torch.zeros(1, 3, t.probe, t.probe))
    finally:
        t.module.train(was)
    if not isinstance(out, torch.Tensor) or out.dim() != 4:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ConfigError(f"tap {t.tap!r} of {qual}: expected a B×C×H×W map, got {shape}")
    size = out.shape[-1]
    stride = t.probe // size
    if stride * size != t.probe or out.shape[-2] * stride != t.probe:
        raise ConfigError(
            f"tap {t.tap!r} of {qual}: a {t.probe}-pixel probe gave a "
            f"{out.shape[-2]}×{size} map, no integer stride"
        )
    channels, module = int(out.shape[1]), t.module

    def build() -> NodeModel:
        return NodeModel(copy.deepcopy(module), t.tap, channels, stride)

    arch = f"module-{h}"
    if arch not in ARCHS:
        ARCHS.register(arch, ArchSpec(build, NodeModel))
    return register_pretrained(
        PretrainedCfg(
            name=name,
            arch=arch,
            mean=tuple(t.mean),
            std=tuple(t.std),
            family="external (nn.Module)",
            training_data="unknown (an in-memory module)",
            layout="plain",
            notes=f"{qual} read at node {t.tap!r}: {channels} channels, stride {stride} "
            f"(inferred on a {t.probe}-pixel probe)",
            source="nn.Module",
        )
    )


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


def card_of(module: nn.Module | AsCard | Tapped) -> str:
    """The card a recognised module runs as; an error naming the adapter for any other module."""
    if isinstance(module, AsCard):
        return module.card
    if isinstance(module, Tapped):
        return tapped_card(module).name
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
        "layout; see 'unibench models list'), or name the node to read: evaluate(module, "
        "tap='features.13') (any module; runs in this process)"
    )


def materialise(model: nn.Module | AsCard, out_dir: Path) -> tuple[str, Path]:
    """``(card name, checkpoint path)`` of an in-memory module: its state_dict written once per
    content under ``out_dir/modules/`` (atomically; an existing file of the same content is
    reused)."""
    module = model.module if isinstance(model, AsCard | Tapped) else model
    card = card_of(model)
    digest = state_sha256(module)
    folder = Path(out_dir) / "modules"
    folder.mkdir(parents=True, exist_ok=True)
    kind = "node-" if isinstance(model, Tapped) else ""  # other key names: another file
    path = folder / f"module-{kind}{digest[:16]}.safetensors"
    if not path.exists():
        state = module.state_dict()
        if _is_torchvision_vit(module):
            state = torchvision_vit_to_timm(state)
        if isinstance(model, Tapped):  # NodeModel holds the module as ``net``
            state = {f"net.{k}": v for k, v in state.items()}
        tensors = {k: v.detach().cpu().clone() for k, v in state.items()}
        tmp = folder / f".module-{kind}{digest[:16]}.{os.getpid()}.partial"
        try:
            save_file(tensors, str(tmp), metadata={"card": card, "sha256": digest})
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return card, path
