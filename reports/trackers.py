"""Runs exported to experiment trackers: one run per record, ``unibench export tensorboard|mlflow``
and ``unibench.evaluate(..., log_to=...)``.

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

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from unibench.reports.build import safe_file, sot_figures
from unibench.reports.tidy import display, metric_meta, per_sequence_frame

from unibench import config as C
from unibench.datatypes import ResultRecord
from unibench.errors import ConfigError

EXPORTERS = ("tensorboard", "mlflow")


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
    """The report's figures of one record, written under ``folder`` (PNG and vector files)."""
    folder.mkdir(parents=True, exist_ok=True)
    return sot_figures([rec], folder)


def export_tensorboard(records: list[ResultRecord], out: Path) -> list[Path]:
    """One event-file folder per record under ``out`` (see the module docstring)."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as exc:  # torch's writer needs the tensorboard package
        raise ConfigError(
            "the TensorBoard export needs the tensorboard package: pip install 'unibench[tensorboard]'"
        ) from exc
    folders = []
    for rec in records:
        folder = Path(out) / run_name(rec)
        with contextlib.closing(SummaryWriter(log_dir=str(folder))) as w:
            for name, value in summary_metrics(rec).items():
                w.add_scalar(f"{rec.task}/{name}", value, 0)
            w.add_text("identity", json.dumps(identity_params(rec), sort_keys=True), 0)
            table = per_sequence_frame(rec)
            w.add_text("per_sequence", "```\n" + table.to_csv(index=False) + "```", 0)
            for fig in record_figures(rec, folder / "figures"):
                if fig.suffix == ".png":
                    with Image.open(fig) as im:
                        rgb = np.asarray(im.convert("RGB"))
                    w.add_image(f"figures/{fig.stem}", rgb, 0, dataformats="HWC")
        table.to_csv(folder / "per_sequence.csv", index=False)
        folders.append(folder)
    return folders


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


def export(kind: str, records: list[ResultRecord], target: str | Path) -> list:
    """``kind`` is one of :data:`EXPORTERS`."""
    if kind == "tensorboard":
        return export_tensorboard(records, Path(target))
    if kind == "mlflow":
        return export_mlflow(records, target)
    raise ConfigError(f"unknown export {kind!r}; exports: {', '.join(EXPORTERS)}")


def parse_log_to(spec: str) -> tuple[str, str]:
    """``tensorboard:DIR`` or ``mlflow:URI`` → (kind, target)."""
    kind, sep, target = spec.partition(":")
    if not sep or kind not in EXPORTERS or not target:
        raise ConfigError(f"log_to={spec!r}: expected tensorboard:DIR or mlflow:URI")
    return kind, target
