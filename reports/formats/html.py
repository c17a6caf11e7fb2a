"""The leaderboard as one self-contained HTML page (``leaderboard.html``): pandas Styler tables,
sortable, sticky header and first column, shaded by rank, each run's per-sequence results opened
from its row."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from unibench.reports.formats.base import ReportInputs, register_format
from unibench.reports.render import LEGEND, PUBLISHED_TITLE, SectionRow, _frame, sections
from unibench.reports.tidy import fmt, per_sequence_frame

from unibench.io import atomic_write_text

if TYPE_CHECKING:
    import pandas as pd

    from unibench.datatypes import ResultRecord

_JS = """
function cellKey(c){const s=c.querySelector('[data-v]');if(s)return parseFloat(s.dataset.v);
return c.textContent.trim()}
function sortBy(th){const tb=th.closest('table'),i=[...th.parentNode.children].indexOf(th),
b=tb.tBodies[0],hib=(tb.dataset.hib||'').split(',')[i]==='1',first=th.dataset.dir===undefined;
const desc=first?hib:th.dataset.dir!=='desc';th.dataset.dir=desc?'desc':'asc';
[...b.rows].sort((x,y)=>{const a=cellKey(x.children[i]),c=cellKey(y.children[i]);
if(typeof a==='number'&&typeof c==='number'){if(isNaN(a))return 1;if(isNaN(c))return -1;
return desc?c-a:a-c}return desc?String(c).localeCompare(a):String(a).localeCompare(c)})
.forEach(r=>b.appendChild(r))}
function openDrill(id){const d=document.getElementById(id);if(!d)return false;d.open=true;
d.scrollIntoView();return false}
window.addEventListener('DOMContentLoaded',()=>{document.querySelectorAll('table.lb').forEach(t=>{
const rows=t.tHead.rows;[...rows[rows.length-1].children].forEach(th=>{th.classList.add('sortable');
th.addEventListener('click',()=>sortBy(th))})})});
"""

_CSS = """
body{font-family:sans-serif;margin:1.5em}
table{border-collapse:separate;border-spacing:0;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:center;background-clip:padding-box}
th{background:#eee}th.sortable{cursor:pointer}
.wrap{max-height:80vh;overflow:auto;margin-bottom:1.5em}
table.lb thead th{position:sticky;top:0;z-index:2}
table.lb thead tr:nth-child(2) th{top:1.6em}table.lb thead tr:nth-child(3) th{top:3.2em}
table.lb td:first-child,table.lb th:first-child{position:sticky;left:0;z-index:1;background:#fff;
text-align:left}
table.lb thead th:first-child{z-index:3;background:#eee}
a.drill{font-size:11px;margin-left:.4em}
"""


def html_page(
    df: pd.DataFrame,
    records: list[ResultRecord] | None = None,
    title: str = "UniBench leaderboard",
) -> str:
    e = html.escape
    by_id = {r.run_id: r for r in records or []}
    drill_ids: dict[str, str] = {}
    for n, rid in enumerate(sorted(by_id)):
        drill_ids[rid] = f"drill-{n}"

    def links(r: SectionRow) -> str:
        out = []
        for rid, tap in r.run_ids:
            rec = by_id.get(rid)
            if rec is not None and rec.per_sequence:
                out.append(
                    f'<a class="drill" href="#{drill_ids[rid]}" '
                    f"onclick=\"return openDrill('{drill_ids[rid]}')\">▸ {e(tap)} sequences</a>"
                )
        return "".join(out)

    blocks, published_blocks = [], []
    for n_sec, sec in enumerate(sections(df)):
        disp, css = _frame(sec, lambda v: f"<b>{v}</b>", lambda t: f"<u>{t}</u>", e, links)
        for i, r in enumerate(sec.rows):
            for j, c in enumerate(sec.columns):
                best = r.cells[c].best() if c in r.cells else None
                v = f"{best[1]:.6g}" if best else "NaN"
                cell = disp.iat[i, 2 + j]
                disp.iat[i, 2 + j] = f'<span data-v="{v}">{cell}</span>' if cell else ""
        hib = ["0", "0"] + [
            "1" if next((r.cells[c].higher_is_better for r in sec.rows if c in r.cells), True)
            else "0"
            for c in sec.columns
        ]  # fmt: skip
        st = (
            disp.style.hide(axis="index")
            .apply(lambda _, css=css: css, axis=None)
            .set_table_attributes(f'class="lb" data-hib="{",".join(hib)}"')
            .set_uuid(f"lb{n_sec}")  # deterministic ids: the page is reproducible
        )
        cls = "synthetic" if sec.synthetic else "real"
        block = (
            f'<h2 class="{cls}">{e(sec.title)}</h2>\n<div class="wrap">'
            f"{st.to_html(escape=False)}</div>"
        )
        (blocks if sec.measured else published_blocks).append(block)
    drill = []
    for rid in sorted(by_id):
        rec = by_id[rid]
        if not rec.per_sequence:
            continue
        ps = per_sequence_frame(rec)
        keys = list(ps.columns)
        head = "".join(f"<th>{e(str(k))}</th>" for k in keys)
        trs = "".join(
            "<tr>" + "".join(f"<td>{e(fmt(str(k), row[k]))}</td>" for k in keys) + "</tr>"
            for _, row in ps.iterrows()
        )
        drill.append(
            f'<details id="{drill_ids[rid]}"><summary>{e(rec.model_name)} [{e(rec.tap)}] · '
            f"{e(rec.head)} · {e(rec.benchmark_label)}/{e(rec.split)} · run {e(rid)}</summary>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{trs}</tbody></table></details>"
        )
    folded = (
        f'\n<details class="published"><summary>{e(PUBLISHED_TITLE)}</summary>'
        + "".join(published_blocks)
        + "</details>"
        if published_blocks
        else ""
    )
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{e(title)}</title>
<style>{_CSS}</style>
<script>{_JS}</script></head><body>
<h1>{e(title)}</h1>
<p>{e(LEGEND)}; shading: rank in the column (greener = better). Click a header to sort (best first
on the first click); "▸ sequences" opens that run's per-sequence results.</p>
{"".join(blocks) or "<p>(no measured results)</p>"}{folded}
<h2>Per-sequence results</h2>{"".join(drill) or "<p>(none)</p>"}
</body></html>
"""


@register_format("html", "report", "leaderboard.html: one self-contained, sortable page")
def write_html(inputs: ReportInputs, out: Path) -> list[Path]:
    atomic_write_text(Path(out) / "leaderboard.html", html_page(inputs.frame, inputs.records))
    return [Path(out) / "leaderboard.html"]
