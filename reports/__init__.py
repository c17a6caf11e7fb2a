"""Reports rendered from the result store (never re-running models) and the shipped paper tables."""

from unibench.reports.compare import compare
from unibench.reports.console import metric_table, results_table
from unibench.reports.formats.html import html_page
from unibench.reports.formats.latex import latex
from unibench.reports.formats.markdown import markdown
from unibench.reports.plots import (
    correlation_figure,
    correlations,
    eao_figure,
    ope_figure,
    prre_figure,
    radar,
    radar_figure,
    task_ranks,
)
from unibench.reports.table import Column, Row, columns, measured_rows, published_rows, ranks

__all__ = [
    "Column",
    "Row",
    "columns",
    "compare",
    "correlation_figure",
    "correlations",
    "html_page",
    "latex",
    "markdown",
    "measured_rows",
    "metric_table",
    "eao_figure",
    "ope_figure",
    "prre_figure",
    "published_rows",
    "radar",
    "radar_figure",
    "ranks",
    "results_table",
    "task_ranks",
]
