"""Reports rendered from the result store (never re-running models)."""

from unibench.reports.markdown import metric_table, results_table

__all__ = ["metric_table", "results_table"]
