"""Leaderboard rendering: Markdown, self-contained sortable HTML (with per-sequence drill-down), LaTeX.

Each cell shows the layer values (``layer3 / layer4``) with the better one bold; the column's best
model is underlined; HTML and LaTeX shade each cell by its rank in the column (green = best).
"""

from __future__ import annotations

import html
import math

from unibench.reports.table import Column, Row, columns, ranks

TAP_ORDER = ("layer3", "layer4")


def _taps(row: Row, col: Column) -> list[str]:
    taps = list(row.cells.get(col, {}))
    return sorted(taps, key=lambda t: (TAP_ORDER.index(t) if t in TAP_ORDER else 9, t))


def _num(v: float) -> str:
    if math.isnan(v):
        return "–"
    return f"{v:.0f}" if abs(v) >= 1000 else f"{v:.1f}"


def _cell_parts(row: Row, col: Column) -> list[tuple[str, bool]]:
    """Each layer's value and whether it is bold (strictly the better layer; ties bold none)."""
    best = row.best(col)
    vals = row.cells.get(col, {})
    distinct = len({v for v in vals.values() if not math.isnan(v)}) > 1
    return [
        (_num(vals[t]), distinct and best is not None and t == best[0]) for t in _taps(row, col)
    ]


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


def markdown_escape(text: str) -> str:
    """Table-safe Markdown: no HTML tag (``<``, ``>`` as entities), escaped pipes and backticks."""
    t = str(text).replace("<", "&lt;").replace(">", "&gt;")
    return t.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")


def markdown(rows: list[Row], title: str = "") -> str:
    cols = columns(rows)
    rk = {c: ranks(rows, c) for c in cols}
    head = ["model", "source"] + [markdown_escape(c.label) for c in cols]
    lines = [
        f"### {markdown_escape(title)}\n" if title else "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" for _ in head) + "|",
    ]
    for i, r in enumerate(rows):
        cells = []
        for c in cols:
            parts = [f"**{v}**" if b else v for v, b in _cell_parts(r, c)]
            text = " / ".join(parts) if parts else ""
            if rk[c].get(i) == 1 and len(rk[c]) > 1:
                text = f"<u>{text}</u>"
            cells.append(text)
        lines.append(
            "| " + " | ".join([markdown_escape(r.label), markdown_escape(r.source)] + cells) + " |"
        )
    taps = "layer3 / layer4 where both exist; bold: the better layer; underlined: the column's best"
    lines.append(f"\n{taps}. Published rows are the paper's figures, not re-measured.")
    return "\n".join(line for line in lines if line is not None)


def latex(rows: list[Row], caption: str = "UniBench leaderboard") -> str:
    cols = columns(rows)
    rk = {c: ranks(rows, c) for c in cols}

    esc = latex_escape

    out = [
        r"% needs \usepackage[table]{xcolor}",
        r"\begin{table}[t]",
        r"\centering",
        r"\caption{" + esc(caption) + "}",
        r"\resizebox{\linewidth}{!}{%",
        r"\begin{tabular}{ll" + "c" * len(cols) + "}",
        r"\toprule",
        " & ".join(["Model", "Source"] + [esc(c.label) for c in cols]) + r" \\",
        r"\midrule",
    ]
    for i, r in enumerate(rows):
        cells = []
        for c in cols:
            parts = [rf"\textbf{{{v}}}" if b else v for v, b in _cell_parts(r, c)]
            text = " / ".join(parts)
            if rk[c].get(i) == 1 and len(rk[c]) > 1:
                text = rf"\underline{{{text}}}"
            n = len(rk[c])
            if (rank := rk[c].get(i)) is not None and n > 1:
                text = rf"\cellcolor{{green!{int(40 * (1 - (rank - 1) / (n - 1)))}}}" + text
            cells.append(text)
        out.append(" & ".join([esc(r.label), esc(r.source)] + cells) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}}", r"\end{table}"]
    return "\n".join(out)


_JS = """
function sortTable(th){const t=th.closest('table'),i=[...th.parentNode.children].indexOf(th),
b=t.tBodies[0],asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';
const key=r=>{const c=r.children[i];const v=c.dataset.v;return v===undefined?c.textContent:parseFloat(v)};
[...b.rows].sort((x,y)=>{const a=key(x),c=key(y);if(typeof a==='number'&&typeof c==='number')
{if(isNaN(a))return 1;if(isNaN(c))return -1;return asc?a-c:c-a}return asc?String(a).localeCompare(c)
:String(c).localeCompare(a)}).forEach(r=>b.appendChild(r))}
"""


def html_page(rows: list[Row], title: str = "UniBench leaderboard") -> str:
    cols = columns(rows)
    rk = {c: ranks(rows, c) for c in cols}
    e = html.escape
    th = "".join(
        f'<th onclick="sortTable(this)">{e(h)}</th>'
        for h in ["model", "source"] + [c.label for c in cols]
    )
    body = []
    for i, r in enumerate(rows):
        tds = [f"<td>{e(r.label)}</td>", f"<td>{e(r.source)}</td>"]
        for c in cols:
            parts = [f"<b>{v}</b>" if b else v for v, b in _cell_parts(r, c)]
            text = " / ".join(parts)
            if rk[c].get(i) == 1 and len(rk[c]) > 1:
                text = f"<u>{text}</u>"
            best = r.best(c)
            sv = f"{best[1]:.6g}" if best else "NaN"
            n = len(rk[c])
            style = ""
            if (rank := rk[c].get(i)) is not None and n > 1:
                g = 1 - (rank - 1) / (n - 1)
                style = f' style="background:rgba(60,170,90,{0.08 + 0.42 * g:.2f})"'
            tds.append(f'<td data-v="{sv}"{style}>{text}</td>')
        cls = ' class="published"' if r.published else ""
        body.append(f"<tr{cls}>{''.join(tds)}</tr>")
    drill = []
    for r in rows:
        for rec in r.records:
            if not rec.per_sequence:
                continue
            keys = [k for k in rec.per_sequence[0] if k not in ("frames",)]
            head = "".join(f"<th>{e(k)}</th>" for k in keys)
            trs = "".join(
                "<tr>"
                + "".join(
                    f"<td>{e(_num(100 * v) if isinstance(v, float) else str(v))}</td>"
                    for v in (row.get(k, "") for k in keys)
                )
                + "</tr>"
                for row in rec.per_sequence
            )
            drill.append(
                f"<details><summary>{e(rec.model)} [{e(rec.tap)}] · {e(rec.head)} · "
                f"{e(rec.benchmark)}/{e(rec.split)} · run {e(rec.run_id)}</summary>"
                f"<table><thead><tr>{head}</tr></thead><tbody>{trs}</tbody></table>"
                f"</details>"
            )
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{e(title)}</title>
<style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:center}}th{{cursor:pointer;background:#eee}}
tr.published td:first-child{{font-style:italic;color:#555}}</style>
<script>{_JS}</script></head><body>
<h1>{e(title)}</h1>
<p>Cells: layer3 / layer4; bold = the better layer; underlined = the column's best; shading = rank in
the column (darker = better). Rows in italics are published figures (UniTrack paper), not measured here.
Click a header to sort.</p>
<table><thead><tr>{th}</tr></thead><tbody>{"".join(body)}</tbody></table>
<h2>Per-sequence results</h2>{"".join(drill) or "<p>(none)</p>"}
</body></html>
"""
