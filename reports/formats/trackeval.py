"""TrackEval-style result folders (``trackeval/``), where tracking researchers already look.

TrackEval writes, per benchmark split and tracker, ``<tracker>/<class>_summary.txt`` (one header
line of metric names, one line of values) and ``<class>_detailed.csv`` (one row per sequence and a
``COMBINED`` row). UniBench writes the same shape per stored run under
``trackeval/<benchmark>-<split>/<tracker>/`` with ``tracker = <model>_<tap>_<head>_<run id>``:
``summary.txt`` (space separated, as TrackEval's) and ``summary.csv``, ``detailed.csv``; metric
names are the toolkit's (``IDSW`` for ID switches, ``CLR_FP``, …), percent figures ×100 and counts
as integers, as TrackEval prints them.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

from unibench.reports.formats.base import ReportInputs, register_format
from unibench.reports.tidy import display, metric_meta, per_sequence_frame

from unibench.io import atomic_write_text
from unibench.paths import safe_name

if TYPE_CHECKING:
    from unibench.datatypes import ResultRecord


def _official(name: str, task: str | None = None) -> str:
    off = metric_meta(name).official_name(task)
    return off if " " not in off else name  # descriptive official names keep our short name


def _csv_text(header: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _cell(name: str, v) -> str:
    if isinstance(v, float) and v != v:
        return ""
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return f"{v:.6g}" if metric_meta(name).unit != "count" else str(int(round(v)))
    return str(v)


def trackeval_folders(records: list[ResultRecord], out: Path) -> list[Path]:
    """One TrackEval-style folder per stored run; returns the files written."""
    written = []
    for rec in records:
        tracker = f"{rec.model}_{rec.tap}_{rec.head}_{rec.run_id}"
        tracker = "".join(c if c.isalnum() or c in "._-+" else "_" for c in tracker)
        bench = safe_name(f"{rec.benchmark}-{rec.split}", "benchmark split", "a stored record")
        d = Path(out) / bench / tracker
        names = list(rec.metrics)
        values = [_cell(n, display(n, rec.metrics[n])) for n in names]
        official = [_official(n, rec.task) for n in names]
        atomic_write_text(
            d / "summary.txt",
            " ".join(official) + "\n" + " ".join(v or "nan" for v in values) + "\n",
        )
        atomic_write_text(d / "summary.csv", _csv_text(official, [values]))
        written += [d / "summary.txt", d / "summary.csv"]
        if rec.per_sequence:
            ps = per_sequence_frame(rec)
            cols = list(ps.columns)
            rows = [[_cell(c, row[c]) for c in cols] for _, row in ps.iterrows()]
            key = cols[0] if cols else "sequence"
            combined = ["COMBINED"] + [
                _cell(c, display(c, rec.metrics[c])) if c in rec.metrics else "" for c in cols[1:]
            ]
            header = [key] + [_official(c, rec.task) for c in cols[1:]]
            atomic_write_text(d / "detailed.csv", _csv_text(header, [*rows, combined]))
            written.append(d / "detailed.csv")
    return written


@register_format(
    "trackeval", "report", "trackeval/: TrackEval-style summary and detailed files per run"
)
def write_trackeval(inputs: ReportInputs, out: Path) -> list[Path]:
    return trackeval_folders(inputs.records, Path(out) / "trackeval")
