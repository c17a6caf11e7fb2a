"""The task registry: the one home of per-task facts."""

import pytest
from unibench.benchmarks import BENCHMARKS
from unibench.heads import HEADS

from unibench.errors import RegistryError
from unibench.metrics import METRICS, Metric, metric_meta, register_metric
from unibench.tasks import TASKS, Task, task_order


def test_every_task_names_a_registered_head_and_suite_that_serve_it():
    assert task_order() == ("sot", "vos", "mot", "mots", "posetrack", "poseprop", "vis")
    for name in task_order():
        t = TASKS.get(name)
        head = HEADS.get(t.default_head)
        assert name in head.serves()
        bench = BENCHMARKS.get(t.default_suite)(None, None, None)
        assert name in bench.tasks


def test_metrics_carry_unit_direction_and_official_name():
    m = METRICS.as_dict()
    assert m["IDs"].unit == "count" and not m["IDs"].higher_is_better
    assert m["IDs"].official_name("mot") == "IDSW"
    assert m["IDs"].official_name("posetrack").startswith("num_switches")
    assert m["FN"].official_name("mot") == "CLR_FN" and m["FN"].official_name("sot") == "FN"
    assert m["J-Decay"].unit == "percent" and not m["J-Decay"].higher_is_better
    assert m["HOTA"].higher_is_better and m["sMOTSA"].official_name("mots") == "sMOTA"
    assert m["MOTA"].official_name("posetrack") == "MOTA Total (poseval)"
    assert m["HOTA"].unit == "percent"
    assert metric_meta("car/HOTA") is m["HOTA"]  # per-class keys resolve to their metric
    with pytest.raises(ValueError, match="not listed"):
        Task("x", "x", "xcorr", "synthetic-otb", ("AUC",), ("AUC", "nope"))
    with pytest.raises(ValueError, match="unit 'percentage'"):
        Metric("x", "percentage")  # type: ignore[arg-type]


def test_a_metric_name_is_declared_once_and_every_task_metric_is_declared():
    with pytest.raises(RegistryError, match="registered twice: first at .*common.py"):
        register_metric("FN", "count", False)
    for name in task_order():
        for metric in TASKS.get(name).metrics:
            assert metric in METRICS, f"task {name}: metric {metric!r} is not registered"


def test_reports_read_the_registry():
    from unibench.reports.table import LOWER_IS_BETTER, MEASURED_METRICS, PERCENT, TASK_ORDER

    assert TASK_ORDER == task_order()
    assert MEASURED_METRICS["posetrack"] == TASKS.get("posetrack").leaderboard
    assert {"IDs", "FP", "FN", "J-Decay"} <= LOWER_IS_BETTER
    assert "MOTP-poseval" in PERCENT and "IDs" not in PERCENT


def test_unknown_task_lists_the_known_ones():
    from unibench.app.pipeline import resolve_config

    with pytest.raises(
        RegistryError, match=r"unknown task 'jhmdb'.*mot, mots, poseprop, posetrack"
    ):
        resolve_config({"task": "jhmdb"})


def test_cli_lists_tasks(capsys):
    from unibench.app.cli import main

    assert main(["list", "tasks"]) == 0
    out = capsys.readouterr().out
    assert "vos" in out and "presets unitrack, crw, dino, vfs" in out


def test_list_heads_prints_the_tasks_each_head_serves(capsys):
    from unibench.app.cli import main

    assert main(["list", "heads"]) == 0
    lines = dict(line.split(maxsplit=1) for line in capsys.readouterr().out.splitlines())
    for name in HEADS.names():
        assert lines[name] == f"task={','.join(HEADS.get(name).serves())}"
    assert lines["xcorr"] == "task=sot" and lines["propagation"] == "task=vos"
