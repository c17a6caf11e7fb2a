"""Executors and shards: the same records and prediction files whatever runs the units; a killed
worker is retried; a killed driver resumes."""

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from unibench.app import pipeline
from unibench.executors import parse_shard, shard_of
from unibench.executors.inline import InlineExecutor
from unibench.executors.process import ProcessExecutor
from unibench.store import ResultStore

SEQS = ["synth-00", "synth-01", "synth-02"]


def _matrix(out: Path, seqs: list[str] = SEQS):
    cells = []
    for model in ("pixels", "resnet18"):
        for topk in (10, 5):
            cells.append(
                pipeline.resolve_config(
                    {
                        "task": "vos",
                        "model": {"name": model},
                        "benchmark": {"sequences": seqs},
                        "head": {"params": {"topk": topk}},
                        "output": {"dir": str(out)},
                    }
                )
            )
    return cells


def _state(out: Path):
    """Records without timings, and a digest of every prediction file, per run id."""
    recs = {}
    for r in ResultStore(out).records():
        assert r.run_id not in recs, f"two records for {r.run_id}"
        recs[r.run_id] = (r.metrics, r.per_sequence, r.sequences)
    files = {}
    for f in sorted((out / "runs").rglob("*.png")):
        files[str(f.relative_to(out))] = hashlib.sha256(f.read_bytes()).hexdigest()
    return recs, files


@pytest.fixture(scope="module")
def inline_state(tmp_path_factory):
    out = tmp_path_factory.mktemp("inline")
    outs = pipeline.run_matrix(_matrix(out), InlineExecutor(), progress=False)
    assert all(o is not None and len(o.computed) == 3 for o in outs)
    return _state(out)


def test_a_network_is_built_once_per_model_and_process(tmp_path, monkeypatch):
    """Planning and listing read the architecture's declared taps (no network built); the inline
    run builds each model once for all its cells (2 heads here), in the driver's cache."""
    import unibench.appearance_models._base as base

    built = []
    real = base.ArchSpec.__call__

    def counting(self, **kw):
        built.append(self.model_class.__name__)
        return real(self, **kw)

    monkeypatch.setattr(base.ArchSpec, "__call__", counting)
    cache = pipeline.WorkerCache()
    cells = _matrix(tmp_path, SEQS[:1])
    for c in cells:  # planning alone builds nothing
        pipeline.plan(c, cache)
    assert built == [] and not cache.networks
    args = ["--model", "pixels,resnet18", "--layers", "layer3,layer4", "--task", "vos"]
    from unibench.app.cli import _request, build_parser

    ns = build_parser().parse_args(["run", *args, "--output", str(tmp_path)])
    assert len(pipeline.expand_matrix(_request(ns))) == 3 and built == []  # declared taps
    pipeline.run_matrix(cells, InlineExecutor(), progress=False, cache=cache)
    assert sorted(built) == ["PixelLab", "StrideEightResNet"]
    assert sorted(cache.builds.values()) == [1, 1]


@pytest.mark.slow  # with its fixture 89 s on 2 cores; --workers is checked in test_matrix
def test_process_executor_equals_inline(tmp_path, inline_state):
    pipeline.run_matrix(_matrix(tmp_path), ProcessExecutor(2), progress=False)
    assert _state(tmp_path) == inline_state


@pytest.mark.slow  # starts a local Ray instance: 90 s on 2 cores; run with -m slow
def test_ray_executor_equals_inline_and_survives_a_killed_worker(tmp_path, inline_state):
    pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[ray]')")
    from unibench.executors.ray import RayExecutor

    ex = RayExecutor(num_cpus=2)
    pipeline.run_matrix(_matrix(tmp_path / "a"), ex, progress=False)
    assert _state(tmp_path / "a") == inline_state
    assert sum(ex.per_node.values()) == 12  # 2 models × 2 heads × 3 sequences
    # kill the worker process computing a unit (its pid is beside the unit's target)
    killed = []

    def killer():
        deadline = time.time() + 120
        while time.time() < deadline and not killed:
            for m in (tmp_path / "b").rglob(".*.unit"):
                try:
                    pid = int(m.read_text().split()[1])
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
                except (OSError, ValueError, IndexError):
                    pass
            time.sleep(0.05)

    t = threading.Thread(target=killer)
    t.start()
    outs = pipeline.run_matrix(_matrix(tmp_path / "b"), RayExecutor(num_cpus=2), progress=False)
    t.join()
    assert killed, "no unit was seen running"
    assert all(o is not None for o in outs)
    assert _state(tmp_path / "b") == inline_state  # retried: one record per cell, same files


@pytest.mark.slow  # three shard runs of the matrix: 53 s on 2 cores; run with -m slow
def test_shards_together_equal_one_full_run(tmp_path, inline_state):
    for i in (1, 2, 3):
        pipeline.run_matrix(_matrix(tmp_path), InlineExecutor(), shard=(i, 3), progress=False)
    files = sorted(p.name for p in tmp_path.glob("results*.jsonl"))
    assert files and all(f.startswith("results.shard-") for f in files)
    assert _state(tmp_path) == inline_state
    # every unit belongs to exactly one shard
    owners = {shard_of("cell", s, 3) for s in SEQS * 5}
    assert owners <= {1, 2, 3}
    assert parse_shard("2/3") == (2, 3)
    with pytest.raises(Exception, match="expected 1 <= I <= N"):
        parse_shard("4/3")


def test_a_killed_driver_resumes_without_recomputing(tmp_path):
    out = tmp_path / "o"
    cmd = [sys.executable, "-m", "unibench.app.cli", "run", "--model", "resnet18", "--task", "vos",
           "--output", str(out), "--no-progress"]  # fmt: skip
    env = dict(os.environ)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    pred = None
    while time.time() < deadline and proc.poll() is None:
        done = [
            d
            for d in (out / "runs").rglob("predictions/synth-*")
            if d.is_dir() and not d.name.startswith(".")
        ]
        if done:
            pred = done
            break
        time.sleep(0.05)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert pred, "the driver finished before it could be killed"
    assert not ResultStore(out).records() or proc.returncode == 0
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    recs = ResultStore(out).records()
    assert len(recs) == 1 and recs[0].sequences == SEQS
    assert "reused" in r.stdout and " 0 reused" not in r.stdout  # finished sequences kept
