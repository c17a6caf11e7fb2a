"""Golden outputs per head, feature extractor and scorer, keyed by their behaviour versions.

Each head runs on the first sequence of its embedded synthetic suite with the ``pixels`` model; the
*content* of its prediction files (masks as per-object RLE, boxes and keypoints as coordinates,
ids and frames as written; ``tests/golden_content.py``) and its scored summary are pinned in
``tests/golden/behaviour.json`` beside the versions that produced them. A change of output under
an unchanged version beyond the stated tolerances fails: bump the version (``version`` on the head
class, ``scorer_version`` on the benchmark class, ``version`` on the model family or
``FeatureExtractor``), which moves every affected run identity, and regenerate the file with
``UNIBENCH_UPDATE_GOLDEN=1 pytest tests/unibench/test_behaviour_golden.py``.

The checks run at thread counts other than the one the file was written at (``golden_threads``
in ``tests/conftest.py``), so a near tie that another summation order flips is tested every run.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from golden_content import BEHAVIOUR, UPDATE, cell_key, check, load_golden, run_cell, written_at

GOLDEN = BEHAVIOUR

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


@pytest.fixture(scope="module")
def golden():
    g = load_golden()
    yield g
    if UPDATE:
        g["written_at"] = written_at()
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(g, indent=0, sort_keys=True) + "\n")


@pytest.mark.parametrize("task,head,bench", CELLS, ids=[cell_key(*c) for c in CELLS])
def test_head_and_scorer_outputs_match_their_versions(
    tmp_path, golden, golden_threads, task, head, bench
):
    now = run_cell(task, head, bench, tmp_path)
    key = cell_key(task, head, bench)
    if UPDATE:
        golden["cells"][key] = now
        return
    assert key in golden["cells"], f"no golden for {key}: regenerate (see the module docstring)"
    assert golden["written_at"]["threads"] != golden_threads  # the guard: another thread count
    was = golden["cells"][key]
    b_now, b_was = now["behaviour"], was["behaviour"]
    if (b_now["head"], b_now["features"]) != (b_was["head"], b_was["features"]):
        pytest.skip(f"{key}: new behaviour version {b_now}: regenerate the golden file")
    if b_now["scorer"] != b_was["scorer"]:
        was = {**was, "summary": now["summary"]}  # a new scorer version: predictions only
    problems = check(key, task, was, now)
    assert not problems, (
        f"{key} at {golden_threads} threads: outputs changed beyond the golden tolerances under "
        f"the same behaviour version {b_now} (bump the head's, features' or scorer's version and "
        "regenerate the golden file):\n" + "\n".join(problems[:20])
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
        # the fused path's channels-last convolutions take another oneDNN kernel at 1 thread:
        # measured 1.26e-4 relative on random-init ResNet-50 (written at 2 threads), 4.6e-14 at 3
        assert now["fingerprint"] == pytest.approx(was["fingerprint"], rel=5e-4, abs=1e-5), (
            f"{name}: features changed under behaviour version {now['version']}: bump "
            "FeatureExtractor.version or the family's version and regenerate"
        )
