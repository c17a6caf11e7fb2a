"""The tidy table as CSV (``tidy.csv``: one row per model, tap, head, benchmark and metric, the
shape pandas and R read without reshaping)."""

from __future__ import annotations

from pathlib import Path

from unibench.reports.formats.base import ReportInputs, register_format

from unibench.io import atomic_write_text


@register_format("csv", "report", "tidy.csv: one row per model, tap, head, benchmark and metric")
def write_csv(inputs: ReportInputs, out: Path) -> list[Path]:
    atomic_write_text(Path(out) / "tidy.csv", inputs.frame.to_csv(index=False))
    return [Path(out) / "tidy.csv"]
