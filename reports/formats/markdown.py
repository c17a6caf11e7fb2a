"""The leaderboard as Markdown (``leaderboard.md``), and the console's leaderboard."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from unibench.reports.console import markdown_escape, table
from unibench.reports.formats.base import ReportInputs, register_format
from unibench.reports.render import LEGEND, PUBLISHED_TITLE, _cell_text, _col_name, sections

from unibench.io import atomic_write_text

if TYPE_CHECKING:
    import pandas as pd


def markdown(df: pd.DataFrame, title: str = "") -> str:

    out = [f"## {markdown_escape(title)}\n"] if title else []
    secs = sections(df)
    for n, sec in enumerate(secs):
        if not sec.measured and (n == 0 or secs[n - 1].measured):
            out.append(f"## {PUBLISHED_TITLE}\n")
        ranks = {c: sec.ranks(c) for c in sec.columns}
        head = ["model", "source"] + [markdown_escape(_col_name(c)) for c in sec.columns]
        body = [
            [markdown_escape(r.label), markdown_escape(r.source)]
            + [
                _cell_text(
                    sec,
                    i,
                    c,
                    ranks[c],
                    lambda v: f"**{v}**",
                    lambda t: f"<u>{t}</u>",
                    markdown_escape,
                )
                for c in sec.columns
            ]
            for i, r in enumerate(sec.rows)
        ]
        out.append(f"### {markdown_escape(sec.title)}\n\n" + table(head, body) + "\n")
    if len(out) <= (1 if title else 0):
        out.append("(no results)\n")
    out.append(LEGEND + ".")
    return "\n".join(out)


@register_format("markdown", "report", "leaderboard.md: one table per task and benchmark")
def write_markdown(inputs: ReportInputs, out: Path) -> list[Path]:
    atomic_write_text(
        Path(out) / "leaderboard.md", markdown(inputs.frame, "UniBench leaderboard") + "\n"
    )
    return [Path(out) / "leaderboard.md"]
