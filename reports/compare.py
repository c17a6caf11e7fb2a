"""The one-page answer for a new checkpoint: deltas and ranks per column against the other rows."""

from __future__ import annotations

from unibench.reports.render import _num
from unibench.reports.table import Row, columns, ranks


def compare(rows: list[Row], model: str, reference: str = "ImageNet-sup.") -> str:
    target = [i for i, r in enumerate(rows) if not r.published and r.model.split(" [")[0] == model]
    if not target:
        known = sorted({r.model for r in rows if not r.published})
        raise KeyError(f"no measured results for {model!r}; measured models: {', '.join(known)}")
    ti = target[-1]
    t = rows[ti]
    lines = [
        f"## {t.label} against the leaderboard",
        "",
        "| column | value (best layer) | reference | Δ vs reference | rank | of |",
        "|---|---|---|---|---|---|",
    ]
    for c in columns(rows):
        best = t.best(c)
        if best is None:
            continue
        rk = ranks(rows, c)
        # the reference model with the same backbone: measured if present, else published
        refs = [r for r in rows if reference in r.model or (r.model.split(".")[-1] == "tv_in1k")]
        refs = [r for r in refs if r.best(c) is not None and r is not t]
        refs.sort(key=lambda r: (r.published, r.backbone != t.backbone))
        if refs:
            rv = refs[0].best(c)[1]
            delta = best[1] - rv
            ref_txt = f"{refs[0].label}: {_num(rv)}"
            d_txt = f"{delta:+.1f}"
        else:
            ref_txt, d_txt = "–", "–"
        lines.append(
            f"| {c.label} | {_num(best[1])} ({best[0]}) | {ref_txt} | {d_txt} | "
            f"{rk[ti]} | {len(rk)} |"
        )
    lines.append(
        "\nRanks count every row (measured and published) that has the column; "
        "published rows come from a different benchmark split than synthetic runs and "
        "only share columns with runs on the same benchmark."
    )
    return "\n".join(lines)
