"""The embedded matrix's outputs, pinned: refactors keep the numbers.

``tests/golden/matrix_manifest.json`` holds, for every cell of the embedded matrix (``pixels`` and a
random-init ResNet-18 at ``layer3`` on vos, sot with each head, mot, mots, posetrack, poseprop, vis
and the YouTube-VOS suite), the *content* of every prediction file (``tests/golden_content.py``:
masks as per-object RLE, boxes and keypoints as coordinates, ids and frames as written) and the
full-precision summary of its ``metrics.json``. The cells run through the command line
(``unibench run``), the one path that survives any internal reorganisation, so a structural change
shows here as content or a figure beyond the stated tolerances (docs/testing.md, "Golden checks"). The
checks run at thread counts other than the one the file was written at (``golden_threads``).

An intended change of behaviour is its own commit: regenerate with
``UNIBENCH_UPDATE_GOLDEN=1 pytest tests/unibench/test_matrix_manifest.py -m ""`` and state the
reason in that commit. The ``pixels`` cells run in the default test run; the ResNet-18 cells (about
three minutes on two cores) carry the ``slow`` marker.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from golden_content import UPDATE, check, clean_summary, digest_folder, written_at

MANIFEST = Path(__file__).parents[1] / "golden" / "matrix_manifest.json"

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


def _run_cell(tmp: Path, model, tap, task, head, bench) -> dict:
    from unibench.app.cli import main

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
    summary = json.loads(metrics.read_text())["summary"]
    return {
        "predictions": digest_folder(metrics.parent / "predictions"),
        "summary": clean_summary(summary),
    }


@pytest.fixture(scope="module")
def manifest():
    m = json.loads(MANIFEST.read_text()) if MANIFEST.is_file() else {}
    yield m
    if UPDATE:
        m["written_at"] = written_at()
        MANIFEST.write_text(json.dumps(m, indent=0, sort_keys=True) + "\n")


@pytest.mark.parametrize("model,tap,task,head,bench", list(_params()))
def test_embedded_matrix_outputs_are_unchanged(
    tmp_path, monkeypatch, manifest, golden_threads, model, tap, task, head, bench
):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    now = _run_cell(tmp_path, model, tap, task, head, bench)
    key = _key(model, tap, task, head, bench)
    if UPDATE:
        manifest[key] = now
        return
    assert key in manifest, f"no manifest entry for {key}: regenerate (see the module docstring)"
    assert manifest["written_at"]["threads"] != golden_threads  # the guard: another thread count
    problems = check(key, task, manifest[key], now)
    assert not problems, f"{key} at {golden_threads} threads:\n" + "\n".join(problems[:20])
