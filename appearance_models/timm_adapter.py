"""Any timm model as an appearance model: ``timm:<name>`` (``features_only``, ``output_stride=8``).

timm reaches stride 8 by dilating the last stages (not UniTrack's stride-1 trick); taps are timm's
feature module names (e.g. ``layer3``) with the strides and channels timm reports. No weights are
fetched from a hub: pass ``--checkpoint`` (timm's key layout, ``plain``) for trained weights.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from unibench.appearance_models.base import AppearanceModel, PretrainedCfg, register_arch

from unibench.errors import UniBenchError
from unibench.types import TapInfo


class TimmFeatures(AppearanceModel):
    def __init__(self, name: str, output_stride: int = 8) -> None:
        super().__init__()
        try:
            import timm
        except ImportError as exc:
            raise UniBenchError("timm:<name> models need the 'timm' package") from exc
        try:
            self.net = timm.create_model(
                name, pretrained=False, features_only=True, output_stride=output_stride
            )
        except (RuntimeError, ValueError, TypeError, AssertionError) as exc:
            raise UniBenchError(
                f"timm model {name!r} cannot be built with features_only and "
                f"output_stride={output_stride}: {exc}"
            ) from exc
        fi = self.net.feature_info
        self._names = [n.replace(".", "_") for n in fi.module_name()]
        self._info = {
            n: TapInfo(c, r)
            for n, c, r in zip(self._names, fi.channels(), fi.reduction(), strict=True)
        }
        eight = [n for n in self._names if self._info[n].stride == output_stride]
        self.default_tap = eight[0] if eight else self._names[-1]

    def feature_info(self) -> dict[str, TapInfo]:
        return dict(self._info)

    def forward(self, x: torch.Tensor, taps: Sequence[str]) -> dict[str, torch.Tensor]:
        unknown = set(taps) - set(self._names)
        if unknown:
            raise KeyError(f"unknown taps {sorted(unknown)}; taps: {self._names}")
        feats = self.net(x)
        return {n: f for n, f in zip(self._names, feats, strict=True) if n in taps}


@register_arch("timm")
def timm_features(name: str, output_stride: int = 8) -> TimmFeatures:
    return TimmFeatures(name, output_stride)


def timm_card(model: str) -> PretrainedCfg:
    """A card built on demand for ``timm:<name>`` (preprocessing from timm's default config)."""
    import timm

    name = model.split(":", 1)[1]
    if not timm.is_model(name):
        raise UniBenchError(f"{model!r}: timm has no model {name!r}")
    pc = timm.get_pretrained_cfg(name)
    mean = tuple(getattr(pc, "mean", None) or (0.485, 0.456, 0.406))
    std = tuple(getattr(pc, "std", None) or (0.229, 0.224, 0.225))
    return PretrainedCfg(
        name=model,
        arch="timm",
        mean=mean,
        std=std,
        family="external (timm)",
        training_data="see --checkpoint",
        arch_kwargs={"name": name},
        notes="random weights unless --checkpoint is given",
    )
