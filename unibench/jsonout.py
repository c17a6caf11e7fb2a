"""``--json FILE`` of ``unibench eval`` and ``unibench run``: machine-readable results, so that
scripts need not parse tables. Full precision; undefined figures are ``null``; every metric comes
with its unit, direction and official name from the task registry (the one home of that fact)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from unibench.datatypes import MetricTable
from unibench.errors import ConfigError
from unibench.io import atomic_write_text
from unibench.metrics import metric_meta
from unibench.tasks import TASKS

MARK = "unibench-results"  # a file holding this key was written by UniBench


def _num(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def metric_metadata(task: str, names) -> dict[str, dict]:
    TASKS.get(task)  # an unknown task is an error listing the known ones
    out = {}
    for n in names:
        m = metric_meta(n)
        out[n] = {
            "unit": m.unit,
            "higher_is_better": m.higher_is_better,
            "official": m.official_name(task),
        }
    return out


def entry(task: str, benchmark: str, split: str, table: MetricTable, **extra: Any) -> dict:
    """One evaluated cell: summary, per-sequence rows, metric metadata, protocol (counts as
    integers)."""
    meta = metric_metadata(task, {*table.summary, *(k for r in table.rows for k in r)})

    def num(k: str, v: Any) -> Any:
        v = _num(v)
        if isinstance(v, float) and meta.get(k, {}).get("unit") == "count" and v.is_integer():
            return int(v)
        return v

    return {
        "task": task,
        "benchmark": benchmark,
        "split": split,
        **extra,
        "protocol": table.protocol,
        "summary": {k: num(k, v) for k, v in table.summary.items()},
        "columns": list(table.columns),
        "per_sequence": [{k: num(k, v) for k, v in r.items()} for r in table.rows],
        "metrics": meta,
        # the per-attribute analysis, where the benchmark's attribute files were given
        **({"attributes": table.curves["attributes"]} if "attributes" in table.curves else {}),
    }


def write(path: Path | str, entries: list[dict]) -> Path:
    """Write ``entries`` atomically to ``path``; a file UniBench did not write is never replaced."""
    path = Path(path).expanduser()
    if path.exists():
        try:
            ours = MARK in json.loads(path.read_text())
        except (OSError, ValueError, TypeError):
            ours = False
        if not ours:
            raise ConfigError(f"--json {path}: the file exists and was not written by UniBench")
    atomic_write_text(path, json.dumps({MARK: 1, "results": entries}, indent=1, allow_nan=False))
    return path
