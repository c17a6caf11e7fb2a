"""What every experiment logger writes of a record (one run per record: ``unibench export NAME``
and ``unibench.evaluate(..., log_to="NAME:TARGET")``; the loggers are report formats of kind
``logger``, :mod:`unibench.reports.formats`).

Each run carries the record's run identity as parameters (run id, task, model, checkpoint, the
weights' content id, tap, head and every head parameter, benchmark, split, sequences and whether
they are the whole split, the card's feature-changing fields, the behaviour versions, the scoring
options), its summary as metrics under their official names in display units (percent as the
reports print them, counts as integers), its per-sequence table as an artifact
(``per_sequence.csv``; in TensorBoard also as a text summary) and the report's figures of that
record as artifacts (``figures/``: the OPE success and precision plots of a SOT record, a VOT
record's EAO curve or long-term precision/recall plot; in
TensorBoard also as images ``figures/<name>``).

* TensorBoard (extra ``[tensorboard]``): ``<out>/<model>-<tap>-<head>-<benchmark>-<run id>/``, one
  event file; scalars at step 0 under ``<task>/<official name>``; the identity as the text
  summary ``identity`` (json).
* MLflow (extra ``[mlflow]``, ``mlflow-skinny`` suffices): one run per record in the experiment
  ``unibench`` of the tracking URI, named like the TensorBoard folder and tagged
  ``unibench.run_id``; MLflow refuses ``&``, ``(`` and ``)`` in metric keys, so a key is the official
  name with every other character replaced by ``_`` and the tag ``unibench.official_names`` (json)
  maps each key back to its official name. A ``file:`` URI (or a bare folder) uses MLflow's file
  store, which MLflow 3 allows only with ``MLFLOW_ALLOW_FILE_STORE=true``: set for the export only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from unibench.reports.figures import safe_file, section_figures
from unibench.reports.formats.base import formats
from unibench.reports.tidy import display, metric_meta

from unibench import config as C
from unibench.datatypes import ResultRecord
from unibench.errors import ConfigError


def run_name(rec: ResultRecord) -> str:
    return safe_file(f"{rec.model}-{rec.tap}-{rec.head}-{rec.benchmark}-{rec.run_id}")


def identity_params(rec: ResultRecord) -> dict[str, str]:
    """The run identity of a record as flat string parameters (``head.<param>``, ``card.<field>``,
    ``behaviour.<part>``, ``option.<name>``, ``grounding.<part>``) and the scorer's protocol line."""
    out: dict[str, Any] = {
        "run_id": rec.run_id,
        "task": rec.task,
        "model": rec.model,
        "checkpoint": rec.checkpoint,
        "weights": rec.weights,
        "tap": rec.tap,
        "head": rec.head,
        "benchmark": rec.benchmark,
        "split": rec.split,
        "sequences": ",".join(rec.sequences),
        "split_size": rec.split_size,
        "whole_split": rec.whole_split,
        "frames": rec.frames,
        "subset": rec.subset,
        "protocol": rec.protocol,
    }
    for prefix, part in (
        ("head", rec.head_params),
        ("card", rec.card),
        ("behaviour", rec.behaviour),
        ("option", rec.benchmark_options),
        ("grounding", rec.grounding),
    ):
        for k, v in sorted(part.items()):
            out[f"{prefix}.{k}"] = v
    return {k: v if isinstance(v, str) else json.dumps(C.to_dict(v)) for k, v in out.items()}


def summary_metrics(rec: ResultRecord) -> dict[str, float | int]:
    """Official name → value in display units, for every figure of the summary that is defined."""
    return {
        metric_meta(name, rec.task).official_name(rec.task): display(name, value)
        for name, value in rec.metrics.items()
        if value is not None
    }


def record_figures(rec: ResultRecord, folder: Path) -> list[Path]:
    """The report's figures of one record (its section's: SOT curves, J&F per sequence, HOTA
    against α, PCK), written under ``folder`` (PNG and vector files)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [p for f in section_figures([rec], folder) for p in f.files]


def parse_log_to(spec: str) -> tuple[str, str]:
    """``NAME:TARGET`` (``tensorboard:DIR``, ``mlflow:URI``: any registered logger) →
    (name, target)."""
    kind, sep, target = spec.partition(":")
    loggers = [f.name for f in formats("logger")]
    if not sep or kind not in loggers or not target:
        raise ConfigError(
            f"log_to={spec!r}: expected LOGGER:TARGET with a logger among {', '.join(loggers)} "
            "(tensorboard:DIR, mlflow:URI)"
        )
    return kind, target
