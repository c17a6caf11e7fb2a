"""The leaderboard as LaTeX (``leaderboard.tex``: pandas Styler, booktabs, grouped headers
task → benchmark → metric, cells shaded by rank)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from unibench.reports.formats.base import ReportInputs, register_format
from unibench.reports.render import _frame, sections

from unibench.io import atomic_write_text

if TYPE_CHECKING:
    import pandas as pd

_LATEX = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\textasciicircum{}",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "%": r"\%",
}


def latex_escape(text: str) -> str:
    """All ten LaTeX special characters, in one pass (so ``^^5c`` cannot become a backslash)."""
    return "".join(_LATEX.get(c, c) for c in str(text))


def latex(df: pd.DataFrame, caption: str = "UniBench leaderboard") -> str:
    out = [r"% needs \usepackage{booktabs} and \usepackage[table]{xcolor}"]
    for sec in sections(df):
        disp, css = _frame(
            sec, lambda v: rf"\textbf{{{v}}}", lambda t: rf"\underline{{{t}}}", latex_escape
        )
        st = disp.style.hide(axis="index").apply(lambda _, css=css: css, axis=None)
        st = st.format_index(escape="latex", axis=1)
        body = st.to_latex(
            hrules=True,
            multicol_align="c",
            convert_css=True,
            column_format="ll" + "c" * len(sec.columns),
        )
        out += [
            r"\begin{table}[t]",
            r"\centering",
            r"\caption{" + latex_escape(f"{caption}: {sec.title}") + "}",
            r"\resizebox{\linewidth}{!}{%",
            body.rstrip() + "}",
            r"\end{table}",
            "",
        ]
    return "\n".join(out)


@register_format("latex", "report", "leaderboard.tex: booktabs tables (needs booktabs, xcolor)")
def write_latex(inputs: ReportInputs, out: Path) -> list[Path]:
    atomic_write_text(Path(out) / "leaderboard.tex", latex(inputs.frame) + "\n")
    return [Path(out) / "leaderboard.tex"]
