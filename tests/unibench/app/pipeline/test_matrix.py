"""Matrix runs: resumable after a kill, workers and the feature cache change no number (the runs
take the first 8 frames of each sequence: the properties do not depend on the length)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from unibench.appearance_models import arch_info, get_cfg, tracking_taps

from unibench.app.cli import main
from unibench.app.pipeline.resolve import MatrixRequest, expand_matrix
from unibench.config import load_yaml
from unibench.store import ResultStore

ARGS = [
    "run",
    "--model",
    "pixels,resnet18",
    "--task",
    "vos",
    "--sequences",
    "synth-00",
    "--no-progress",
]


def _summary(root):
    return sorted(
        (r.run_id, r.model, r.tap, tuple(sorted(r.metrics.items())))
        for r in ResultStore(root).records()
    )


@pytest.mark.slow  # the default run stays within 15 minutes on 2 cores; a killed driver's resume is checked by default in test_executors.py
def test_killed_and_resumed_matrix_equals_uninterrupted(tmp_path, capsys):
    full, killed = tmp_path / "full", tmp_path / "killed"
    assert main([*ARGS, "--output", str(full)]) == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "unibench.app.cli", *ARGS, "--output", str(killed)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ),
    )
    store = killed / "results.jsonl"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if store.is_file() and store.read_text().count("\n") >= 1:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)  # mid-way through the second cell
    proc.wait()
    first = ResultStore(killed).records()
    assert len(first) == 1  # what was written survived the kill
    capsys.readouterr()
    assert main([*ARGS, "--output", str(killed)]) == 0
    text = capsys.readouterr().out
    assert "0 sequences computed, 1 reused" in text  # the stored cell was not recomputed
    assert _summary(killed) == _summary(full)
    assert not list(killed.rglob(".*.partial"))


@pytest.mark.slow  # the default run stays within 15 minutes on 2 cores; the feature cache is checked by default below
def test_workers_are_transparent(tmp_path, capsys):
    base = ["run", "--model", "pixels", "--sequences", "synth-00,synth-01", "--frames", "8",
            "--no-progress"]  # fmt: skip
    assert main([*base, "--output", str(tmp_path / "a")]) == 0
    assert main([*base, "--output", str(tmp_path / "b"), "--workers", "2"]) == 0
    ma = [r.metrics for r in ResultStore(tmp_path / "a").records()]
    mb = [r.metrics for r in ResultStore(tmp_path / "b").records()]
    assert ma == mb


def test_feature_cache_is_transparent(tmp_path, capsys):
    base = ["run", "--model", "pixels", "--sequences", "synth-00,synth-01", "--frames", "8",
            "--no-progress"]  # fmt: skip
    assert main([*base, "--output", str(tmp_path / "a")]) == 0
    ma = [r.metrics for r in ResultStore(tmp_path / "a").records()]
    # feature cache: a first run fills it, a second run of another head variant reads it
    assert main([*base, "--output", str(tmp_path / "c"), "--feature-cache"]) == 0
    cache = os.path.join(os.environ["UNIBENCH_CACHE"], "features")
    n_files = sum(len(f) for _, _, f in os.walk(cache))
    assert n_files > 0
    assert main([*base, "--output", str(tmp_path / "c"), "--feature-cache", "head.topk=5"]) == 0
    assert sum(len(f) for _, _, f in os.walk(cache)) == n_files  # reused, nothing new
    mc = [r.metrics for r in ResultStore(tmp_path / "c").records()]
    assert abs(mc[0]["J&F-Mean"] - ma[0]["J&F-Mean"]) < 0.01  # float16 features: tiny effect
    assert mc[0] != mc[1]  # topk 5 vs 10 is a different cell


def test_suite_file_and_layers(tmp_path, capsys):
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "models: [pixels, resnet18]\ntasks: [vos]\nlayers: [layer3, layer4]\n"
        "benchmarks: [{name: synthetic-davis, sequences: [synth-00], frames: 8}]\n"
        "variants: [[], ['head.topk=5']]\n"
    )
    assert (
        main(["run", "--suite", str(suite), "--output", str(tmp_path / "o"), "--no-progress"]) == 0
    )
    recs = ResultStore(tmp_path / "o").records()
    cells = sorted((r.model, r.tap, r.head_params["topk"]) for r in recs)
    # pixels has no layer3/layer4: its single tap runs once per variant (a warning says so)
    assert cells == [
        ("pixels", "lab", 5),
        ("pixels", "lab", 10),
        ("resnet18", "layer3", 5),
        ("resnet18", "layer3", 10),
        ("resnet18", "layer4", 5),
        ("resnet18", "layer4", 10),
    ]
    bad = tmp_path / "bad.yaml"
    bad.write_text("modles: [pixels]\n")
    assert main(["run", "--suite", str(bad), "--output", str(tmp_path / "o")]) == 2
    assert "unknown key 'modles'" in capsys.readouterr().err


def test_layers_all_runs_every_tap_at_stride_16_or_finer(tmp_path):
    """``--layers all``: per model, every tap whose stride is at most 16 (ResNet-18: layer1-4 at
    the stride-8 build; ``pixels``: its one tap); a tap of stride 32 is left out."""
    from unibench.appearance_models import get_cfg, tracking_taps

    from unibench.app.pipeline.resolve import MatrixRequest, expand_matrix

    cells = expand_matrix(
        MatrixRequest(output=str(tmp_path), models=["resnet18", "pixels"], layers=["all"])
    )
    taps = [(c["model"]["name"], c["model"].get("tap")) for c, _ in cells]
    assert taps == [("resnet18", f"layer{i}") for i in (1, 2, 3, 4)] + [("pixels", "lab")]
    from dataclasses import replace

    native = get_cfg("timm:resnet18")
    assert tracking_taps(native)[-1] == "layer4"  # built at output stride 8
    undilated = replace(native, arch_kwargs={**native.arch_kwargs, "output_stride": None})
    assert tracking_taps(undilated) == ["act1", "layer1", "layer2", "layer3"]  # layer4: stride 32


def test_suite_benchmarks_name_their_task(tmp_path):
    """A benchmark entry with ``task`` is crossed with that task only; without a ``tasks`` list
    the suite runs the tasks its benchmarks name (the real-data suite holds VOS and SOT)."""
    from pathlib import Path

    from unibench.app.pipeline.resolve import MatrixRequest, expand_matrix

    suite = tmp_path / "s.yaml"
    suite.write_text(
        "models: [pixels]\nbenchmarks:\n"
        "  - {task: vos, name: synthetic-davis}\n  - {task: sot, name: synthetic-otb}\n"
    )
    cells = expand_matrix(MatrixRequest(output=str(tmp_path), suite=suite))
    assert [(c["task"], c["benchmark"]) for c, _ in cells] == [
        ("vos", {"name": "synthetic-davis"}),
        ("sot", {"name": "synthetic-otb"}),
    ]
    only = expand_matrix(MatrixRequest(output=str(tmp_path), suite=suite, tasks=["sot"]))
    assert [c["task"] for c, _ in only] == ["sot"]
    shipped = Path(__file__).parents[4] / "benchmarks/suites/realdata.yaml"
    cells = expand_matrix(MatrixRequest(output=str(tmp_path), suite=shipped))
    assert {c["task"] for c, _ in cells} == {"vos", "sot", "mot"} and len(cells) == 6 * 4


SUITE_DIR = Path(__file__).parents[4] / "benchmarks/suites"
SUITES = sorted(SUITE_DIR.glob("*.yaml"))


@pytest.mark.parametrize("suite", SUITES, ids=[s.stem for s in SUITES])
def test_every_shipped_suite_expands_onto_taps_its_models_have(tmp_path, suite):
    """A suite naming a tap a model lacks would run the default tap in its place (with a warning):
    every shipped suite names only taps its models have, so its cells are the taps it says."""
    raw = load_yaml(suite)
    cells = expand_matrix(MatrixRequest(output=str(tmp_path), suite=suite))
    assert cells
    for model in raw["models"]:
        taps = arch_info(get_cfg(model)).taps
        assert set(raw.get("layers", [])) <= set(taps), (model, taps)
        ran = {c["model"].get("tap") for c, _ in cells if c["model"]["name"] == model}
        assert ran == (set(raw["layers"]) if "layers" in raw else {None})


def test_the_tap_suites_cover_every_tap_of_their_networks():
    """davis2016-val-taps.yaml and the default tap of davis2016-val.yaml: the whole-split tap study
    (docs/measured.md) covers every tap of each network it names, stride 2 included."""
    raw = load_yaml(SUITE_DIR / "davis2016-val-taps.yaml")
    for model in raw["models"]:
        cfg = get_cfg(model)
        assert set(raw["layers"]) | {arch_info(cfg).default_tap} == set(tracking_taps(cfg))
