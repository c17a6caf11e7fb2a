"""The runner: resolve the config, run a head over a benchmark, write predictions, score, store.

A run is identified by task × model (+checkpoint) × tap × head × parameters × benchmark × split ×
sequences. Its folder is ``<output>/runs/<benchmark>-<split>/<model>/<tap>/<head>-<hash>/`` with the
resolved ``config.yaml``, ``predictions/<seq>/`` in the benchmark's official format and
``metrics.json``. Each sequence's prediction folder appears atomically when complete, so a rerun
skips finished sequences (``force`` recomputes) and an interrupted run loses nothing written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from unibench import config as C
from unibench.errors import ConfigError
from unibench.io import atomic_write_text, staging_dir
from unibench.store import ResultStore, environment, git_sha, now_iso
from unibench.types import MetricTable, ResultRecord

logger = logging.getLogger(__name__)


def _registries():
    from unibench.appearance_models import MODELS
    from unibench.benchmarks import BENCHMARKS, DEFAULT_SYNTHETIC
    from unibench.heads import DEFAULT_HEAD, HEADS

    return MODELS, BENCHMARKS, DEFAULT_SYNTHETIC, HEADS, DEFAULT_HEAD


def resolve_config(
    cli_layer: dict[str, Any] | None = None,
    yaml_path: Path | None = None,
    overrides: list[str] | None = None,
) -> C.ResolvedConfig:
    """Merge defaults < model card < benchmark defaults < head preset < YAML < CLI flags/overrides."""
    MODELS, BENCHMARKS, DEFAULT_SYNTHETIC, HEADS, DEFAULT_HEAD = _registries()
    user_layers: list[C.Layer] = []
    if yaml_path is not None:
        user_layers.append(C.Layer(str(yaml_path), C.split_head(C.load_yaml(yaml_path))))
    if cli_layer:
        user_layers.append(C.Layer("CLI flag", C.split_head(cli_layer)))
    if overrides:
        user_layers.append(C.Layer("CLI override", C.split_head(C.overrides_to_dict(overrides))))
    for layer in user_layers:
        C.check_keys(C.RunConfig, layer.data, layer.source)

    # what the user layers say about the things that pick the lower layers
    prov: dict[str, str] = {}
    probe = C.deep_merge({}, {}, "", prov)
    for layer in user_layers:
        C.deep_merge(probe, layer.data, layer.source, {})
    run0 = C.from_dict(C.RunConfig, {k: v for k, v in probe.items() if k != "head"}, "config")
    task = run0.task
    bench_name = run0.benchmark.name if "name" in probe.get("benchmark", {}) else None
    if bench_name is None:
        if task not in DEFAULT_SYNTHETIC:
            raise ConfigError(
                f"task {task!r} has no embedded synthetic benchmark; pass --benchmark"
            )
        bench_name = DEFAULT_SYNTHETIC[task]
    head_name = (probe.get("head") or {}).get("name") or DEFAULT_HEAD.get(task)
    if head_name is None:
        raise ConfigError(f"task {task!r} has no head; known tasks: {', '.join(DEFAULT_HEAD)}")
    head_cls = HEADS.get(head_name)
    if head_cls.task != task:
        raise ConfigError(f"head {head_name!r} serves task {head_cls.task!r}, not {task!r}")
    card = MODELS.get(run0.model.name)
    bench_factory = BENCHMARKS.get(bench_name)

    layers = [
        C.Layer(
            f"model card {card.name}", {"head": {"params": dict(card.head_defaults.get(task, {}))}}
        ),
        C.Layer(
            f"benchmark defaults {bench_name}",
            {
                "benchmark": {"name": bench_name},
                "head": {"params": dict(getattr(bench_factory, "head_defaults", {}).get(task, {}))},
            },
        ),
    ]
    preset = None
    for layer in user_layers:
        preset = (layer.data.get("head") or {}).get("params", {}).get("preset", preset)
    presets = getattr(__import__(head_cls.__module__, fromlist=["PRESETS"]), "PRESETS", {})
    if preset is not None:
        if preset not in presets:
            raise ConfigError(
                f"head {head_name!r} has no preset {preset!r}; presets: {', '.join(presets)}"
            )
        layers.append(C.Layer(f"preset {preset}", {"head": {"params": dict(presets[preset])}}))
    layers += user_layers
    merged: dict[str, Any] = {"head": {"name": head_name, "params": {}}}
    prov = {"head.name": "task default"}
    for layer in layers:
        C.validate_head_layer(head_cls.Params, layer)
        C.deep_merge(merged, layer.data, layer.source, prov)
    merged["head"]["name"] = head_name
    params = C.from_dict(head_cls.Params, merged["head"].pop("params"), "head parameters", "head.")
    run = C.from_dict(C.RunConfig, merged, "config")
    return C.ResolvedConfig(run=run, head_params=params, provenance=prov)


def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:10]


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)


@dataclass
class RunOutcome:
    record: ResultRecord
    table: MetricTable
    run_dir: Path
    computed: list[str]
    skipped: list[str]


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run(resolved: C.ResolvedConfig, progress: bool = True) -> RunOutcome:
    from unibench.appearance_models import create_model
    from unibench.benchmarks import BENCHMARKS
    from unibench.heads import HEADS

    cfg = resolved.run
    bench = BENCHMARKS.get(cfg.benchmark.name)(
        cfg.benchmark.data_root, cfg.benchmark.split, cfg.benchmark.sequences
    )
    extractor, report = create_model(
        cfg.model.name,
        cfg.model.checkpoint,
        cfg.model.allow_partial,
        cfg.model.device,
        cfg.model.tap,
    )
    head = HEADS.get(cfg.head.name)(resolved.head_params)
    ckpt_id = None
    if cfg.model.checkpoint:
        ckpt_id = (
            f"{Path(cfg.model.checkpoint).name}@{file_sha256(Path(cfg.model.checkpoint))[:12]}"
        )
    params = C.to_dict(resolved.head_params)
    names = bench.sequence_names()
    identity = {
        "task": cfg.task,
        "model": cfg.model.name,
        "checkpoint": ckpt_id,
        "tap": extractor.tap,
        "head": cfg.head.name,
        "params": params,
        "benchmark": bench.name,
        "root": str(Path(bench.root).resolve()),
        "split": bench.split,
        "sequences": names,
    }
    run_id = _hash(identity)
    model_dir = _safe(cfg.model.name + (f"+{ckpt_id}" if ckpt_id else ""))
    run_dir = (
        Path(cfg.output.dir)
        / "runs"
        / f"{bench.name}-{bench.split}"
        / model_dir
        / extractor.tap
        / f"{cfg.head.name}-{run_id}"
    )
    pred_dir = run_dir / "predictions"
    pred_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(
        run_dir / "config.yaml",
        yaml.safe_dump(
            {**resolved.to_dict(), "identity": identity, "run_id": run_id}, sort_keys=False
        ),
    )
    if report is not None:
        atomic_write_text(run_dir / "checkpoint_report.txt", report.summary() + "\n")

    computed, skipped, frames, seconds = [], [], 0, 0.0
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(names), desc=f"{cfg.model.name}/{cfg.head.name}", unit="seq")
    for name in names:
        final = pred_dir / name
        if final.is_dir() and not cfg.output.force:
            skipped.append(name)
        else:
            seq = bench.load_sequence(name)
            t0 = time.perf_counter()
            with staging_dir(final) as tmp:
                frames += bench.write_predictions(seq, head.track(seq, extractor), tmp)
            seconds += time.perf_counter() - t0
            computed.append(name)
        if bar is not None:
            bar.set_postfix_str(name)
            bar.update(1)
    if bar is not None:
        bar.close()
    if skipped:
        logger.info(
            "skipped %d finished sequences (use --force to recompute): %s",
            len(skipped),
            ", ".join(skipped),
        )
    t0 = time.perf_counter()
    table = bench.evaluate(pred_dir, names)
    eval_s = time.perf_counter() - t0
    atomic_write_text(run_dir / "metrics.json", json.dumps(table.to_dict(), indent=1))
    record = ResultRecord(
        run_id=run_id,
        task=cfg.task,
        model=cfg.model.name,
        tap=extractor.tap,
        head=cfg.head.name,
        head_params=params,
        benchmark=bench.name,
        split=bench.split,
        metrics=table.summary,
        per_sequence=table.rows,
        timing={
            "track_seconds": seconds,
            "frames": float(frames),
            "seconds_per_frame": seconds / frames if frames else float("nan"),
            "eval_seconds": eval_s,
        },
        git_sha=git_sha(),
        environment=environment(),
        created=now_iso(),
        checkpoint=ckpt_id,
        predictions=str(pred_dir),
    )
    ResultStore(cfg.output.dir).append(record)
    return RunOutcome(record, table, run_dir, computed, skipped)


def evaluate_folder(
    task: str,
    benchmark: str,
    data_root: str | None,
    predictions: Path,
    split: str | None = None,
    sequences=None,
) -> MetricTable:
    from unibench.benchmarks import BENCHMARKS

    bench = BENCHMARKS.get(benchmark)(data_root, split, sequences)
    if task not in bench.tasks:
        raise ConfigError(f"benchmark {benchmark!r} serves tasks {bench.tasks}, not {task!r}")
    return bench.evaluate(Path(predictions), progress=True)
