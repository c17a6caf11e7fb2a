"""A benchmark, a head, a metric and an executor added from one file through the entry points.

The plugin module (``unibench_demo_plugin.py`` beside this test) is made importable and declared
in a throw-away ``*.dist-info/entry_points.txt`` under the ``unibench.plugins`` group, the way an
installed package declares it; ``unibench run`` then lists and uses all four in a fresh process,
and the figure its scorer emits reaches ``--json`` and the store with the metric's metadata.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _site(tmp: Path) -> Path:
    site = tmp / "site"
    info = site / "unibench_demo_plugin-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: unibench-demo-plugin\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text("[unibench.plugins]\ndemo = unibench_demo_plugin\n")
    (site / "unibench_demo_plugin.py").write_text((HERE / "unibench_demo_plugin.py").read_text())
    return site


def _unibench(site: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
    }
    env["HOME"] = str(tmp / "home")
    return subprocess.run(
        [sys.executable, "-m", "unibench.app.cli", *args], env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip


@pytest.mark.slow  # the default run stays within 15 minutes on 2 cores; the registries' validation of each kind is checked by default in tests/unibench/test_registry.py
def test_one_file_adds_a_benchmark_head_metric_and_executor(tmp_path):
    site = _site(tmp_path)
    listed = _unibench(site, tmp_path, "list", "benchmarks")
    assert listed.returncode == 0, listed.stderr
    assert "demo-squares" in listed.stdout.split()
    heads = _unibench(site, tmp_path, "list", "heads")
    assert "demo-copy" in heads.stdout
    out, js = tmp_path / "store", tmp_path / "run.json"
    run = _unibench(
        site, tmp_path, "run", "--model", "pixels", "--task", "vos", "--benchmark", "demo-squares",
        "--head", "demo-copy", "--executor", "demo-reversed", "--output", str(out),
        "--no-progress", "--json", str(js),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    (cell,) = json.loads(js.read_text())["results"]
    # the square moves 3 px a frame under a copied 12-px-wide mask: 12, 9, 6, 3 of 12 columns hit
    assert abs(cell["summary"]["Hits"] - (12 + 9 + 6 + 3) / 48) < 1e-12
    assert cell["metrics"]["Hits"] == {
        "unit": "percent",
        "higher_is_better": True,
        "official": "hits (demo toolkit)",
    }
    assert [r["frames"] for r in cell["per_sequence"]] == [4, 4]
    assert all(type(r["frames"]) is int for r in cell["per_sequence"])
    # the record is in the store, and the report renders the plugin's figure
    rec = json.loads((out / "results.jsonl").read_text().splitlines()[-1])
    assert rec["benchmark"] == "demo-squares" and rec["head"] == "demo-copy"
    report = _unibench(site, tmp_path, "report", "--store", str(out), "--no-published")
    assert report.returncode == 0, report.stderr[-2000:]
    assert "demo-squares" in (out / "report" / "leaderboard.md").read_text()
