"""The zoo: every family's authors' key layout loads fully; detection; cards; offline fetch."""

import pytest
import torch
from unibench.appearance_models import (
    MODELS,
    build_random,
    create_model,
    get_cfg,
    load_card_file,
)
from unibench.appearance_models._key_layouts import CONVERSIONS, LAYOUTS, detect
from unibench.appearance_models._weights import cached_path, fetch, sha256_of

from unibench.errors import CheckpointError, ConfigError

TABLES_1_2 = [
    "resnet50",
    "resnet50.tv_in1k",
    "resnet50.insdis_in1k",
    "resnet50.mocov1_in1k",
    "resnet50.pclv1_in1k",
    "resnet50.pirl_in1k",
    "resnet50.pclv2_in1k",
    "resnet50.simclrv1_in1k",
    "resnet50.mocov2_in1k",
    "resnet50.simclrv2_in1k",
    "resnet50.selav2_in1k",
    "resnet50.infomin_in1k",
    "resnet50.barlowtwins_in1k",
    "resnet50.byol_in1k",
    "resnet50.deepclusterv2_in1k",
    "resnet50.swav_in1k",
    "resnet50.vfs_kinetics",
    "resnet50.pixpro_in1k",
    "resnet50.detco_in1k",
    "resnet50.timecycle_vlog",
    "resnet18",
    "resnet18.tv_in1k",
    "resnet18.colorization_kinetics",
    "resnet18.uvc_kinetics",
    "resnet18.crw_kinetics",
]


def test_zoo_holds_tables_1_2_and_additions():
    names = MODELS.names()
    assert set(TABLES_1_2) <= set(names)
    for extra in (
        "vit_small_patch16.dino_in1k",
        "vit_base_patch8.dino_in1k",
        "resnet50.unicorn_track",
    ):
        assert extra in names
    for n in TABLES_1_2:
        c = get_cfg(n)
        assert c.reference_name, n  # links to the published rows
        assert c.layout in LAYOUTS


def _authors_layout(card: str, tmp_path) -> tuple[dict, list[str]]:
    """A checkpoint in the authors' exact layout; returns it and the keys that must be dropped."""
    cfg = get_cfg(card)
    sd = dict(build_random(cfg).state_dict())
    lay = cfg.layout
    junk: dict = {}
    if lay == "plain":
        state = {**sd, "fc.weight": torch.zeros(1000, 8), "fc.bias": torch.zeros(1000)}
        junk = {"fc.weight", "fc.bias"}
        return {"state_dict": state} if "simclr" in card else state, sorted(junk)
    if lay == "module":  # SwAV / DeepCluster-v2 / SeLa-v2
        state = {"module." + k: v for k, v in sd.items()}
        extra = {
            "module.projection_head.0.weight": torch.zeros(2, 2),
            "module.prototypes.weight": torch.zeros(3000, 128),
        }
        return {**state, **extra}, sorted(extra)
    if lay == "moco":
        state = {"module.encoder_q." + k: v for k, v in sd.items()}
        extra = {
            "module.encoder_q.fc.0.weight": torch.zeros(2, 2),
            "module.encoder_q.fc.2.weight": torch.zeros(2, 2),
            "module.encoder_k.conv1.weight": torch.zeros(64, 3, 7, 7),
            "module.queue": torch.zeros(128, 4),
            "module.queue_ptr": torch.zeros(1),
        }
        return {"state_dict": {**state, **extra}, "epoch": 200, "arch": "resnet50"}, sorted(extra)
    if lay == "module-encoder":  # PyContrast (head, jigsaw) or PixPro (encoder_k, projector)
        state = {"module.encoder." + k: v for k, v in sd.items()}
        extra = (
            {
                "module.head.fc.weight": torch.zeros(2, 2),
                "module.jigsaw_head.fc.weight": torch.zeros(2, 2),
            }
            if "pixpro" not in card
            else {
                "module.encoder_k.conv1.weight": torch.zeros(1),
                "module.projector.0.weight": torch.zeros(1),
                "module.predictor.0.weight": torch.zeros(1),
            }
        )
        return {"model": {**state, **extra}}, sorted(extra)
    if lay == "byol-torch":
        state = {"online_network.encoder." + k: v for k, v in sd.items()}
        extra = {
            "online_network.projector.net.0.weight": torch.zeros(2),
            "target_network.encoder.conv1.weight": torch.zeros(1),
        }
        return {**state, **extra}, sorted(extra)
    if lay == "mmaction":
        state = {"backbone." + k: v for k, v in sd.items()}
        extra = {"cls_head.fc_cls.weight": torch.zeros(2)}
        return {"state_dict": {**state, **extra}, "meta": {"epoch": 100}}, sorted(extra)
    if lay == "crw":
        state = {}
        for k, v in sd.items():
            parts = k.split(".")
            if v.dim() == 4 and v.shape[-1] > 1:  # padded conv → Sequential(pad, conv)
                k = ".".join(parts[:-1] + ["1", parts[-1]])
            state["encoder.model." + k] = v
        extra = {"selfsim_fc.0.weight": torch.zeros(2)}
        return {"model": {**state, **extra}, "args": None}, sorted(extra)
    if lay == "uvc":
        state = {"module.gray_encoder." + k: v for k, v in sd.items()}
        extra = {"module.rgb_encoder.conv1.weight": torch.zeros(1)}
        return {"state_dict": {**state, **extra}}, sorted(extra)
    if lay == "timecycle":
        state = {
            "module.encoderVideo." + k: (v.unsqueeze(2) if v.dim() == 4 else v)
            for k, v in sd.items()
        }
        extra = {"module.afterconv1.weight": torch.zeros(1)}
        return {"state_dict": {**state, **extra}}, sorted(extra)
    if lay == "model":
        state = {"model." + k: v for k, v in sd.items()}
        extra = {"model_head.weight": torch.zeros(1)}
        return {**state, **extra}, sorted(extra)
    if lay == "dino":
        return sd, []
    if lay == "unicorn":
        state = {"backbone.backbone." + k: v for k, v in sd.items()}
        extra = {"backbone.neck.lateral.weight": torch.zeros(1), "head.cls.weight": torch.zeros(1)}
        return {"model": {**state, **extra}}, sorted(extra)
    raise AssertionError(lay)


TIMM_BUILT = ("timm", *CONVERSIONS)  # timm's own names, or a key conversion onto them
FAMILIES = sorted(
    {
        n
        for n in MODELS.names()
        if "." in n and not n.startswith("pixels") and get_cfg(n).layout not in TIMM_BUILT
    },  # timm-built cards: test_timm_models.py; with real released files: test_trained_weights.py
    key=lambda n: (get_cfg(n).layout, n),  # one order in every process (pytest-xdist)
)


@pytest.mark.parametrize("card", FAMILIES)
def test_authors_layout_loads_completely(card, tmp_path):
    ckpt, dropped = _authors_layout(card, tmp_path)
    p = tmp_path / "ck.pth"
    torch.save(ckpt, p)
    ex, report = create_model(card, checkpoint=str(p))
    assert report.missing == [] and report.unexpected == []
    assert set(dropped) <= set(report.dropped)
    assert report.layout  # the detected layout is reported
    sd = build_random(get_cfg(card)).state_dict()
    k = next(k for k in sd if k.endswith("weight") and sd[k].dim() == 4)
    loaded = ex.model.state_dict()[k]
    assert torch.equal(loaded, sd[k])  # same seed: the fabricated weights are the built ones


def test_detect_reports_the_family_layout():
    model = build_random(get_cfg("resnet18"))
    sd = model.state_dict()
    for layout, prefix in (
        ("moco", "module.encoder_q."),
        ("mmaction", "backbone."),
        ("uvc", "module.gray_encoder."),
        ("module-encoder", "module.encoder."),  # PyContrast and PixPro share it
    ):
        found, hits = detect({prefix + k: v for k, v in sd.items()}, model)
        assert found.name == layout and hits == len(sd)
    # every layout is reachable by detection: no two share all their prefixes
    from unibench.appearance_models._key_layouts import LAYOUTS

    prefix_sets = [frozenset(la.prefixes) for la in LAYOUTS.values()]
    assert len(set(prefix_sets)) == len(prefix_sets)


def test_card_weights_from_cache_and_sha(tmp_path, monkeypatch):
    monkeypatch.setenv("UNIBENCH_CACHE", str(tmp_path))
    cfg = get_cfg("resnet18.crw_kinetics")
    ckpt, _ = _authors_layout(cfg.name, tmp_path)
    path = cached_path(cfg.name, cfg.url, cfg.file)
    path.parent.mkdir(parents=True)
    torch.save(ckpt, path)
    ex, report = create_model(cfg.name)  # no network needed: the cache has it
    assert report.layout == "crw" and not report.missing
    assert fetch(cfg.name, cfg.url, None, sha256_of(path)[:8]) == path
    with pytest.raises(CheckpointError, match="does not match the expected"):
        fetch(cfg.name, cfg.url, None, "deadbeef")


def test_offline_fetch_names_url_and_cache_path(tmp_path, monkeypatch):
    monkeypatch.setenv("UNIBENCH_CACHE", str(tmp_path))
    import urllib.request

    def offline(*a, **k):
        raise urllib.error.URLError("network unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    cfg = get_cfg("resnet50.mocov2_in1k")
    with pytest.raises(CheckpointError) as e:
        create_model(cfg.name)
    msg = str(e.value)
    assert cfg.url in msg and str(tmp_path / "weights" / cfg.name) in msg
    assert not list((tmp_path / "weights").rglob("*.part"))


def test_trained_card_without_source_is_refused():
    with pytest.raises(CheckpointError, match="Refusing to run it untrained"):
        create_model("resnet50.insdis_in1k")


def test_yaml_and_toml_cards(tmp_path):
    sd = build_random(get_cfg("resnet18")).state_dict()
    torch.save({"module.encoder_q." + k: v for k, v in sd.items()}, tmp_path / "w.pth")
    (tmp_path / "mine.yaml").write_text(
        "name: resnet18.mine_yaml\narch: resnet18\nfile: w.pth\nlayout: moco\n"
        "family: image-level SSL\ntraining_data: ImageNet-1k\nimagenet_linear_top1: 50.0\n"
    )
    cfg = load_card_file(tmp_path / "mine.yaml")
    _, report = create_model(cfg.name)
    assert report.layout == "moco" and not report.missing
    (tmp_path / "t.toml").write_text(
        'name = "resnet18.mine_toml"\narch = "resnet18"\nfamily = "random"\n'
    )
    assert load_card_file(tmp_path / "t.toml").name == "resnet18.mine_toml"
    (tmp_path / "bad.yaml").write_text("name: x\narch: resnet18\ncolour: red\n")
    with pytest.raises(ConfigError, match="unknown key 'colour'"):
        load_card_file(tmp_path / "bad.yaml")


def test_vit_patch_tokens_map_and_stride():
    for name, stride, ch in (
        ("vit_small_patch16.dino_in1k", 16, 384),
        ("vit_base_patch8.dino_in1k", 8, 768),
    ):
        m = build_random(get_cfg(name))
        out = m(torch.rand(1, 3, 50, 70), ["last"])["last"]  # not a multiple of the patch
        assert out.shape == (1, ch, -(-50 // stride), -(-70 // stride))
        assert m.feature_info()["last"].stride == stride
        assert get_cfg(name).protocol["vos"] == "dino"  # DINO's protocol


def test_timm_generic_adapter():
    cfg = get_cfg("timm:resnet18")
    m = build_random(cfg)
    info = m.feature_info()
    assert any(i.stride == 8 for i in info.values())
    out = m(torch.rand(1, 3, 64, 64), [m.default_tap])[m.default_tap]
    assert out.shape[-1] == 64 // info[m.default_tap].stride
    from unibench.errors import UniBenchError

    with pytest.raises(UniBenchError, match="timm has no architecture"):
        get_cfg("timm:no_such_net")


def test_cli_checkpoint_run_reports_layout_and_stores_row(tmp_path, capsys):
    from unibench.app.cli import main
    from unibench.store import ResultStore

    sd = build_random(get_cfg("resnet18")).state_dict()
    ckpt = {
        "state_dict": {
            **{"module.encoder_q." + k: v for k, v in sd.items()},
            "module.encoder_k.conv1.weight": torch.zeros(1),
            "module.queue": torch.zeros(4, 4),
        },
        "epoch": 200,
    }
    torch.save(ckpt, tmp_path / "moco.pth.tar")
    out = tmp_path / "out"
    assert (
        main(
            [
                "run",
                "--model",
                "resnet18",
                "--checkpoint",
                str(tmp_path / "moco.pth.tar"),
                "--sequences",
                "synth-00",
                "--frames",
                "8",
                "--output",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    rec = ResultStore(out).records()[-1]
    assert rec.checkpoint.startswith("moco.pth.tar@") and "J&F-Mean" in rec.metrics
    report = next(out.rglob("checkpoint_report.txt")).read_text()
    assert "layout moco (prefix 'module.encoder_q.')" in report and "0 missing" in report
    assert "module.queue" in report  # dropped on purpose, and listed


def test_cli_models_commands(capsys):
    from unibench.app.cli import main

    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "resnet50.mocov2_in1k" in out and "vit_base_patch8.dino_in1k" in out
    assert main(["models", "list", "--family", "video"]) == 0
    out = capsys.readouterr().out
    assert "resnet18.crw_kinetics" in out and "mocov2" not in out
    assert main(["models", "show", "resnet50.mocov2_in1k"]) == 0
    out = capsys.readouterr().out
    assert "layout" in out and "module.encoder_q." in out and "71.1" in out
