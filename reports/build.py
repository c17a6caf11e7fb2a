"""The whole report, built from the store: what ``unibench report`` writes and says.

``build_report`` reads the newest record of every cell, completes the model facts of records
written before they carried them (``describe``: a callable given by the caller, normally
:func:`unibench.appearance_models.describe_model`; the reports never import the model zoo), and
draws the figures (the radar and correlation; per benchmark section the SOT curves, per-sequence
J&F bars, HOTA/DetA/AssA against α, PCK curves: :mod:`unibench.reports.figures`) and writes every
registered report format (:mod:`unibench.reports.formats`: the leaderboard as Markdown, HTML with
the figures and the rendered worst sequences in their sections, LaTeX, ``tidy.csv``, the
TrackEval-style folders); or, for ``what="correlation"`` / ``compare=``, that study alone. It
returns the files written and the lines the console prints; it prints nothing itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unibench.reports.compare import compare
from unibench.reports.console import results_table
from unibench.reports.figures import ReportFigure, read_clips, safe_file, section_figures
from unibench.reports.formats import ReportInputs, formats
from unibench.reports.formats.markdown import markdown
from unibench.reports.plots import correlation_figure, correlations, radar
from unibench.reports.table import measured_rows, published_rows
from unibench.reports.tidy import tidy

from unibench.datatypes import ResultRecord
from unibench.errors import UniBenchError
from unibench.io import atomic_write_text
from unibench.store import ResultStore

Describe = Callable[[str, str | None], dict[str, Any]]


@dataclass
class ReportOutput:
    written: list[Path] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # what the console shows, in order
    notes: list[str] = field(default_factory=list)  # what goes to stderr


def with_model_info(records: list[ResultRecord], describe: Describe | None) -> list[ResultRecord]:
    """Records with ``model_info`` (from ``describe`` where a record predates the field)."""
    if describe is None:
        return records
    out = []
    for r in records:
        if r.model_info and "top1_kind" in r.model_info:
            out.append(r)
        else:  # older records: the facts they lack (the kind of top-1 came later), theirs kept
            out.append(dataclasses.replace(
                r, model_info={**describe(r.model, r.checkpoint), **(r.model_info or {})}
            ))  # fmt: skip
    return out


def load_records(
    store_dir: Path, describe: Describe | None = None
) -> tuple[list[ResultRecord], int]:
    """The newest record of every cell, and how many older versions were left out."""
    store = ResultStore(store_dir)
    latest, superseded = store.latest_and_superseded() if store.files() else ({}, 0)
    return with_model_info(list(latest.values()), describe), superseded


def build_report(
    store_dir: Path,
    out: Path,
    *,
    what: str | None = None,
    source: str = "reference",
    compare_model: str | None = None,
    reduce: str = "mean",
    no_published: bool = False,
    describe: Describe | None = None,
) -> ReportOutput:
    """Build the report of the store at ``store_dir`` into ``out`` (see the module docstring)."""
    res = ReportOutput()
    records, superseded = load_records(store_dir, describe)
    store = ResultStore(store_dir)
    if superseded:
        res.lines.append(
            f"({superseded} older version(s) of the reported cells left out: records of other "
            "weights, card or behaviour versions; the newest of each cell is shown)"
        )
    if not records:
        why = "does not exist" if not store.files() else "holds no valid record"
        res.notes.append(
            f"unibench report: the result store {store.path} {why}; reporting the published "
            "rows only (run 'unibench run … --output DIR' and pass --store DIR)"
        )

    def write(name: str, text: str) -> None:
        atomic_write_text(out / name, text)
        res.written.append(out / name)

    measured = measured_rows(records)
    published = published_rows(("1", "2")) if not no_published else []
    if what == "correlation":
        rows = published if source == "reference" else measured
        if source == "reference":
            rows = [r for r in rows if r.backbone == "resnet50"]
        else:
            missing = sorted({r.model for r in rows if r.top1 is None})
            if missing:
                res.lines.append(
                    f"(no ImageNet top-1 on their card, left out: {', '.join(missing)})"
                )
        corrs = correlations(rows)
        res.lines.append(
            "| column | points | n | Pearson r [95% CI] | p | Spearman ρ [95% CI] | p |\n"
            "|---|---|---|---|---|---|---|"
        )
        for c in corrs:
            res.lines.append(
                f"| {c.column.label}{' (flipped)' if c.flipped else ''} | {c.points} | "
                f"{len(c.models)} | "
                f"{c.pearson:.3f} [{c.pearson_ci[0]:.2f}, {c.pearson_ci[1]:.2f}] | "
                f"{c.pearson_p:.2g} | {c.spearman:.3f} [{c.spearman_ci[0]:.2f}, "
                f"{c.spearman_ci[1]:.2f}] | {c.spearman_p:.2g} |"
            )
        if not corrs:
            res.lines.append("(no column has 3 or more models with an ImageNet top-1 of one kind)")
        else:
            res.written += correlation_figure(corrs, out / f"correlation_{source}")
        return res
    if compare_model:
        try:
            text = compare(measured + published, compare_model)
        except KeyError as exc:
            raise UniBenchError(str(exc.args[0])) from exc
        res.lines.append(text)
        write(f"compare_{safe_file(compare_model)}.md", text + "\n")
        return res
    res.lines.append(results_table(records))
    df = tidy(records, published=not no_published)
    if records:
        res.lines.append("")
        res.lines.append(markdown(tidy(records, published=False), "Measured"))
    figures: list[ReportFigure] = []
    for name, rr, title in (
        ("radar_measured", measured, "Rank per task: measured"),
        ("radar_published_table1", [r for r in published if r.backbone == "resnet50"],
         "Rank per task: published (UniTrack Table 1)"),
    ):  # fmt: skip
        if sum(r.subset is None for r in rr) >= 2:  # only whole-split rows are ranked
            n = len({r.model for r in rr if r.subset is None})
            figures.append(ReportFigure(tuple(radar(rr, out / name, reduce=reduce, title=title)),
                                        f"{title}: radar of the rank of {n} models in each task "
                                        f"({reduce} over a task's metrics; outer is better)"))  # fmt: skip
    # one correlation figure: from the store where 3 or more measured models have a top-1,
    # else from the published table; its title says which
    with_top1 = {r.model for r in measured if r.top1 is not None and r.subset is None}
    corr_title = None
    if len(with_top1) >= 3 and (corrs := correlations(measured)):
        corr_title = "Tracking vs ImageNet top-1: measured"
    elif corrs := correlations([r for r in published if r.backbone == "resnet50"]):
        corr_title = ("Tracking vs ImageNet linear probe: published (UniTrack Table 1; fewer "
                      "than 3 measured models with a top-1 of one kind)")  # fmt: skip
    if corr_title:
        files = correlation_figure(corrs, out / "correlation", title=corr_title)
        figures.append(ReportFigure(tuple(files), f"{corr_title}: each tracking column against "
                                    f"the top-1, {len(corrs)} panel(s) with Pearson and Spearman "
                                    "coefficients"))  # fmt: skip
    figures += section_figures(records, out)
    for f in figures:
        res.written += list(f.files)
    inputs = ReportInputs(records, df, figures=figures, clips=read_clips(out, records))
    for fmt in formats("report"):  # every registered report format (reports/formats/)
        res.written += fmt.write(inputs, out)
    return res
