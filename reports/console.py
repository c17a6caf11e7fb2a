"""Console tables: a run's metric table and the results of several runs, as Markdown text (what the
commands print)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from unibench.reports.table import PERCENT
from unibench.reports.tidy import metric_meta

from unibench.datatypes import MetricTable, ResultRecord


def markdown_escape(text: str) -> str:
    """Table-safe Markdown: no HTML tag (``<``, ``>`` as entities), escaped pipes and backticks."""
    t = str(text).replace("<", "&lt;").replace(">", "&gt;")
    return t.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")


def _fmt(v: object, percent: bool, name: str = "") -> str:
    """A stored figure as text: percent ×100, counts (by the metric's unit) as integers."""
    if isinstance(v, float | int) and not isinstance(v, bool):
        if isinstance(v, float) and math.isnan(v):
            return "–"
        if name and metric_meta(name).unit == "count":
            return f"{int(round(v))}"
        if isinstance(v, int):
            return str(v)
        return f"{100 * v:.1f}" if percent else f"{v:.3f}"
    return markdown_escape(v)  # names from data or cards: no table or HTML injection


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    rows = [[str(c) for c in r] for r in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]

    def line(cells):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)) + " |"

    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


PERCENT_METRICS = PERCENT  # figures stored as fractions, printed in percent


def metric_table(t: MetricTable, title: str = "") -> str:
    """Per-row and summary table of a :class:`MetricTable` (J/F figures in percent)."""
    cols = t.columns
    rows = [[_fmt(r.get(c, ""), c in PERCENT_METRICS, c) for c in cols] for r in t.rows]
    summary = ["**all**"] + [""] * (len(cols) - 1)
    for i, c in enumerate(cols):
        if c in t.summary:
            summary[i] = _fmt(t.summary[c], c in PERCENT_METRICS, c)
    rows.append(summary)
    head = f"### {title}\n\n" if title else ""
    return head + table(cols, rows) + attribute_table(t)


def attribute_table(t: MetricTable) -> str:
    """The per-attribute scores a table carries (``curves["attributes"]``: OPE success AUC and
    precision per attribute, VOT accuracy and failures per tag), as text after the table; empty
    where it has none. An attribute on too few sequences is listed without a score."""
    atts = (t.curves or {}).get("attributes") or []
    if not atts:
        return ""
    vot = any("Accuracy" in a or "frames" in a for a in atts)
    metrics = ("Accuracy", "Failures") if vot else ("AUC", "Precision")
    count = "tagged frames" if vot else "sequences"
    cols = ["attribute", "name", count, *metrics]
    rows = []
    for a in atts:
        n = a.get("frames" if vot else "sequences", 0)
        rows.append([markdown_escape(a["code"]), markdown_escape(a.get("name", a["code"])), n,
                     *(_fmt(a[m], m in PERCENT_METRICS, m) if a.get(m) is not None else "–"
                       for m in metrics)])  # fmt: skip
    return "\n\nper attribute:\n\n" + table(cols, rows)


def results_table(records: Sequence[ResultRecord], metrics: Sequence[str] | None = None) -> str:
    """One row per stored result: model, tap, head, benchmark, then the metrics."""
    if not records:
        return "(no results stored)"
    if metrics is None:
        seen = {m for r in records for m in r.metrics}
        order = (
            "J&F-Mean",
            "J-Mean",
            "F-Mean",
            "AUC",
            "Precision",
            "AO",
            "SR0.5",
            "HOTA",
            "IDF1",
            "MOTA",
            "IDs",
        )
        metrics = [m for m in order if m in seen]
    metrics = list(metrics)
    headers = ["model", "tap", "head", "task", "benchmark", "split", *metrics, "s/frame", "run"]
    rows = []
    for r in records:
        rows.append(
            [
                r.model_name,
                r.tap,
                r.head,
                r.task,
                r.benchmark_label,
                r.split,
                *[_fmt(r.metrics.get(m, float("nan")), m in PERCENT_METRICS, m) for m in metrics],
                _fmt(r.timing.get("seconds_per_frame", float("nan")), False),
                r.run_id,
            ]
        )
    return table(headers, rows)
