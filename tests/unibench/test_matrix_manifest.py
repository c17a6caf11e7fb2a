"""The embedded matrix's outputs, pinned: refactors keep the numbers.

``tests/golden/matrix_manifest.json`` holds, for every cell of the embedded matrix (``pixels`` and a
random-init ResNet-18 at ``layer3`` on vos, sot with each head, mot, mots, posetrack, poseprop, vis
and the YouTube-VOS suite), the sha256 of every prediction file and the full-precision summary of
its ``metrics.json``. The cells run through the command line (``unibench run``), the one path that
survives any internal reorganisation, so a structural change shows here as a changed hash or figure.

An intended change of behaviour is its own commit: regenerate with
``UNIBENCH_UPDATE_GOLDEN=1 pytest tests/unibench/test_matrix_manifest.py -m ""`` and state the
reason in that commit. The ``pixels`` cells run in the default test run; the ResNet-18 cells (about
three minutes on two cores) carry the ``slow`` marker.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path

import pytest

# the hashes hold at a fixed thread count (tests/conftest.py: GOLDEN_THREADS)
pytestmark = pytest.mark.usefixtures("golden_threads")
MANIFEST = Path(__file__).parents[1] / "golden" / "matrix_manifest.json"
UPDATE = os.environ.get("UNIBENCH_UPDATE_GOLDEN") == "1"

# (task, head or None for the task's default, benchmark or None for the task's embedded suite)
TASK_CELLS = [
    ("vos", None, None),
    ("vos", None, "synthetic-youtubevos"),
    ("sot", "xcorr", None),
    ("sot", "dcf", None),
    ("sot", "ridge", None),
    ("sot", "mask-box", None),
    ("mot", None, None),
    ("mots", None, None),
    ("posetrack", None, None),
    ("poseprop", None, None),
    ("vis", None, None),
]
MODELS = [("pixels", None), ("resnet18", "layer3")]


def _key(model, tap, task, head, bench) -> str:
    return "/".join([model, tap or "default", task, head or "default", bench or "embedded"])


CELLS = [(m, t, *c) for m, t in MODELS for c in TASK_CELLS]


def _params():
    for cell in CELLS:
        marks = [pytest.mark.slow] if cell[0] != "pixels" else []
        yield pytest.param(*cell, id=_key(*cell), marks=marks)


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)  # NaN/inf kept distinguishable in JSON
    return v


def _run_cell(tmp: Path, model, tap, task, head, bench) -> dict:
    from unibench.cli import main

    out = tmp / "store"
    argv = ["run", "--model", model, "--task", task, "--output", str(out), "--no-progress"]
    if tap:
        argv += ["--tap", tap]
    if head:
        argv += ["--head", head]
    if bench:
        argv += ["--benchmark", bench]
    assert main(argv) == 0
    (metrics,) = list((out / "runs").rglob("metrics.json"))
    run_dir = metrics.parent
    files = {}
    for p in sorted((run_dir / "predictions").rglob("*")):
        # per-frame timings (GOT-10k's <seq>_time.txt) are measurements, not behaviour
        if p.is_file() and not p.name.endswith("_time.txt"):
            files[str(p.relative_to(run_dir / "predictions"))] = hashlib.sha256(
                p.read_bytes()
            ).hexdigest()
    summary = json.loads(metrics.read_text())["summary"]
    return {"predictions": files, "summary": {k: _clean(v) for k, v in sorted(summary.items())}}


@pytest.fixture(scope="module")
def manifest():
    m = json.loads(MANIFEST.read_text()) if MANIFEST.is_file() else {}
    yield m
    if UPDATE:
        MANIFEST.write_text(json.dumps(m, indent=1, sort_keys=True) + "\n")


@pytest.mark.parametrize("model,tap,task,head,bench", list(_params()))
def test_embedded_matrix_outputs_are_unchanged(
    tmp_path, monkeypatch, manifest, model, tap, task, head, bench
):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    now = _run_cell(tmp_path, model, tap, task, head, bench)
    key = _key(model, tap, task, head, bench)
    if UPDATE:
        manifest[key] = now
        return
    assert key in manifest, f"no manifest entry for {key}: regenerate (see the module docstring)"
    was = manifest[key]
    assert now["predictions"].keys() == was["predictions"].keys(), f"{key}: prediction files"
    changed = [f for f, h in was["predictions"].items() if now["predictions"][f] != h]
    assert not changed, f"{key}: {len(changed)} prediction file(s) changed, first {changed[:3]}"
    assert now["summary"].keys() == was["summary"].keys(), f"{key}: summary fields"
    for k, v in was["summary"].items():
        w = now["summary"][k]
        # exact: full precision, and a count stored as an integer must stay one
        assert w == v and type(w) is type(v), f"{key}: {k} was {v!r}, now {w!r}"
