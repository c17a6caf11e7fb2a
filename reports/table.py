"""Leaderboard rows and columns, from the store (measured) and the shipped paper tables (published).

A :class:`Column` is one (task, head, benchmark, metric); a :class:`Row` holds, per column, the value
of each feature layer (tap). Ranking uses each model's better layer (UniTrack's rule; the lower value
for metrics where lower is better, such as ID switches); ties share the best rank.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from importlib import resources

from unibench.tasks import TASKS, all_metrics, task_order
from unibench.types import ResultRecord

# derived from the task registry (unibench.tasks: every metric's unit and direction)
_METRICS = all_metrics()
LOWER_IS_BETTER = {n for n, m in _METRICS.items() if not m.higher_is_better} | {"IDSW"}
PERCENT = {n for n, m in _METRICS.items() if m.unit == "percent"}
TASK_ORDER = task_order()
MEASURED_METRICS = {t: TASKS.get(t).leaderboard for t in TASK_ORDER}


@dataclass(frozen=True, order=True)
class Column:
    task: str
    head: str
    benchmark: str
    metric: str

    @property
    def label(self) -> str:
        return f"{self.task.upper()} {self.metric} ({self.head}, {self.benchmark})"

    @property
    def higher_better(self) -> bool:
        return self.metric not in LOWER_IS_BETTER


@dataclass
class Row:
    model: str
    published: bool
    source: str
    backbone: str = ""
    top1: float | None = None
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


# ------------------------------------------------------------------------------ published rows
PAPER_COLUMNS = {
    "sot_auc_xcorr": Column("sot", "xcorr", "otb2015", "AUC"),
    "sot_auc_dcf": Column("sot", "dcf", "otb2015", "AUC"),
    "vos_j_mean": Column("vos", "propagation", "davis2017", "J-Mean"),
    "mot_idf1": Column("mot", "association", "mot16", "IDF1"),
    "mot_hota": Column("mot", "association", "mot16", "HOTA"),
    "mots_idf1": Column("mots", "association", "mots20", "IDF1"),
    "mots_hota": Column("mots", "association", "mots20", "HOTA"),
    "posetrack_idf1": Column("posetrack", "association", "posetrack18", "IDF1"),
    "posetrack_ids": Column("posetrack", "association", "posetrack18", "IDs"),
}
SOURCE = "UniTrack (NeurIPS 2021) Tables 1-2"


def _csv(name: str) -> list[dict[str, str]]:
    text = resources.files("unibench.reports").joinpath("data", name).read_text()
    return list(csv.DictReader(text.splitlines()))


def linear_probe() -> dict[str, float]:
    return {r["model"]: float(r["imagenet_linear_top1"]) for r in _csv("imagenet_linear_probe.csv")}


def published_rows(tables: tuple[str, ...] = ("1", "2")) -> list[Row]:
    probe = linear_probe()
    rows: dict[tuple[str, str], Row] = {}
    for r in _csv("unitrack_tables_1_2.csv"):
        if r["table"] not in tables:
            continue
        key = (r["backbone"], r["model"])
        row = rows.setdefault(
            key,
            Row(
                model=f"{r['backbone']} {r['model']}",
                published=True,
                source=f"{SOURCE}, Table {r['table']}",
                backbone=r["backbone"],
                top1=probe.get(r["model"]) if r["backbone"] == "resnet50" else None,
            ),
        )
        for name, col in PAPER_COLUMNS.items():
            if r.get(name):
                row.cells.setdefault(col, {})[r["layer"]] = float(r[name])
    return list(rows.values())


# ------------------------------------------------------------------------------- measured rows
def measured_rows(records: list[ResultRecord]) -> list[Row]:
    """One row per (model, checkpoint); the newest record per column and tap wins."""
    from unibench.appearance_models import MODELS

    rows: dict[tuple[str, str | None], Row] = {}
    for rec in sorted(records, key=lambda r: r.created):
        name = rec.model + (f" [{rec.checkpoint}]" if rec.checkpoint else "")
        card = MODELS.get(rec.model) if rec.model in MODELS else None
        # a run on part of a split is its own row, marked with its coverage
        subset = (
            f"{len(rec.sequences)}/{rec.split_size} seq" if rec.whole_split is False else None
        )
        row = rows.setdefault(
            (name, subset),
            Row(
                model=name,
                published=False,
                source="measured" if subset is None else f"measured on {subset}",
                backbone=card.arch if card else "",
                top1=card.imagenet_linear_top1 if card else None,
                subset=subset,
            ),
        )
        row.records.append(rec)
        for metric in MEASURED_METRICS.get(rec.task, tuple(rec.metrics)):
            if metric in rec.metrics:
                v = float(rec.metrics[metric])
                v = 100 * v if metric in PERCENT and v <= 1.0 + 1e-9 else v
                head = rec.head + ("+box-init" if rec.head_params.get("init_from_box") else "")
                row.cells.setdefault(Column(rec.task, head, rec.benchmark, metric), {})[rec.tap] = v
    return list(rows.values())


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


def ranks(rows: list[Row], col: Column) -> dict[int, int]:
    """Competition ranks (1 = best; ties share the best rank) of the rows that have the column;
    rows measured on a subset of the split are never ranked."""
    vals = [
        (i, b[1])
        for i, r in enumerate(rows)
        if r.subset is None and (b := r.best(col)) is not None
    ]
    sign = -1 if col.higher_better else 1
    out = {}
    for i, v in vals:
        out[i] = 1 + sum(1 for _, w in vals if sign * w < sign * v)
    return out
