"""Supervised convolutional baselines from timm at stride 8: ResNet-50 (A1 recipe of "ResNet strikes
back", Wightman et al. 2021) beside torchvision's, and ConvNeXt-T (Liu et al., CVPR 2022).

timm dilates the last stages for ``output_stride=8`` (UniTrack instead removes the stride of
layer3/layer4; both give stride-8 maps); the default tap is the second-to-last stage (``layer3``,
``stages_2``). The UniTrack VOS protocol (the head's default) applies.
"""

from __future__ import annotations

import unibench.appearance_models.timm_adapter  # noqa: F401  (the "timm" architecture)
from unibench.appearance_models._base import PretrainedCfg, register_pretrained

register_pretrained(
    PretrainedCfg(
        name="resnet50.timm_a1_in1k",
        arch="timm",
        arch_kwargs={"name": "resnet50", "tag": "a1_in1k", "output_stride": 8},
        layout="timm",
        family="supervised",
        training_data="ImageNet-1k",
        paper="Wightman et al., ResNet strikes back: An improved training procedure in timm, 2021",
        license="Apache-2.0",
        reference_name="ResNet-50 A1 (timm)",
        imagenet_linear_top1=80.4,
        top1_source="ResNet strikes back (Wightman et al. 2021), Table 1: A1 top-1 at 224 "
        "(supervised accuracy, not a linear probe)",
        notes="timm resnet50.a1_in1k, output_stride 8 (dilated layer3/layer4)",
    )
)
register_pretrained(
    PretrainedCfg(
        name="convnext_tiny.fb_in1k",
        arch="timm",
        arch_kwargs={"name": "convnext_tiny", "tag": "fb_in1k", "output_stride": 8},
        layout="timm",
        family="supervised",
        training_data="ImageNet-1k",
        paper="Liu et al., A ConvNet for the 2020s, CVPR 2022",
        license="Apache-2.0",
        reference_name="ConvNeXt-T",
        imagenet_linear_top1=82.1,
        top1_source="ConvNeXt paper (Liu et al. 2022), Table 1: ConvNeXt-T ImageNet-1k top-1 "
        "(supervised accuracy, not a linear probe)",
        notes="timm convnext_tiny.fb_in1k, output_stride 8 (dilated stages 2 and 3)",
    )
)
