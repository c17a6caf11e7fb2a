"""ResNet-18/50 modified to output stride 8, as UniTrack does.

The strides of layer3 and layer4 are set to 1 (no dilation), so both taps have stride 8. Parameter
names stay torchvision's (``conv1.weight``, ``layer3.0.conv2.weight``, …) so that checkpoints map onto
them directly; the classifier (``fc``) is removed, and checkpoint filters drop it deliberately.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torchvision
from unibench.appearance_models._base import (
    AppearanceModel,
    PretrainedCfg,
    register_arch,
    register_pretrained,
)

from unibench.datatypes import TapInfo

_STAGES = ("layer1", "layer2", "layer3", "layer4")


class StrideEightResNet(AppearanceModel):
    default_tap = "layer3"
    tap_names = _STAGES

    def __init__(self, depth: int = 50) -> None:
        super().__init__()
        ctor = {18: torchvision.models.resnet18, 50: torchvision.models.resnet50}[depth]
        net = ctor(weights=None)
        for stage in (net.layer3, net.layer4):
            block = stage[0]
            conv = (
                block.conv2
                if isinstance(block, torchvision.models.resnet.Bottleneck)
                else block.conv1
            )
            conv.stride = (1, 1)
            if block.downsample is not None:
                block.downsample[0].stride = (1, 1)
        self.conv1, self.bn1, self.relu, self.maxpool = net.conv1, net.bn1, net.relu, net.maxpool
        self.layer1, self.layer2, self.layer3, self.layer4 = (
            net.layer1,
            net.layer2,
            net.layer3,
            net.layer4,
        )
        expansion = 4 if depth == 50 else 1
        self._info = {
            "layer1": TapInfo(64 * expansion, 4),
            "layer2": TapInfo(128 * expansion, 8),
            "layer3": TapInfo(256 * expansion, 8),
            "layer4": TapInfo(512 * expansion, 8),
        }

    def feature_info(self) -> dict[str, TapInfo]:
        return dict(self._info)

    def forward(self, x: torch.Tensor, taps: Sequence[str]) -> dict[str, torch.Tensor]:
        wanted = set(taps)
        unknown = wanted - set(self._info)
        if unknown:
            raise KeyError(f"unknown taps {sorted(unknown)}; taps: {list(self._info)}")
        last = max(_STAGES.index(t) for t in wanted)
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        out = {}
        for _i, name in enumerate(_STAGES[: last + 1]):
            x = getattr(self, name)(x)
            if name in wanted:
                out[name] = x
        return out


@register_arch("resnet18", StrideEightResNet)
def resnet18() -> StrideEightResNet:
    return StrideEightResNet(18)


@register_arch("resnet50", StrideEightResNet)
def resnet50() -> StrideEightResNet:
    return StrideEightResNet(50)


for _arch in ("resnet18", "resnet50"):
    register_pretrained(
        PretrainedCfg(
            name=_arch,
            arch=_arch,
            family="random",
            training_data="none",
            reference_name="Random Init.",
            notes="Random initialisation (torchvision's init, seed 0); the 'Random Init.' row.",
        )
    )
