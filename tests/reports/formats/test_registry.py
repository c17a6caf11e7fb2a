"""The report formats' registry: every built-in format registered from its own module, the report
writing each, a new format added with one module and a line, and a logger named as such."""

from __future__ import annotations

from pathlib import Path

import pytest
from unibench.reports.build import build_report
from unibench.reports.formats import REPORT_FORMATS, formats, register_format, write_logger
from unibench.reports.formats.base import ReportInputs

from unibench.errors import ConfigError, RegistryError

REPORTS = {"markdown", "html", "latex", "csv", "trackeval"}
LOGGERS = {"tensorboard", "mlflow"}


def test_every_built_in_format_is_registered_in_its_own_module():
    assert {f.name for f in formats("report")} == REPORTS
    assert {f.name for f in formats("logger")} == LOGGERS
    for name in REPORTS | LOGGERS:
        place = REPORT_FORMATS.place(name)
        assert f"reports/formats/{name}.py" in place.replace("\\", "/"), place


def test_a_new_format_is_one_function_and_the_report_writes_it(tmp_path):
    @register_format("count-lines", "report", "counts.txt: how many records")
    def _count(inputs: ReportInputs, out: Path) -> list[Path]:
        (Path(out) / "counts.txt").write_text(f"{len(inputs.records)}\n")
        return [Path(out) / "counts.txt"]

    try:
        res = build_report(tmp_path / "no-store", tmp_path / "report", no_published=True)
        assert (tmp_path / "report" / "counts.txt").read_text() == "0\n"
        assert tmp_path / "report" / "counts.txt" in res.written
        with pytest.raises(RegistryError, match="registered twice"):
            register_format("count-lines", "report", "again")(_count)
    finally:
        REPORT_FORMATS._objs.pop("count-lines", None)


def test_writing_to_a_report_format_as_a_logger_is_refused():
    with pytest.raises(ConfigError, match="'html' is a report format, not an experiment logger"):
        write_logger("html", [], "x")
    with pytest.raises(RegistryError, match="unknown report format 'wandb'"):
        write_logger("wandb", [], "x")
