"""The training-free baseline: CIE-Lab colour averaged over 8×8 cells."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from unibench.appearance_models._base import (
    AppearanceModel,
    PretrainedCfg,
    register_arch,
    register_pretrained,
)

from unibench.datatypes import TapInfo

_RGB2XYZ = torch.tensor(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]]
)
_WHITE = torch.tensor([0.950456, 1.0, 1.088754])


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """sRGB in [0,1] (``B×3×H×W``) to CIE-Lab (D65): L in [0,100], a/b roughly in [-128,127]."""
    lin = torch.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = torch.einsum("ij,bjhw->bihw", _RGB2XYZ.to(rgb), lin) / _WHITE.to(rgb).view(1, 3, 1, 1)
    eps = (6 / 29) ** 3
    f = torch.where(xyz > eps, xyz.clamp_min(eps) ** (1 / 3), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    L = 116 * f[:, 1] - 16
    a = 500 * (f[:, 0] - f[:, 1])
    b = 200 * (f[:, 1] - f[:, 2])
    return torch.stack([L, a, b], 1)


class PixelLab(AppearanceModel):
    """Features: (L-50)/50, a/50, b/50 averaged to stride 8 (centred so that L2 normalisation in
    the heads keeps brightness information)."""

    default_tap = "lab"
    tap_names = ("lab",)

    def __init__(self, stride: int = 8) -> None:
        super().__init__()
        self.stride = stride

    def feature_info(self) -> dict[str, TapInfo]:
        return {"lab": TapInfo(3, self.stride)}

    def forward(self, x: torch.Tensor, taps: Sequence[str]) -> dict[str, torch.Tensor]:
        lab = rgb_to_lab(x.clamp(0, 1))
        lab = torch.stack([(lab[:, 0] - 50) / 50, lab[:, 1] / 50, lab[:, 2] / 50], 1)
        s = self.stride
        out = F.avg_pool2d(lab, s, s, ceil_mode=True, count_include_pad=False)
        return {"lab": out}


@register_arch("pixels", PixelLab)
def pixels(**kwargs) -> PixelLab:
    return PixelLab(**kwargs)


register_pretrained(
    PretrainedCfg(
        name="pixels",
        arch="pixels",
        mean=(0.0, 0.0, 0.0),
        std=(1.0, 1.0, 1.0),
        family="training-free",
        training_data="none",
        notes="Lab colour baseline; no weights.",
    )
)
