"""Nothing stale: the run identity holds the weights' content, the card's feature-changing fields
and the behaviour versions of head, features and scorer; the report shows the newest version of a
cell and says how many older ones it left out."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from unibench.appearance_models import build_random, get_cfg

from unibench.app.pipeline import WorkerCache, plan, resolve_config
from unibench.store import ResultStore

RUN = ["run", "--task", "vos", "--sequences", "synth-00", "--no-progress", "head.input_height=48"]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "unibench.app.cli", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=900,
    )


def _card(path, weights: str, mean=(0.485, 0.456, 0.406)) -> None:
    path.write_text(
        f"name: resnet18.stale_test\narch: resnet18\nfile: {weights}\nlayout: moco\n"
        f"mean: [{', '.join(map(str, mean))}]\nfamily: image-level SSL\n"
    )


def _weights(path, seed: int) -> None:
    torch.manual_seed(seed)
    sd = build_random(get_cfg("resnet18")).state_dict()
    sd = {
        k: (v + 0.05 * torch.randn_like(v)) if v.is_floating_point() else v for k, v in sd.items()
    }
    torch.save({"module.encoder_q." + k: v for k, v in sd.items()}, path)


@pytest.mark.slow  # 4 fresh processes; by default: a module's new weights are a new record
# (tests/unibench/app/test_api.py), behaviour versions and card fields in the plan's identity (below)
def test_new_weights_or_an_edited_card_are_never_served_from_the_store(tmp_path):
    """The case of the issue: a card with ``file: r18_moco.pth.tar``, new weights written to that
    file, the rerun said "already stored". Now the weights' sha256 and the card are part of the
    identity: each change is recomputed, an unchanged rerun is reused."""
    card, w, out = tmp_path / "card.yaml", tmp_path / "r18_moco.pth.tar", tmp_path / "out"
    _weights(w, 0)
    _card(card, w.name)
    args = [*RUN, "--model-card", str(card), "--model", "resnet18.stale_test", "--output", str(out)]
    first = _cli(*args)
    assert first.returncode == 0, first.stderr
    assert "1 sequences computed, 0 reused" in first.stdout
    # (an unchanged rerun is reused: test_a_behaviour_version_bump_recomputes_end_to_end)
    _weights(w, 1)  # new weights under the same name
    second = _cli(*args)
    assert "1 sequences computed, 0 reused" in second.stdout, second.stdout
    _card(card, w.name, mean=(0.5, 0.5, 0.5))  # the card edited, the weights as they were
    third = _cli(*args)
    assert "1 sequences computed, 0 reused" in third.stdout, third.stdout
    recs = ResultStore(out).records()
    assert len({r.run_id for r in recs}) == 3
    assert recs[0].weights != recs[1].weights == recs[2].weights
    assert recs[0].weights.startswith("r18_moco.pth.tar@")
    assert recs[1].card["mean"] != recs[2].card["mean"]
    assert recs[0].behaviour == {"head": 1, "features": "1.1", "scorer": 1}
    config = next(iter(sorted(out.rglob("config.yaml")))).read_text()
    assert "behaviour:" in config and "weights: r18_moco.pth.tar@" in config
    latest, older = ResultStore(out).latest_and_superseded()
    assert len(latest) == 1 and older == 2
    assert next(iter(latest.values())).run_id == recs[2].run_id
    rep = _cli("report", "--store", str(out), "--no-published")
    assert rep.returncode == 0, rep.stderr
    assert "2 older version(s) of the reported cells left out" in rep.stdout


def _plan_id() -> str:
    layer = {"task": "vos", "model": {"name": "pixels"}, "benchmark": {"sequences": ["synth-00"]}}
    return plan(resolve_config(layer), WorkerCache())[0]


def test_behaviour_versions_are_part_of_the_identity(monkeypatch):
    from unibench.appearance_models import FeatureExtractor
    from unibench.appearance_models.pixels import PixelLab
    from unibench.benchmarks.davis import Davis
    from unibench.heads import HEADS

    base = _plan_id()
    assert _plan_id() == base
    seen = {base}
    for obj, attr in ((HEADS.get("propagation"), "version"), (FeatureExtractor, "version"),
                      (PixelLab, "version"), (Davis, "scorer_version")):  # fmt: skip
        with monkeypatch.context() as m:
            m.setattr(obj, attr, 99, raising=False)
            new = _plan_id()
        assert new not in seen, (obj, attr)
        seen.add(new)
    assert _plan_id() == base


def test_records_without_the_new_fields_still_read(tmp_path):
    """Records written before the identity fields (no weights/card/behaviour) load with defaults."""
    from unibench.datatypes import SCHEMA_VERSION, ResultRecord

    old = {
        "run_id": "abc", "task": "vos", "model": "pixels", "tap": "lab", "head": "propagation",
        "head_params": {}, "benchmark": "synthetic-davis", "split": "val", "metrics": {"J&F": 0.9},
        "per_sequence": [], "timing": {}, "git_sha": "", "environment": {}, "created": "x",
        "schema_version": SCHEMA_VERSION,
    }  # fmt: skip
    r = ResultRecord.from_dict(json.loads(json.dumps(old)))
    assert r.weights is None and r.card == {} and r.behaviour == {}


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("UNIBENCH_OUTPUT", str(tmp_path / "default-out"))


def test_a_behaviour_version_bump_recomputes_end_to_end(tmp_path, capsys, monkeypatch):
    """A fix to a head with no parameter change (its version bumped) is not served from the
    store; the report then shows the new version and leaves the old one out."""
    from unibench.heads import HEADS

    from unibench.app.cli import main

    args = ["run", "--model", "pixels", "--task", "vos", "--sequences", "synth-00",
            "--output", str(tmp_path), "--no-progress"]  # fmt: skip
    assert main(args) == 0
    assert "1 sequences computed, 0 reused" in capsys.readouterr().out
    assert main(args) == 0
    assert "0 sequences computed, 1 reused" in capsys.readouterr().out
    monkeypatch.setattr(HEADS.get("propagation"), "version", 2)
    assert main(args) == 0
    assert "1 sequences computed, 0 reused" in capsys.readouterr().out
    latest, older = ResultStore(tmp_path).latest_and_superseded()
    assert older == 1 and next(iter(latest.values())).behaviour["head"] == 2
