"""The report's figures drawn from records (the curves each run stored beside its predictions),
one function per family, shared by the report folder, its HTML page and the experiment loggers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from unibench.reports.plots import (
    alpha_figure,
    attribute_figure,
    eao_figure,
    ope_figure,
    pck_figure,
    prre_figure,
    sequence_bars,
)
from unibench.reports.tidy import display

from unibench.datatypes import ResultRecord
from unibench.io import atomic_write_text


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


@dataclass(frozen=True)
class AttributeTable:
    """A benchmark's per-attribute scores of the shown runs: ``labels`` (code, name, sequences or
    tagged frames) in the benchmark's order, ``values`` run → code → stored value of ``metric``
    (OPE: success AUC; VOT: accuracy), ``second_values`` of ``second`` (VOT: failures)."""

    metric: str
    count: str  # what the label's number counts
    labels: list[tuple[str, str, int]]
    values: dict[str, dict[str, float]]
    second: str = ""
    second_values: dict[str, dict[str, float]] = field(default_factory=dict)


def attribute_tables(records: list[ResultRecord]) -> dict[tuple[str, str], AttributeTable]:
    """Per SOT benchmark split, the per-attribute scores the runs stored (``curves.attributes``
    of ``metrics.json``: OPE benchmarks given their toolkit's attribute files, VOT reset-based
    stacks with tag files); attributes no run scored are left out."""
    out: dict[tuple[str, str], AttributeTable] = {}
    for (bench, split), rr in _groups(records, "sot").items():
        labels: dict[str, tuple[str, str, int]] = {}
        values: dict[str, dict[str, float]] = {}
        second: dict[str, dict[str, float]] = {}
        vot = False
        for r in rr:
            atts = _curves(r).get("attributes") or []
            for a in atts:
                vot = vot or "Accuracy" in a
                key = "Accuracy" if "Accuracy" in a else "AUC"
                if a.get(key) is None:
                    continue
                n = int(a.get("frames" if key == "Accuracy" else "sequences", 0))
                labels.setdefault(a["code"], (a["code"], a.get("name", a["code"]), n))
                values.setdefault(_label(r), {})[a["code"]] = float(a[key])
                if key == "Accuracy":
                    second.setdefault(_label(r), {})[a["code"]] = float(a["Failures"])
        if values:
            out[(bench, split)] = AttributeTable(
                "Accuracy" if vot else "AUC", "tagged frames" if vot else "sequences",
                list(labels.values()), values, "Failures" if vot else "", second,
            )  # fmt: skip
    return out


@dataclass(frozen=True)
class ReportFigure:
    """A figure of the report: its files (PNG, SVG, PDF), the alt text of its SVG on the page,
    and the section it belongs to (``task``, ``benchmark`` label; empty: the whole report)."""

    files: tuple[Path, ...]
    alt: str
    task: str = ""
    benchmark: str = ""
    table: AttributeTable | None = None  # the figure's numbers, shown beside it

    @property
    def svg(self) -> Path | None:
        return next((p for p in self.files if p.suffix == ".svg"), None)


@dataclass(frozen=True)
class SequenceClips:
    """One rendered sequence of a run in the report folder (``videos/<run id>/``): its contact
    sheet, its video and its score as the run's leaderboard figure shows it."""

    sequence: str
    sheet: Path
    video: Path
    score: str


CLIPS_INDEX = "index.json"


def clips_folder(out: Path, run_id: str) -> Path:
    """Where ``report --videos`` renders a run's worst sequences (keyed by run id: a run whose
    numbers change has another id, so nothing shown is stale)."""
    return Path(out) / "videos" / safe_file(run_id)


def write_clips_index(out: Path, run_id: str, clips: list[SequenceClips]) -> Path:
    folder = clips_folder(out, run_id)
    index = [{"sequence": c.sequence, "sheet": c.sheet.name, "video": c.video.name,
              "score": c.score} for c in clips]  # fmt: skip
    atomic_write_text(folder / CLIPS_INDEX, json.dumps(index, indent=1) + "\n")
    return folder / CLIPS_INDEX


def read_clips(out: Path, records: list[ResultRecord]) -> dict[str, list[SequenceClips]]:
    """The rendered sequences of the shown records found in the report folder (those whose
    sheet and video both exist), by run id."""
    found: dict[str, list[SequenceClips]] = {}
    for r in records:
        folder = clips_folder(out, r.run_id)
        try:
            index = json.loads((folder / CLIPS_INDEX).read_text())
        except (OSError, ValueError):
            continue
        clips = [
            SequenceClips(str(c["sequence"]), folder / str(c["sheet"]), folder / str(c["video"]),
                          str(c.get("score", "")))  # fmt: skip
            for c in index
            if isinstance(c, dict) and {"sequence", "sheet", "video"} <= set(c)
            and all(_plain(folder, str(c[k])) for k in ("sheet", "video"))
        ]  # fmt: skip
        if clips:
            found[r.run_id] = clips
    return found


def _plain(folder: Path, name: str) -> bool:
    """``name`` is a file directly in ``folder`` (an index never reaches outside it)."""
    return Path(name).name == name and name not in ("", ".", "..") and (folder / name).is_file()


def _curves(r: ResultRecord) -> dict:
    if not r.predictions:
        return {}
    try:
        return (
            json.loads((Path(r.predictions).parent / "metrics.json").read_text()).get("curves")
            or {}
        )
    except (OSError, ValueError):
        return {}


def _label(r: ResultRecord) -> str:
    name = f"{r.model_name} [{r.tap}] {r.head}"
    return name + (f" [subset {r.subset}]" if r.whole_split is False else "")


def _groups(records: list[ResultRecord], task: str) -> dict[tuple[str, str], list[ResultRecord]]:
    out: dict[tuple[str, str], list[ResultRecord]] = {}
    for r in records:
        if r.task == task:
            out.setdefault((r.benchmark_label, r.split), []).append(r)
    return dict(sorted(out.items()))


def section_figures(records: list[ResultRecord], out: Path) -> list[ReportFigure]:
    """Every per-benchmark figure of the report, keyed to its section: the SOT plots
    (:func:`sot_figures`), per-sequence J&F bars of each VOS benchmark, HOTA / DetA / AssA
    against the localisation threshold α of each association benchmark, PCK against the
    threshold for pose propagation."""
    figs: list[ReportFigure] = []
    for r_paths in _sot_by_section(records, out):
        figs.append(r_paths)
    for (bench, split), rr in _groups(records, "vos").items():
        per = {f"{_label(r)} [J&F {display('J&F-Mean', r.metrics.get('J&F-Mean', float('nan'))):.1f}]":
               _per_sequence(r, "J&F-Mean") for r in rr}  # fmt: skip
        per = {k: v for k, v in per.items() if v}
        if per:
            stem = out / f"sequences_{safe_file(bench)}_{safe_file(split)}"
            files = sequence_bars(per, stem, f"{bench} / {split}: J&F per sequence")
            worst = min(next(iter(per.values())).items(), key=lambda kv: kv[1])[0]
            figs.append(ReportFigure(tuple(files), f"J&F-Mean per sequence of {bench} {split}, "
                                     f"{len(per)} run(s) side by side, lowest first "
                                     f"(lowest of the first run: {worst})", "vos", bench))  # fmt: skip
    for task in ("mot", "mots", "posetrack", "vis"):
        for (bench, split), rr in _groups(records, task).items():
            curves = {_label(r): {"alpha": c["alpha"], **{k: [display(k, v) for v in c[k]]
                                                          for k in ("HOTA", "DetA", "AssA")}}
                      for r in rr if "alpha" in (c := _curves(r))}  # fmt: skip
            if curves:
                stem = out / f"hota_{safe_file(bench)}_{safe_file(split)}"
                files = alpha_figure(curves, stem, f"{bench} / {split}")
                figs.append(ReportFigure(tuple(files), f"HOTA, DetA and AssA against the "
                                         f"localisation threshold alpha, {bench} {split}, "
                                         f"{len(curves)} run(s)", task, bench))  # fmt: skip
    for (bench, split), table in attribute_tables(records).items():
        stem = out / f"attributes_{safe_file(bench)}_{safe_file(split)}"
        vals = {run: {c: display(table.metric, v) for c, v in row.items()}
                for run, row in table.values.items()}  # fmt: skip
        second = None
        if table.second:
            second = (table.second, {run: dict(row) for run, row in table.second_values.items()})
        files = attribute_figure(vals, table.labels, stem, f"{bench} / {split}: {table.metric} per "
                                 f"attribute ({table.count} in brackets)", table.metric, second)  # fmt: skip
        figs.append(ReportFigure(tuple(files), f"{table.metric} per attribute of {bench} {split} "
                                 f"({len(table.labels)} attributes, {len(vals)} run(s))", "sot",
                                 bench, table))  # fmt: skip
    for (bench, split), rr in _groups(records, "poseprop").items():
        pck = {_label(r): {float(k.split("@")[1]): display(k, v) for k, v in r.metrics.items()
                           if k.startswith("PCK@") and v is not None} for r in rr}  # fmt: skip
        pck = {k: v for k, v in pck.items() if len(v) >= 2}
        if pck:
            stem = out / f"pck_{safe_file(bench)}_{safe_file(split)}"
            files = pck_figure(pck, stem, f"{bench} / {split}")
            figs.append(ReportFigure(tuple(files), f"PCK against the distance threshold, {bench} "
                                     f"{split}, {len(pck)} run(s)", "poseprop", bench))  # fmt: skip
    return figs


def _sot_by_section(records: list[ResultRecord], out: Path) -> list[ReportFigure]:
    figs = []
    for (bench, split), rr in _groups(records, "sot").items():
        files = sot_figures(rr, out)
        by_stem: dict[str, list[Path]] = {}
        for p in files:
            by_stem.setdefault(p.stem, []).append(p)
        for stem, ps in by_stem.items():
            kind = stem.split("_", 1)[0]
            what = {"ope": "success and precision plots (OPE)",
                    "prre": "precision/recall and F-score against the confidence threshold",
                    "eao": "expected average overlap curve"}.get(kind, kind)  # fmt: skip
            figs.append(ReportFigure(tuple(ps), f"{what}, {bench} {split}, {len(rr)} run(s)",
                                     "sot", bench))  # fmt: skip
    return figs


def _per_sequence(r: ResultRecord, metric: str) -> dict[str, float]:
    """A record's per-sequence figure in display units, the mean over a sequence's rows
    (objects, classes)."""
    acc: dict[str, list[float]] = {}
    for row in r.per_sequence or []:
        v = row.get(metric)
        if v is None and metric == "J&F-Mean" and "J-Mean" in row and "F-Mean" in row:
            v = (row["J-Mean"] + row["F-Mean"]) / 2  # YouTube-VOS' rows: J and F per object
        if isinstance(v, int | float) and not isinstance(v, bool) and v == v:
            acc.setdefault(str(row.get("sequence")), []).append(display(metric, v))
    return {k: sum(v) / len(v) for k, v in acc.items()}
