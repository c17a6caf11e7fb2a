"""Every figure a benchmark emits is a declared metric, exported under its official name and type.

One cell per embedded benchmark × task it serves (the ``pixels`` model on its first sequence),
through ``unibench run --json`` (the export that carries the metric metadata) and the stored
``metrics.json`` and record: each summary and per-sequence figure is declared in
:data:`unibench.metrics.METRICS`, its official name is the one the task's toolkit uses, and counts
are integers in every file written. ``unibench.benchmarks.base.score`` refuses an undeclared figure
on every path, which the last test shows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from unibench.benchmarks import BENCHMARKS
from unibench.benchmarks.base import build_benchmark, score

from unibench.datatypes import MetricTable
from unibench.errors import RegistryError
from unibench.metrics import METRICS

EMBEDDED = sorted(n for n in BENCHMARKS.names() if n.startswith("synthetic-"))
CELLS = [
    (bench, task) for bench in EMBEDDED for task in BENCHMARKS.get(bench)(None, None, None).tasks
]
# the official names the toolkits print, where they differ from ours (spot checks of the table)
EXPECTED_OFFICIAL = {
    ("mot", "FN"): "CLR_FN",
    ("mot", "FP"): "CLR_FP",
    ("mot", "IDs"): "IDSW",
    ("mots", "sMOTSA"): "sMOTA",
    ("mots", "MOTSA"): "MOTA",
    ("posetrack", "MOTA"): "MOTA Total (poseval)",
    ("posetrack", "FN"): "num_misses",
    ("vis", "HOTA"): "HOTA (TrackEval YouTubeVIS, class-averaged)",
}


def _figures(d: dict):
    return {k: v for k, v in d.items() if isinstance(v, int | float) and not isinstance(v, bool)}


@pytest.mark.parametrize("bench,task", CELLS, ids=[f"{b}-{t}" for b, t in CELLS])
def test_every_emitted_metric_is_declared_named_and_typed(tmp_path, bench, task):
    from unibench.app.cli import main
    from unibench.store import ResultStore

    first = build_benchmark(bench, None, None, None).sequence_names()[0]
    out, js = tmp_path / "store", tmp_path / "run.json"
    argv = ["run", "--model", "pixels", "--task", task, "--benchmark", bench, "--sequences",
            first, "--output", str(out), "--no-progress", "--json", str(js)]  # fmt: skip
    assert main(argv) == 0
    doc = json.loads(js.read_text())
    (cell,) = [c for c in doc["results"] if c["task"] == task]
    (metrics_json,) = list((out / "runs").rglob("metrics.json"))
    stored = json.loads(metrics_json.read_text())
    (record,) = ResultStore(out).records()
    sources = {
        "--json summary": cell["summary"],
        "metrics.json summary": stored["summary"],
        "record summary": record.metrics,
        **{f"--json row {i}": r for i, r in enumerate(cell["per_sequence"])},
        **{f"metrics.json row {i}": r for i, r in enumerate(stored["rows"])},
        **{f"record row {i}": r for i, r in enumerate(record.per_sequence)},
    }
    for where, values in sources.items():
        for name, v in _figures(values).items():
            m = METRICS.get(name.split("/")[-1]) if name not in METRICS else METRICS.get(name)
            if m.unit == "count" and v is not None and v == v:
                assert type(v) is int, f"{bench}/{task} {where}: count {name}={v!r} is not an int"
    for name in cell["summary"]:
        m = METRICS.get(name)
        meta = cell["metrics"][name]
        assert meta["official"] == m.official_name(task), (bench, task, name)
        assert meta["unit"] == m.unit and meta["higher_is_better"] == m.higher_is_better
        if (task, name) in EXPECTED_OFFICIAL:
            assert meta["official"] == EXPECTED_OFFICIAL[(task, name)]


def test_an_undeclared_figure_is_refused_on_the_scoring_path(tmp_path):
    class Loose:
        name = "loose"

        def evaluate(self, pred_dir, sequences=None, progress=False):
            return MetricTable(["sequence", "Wobble"], [{"sequence": "a", "Wobble": 0.5}], {})

    with pytest.raises(RegistryError, match=r"'loose' emitted undeclared metric\(s\) Wobble"):
        score(Loose(), Path(tmp_path))
