"""Conformance over every registered model, and safe checkpoint loading."""

import pickle

import numpy as np
import pytest
import torch
from unibench.appearance_models import (
    MODELS,
    apply_state_dict,
    build_random,
    create_model,
    get_cfg,
    read_state_dict,
)
from unibench.appearance_models._key_layouts import LAYOUTS

from unibench.errors import CheckpointError, UniBenchError


@pytest.mark.parametrize("name", MODELS.names())
def test_conformance(name):
    cfg = get_cfg(name)
    model = build_random(cfg)
    info = model.feature_info()
    assert model.default_tap in info
    x = torch.rand(1, 3, 64, 96)
    for tap, spec in info.items():
        if spec.stride != 8:
            continue
        a = model(x, [tap])[tap]
        b = model(x, [tap])[tap]
        assert a.shape == (1, spec.channels, 64 // 8, 96 // 8), (tap, a.shape)
        assert torch.isfinite(a).all()
        assert torch.equal(a, b)  # deterministic in eval mode
    # a random-init model is reproducible across builds
    again = build_random(cfg)
    for (k, v), (_, w) in zip(model.state_dict().items(), again.state_dict().items(), strict=True):
        assert torch.equal(v, w), k


def test_stride8_taps_of_resnets():
    for arch, ch in (("resnet18", (256, 512)), ("resnet50", (1024, 2048))):
        info = build_random(get_cfg(arch)).feature_info()
        assert (info["layer3"].stride, info["layer4"].stride) == (8, 8)
        assert (info["layer3"].channels, info["layer4"].channels) == ch


def test_extractor_uses_card_normalisation():
    ex, _ = create_model("resnet18", tap="layer4")
    frame = np.full((32, 48, 3), 128, np.uint8)
    x = ex.preprocess(frame)
    expected = (128 / 255 - 0.485) / 0.229
    assert x[0, 0, 0, 0].item() == pytest.approx(expected, rel=1e-5)
    fm = ex(frame)
    assert fm.stride == 8 and fm.tap == "layer4" and fm.data.shape == (512, 4, 6)
    with pytest.raises(UniBenchError, match="no tap 'layer9'"):
        create_model("resnet18", tap="layer9")


def test_torchvision_layout_checkpoint_loads(tmp_path):
    import torchvision

    sd = torchvision.models.resnet18(weights=None).state_dict()  # includes fc.*
    wrapped = {"state_dict": {"module." + k: v for k, v in sd.items()}, "epoch": 3}
    p = tmp_path / "ck.pth"
    torch.save(wrapped, p)
    ex, report = create_model("resnet18", checkpoint=str(p))
    assert report.prefix == "module." and not report.missing and not report.unexpected
    assert "module.fc.weight" in report.dropped
    got = ex.model.state_dict()["layer1.0.conv1.weight"]
    assert torch.equal(got, sd["layer1.0.conv1.weight"])


def test_foreign_checkpoint_fails_with_report(tmp_path):
    p = tmp_path / "foreign.pth"
    torch.save({"encoder.weight": torch.zeros(3, 3)}, p)
    with pytest.raises(
        CheckpointError,
        match=r"0 tensors loaded.*unexpected: encoder.weight; missing: .*\(100 in all\)",
    ):
        create_model("resnet18", checkpoint=str(p))


def test_partial_checkpoint_needs_flag(tmp_path):
    model = build_random(get_cfg("resnet18"))
    sd = {k: v for k, v in model.state_dict().items() if k.startswith(("conv1", "bn1"))}
    p = tmp_path / "partial.pth"
    torch.save(sd, p)
    with pytest.raises(CheckpointError, match="allow_partial"):
        create_model("resnet18", checkpoint=str(p))
    _, report = create_model("resnet18", checkpoint=str(p), allow_partial=True)
    assert report.missing and report.loaded


class Evil:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned > /dev/null",))


def test_pickle_payload_refused(tmp_path):
    p = tmp_path / "evil.pth"
    torch.save({"conv1.weight": torch.zeros(1), "x": Evil()}, p, pickle_protocol=2)
    with pytest.raises(
        CheckpointError, match="refused: weights_only loading reads plain tensors only"
    ):
        read_state_dict(p)
    q = tmp_path / "evil.pkl"
    q.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CheckpointError):
        read_state_dict(q)


def test_missing_checkpoint_file(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        read_state_dict(tmp_path / "nope.pth")


def test_shape_mismatch_is_unexpected():
    model = build_random(get_cfg("resnet18"))
    sd = dict(model.state_dict())
    sd["conv1.weight"] = torch.zeros(1, 1, 1, 1)
    with pytest.raises(CheckpointError, match=r"conv1.weight \(shape"):
        apply_state_dict(model, sd, "mem", LAYOUTS["plain"].filter)


def test_bf16_feature_path_is_close_to_fp32_and_opt_in():
    """``precision="bf16"``: bfloat16 autocast on a channels-last input, float32 features of the
    same shape, close to the fp32 ones (cosine per position); fp32 stays the default."""
    from unibench.appearance_models import FeatureExtractor, build_random, get_cfg

    card = get_cfg("resnet18")
    net = build_random(card)
    frame = np.random.default_rng(0).integers(0, 255, (96, 128, 3), dtype=np.uint8)
    fp32 = FeatureExtractor(net, card)(frame).data
    bf16 = FeatureExtractor(net, card, precision="bf16")(frame).data
    assert FeatureExtractor(net, card).precision == "fp32"
    assert bf16.dtype == torch.float32 and bf16.shape == fp32.shape and bf16.is_contiguous()
    cos = torch.nn.functional.cosine_similarity(fp32, bf16, dim=0)
    assert cos.min() > 0.99 and not torch.equal(fp32, bf16)
    with pytest.raises(UniBenchError, match="expected one of fp32, bf16"):
        FeatureExtractor(net, card, precision="fp16")


def test_bf16_runs_are_their_own_identity_and_row(tmp_path):
    """``model.precision=bf16`` is part of the run identity (a float32 record is never served for
    it, nor replaced by it) and its row is named ``(bf16)`` in every report."""
    from unibench.reports.tidy import tidy

    from unibench import reports
    from unibench.app.cli import main
    from unibench.store import ResultStore

    out = tmp_path / "o"
    args = ["run", "--model", "resnet18", "--task", "vos", "--sequences", "synth-00",
            "--frames", "6", "--output", str(out), "--no-progress"]  # fmt: skip
    assert main(args) == 0 and main([*args, "model.precision=bf16"]) == 0
    fp32, bf16 = ResultStore(out).records()
    assert fp32.run_id != bf16.run_id and (fp32.precision, bf16.precision) == ("fp32", "bf16")
    assert bf16.execution["dtype"] == "bfloat16" and bf16.model_name == "resnet18 (bf16)"
    assert len(ResultStore(out).latest()) == 2
    md = reports.markdown(tidy(ResultStore(out).records(), published=False))
    assert "| resnet18 (Random Init.) (bf16) " in md and "| resnet18 (Random Init.) " in md
