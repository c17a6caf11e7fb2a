"""The registry of report formats: each way the results leave UniBench, in its own module.

A :class:`ReportFormat` is registered with :func:`register_format` beside its writer
(``reports/formats/<name>.py``, imported by this package's ``__init__``): ``kind="report"`` formats
are written by every ``unibench report`` into the report folder (the leaderboard as Markdown,
HTML and LaTeX, the tidy CSV, the TrackEval folders); ``kind="logger"`` formats are experiment
loggers that ``unibench export NAME`` and ``unibench.evaluate(..., log_to="NAME:TARGET")`` write
one run per record to (TensorBoard, MLflow). Every writer takes the same :class:`ReportInputs` and
a target (the report folder, or the logger's folder or URI) and returns what it wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from unibench.errors import ConfigError
from unibench.registry import Registry

if TYPE_CHECKING:
    import pandas as pd
    from unibench.reports.figures import ReportFigure, SequenceClips

    from unibench.datatypes import ResultRecord

Kind = Literal["report", "logger"]


@dataclass
class ReportInputs:
    """What a format writes from: the records shown (the newest of each cell), the tidy frame
    of the leaderboard (measured rows, and the paper's unless left out), the figures drawn into
    the report folder (each keyed to its section, or to the whole report) and, per run id, the
    rendered worst sequences found in the folder (``report --videos``)."""

    records: list[ResultRecord]
    frame: pd.DataFrame | None = None
    figures: list[ReportFigure] = field(default_factory=list)
    clips: dict[str, list[SequenceClips]] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportFormat:
    name: str
    kind: Kind
    write: Callable[[ReportInputs, Any], list]
    description: str
    extra: str = ""  # the pip extra a logger needs ("" where the core install suffices)


REPORT_FORMATS: Registry[ReportFormat] = Registry(
    "report format",
    builtins=("unibench.reports.formats",),
    doc="ReportFormat(name, kind 'report'|'logger', write(inputs: ReportInputs, target) -> list "
    "of what it wrote, description, extra) (see unibench.reports.formats.base)",
)


def register_format(
    name: str, kind: Kind, description: str, extra: str = ""
) -> Callable[[Callable[[ReportInputs, Any], list]], Callable[[ReportInputs, Any], list]]:
    """Register the decorated writer as the report format ``name``."""

    def deco(fn: Callable[[ReportInputs, Any], list]) -> Callable[[ReportInputs, Any], list]:
        REPORT_FORMATS.register(
            name, ReportFormat(name, kind, fn, description, extra), stacklevel=2
        )
        return fn

    return deco


def formats(kind: Kind) -> list[ReportFormat]:
    """The registered formats of ``kind``, in registration order."""
    return [f for f in REPORT_FORMATS.as_dict().values() if f.kind == kind]


def write_logger(name: str, records: list[ResultRecord], target: str | Path) -> list:
    """Write ``records`` to the experiment logger ``name`` (an unknown name, or a report
    format, is an error listing the loggers)."""
    fmt = REPORT_FORMATS.get(name)
    if fmt.kind != "logger":
        raise ConfigError(
            f"{name!r} is a report format, not an experiment logger; loggers: "
            + ", ".join(f.name for f in formats("logger"))
        )
    return fmt.write(ReportInputs(records), target)
