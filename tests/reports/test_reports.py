"""Leaderboard, ranks, radar, correlation, comparison, notebook."""

import math
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from unibench.appearance_models import describe_model
from unibench.reports.table import Column, Row

from unibench import reports
from unibench.datatypes import ResultRecord

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


def test_bf16_rows_and_supervised_top1_are_point_sets_of_their_own():
    """A bf16 row is never a second point beside its float32 row, nor pooled with float32 rows:
    the bf16 rows are a set of their own; so are the rows whose top-1 is the supervised
    network's accuracy, apart from linear probes of frozen trunks."""
    rows = [_row(f"m{i}", {"layer3": 10.0 * i}, top1=60.0 + i) for i in range(4)]
    rows += [_row(f"m{i} (bf16)", {"layer3": 10.0 * i + 1}, top1=60.0 + i) for i in range(3)]
    rows.append(_row("solo (bf16)", {"layer3": 50.0}, top1=70.0))
    sup = [_row(f"s{i}", {"layer3": 5.0 * i * i}, top1=70.0 + i) for i in range(3)]
    for r in sup:
        r.top1_kind = "supervised"
    by = {(c.top1_kind, c.precision): c for c in reports.correlations(rows + sup)}
    assert set(by) == {("linear-probe", "fp32"), ("linear-probe", "bf16"), ("supervised", "fp32")}
    assert by[("linear-probe", "fp32")].models == ["m0", "m1", "m2", "m3"]
    assert by[("linear-probe", "bf16")].models == ["m0 (bf16)", "m1 (bf16)", "m2 (bf16)",
                                                  "solo (bf16)"]  # fmt: skip
    assert by[("supervised", "fp32")].models == ["s0", "s1", "s2"]
    assert by[("supervised", "fp32")].points == "supervised top-1"
    assert by[("linear-probe", "bf16")].points == "linear-probe top-1, bf16"


def test_the_correlation_figure_names_what_the_top1_is_and_keeps_labels_inside(tmp_path):
    rows = [_row(f"model-with-a-long-name-{i}", {"layer3": 10.0 * i}, top1=60.0 + i)
            for i in range(5)]  # fmt: skip
    for r in rows:
        r.top1_kind = "supervised"
    written = reports.correlation_figure(reports.correlations(rows), tmp_path / "c")
    svg = next(p for p in written if p.suffix == ".svg").read_text()
    assert "supervised network" in svg and "linear probe" not in svg


def test_labels_of_two_point_sets_never_overlap_where_their_points_coincide():
    """The whole-split bf16 set sits 0.01–0.03 J&F from the float32 set: every label of a panel is
    placed in one pass, so no label box covers another set's, and all stay inside the axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    jf = {"mobilenet_v2.tv_in1k": 69.1, "efficientnet_lite0.tf_in1k": 69.06,
          "efficientnet_lite1.tf_in1k": 70.36, "efficientnet_lite2.tf_in1k": 69.3}  # fmt: skip
    top1 = dict(zip(jf, (71.9, 75.1, 76.7, 77.6), strict=True))
    rows = [_row(m, {"blocks_4": v}, top1=top1[m]) for m, v in jf.items()]
    rows += [_row(f"{m} (bf16)", {"blocks_4": v - 0.02}, top1=top1[m]) for m, v in jf.items()]
    for r in rows:
        r.top1_kind = "supervised"
    fig = reports.plots.correlation_axes(reports.correlations(rows))
    renderer = FigureCanvasAgg(fig).get_renderer()
    (ax,) = fig.axes
    frame = ax.get_window_extent(renderer)
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    texts = {t.get_text() for t in ax.texts}
    assert len(boxes) == 8 and {"(bf16)", "efficientnet_lite1.tf_in1k"} <= texts
    for i, a in enumerate(boxes):
        assert frame.x0 <= a.x0 and a.x1 <= frame.x1 and frame.y0 <= a.y0 and a.y1 <= frame.y1
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), (a, b)


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
            model_info=describe_model(model),
        )

    return [
        rec("pixels", "lab", 0.9, 0.85, 0.95, 0),
        rec("resnet18", "layer3", 0.6, 0.62, 0.58, 1),
        rec("resnet18", "layer4", 0.65, 0.6, 0.7, 2),
        rec("resnet18.tv_in1k", "layer3", 0.8, 0.78, 0.82, 3),
    ]


@pytest.mark.parametrize("kind", ["md", "html", "tex"])
def test_golden_leaderboard(kind):
    from unibench.reports.tidy import tidy

    recs = _records()
    df = tidy(recs, published=False)
    text = {
        "md": lambda: reports.markdown(df, "t"),
        "html": lambda: reports.html_page(df, recs),
        "tex": lambda: reports.latex(df),
    }[kind]()
    golden = GOLDEN / f"leaderboard.{kind}"
    if os.environ.get("UNIBENCH_UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    assert text == golden.read_text()


def test_leaderboard_marks_best_layer_and_column_best():
    from unibench.reports.tidy import tidy

    recs = _records()
    df = tidy(recs, published=False)
    md = reports.markdown(df)
    r18 = next(line for line in md.splitlines() if line.startswith("| resnet18 "))
    assert "60.0 / **65.0**" in r18  # J&F: layer4 better
    assert "<u>90.0</u>" in md  # pixels holds the column best
    page = reports.html_page(df, recs)
    assert "<details id=" in page and "sortBy" in page and "openDrill" in page


def test_other_taps_of_one_model_are_named_in_their_cell():
    """Two taps of a timm network (``blocks_2``, ``blocks_4``) in one cell: each value names its
    tap (escaped per format), bold marks the better tap of the cell, the underline the column's
    best (another row); ``layer3 / layer4`` cells keep the legend's convention."""
    from unibench.reports.tidy import tidy

    recs = _records()
    extra = [
        replace(recs[1], run_id="m2", model="mobilenet_v2.tv_in1k", tap="blocks_2",
                metrics={**recs[1].metrics, "J&F-Mean": 0.644},
                model_info=describe_model("mobilenet_v2.tv_in1k")),
        replace(recs[1], run_id="m4", model="mobilenet_v2.tv_in1k", tap="blocks_4",
                metrics={**recs[1].metrics, "J&F-Mean": 0.837},
                model_info=describe_model("mobilenet_v2.tv_in1k")),
    ]  # fmt: skip
    df = tidy(recs + extra, published=False)
    md = reports.markdown(df)
    row = next(line for line in md.splitlines() if "MobileNetV2" in line or "mobilenet" in line)
    assert "blocks_2 64.4 / **blocks_4 83.7**" in row, row
    assert "<u>" not in row and "<u>90.0</u>" in md  # pixels holds the column's best
    r18 = next(line for line in md.splitlines() if line.startswith("| resnet18 "))
    assert "60.0 / **65.0**" in r18
    tex = reports.latex(df)
    assert "blocks\\_2 64.4" in tex and "blocks\\_4 83.7" in tex
    page = reports.html_page(df, recs + extra)
    assert "blocks_2 64.4" in page and "blocks_4 83.7" in page


def test_radar_files_and_no_global_state(tmp_path):
    import matplotlib

    before = dict(matplotlib.rcParams)
    rows = [r for r in reports.published_rows(("1",)) if r.backbone == "resnet50"]
    paths = reports.radar(rows, tmp_path / "radar")
    assert [p.suffix for p in paths] == [".png", ".svg", ".pdf"]
    assert all(p.stat().st_size > 10_000 for p in paths)
    assert dict(matplotlib.rcParams) == before


def test_compare_report():
    rows = reports.measured_rows(_records())
    text = reports.compare(rows, "resnet18")
    assert "| VOS J&F-Mean (propagation, synthetic-davis) | 65.0 (layer4) |" in text
    assert "resnet18.tv_in1k: 80.0 | -15.0 | 3 | 3 |" in text
    with pytest.raises(KeyError, match="no measured results"):
        reports.compare(rows, "nope")


@pytest.mark.slow  # the default run stays within 15 minutes on 2 cores; the notebook's report API is tested above
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
    assert "Pearson" in out and "VOS" in out and "left out (no linear-probe top-1)" in out
    assert (tmp_path / "correlation.png").is_file()
    # the wide table: every model once, with its own top-1, only measured columns (it was a
    # Cartesian product of models × every top-1 × every task/metric/head before)
    import pandas as pd
    from unibench.reports.tidy import published_frame

    wide = pd.read_csv(tmp_path / "wide.csv", header=[0, 1, 2], index_col=0)
    df = published_frame(("1",))
    df = df[df.backbone == "resnet50"]
    assert sorted(wide.index) == sorted(set(df.model)) and wide.index.is_unique
    top1 = df.groupby("model")["top1"].first()
    got = wide[wide.columns[0]]
    assert wide.columns[0][0] == "top-1"
    for m in wide.index:
        assert (pd.isna(got[m]) and pd.isna(top1[m])) or got[m] == pytest.approx(top1[m]), m
    measured = {(t, m, h) for t, m, h in df[["task", "metric", "head_variant"]].itertuples(False)}
    assert set(wide.columns[1:]) == measured
    assert not wide[wide.columns[1:]].isna().all().any()  # no column without any figure


# --------------------------------------------------------------------- the tidy table and views
def _mot_record(model="resnet50", tap="layer3", ids=1.0, fn=33.0, bench="synthetic-mot", rid="m1"):
    return ResultRecord(
        run_id=rid,
        task="mot",
        model=model,
        tap=tap,
        head="association",
        head_params={},
        benchmark=bench,
        split="train",
        metrics={"IDF1": 0.8, "HOTA": 0.7, "MOTA": 0.75, "IDs": ids, "FP": 3.0, "FN": fn},
        per_sequence=[
            {"sequence": "S-01", "HOTA": 0.7, "IDF1": 0.8, "IDs": ids, "FN": fn, "FP": 3.0}
        ],
        timing={},
        git_sha="x",
        environment={},
        created="2026-01-01T00:00:00",
        model_info=describe_model(model),
    )


def test_tidy_frame_units_counts_and_model_keys():
    from unibench.reports.tidy import fmt, tidy

    df = tidy([_mot_record(), _mot_record("resnet18.tv_in1k", rid="m2")])
    m = df[~df.published]
    ids = m[(m.metric == "IDs") & (m.model == "resnet50")].iloc[0]
    assert ids.value == 1 and ids.unit == "count" and not ids.higher_is_better
    assert ids.official == "IDSW" and fmt("IDs", ids.value) == "1"
    hota = m[(m.metric == "HOTA") & (m.model == "resnet50")].iloc[0]
    assert hota.value == pytest.approx(70.0) and hota.unit == "percent"
    # canonical keys align measured models with the paper's rows
    assert set(m.model_key) == {"resnet50 Random Init.", "resnet18 ImageNet-sup."}
    p = df[df.published]
    assert {"resnet50 Random Init.", "resnet18 ImageNet-sup."} <= set(p.model_key)
    assert p[p.metric == "IDs"].value.map(type).eq(int).all()  # published counts are integers
    assert set(df.columns) >= {"model", "tap", "head_variant", "benchmark", "split", "metric"}


def test_sections_split_synthetic_from_real_and_pair_measured_with_published():
    from unibench.reports.render import sections
    from unibench.reports.tidy import tidy

    recs = [_mot_record(), _mot_record(bench="mot16", rid="m3")]
    secs = sections(tidy(recs))
    titles = [s.title for s in secs]
    real = next(s for s in secs if s.benchmark == "mot16")
    synth = next(s for s in secs if s.benchmark == "synthetic-mot")
    assert "not comparable with real benchmarks" in synth.title and not real.synthetic
    assert titles.index(real.title) < titles.index(synth.title)  # real benchmarks first
    keys = [(r.key, r.published) for r in real.rows]
    i = keys.index(("resnet50 Random Init.", False))
    assert keys[i + 1] == ("resnet50 Random Init.", True)  # side by side with the paper's row
    assert {r.source for r in real.rows} >= {"measured", "UniTrack (NeurIPS 2021), Table 1"}
    assert all(not r.published for r in synth.rows)  # the paper has no synthetic rows


def test_html_drill_down_prints_counts_as_integers():
    from unibench.reports.tidy import tidy

    recs = [_mot_record(fn=33.0, ids=1.0)]
    page = reports.html_page(tidy(recs, published=False), recs)
    drill = page.split('<details id="drill-0">')[1].split("</details>")[0]
    assert "<td>33</td>" in drill and "<td>1</td>" in drill and "<td>70.0</td>" in drill
    assert "3300" not in drill and "100.0" not in drill
    head = page.split("<thead>")[1].split("</thead>")[0]
    assert "MOT" in head and "synthetic-mot" in head and "IDs (association)" in head


def test_metric_table_counts_are_integers():
    from unibench.reports.console import metric_table

    from unibench.datatypes import MetricTable

    t = MetricTable(["sequence", "HOTA", "IDs"], [{"sequence": "a", "HOTA": 0.5, "IDs": 3.0}],
                    {"HOTA": 0.5, "IDs": 3.0})  # fmt: skip
    text = metric_table(t)
    assert "| 3 " in text and "3.000" not in text and "50.0" in text


def test_radar_draws_a_missing_task_as_a_gap_and_caps_models():
    c2 = Column("mot", "association", "mot16", "IDF1")
    rows = [
        Row("a", False, "t", cells={C1: {"layer3": 1.0}, c2: {"layer3": 3.0}}),
        Row("b", False, "t", cells={C1: {"layer3": 2.0}}),  # never run on MOT
        Row("c", False, "t", cells={C1: {"layer3": 3.0}, c2: {"layer3": 1.0}}),
    ]
    fig = reports.plots.radar_figure(rows, reference="")
    lines = fig.axes[0].lines
    ys = [list(line.get_ydata()) for line in lines]
    assert any(math.isnan(v) for v in ys[1]) and not any(math.isnan(v) for v in ys[0])
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("gap = task not measured" in t for t in labels)
    many = [Row(f"m{i}", False, "t", cells={C1: {"layer3": float(i)}}) for i in range(12)]
    fig = reports.plots.radar_figure(many, reference="m0")
    assert len(fig.axes[0].lines) == 9  # the top 8 plus the reference
    assert "top 9 of 12" in fig.axes[0].get_title()


def test_correlation_p_values_intervals_and_flipped_counts():
    from scipy import stats

    xs = [60.0, 65.0, 70.0, 75.0, 78.0]
    ids = [900.0, 800.0, 820.0, 600.0, 500.0]
    rows = [
        _row(f"m{i}", {"layer3": v}, IDS, top1=x)
        for i, (x, v) in enumerate(zip(xs, ids, strict=True))
    ]
    (c,) = reports.correlations(rows)
    assert c.flipped and c.ylabel.startswith("−IDs") and c.y == [-v for v in ids]
    r, _ = stats.pearsonr(xs, [-v for v in ids])
    assert c.pearson == pytest.approx(r) and c.pearson > 0
    assert c.pearson_ci[0] <= c.pearson <= c.pearson_ci[1]
    # 5 points: exact permutation p-values (tests below), not scipy's large-n approximation
    assert c.pearson_p == pytest.approx(reports.plots.permutation_p(xs, [-v for v in ids]))


def test_small_n_p_values_are_exact_permutation():
    """At most 8 points: p-values by exact permutation. A perfect order of 4 points has p = 2/24
    (the identity and the reversal of the 4! orderings), where scipy's asymptotic Spearman p is 0;
    against scipy's exact permutation test (pairings, every ordering, |r| one-sided)."""
    from scipy import stats
    from unibench.reports.plots import permutation_p

    rows = [_row(f"m{i}", {"layer3": 10.0 * i}, top1=60.0 + i) for i in range(4)]
    (c,) = reports.correlations(rows)
    assert c.spearman == pytest.approx(1.0) and stats.spearmanr(range(4), range(4))[1] == 0
    assert c.spearman_p == pytest.approx(2 / 24) and c.pearson_p == pytest.approx(2 / 24)
    xs, ys = [71.9, 75.1, 76.7, 77.6, 80.4], [83.4, 89.8, 90.8, 91.9, 85.0]
    for method, coef in (("pearson", stats.pearsonr), ("spearman", stats.spearmanr)):
        ref = stats.permutation_test(
            (ys,), lambda y, coef=coef: abs(coef(xs, y)[0]), permutation_type="pairings",
            n_resamples=np.inf, alternative="greater",
        ).pvalue  # fmt: skip
        assert permutation_p(xs, ys, method) == pytest.approx(ref)
    big = [_row(f"m{i}", {"layer3": float(i * i % 7)}, top1=60.0 + i) for i in range(9)]
    (c,) = reports.correlations(big)  # 9 points: scipy's p-values
    assert c.pearson_p == pytest.approx(
        stats.pearsonr([60.0 + i for i in range(9)], [float(i * i % 7) for i in range(9)])[1]
    )


def test_figures_in_three_formats(tmp_path):
    rows = [r for r in reports.published_rows(("1",)) if r.backbone == "resnet50"]
    corrs = reports.correlations(rows)
    paths = reports.correlation_figure(corrs, tmp_path / "corr")
    assert [p.suffix for p in paths] == [".png", ".svg", ".pdf"] and all(
        p.stat().st_size for p in paths
    )
    curves = {"a": {"iou_thresholds": [0, 0.5, 1], "success": [1, 0.6, 0],
                    "pixel_thresholds": list(range(51)), "precision": [i / 50 for i in range(51)]}}  # fmt: skip
    assert len(reports.plots.ope_figure(curves, tmp_path / "ope", "otb")) == 3


def test_report_command_defaults_paths_flags_and_exports(tmp_path, capsys, monkeypatch):
    from unibench.app.cli import main
    from unibench.store import ResultStore

    store = tmp_path / "store"
    ResultStore(store).append(_mot_record())
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    report = store / "report"
    for f in ("leaderboard.md", "leaderboard.html", "leaderboard.tex", "tidy.csv"):
        assert (report / f).is_file() and str(report / f) in out  # absolute paths printed
    te = report / "trackeval" / "synthetic-mot-train" / "resnet50_layer3_association_m1"
    summary = (te / "summary.txt").read_text().splitlines()
    assert (
        "IDSW" in summary[0].split() and summary[1].split()[summary[0].split().index("IDSW")] == "1"
    )
    # MOT's FN and FP under TrackEval's names (the SOT/OxUvA declaration of FN used to win)
    head = summary[0].split()
    assert "CLR_FN" in head and "CLR_FP" in head and "FN" not in head
    assert summary[1].split()[head.index("CLR_FN")] == "33"
    detailed = (te / "detailed.csv").read_text().splitlines()
    assert detailed[0].startswith("sequence,") and detailed[-1].startswith("COMBINED,")
    # the old flag still works, with a deprecation message
    assert main(["report", "--output", str(store), "--out", str(tmp_path / "r2")]) == 0
    assert "--output is deprecated" in capsys.readouterr().err
    # an empty store says which path it read
    assert (
        main(["report", "--store", str(tmp_path / "nothing"), "--out", str(tmp_path / "r3")]) == 0
    )
    assert (
        str(tmp_path / "nothing" / "results.jsonl") + " does not exist" in capsys.readouterr().err
    )


def test_report_draws_the_sot_success_and_precision_plots(tmp_path, capsys):
    from unibench.app import pipeline
    from unibench.app.cli import main

    cfg = pipeline.resolve_config(
        {
            "task": "sot",
            "model": {"name": "pixels"},
            "benchmark": {"sequences": ["synth-00"]},
            "output": {"dir": str(tmp_path / "store")},
        }
    )
    rec = pipeline.run(cfg, progress=False).record
    assert main(["report", "--store", str(tmp_path / "store"), "--no-published"]) == 0
    out = capsys.readouterr().out
    figs = sorted((tmp_path / "store" / "report").glob("ope_*"))
    assert [f.suffix for f in figs] == [".pdf", ".png", ".svg"]
    assert f"ope_{rec.benchmark}_{rec.split}.png" in out


def test_radar_ranks_whole_split_rows_only_and_ties_at_the_shown_precision():
    """Subset rows are listed as not ranked (never drawn, never in the rim's count); values equal
    at the displayed precision (MOTA 68.62 vs 68.56, both 68.6) share a rank; the ranks are
    printed beside the figure."""
    c2 = Column("mot", "association", "mot16", "MOTA")
    rows = [
        Row("a", False, "t", cells={C1: {"layer3": 60.0}, c2: {"layer3": 68.62}}),
        Row("b", False, "t", cells={C1: {"layer3": 50.0}, c2: {"layer3": 68.56}}),
        Row("s", False, "t", cells={C1: {"layer3": 99.0}, c2: {"layer3": 99.0}}, subset="3/30 seq"),
    ]
    assert reports.ranks(rows, c2) == {0: 1, 1: 1}
    fig = reports.plots.radar_figure(rows, reference="")
    assert len(fig.axes[0].lines) == 2  # the subset row is not drawn
    assert "best of 2 ranked" in fig.axes[0].get_title()
    text = "\n".join(t.get_text() for t in fig.texts)
    assert "not ranked: s [subset 3/30 seq] (measured on a subset: 3/30 seq)" in text
    assert "a: 1  1" in text and "b: 2  1" in text  # VOS ranks differ, MOT ranks tie
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert not any("subset" in t or "gap" in t for t in labels)


def test_ope_subset_curves_are_dashed_and_after_the_whole_split_ones():
    thr = list(np.linspace(0, 1, 21))
    curves = {
        "sub [subset 1/3]": {"iou_thresholds": thr, "success": [0.99] * 21, "subset": "1/3"},
        "low": {"iou_thresholds": thr, "success": [0.2] * 21},
        "high": {"iou_thresholds": thr, "success": [0.6] * 21},
    }
    from unittest import mock

    from matplotlib.figure import Figure

    with mock.patch.object(reports.plots, "save", lambda fig, out: fig):
        fig = reports.plots.ope_figure(curves, Path("unused"), "t")
    assert isinstance(fig, Figure)
    lines = fig.axes[0].lines
    assert [ln.get_label().split(" [")[0] for ln in lines] == ["high", "low", "sub"]
    assert [ln.get_linestyle() for ln in lines] == ["-", "-", "--"]


def test_report_puts_measured_sections_first_and_folds_the_published_tables():
    from unibench.reports.tidy import tidy

    df = tidy(_records(), published=True)
    md = reports.markdown(df, "t")
    first_measured = md.index("synthetic-davis")
    assert first_measured < md.index("## Published tables")
    page = reports.html_page(df, _records())
    assert page.index("synthetic-davis") < page.index('<details class="published">')
    assert "otb2015" in page[page.index('<details class="published">') :]


def test_official_names_follow_the_task_that_emitted_them():
    from unibench.reports.tidy import metric_meta

    assert metric_meta("FN").official_name("mot") == "CLR_FN"
    assert metric_meta("FN").official_name("sot") == "FN"  # OxUvA's false negatives
    assert metric_meta("IDs").official_name("posetrack").startswith("num_switches")
    assert metric_meta("IDs").official_name("mot") == "IDSW"
    assert metric_meta("car/HOTA", "mot").unit == "percent"


def test_bootstrap_intervals_equal_scipys_per_draw_coefficients():
    """The vectorised bootstrap gives the interval of the per-draw scipy loop it replaced (same
    resamples from the same seed; constant resamples skipped), ties included."""
    from scipy import stats
    from unibench.reports.plots import bootstrap_ci

    def loop(x, y, fn, draws=500, seed=3):
        rng = np.random.default_rng(seed)
        x, y = np.asarray(x, float), np.asarray(y, float)
        vals = []
        for _ in range(draws):
            idx = rng.integers(0, len(x), len(x))
            if np.ptp(x[idx]) == 0 or np.ptp(y[idx]) == 0:
                continue
            vals.append(fn(x[idx], y[idx]))
        return tuple(float(v) for v in np.percentile(vals, [2.5, 97.5]))

    x = [71.2, 74.5, 69.0, 75.3, 72.1, 60.2]
    y = [0.61, 0.66, 0.58, 0.66, 0.70, 0.41]  # a tie in y
    for method, fn in (
        ("pearson", lambda a, b: stats.pearsonr(a, b)[0]),
        ("spearman", lambda a, b: stats.spearmanr(a, b)[0]),
    ):
        got = bootstrap_ci(x, y, method, draws=500, seed=3)
        assert got == pytest.approx(loop(x, y, fn), abs=1e-12), method
    assert all(math.isnan(v) for v in bootstrap_ci([1, 1, 1], [2, 3, 4]))


def test_records_under_other_scoring_options_are_other_sections_on_every_path(tmp_path):
    """Two records that differ only in the benchmark's scoring options (an R-VOS protocol, a
    LaSOT toolkit) measured different things: the tidy table, the sections, the HTML drill-down
    and the results table name each by ``ResultRecord.benchmark_label``; no cell holds both."""
    from dataclasses import replace

    from unibench.reports.console import results_table
    from unibench.reports.render import sections
    from unibench.reports.tidy import tidy

    plain = _mot_record(rid="m1")
    other = replace(_mot_record(rid="m2", ids=5.0), benchmark_options={"protocol": "x y"})
    assert plain.benchmark_label == "synthetic-mot"
    assert other.benchmark_label == "synthetic-mot [protocol=x y]"
    listed = replace(plain, benchmark_options={"seen": ["a", "b"], "all": True})
    assert listed.benchmark_label == 'synthetic-mot [all=true, seen=["a", "b"]]'
    df = tidy([plain, other], published=False)
    ids = df[df.metric == "IDs"].set_index("benchmark").value.to_dict()
    assert ids == {"synthetic-mot": 1, "synthetic-mot [protocol=x y]": 5}
    secs = {s.benchmark: s for s in sections(df)}
    assert set(secs) == {"synthetic-mot", "synthetic-mot [protocol=x y]"}
    page = reports.html_page(df, [plain, other])
    assert "synthetic-mot [protocol=x y]/train" in page
    assert "synthetic-mot [protocol=x y]" in results_table([plain, other])
