"""The leaderboard as one self-contained HTML page (``leaderboard.html``): pandas Styler tables,
sortable, sticky header and first column, shaded by rank, each run's per-sequence results opened
from its row; each benchmark section shows its figures (SVG with alt text) and, where
``report --videos`` rendered them, the contact sheets of each run's worst sequences linking to
their videos; the radar and correlation follow the measured sections. Everything is referenced
by a path relative to the report folder: the page opens from ``file://`` with no network."""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from unibench.reports.formats.base import ReportInputs, register_format
from unibench.reports.render import LEGEND, PUBLISHED_TITLE, SectionRow, _frame, sections
from unibench.reports.tidy import display, fmt, per_sequence_frame

from unibench.io import atomic_write_text

if TYPE_CHECKING:
    import pandas as pd
    from unibench.reports.figures import AttributeTable, ReportFigure, SequenceClips

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
figure{margin:.5em 0 1.5em}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:12px;color:#444;max-width:60em}
.clips{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:1.5em}
.clips figure{margin:0;width:320px}.clips img{width:320px}
table.attributes{margin-bottom:1.5em}
"""


def _href(path: Path, base: Path) -> str:
    """``path`` as a link relative to the page's folder (never absolute: the folder moves)."""
    return quote(Path(os.path.relpath(path, base)).as_posix())


def _figures(figs: list[ReportFigure], base: Path) -> str:
    e = html.escape
    out = []
    for f in figs:
        src = f.svg or next((p for p in f.files if p.suffix == ".png"), None)
        if src is None:
            continue
        png = next((p for p in f.files if p.suffix == ".png"), src)
        out.append(
            f'<figure><a href="{_href(png, base)}"><img src="{_href(src, base)}" '
            f'alt="{e(f.alt)}"></a><figcaption>{e(f.alt)}</figcaption></figure>'
        )
        if f.table is not None:
            out.append(_attribute_table(f.table))
    return "".join(out)


def _attribute_table(t: AttributeTable) -> str:
    """The numbers of a per-attribute figure: one row per run, one column per attribute (its
    count in the header's title), the second figure (VOT: failures) below the first."""
    e = html.escape
    head = "".join(f'<th title="{e(name)}: {n} {e(t.count)}">{e(code)} ({n})</th>'
                   for code, name, n in t.labels)  # fmt: skip
    rows = []
    for metric, values in ((t.metric, t.values), (t.second, t.second_values)):
        for run, vals in values.items() if metric else ():
            cells = "".join(
                f"<td>{e(fmt(metric, display(metric, vals[c])) if c in vals else '–')}</td>"
                for c, _, _ in t.labels
            )
            rows.append(f"<tr><td>{e(run)}</td><td>{e(metric)}</td>{cells}</tr>")
    return (f'<table class="attributes"><thead><tr><th>run</th><th>figure</th>{head}</tr>'
            f"</thead><tbody>{''.join(rows)}</tbody></table>")  # fmt: skip


def _clips(records: list[ResultRecord], clips: dict[str, list[SequenceClips]], base: Path) -> str:
    e = html.escape
    out = []
    for r in records:
        for c in clips.get(r.run_id, []):
            what = f"{r.model_name} [{r.tap}] · {r.head}: {c.sequence} ({c.score})"
            out.append(
                f'<figure><a href="{_href(c.video, base)}"><img loading="lazy" '
                f'src="{_href(c.sheet, base)}" alt="{e("contact sheet of " + what)}"></a>'
                f"<figcaption>{e(what)} · ▶ video</figcaption></figure>"
            )
    if not out:
        return ""
    return ('<h3>Worst sequences of each run (contact sheets; click for the video)</h3>'
            f'<div class="clips">{"".join(out)}</div>')  # fmt: skip


def html_page(
    df: pd.DataFrame,
    records: list[ResultRecord] | None = None,
    title: str = "UniBench leaderboard",
    figures: list[ReportFigure] | None = None,
    clips: dict[str, list[SequenceClips]] | None = None,
    base: Path = Path("."),
) -> str:
    """The page; figure and clip files are linked relative to ``base`` (the page's folder)."""
    e = html.escape
    figures, clips = figures or [], clips or {}
    placed: set[int] = set()
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
        if sec.measured:  # the section's figures and its runs' worst sequences
            mine = [i for i, f in enumerate(figures)
                    if f.task == sec.task and f.benchmark == sec.benchmark]  # fmt: skip
            placed.update(mine)
            block += _figures([figures[i] for i in mine], base)
            block += _clips([r for r in by_id.values()
                             if r.task == sec.task and r.benchmark_label == sec.benchmark],
                            clips, base)  # fmt: skip
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
    rest = [f for i, f in enumerate(figures) if i not in placed]  # radar, correlation, …
    overview = f"<h2>Across benchmarks</h2>{_figures(rest, base)}" if rest else ""
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{e(title)}</title>
<style>{_CSS}</style>
<script>{_JS}</script></head><body>
<h1>{e(title)}</h1>
<p>{e(LEGEND)}; shading: rank in the column (greener = better). Click a header to sort (best first
on the first click); "▸ sequences" opens that run's per-sequence results.</p>
{"".join(blocks) or "<p>(no measured results)</p>"}{overview}{folded}
<h2>Per-sequence results</h2>{"".join(drill) or "<p>(none)</p>"}
</body></html>
"""


@register_format("html", "report", "leaderboard.html: one self-contained, sortable page")
def write_html(inputs: ReportInputs, out: Path) -> list[Path]:
    page = html_page(inputs.frame, inputs.records, figures=inputs.figures, clips=inputs.clips,
                     base=Path(out))  # fmt: skip
    atomic_write_text(Path(out) / "leaderboard.html", page)
    return [Path(out) / "leaderboard.html"]
