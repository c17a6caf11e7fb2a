"""timm / Hugging Face names and the modern cards (DINOv2, MAE, iBOT, CLIP, ConvNeXt, timm ResNet-50).

Nothing here downloads: weights are fabricated in each family's released key layout and placed
where a user's download would be (UniBench's pick-up folder, the Hugging Face cache, torch hub's
cache) or passed as ``--checkpoint``."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from unibench.appearance_models import build_random, create_model, get_cfg, list_models
from unibench.appearance_models._weights import download, fetch, torch_hub_path
from unibench.appearance_models.timm_adapter import TimmModel, parse_model_name, pickup_dir

from unibench.errors import CheckpointError, UniBenchError

NEW_CARDS = [
    "vit_small_patch14.dinov2_lvd142m",
    "vit_small_patch14_reg4.dinov2_lvd142m",
    "vit_base_patch14.dinov2_lvd142m",
    "vit_base_patch14_reg4.dinov2_lvd142m",
    "vit_base_patch16.mae_in1k",
    "vit_small_patch16.ibot_in1k",
    "vit_base_patch16.clip_openai",
    "vit_base_patch16.clip_laion2b",
    "convnext_tiny.fb_in1k",
    "resnet50.timm_a1_in1k",
]


@pytest.mark.parametrize("name", NEW_CARDS)
def test_new_card_conformance(name):
    """Real architecture, random weights: declared strides hold, no NaN, deterministic."""
    cfg = get_cfg(name)
    m1, m2 = build_random(cfg), build_random(cfg)
    info = m1.feature_info()
    x = torch.rand(1, 3, 61, 83)  # not a multiple of any patch or stride
    with torch.no_grad():
        a = m1(x, [m1.default_tap])[m1.default_tap]
        b = m2(x, [m2.default_tap])[m2.default_tap]
    s = info[m1.default_tap]
    assert a.shape[:2] == (1, s.channels)
    if isinstance(m1, TimmModel) and m1.transformer or "ibot" in name:
        assert a.shape[-2:] == (-(-61 // s.stride), -(-83 // s.stride))  # padded to the patch
        assert s.stride in (14, 16)
    else:
        assert s.stride == 8 and abs(a.shape[-1] - 83 / 8) <= 1 and abs(a.shape[-2] - 61 / 8) <= 1
    assert torch.isfinite(a).all() and torch.equal(a, b)
    assert cfg.imagenet_linear_top1 is None or cfg.top1_source  # a figure always has its source
    if isinstance(m1, TimmModel) and m1.transformer:
        assert cfg.protocol == {"vos": "dino"}


def test_clip_towers_use_the_activation_they_were_trained_with():
    """OpenAI's CLIP was trained with QuickGELU, OpenCLIP's LAION-2B ViT-B/16 with GELU: the same
    weights through the other activation give other features."""
    from timm.layers import QuickGELU

    openai = build_random(get_cfg("vit_base_patch16.clip_openai"))
    laion = build_random(get_cfg("vit_base_patch16.clip_laion2b"))
    assert all(isinstance(b.mlp.act, QuickGELU) for b in openai.net.blocks)
    assert all(type(b.mlp.act) is torch.nn.GELU for b in laion.net.blocks)
    assert set(openai.state_dict()) == set(laion.state_dict())  # one checkpoint layout
    laion.load_state_dict(openai.state_dict())
    x = torch.rand(1, 3, 32, 48)
    with torch.no_grad():
        a, b = openai(x, ["norm"])["norm"], laion(x, ["norm"])["norm"]
    assert not torch.allclose(a, b, atol=1e-4)


def test_transformer_taps_any_block_and_the_norm():
    m = build_random(get_cfg("vit_small_patch14_reg4.dinov2_lvd142m"))
    assert list(m.feature_info())[-1] == "norm" and "block8" in m.feature_info()
    x = torch.rand(1, 3, 56, 70)
    with torch.no_grad():
        out = m(x, ["block8", "block11", "norm"])
        tokens = m.net.forward_features(x)  # class + 4 registers + patches, after the final norm
    assert out["block8"].shape == (1, 384, 4, 5)
    patches = tokens[:, m.net.num_prefix_tokens :].transpose(1, 2).reshape(1, 384, 4, 5)
    torch.testing.assert_close(out["norm"], patches)  # prefix tokens dropped, norm applied
    assert not torch.allclose(out["block11"], out["norm"])  # the tap before the norm differs
    with pytest.raises(KeyError, match="unknown taps"):
        m(x, ["block12"])


@pytest.mark.parametrize(
    "card, arch",
    [("resnet50.timm_a1_in1k", "resnet50"), ("convnext_tiny.fb_in1k", "convnext_tiny")],
)
def test_conv_taps_equal_timm_features_only(card, arch):
    import timm

    m = build_random(get_cfg(card))
    fo = timm.create_model(arch, pretrained=False, features_only=True, output_stride=8).eval()
    sd = m.net.state_dict()
    fo.load_state_dict(
        {k: sd[k] if k in sd else sd[k.replace("_", ".", 1)] for k in fo.state_dict()}
    )
    x = torch.rand(1, 3, 64, 80)
    with torch.no_grad():
        ours, ref = m(x, m._names), fo(x)
    assert all(torch.equal(ours[n], r) for n, r in zip(m._names, ref, strict=True))
    assert m.default_tap == ("layer3" if arch == "resnet50" else "stages_2")


def test_name_parsing_and_suggestions():
    assert parse_model_name("timm:resnet50.a1_in1k").tag == "a1_in1k"
    assert parse_model_name("timm:resnet50").tag is None
    assert parse_model_name("hf-hub:timm/vit_small_patch14_dinov2.lvd142m").repo == (
        "timm/vit_small_patch14_dinov2.lvd142m"
    )
    with pytest.raises(UniBenchError, match="did you mean .*resnet50"):
        get_cfg("timm:resnet05")
    with pytest.raises(UniBenchError, match="no pretrained tag 'a1_in2k'.*did you mean a1_in1k"):
        get_cfg("timm:resnet50.a1_in2k")
    with pytest.raises(UniBenchError, match="expected hf-hub:<org>/<repo>"):
        get_cfg("hf-hub:not a repo")
    cfg = get_cfg("timm:resnet18")
    assert cfg.family == "random" and "timm:resnet18." in cfg.notes  # names the default tag
    assert get_cfg("timm:vit_base_patch16_clip_224.openai").mean[0] == pytest.approx(0.48145466)


def test_tagged_name_offline_refuses_and_names_the_caches(tmp_path, monkeypatch):
    for k, sub in (("HF_HUB_CACHE", "hf"), ("TORCH_HOME", "th"), ("UNIBENCH_CACHE", "ub")):
        monkeypatch.setenv(k, str(tmp_path / sub))
    with pytest.raises(CheckpointError) as e:
        create_model("timm:resnet18.a1_in1k")
    msg = str(e.value)
    assert "Refusing to run it untrained" in msg
    assert str(tmp_path / "ub" / "weights" / "timm" / "resnet18.a1_in1k") in msg
    assert str(tmp_path / "hf" / "models--timm--resnet18.a1_in1k") in msg
    assert "https://huggingface.co/timm/resnet18.a1_in1k" in msg
    with pytest.raises(CheckpointError, match="dinov2_vits14_pretrain.pth"):
        create_model("vit_small_patch14.dinov2_lvd142m")  # a zoo card: the same refusal


def _random_state(card_or_name):
    m = build_random(get_cfg(card_or_name))
    with torch.random.fork_rng():
        torch.manual_seed(7)
        return {
            k: torch.randn_like(v) if v.is_floating_point() else v
            for k, v in m.net.state_dict().items()
        }


def _check_loaded(ex, state, keys=("blocks.0.attn.qkv.weight",)):
    sd = ex.model.net.state_dict()
    for k in keys:
        assert torch.equal(sd[k], state[k]), k


def test_pickup_folder_and_hf_cache_and_torch_hub_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    monkeypatch.setenv("UNIBENCH_CACHE", str(tmp_path / "ub"))
    # 1. UniBench's pick-up folder, timm's own key layout, safetensors
    state = _random_state("timm:resnet18")
    (pickup_dir("resnet18.a1_in1k")).mkdir(parents=True)
    save_file(state, pickup_dir("resnet18.a1_in1k") / "model.safetensors")
    ex, report = create_model("timm:resnet18.a1_in1k")
    assert not report.missing and not report.unexpected
    _check_loaded(ex, state, ("conv1.weight", "layer3.0.conv1.weight"))
    # 2. the Hugging Face cache (huggingface_hub's layout: refs/main -> snapshots/<commit>/)
    repo = tmp_path / "hf" / "models--timm--resnet18.tv_in1k"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0123abcd")
    (repo / "snapshots" / "0123abcd").mkdir(parents=True)
    save_file(state, repo / "snapshots" / "0123abcd" / "model.safetensors")
    ex, report = create_model("timm:resnet18.tv_in1k")
    assert report.source.startswith(str(repo)) and not report.missing
    # 3. torch hub's cache: Meta's DINOv2 release (its own keys: mask_token, no prefix) fetched
    # earlier by torch.hub is used by the DINOv2 card
    dino = _random_state("vit_small_patch14.dinov2_lvd142m")
    meta = dict(dino, mask_token=torch.zeros(1, 384))
    import timm

    f = torch_hub_path(timm.get_pretrained_cfg("vit_small_patch14_dinov2.lvd142m").url)
    assert f.name == "dinov2_vits14_pretrain.pth"
    f.parent.mkdir(parents=True)
    torch.save(meta, f)
    ex, report = create_model("vit_small_patch14.dinov2_lvd142m")
    assert str(f) == report.source and not report.missing and not report.unexpected
    _check_loaded(ex, dino)


def test_hf_hub_name_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    snap = tmp_path / "hf" / "models--someone--tiny-vit" / "snapshots" / "c0ffee"
    snap.mkdir(parents=True)
    (snap.parent.parent / "refs").mkdir()
    (snap.parent.parent / "refs" / "main").write_text("c0ffee")
    cfg = {
        "architecture": "vit_tiny_patch16_224",
        "num_classes": 0,
        "pretrained_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "num_classes": 0},
    }
    (snap / "config.json").write_text(json.dumps(cfg))
    state = _random_state("timm:vit_tiny_patch16_224")
    state = {k: v for k, v in state.items() if not k.startswith("head.")}
    save_file(state, snap / "model.safetensors")
    card = get_cfg("hf-hub:someone/tiny-vit")
    assert card.source == "hf-hub" and card.mean == (0.5, 0.5, 0.5)
    ex, report = create_model("hf-hub:someone/tiny-vit")
    assert not report.missing and not report.unexpected
    assert ex.info.stride == 16 and ex.tap == "norm"
    _check_loaded(ex, state)
    with pytest.raises(
        CheckpointError, match="hf-hub:nobody/absent config.*models--nobody--absent"
    ):
        create_model("hf-hub:nobody/absent")


def _openai_clip(state, with_text=True):
    """timm's vit_base_patch16_clip_224 keys → OpenAI CLIP's ``visual.*`` (inverse of timm's
    ``_convert_openai_clip``), plus a text tower."""
    swaps = [
        ("mlp.fc1", "mlp.c_fc"), ("mlp.fc2", "mlp.c_proj"), ("attn.qkv.", "attn.in_proj_"),
        ("attn.proj", "attn.out_proj"), ("norm1", "ln_1"), ("norm2", "ln_2"),
        ("blocks.", "transformer.resblocks."),
    ]  # fmt: skip
    out = {}
    for k, v in state.items():
        if k == "cls_token":
            out["visual.class_embedding"] = v[0, 0]
        elif k == "pos_embed":
            out["visual.positional_embedding"] = v[0]
        elif k == "patch_embed.proj.weight":
            out["visual.conv1.weight"] = v
        elif k.startswith("norm_pre."):
            out["visual.ln_pre." + k.split(".", 1)[1]] = v
        elif k.startswith("norm."):
            out["visual.ln_post." + k.split(".", 1)[1]] = v
        elif k == "head.weight":
            out["visual.proj"] = v.t().contiguous()
        elif k == "head.bias":
            continue
        else:
            for a, b in swaps:
                k = k.replace(a, b)
            out["visual." + k] = v
    if with_text:
        out["token_embedding.weight"] = torch.zeros(10, 8)
        out["transformer.resblocks.0.ln_1.weight"] = torch.ones(8)
        out["text_projection"] = torch.zeros(8, 8)
        out["logit_scale"] = torch.tensor(4.6)
    return out


@pytest.mark.parametrize(
    "card, make, dropped",
    [
        (  # DINOv2 training teacher checkpoint: registers, mask token, DINO/iBOT heads
            "vit_small_patch14_reg4.dinov2_lvd142m",
            "dinov2_teacher",
            {"teacher.dino_head.mlp.0.weight", "teacher.ibot_head.mlp.0.weight"},
        ),
        ("vit_base_patch16.mae_in1k", "mae", {"decoder_embed.weight", "decoder_pred.weight"}),
        ("vit_base_patch16.clip_openai", "clip_openai", set()),
        ("vit_base_patch16.clip_laion2b", "open_clip", set()),
    ],
)
def test_fabricated_checkpoint_in_each_new_layout(tmp_path, card, make, dropped):
    state = _random_state(card)
    if make == "dinov2_teacher":
        meta = {k: v for k, v in state.items() if k not in ("reg_token", "cls_token", "pos_embed")}
        p0 = torch.full((1, 1, 384), 0.5)
        meta.update(
            register_tokens=state["reg_token"],
            cls_token=state["cls_token"] - p0,
            pos_embed=torch.cat([p0, state["pos_embed"]], 1),
            mask_token=torch.zeros(1, 384),
        )
        ck = {"teacher": {**{f"backbone.{k}": v for k, v in meta.items()},
                          "dino_head.mlp.0.weight": torch.zeros(4, 384),
                          "ibot_head.mlp.0.weight": torch.zeros(4, 384)}}  # fmt: skip
        ck = {"model": {f"teacher.{k}": v for k, v in ck["teacher"].items()}}
    elif make == "mae":
        ck = {"model": {**state, "mask_token": torch.zeros(1, 1, 768),
                        "decoder_embed.weight": torch.zeros(512, 768),
                        "decoder_pred.weight": torch.zeros(768, 512)}, "epoch": 799}  # fmt: skip
    elif make == "clip_openai":
        ck = _openai_clip(state)
    else:
        ck = {"state_dict": {f"module.{k}": v for k, v in _openai_clip(state).items()}}
    path = tmp_path / "ck.pth"
    torch.save(ck, path)
    ex, report = create_model(card, checkpoint=str(path))
    assert report.missing == [] and report.unexpected == [] and report.layout == "timm"
    assert dropped <= set(report.dropped)
    _check_loaded(
        ex, state, ("blocks.0.attn.qkv.weight", "blocks.11.mlp.fc2.weight", "norm.weight")
    )
    if make == "dinov2_teacher":
        torch.testing.assert_close(ex.model.net.state_dict()["cls_token"], state["cls_token"])
    if "clip" in make:  # CLIP's image projection is timm's head
        torch.testing.assert_close(ex.model.net.state_dict()["head.weight"], state["head.weight"])


def test_ibot_teacher_checkpoint_loads_strictly(tmp_path):
    m = build_random(get_cfg("vit_small_patch16.ibot_in1k"))
    sd = m.state_dict()
    ck = {"teacher": {**{f"backbone.{k}": v for k, v in sd.items()},
                      "backbone.masked_embed": torch.zeros(384),
                      "head.mlp.0.weight": torch.zeros(8, 384)}}  # fmt: skip
    torch.save(ck, tmp_path / "checkpoint_teacher.pth")
    _, report = create_model(
        "vit_small_patch16.ibot_in1k", checkpoint=str(tmp_path / "checkpoint_teacher.pth")
    )
    assert not report.missing and not report.unexpected
    assert {"backbone.masked_embed", "head.mlp.0.weight"} <= set(report.dropped)


def test_a_checkpoint_of_another_model_is_refused_with_the_report(tmp_path):
    state = _random_state("vit_base_patch16.mae_in1k")  # ViT-B weights onto a ViT-S card
    torch.save(state, tmp_path / "b.pth")
    with pytest.raises(CheckpointError, match="shape .* does not fit the backbone"):
        create_model("vit_small_patch14.dinov2_lvd142m", checkpoint=str(tmp_path / "b.pth"))


def test_download_progress_and_torch_hub_reuse(tmp_path, monkeypatch, capsys):
    src = tmp_path / "w.bin"
    src.write_bytes(b"x" * 3_000_000)
    out = download(src.as_uri(), tmp_path / "dl" / "w.bin")
    assert out.read_bytes() == src.read_bytes() and not list((tmp_path / "dl").glob("*.part"))
    assert "w.bin" in capsys.readouterr().err  # the tqdm bar
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    monkeypatch.setenv("UNIBENCH_CACHE", str(tmp_path / "ub"))
    cfg = get_cfg("resnet50.tv_in1k")
    shared = torch_hub_path(cfg.url)
    shared.parent.mkdir(parents=True)
    shared.write_bytes(b"not the right weights")
    with pytest.raises(CheckpointError, match="does not match"):  # a wrong file is never used
        fetch(cfg.name, cfg.url, None, cfg.sha256)
    from unibench.io import sha256_of

    assert fetch(cfg.name, cfg.url, None, sha256_of(shared)) == shared


def test_models_list_source_column_counts_and_family_globs(capsys):
    from unibench.app.cli import main

    assert main(["models", "list", "mae"]) == 0
    out = capsys.readouterr().out
    assert "\n1 model " in out and "vit_base_patch16.mae_in1k" in out and " zoo " in out
    dino = list_models("dino*")
    assert "vit_small_patch16.dino_in1k" in dino and "vit_base_patch14_reg4.dinov2_lvd142m" in dino
    assert "resnet50.mocov2_in1k" not in dino
    assert main(["models", "list", "timm:*resnet18.a1*", "--source", "timm"]) == 0
    out = capsys.readouterr().out
    assert "timm:resnet18.a1_in1k" in out and "\n1 model " in out
    assert set(np.unique([get_cfg(n).source for n in list_models()])) == {"zoo"}


def test_card_top1_equals_the_shipped_reference_csv():
    """Every card's linear-probe figure is the shipped CSV's row of its reference name, and every
    row added after the UniTrack study names its source."""
    from unibench.reports.published import _csv

    rows = {r["model"]: r for r in _csv("imagenet_linear_probe.csv")}
    checked = 0
    for n in list_models():
        c = get_cfg(n)
        if c.imagenet_linear_top1 is not None and c.reference_name in rows:
            assert float(rows[c.reference_name]["imagenet_linear_top1"]) == c.imagenet_linear_top1
            checked += 1
    assert checked >= 20
    assert all(r["source"] for r in rows.values())
    for name in ("DINOv2 ViT-S/14", "MAE ViT-B/16", "iBOT ViT-S/16", "CLIP ViT-B/16 (openai)"):
        assert name in rows


def test_unreachable_hub_fails_at_once_without_the_offline_variable(monkeypatch):
    """Without UNIBENCH_OFFLINE a missing timm file used to wait out huggingface_hub's retries
    (110-125 s); now an unreachable host is a clear error suggesting UNIBENCH_OFFLINE=1, and no
    download is attempted."""
    from unibench.appearance_models import timm_adapter as ta

    from unibench.errors import CheckpointError

    monkeypatch.delenv("UNIBENCH_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    asked = []
    monkeypatch.setattr(ta, "_reachable", lambda host, timeout=4.0: asked.append(host) or False)
    with pytest.raises(CheckpointError, match="cannot be reached .* UNIBENCH_OFFLINE=1"):
        ta.obtain(
            "timm:x.y", "timm/x.y", "x.y", "https://example.org/w.pth", ("model.safetensors",)
        )
    assert asked == ["huggingface.co", "example.org"]


def test_hf_hub_repo_without_a_timm_config_says_so(monkeypatch):
    from unibench.appearance_models import timm_adapter as ta

    snap = ta.hf_cache_dir() / "models--someone--notimm" / "snapshots" / "abc"
    snap.mkdir(parents=True)
    (snap / "pytorch_model.bin").write_bytes(b"x")
    msg = ta._no_timm_config("someone/notimm")
    assert "no timm config.json" in msg and "pytorch_model.bin" in msg
    assert ta._no_timm_config("someone/absent") == ""


def test_untagged_timm_rows_are_labelled_random_init():
    from unibench.appearance_models import describe_model

    assert describe_model("timm:resnet18")["key"] == "timm:resnet18 random init"
    assert describe_model("resnet18")["key"] == "resnet18 Random Init."
