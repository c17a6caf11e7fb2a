"""DINO Vision Transformers as dense feature extractors (patch tokens reshaped to a map).

The stride is the patch size and is declared as such: ViT-S/16 gives stride-16 maps (a 480p frame →
30×54 cells), ViT-B/8 stride 8. Heads work in feature cells, so the cards set the VOS head to the DINO
evaluation protocol (τ 0.1, top-5, 7 recent frames, 25×25 square window on all frames, nearest-neighbour
labels, min-max output); frames whose size is not a multiple of the patch are padded (timm's
``dynamic_img_pad``) and the position embeddings are interpolated to the frame (``dynamic_img_size``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from timm.models.vision_transformer import VisionTransformer
from unibench.appearance_models._base import (
    AppearanceModel,
    PretrainedCfg,
    register_arch,
    register_pretrained,
)

from unibench.datatypes import TapInfo

DINO_PROTOCOL = {"vos": "dino"}  # DINO's cards: DINO's VOS evaluation (a preset of the VOS head)


class PatchTokenViT(VisionTransformer, AppearanceModel):
    """timm's ``VisionTransformer`` (parameter names as DINO releases them: ``blocks.0.attn…``)
    whose forward returns the last block's normalised patch tokens as a ``C×h×w`` map."""

    default_tap = "last"
    tap_names = ("last",)

    def __init__(self, patch: int, dim: int, depth: int, heads: int) -> None:
        super().__init__(
            img_size=224,
            patch_size=patch,
            embed_dim=dim,
            depth=depth,
            num_heads=heads,
            num_classes=0,
            dynamic_img_size=True,
            dynamic_img_pad=True,
        )
        self.patch = patch
        self.dim = dim
        # timm stores a list under the name of our contract's method; ours is the one that counts
        self.__dict__.pop("feature_info", None)

    def feature_info(self) -> dict[str, TapInfo]:
        return {"last": TapInfo(self.dim, self.patch)}

    def forward(self, x: torch.Tensor, taps: Sequence[str]) -> dict[str, torch.Tensor]:
        if set(taps) - {"last"}:
            raise KeyError(f"unknown taps {sorted(set(taps) - {'last'})}; taps: ['last']")
        B, _, H, W = x.shape
        tokens = self.forward_features(x)[:, self.num_prefix_tokens :]
        hp, wp = -(-H // self.patch), -(-W // self.patch)
        return {"last": tokens.transpose(1, 2).reshape(B, self.dim, hp, wp)}


@register_arch("vit_small_patch16", PatchTokenViT)
def vit_small_patch16() -> PatchTokenViT:
    return PatchTokenViT(16, 384, 12, 6)


@register_arch("vit_base_patch8", PatchTokenViT)
def vit_base_patch8() -> PatchTokenViT:
    return PatchTokenViT(8, 768, 12, 12)


_DINO = dict(
    family="image-level SSL",
    training_data="ImageNet-1k",
    layout="dino",
    paper="Caron et al., Emerging Properties in Self-Supervised Vision Transformers, ICCV 2021",
    license="Apache-2.0",
    protocol=DINO_PROTOCOL,
    top1_source="DINO paper, Table 2 (linear probe; not re-verified offline)",
)
register_pretrained(
    PretrainedCfg(
        name="vit_small_patch16.dino_in1k",
        arch="vit_small_patch16",
        url="https://dl.fbaipublicfiles.com/dino/dino_deitsmall16_pretrain/dino_deitsmall16_pretrain.pth",
        imagenet_linear_top1=77.0,
        reference_name="DINO ViT-S/16",
        notes="stride 16: half the grid resolution of the ResNets",
        **_DINO,
    )
)
register_pretrained(
    PretrainedCfg(
        name="vit_base_patch8.dino_in1k",
        arch="vit_base_patch8",
        url="https://dl.fbaipublicfiles.com/dino/dino_vitbase8_pretrain/dino_vitbase8_pretrain.pth",
        imagenet_linear_top1=80.1,
        reference_name="DINO ViT-B/8",
        notes="stride 8, like the ResNets",
        **_DINO,
    )
)
register_pretrained(
    PretrainedCfg(
        name="vit_small_patch16.ibot_in1k",
        arch="vit_small_patch16",
        url="https://lf3-nlp-opensource.bytetos.com/obj/nlp-opensource/archive/2022/ibot/vits_16/"
        "checkpoint_teacher.pth",
        family="image-level SSL (masked image modelling)",
        training_data="ImageNet-1k",
        layout="dino",
        paper="Zhou et al., iBOT: Image BERT Pre-Training with Online Tokenizer, ICLR 2022",
        license="Apache-2.0",
        reference_name="iBOT ViT-S/16",
        imagenet_linear_top1=77.9,
        top1_source="iBOT paper (Zhou et al. 2022), Table 2: linear probe, ViT-S/16",
        protocol=DINO_PROTOCOL,
        notes="DINO's architecture; the teacher checkpoint ('teacher' → backbone.*, iBOT's "
        "masked_embed and heads dropped on purpose); URL as in the iBOT README, not verified "
        "offline, sha256 unknown; stride 16",
    )
)
