"""Recording: score a cell whose sequences are all on disk, write ``metrics.json``, append the
record (the driver is the store's only writer); and re-scoring a prediction folder (``eval``)."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unibench import config as C
from unibench.appearance_models import describe_model
from unibench.benchmarks import quick
from unibench.benchmarks.base import build_benchmark, score
from unibench.benchmarks.data.check import check_or_raise
from unibench.cuda_ops import resolve_impl
from unibench.datatypes import MetricTable, ResultRecord
from unibench.errors import ConfigError
from unibench.io import atomic_write_text
from unibench.metrics import typed
from unibench.store import ResultStore, environment, git_sha, now_iso

logger = logging.getLogger(__name__)


@dataclass
class RunOutcome:
    record: ResultRecord
    table: MetricTable
    run_dir: Path
    computed: list[str]
    skipped: list[str]


@dataclass
class Cell:
    """A planned cell as the driver tracks it until it is recorded."""

    resolved: C.ResolvedConfig
    store: ResultStore
    run_id: str
    identity: dict
    bench: Any
    tap: str
    run_dir: Path
    names: list[str]
    targets: dict[str, Path]
    pending: set[str]
    skipped: list[str]
    computed: list[str]
    frames: int = 0
    seconds: float = 0.0
    outcome: RunOutcome | None = None
    load_report: Any = None  # the network's load report, where this process built it


def execution(cfg: C.RunConfig, params) -> dict[str, str]:
    """Device, dtype and the propagation implementation actually used. Not part of the run
    identity: the CPU and CUDA paths agree within the documented tolerance (tested), so a cell is
    one result whichever ran it; the record says which did."""
    out = {
        "device": cfg.model.device,
        "dtype": {"fp32": "float32", "bf16": "bfloat16"}[cfg.model.precision],
    }
    impl = getattr(params, "impl", None)
    if impl is not None:
        out["impl"] = resolve_impl(cfg.model.device, impl)
    return out


def stored_table(run_dir: Path, done: ResultRecord) -> MetricTable:
    """The table of a stored cell as its run printed it: the column order and protocol of its
    ``metrics.json`` (the record's rows went through the store's sorted keys)."""
    rows = done.per_sequence
    try:
        saved = json.loads((run_dir / "metrics.json").read_text())
        cols = [c for c in saved["columns"] if isinstance(c, str)]
        protocol = str(saved.get("protocol", ""))
    except (OSError, ValueError, KeyError, TypeError):
        keys = list(rows[0]) if rows else []
        cols = [*(k for k in ("sequence", "object") if k in keys), *(k for k in keys
                if k not in ("sequence", "object"))]  # fmt: skip
        protocol = ""
    return MetricTable(cols, rows, done.metrics, protocol=protocol)


def finish(c: Cell) -> RunOutcome | None:
    """Score a cell whose sequences are all on disk and append its record (once: a record
    another shard stored first is reused); None while other shards' sequences are missing."""
    missing = [n for n in c.names if not c.targets[n].exists()]
    if missing:
        logger.info(
            "cell %s: %d of %d sequences still to come from other shards",
            c.run_id,
            len(missing),
            len(c.names),
        )
        return None
    if (done := c.store.latest_of(c.run_id)) is not None and not c.resolved.run.output.force:
        rows = done.per_sequence
        table = MetricTable(list(rows[0]) if rows else [], rows, done.metrics)
        return RunOutcome(done, table, c.run_dir, c.computed, c.skipped)
    return _record(c)


def _record(c: Cell) -> RunOutcome:
    cfg = c.resolved.run
    pred_dir = c.run_dir / "predictions"
    if c.load_report is not None:
        atomic_write_text(c.run_dir / "checkpoint_report.txt", c.load_report.summary() + "\n")
    if c.skipped:
        logger.info(
            "skipped %d finished sequences (use --force to recompute): %s",
            len(c.skipped),
            ", ".join(c.skipped),
        )
    t0 = time.perf_counter()
    table = score(c.bench, pred_dir, c.names)
    eval_s = time.perf_counter() - t0
    atomic_write_text(c.run_dir / "metrics.json", json.dumps(table.to_dict(), indent=1))
    identity = c.identity
    record = ResultRecord(
        run_id=c.run_id,
        task=cfg.task,
        model=cfg.model.name,
        tap=c.tap,
        head=cfg.head.name,
        head_params=identity["params"],
        benchmark=c.bench.name,
        split=c.bench.split,
        metrics=typed(table.summary),
        per_sequence=[typed(r) for r in table.rows],
        timing={
            "track_seconds": c.seconds,
            "frames": float(c.frames),
            "seconds_per_frame": c.seconds / c.frames if c.frames else float("nan"),
            "eval_seconds": eval_s,
        },
        git_sha=git_sha(),
        environment=environment(),
        created=now_iso(),
        checkpoint=identity["checkpoint"],
        predictions=str(pred_dir),
        sequences=list(c.names),
        split_size=identity["split_size"],
        whole_split=identity["whole_split"],
        frames=identity.get("frames"),
        truncated=identity.get("truncate"),
        protocol=table.protocol,
        execution=execution(cfg, c.resolved.head_params),
        weights=identity["weights"],
        card=identity["card"],
        behaviour=identity["behaviour"],
        benchmark_options=identity.get("benchmark_options", {}),
        grounding=identity.get("grounding", {}),
        model_info=describe_model(cfg.model.name, identity["checkpoint"]),
    )
    c.store.append(record)
    return RunOutcome(record, table, c.run_dir, c.computed, c.skipped)


def evaluate_folder(
    task: str,
    benchmark: str,
    data_root: str | None,
    predictions: Path,
    split: str | None = None,
    sequences=None,
    options: dict | None = None,
    frames: int | None = None,
    truncate: bool = False,
) -> MetricTable:
    """Score a prediction folder on disk (``unibench eval``): no model, the same scorer (a quick
    suite stands for its benchmark, split, sequences and frames, as in ``run``)."""
    benchmark, split, sequences, frames = quick.expand(benchmark, split, sequences, frames)
    bench = build_benchmark(
        benchmark, data_root, split, sequences, options=options, frames=frames, truncate=truncate
    )
    if task not in bench.tasks:
        raise ConfigError(f"benchmark {benchmark!r} serves tasks {bench.tasks}, not {task!r}")
    # the fast check of `data check` on what scoring reads: a wrong folder fails here with the
    # check's line, not inside a scorer
    check_or_raise(bench, bench.sequence_names(), scoring_only=True)
    return score(bench, predictions, progress=True)
