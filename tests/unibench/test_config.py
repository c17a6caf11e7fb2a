from dataclasses import replace

import pytest

from unibench import config as C
from unibench.app import pipeline
from unibench.errors import ConfigError


def test_unknown_key_rejected_with_layer_and_options(tmp_path):
    with pytest.raises(ConfigError, match=r"CLI override: unknown key 'head.topkk'.*head.topk"):
        pipeline.resolve_config({"model": {"name": "pixels"}}, None, ["head.topkk=3"])
    y = tmp_path / "c.yaml"
    y.write_text("model:\n  name: pixels\n  colour: red\n")
    with pytest.raises(ConfigError, match=r"c.yaml: unknown key 'model.colour'"):
        pipeline.resolve_config({}, y, [])


def test_type_errors():
    with pytest.raises(ConfigError, match=r"head.topk='many' must be an integer"):
        pipeline.resolve_config({"model": {"name": "pixels"}}, None, ["head.topk=many"])
    with pytest.raises(ConfigError, match=r"must be one of"):
        pipeline.resolve_config(
            {"model": {"name": "pixels"}}, None, ["head.label_downsample=cubic"]
        )
    with pytest.raises(ConfigError, match="key=value"):
        C.parse_override("head.topk")


def test_precedence_model_benchmark_yaml_cli(tmp_path, monkeypatch):
    from unibench.appearance_models import MODELS
    from unibench.benchmarks import BENCHMARKS
    from unibench.benchmarks.base import BenchmarkSpec

    card = MODELS.get("pixels")
    monkeypatch.setitem(
        MODELS._objs,
        "pixels",
        replace(card, protocol={"vos": "dino"}),  # topk 5, temperature 0.1, n_recent 7, radius 12
    )
    spec = BENCHMARKS.get("synthetic-davis")
    tuned = type(
        "TunedDavis",
        (spec.adapter,),
        {"head_defaults": {"vos": {"temperature": 0.3, "n_recent": 3, "radius": 5.0}}},
    )
    monkeypatch.setitem(BENCHMARKS._objs, "synthetic-davis", BenchmarkSpec(spec.factory, tuned))
    y = tmp_path / "c.yaml"
    y.write_text("head:\n  n_recent: 4\n  radius: 6.0\n")
    r = pipeline.resolve_config({"model": {"name": "pixels"}}, y, ["head.radius=7"])
    p = r.head_params
    assert (p.topk, p.temperature, p.n_recent, p.radius) == (5, 0.3, 4, 7.0)
    assert r.provenance["head.params.topk"] == "model card pixels: preset dino"
    assert r.provenance["head.params.temperature"] == "benchmark defaults synthetic-davis"
    assert r.provenance["head.params.n_recent"] == str(y)
    assert r.provenance["head.params.radius"] == "CLI override"


def test_preset_then_user_values():
    r = pipeline.resolve_config(
        {"model": {"name": "pixels"}}, None, ["head.preset=dino", "head.topk=7"]
    )
    assert r.head_params.temperature == 0.1 and r.head_params.topk == 7
    assert r.head_params.radius_shape == "square" and r.head_params.restrict_first
    with pytest.raises(ConfigError, match="no preset"):
        pipeline.resolve_config({"model": {"name": "pixels"}}, None, ["head.preset=nope"])


def test_override_values_parsed_safely():
    assert C.parse_override("a.b=3") == (["a", "b"], 3)
    assert C.parse_override("a=null") == (["a"], None)
    assert C.parse_override("a=[x, y]") == (["a"], ["x", "y"])


def test_unsafe_yaml_tag_is_an_error():
    with pytest.raises(ConfigError, match="cannot parse"):
        C.parse_override("a=!!python/object/apply:os.system ['ls']")
