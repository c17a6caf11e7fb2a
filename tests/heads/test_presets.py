"""Presets as data, one file per head, checked at registration; cards that name them.

Every head's presets live in ``heads/<head>_presets.yaml`` with the reference file:line of every value
(or ``unibench: <reason>`` for UniBench's own choices); :func:`load_presets` and :func:`check_head`
refuse a malformed file or head where it is declared. A model card names its protocol per task
(``protocol: {vos: dino}``) and a card naming an unknown preset is refused where its protocol meets
the heads: when a cell of it is resolved (``unibench.app.pipeline.resolve.check_protocol``, every task
of the protocol at once).
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import pytest
from unibench.appearance_models import MODELS, get_cfg
from unibench.heads import HEADS
from unibench.heads.base import (
    Head,
    Preset,
    check_head,
    check_reference,
    load_presets,
    preset_file,
)

from unibench.app.pipeline.resolve import check_protocol, resolve_config
from unibench.errors import ConfigError, RegistryError
from unibench.registry import Registry
from unibench.tasks import TASKS

HEADS_DIR = Path(__file__).resolve().parents[2] / "heads"
PRESET_FILES = sorted(HEADS_DIR.glob("*_presets.yaml"))


@pytest.mark.parametrize("name", MODELS.names())
def test_a_card_names_only_presets_its_heads_have(name):
    card = MODELS.get(name)
    for task, preset in card.protocol.items():
        assert preset in HEADS.get(TASKS.get(task).default_head).presets, f"{name}: {task}"


def test_dino_cards_name_the_dino_protocol():
    assert get_cfg("vit_small_patch16.dino_in1k").protocol == {"vos": "dino"}
    assert get_cfg("resnet18.tv_in1k").protocol == {}  # UniTrack's protocol: the head's default


def test_a_card_naming_an_unknown_preset_is_refused_where_it_meets_the_heads(monkeypatch):
    monkeypatch.setattr(MODELS, "_objs", dict(MODELS._objs))  # this test's registrations only
    card = replace(
        MODELS.get("pixels"), name="pixels.typo", protocol={"sot": "unitrack", "vos": "dnio"}
    )
    MODELS.register(card.name, card)  # the model layer knows nothing of heads: it registers
    # resolving any task of the card checks its whole protocol (here: a SOT cell fails on VOS's typo)
    for task in ("vos", "sot"):
        with pytest.raises(
            ConfigError, match=r"protocol vos: 'dnio' is not a preset of head 'propagation'"
        ):
            resolve_config({"model": {"name": "pixels.typo"}, "task": task})
    with pytest.raises(RegistryError, match="unknown task 'vso'"):
        check_protocol(replace(card, protocol={"vso": "dino"}))
    check_protocol(replace(card, protocol={"vos": "vfs"}))  # a known preset passes


def test_a_card_file_naming_an_unknown_preset_fails_naming_the_file(tmp_path, monkeypatch):
    from unibench.appearance_models import load_card_file

    monkeypatch.setattr(MODELS, "_objs", dict(MODELS._objs))
    f = tmp_path / "mine.yaml"
    f.write_text("name: pixels.mine\narch: pixels\nprotocol: {vos: dinno}\n")
    load_card_file(f)
    with pytest.raises(ConfigError, match=r"card file .*mine.yaml.*'dinno' is not a preset"):
        resolve_config({"model": {"name": "pixels.mine"}, "task": "vos"})


@pytest.mark.parametrize("path", PRESET_FILES, ids=lambda p: p.name)
def test_every_preset_value_has_a_well_formed_reference(path):
    head = HEADS.get(path.name.removesuffix("_presets.yaml"))
    assert preset_file(head.__module__.replace(".", "/") + ".py", path.stem[:-8]).name == path.name
    tables = load_presets(path, head.Params)
    assert set(tables.presets) == set(head.presets) and set(tables.task_defaults) == set(
        head.task_defaults
    )
    for preset in [*tables.presets.values(), *tables.task_defaults.values()]:
        assert set(preset.values) == set(preset.refs)
        for ref in preset.refs.values():
            check_reference(ref, tables.references, str(path))  # raises on a malformed one
        head.Params(**{**head.defaults_for(head.serves()[0]), **preset.values})


@pytest.mark.parametrize("head", HEADS.names())
def test_every_preset_sets_declared_parameters_only(head):
    cls = HEADS.get(head)
    fields = {f.name for f in dataclasses.fields(cls.Params)}
    for name, preset in cls.presets.items():
        assert set(preset.values) <= fields, f"{head} preset {name}"
        assert preset.values.get("preset", name) == name


def _preset_yaml(tmp_path, body: str) -> Path:
    f = tmp_path / "demo_presets.yaml"
    f.write_text("references:\n  ref: owner/name@0123abc\npresets:\n" + body)
    return f


@dataclass
class _Params:
    preset: Literal["a", "b"] = "a"
    k: int = 1
    size: tuple[int, int] = (1, 2)

    def __post_init__(self) -> None:
        if self.k < 0:
            raise ValueError("k must be >= 0")


def test_a_preset_file_is_checked_value_by_value(tmp_path):
    ok = load_presets(
        _preset_yaml(
            tmp_path, '  a:\n    k: [3, "ref:src/x.py:12"]\n    size: [[4, 5], "unibench: why"]\n'
        ),
        _Params,
    )
    assert dict(ok.presets["a"].values) == {"preset": "a", "k": 3, "size": (4, 5)}  # typed
    assert ok.presets["a"].refs["k"] == "ref:src/x.py:12"
    bad = {
        '  a:\n    kk: [3, "ref:x.py:1"]\n': r"presets.a: unknown parameter 'kk'",
        "  a:\n    k: 3\n": r"presets.a.k must be \[value, reference\]",
        '  a:\n    k: [3, "other:x.py:1"]\n': r"reference 'other:x.py:1' is neither",
        '  a:\n    k: [3, "ref:x.py"]\n': r"reference 'ref:x.py' is neither",
        '  a:\n    k: [3, "unibench: "]\n': r"needs the reason",
        '  a:\n    k: [three, "ref:x.py:1"]\n': r"k='three' must be an integer",
        '  c:\n    k: [3, "ref:x.py:1"]\n': r"preset='c' must be one of",
    }
    for body, message in bad.items():
        with pytest.raises(ConfigError, match=rf"demo_presets.yaml: .*{message}"):
            load_presets(_preset_yaml(tmp_path, body), _Params)


def test_a_head_is_checked_when_it_is_registered(tmp_path):
    reg: Registry = Registry("head", validate=check_head)
    body = '  a:\n    k: [3, "ref:x.py:1"]\n  b:\n    k: [4, "unibench: a second preset"]\n'
    tables = load_presets(_preset_yaml(tmp_path, body), _Params)

    class Demo(Head):
        task = "vos"
        Params = _Params
        presets = tables.presets

        def track(self, seq, extractor):
            yield from ()

    reg.register("demo", Demo)  # a well-formed head registers
    with pytest.raises(RegistryError, match="a subclass of unibench.heads.base.Head"):
        reg.register("plain", type("Plain", (), {"task": "vos", "Params": _Params}))
    broken = {
        "an unknown parameter": (
            {"presets": {**tables.presets, "a": Preset("a", {"kk": 1}, {"kk": "ref:x.py:1"})}},
            r"preset 'a' sets unknown \['kk'\]",
        ),
        "a value without its source": (
            {"presets": {**tables.presets, "a": Preset("a", {"k": 1}, {})}},
            r"preset 'a': no reference for \['k'\]",
        ),
        "an invalid value": (
            {"presets": {**tables.presets, "a": Preset("a", {"k": -1}, {"k": "ref:x.py:1"})}},
            r"preset 'a' is invalid: k must be >= 0",
        ),
        "a preset its Params cannot name": (
            {"presets": {**tables.presets, "z": Preset("z", {"k": 1}, {"k": "ref:x.py:1"})}},
            r"Params.preset admits \['a', 'b'\] but the presets are \['a', 'b', 'z'\]",
        ),
        "defaults for a task it does not serve": (
            {"task_defaults": {"mot": Preset("mot", {}, {})}},
            r"task_defaults for tasks it does not serve: \['mot'\]",
        ),
        "an unknown task": ({"task": "vso"}, r"unknown task 'vso'"),
    }
    for what, (attrs, message) in broken.items():
        cls = type(f"Broken{len(what)}", (Demo,), attrs)
        with pytest.raises(RegistryError, match=message):
            reg.register(what, cls)
        assert what not in reg


# --------------------------------------------------------------- the references point at real lines
# Set UNIBENCH_REFERENCE_MIRRORS to a folder of git clones named owner+name/ (or owner+name/repo/) to
# check that every cited file exists at the cited commit and has the cited lines; skipped otherwise
# (CI has no network). Run here against the mirrors the presets were read from.
MIRRORS = os.environ.get("UNIBENCH_REFERENCE_MIRRORS")


@pytest.mark.skipif(not MIRRORS, reason="UNIBENCH_REFERENCE_MIRRORS not set")
@pytest.mark.parametrize("path", PRESET_FILES, ids=lambda p: p.name)
def test_every_reference_exists_in_its_repository(path):
    head = HEADS.get(path.name.removesuffix("_presets.yaml"))
    tables = load_presets(path, head.Params)
    checked = 0
    for preset in [*tables.presets.values(), *tables.task_defaults.values()]:
        for key, ref in preset.refs.items():
            m = re.match(r"^([\w-]+):([^\s:]+):(\d+)(?:-(\d+))?$", ref)
            if m is None:
                continue
            repo, commit = tables.references[m[1]].split("@")
            base = Path(MIRRORS) / repo.replace("/", "+")
            git_dir = base / "repo" if (base / "repo").exists() else base
            text = subprocess.run(
                ["git", "-C", str(git_dir), "show", f"{commit}:{m[2]}"],
                capture_output=True, text=True, check=True,
            ).stdout.splitlines()  # fmt: skip
            first, last = int(m[3]), int(m[4] or m[3])
            assert 1 <= first <= last <= len(text), f"{path.name} {preset.name}.{key}: {ref}"
            assert any(line.strip() for line in text[first - 1 : last]), ref
            checked += 1
    assert checked > 0
