"""Figures: radar of ranks (UniTrack Fig. 1), correlation with ImageNet linear probing (Fig. 6) and
the SOT one-pass-evaluation curves (success and precision plots of the OTB/got10k/pytracking
toolkits).

Figures are drawn on ``matplotlib.figure.Figure`` objects (no pyplot, no rcParams changes) with the
Agg canvas, and every figure is saved as PNG, SVG and PDF (for LaTeX inclusion).

* Radar: a task a model was not run on is a gap in its polygon (not the centre, which would read as
  the worst rank), and the legend says so; with more than ``max_models`` (8) models only the best
  ``max_models`` by mean rank are drawn, plus the reference model highlighted, and the title says
  how many were left out.
* Correlation: per column, Pearson r and Spearman ρ with their two-sided p-values (exact
  permutation up to 8 models) and a bootstrap 95%
  interval (resampling models with replacement, 2000 draws, fixed seed); a lower-is-better metric
  (ID switches) is sign-flipped so that up is better, and the axis says so; labels are placed to
  avoid each other and the points; the coefficients sit in the panel title, not over the points.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from unibench.reports.table import TASK_ORDER, Column, Row, columns, ranks

from unibench.datatypes import PRECISION_MARK

REDUCERS: dict[str, Callable[[list[float]], float]] = {
    "mean": lambda xs: float(np.mean(xs)),  # average the ranks of the task's metrics
    "best": lambda xs: float(min(xs)),  # the model's best rank among them
    "first": lambda xs: float(xs[0]),  # the first metric of the task (e.g. IDF1, SOT XCorr)
}
FORMATS = (".png", ".svg", ".pdf")


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


def save(fig, out: Path) -> list[Path]:
    """PNG, SVG and PDF of ``fig`` beside each other (``out`` without suffix)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    out.parent.mkdir(parents=True, exist_ok=True)
    paths = [out.with_name(out.name + s) for s in FORMATS]  # stems may hold dots
    for p in paths:
        fig.savefig(p, dpi=150, bbox_inches="tight")
    return paths


_save = save  # the name used before


def radar(
    rows: list[Row],
    out: Path,
    reduce: str = "mean",
    reference: str = "ImageNet-sup.",
    title: str = "Rank per task",
    max_models: int = 8,
) -> list[Path]:
    """One polygon per row; radius = (n − rank + 1) / n, so the best rank sits on the rim."""
    return save(radar_figure(rows, reduce, reference, title, max_models), out)


def radar_figure(
    rows: list[Row],
    reduce: str = "mean",
    reference: str = "ImageNet-sup.",
    title: str = "Rank per task",
    max_models: int = 8,
):
    """The radar as a matplotlib Figure (see :func:`radar`)."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    unranked = [r for r in rows if r.subset is not None]  # never ranked, never drawn
    rows = [r for r in rows if r.subset is None]
    tasks, rk = task_ranks(rows, reduce)
    n = len(rows)
    shown = list(range(n))
    dropped = 0
    if n > max_models:
        mean = np.nanmean(np.where(np.isnan(rk), np.inf, rk), axis=1)
        order = sorted(range(n), key=lambda i: (mean[i], rows[i].label))
        ref = [i for i in range(n) if reference and reference in rows[i].model]
        shown = sorted(set(order[:max_models]) | set(ref[:1]))
        dropped = n - len(shown)
    angles = np.linspace(0, 2 * math.pi, len(tasks), endpoint=False).tolist()
    fig = Figure(figsize=(8, 7))
    ax = fig.add_subplot(projection="polar")
    cmap = __import__("matplotlib").colormaps["tab10"]
    missing_any = False
    for k, i in enumerate(shown):
        r = rows[i]
        radius = (n - rk[i] + 1) / n  # NaN stays NaN: a gap, never the centre
        missing_any |= bool(np.isnan(radius).any())
        vals = radius.tolist()
        is_ref = bool(reference) and reference in r.model
        style = (
            dict(color="black", linestyle="--", linewidth=2.2)
            if is_ref
            else dict(color=cmap(k % 10), linewidth=1.3)
        )
        ax.plot(angles + angles[:1], vals + vals[:1], marker="o", markersize=3, **style)
        if not is_ref and not np.isnan(radius).any():
            ax.fill(angles + angles[:1], vals + vals[:1], alpha=0.05, color=style["color"])
    handles = [
        Line2D(
            [0],
            [0],
            color="black" if (reference and reference in rows[i].model) else cmap(k % 10),
            linestyle="--" if (reference and reference in rows[i].model) else "-",
            label=rows[i].label
            + (" (reference)" if reference and reference in rows[i].model else "")
            + (" · gap = task not measured" if np.isnan(rk[i]).any() else ""),
        )
        for k, i in enumerate(shown)
    ]
    ax.set_xticks(angles)
    ax.set_xticklabels([t.upper() for t in tasks], fontsize=9)
    ax.tick_params(axis="x", pad=10)
    ax.set_ylim(0, 1.0)
    ticks = sorted({1.0, 0.5, 1 / max(n, 1)})
    ax.set_yticks(ticks)
    ax.set_yticklabels([f"rank {round(n - t * n + 1)}" for t in ticks], fontsize=7)
    note = f"; top {len(shown)} of {n} shown" if dropped else ""
    ax.set_title(
        f"{title}\n(rim = best of {n} ranked; a task's metrics: {reduce} rank{note})", pad=24
    )
    # the values: each drawn model's rank per task (equal at the shown precision = equal rank)
    lines = ["rank per task: " + "  ".join(t.upper() for t in tasks)]
    for i in shown:
        cells = ["–" if np.isnan(v) else f"{v:g}" for v in rk[i]]
        lines.append(f"{rows[i].label[:28]}: " + "  ".join(cells))
    lines += [f"not ranked: {r.label} (measured on a subset: {r.subset})"
              for r in unranked]  # fmt: skip
    fig.text(0.02, 0.01, "\n".join(lines), fontsize=6, family="monospace", va="bottom")
    fig.subplots_adjust(bottom=0.06 + 0.022 * len(lines))
    legend_title = "a missing task is a gap, not the worst rank" if missing_any else None
    fig.legend(
        handles=handles,
        loc="center left",
        bbox_to_anchor=(0.78, 0.5),
        fontsize=7,
        title=legend_title,
        title_fontsize=7,
        frameon=False,
    )
    fig.subplots_adjust(left=0.05, right=0.72)
    return fig


@dataclass
class Correlation:
    column: Column
    models: list[str]
    x: list[float]
    y: list[float]  # sign-flipped where lower is better (``flipped``)
    pearson: float
    spearman: float
    pearson_p: float = float("nan")
    spearman_p: float = float("nan")
    pearson_ci: tuple[float, float] = (float("nan"), float("nan"))
    spearman_ci: tuple[float, float] = (float("nan"), float("nan"))
    flipped: bool = False
    # the point set: what the top-1 measures (linear-probe | supervised) and the feature path
    # (fp32, or bf16 rows apart): sets are never pooled
    top1_kind: str = "linear-probe"
    precision: str = "fp32"

    @property
    def points(self) -> str:
        what = "supervised top-1" if self.top1_kind == "supervised" else "linear-probe top-1"
        return what + ("" if self.precision == "fp32" else f", {self.precision}")

    @property
    def ylabel(self) -> str:
        m = self.column.metric
        return f"−{m} (lower is better, flipped)" if self.flipped else m


def _rowwise_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson's r of every row pair of two ``draws × n`` arrays (scipy's definition)."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.clip(np.einsum("ij,ij->i", a, b), -1.0, 1.0)


def bootstrap_ci(
    x: list[float], y: list[float], method: str = "pearson", draws: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile 95% interval of Pearson's r (``method="pearson"``) or Spearman's ρ (Pearson's r
    of the average ranks, scipy's definition) over resampled (x, y) pairs; draws where a resample
    is constant (undefined coefficient) are skipped. The resamples are drawn one at a time from
    ``default_rng(seed)`` as before; the coefficients are computed for all draws at once (scipy's
    per-draw calls took ~45 s for one report's correlation figure)."""
    from scipy.stats import rankdata

    rng = np.random.default_rng(seed)
    x, y = np.asarray(x, float), np.asarray(y, float)
    idx = np.stack([rng.integers(0, len(x), len(x)) for _ in range(draws)])
    xs, ys = x[idx], y[idx]
    keep = (np.ptp(xs, axis=1) != 0) & (np.ptp(ys, axis=1) != 0)
    if not keep.any():
        return float("nan"), float("nan")
    xs, ys = xs[keep], ys[keep]
    if method == "spearman":
        xs, ys = rankdata(xs, axis=1), rankdata(ys, axis=1)
    elif method != "pearson":
        raise ValueError(f"method {method!r}: expected pearson or spearman")
    lo, hi = np.percentile(_rowwise_pearson(xs, ys), [2.5, 97.5])
    return float(lo), float(hi)


EXACT_P_UP_TO = 8  # points: below this many, p-values by exact permutation (n! orderings)


def permutation_p(x: list[float], y: list[float], method: str = "pearson") -> float:
    """Two-sided p-value of Pearson's r (or Spearman's ρ) by exact permutation: the share of the
    n! orderings of ``y`` whose coefficient is at least as far from 0 as the observed one. The
    asymptotic p-values scipy returns assume large n (its Spearman p is 0 for any perfect rank
    order, even of 4 points, where the exact value is 2/24 ≈ 0.083)."""
    from scipy.stats import rankdata

    x, y = np.asarray(x, float), np.asarray(y, float)
    if method == "spearman":
        x, y = rankdata(x), rankdata(y)
    perms = np.array(list(itertools.permutations(range(len(y)))))
    r = _rowwise_pearson(np.broadcast_to(x, perms.shape), y[perms])
    observed = _rowwise_pearson(x[None], y[None])[0]
    return float(np.mean(np.abs(r) >= abs(observed) - 1e-12))


def correlations(rows: list[Row], draws: int = 2000) -> list[Correlation]:
    """Per column and point set: best-layer value vs ImageNet top-1 over the rows that have both.
    A point set holds the rows whose top-1 is of one kind (a linear probe of the frozen trunk, or
    the supervised network's own accuracy: never pooled) on one feature path (the bf16 rows are a
    set of their own, never beside their float32 rows); rows measured on part of a split are
    left out. p-values by exact permutation where there are at most :data:`EXACT_P_UP_TO` points,
    scipy's otherwise."""
    from scipy import stats

    out = []
    for c in columns(rows):
        sets: dict[tuple[str, str], list] = {}
        for r in rows:
            if r.top1 is None or r.subset is not None or (b := r.best(c)) is None:
                continue
            bf16 = r.model.endswith(PRECISION_MARK)
            key = (r.top1_kind or "linear-probe", "bf16" if bf16 else "fp32")
            sets.setdefault(key, []).append((r.model, r.top1, b[1]))
        for (kind, precision), pts in sorted(sets.items()):
            if len(pts) < 3:
                continue
            names, x, y = zip(*pts, strict=True)
            x = list(map(float, x))
            flip = not c.higher_better
            y = [(-1.0 if flip else 1.0) * float(v) for v in y]
            if len(set(x)) < 2 or len(set(y)) < 2:
                continue
            pr, sr = stats.pearsonr(x, y), stats.spearmanr(x, y)
            if len(x) <= EXACT_P_UP_TO:
                pr = (pr[0], permutation_p(x, y, "pearson"))
                sr = (sr[0], permutation_p(x, y, "spearman"))
            out.append(
                Correlation(
                    c, list(names), x, y, float(pr[0]), float(sr[0]), float(pr[1]), float(sr[1]),
                    bootstrap_ci(x, y, "pearson", draws), bootstrap_ci(x, y, "spearman", draws),
                    flip, kind, precision,
                )
            )  # fmt: skip
    return out


def place_labels(ax, xs, ys, labels, fontsize=6) -> None:
    """Annotate points with labels placed greedily among 8 offsets so that no two label boxes
    (and no label and point) overlap, where the panel leaves room; a leader line where moved."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = ax.figure
    if fig.canvas is None or not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    pts = ax.transData.transform(np.c_[xs, ys])
    frame = ax.get_window_extent(renderer)  # labels stay inside the axes
    k = fig.dpi / 72.0  # offsets are in points, boxes in pixels
    taken = [(px - 3, py - 3, px + 3, py + 3) for px, py in pts]
    offsets = [(5, 4), (5, -10), (-5, 4), (-5, -10), (0, 10), (0, -14), (12, 0), (-12, 0)]
    for (px, py), label in zip(pts, labels, strict=True):
        placed = None
        for dx, dy in [*offsets, *[(2 * a, 2 * b) for a, b in offsets]]:
            t = ax.annotate(
                label,
                (0, 0),
                xycoords="axes pixels",
                fontsize=fontsize,
                ha="left" if dx >= 0 else "right",
            )
            bb = t.get_window_extent(renderer)
            t.remove()
            x0 = px + k * dx if dx >= 0 else px + k * dx - bb.width
            box = (x0, py + k * dy, x0 + bb.width, py + k * dy + bb.height)
            inside = (
                frame.x0 <= box[0] and box[2] <= frame.x1 and frame.y0 <= box[1]
                and box[3] <= frame.y1
            )  # fmt: skip
            if inside and not any(
                box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in taken
            ):
                placed = (dx, dy, box)
                break
        if placed is None:  # no free place inside: towards the axes' centre, overlaps allowed
            dx = -8 if px > (frame.x0 + frame.x1) / 2 else 5
            dy = -12 if py > (frame.y0 + frame.y1) / 2 else 4
            box = (px + k * dx, py + k * dy, px + k * dx + 1, py + k * dy + 1)
        else:
            dx, dy, box = placed
        taken.append(box)
        ax.annotate(
            label,
            ax.transData.inverted().transform((px, py)),
            xytext=(dx, dy),
            textcoords="offset points",
            fontsize=fontsize,
            ha="left" if dx >= 0 else "right",
            arrowprops=dict(arrowstyle="-", lw=0.4, color="grey")
            if abs(dx) + abs(dy) > 12
            else None,
        )


TOP1_AXIS = {
    "linear-probe": "ImageNet top-1 (%): linear probe of the frozen trunk",
    "supervised": "ImageNet top-1 (%): the supervised network's own accuracy",
}


def correlation_figure(corrs: list[Correlation], out: Path, title: str = "") -> list[Path]:
    """One panel per column; each point set (kind of top-1 × feature path) drawn with its own
    marker, fit and coefficients, never pooled; the axis says what the top-1 is."""
    return save(correlation_axes(corrs, title), out)


def correlation_axes(corrs: list[Correlation], title: str = ""):
    """The figure :func:`correlation_figure` saves (labels placed)."""
    from matplotlib.figure import Figure

    panels: dict[Column, list[Correlation]] = {}
    for c in corrs:
        panels.setdefault(c.column, []).append(c)
    kinds = {c.top1_kind for c in corrs}
    title = title or "Tracking vs ImageNet top-1: " + (
        TOP1_AXIS[next(iter(kinds))].split(": ", 1)[1] if len(kinds) == 1 else "by point set"
    )
    n = max(1, len(panels))
    ncol = min(3, n)
    nrow = math.ceil(n / ncol)
    fig = Figure(figsize=(4.8 * ncol, 4.4 * nrow))
    placed = []
    markers = {("linear-probe", "fp32"): ("o", "C0"), ("supervised", "fp32"): ("s", "C1"),
               ("linear-probe", "bf16"): ("^", "C2"), ("supervised", "bf16"): ("D", "C3")}  # fmt: skip
    for k, (col, sets) in enumerate(panels.items()):
        ax = fig.add_subplot(nrow, ncol, k + 1)
        for c in sets:
            marker, color = markers.get((c.top1_kind, c.precision), ("o", "C4"))
            ax.scatter(c.x, c.y, s=20, zorder=3, marker=marker, color=color,
                       label=f"{c.points}: r = {c.pearson:.2f} [{c.pearson_ci[0]:.2f}, "
                       f"{c.pearson_ci[1]:.2f}], p = {c.pearson_p:.2g}; ρ = {c.spearman:.2f} "
                       f"[{c.spearman_ci[0]:.2f}, {c.spearman_ci[1]:.2f}], p = {c.spearman_p:.2g}; "
                       f"n = {len(c.x)}")  # fmt: skip
            a, b = np.polyfit(c.x, c.y, 1)
            xs = np.linspace(min(c.x), max(c.x), 10)
            ax.plot(xs, a * xs + b, color=color, linewidth=1, alpha=0.6)
            placed.append((ax, c))
        set_kinds = {c.top1_kind for c in sets}
        ax.set_xlabel(
            TOP1_AXIS[next(iter(set_kinds))] if len(set_kinds) == 1
            else "ImageNet top-1 (%): each set as its legend says (never pooled)",
            fontsize=7,
        )  # fmt: skip
        ax.set_ylabel(sets[0].ylabel, fontsize=8)
        ax.margins(0.18)
        ax.set_title(f"{col.task.upper()} {col.metric} ({col.head}, {col.benchmark})", fontsize=8)
        ax.legend(fontsize=5.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)
    fig.suptitle(f"{title} (brackets: bootstrap 95% interval)", fontsize=9)
    fig.tight_layout()
    # after the layout (pixel positions are final), every point set of a panel in one call: a
    # label never lands on another set's label where two sets' points nearly coincide
    by_ax: dict[int, tuple] = {}
    for ax, c in placed:
        _, xs, ys, labels = by_ax.setdefault(id(ax), (ax, [], [], []))
        xs += list(c.x)
        ys += list(c.y)
        labels += [m.split()[-1] for m in c.models]
    for ax, xs, ys, labels in by_ax.values():
        place_labels(ax, xs, ys, labels)
    return fig


def ope_figure(curves: dict[str, dict], out: Path, title: str) -> list[Path]:
    """Success (and, where present, precision) plots of one SOT benchmark: one curve per run,
    AUC / precision@20 px in the legend (the OTB toolkit's convention)."""
    from matplotlib.figure import Figure

    has_prec = any("precision" in c for c in curves.values())
    fig = Figure(figsize=(10 if has_prec else 5.2, 4.2))
    ax = fig.add_subplot(1, 2 if has_prec else 1, 1)
    # whole-split curves ranked by AUC; runs on a subset of the split (``"subset": "k/n"``) are
    # drawn dashed after them, never sorted among them
    items = sorted(
        curves.items(), key=lambda kv: ("subset" in kv[1], -float(np.mean(kv[1]["success"])))
    )
    for name, c in items:
        auc = 100 * float(np.mean(c["success"]))
        ax.plot(c["iou_thresholds"], c["success"], label=f"{name} [{auc:.1f}]",
                linestyle="--" if "subset" in c else "-")  # fmt: skip
    ax.set_xlabel("overlap threshold (IoU)")
    ax.set_ylabel("success rate")
    ax.set_title("Success plot (AUC)")
    ax.legend(fontsize=7, loc="lower left")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    if has_prec:
        ax2 = fig.add_subplot(1, 2, 2)
        items = sorted(
            ((k, v) for k, v in curves.items() if "precision" in v),
            key=lambda kv: ("subset" in kv[1], -kv[1]["precision"][20]),
        )
        for name, c in items:
            ax2.plot(
                c["pixel_thresholds"],
                c["precision"],
                label=f"{name} [{100 * c['precision'][20]:.1f}]",
                linestyle="--" if "subset" in c else "-",
            )
        ax2.set_xlabel("location error threshold (px)")
        ax2.set_ylabel("precision")
        ax2.set_title("Precision plot (at 20 px)")
        ax2.legend(fontsize=7, loc="lower right")
        ax2.set_xlim(0, 50)
        ax2.set_ylim(0, 1)
    fig.suptitle(title)
    fig.tight_layout()
    return save(fig, out)


def prre_figure(curves: dict[str, dict], out: Path, title: str) -> list[Path]:
    """VOT long-term: the precision/recall curve over the confidence thresholds (the best F of
    each run marked) and the F-score against the threshold's rank, one line per run."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4.2))
    ax, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    items = sorted(curves.items(), key=lambda kv: ("subset" in kv[1], -max(kv[1]["f"])))
    for name, c in items:
        style = "--" if "subset" in c else "-"
        best = int(np.argmax(c["f"]))
        line = ax.plot(c["recall"], c["precision"], style, label=f"{name} [{max(c['f']):.3f}]")
        ax.plot([c["recall"][best]], [c["precision"][best]], "o", color=line[0].get_color())
        ax2.plot(range(len(c["f"])), c["f"], style, label=name)
    ax.set_xlabel("tracking recall")
    ax.set_ylabel("tracking precision")
    ax.set_title("Precision/recall (F-score at its maximum)")
    ax.legend(fontsize=7, loc="lower left")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax2.set_xlabel("confidence threshold (rank, high to low)")
    ax2.set_ylabel("F-score")
    ax2.set_title("F-score over the thresholds")
    ax2.set_ylim(0, 1)
    fig.suptitle(title)
    fig.tight_layout()
    return save(fig, out)


def eao_figure(curves: dict[str, dict], out: Path, title: str) -> list[Path]:
    """VOT: the expected-average-overlap curve over sequence length, the EAO interval shaded."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.6, 4.2))
    ax = fig.add_subplot(1, 1, 1)
    low, high = next(iter(curves.values()))["eao_interval"]
    ax.axvspan(low, high, color="0.9")
    items = sorted(curves.items(), key=lambda kv: ("subset" in kv[1], -kv[1]["eao"][0]))
    for name, c in items:
        lo, hi = c["eao_interval"]
        eao = float(np.mean(c["eao"][lo : hi + 1]))
        ax.plot(c["eao"], "--" if "subset" in c else "-", label=f"{name} [{eao:.3f}]")
    ax.set_xlabel("sequence length (frames)")
    ax.set_ylabel("expected average overlap")
    ax.set_title(f"EAO curve (interval [{low}, {high}] shaded)")
    ax.legend(fontsize=7, loc="upper right")
    ax.set_ylim(0, 1)
    fig.suptitle(title)
    fig.tight_layout()
    return save(fig, out)


def sequence_bars(per: dict[str, dict[str, float]], out: Path, title: str) -> list[Path]:
    """Per-sequence bars of one VOS benchmark (J&F-Mean, 0–100; ``per``: run label → sequence →
    value, the label carrying the run's summary): the sequences sorted by the first run's score,
    lowest first (where it fails is where one looks), the runs side by side; a run missing a
    sequence leaves its bar out."""
    from matplotlib.figure import Figure

    runs = list(per)
    first = per[runs[0]]
    seqs = sorted({s for v in per.values() for s in v}, key=lambda s: (first.get(s, 1e9), s))
    width = 0.8 / len(runs)
    fig = Figure(figsize=(min(max(5.0, 0.32 * len(seqs) * max(1, len(runs)) ** 0.5 + 1.5), 18), 4))
    ax = fig.add_subplot(1, 1, 1)
    x = np.arange(len(seqs))
    for i, name in enumerate(runs):
        vals = np.array([per[name].get(s, np.nan) for s in seqs], float)
        ax.bar(x + (i - (len(runs) - 1) / 2) * width, np.nan_to_num(vals), width, label=name)
    ax.set_xticks(x)
    ax.set_xticklabels(seqs, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("J&F-Mean")
    ax.set_ylim(0, 100)
    ax.set_xlim(-0.6, len(seqs) - 0.4)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return save(fig, out)


def alpha_figure(curves: dict[str, dict], out: Path, title: str) -> list[Path]:
    """HOTA, DetA and AssA (display units, 0–100) against the localisation threshold α, one
    panel each, one line per run, the α-averaged value in the legend (TrackEval's plots)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 3.8))
    for i, key in enumerate(("HOTA", "DetA", "AssA")):
        ax = fig.add_subplot(1, 3, i + 1)
        items = sorted(curves.items(), key=lambda kv: -float(np.mean(kv[1][key])))
        for name, c in items:
            ax.plot(c["alpha"], c[key], label=f"{name} [{float(np.mean(c[key])):.1f}]")
        ax.set_xlabel("localisation threshold α")
        ax.set_ylabel(key)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 100)
        ax.set_title(f"{key} against α (mean over α)", fontsize=9)
        ax.legend(fontsize=6.5, loc="lower left")
    fig.suptitle(title)
    fig.tight_layout()
    return save(fig, out)


def pck_figure(pck: dict[str, dict[float, float]], out: Path, title: str) -> list[Path]:
    """PCK (display units, 0–100) against the distance threshold (a fraction of the person's
    box), one line per run."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.2, 4))
    ax = fig.add_subplot(1, 1, 1)
    items = sorted(pck.items(), key=lambda kv: -float(np.mean(list(kv[1].values()))))
    for name, v in items:
        ts = sorted(v)
        ax.plot(ts, [v[t] for t in ts], marker="o", label=name)
    ax.set_xlabel("distance threshold (fraction of the box size)")
    ax.set_ylabel("PCK (%)")
    ax.set_ylim(0, 100)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return save(fig, out)


def attribute_figure(
    values: dict[str, dict[str, float]],
    labels: list[tuple[str, str, int]],
    out: Path,
    title: str,
    metric: str,
    second: tuple[str, dict[str, dict[str, float]]] | None = None,
) -> list[Path]:
    """A score per attribute, one bar per run (``values``: run → attribute code → value;
    ``labels``: each attribute's code, name and sequence or frame count, the x axis' order),
    as the toolkits' per-attribute plots summarise them; ``second`` adds a panel (VOT: the
    failures per tag)."""
    from matplotlib.figure import Figure

    runs = list(values)
    panels = [(metric, values)] + ([second] if second else [])
    fig = Figure(figsize=(min(max(6.0, 0.55 * len(labels) * max(1, len(runs)) ** 0.5 + 2), 16),
                          3.6 * len(panels)))  # fmt: skip
    x = np.arange(len(labels))
    width = 0.8 / max(1, len(runs))
    for p, (name, vals) in enumerate(panels):
        ax = fig.add_subplot(len(panels), 1, p + 1)
        for i, run in enumerate(runs):
            ys = [vals[run].get(code, np.nan) for code, _, _ in labels]
            ax.bar(x + (i - (len(runs) - 1) / 2) * width, np.nan_to_num(ys), width, label=run)
        ax.set_xticks(x)
        ax.set_xticklabels([f"{code}\n({n})" for code, _, n in labels], fontsize=7)
        ax.set_ylabel(name)
        ax.set_xlim(-0.6, len(labels) - 0.4)
        if p == 0:
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return save(fig, out)
