"""The leaderboard's layout, shared by its formats (:mod:`unibench.reports.formats`: Markdown, HTML,
LaTeX): one section per task × benchmark of the tidy table.

A section holds the measured rows and the paper's rows of one benchmark side by side, each with its
source; synthetic suites get their own sections, titled as not comparable with real benchmarks. A
model's rows share its canonical ``model_key`` (measured ``resnet50`` ↔ the paper's "Random Init.").
A cell shows the value of each feature layer (``layer3 / layer4``), the better one bold (none when
they tie); the column's best row is underlined; HTML and LaTeX shade each cell by its rank in the
column (ties share the best rank; rows measured on part of a split are never ranked). Values are
formatted by metric type: counts as integers, percent figures with one decimal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from unibench.reports.table import shown
from unibench.reports.tidy import fmt

from unibench.datatypes import PRECISION_MARK
from unibench.tasks import TASKS, task_order

if TYPE_CHECKING:
    import pandas as pd


TAP_ORDER = ("layer3", "layer4")
SYNTHETIC_NOTE = "synthetic suite: not comparable with real benchmarks"


def _num(v: float) -> str:
    if math.isnan(v):
        return "–"
    return f"{v:.0f}" if abs(v) >= 1000 else f"{v:.1f}"


# ------------------------------------------------------------------------------------ sections
@dataclass
class Cell:
    values: dict[str, float | int]  # tap -> value
    higher_is_better: bool
    metric: str

    def best(self) -> tuple[str, float] | None:
        vals = {t: v for t, v in self.values.items() if not _nan(v)}
        if not vals:
            return None
        pick = max if self.higher_is_better else min
        tap = pick(vals, key=lambda t: vals[t])
        return tap, vals[tap]

    def parts(self) -> list[tuple[str, str, bool]]:
        """Each tap's name (empty where the cell follows the ``layer3 / layer4`` convention or
        holds one tap), formatted value and whether it is bold (strictly the better tap)."""
        best = self.best()
        distinct = len({v for v in self.values.values() if not _nan(v)}) > 1
        taps = sorted(self.values, key=lambda t: (TAP_ORDER.index(t) if t in TAP_ORDER else 9, t))
        named = len(taps) > 1 and not set(taps) <= set(TAP_ORDER)
        return [
            (
                t if named else "",
                fmt(self.metric, self.values[t]),
                distinct and best is not None and t == best[0],
            )
            for t in taps
        ]


def _nan(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


@dataclass
class SectionRow:
    key: str  # model_key
    label: str
    source: str
    published: bool
    ranked: bool  # False for rows measured on part of a split
    run_ids: list[tuple[str, str]] = field(default_factory=list)  # (run id, tap) with drill-down
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)


@dataclass
class Section:
    task: str
    benchmark: str
    synthetic: bool
    columns: list[tuple[str, str]]  # (head variant, metric)
    rows: list[SectionRow]

    @property
    def measured(self) -> bool:
        """Whether the section holds a row the user measured (else: published rows only)."""
        return any(not r.published for r in self.rows)

    @property
    def title(self) -> str:
        t = TASKS.get(self.task).title if self.task in TASKS else self.task
        note = f" ({SYNTHETIC_NOTE})" if self.synthetic else ""
        return f"{self.task.upper()} · {t} · {self.benchmark}{note}"

    def ranks(self, col: tuple[str, str]) -> dict[int, int]:
        """Competition ranks (1 = best) of the ranked rows that have the column."""
        vals = [
            (i, shown(b[1]))  # equal at the displayed precision: equal rank (as the radar)
            for i, r in enumerate(self.rows)
            if r.ranked and col in r.cells and (b := r.cells[col].best()) is not None
        ]
        hib = next(iter(r.cells[col].higher_is_better for r in self.rows if col in r.cells), True)
        sign = -1 if hib else 1
        return {i: 1 + sum(1 for _, w in vals if sign * w < sign * v) for i, v in vals}


def sections(df: pd.DataFrame, leaderboard_only: bool = True) -> list[Section]:
    """The tidy table cut into task × benchmark sections (real benchmarks first, in the paper's
    task order; synthetic suites after them), each a pivot of its rows."""
    if df is None or not len(df):
        return []
    order = task_order()
    out = []
    groups = df.groupby(["synthetic", "task", "benchmark"], sort=False, dropna=False)
    keys = sorted(
        groups.groups,
        key=lambda k: (bool(k[0]), order.index(k[1]) if k[1] in order else 99, k[2]),
    )
    for synthetic, task, benchmark in keys:
        g = groups.get_group((synthetic, task, benchmark))
        board = TASKS.get(task).leaderboard if task in TASKS else ()
        if leaderboard_only and board and g["metric"].isin(board).any():
            g = g[g["metric"].isin(board)]  # else (e.g. YouTube-VOS' seen/unseen): all metrics
        if not len(g):
            continue
        metrics = [m for m in board if m in set(g["metric"])] or sorted(set(g["metric"]))
        heads = sorted(set(g["head_variant"]))
        columns = [
            (h, m)
            for h in heads
            for m in metrics
            if len(g[(g.head_variant == h) & (g.metric == m)])
        ]
        rows: dict[tuple, SectionRow] = {}
        for (key, model, source, published, subset), rg in g.groupby(
            ["model_key", "model", "source", "published", "subset"], sort=False, dropna=False
        ):
            label = model if published or key == model else _label(model, key)
            r = rows.setdefault(
                (key, model, source),
                SectionRow(key, label, source, bool(published), _nan(subset) or subset is None),
            )
            for rec in rg.itertuples():
                cell = r.cells.setdefault(
                    (rec.head_variant, rec.metric),
                    Cell({}, bool(rec.higher_is_better), rec.metric),
                )
                cell.values[rec.tap] = rec.value
                if not published and (rec.run_id, rec.tap) not in r.run_ids:
                    r.run_ids.append((rec.run_id, rec.tap))
        ordered = sorted(rows.values(), key=lambda r: (r.key.lower(), r.published, r.label))
        out.append(Section(task, benchmark, bool(synthetic), columns, ordered))
    # the user's own measured sections first; sections of published rows only after them
    return [s for s in out if s.measured] + [s for s in out if not s.measured]


PUBLISHED_TITLE = "Published tables (UniTrack Tables 1–2, not re-measured)"


def _col_name(col: tuple[str, str]) -> str:
    head, metric = col
    return f"{metric} ({head})"


def _cell_text(sec: Section, i: int, col, rk: dict[int, int], bold, under, esc=str) -> str:
    r = sec.rows[i]
    if col not in r.cells:
        return ""
    parts = []
    for tap, v, b in r.cells[col].parts():
        text = f"{esc(tap)} {v}" if tap else v
        parts.append(bold(text) if b else text)
    text = " / ".join(parts)
    if rk.get(i) == 1 and len(rk) > 1:
        text = under(text)
    return text


LEGEND = (
    "layer3 / layer4 where both exist (other taps of one model are named in the cell); bold: the "
    "better tap of the cell; underlined: the column's best; "
    "published rows are the paper's figures, not re-measured; rows measured on part of a split "
    "are not ranked"
)


# ------------------------------------------------------------------------------------ styler
def _frame(sec: Section, bold, under, esc, extra=None):
    """The section as a display DataFrame with grouped columns task → benchmark → metric (head),
    plus the CSS of each cell (rank shading) and the numeric sort keys."""
    import pandas as pd

    ranks = {c: sec.ranks(c) for c in sec.columns}
    top = sec.task.upper()
    cols = [("", "", "model"), ("", "", "source")] + [
        (top, sec.benchmark, _col_name(c)) for c in sec.columns
    ]
    data, css = [], []
    for i, r in enumerate(sec.rows):
        label = esc(r.label) + (extra(r) if extra else "")
        row = [label, esc(r.source)]
        style = ["", ""]
        for c in sec.columns:
            row.append(_cell_text(sec, i, c, ranks[c], bold, under, esc))
            n, rank = len(ranks[c]), ranks[c].get(i)
            if rank is not None and n > 1:
                g = 1 - (rank - 1) / (n - 1)
                shade = int(round(255 - 110 * g)), 255, int(round(255 - 110 * g))
                style.append("background-color: #{:02x}{:02x}{:02x}".format(*shade))
            else:
                style.append("")
        data.append(row)
        css.append(style)
    index = pd.MultiIndex.from_tuples(cols)
    return pd.DataFrame(data, columns=index), pd.DataFrame(css, columns=index)


def _label(model: str, key: str) -> str:
    """A measured row's label: its name and, where it adds something, the published row it is
    aligned with (``resnet18`` ↔ "Random Init.", not "resnet18 (resnet18 Random Init.)"); the
    reduced-precision mark both carry ends the label once."""
    for mark in (PRECISION_MARK,):
        if model.endswith(mark) and key.endswith(mark):
            return _label(model[: -len(mark)], key[: -len(mark)]) + mark
    arch = model.split(".")[0]
    extra = key[len(arch) + 1 :] if key.startswith(arch + " ") else key
    return f"{model} ({extra})" if extra and extra != model else model
