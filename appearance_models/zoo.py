"""The representations of the UniTrack study (Tables 1–2) as ResNet cards, plus Unicorn.

Every card names its architecture (the stride-8 ResNet of :mod:`resnet`), its checkpoint layout
(:mod:`layouts`), the authors' weight URL where one is known, provenance and the ImageNet linear-probe
top-1 (from ``../shared/reference/imagenet_linear_probe.csv``, "as commonly reported in the SSL
literature", not re-verified against each paper offline). ``url=None`` means the authors distribute the
weights in a way that cannot be fetched by URL (Google Drive, Dropbox, TensorFlow or JAX checkpoints
needing conversion): download them yourself and pass ``--checkpoint``; the layout is detected.
Unverified facts say so in ``notes``.
"""

from __future__ import annotations

from unibench.appearance_models._base import PretrainedCfg, register_pretrained

UNVERIFIED = "source and layout as documented by the authors; not verified offline"
CSV = "reference CSV (commonly reported value; verify against the paper before citing)"


def _r50(tag, family, data, layout, paper, ref, top1=None, url=None, sha=None, lic="", notes=""):
    return PretrainedCfg(
        name=f"resnet50.{tag}",
        arch="resnet50",
        url=url,
        sha256=sha,
        family=family,
        training_data=data,
        layout=layout,
        paper=paper,
        reference_name=ref,
        imagenet_linear_top1=top1,
        top1_source=CSV if top1 is not None else "",
        license=lic,
        notes=notes or UNVERIFIED,
    )


CARDS = [
    PretrainedCfg(
        name="resnet50.tv_in1k",
        arch="resnet50",
        family="supervised",
        training_data="ImageNet-1k",
        url="https://download.pytorch.org/models/resnet50-0676ba61.pth",
        sha256="0676ba61",
        layout="plain",
        paper="He et al., Deep Residual Learning, CVPR 2016 (torchvision v1 weights)",
        license="BSD-3-Clause (torchvision)",
        reference_name="ImageNet-sup.",
        imagenet_linear_top1=77.2,
        top1_source=CSV,
        notes="sha256 is the 8-digit prefix torchvision encodes in the file name",
    ),
    PretrainedCfg(
        name="resnet18.tv_in1k",
        arch="resnet18",
        family="supervised",
        training_data="ImageNet-1k",
        url="https://download.pytorch.org/models/resnet18-f37072fd.pth",
        sha256="f37072fd",
        layout="plain",
        paper="He et al., Deep Residual Learning, CVPR 2016 (torchvision v1 weights)",
        license="BSD-3-Clause (torchvision)",
        reference_name="ImageNet-sup.",
        notes="sha256 is the 8-digit prefix torchvision encodes in the file name",
    ),
    _r50(
        "insdis_in1k",
        "image-level SSL",
        "ImageNet-1k",
        "module-encoder",
        "Wu et al., Instance Discrimination, CVPR 2018 (PyContrast release)",
        "InsDis",
        59.5,
    ),
    _r50(
        "mocov1_in1k",
        "image-level SSL",
        "ImageNet-1k",
        "moco",
        "He et al., MoCo, CVPR 2020",
        "MoCoV1",
        60.6,
        lic="CC-BY-NC-4.0",
        url="https://dl.fbaipublicfiles.com/moco/moco_checkpoints/moco_v1_200ep/moco_v1_200ep_pretrain.pth.tar",
    ),
    _r50(
        "pclv1_in1k",
        "image-level SSL",
        "ImageNet-1k",
        "moco",
        "Li et al., Prototypical Contrastive Learning, ICLR 2021",
        "PCLV1",
        61.5,
    ),
    _r50(
        "pirl_in1k",
        "image-level SSL",
        "ImageNet-1k",
        "module-encoder",
        "Misra & van der Maaten, PIRL, CVPR 2020 (PyContrast release)",
        "PIRL",
        61.7,
    ),
    _r50(
        "pclv2_in1k",
        "image-level SSL",
        "ImageNet-1k",
        "moco",
        "Li et al., Prototypical Contrastive Learning (v2), ICLR 2021",
        "PCLV2",
        67.6,
    ),
    _r50(
        "simclrv1_in1k",
        "image-level SSL",
        "ImageNet-1k",
        "plain",
        "Chen et al., SimCLR, ICML 2020 (TensorFlow release converted to torch)",
        "SimCLRV1",
        69.1,
    ),
    _r50(
        "mocov2_in1k",
        "image-level SSL",
        "ImageNet-1k",
        "moco",
        "Chen et al., Improved Baselines with Momentum Contrastive Learning, 2020",
        "MoCoV2",
        71.1,
        lic="CC-BY-NC-4.0",
        url="https://dl.fbaipublicfiles.com/moco/moco_checkpoints/moco_v2_800ep/moco_v2_800ep_pretrain.pth.tar",
        notes="800-epoch release; which epoch count UniTrack used is not verified offline",
    ),
    _r50(
        "simclrv2_in1k",
        "image-level SSL",
        "ImageNet-1k",
        "plain",
        "Chen et al., SimCLR v2, NeurIPS 2020 (TensorFlow release converted to torch)",
        "SimCLRV2",
        71.7,
    ),
    _r50(
        "selav2_in1k",
        "image-level SSL",
        "ImageNet-1k",
        "module",
        "Asano et al., SeLa; v2 by Caron et al. (SwAV codebase), 2020",
        "SeLaV2",
        71.8,
        lic="CC-BY-NC-4.0",
        url="https://dl.fbaipublicfiles.com/deepcluster/selav2_400ep_pretrain.pth.tar",
    ),
    _r50(
        "infomin_in1k",
        "image-level SSL",
        "ImageNet-1k",
        "module-encoder",
        "Tian et al., InfoMin, NeurIPS 2020 (PyContrast release)",
        "InfoMin",
        73.0,
    ),
    _r50(
        "barlowtwins_in1k",
        "image-level SSL",
        "ImageNet-1k",
        "plain",
        "Zbontar et al., Barlow Twins, ICML 2021",
        "BarlowTwins",
        73.2,
        lic="MIT",
        url="https://dl.fbaipublicfiles.com/barlowtwins/ep1000_bs2048_lrw0.2_lrb0.0048_lambd0.0051/resnet50.pth",
    ),
    _r50(
        "byol_in1k",
        "image-level SSL",
        "ImageNet-1k",
        "byol-torch",
        "Grill et al., BYOL, NeurIPS 2020 (JAX release converted to torch)",
        "BYOL",
        74.3,
    ),
    _r50(
        "deepclusterv2_in1k",
        "image-level SSL",
        "ImageNet-1k",
        "module",
        "Caron et al., DeepCluster-v2 (SwAV paper), NeurIPS 2020",
        "DeepCluster",
        75.2,
        lic="CC-BY-NC-4.0",
        url="https://dl.fbaipublicfiles.com/deepcluster/deepclusterv2_800ep_pretrain.pth.tar",
    ),
    _r50(
        "swav_in1k",
        "image-level SSL",
        "ImageNet-1k",
        "module",
        "Caron et al., SwAV, NeurIPS 2020",
        "SwAV",
        75.3,
        lic="CC-BY-NC-4.0",
        url="https://dl.fbaipublicfiles.com/deepcluster/swav_800ep_pretrain.pth.tar",
    ),
    _r50(
        "vfs_kinetics",
        "video SSL",
        "Kinetics-400",
        "mmaction",
        "Xu & Wang, Rethinking Self-supervised Correspondence Learning (VFS), ICCV 2021",
        "VFS",
    ),
    _r50(
        "pixpro_in1k",
        "pixel-level SSL",
        "ImageNet-1k",
        "module-encoder",
        "Xie et al., PixPro, CVPR 2021",
        "PixPro",
    ),
    _r50(
        "detco_in1k",
        "pixel-level SSL",
        "ImageNet-1k",
        "moco",
        "Xie et al., DetCo, ICCV 2021",
        "DetCo",
        68.6,
    ),
    _r50(
        "timecycle_vlog",
        "video SSL",
        "VLOG",
        "timecycle",
        "Wang et al., Learning Correspondence from the Cycle-consistency of Time, CVPR 2019",
        "TimeCycle",
    ),
    PretrainedCfg(
        name="resnet18.colorization_kinetics",
        arch="resnet18",
        family="video SSL",
        training_data="Kinetics",
        layout="model",
        reference_name="Colorization+mem.",
        paper="Vondrick et al., Tracking Emerges by Colorizing Videos, ECCV 2018 (+memory, as in "
        "UniTrack Table 2)",
        notes=UNVERIFIED,
    ),
    PretrainedCfg(
        name="resnet18.uvc_kinetics",
        arch="resnet18",
        family="video SSL",
        training_data="Kinetics",
        layout="uvc",
        reference_name="UVC",
        paper="Li et al., Joint-task Self-supervised Learning for Temporal Correspondence, "
        "NeurIPS 2019",
        notes=UNVERIFIED,
    ),
    PretrainedCfg(
        name="resnet18.crw_kinetics",
        arch="resnet18",
        family="video SSL",
        training_data="Kinetics",
        layout="crw",
        reference_name="CRW",
        license="MIT",
        url="https://github.com/ajabri/videowalk/raw/master/pretrained.pth",
        paper="Jabri et al., Space-Time Correspondence as a Contrastive Random Walk, NeurIPS 2020",
        notes="zero padding as UniTrack runs it (CRW's own code pads by reflection); URL from the "
        "videowalk README, sha256 unknown",
    ),
    PretrainedCfg(
        name="resnet50.unicorn_track",
        arch="resnet50",
        family="tracker-trained",
        training_data="COCO, LaSOT, GOT-10k, TrackingNet, MOT17, BDD100K (Unicorn's joint data)",
        layout="unicorn",
        paper="Yan et al., Towards Grand Unification of Object Tracking (Unicorn), ECCV 2022",
        license="MIT",
        notes="Unicorn's ResNet-50 backbone only (the FPN neck, the unified embedding and the "
        "detection heads are dropped), run at stride 8 like the other ResNets; key prefix "
        "and release URL not verified offline",
    ),
]

for _card in CARDS:
    register_pretrained(_card)
