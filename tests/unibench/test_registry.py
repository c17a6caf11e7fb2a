import pytest

from unibench.errors import RegistryError
from unibench.registry import Registry


def test_duplicate_names_both_places():
    r = Registry("widget")
    r.register("a", 1)
    with pytest.raises(RegistryError) as e:
        r.register("a", 2)
    msg = str(e.value)
    assert "registered twice" in msg and msg.count("test_registry.py:") == 2


def test_decorator_and_unknown_lists_options():
    r = Registry("widget")

    @r.register("alpha")
    def alpha():
        return 1

    r.register("beta", 2)
    assert r.get("alpha") is alpha and r.names() == ["alpha", "beta"]
    with pytest.raises(
        RegistryError, match=r"unknown widget 'alpah'\. Did you mean alpha\?.*alpha, beta"
    ):
        r.get("alpah")


def test_project_registries_reject_unknown_names():
    from unibench.appearance_models import MODELS
    from unibench.benchmarks import BENCHMARKS
    from unibench.heads import HEADS

    for reg, known in ((MODELS, "pixels"), (HEADS, "propagation"), (BENCHMARKS, "davis2017")):
        assert known in reg.names()
        with pytest.raises(RegistryError, match=known):
            reg.get("no-such-thing")


def test_plugins_loaded_from_entry_points(monkeypatch):
    import importlib.metadata as md

    from unibench import registry as R

    calls = []

    class EP:
        name, value = "demo", "demo:register"

        def load(self):
            return lambda: calls.append("registered")

    monkeypatch.setattr(md, "entry_points", lambda group: [EP()] if group == R.PLUGIN_GROUP else [])
    r = Registry("widget")
    r.names()
    assert calls == ["registered"]

    class Broken(EP):
        def load(self):
            raise ImportError("boom")

    monkeypatch.setattr(md, "entry_points", lambda group: [Broken()])
    with pytest.raises(RegistryError, match="plugin entry point 'demo'.*boom"):
        Registry("widget").get("x")
