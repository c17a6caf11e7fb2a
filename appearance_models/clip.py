"""CLIP image towers: ViT-B/16 of OpenAI (Radford et al., ICML 2021) and of OpenCLIP on LAION-2B
(Cherti et al., CVPR 2023), through timm.

Weights: timm's Hub copies (``timm/vit_base_patch16_clip_224.openai`` / ``.laion2b``), with CLIP's
own mean/std. The OpenAI tower is built with QuickGELU, the activation it was trained with (timm's
``vit_base_patch16_clip_quickgelu_224``); the LAION-2B one with GELU, as OpenCLIP trained it. A ``--checkpoint`` in CLIP's layouts loads too: OpenAI's full model (``visual.conv1``,
``visual.transformer.resblocks.*``, … beside the text tower, which is not read) or an OpenCLIP
training checkpoint (``module.visual.*`` under ``state_dict``); timm's converter maps the visual tower.
Stride 16; the tap ``norm`` is ``ln_post`` on the patch tokens; DINO's VOS protocol.

Both cards declare their text tower (:mod:`unibench.appearance_models.text`), read from the full
CLIP checkpoint of the same training run, for the R-VOS ``zero-shot-grounding`` protocol.
"""

from __future__ import annotations

import unibench.appearance_models.timm_adapter  # noqa: F401  (the "timm" architecture)
from unibench.appearance_models._base import PretrainedCfg, TextTowerCfg, register_pretrained
from unibench.appearance_models.vit import DINO_PROTOCOL

# the full CLIP checkpoints (both towers) the text towers are read from: OpenCLIP's own pretrained
# table names them (``open_clip.pretrained``: ViT-B-16 ``openai`` → timm's repository, with
# quick_gelu; ``laion2b_s34b_b88k`` → LAION's), the releases timm's image towers were converted from
TEXT_TOWERS = {
    "openai": TextTowerCfg("quick_gelu", "timm/vit_base_patch16_clip_224.openai"),
    "laion2b": TextTowerCfg("gelu", "laion/CLIP-ViT-B-16-laion2B-s34B-b88K"),
}

for tag, arch, data, paper, lic, top1, src in (
    (
        "openai",
        # OpenAI trained with QuickGELU (x * sigmoid(1.702 x)); timm's plain-GELU build of the same
        # weights gives other features (OpenCLIP warns about the same mismatch)
        "vit_base_patch16_clip_quickgelu_224",
        "WIT-400M (OpenAI)",
        "Radford et al., Learning Transferable Visual Models From Natural Language Supervision, "
        "ICML 2021",
        "MIT",
        80.2,
        "CLIP paper (Radford et al. 2021), Table 10: linear probe, ViT-B/16, ImageNet",
    ),
    (
        "laion2b",
        "vit_base_patch16_clip_224",
        "LAION-2B",
        "Cherti et al., Reproducible Scaling Laws for Contrastive Language-Image Learning, CVPR 2023 "
        "(OpenCLIP)",
        "MIT",
        None,
        "",
    ),
):
    register_pretrained(
        PretrainedCfg(
            name=f"vit_base_patch16.clip_{tag}",
            arch="timm",
            arch_kwargs={"name": arch, "tag": tag},
            layout="timm",
            mean=(0.48145466, 0.4578275, 0.40821073),
            std=(0.26862954, 0.26130258, 0.27577711),
            family="image-text contrastive",
            training_data=data,
            paper=paper,
            license=lic,
            reference_name=f"CLIP ViT-B/16 ({tag})",
            imagenet_linear_top1=top1,
            top1_source=src,
            protocol=DINO_PROTOCOL,
            text_tower=TEXT_TOWERS[tag],
            notes=f"timm {arch}.{tag}; stride 16, 768 channels"
            + ("" if top1 else "; no ImageNet linear probe published for this checkpoint"),
        )
    )
