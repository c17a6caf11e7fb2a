"""Golden outputs per head, feature extractor and scorer, keyed by their behaviour versions.

Each head runs on the first sequence of its embedded synthetic suite with the ``pixels`` model; the
sha256 of its prediction files and its scored summary are pinned in ``tests/golden/behaviour.json``
beside the versions that produced them. A change of output under an unchanged version fails: bump
the version (``version`` on the head class, ``scorer_version`` on the benchmark class,
``version`` on the model family or ``FeatureExtractor``), which moves every affected run identity,
and regenerate the file with ``UNIBENCH_UPDATE_GOLDEN=1 pytest tests/unibench/test_behaviour_golden.py``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch

# the hashes hold at a fixed thread count (tests/conftest.py: GOLDEN_THREADS)
pytestmark = pytest.mark.usefixtures("golden_threads")
GOLDEN = Path(__file__).parents[1] / "golden" / "behaviour.json"
UPDATE = os.environ.get("UNIBENCH_UPDATE_GOLDEN") == "1"

# (task, head, benchmark): every head, every synthetic scorer
CELLS = [
    ("vos", "propagation", "synthetic-davis"),
    ("vos", "propagation", "synthetic-youtubevos"),
    ("sot", "xcorr", "synthetic-otb"),
    ("sot", "dcf", "synthetic-otb"),
    ("sot", "ridge", "synthetic-otb"),
    ("sot", "mask-box", "synthetic-otb"),
    ("sot", "xcorr", "synthetic-got10k"),
    ("mot", "association", "synthetic-mot"),
    ("mots", "association", "synthetic-mots"),
    ("posetrack", "association", "synthetic-posetrack"),
    ("poseprop", "pose-propagation", "synthetic-jhmdb"),
    ("vis", "association", "synthetic-youtubevis"),
]
FEATURE_MODELS = ["pixels", "resnet18", "resnet50", "vit_small_patch16.dino_in1k", "timm:resnet18"]


def _tree_sha(folder: Path) -> str:
    h = hashlib.sha256()
    # per-frame timings (GOT-10k's <seq>_time.txt) are measurements, not behaviour
    files = [q for q in folder.rglob("*") if q.is_file() and not q.name.endswith("_time.txt")]
    for p in sorted(files):
        h.update(str(p.relative_to(folder)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def _cell(task: str, head: str, bench: str, out: Path) -> dict:
    from unibench.benchmarks.base import build_benchmark

    from unibench.executors import InlineExecutor
    from unibench.pipeline import resolve_config, run_matrix

    first = build_benchmark(bench, None, None, None).sequence_names()[0]
    layer = {
        "task": task,
        "model": {"name": "pixels"},
        "head": {"name": head},
        "benchmark": {"name": bench, "sequences": [first]},
        "output": {"dir": str(out)},
    }
    (res,) = run_matrix([resolve_config(layer)], InlineExecutor(), progress=False)
    rec = res.record
    return {
        "sequence": first,
        "behaviour": rec.behaviour,
        "predictions": _tree_sha(Path(rec.predictions)),
        "summary": {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in rec.metrics.items()
        },  # fmt: skip
    }


def _features(name: str) -> dict:
    from unibench.appearance_models import FeatureExtractor, build_random, get_cfg

    card = get_cfg(name)
    net = build_random(card)
    ex = FeatureExtractor(net, card)
    yy, xx = np.mgrid[0:64, 0:96]
    img = np.stack([(xx * 2) % 256, (yy * 3) % 256, (xx + yy) % 256], -1).astype(np.uint8)
    with torch.inference_mode():
        f = ex(img).data.double()
    flat = f.flatten()
    idx = torch.linspace(0, flat.numel() - 1, 16).long()
    return {
        "version": f"{FeatureExtractor.version}.{type(net).version}",
        "shape": list(f.shape),
        "fingerprint": [float(v) for v in (flat.mean(), flat.std(), *flat[idx])],
    }


def _load() -> dict:
    return json.loads(GOLDEN.read_text()) if GOLDEN.is_file() else {"cells": {}, "features": {}}


def _key(task, head, bench) -> str:
    return f"{task}/{head}/{bench}"


@pytest.fixture(scope="module")
def golden():
    g = _load()
    yield g
    if UPDATE:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(g, indent=1, sort_keys=True) + "\n")


@pytest.mark.parametrize("task,head,bench", CELLS, ids=[_key(*c) for c in CELLS])
def test_head_and_scorer_outputs_match_their_versions(tmp_path, golden, task, head, bench):
    now = _cell(task, head, bench, tmp_path)
    key = _key(task, head, bench)
    if UPDATE:
        golden["cells"][key] = now
        return
    assert key in golden["cells"], f"no golden for {key}: regenerate (see the module docstring)"
    was = golden["cells"][key]
    b_now, b_was = now["behaviour"], was["behaviour"]
    if (b_now["head"], b_now["features"]) == (b_was["head"], b_was["features"]):
        assert now["predictions"] == was["predictions"], (
            f"{key}: the head's predictions changed under the same behaviour version "
            f"(head {b_now['head']}, features {b_now['features']}): bump the head's version "
            "(or the features') and regenerate the golden file"
        )
    if b_now["scorer"] == b_was["scorer"] and now["predictions"] == was["predictions"]:
        assert set(now["summary"]) == set(was["summary"]), key
        for k, v in was["summary"].items():
            w = now["summary"][k]
            assert (v is None and w is None) or w == pytest.approx(v, rel=1e-9, abs=1e-12), (
                f"{key}: {k} changed from {v} to {w} on the same predictions under scorer "
                f"version {b_now['scorer']}: bump the benchmark's scorer_version and regenerate"
            )


@pytest.mark.parametrize("name", FEATURE_MODELS)
def test_feature_extractors_match_their_versions(golden, name):
    now = _features(name)
    if UPDATE:
        golden["features"][name] = now
        return
    was = golden["features"][name]
    if now["version"] == was["version"]:
        assert now["shape"] == was["shape"]
        assert now["fingerprint"] == pytest.approx(was["fingerprint"], rel=1e-4, abs=1e-5), (
            f"{name}: features changed under behaviour version {now['version']}: bump "
            "FeatureExtractor.version or the family's version and regenerate"
        )
