"""Leaderboard, ranks, radar, correlation, comparison, notebook."""

import math
import os
from pathlib import Path

import pytest
from unibench.reports.table import Column, Row

from unibench import reports
from unibench.types import ResultRecord

GOLDEN = Path(__file__).parent / "golden"
C1 = Column("vos", "propagation", "davis2017", "J-Mean")
IDS = Column("posetrack", "association", "posetrack18", "IDs")


def _row(name, vals, col=C1, published=False, top1=None):
    return Row(model=name, published=published, source="test", top1=top1, cells={col: dict(vals)})


def test_best_layer_and_competition_ranks():
    rows = [
        _row("a", {"layer3": 50.0, "layer4": 55.0}),
        _row("b", {"layer3": 60.0}),
        _row("c", {"layer3": 60.0, "layer4": 10.0}),
        _row("d", {"layer4": 40.0}),
        Row("e", False, "test"),
    ]
    assert rows[0].best(C1) == ("layer4", 55.0)
    assert reports.ranks(rows, C1) == {0: 3, 1: 1, 2: 1, 3: 4}  # e has no value: not ranked
    low = [_row("x", {"layer3": 7000.0, "layer4": 6900.0}, IDS), _row("y", {"layer3": 6950.0}, IDS)]
    assert low[0].best(IDS) == ("layer4", 6900.0)  # ID switches: lower is better
    assert reports.ranks(low, IDS) == {0: 1, 1: 2}


def test_task_rank_reduction_rules():
    c2 = Column("vos", "propagation", "davis2017", "F-Mean")
    rows = [
        Row("a", False, "t", cells={C1: {"layer3": 1.0}, c2: {"layer3": 3.0}}),
        Row("b", False, "t", cells={C1: {"layer3": 2.0}, c2: {"layer3": 2.0}}),
        Row("c", False, "t", cells={C1: {"layer3": 3.0}, c2: {"layer3": 1.0}}),
    ]
    # ranks: J-Mean a3 b2 c1; F-Mean a1 b2 c3
    tasks, mean = reports.task_ranks(rows, "mean")
    assert tasks == ["vos"] and mean[:, 0].tolist() == [2.0, 2.0, 2.0]
    assert reports.task_ranks(rows, "best")[1][:, 0].tolist() == [1.0, 2.0, 1.0]
    # 'first' takes the first column in table order (J-Mean before F-Mean, as the paper prints)
    assert reports.task_ranks(rows, "first")[1][:, 0].tolist() == [3.0, 2.0, 1.0]
    with pytest.raises(ValueError, match="unknown rank reduction"):
        reports.task_ranks(rows, "median")


def test_correlation_hand_computed():
    xs, ys = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 5.0, 4.0]
    rows = [
        _row(f"m{i}", {"layer3": y}, top1=x) for i, (x, y) in enumerate(zip(xs, ys, strict=True))
    ]
    (c,) = reports.correlations(rows)
    # r = 3.5 / sqrt(5 · 4.75); ρ on ranks x = 1..4, y = 1, 2.5, 4, 2.5: 3 / sqrt(5 · 4.5)
    assert c.pearson == pytest.approx(3.5 / math.sqrt(5 * 4.75))
    assert c.spearman == pytest.approx(3 / math.sqrt(5 * 4.5))
    assert reports.correlations(rows[:2]) == []  # fewer than 3 models: no coefficient


def test_published_rows_are_the_paper_tables():
    rows = reports.published_rows()
    assert len(rows) == 25 and all(r.published for r in rows)
    sup = next(r for r in rows if r.model == "resnet50 ImageNet-sup.")
    xcorr = Column("sot", "xcorr", "otb2015", "AUC")
    assert sup.cells[xcorr] == {"layer3": 58.6, "layer4": 49.5} and sup.top1 == 77.2
    ids = next(c for c in sup.cells if c.metric == "IDs")
    assert sup.best(ids) == ("layer3", 6969.0)


def _records():
    def rec(model, tap, jf, j, f, i):
        return ResultRecord(
            run_id=f"r{i}",
            task="vos",
            model=model,
            tap=tap,
            head="propagation",
            head_params={},
            benchmark="synthetic-davis",
            split="val",
            metrics={"J&F-Mean": jf, "J-Mean": j, "F-Mean": f},
            per_sequence=[{"sequence": "s", "object": 1, "J-Mean": j, "F-Mean": f}],
            timing={"seconds_per_frame": 0.1},
            git_sha="x",
            environment={},
            created=f"2026-01-01T00:00:0{i}",
        )

    return [
        rec("pixels", "lab", 0.9, 0.85, 0.95, 0),
        rec("resnet18", "layer3", 0.6, 0.62, 0.58, 1),
        rec("resnet18", "layer4", 0.65, 0.6, 0.7, 2),
        rec("resnet18.tv_in1k", "layer3", 0.8, 0.78, 0.82, 3),
    ]


@pytest.mark.parametrize("kind", ["md", "html", "tex"])
def test_golden_leaderboard(kind):
    rows = reports.measured_rows(_records())
    text = {
        "md": lambda: reports.markdown(rows, "t"),
        "html": lambda: reports.html_page(rows),
        "tex": lambda: reports.latex(rows),
    }[kind]()
    golden = GOLDEN / f"leaderboard.{kind}"
    if os.environ.get("UNIBENCH_UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    assert text == golden.read_text()


def test_leaderboard_marks_best_layer_and_column_best():
    rows = reports.measured_rows(_records())
    md = reports.markdown(rows)
    r18 = next(line for line in md.splitlines() if line.startswith("| resnet18 |"))
    assert "60.0 / **65.0**" in r18  # J&F: layer4 better
    assert "<u>90.0</u>" in md  # pixels holds the column best
    assert "<details>" in reports.html_page(rows) and "sortTable" in reports.html_page(rows)


def test_radar_files_and_no_global_state(tmp_path):
    import matplotlib

    before = dict(matplotlib.rcParams)
    rows = [r for r in reports.published_rows(("1",)) if r.backbone == "resnet50"]
    paths = reports.radar(rows, tmp_path / "radar")
    assert [p.suffix for p in paths] == [".png", ".svg"]
    assert all(p.stat().st_size > 10_000 for p in paths)
    assert dict(matplotlib.rcParams) == before


def test_compare_report():
    rows = reports.measured_rows(_records())
    text = reports.compare(rows, "resnet18")
    assert "| VOS J&F-Mean (propagation, synthetic-davis) | 65.0 (layer4) |" in text
    assert "resnet18.tv_in1k: 80.0 | -15.0 | 3 | 3 |" in text
    with pytest.raises(KeyError, match="no measured results"):
        reports.compare(rows, "nope")


def test_notebook_executes(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("UNIBENCH_NOTEBOOK_OUT", str(tmp_path))
    nb = nbformat.read(Path(__file__).parents[2] / "notebooks" / "correlation.ipynb", as_version=4)
    nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    out = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    assert "Pearson" in out and "VOS" in out
    assert (tmp_path / "correlation.png").is_file()
