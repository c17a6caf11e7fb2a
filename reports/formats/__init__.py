"""The report formats (:mod:`unibench.reports.formats.base`): importing this package registers the
built-in ones, each in its own module; a new format is one module here and a line below."""

from unibench.reports.formats import csv, html, latex, markdown, mlflow, tensorboard, trackeval
from unibench.reports.formats.base import (
    REPORT_FORMATS,
    ReportFormat,
    ReportInputs,
    formats,
    register_format,
    write_logger,
)

__all__ = [
    "REPORT_FORMATS",
    "ReportFormat",
    "ReportInputs",
    "csv",
    "formats",
    "html",
    "latex",
    "markdown",
    "mlflow",
    "register_format",
    "tensorboard",
    "trackeval",
    "write_logger",
]
