"""Leaderboard rows and columns, from the store (measured) and the shipped paper tables (published).

A :class:`Column` is one (task, head, benchmark, metric); a :class:`Row` holds, per column, the value
of each feature layer (tap). Ranking uses each model's better layer (UniTrack's rule; the lower value
for metrics where lower is better, such as ID switches); ties share the best rank.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from unibench.reports.published import Column
from unibench.reports.tidy import measured_frame, published_frame

from unibench.datatypes import ResultRecord
from unibench.metrics import METRICS
from unibench.tasks import TASKS, task_order

# derived from the metric registry (unibench.metrics: every metric's unit and direction)
_METRICS = METRICS.as_dict()
LOWER_IS_BETTER = {n for n, m in _METRICS.items() if not m.higher_is_better}
PERCENT = {n for n, m in _METRICS.items() if m.unit == "percent"}
TASK_ORDER = task_order()
MEASURED_METRICS = {t: TASKS.get(t).leaderboard for t in TASK_ORDER}


@dataclass
class Row:
    model: str
    published: bool
    source: str
    backbone: str = ""
    top1: float | None = None
    top1_kind: str | None = None  # linear-probe | supervised (what top1 measures)
    cells: dict[Column, dict[str, float]] = field(default_factory=dict)
    records: list[ResultRecord] = field(default_factory=list)
    subset: str | None = None  # "3/30 seq": measured on part of the split; never ranked

    @property
    def label(self) -> str:
        if self.published:
            return f"{self.model} (published)"
        return f"{self.model} [subset {self.subset}]" if self.subset else self.model

    def best(self, col: Column) -> tuple[str, float] | None:
        vals = {t: v for t, v in self.cells.get(col, {}).items() if not math.isnan(v)}
        if not vals:
            return None
        pick = max if col.higher_better else min
        tap = pick(vals, key=lambda t: vals[t])
        return tap, vals[tap]


def rows_from_frame(df, leaderboard_only: bool = True) -> list[Row]:
    """Rows (one per model and coverage) as a pivot of the tidy table: per (task, head variant,
    benchmark, metric) column, the value of each tap."""
    rows: dict[tuple, Row] = {}
    if df is None or not len(df):
        return []
    for rec in df.itertuples():
        if leaderboard_only and rec.metric not in MEASURED_METRICS.get(rec.task, (rec.metric,)):
            if not rec.published:
                continue
        subset = None if rec.subset is None or rec.subset != rec.subset else rec.subset
        row = rows.setdefault(
            (rec.model, subset, bool(rec.published)),
            Row(
                model=rec.model,
                published=bool(rec.published),
                source=rec.source,
                backbone=rec.backbone or "",
                top1=None if rec.top1 is None or rec.top1 != rec.top1 else float(rec.top1),
                top1_kind=rec.top1_kind if isinstance(rec.top1_kind, str) else None,
                subset=subset,
            ),
        )
        col = Column(rec.task, rec.head_variant, rec.benchmark, rec.metric)
        row.cells.setdefault(col, {})[rec.tap] = float(rec.value)
    return list(rows.values())


def published_rows(tables: tuple[str, ...] = ("1", "2")) -> list[Row]:
    """The paper's rows (a pivot of the tidy table's published part)."""

    return rows_from_frame(published_frame(tables))


# ------------------------------------------------------------------------------- measured rows
def measured_rows(records: list[ResultRecord]) -> list[Row]:
    """One row per (model, checkpoint, coverage): a pivot of the tidy table's measured part (the
    newest record per column and tap wins)."""

    recs = sorted(records, key=lambda r: r.created)
    rows = rows_from_frame(measured_frame(recs))
    by_name: dict[str, list[ResultRecord]] = {}
    for r in recs:
        by_name.setdefault(r.model_name, []).append(r)
    for row in rows:
        row.records = [r for r in by_name.get(row.model, []) if r.subset == row.subset]
    return rows


def columns(rows: list[Row]) -> list[Column]:
    """Columns in the paper's order: tasks, then benchmark and head, then J&F/J/F, IDF1/HOTA/IDs."""
    cols = {c for r in rows for c in r.cells}

    def position(c: Column) -> int:
        board = MEASURED_METRICS.get(c.task, ())
        return board.index(c.metric) if c.metric in board else 9

    return sorted(
        cols,
        key=lambda c: (
            TASK_ORDER.index(c.task) if c.task in TASK_ORDER else 99,
            c.benchmark,
            c.head,
            position(c),
            c.metric,
        ),
    )


def shown(v: float) -> float:
    """A figure as the tables print it (display units, one decimal): ranks compare these."""
    return round(float(v), 1)


def ranks(rows: list[Row], col: Column) -> dict[int, int]:
    """Competition ranks (1 = best; ties share the best rank) of the rows that have the column;
    values equal at the displayed precision (one decimal) are ties; rows measured on a subset of
    the split are never ranked."""
    vals = [
        (i, shown(b[1]))
        for i, r in enumerate(rows)
        if r.subset is None and (b := r.best(col)) is not None
    ]
    sign = -1 if col.higher_better else 1
    out = {}
    for i, v in vals:
        out[i] = 1 + sum(1 for _, w in vals if sign * w < sign * v)
    return out
