"""MLflow (extra ``[mlflow]``, ``mlflow-skinny`` suffices): one run per record in the experiment
``unibench`` of the tracking URI, named like the TensorBoard folder and tagged ``unibench.run_id``;
MLflow refuses ``&``, ``(`` and ``)`` in metric keys, so a key is the official name with every other
character replaced by ``_`` and the tag ``unibench.official_names`` (json) maps each key back to its
official name. A ``file:`` URI (or a bare folder) uses MLflow's file store, which MLflow 3 allows
only with ``MLFLOW_ALLOW_FILE_STORE=true``: set for the export only."""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from unibench.reports.formats.base import ReportInputs, register_format
from unibench.reports.logged_runs import identity_params, record_figures, run_name, summary_metrics
from unibench.reports.tidy import per_sequence_frame

from unibench.datatypes import ResultRecord
from unibench.errors import ConfigError

_MLFLOW_KEY = re.compile(r"[^A-Za-z0-9_\-. :/]")


def mlflow_key(official: str) -> str:
    return _MLFLOW_KEY.sub("_", official)


@contextlib.contextmanager
def _file_store_allowed(uri: str) -> Iterator[None]:
    if "://" in uri and not uri.startswith("file:"):
        yield
        return
    before = os.environ.get("MLFLOW_ALLOW_FILE_STORE")
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("MLFLOW_ALLOW_FILE_STORE", None)
        else:
            os.environ["MLFLOW_ALLOW_FILE_STORE"] = before


def tracking_uri(target: str | Path) -> str:
    text = str(target)
    return text if "://" in text or text.startswith("file:") else Path(text).resolve().as_uri()


def export_mlflow(records: list[ResultRecord], uri: str | Path) -> list[str]:
    """One MLflow run per record in the experiment ``unibench`` of ``uri``; returns the run ids."""
    try:
        from mlflow.entities import Metric, Param, RunTag
        from mlflow.tracking import MlflowClient
    except ImportError as exc:
        raise ConfigError(
            "the MLflow export needs mlflow (or mlflow-skinny): pip install 'unibench[mlflow]'"
        ) from exc
    uri = tracking_uri(uri)
    ids = []
    with _file_store_allowed(uri):
        client = MlflowClient(tracking_uri=uri)
        exp = client.get_experiment_by_name("unibench")
        exp_id = exp.experiment_id if exp is not None else client.create_experiment("unibench")
        for rec in records:
            metrics = summary_metrics(rec)
            keys = {mlflow_key(k): k for k in metrics}
            run = client.create_run(
                exp_id,
                run_name=run_name(rec),
                tags={"unibench.run_id": rec.run_id, "unibench.official_names": json.dumps(keys)},
            )
            rid = run.info.run_id
            client.log_batch(
                rid,
                metrics=[Metric(mlflow_key(k), float(v), 0, 0) for k, v in metrics.items()],
                params=[Param(k, v[:6000]) for k, v in identity_params(rec).items()],
                tags=[RunTag("unibench.created", rec.created)],
            )
            with tempfile.TemporaryDirectory() as tmp:
                csv = Path(tmp) / "per_sequence.csv"
                per_sequence_frame(rec).to_csv(csv, index=False)
                client.log_artifact(rid, str(csv))
                if record_figures(rec, Path(tmp) / "figures"):
                    client.log_artifacts(rid, str(Path(tmp) / "figures"), "figures")
            client.set_terminated(rid)
            ids.append(rid)
    return ids


@register_format("mlflow", "logger", "one MLflow run per record (experiment 'unibench')", "mlflow")
def write_mlflow(inputs: ReportInputs, target) -> list[str]:
    return export_mlflow(inputs.records, target)
