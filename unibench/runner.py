"""The runner: resolve the config, run a head over a benchmark, write predictions, score, store.

A run is identified by task × model (+checkpoint) × tap × head × parameters × benchmark × split ×
sequences × the weights' content × the card's feature-changing fields × the behaviour versions of
head, feature extractor and scorer. Its folder is ``<output>/runs/<benchmark>-<split>/<model>/<tap>/<head>-<hash>/`` with the
resolved ``config.yaml``, ``predictions/<seq>/`` in the benchmark's official format and
``metrics.json``. Each sequence's prediction folder appears atomically when complete, so a rerun
skips finished sequences (``force`` recomputes) and an interrupted run loses nothing written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from unibench import config as C
from unibench.benchmarks.base import build_benchmark, score, scorer_version
from unibench.errors import ConfigError
from unibench.io import atomic_write_text, file_lock, sha256_of, staging_dir
from unibench.metrics import typed
from unibench.paths import inside, safe_name
from unibench.store import ResultStore, environment, git_sha, now_iso
from unibench.tasks import TASKS
from unibench.types import MetricTable, ResultRecord

logger = logging.getLogger(__name__)


def _registries():
    from unibench.appearance_models import MODELS
    from unibench.benchmarks import BENCHMARKS
    from unibench.heads import HEADS

    return MODELS, BENCHMARKS, HEADS


def resolve_config(
    cli_layer: dict[str, Any] | None = None,
    yaml_path: Path | None = None,
    overrides: list[str] | None = None,
) -> C.ResolvedConfig:
    """Merge the configuration layers, lowest first: the head's dataclass defaults < the head's
    defaults for the task < the model card's protocol (its named preset, expanded whole, then any
    other card keys) < benchmark defaults < the preset the user names (expanded whole) < ``--config``
    YAML < CLI flags < ``key=value`` overrides. ``config.yaml`` records the layers applied, in this
    order, and the layer that set every key."""
    MODELS, BENCHMARKS, HEADS = _registries()
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
    probe: dict[str, Any] = {}
    for layer in user_layers:
        C.deep_merge(probe, layer.data, layer.source, {})
    run0 = C.from_dict(C.RunConfig, {k: v for k, v in probe.items() if k != "head"}, "config")
    task = run0.task
    task_def = TASKS.get(task)  # an unknown task is an error listing the known ones
    bench_name = run0.benchmark.name if "name" in probe.get("benchmark", {}) else None
    if bench_name is None:
        bench_name = task_def.default_suite
    head_name = (probe.get("head") or {}).get("name") or task_def.default_head
    head_cls = HEADS.get(head_name)
    head_tasks = getattr(head_cls, "tasks", (head_cls.task,))
    if task not in head_tasks:
        raise ConfigError(
            f"head {head_name!r} serves task(s) {', '.join(head_tasks)}, not {task!r}"
        )
    from unibench.appearance_models import get_cfg

    card = get_cfg(run0.model.name)  # a registered card, or one built for a timm:/hf-hub: name
    bench_factory = BENCHMARKS.get(bench_name)

    presets = getattr(head_cls, "presets", {})

    def preset_layer(name: Any, source: str) -> C.Layer:
        if name not in presets:
            raise ConfigError(
                f"{source}: head {head_name!r} has no preset {name!r}; presets: "
                f"{', '.join(presets) or '(none)'}"
            )
        return C.Layer(f"{source}: preset {name}", {"head": {"params": dict(presets[name])}})

    layers = [
        C.Layer(
            f"head defaults for task {task}",
            {"head": {"params": dict(getattr(head_cls, "task_defaults", {}).get(task, {}))}},
        )
    ]
    card_params = dict(card.head_defaults.get(task, {}))
    card_preset = card_params.pop("preset", None)
    if card_preset is not None:  # a card's protocol is a named preset, expanded whole
        layers.append(preset_layer(card_preset, f"model card {card.name}"))
    if card_params:
        layers.append(C.Layer(f"model card {card.name}", {"head": {"params": card_params}}))
    layers.append(
        C.Layer(
            f"benchmark defaults {bench_name}",
            {
                "benchmark": {"name": bench_name},
                "head": {"params": dict(getattr(bench_factory, "head_defaults", {}).get(task, {}))},
            },
        )
    )
    preset, preset_source = None, None
    for layer in user_layers:
        named = (layer.data.get("head") or {}).get("params", {}).get("preset")
        if named is not None:
            preset, preset_source = named, layer.source
    if preset is not None:
        layers.append(preset_layer(preset, preset_source))
    layers += user_layers
    merged: dict[str, Any] = {"head": {"name": head_name, "params": {}}}
    prov = {"head.name": "task default"}
    for layer in layers:
        C.validate_head_layer(head_cls.Params, layer)
        C.deep_merge(merged, layer.data, layer.source, prov)
    merged["head"]["name"] = head_name
    params = C.from_dict(head_cls.Params, merged["head"].pop("params"), "head parameters", "head.")
    run = C.from_dict(C.RunConfig, merged, "config")
    return C.ResolvedConfig(
        run=run, head_params=params, provenance=prov, layers=[la.source for la in layers]
    )


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


def _identity(cfg: C.RunConfig, params: dict, bench, tap: str, ckpt_id: str | None) -> dict:
    return {
        "task": cfg.task,
        "model": cfg.model.name,
        "checkpoint": ckpt_id,
        "tap": tap,
        "head": cfg.head.name,
        "params": params,
        "benchmark": bench.name,
        "root": str(Path(bench.root).resolve()),
        "split": bench.split,
        "sequences": bench.sequence_names(),
        **(
            {"detections": str(Path(cfg.benchmark.detections).resolve())}
            if cfg.benchmark.detections
            else {}
        ),
        **({"benchmark_options": dict(cfg.benchmark.options)} if cfg.benchmark.options else {}),
    }


def _feature_cache(card, tap: str, weights_id: str | None, height):
    from unibench.appearance_models import FeatureExtractor
    from unibench.featcache import FeatureCache

    ident = {
        "card": C.to_dict(card),
        "weights": weights_id,
        "tap": tap,
        "input_height": height,
        "features": FeatureExtractor.version,
    }
    return FeatureCache(ident)


_MODELS: dict[tuple, tuple] = {}  # per process: model key -> (network, card, load report)


_BENCHES: dict[str, Any] = {}  # per process: benchmarks the driver planned, by their settings


def _bench_key(cfg: C.RunConfig) -> str:
    b = cfg.benchmark
    return json.dumps(
        [b.name, b.data_root, b.split, b.sequences, b.detections, b.options],
        sort_keys=True,
        default=str,
    )


def model_key(cfg: C.RunConfig) -> tuple:
    """What identifies a loaded network: the model, the checkpoint's content, the device."""
    return (
        cfg.model.name,
        _checkpoint_id(cfg),  # the file's content, not its path
        cfg.model.allow_partial,
        cfg.model.device,
        cfg.model.allow_nonfinite,
    )


def load_network(cfg: C.RunConfig) -> tuple:
    """(network, card, load report) of a cell's model, built once per process."""
    from unibench.appearance_models import create_model

    key = model_key(cfg)
    if key not in _MODELS:
        ex, report = create_model(
            cfg.model.name,
            cfg.model.checkpoint,
            cfg.model.allow_partial,
            cfg.model.device,
            None,
            cfg.model.allow_nonfinite,
        )
        _MODELS[key] = (ex.model, ex.cfg, report)
    return _MODELS[key]


def adopt_weights(cfg: C.RunConfig, weights: dict) -> None:
    """Install a network from weights another process loaded (Ray's object store), so this
    process neither reads nor verifies the checkpoint again."""
    from unibench.appearance_models import build_random, get_cfg

    key = model_key(cfg)
    if key not in _MODELS:
        card = get_cfg(cfg.model.name)
        model = build_random(card)
        model.load_state_dict(weights)
        _MODELS[key] = (model.to(cfg.model.device).eval(), card, None)


class _Worker:
    """Everything a process needs to compute sequences of one cell (built once per process; the
    network is shared by the cells of one model, checkpoint and device)."""

    def __init__(self, resolved: C.ResolvedConfig, threads: int = 0) -> None:
        import torch

        from unibench.heads import HEADS

        if threads:
            torch.set_num_threads(threads)
        cfg = resolved.run
        self.bench = _BENCHES.get(_bench_key(cfg)) or build_benchmark(
            cfg.benchmark.name,
            cfg.benchmark.data_root,
            cfg.benchmark.split,
            cfg.benchmark.sequences,
            cfg.benchmark.detections,
            cfg.benchmark.options,
        )  # the planned benchmark where this process planned the cell
        model, card, self.report = load_network(cfg)
        from unibench.appearance_models import FeatureExtractor

        self.extractor = FeatureExtractor(model, card, device=cfg.model.device, tap=cfg.model.tap)
        self.head = HEADS.get(cfg.head.name)(resolved.head_params)
        if cfg.output.feature_cache:
            self.extractor.cache = _feature_cache(
                self.extractor.cfg,
                self.extractor.tap,
                _weights_id(cfg, card, model),  # the content loaded, not the file's name
                getattr(resolved.head_params, "input_height", None),
            )

    def compute(self, name: str, final: Path) -> tuple[int, float]:
        seq = self.bench.load_sequence(name)
        t0 = time.perf_counter()
        preds = self.head.track(seq, self.extractor)
        if final.suffix:  # a result file (OTB style): written aside, then renamed
            tmp = final.with_name(f".{final.name}.partial")
            try:
                frames = self.bench.write_predictions(seq, preds, tmp)
                os.replace(tmp, final)
            finally:
                tmp.unlink(missing_ok=True)
        else:
            with staging_dir(final) as tmp:
                frames = self.bench.write_predictions(seq, preds, tmp)
        if getattr(self.extractor, "cache", None) is not None:
            self.extractor.cache.evict()
        return frames, time.perf_counter() - t0


def _result_target(bench, pred_dir: Path, name: str) -> Path:
    """Where a sequence's results go: a file for file-based formats (OTB), else a folder."""
    rp = getattr(bench, "result_path", None)
    return rp(pred_dir, name) if rp is not None else pred_dir / name


_CKPT_IDS: dict[tuple, str] = {}  # per process: (path, size, mtime) -> id; hashed once


def _file_id(p: Path) -> str:
    """``<name>@<sha256 prefix>`` of a weight file, hashed once per (path, size, mtime)."""
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _CKPT_IDS:
        _CKPT_IDS[key] = f"{p.name}@{sha256_of(p)[:12]}"
    return _CKPT_IDS[key]


def _checkpoint_id(cfg: C.RunConfig) -> str | None:
    if not cfg.model.checkpoint:
        return None
    p = Path(cfg.model.checkpoint)
    if not p.is_file():
        from unibench.errors import CheckpointError

        raise CheckpointError(f"checkpoint {p} does not exist")
    return _file_id(p)


def _weights_id(cfg: C.RunConfig, card, net) -> str | None:
    """The content id of the weights a cell loads: ``--checkpoint``, the card's ``file:`` or
    URL (fetched into the cache), the timm / Hugging Face file picked up; None where nothing is
    loaded (random or training-free models)."""
    from unibench.appearance_models import weights_file

    _checkpoint_id(cfg)  # a missing --checkpoint is named first
    path = weights_file(net, card, cfg.model.checkpoint)
    return None if path is None else _file_id(Path(path))


def behaviour(head: str, net, bench) -> dict[str, int | str]:
    """Behaviour versions of the code that makes a cell's numbers (part of the run identity):
    the head, the feature extractor with the model family's forward pass, the scorer."""
    from unibench.appearance_models import FeatureExtractor
    from unibench.heads import HEADS

    return {
        "head": HEADS.get(head).version,
        "features": f"{FeatureExtractor.version}.{type(net).version}",
        "scorer": scorer_version(bench),
    }


def _execution(cfg: C.RunConfig, params) -> dict[str, str]:
    """Device, dtype and the propagation implementation actually used. Not part of the run
    identity: the CPU and CUDA paths agree within the documented tolerance (tested), so a cell is
    one result whichever ran it; the record says which did."""
    from unibench.cuda_ops import resolve_impl

    out = {"device": cfg.model.device, "dtype": "float32"}
    impl = getattr(params, "impl", None)
    if impl is not None:
        out["impl"] = resolve_impl(cfg.model.device, impl)
    return out


def _validated_sequences(seqs) -> tuple[str, ...] | None:
    if seqs is None:
        return None
    for n in seqs:
        safe_name(n, "sequence", "benchmark.sequences (--sequences)")
    dup = sorted({n for n in seqs if list(seqs).count(n) > 1})
    if dup:
        raise ConfigError(
            f"benchmark.sequences (--sequences) names {', '.join(dup)} more than once; each "
            "sequence is scored once"
        )
    return tuple(seqs)


def plan(resolved: C.ResolvedConfig) -> tuple[str, dict, Any, str]:
    """Run id, identity, benchmark and tap of a cell, without loading any weights. Every name
    that becomes a path is validated here, before anything is read or written."""
    from unibench.appearance_models import build_random, get_cfg

    cfg = resolved.run
    seqs = _validated_sequences(cfg.benchmark.sequences)
    if cfg.benchmark.split is not None:
        safe_name(cfg.benchmark.split, "split", "benchmark.split (--split)")
    if cfg.model.tap is not None:
        safe_name(cfg.model.tap, "tap", "model.tap (--tap)")
    safe_name(cfg.head.name, "head", "head.name (--head)")
    bench = build_benchmark(
        cfg.benchmark.name,
        cfg.benchmark.data_root,
        cfg.benchmark.split,
        seqs,
        cfg.benchmark.detections,
        cfg.benchmark.options,
    )
    if cfg.task not in bench.tasks:
        raise ConfigError(
            f"benchmark {bench.name!r} serves task(s) {', '.join(bench.tasks)}, not {cfg.task!r}"
        )
    safe_name(bench.name, "benchmark", "benchmark.name")
    safe_name(bench.split, "split", f"benchmark {bench.name}")
    card = get_cfg(cfg.model.name)
    net = build_random(card)
    tap = cfg.model.tap or net.default_tap
    ident = _identity(cfg, C.to_dict(resolved.head_params), bench, tap, _checkpoint_id(cfg))
    # nothing stale: the weights' content, the card's feature-changing fields and the code's
    # behaviour versions are part of the identity
    ident["weights"] = _weights_id(cfg, card, net)
    ident["card"] = C.to_dict(card.identity())
    ident["behaviour"] = behaviour(cfg.head.name, net, bench)
    if seqs is not None:  # a subset: say how much of the split it is
        full = build_benchmark(
            cfg.benchmark.name,
            cfg.benchmark.data_root,
            cfg.benchmark.split,
            None,
            cfg.benchmark.detections,
            cfg.benchmark.options,
        )
        ident["split_size"] = len(full.sequence_names())
        ident["whole_split"] = set(full.sequence_names()) == set(bench.sequence_names())
    else:
        ident["split_size"] = len(ident["sequences"])
        ident["whole_split"] = True
    return _hash(ident), ident, bench, tap


def run(resolved: C.ResolvedConfig, progress: bool = True, position: int = 0) -> RunOutcome:
    """One cell, its sequences on the executor ``--workers`` implies (inline or a process pool)."""
    from unibench.executors import make_executor

    ex = make_executor("auto", resolved.run.output.workers)
    (out,) = run_matrix([resolved], ex, progress=progress, position=position)
    return out


@dataclass
class _Cell:
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


def _cell_dir(cfg: C.RunConfig, run_id: str, identity: dict, bench, tap: str) -> Path:
    model_dir = _safe(
        cfg.model.name + (f"+{identity['checkpoint']}" if identity["checkpoint"] else "")
    )
    run_dir = (
        Path(cfg.output.dir)
        / "runs"
        / f"{bench.name}-{bench.split}"
        / model_dir
        / tap
        / f"{cfg.head.name}-{run_id}"
    )
    inside(run_dir, cfg.output.dir, "run folder")
    return run_dir


def run_matrix(
    resolveds: list[C.ResolvedConfig],
    executor,
    shard: tuple[int, int] | None = None,
    progress: bool = True,
    position: int = 0,
) -> list[RunOutcome | None]:
    """Plan every cell, run the missing units (cell × sequence) on ``executor`` and, as each cell's
    sequences are all on disk, score it and append its record (the driver is the store's only
    writer). A cell already stored is reused; finished sequences are never recomputed. With
    ``shard=(I, N)`` only the units of shard I are computed and records go to
    ``results.shard-I-of-N.jsonl``; a cell is scored by the shard that completes it. Returns one
    outcome per cell (None for a cell whose other shards have not finished)."""
    import contextlib

    cells: dict[str, _Cell] = {}
    order: list[str] = []
    units = []
    from unibench.executors import Unit, shard_of

    with contextlib.ExitStack() as locks:
        for res in resolveds:
            cfg = res.run
            run_id, identity, bench, tap = plan(res)
            _BENCHES[_bench_key(cfg)] = bench  # an inline worker reuses it
            if run_id in cells:
                order.append(run_id)
                continue
            store = ResultStore(cfg.output.dir, shard)
            run_dir = _cell_dir(cfg, run_id, identity, bench, tap)
            run_dir.mkdir(parents=True, exist_ok=True)
            # one driver per run identity (and shard) at a time: a second identical run waits,
            # then finds the first one's record or finished sequences
            lock = ".run.lock" if shard is None else f".run.shard-{shard[0]}-of-{shard[1]}.lock"
            locks.enter_context(file_lock(run_dir / lock))
            names = list(identity["sequences"])
            order.append(run_id)
            if not cfg.output.force and (done := store.latest_of(run_id)) is not None:
                logger.info("cell %s already stored (run %s); --force recomputes", run_dir, run_id)
                table = _stored_table(run_dir, done)
                cells[run_id] = _Cell(res, store, run_id, identity, bench, tap, run_dir, names,
                                      {}, set(), list(names), [])  # fmt: skip
                cells[run_id].outcome = RunOutcome(done, table, run_dir, [], list(names))
                continue
            pred_dir = run_dir / "predictions"
            pred_dir.mkdir(parents=True, exist_ok=True)
            atomic_write_text(
                run_dir / "config.yaml",
                yaml.safe_dump(
                    {**res.to_dict(), "identity": identity, "run_id": run_id}, sort_keys=False
                ),
            )
            targets = {
                n: inside(_result_target(bench, pred_dir, n), pred_dir, "result") for n in names
            }
            todo = [n for n in names if cfg.output.force or not targets[n].exists()]
            mine = [n for n in todo if shard is None or shard_of(run_id, n, shard[1]) == shard[0]]
            cells[run_id] = _Cell(res, store, run_id, identity, bench, tap, run_dir, names,
                                  targets, set(mine), [n for n in names if n not in todo], [])  # fmt: skip
            units += [Unit(run_id, n, str(targets[n])) for n in mine]

        def key(u):  # the heads of one model and sequence follow each other
            c = cells[u.cell].resolved.run
            return (c.model.name, str(c.model.checkpoint), u.sequence, u.cell)

        units.sort(key=key)
        bar = None
        if progress and units and _interactive():
            from tqdm import tqdm

            bar = tqdm(total=len(units), position=position, leave=position == 0, unit="unit",
                       desc=f"{getattr(executor, 'name', 'run')}")  # fmt: skip
        for c in cells.values():
            if c.outcome is None and not c.pending:
                c.outcome = _finish(c)
        per_node: dict[str, int] = {}
        for done in executor.run({k: c.resolved for k, c in cells.items()}, units):
            c = cells[done.unit.cell]
            c.pending.discard(done.unit.sequence)
            c.computed.append(done.unit.sequence)
            c.frames += done.frames
            c.seconds += done.seconds
            per_node[done.node] = per_node.get(done.node, 0) + 1
            if bar is not None:
                done_on = ", ".join(f"{n} {k}" for n, k in sorted(per_node.items()))
                bar.set_postfix_str(f"units done per host: {done_on}")
                bar.update(1)
            if not c.pending:
                c.outcome = _finish(c)
        if bar is not None:
            bar.close()
    _MODELS.clear()  # the networks and benchmarks this process built for the run
    _BENCHES.clear()
    return [cells[k].outcome for k in order]


def _stored_table(run_dir: Path, done: ResultRecord) -> MetricTable:
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


def _interactive() -> bool:
    """Progress bars only on a terminal: without one, bars and log lines run together."""
    import sys

    return sys.stderr.isatty()


def _finish(c: _Cell) -> RunOutcome | None:
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


def _record(c: _Cell) -> RunOutcome:
    resolved, store, run_id, identity, bench = c.resolved, c.store, c.run_id, c.identity, c.bench
    tap, run_dir, names, computed, skipped = c.tap, c.run_dir, c.names, c.computed, c.skipped
    frames, seconds = c.frames, c.seconds
    cfg = resolved.run
    pred_dir = run_dir / "predictions"
    report = _MODELS.get(model_key(cfg), (None, None, None))[2]
    if report is not None:
        atomic_write_text(run_dir / "checkpoint_report.txt", report.summary() + "\n")
    if skipped:
        logger.info(
            "skipped %d finished sequences (use --force to recompute): %s",
            len(skipped),
            ", ".join(skipped),
        )
    t0 = time.perf_counter()
    table = score(bench, pred_dir, names)
    eval_s = time.perf_counter() - t0
    atomic_write_text(run_dir / "metrics.json", json.dumps(table.to_dict(), indent=1))
    record = ResultRecord(
        run_id=run_id,
        task=cfg.task,
        model=cfg.model.name,
        tap=tap,
        head=cfg.head.name,
        head_params=identity["params"],
        benchmark=bench.name,
        split=bench.split,
        metrics=typed(table.summary),
        per_sequence=[typed(r) for r in table.rows],
        timing={
            "track_seconds": seconds,
            "frames": float(frames),
            "seconds_per_frame": seconds / frames if frames else float("nan"),
            "eval_seconds": eval_s,
        },
        git_sha=git_sha(),
        environment=environment(),
        created=now_iso(),
        checkpoint=identity["checkpoint"],
        predictions=str(pred_dir),
        sequences=list(names),
        split_size=identity["split_size"],
        whole_split=identity["whole_split"],
        execution=_execution(cfg, resolved.head_params),
        weights=identity["weights"],
        card=identity["card"],
        behaviour=identity["behaviour"],
        benchmark_options=identity.get("benchmark_options", {}),
    )
    store.append(record)
    return RunOutcome(record, table, run_dir, computed, skipped)


def evaluate_folder(
    task: str,
    benchmark: str,
    data_root: str | None,
    predictions: Path,
    split: str | None = None,
    sequences=None,
    options: dict | None = None,
) -> MetricTable:

    bench = build_benchmark(benchmark, data_root, split, sequences, options=options)
    if task not in bench.tasks:
        raise ConfigError(f"benchmark {benchmark!r} serves tasks {bench.tasks}, not {task!r}")
    return score(bench, predictions, progress=True)
