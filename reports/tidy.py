"""The one table model of the reports: a tidy pandas DataFrame of every figure.

One row per model × checkpoint × tap × head variant × benchmark × split × metric, with the record's
identity (run id, creation time, coverage of the split) and the metric's metadata from the task
registry (unit, direction, official name). Measured rows come from the result store; published rows
from the shipped UniTrack tables. Every view — the leaderboard sections, the comparison, the
correlation study, the per-sequence drill-down, the CSV exports — is a filter or pivot of it.

Values are in display units: percent figures ×100 (the store keeps fractions), counts as integers.
``model_key`` aligns a model across sources: a zoo card's ``<arch> <reference_name>`` (the row name
in the UniTrack tables), a bare ``resnet18``/``resnet50`` is ``<arch> Random Init.``.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

from unibench.heads import HEADS
from unibench.reports.published import PAPER_COLUMNS, _csv, linear_probe

from unibench.errors import RegistryError
from unibench.metrics import Metric
from unibench.metrics import metric_meta as _metric_meta
from unibench.tasks import TASKS

if TYPE_CHECKING:
    import pandas as pd

    from unibench.datatypes import ResultRecord

COLUMNS = [
    "model",
    "model_key",
    "checkpoint",
    "tap",
    "head",
    "head_variant",
    "task",
    "benchmark",
    "split",
    "metric",
    "value",
    "unit",
    "higher_is_better",
    "official",
    "published",
    "source",
    "synthetic",
    "subset",
    "run_id",
    "created",
    "top1",
    "top1_kind",
    "backbone",
]


def metric_meta(name: str, task: str | None = None) -> Metric:
    """A metric's unit, direction and official name, from the one metric registry
    (:mod:`unibench.metrics`); ``task`` is accepted for symmetry with :func:`official_name`."""
    return _metric_meta(name)


def official_name(name: str, task: str | None) -> str:
    """The defining toolkit's name of ``name`` as ``task`` reports it (MOT's FN is CLR_FN)."""
    return _metric_meta(name).official_name(task)


def display(name: str, value: float) -> float | int:
    """The stored figure in display units: percent ×100, counts as int, NaN kept."""
    m = metric_meta(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return float("nan")
    if m.unit == "count":
        return int(round(float(value)))
    if m.unit == "percent":
        return 100.0 * float(value)
    return float(value)


def fmt(name: str, value) -> str:
    """One figure as text by its metric type (counts as integers, percent with one decimal)."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    m = metric_meta(name)
    if m.unit == "count" or isinstance(value, int | bool) and not isinstance(value, float):
        return f"{int(value)}"
    if m.unit in ("seconds", "ratio"):
        return f"{float(value):.3f}"
    return f"{float(value):.1f}"


def is_synthetic(benchmark: str) -> bool:
    return benchmark.startswith("synthetic")


def model_key(rec: ResultRecord) -> tuple[str, str, float | None]:
    """(canonical key, backbone, ImageNet top-1) of a measured record, from what the record
    carries (``model_info``, written at run time from the model card; older records get it from
    :func:`unibench.reports.build.with_model_info`). A record without it keys by its name."""
    info = rec.model_info or {}
    key = info.get("key") or rec.model_name
    if rec.precision != "fp32" and info.get("key"):
        key += f" ({rec.precision})"
    return key, info.get("backbone") or "", info.get("top1")


def _frame(out: list[dict]) -> pd.DataFrame:
    """Rows → DataFrame with ``value`` kept as objects: counts stay ``int``, percent ``float``."""
    import pandas as pd

    df = pd.DataFrame(out, columns=COLUMNS)
    df["value"] = pd.Series([r["value"] for r in out], dtype=object, index=df.index)
    return df


@functools.cache
def _default_preset(head: str) -> str | None:
    """The preset a head runs without one named (None: the head has no presets or is unknown)."""
    try:
        return getattr(HEADS.get(head).Params(), "preset", None)
    except (RegistryError, TypeError):
        return None


def head_variant(rec: ResultRecord) -> str:
    """The column a record fills: its head, ``+box-init`` where each first box seeds the mask,
    and ``[preset]`` where the run used another preset than the head's default. A protocol is a
    column of its own, so no column's value (nor a model's best, nor a correlation's point) is
    ever taken across protocols."""
    v = rec.head + ("+box-init" if rec.head_params.get("init_from_box") else "")
    preset, default = rec.head_params.get("preset"), _default_preset(rec.head)
    if preset is not None and default is not None and preset != default:
        v += f"[{preset}]"
    return v


def measured_frame(records: list[ResultRecord]) -> pd.DataFrame:

    out = []
    for rec in records:
        key, backbone, top1 = model_key(rec)
        subset = rec.subset
        variant = head_variant(rec)
        task = TASKS.get(rec.task) if rec.task in TASKS else None
        order = list(task.metrics) if task else sorted(rec.metrics)
        for metric in [*order, *sorted(set(rec.metrics) - set(order))]:
            if metric not in rec.metrics:
                continue
            m = metric_meta(metric, rec.task)
            out.append(
                {
                    "model": rec.model_name,
                    "model_key": key,
                    "checkpoint": rec.checkpoint,
                    "tap": rec.tap,
                    "head": rec.head,
                    "head_variant": variant,
                    "task": rec.task,
                    "benchmark": rec.benchmark_label,
                    "split": rec.split,
                    "metric": metric,
                    "value": display(metric, rec.metrics[metric]),
                    "unit": m.unit,
                    "higher_is_better": m.higher_is_better,
                    "official": m.official_name(rec.task),
                    "published": False,
                    "source": "measured" if subset is None else f"measured on {subset}",
                    "synthetic": is_synthetic(rec.benchmark),
                    "subset": subset,
                    "run_id": rec.run_id,
                    "created": rec.created,
                    "top1": top1,
                    "top1_kind": (rec.model_info or {}).get("top1_kind")
                    if top1 is not None
                    else None,
                    "backbone": backbone,
                }
            )
    return _frame(out)


def published_frame(tables: tuple[str, ...] = ("1", "2")) -> pd.DataFrame:

    probe = linear_probe()
    out = []
    for r in _csv("unitrack_tables_1_2.csv"):
        if r["table"] not in tables:
            continue
        for name, col in PAPER_COLUMNS.items():
            if not r.get(name):
                continue
            m = metric_meta(col.metric, col.task)
            v = float(r[name])
            out.append(
                {
                    "model": f"{r['backbone']} {r['model']}",
                    "model_key": f"{r['backbone']} {r['model']}",
                    "checkpoint": None,
                    "tap": r["layer"],
                    "head": col.head,
                    "head_variant": col.head,
                    "task": col.task,
                    "benchmark": col.benchmark,
                    "split": "val" if col.task == "vos" else "test",
                    "metric": col.metric,
                    "value": int(round(v)) if m.unit == "count" else v,
                    "unit": m.unit,
                    "higher_is_better": m.higher_is_better,
                    "official": m.official_name(col.task),
                    "published": True,
                    "source": f"UniTrack (NeurIPS 2021), Table {r['table']}",
                    "synthetic": False,
                    "subset": None,
                    "run_id": None,
                    "created": None,
                    "top1": probe.get(r["model"]) if r["backbone"] == "resnet50" else None,
                    "top1_kind": "linear-probe",  # the paper's Fig. 6 and its probe table
                    "backbone": r["backbone"],
                }
            )
    return _frame(out)


def tidy(records: list[ResultRecord], published: bool = True) -> pd.DataFrame:
    """The whole table: measured records (newest per identity, as the store's ``latest``) plus,
    unless ``published=False``, the paper's rows."""
    import pandas as pd

    parts = [measured_frame(records)]
    if published:
        parts.append(published_frame())
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    df = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return df.reset_index(drop=True)


def per_sequence_frame(rec: ResultRecord) -> pd.DataFrame:
    """A record's per-sequence rows in display units (percent ×100, counts as integers)."""
    import pandas as pd

    rows = [
        {
            k: (display(k, v) if isinstance(v, int | float) and not isinstance(v, bool) else v)
            for k, v in r.items()
        }  # fmt: skip
        for r in rec.per_sequence
    ]

    # the store keeps keys sorted: restore the reading order (names, then the task's metrics)
    keys = list(dict.fromkeys(k for r in rows for k in r))
    task = list(TASKS.get(rec.task).metrics) if rec.task in TASKS else []
    lead = [k for k in ("sequence", "object", "class", "joint") if k in keys]
    order = lead + [k for k in task if k in keys]
    order += [k for k in keys if k not in order]
    return pd.DataFrame(rows, columns=order)
