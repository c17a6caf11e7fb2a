"""The network as the feature path runs it: batch normalisation folded into the convolutions, the
weights and the input in channels-last memory (oneDNN's fast layout on CPU, depthwise convolutions
above all).

Folding is exact algebra (``conv(x)·s + t`` with ``s = γ/√(σ²+ε)``, ``t = β − μ·s`` becomes one
convolution); it changes float results at the rounding level only, and is checked on a probe input
against the network as built before it is used (:func:`fuse_for_inference`), else the network runs
as built. Which convolution feeds which normalisation is found by watching one forward pass, so no
family needs a table of its layer names; timm's ``BatchNormAct2d`` keeps its activation.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass

import torch
import torch.nn as nn

logger = logging.getLogger(__name__)

# the probe's agreement with the network as built: max |fused − built| ≤ RTOL · max |built| + ATOL
RTOL, ATOL = 1e-4, 1e-6


@dataclass(frozen=True)
class Fused:
    """What :func:`fuse_for_inference` made: the network to run, the batch norms folded, whether
    it runs channels-last, and the probe's largest difference to the network as built."""

    module: nn.Module
    folded: int
    channels_last: bool
    max_diff: float


class _PostFold(nn.Module):
    """What stays of a folded normalisation: its dropout and activation (timm's
    ``BatchNormAct2d``), or nothing (a plain ``BatchNorm2d``)."""

    def __init__(self, bn: nn.Module) -> None:
        super().__init__()
        self.drop = getattr(bn, "drop", nn.Identity())
        self.act = getattr(bn, "act", nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.drop(x))


def _foldable(bn: nn.Module) -> bool:
    """A normalisation whose forward is the batch norm, then (timm) dropout and activation."""
    if type(bn) is nn.BatchNorm2d:
        return True
    return isinstance(bn, nn.BatchNorm2d) and type(bn).__name__ == "BatchNormAct2d"


def conv_bn_pairs(model: nn.Module, run) -> list[tuple[str, str]]:
    """(convolution, normalisation) module names where the normalisation's input is exactly the
    convolution's output in one forward pass (``run(model)``)."""
    produced: dict[int, str] = {}
    pairs: list[tuple[str, str]] = []
    hooks = []
    for name, mod in model.named_modules():
        if isinstance(mod, nn.Conv2d):
            hooks.append(
                mod.register_forward_hook(
                    lambda _m, _i, out, name=name: produced.__setitem__(id(out), name)
                )
            )
        elif isinstance(mod, nn.BatchNorm2d):
            hooks.append(
                mod.register_forward_pre_hook(
                    lambda _m, inp, name=name: pairs.append((produced.get(id(inp[0]), ""), name))
                )
            )
    try:
        with torch.inference_mode():
            run(model)
    finally:
        for h in hooks:
            h.remove()
    seen: set[str] = set()
    out = []
    for conv, bn in pairs:  # a module called twice pairs once; unmatched norms stay as they are
        if conv and bn not in seen and conv not in seen:
            seen.update((conv, bn))
            out.append((conv, bn))
    return out


def _fold(model: nn.Module, pairs: list[tuple[str, str]]) -> int:
    mods = dict(model.named_modules())
    n = 0
    for conv_name, bn_name in pairs:
        conv, bn = mods[conv_name], mods[bn_name]
        if not _foldable(bn) or not bn.track_running_stats or bn.running_var is None:
            continue
        with torch.no_grad():
            gamma = bn.weight if bn.affine else torch.ones_like(bn.running_var)
            beta = bn.bias if bn.affine else torch.zeros_like(bn.running_mean)
            scale = gamma / torch.sqrt(bn.running_var + bn.eps)
            bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
            conv.weight = nn.Parameter(conv.weight * scale.view(-1, 1, 1, 1), requires_grad=False)
            conv.bias = nn.Parameter((bias - bn.running_mean) * scale + beta, requires_grad=False)
        parent, _, attr = bn_name.rpartition(".")
        setattr(mods[parent] if parent else model, attr, _PostFold(bn))
        n += 1
    return n


def fuse_for_inference(model: nn.Module, run, probe: torch.Tensor) -> Fused:
    """A copy of ``model`` (never the caller's module) with its batch norms folded and, where it
    has convolutions, its weights channels-last; ``run(module, x)`` returns the features compared
    on ``probe`` (a ``1×3×H×W`` input). Where the copy does not agree with ``model`` within
    ``RTOL``/``ATOL`` (a convolution output also read before its normalisation, say), ``model``
    itself is returned unchanged."""
    fused = copy.deepcopy(model).eval()
    pairs = conv_bn_pairs(fused, lambda m: run(m, probe))
    folded = _fold(fused, pairs)
    has_conv = any(isinstance(m, nn.Conv2d) for m in fused.modules())
    if has_conv:
        fused = fused.to(memory_format=torch.channels_last)
    with torch.inference_mode():
        ref = run(model, probe)
        got = run(fused, probe.contiguous(memory_format=torch.channels_last) if has_conv else probe)
    diff = float((got.float() - ref.float()).abs().max()) if ref.numel() else 0.0
    if diff > RTOL * float(ref.abs().max()) + ATOL:
        logger.warning(
            "folding %d batch norms changed the probe's features by %.3g: running the network "
            "as built",
            folded,
            diff,
        )
        return Fused(model, 0, False, diff)
    return Fused(fused, folded, has_conv, diff)
