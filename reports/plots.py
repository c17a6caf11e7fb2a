"""Radar plot of ranks (UniTrack Fig. 1) and correlation with ImageNet linear probing (Fig. 6).

Figures are drawn on ``matplotlib.figure.Figure`` objects (no pyplot, no rcParams changes), with the
Agg canvas, and saved as PNG and SVG.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from unibench.reports.table import TASK_ORDER, Column, Row, columns, ranks

REDUCERS: dict[str, Callable[[list[float]], float]] = {
    "mean": lambda xs: float(np.mean(xs)),  # average the ranks of the task's metrics
    "best": lambda xs: float(min(xs)),  # the model's best rank among them
    "first": lambda xs: float(xs[0]),  # the first metric of the task (e.g. IDF1, SOT XCorr)
}


def task_ranks(rows: list[Row], reduce: str = "mean") -> tuple[list[str], np.ndarray]:
    """Per task, each row's rank among ``rows`` (several metrics reduced by ``reduce``).

    Returns the task names and an ``len(rows) × tasks`` array (NaN where a row lacks the task)."""
    if reduce not in REDUCERS:
        raise ValueError(f"unknown rank reduction {reduce!r}; options: {', '.join(REDUCERS)}")
    cols = columns(rows)
    tasks = [t for t in TASK_ORDER if any(c.task == t for c in cols)]
    tasks += sorted({c.task for c in cols} - set(tasks))
    out = np.full((len(rows), len(tasks)), np.nan)
    for j, t in enumerate(tasks):
        per_col = [ranks(rows, c) for c in cols if c.task == t]
        for i in range(len(rows)):
            rs = [float(rk[i]) for rk in per_col if i in rk]
            if rs:
                out[i, j] = REDUCERS[reduce](rs)
    return tasks, out


def _save(fig, out: Path) -> list[Path]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    out.parent.mkdir(parents=True, exist_ok=True)
    paths = [out.with_suffix(".png"), out.with_suffix(".svg")]
    for p in paths:
        fig.savefig(p, dpi=150, bbox_inches="tight")
    return paths


def radar(
    rows: list[Row],
    out: Path,
    reduce: str = "mean",
    reference: str = "ImageNet-sup.",
    title: str = "Rank per task",
) -> list[Path]:
    """One polygon per row; radius = (n − rank + 1) / n, so the best rank sits on the rim."""
    from matplotlib.figure import Figure

    tasks, rk = task_ranks(rows, reduce)
    n = len(rows)
    angles = np.linspace(0, 2 * math.pi, len(tasks), endpoint=False).tolist()
    fig = Figure(figsize=(7, 7))
    ax = fig.add_subplot(projection="polar")
    cmap = __import__("matplotlib").colormaps["tab20"]
    for i, r in enumerate(rows):
        radius = (n - rk[i] + 1) / n
        vals = np.nan_to_num(radius, nan=0.0).tolist()
        is_ref = reference and reference in r.model
        style = (
            dict(color="grey", linestyle="--", linewidth=2.0)
            if is_ref
            else dict(color=cmap(i % 20), linewidth=1.2)
        )
        ax.plot(angles + angles[:1], vals + vals[:1], label=r.label, **style)
        if not is_ref:
            ax.fill(angles + angles[:1], vals + vals[:1], alpha=0.05, color=style["color"])
    ax.set_xticks(angles)
    ax.set_xticklabels([t.upper() for t in tasks])
    ax.set_ylim(0, 1.0)
    ticks = sorted({1.0, 0.5, 1 / n})
    ax.set_yticks(ticks)
    ax.set_yticklabels([f"rank {round(n - t * n + 1)}" for t in ticks], fontsize=7)
    ax.set_title(f"{title} (rim = best of {n}; several metrics per task: {reduce} rank)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.05, 1.0), fontsize=7)
    return _save(fig, out)


@dataclass
class Correlation:
    column: Column
    models: list[str]
    x: list[float]
    y: list[float]
    pearson: float
    spearman: float


def correlations(rows: list[Row]) -> list[Correlation]:
    """Per column: best-layer value vs ImageNet linear-probe top-1 over the rows that have both."""
    from scipy import stats

    out = []
    for c in columns(rows):
        pts = [
            (r.model, r.top1, b[1])
            for r in rows
            if r.top1 is not None and (b := r.best(c)) is not None
        ]
        if len(pts) < 3:
            continue
        names, x, y = zip(*pts, strict=True)
        x, y = list(map(float, x)), list(map(float, y))
        if len(set(x)) < 2 or len(set(y)) < 2:
            continue
        out.append(
            Correlation(
                c,
                list(names),
                x,
                y,
                float(stats.pearsonr(x, y)[0]),
                float(stats.spearmanr(x, y)[0]),
            )
        )
    return out


def correlation_figure(
    corrs: list[Correlation], out: Path, title: str = "Tracking vs ImageNet linear probe"
) -> list[Path]:
    from matplotlib.figure import Figure

    n = max(1, len(corrs))
    ncol = min(3, n)
    nrow = math.ceil(n / ncol)
    fig = Figure(figsize=(4.2 * ncol, 3.6 * nrow))
    for k, c in enumerate(corrs):
        ax = fig.add_subplot(nrow, ncol, k + 1)
        ax.scatter(c.x, c.y, s=18)
        for name, xi, yi in zip(c.models, c.x, c.y, strict=True):
            ax.annotate(name.split()[-1], (xi, yi), fontsize=6, alpha=0.7)
        a, b = np.polyfit(c.x, c.y, 1)
        xs = np.linspace(min(c.x), max(c.x), 10)
        ax.plot(xs, a * xs + b, color="grey", linewidth=1)
        ax.set_title(f"{c.column.task.upper()} {c.column.metric} ({c.column.head})", fontsize=9)
        ax.set_xlabel("ImageNet linear-probe top-1 (%)", fontsize=8)
        ax.text(
            0.03,
            0.95,
            f"Pearson r = {c.pearson:.2f}\nSpearman ρ = {c.spearman:.2f}",
            transform=ax.transAxes,
            va="top",
            fontsize=8,
            bbox=dict(facecolor="white", alpha=0.8, edgecolor="none"),
        )
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, out)
