"""DINOv2 (Oquab et al., 2023) and DINOv2 with registers (Darcet et al., ICLR 2024), through timm.

ViT-S/14 and ViT-B/14, each with and without 4 register tokens. Weights: timm's Hub copies of Meta's
release (``timm/vit_*_patch14[_reg4]_dinov2.lvd142m``; timm's pretrained config also lists Meta's
``dl.fbaipublicfiles.com/dinov2`` URL, found in torch hub's cache when torch.hub fetched it before).
A ``--checkpoint`` in Meta's layouts loads too: the public backbone release (no prefix, with
``mask_token`` and ``register_tokens``) or a training ``teacher_checkpoint.pth``
(``{"teacher": {"backbone.…", "dino_head.…", "ibot_head.…"}}``; the heads are dropped on purpose).
Stride 14 (the patch); the VOS head runs DINO's evaluation protocol (no VOS protocol in the paper).
"""

from __future__ import annotations

import unibench.appearance_models.timm_adapter  # noqa: F401  (the "timm" architecture)
from unibench.appearance_models._base import PretrainedCfg, register_pretrained
from unibench.appearance_models.vit import DINO_PROTOCOL

_TOP1 = "DINOv2 paper (Oquab et al. 2023), Table 4: linear probe on frozen features, ImageNet-1k"

for size, dim, top1 in (("small", 384, 81.1), ("base", 768, 84.5)):
    for reg in ("", "_reg4"):
        arch = f"vit_{size}_patch14{reg}_dinov2"
        register_pretrained(
            PretrainedCfg(
                name=f"vit_{size}_patch14{reg}.dinov2_lvd142m",
                arch="timm",
                arch_kwargs={"name": arch, "tag": "lvd142m"},
                layout="timm",
                family="image-level SSL",
                training_data="LVD-142M",
                paper=(
                    "Oquab et al., DINOv2: Learning Robust Visual Features without Supervision, "
                    "TMLR 2024"
                    + (
                        "; registers: Darcet et al., Vision Transformers Need Registers, ICLR 2024"
                        if reg
                        else ""
                    )
                ),
                license="Apache-2.0",
                reference_name=f"DINOv2 ViT-{size[0].upper()}/14{' reg4' if reg else ''}",
                imagenet_linear_top1=None if reg else top1,
                top1_source="" if reg else _TOP1,
                protocol=DINO_PROTOCOL,
                notes=f"timm {arch}.lvd142m (hf-hub timm/{arch}.lvd142m); stride 14, {dim} channels"
                + ("; no linear probe published for this size with registers" if reg else ""),
            )
        )
