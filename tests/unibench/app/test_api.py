"""``unibench.evaluate`` from Python: in-memory modules, their identity, the docs' training-loop
example (run as written), and the hooks' schedule."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import timm
import torch
import torchvision
from unibench.appearance_models import checkpoint_card, matching_cards, model_reference
from unibench.appearance_models.any_module import AsCard, card_of, materialise, state_sha256

import unibench
from unibench.app.cli import _request as cli_request
from unibench.app.cli import build_parser as cli_parser
from unibench.app.hooks import every
from unibench.errors import CheckpointError, ConfigError, DataError
from unibench.store import ResultStore

PYTHON_PAGE = Path(__file__).resolve().parents[3] / "docs" / "python.md"


def _readme_example() -> str:
    """The runnable block of the docs' "From Python" page (the one block marked runnable)."""
    text = PYTHON_PAGE.read_text()
    (block,) = re.findall(r"<!-- runnable: [^>]*-->\n```python\n(.*?)```", text, re.S)
    return block


def test_the_readme_example_runs_and_a_trained_step_is_a_new_record(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    exec(compile(_readme_example(), "docs/python.md: From Python", "exec"), {})  # noqa: S102
    records = ResultStore(tmp_path / "ub-runs").records()
    assert len(records) == 2  # one per evaluated epoch: the weights changed in between
    assert len({r.run_id for r in records}) == 2 and len({r.checkpoint for r in records}) == 2
    for r in records:
        assert r.model == "resnet18" and r.tap == "layer3" and r.sequences == ["synth-00"]
        assert r.whole_split is False  # a subset, marked as such
    printed = capsys.readouterr().out
    assert printed.count("1/3 seq") == 2  # each epoch's J&F row, marked as a subset
    modules = sorted((tmp_path / "ub-runs" / "modules").glob("module-*.safetensors"))
    assert len(modules) == 2


def test_the_same_weights_are_one_identity_and_nothing_is_recomputed(tmp_path):
    model = torchvision.models.resnet18()
    a = unibench.evaluate(model, tap="layer3", sequences=["synth-00"], store=tmp_path)
    b = unibench.evaluate(model, tap="layer3", sequences=["synth-00"], store=tmp_path)
    assert isinstance(a, pd.DataFrame) and set(a.run_id) == set(b.run_id)
    pd.testing.assert_frame_equal(a.drop(columns="created"), b.drop(columns="created"))
    assert len(ResultStore(tmp_path).records()) == 1  # the second call reused the stored cell
    row = a[a.metric == "J&F-Mean"].iloc[0]
    assert (
        row.subset == "1/3 seq"
        and row.unit == "percent"
        and row.official == "J&F-Mean (davis2017-evaluation)"
    )


def test_state_sha256_follows_the_weights_only():
    m = torchvision.models.resnet18()
    h = state_sha256(m)
    assert h == state_sha256(m) and len(h) == 64
    with torch.no_grad():
        m.conv1.weight[0, 0, 0, 0] += 1e-3
    assert state_sha256(m) != h


def test_which_card_a_module_runs_as():
    assert card_of(torchvision.models.resnet18()) == "resnet18"
    assert card_of(torchvision.models.resnet50()) == "resnet50"
    vit = timm.create_model("vit_tiny_patch16_224", pretrained=False)
    assert card_of(vit) == "timm:vit_tiny_patch16_224"
    plain = torch.nn.Conv2d(3, 8, 3)
    with pytest.raises(ConfigError, match=r"wrap it as unibench.AsCard\(module, card=NAME\)"):
        card_of(plain)
    assert card_of(AsCard(plain, "pixels")) == "pixels"
    with pytest.raises(ConfigError, match="wrap it as"):
        card_of(torchvision.models.resnet34())  # no resnet34 card: declared, never guessed


def test_a_module_is_written_once_per_content(tmp_path):
    m = torchvision.models.resnet18()
    card, p1 = materialise(m, tmp_path)
    mtime = p1.stat().st_mtime_ns
    _, p2 = materialise(m, tmp_path)
    assert card == "resnet18" and p1 == p2 and p2.stat().st_mtime_ns == mtime
    assert not list((tmp_path / "modules").glob(".*partial"))


def test_bad_models_are_one_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="w.pth does not exist"):
        unibench.evaluate(str(tmp_path / "w.pth"), store=tmp_path)
    with pytest.raises(ConfigError, match="expected a name, a card file"):
        unibench.evaluate(3.5, store=tmp_path)


def test_a_checkpoint_file_that_names_its_card_is_a_model(tmp_path):
    """A .safetensors file with metadata {"card": NAME} (as UniBench writes an in-memory module)
    stands for its card on every path: evaluate(path), 'unibench run --checkpoint PATH'."""
    model = torchvision.models.resnet18()
    kw = dict(tap="layer3", benchmarks="synthetic-davis-quick", store=tmp_path)
    a = unibench.evaluate(model, **kw)
    (path,) = (tmp_path / "modules").glob("module-*.safetensors")
    assert checkpoint_card(path) == "resnet18" and model_reference(path) == ("resnet18", str(path))
    b = unibench.evaluate(path, **kw)  # the same card and weights: the same cell, reused
    assert set(a.run_id) == set(b.run_id) and len(ResultStore(tmp_path).records()) == 1
    args = cli_parser().parse_args(["run", "--checkpoint", str(path), "--task", "vos"])
    assert cli_request(args).models == ["resnet18"]
    # a checkpoint naming no card: one error naming the cards whose architecture fits it
    plain = tmp_path / "plain.pth"
    torch.save(model.state_dict(), plain)
    assert checkpoint_card(plain) is None
    with pytest.raises(ConfigError, match=r"names no card.*fits its tensors: .*resnet18") as e:
        unibench.evaluate(plain, store=tmp_path)
    assert "resnet50" not in str(e.value).split("fits its tensors:")[1].split(",")
    odd = tmp_path / "odd.pth"
    torch.save({"w": torch.zeros(3)}, odd)
    with pytest.raises(ConfigError, match="no zoo card's architecture fits its tensors"):
        unibench.evaluate(str(odd), store=tmp_path)
    assert matching_cards(torchvision.models.resnet50().state_dict())[:1] != ["resnet18"]


def test_every_evaluates_on_its_schedule(monkeypatch):
    calls = []

    def fake(model, **kw):
        calls.append(kw)
        return pd.DataFrame({"metric": ["J&F-Mean"], "value": [50.0]})

    monkeypatch.setattr("unibench.app.hooks.evaluate", fake)
    seen = []
    hook = every(3, last=7, on_result=lambda e, t: seen.append(e), tasks=["vos"], tap="layer3")
    got = [e for e in range(8) if hook(e, object()) is not None]
    assert got == [0, 3, 6, 7] and seen == got and sorted(hook.history) == got
    assert calls[0] == {"tasks": ["vos"], "tap": "layer3"}
    assert list(hook.history[3].epoch) == [3]
    with pytest.raises(ValueError, match="n must be >= 1"):
        every(0)


def test_a_quick_suite_is_a_marked_subset_on_every_path(tmp_path):
    from unibench.app.pipeline import resolve_config

    r = resolve_config({"task": "vos", "benchmark": {"name": "synthetic-davis-quick"}})
    b = r.run.benchmark
    assert (b.name, b.sequences, b.frames) == ("synthetic-davis", ("synth-00",), 12)
    assert "quick suite synthetic-davis-quick" in r.layers
    mine = resolve_config(
        {"task": "vos", "benchmark": {"name": "davis2017-val-quick", "data_root": str(tmp_path)}},
        None,
        ["benchmark.sequences=[dog]"],
    )
    assert mine.run.benchmark.split == "val" and mine.run.benchmark.sequences == ("dog",)
    df = unibench.evaluate("pixels", benchmarks="synthetic-davis-quick", store=tmp_path)
    assert set(df.subset) == {"1/3 seq, 12 frames"} and set(df.benchmark) == {"synthetic-davis"}
    (rec,) = ResultStore(tmp_path).records()
    assert rec.whole_split is False and rec.frames == 12 and rec.subset == "1/3 seq, 12 frames"
    # the first 12 frames were run and frames 1..10 scored (DAVIS: not the first nor the last)
    assert len(list(Path(rec.predictions, "synth-00").glob("*.png"))) == 12
    assert {r["frames"] for r in rec.per_sequence} == {10}
    from unibench.app.pipeline import evaluate_folder  # 'unibench eval' reads the quick suite alike

    table = evaluate_folder("vos", "synthetic-davis-quick", None, Path(rec.predictions))
    assert [r["sequence"] for r in table.rows if "sequence" in r][:1] == ["synth-00"]
    assert table.summary["J&F-Mean"] == rec.metrics["J&F-Mean"]
    # the whole sequence scored from the same 12 predictions: the 13th is missing
    with pytest.raises(DataError, match="missing prediction .*synth-00/00012.png"):
        evaluate_folder("vos", "synthetic-davis", None, Path(rec.predictions), None, ["synth-00"])
    # frames on an adapter that does not cut sequences, or too few: one clear error each
    with pytest.raises(ConfigError, match="does not run frame subsets.*synthetic-davis"):
        unibench.evaluate("pixels", tasks="mot", frames=12, store=tmp_path)
    with pytest.raises(ConfigError, match="must be an integer >= 3"):
        unibench.evaluate("pixels", frames=2, store=tmp_path)
    # the same sequence whole and cut to 12 frames are two leaderboard cells, never one
    kw = dict(tasks="sot", store=tmp_path)
    whole = unibench.evaluate("pixels", benchmarks="synthetic-otb", sequences=["synth-00"], **kw)
    part = unibench.evaluate("pixels", benchmarks="synthetic-otb-quick", **kw)
    assert set(whole.subset) == {"1/3 seq"} and set(part.subset) == {"1/3 seq, 12 frames"}
    assert len(ResultStore(tmp_path).latest()) == 3


def test_a_torchvision_vit_runs_as_the_same_timm_network(tmp_path):
    from unibench.appearance_models import create_model

    tv = torchvision.models.VisionTransformer(  # a ViT-Ti/16 (vit_b_16 is the same at width 768)
        image_size=224, patch_size=16, num_layers=12, num_heads=3, hidden_dim=192, mlp_dim=768
    ).eval()
    assert card_of(tv) == "timm:vit_tiny_patch16_224"
    card, path = materialise(tv, tmp_path)
    ex, report = create_model(card, str(path))
    assert report.loaded and not report.missing and not report.unexpected
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        ref = tv.encoder(torch.cat([tv.class_token.expand(1, -1, -1), tv._process_input(x)], 1))
        got = ex.model.net.forward_features(x)
    assert torch.allclose(ref, got, atol=1e-5)
    for odd in (
        dict(image_size=96, num_layers=12, num_heads=3),  # no timm entrypoint at 96
        dict(image_size=224, num_layers=2, num_heads=3),  # another depth
        dict(image_size=224, num_layers=12, num_heads=6),  # same weights' shapes, other heads
    ):
        vit = torchvision.models.VisionTransformer(
            patch_size=16, hidden_dim=192, mlp_dim=768, **odd
        )
        with pytest.raises(ConfigError, match="wrap it as"):
            card_of(vit)  # declared, never guessed


class _Untraceable(torch.nn.Module):
    """A module FX cannot trace (data-dependent control flow): read through a forward hook."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.body = torch.nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.head = torch.nn.Linear(16, 2)

    def forward(self, x):
        y = self.body(torch.relu(self.stem(x)))
        if y.sum() > 0:  # data-dependent: no FX graph
            y = y * 2
        return self.head(y.mean((2, 3)))


def _mobilenet(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torchvision.models.mobilenet_v2()


def test_any_module_at_a_named_node(tmp_path):
    """``evaluate(module, tap="features.13")``: torchvision's MobileNetV2 (no card names it) is
    read at that node (FX), its stride (16) and channels (96) inferred; the features are the
    node's output under ImageNet mean/std; the card says where it came from."""
    from unibench.appearance_models import create_model, get_cfg
    from unibench.appearance_models.any_module import Tapped, tapped_card

    m = _mobilenet()
    with pytest.raises(ConfigError, match=r"evaluate\(module, tap='features.13'\)"):
        card_of(m)
    card = tapped_card(Tapped(m, "features.13"))
    assert card.source == "nn.Module" and "stride 16" in card.notes and card.mean[0] == 0.485
    _, path = materialise(Tapped(m, "features.13"), tmp_path)
    ex, report = create_model(card.name, checkpoint=str(path))
    assert not report.missing and ex.tap == "features.13" and ex.info.stride == 16
    frame = np.random.default_rng(0).integers(0, 255, (64, 96, 3), dtype=np.uint8)
    from torchvision.models.feature_extraction import create_feature_extractor

    ref = create_feature_extractor(m.eval(), ["features.13"])
    with torch.inference_mode():
        want = ref(ex.preprocess(frame))["features.13"][0]
    assert torch.allclose(ex(frame).data, want, atol=1e-5)
    assert get_cfg(card.name) is card  # registered once per identity
    hooked, path = materialise(Tapped(_Untraceable(), "body"), tmp_path)
    ex, _ = create_model(hooked, checkpoint=str(path))
    assert ex.info.stride == 4 and ex(frame).data.shape == (16, 16, 24)


def test_a_module_at_a_node_is_one_identity_per_content_node_and_preprocessing(tmp_path):
    """The run identity covers the module's class, state_dict, node and mean/std: the same
    module again is reused; one changed weight, another node or another mean is a new record.
    It runs in this process only."""
    from unibench.appearance_models.any_module import Tapped

    kw = {"tasks": "vos", "sequences": ["synth-00"], "frames": 4, "store": tmp_path}
    m = _mobilenet()
    unibench.evaluate(m, tap="features.13", **kw)
    unibench.evaluate(m, tap="features.13", **kw)
    assert len({r.run_id for r in ResultStore(tmp_path).records()}) == 1
    with torch.no_grad():
        m.features[0][0].weight[0, 0, 0, 0] += 1.0
    unibench.evaluate(m, tap="features.13", **kw)
    unibench.evaluate(m, tap="features.6", **kw)
    unibench.evaluate(Tapped(m, "features.6", mean=(0.5,) * 3, std=(0.5,) * 3), **kw)
    records = ResultStore(tmp_path).records()
    assert len({r.run_id for r in records}) == 4
    assert {r.tap for r in records} == {"features.13", "features.6"}
    with pytest.raises(ConfigError, match="runs in this process"):
        unibench.evaluate(m, tap="features.13", executor="process", workers=2, **kw)
