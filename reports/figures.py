"""The report's figures drawn from records (the curves each run stored beside its predictions),
one function per family, shared by the report folder, its HTML page and the experiment loggers."""

from __future__ import annotations

import json
from pathlib import Path

from unibench.reports.plots import eao_figure, ope_figure, prre_figure

from unibench.datatypes import ResultRecord


def safe_file(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-+" else "_" for c in name)


def sot_figures(records: list[ResultRecord], out: Path) -> list[Path]:
    """The SOT plots per benchmark split, from each run's stored curves: OPE success and
    precision (``ope_*``), VOT long-term precision/recall (``prre_*``, drawn beside them) and the
    VOT EAO curve (``eao_*``); the one function of the report and the exports."""
    groups: dict[tuple[str, str, str], dict] = {}
    for r in records:
        if r.task != "sot" or not r.predictions:
            continue
        f = Path(r.predictions).parent / "metrics.json"
        try:
            curves = json.loads(f.read_text()).get("curves")
        except (OSError, ValueError):
            curves = None
        kind = next((k for k in ("success", "recall", "eao") if k in (curves or {})), None)
        if kind is not None:
            name = f"{r.model_name} [{r.tap}] {r.head}"
            if r.whole_split is False:  # drawn dashed, after the whole-split curves
                curves["subset"] = r.subset
                name += f" [subset {curves['subset']}]"
            groups.setdefault((kind, r.benchmark_label, r.split), {})[name] = curves
    paths = []
    draw = {"success": ("ope", ope_figure), "recall": ("prre", prre_figure),
            "eao": ("eao", eao_figure)}  # fmt: skip
    for (kind, bench, split), curves in sorted(groups.items()):
        prefix, figure = draw[kind]
        stem = f"{prefix}_{safe_file(bench)}_{safe_file(split)}"
        paths += figure(curves, out / stem, f"{bench} / {split}")
    return paths
