"""MAE (He et al., CVPR 2022) ViT-B/16 pretrained encoder, through timm.

Weights: timm's Hub copy of the official pretrain checkpoint (``timm/vit_base_patch16_224.mae``).
A ``--checkpoint`` in MAE's layout loads too (``{"model": {…}}`` with the encoder at the top level;
the decoder and ``mask_token`` are dropped on purpose). Stride 16; DINO's VOS protocol.
"""

from __future__ import annotations

import unibench.appearance_models.timm_adapter  # noqa: F401  (the "timm" architecture)
from unibench.appearance_models._base import PretrainedCfg, register_pretrained
from unibench.appearance_models.vit import DINO_PROTOCOL

register_pretrained(
    PretrainedCfg(
        name="vit_base_patch16.mae_in1k",
        arch="timm",
        arch_kwargs={"name": "vit_base_patch16_224", "tag": "mae"},
        layout="timm",
        family="image-level SSL (masked image modelling)",
        training_data="ImageNet-1k",
        paper="He et al., Masked Autoencoders Are Scalable Vision Learners, CVPR 2022",
        license="CC-BY-NC-4.0",
        reference_name="MAE ViT-B/16",
        imagenet_linear_top1=68.0,
        top1_source="MAE ViT-B/16 linear probe as reported in the iBOT paper (Zhou et al., ICLR "
        "2022), Table 2; MAE's own paper reports linear probing for ViT-L",
        protocol=DINO_PROTOCOL,
        notes="timm vit_base_patch16_224.mae; stride 16, 768 channels",
    )
)
