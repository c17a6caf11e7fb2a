"""Planning: a cell's run identity, folder and benchmark, without loading any weights.

A run is identified by task × model (+checkpoint) × tap × head × parameters × benchmark × split ×
sequences × the weights' content × the card's feature-changing fields × the behaviour versions of
head, feature extractor and scorer (× the text tower's declaration, file content and the
grounder's version, for a protocol that grounds expressions). Its folder is
``<output>/runs/<benchmark>-<split>/<model>/<tap>/<head>-<hash>/``. Every name that becomes a path
is validated here, before anything is read or written.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from unibench import config as C
from unibench.app.pipeline.worker import WorkerCache, text_weights_id, weights_id
from unibench.appearance_models import FeatureExtractor, arch_info, get_cfg
from unibench.appearance_models.text import Grounder, no_text_tower
from unibench.benchmarks.base import scorer_version
from unibench.errors import ConfigError
from unibench.heads import HEADS
from unibench.paths import inside, safe_name


def run_hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:10]


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)


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
        **({"frames": cfg.benchmark.frames} if cfg.benchmark.frames is not None else {}),
        **({"truncate": True} if cfg.benchmark.truncate else {}),
        **(
            {"detections": str(Path(cfg.benchmark.detections).resolve())}
            if cfg.benchmark.detections
            else {}
        ),
        **({"benchmark_options": dict(cfg.benchmark.options)} if cfg.benchmark.options else {}),
    }


def behaviour(head: str, model_version: int, bench) -> dict[str, int | str]:
    """Behaviour versions of the code that makes a cell's numbers (part of the run identity):
    the head, the feature extractor with the model family's forward pass, the scorer."""
    return {
        "head": HEADS.get(head).version,
        "features": f"{FeatureExtractor.version}.{model_version}",
        "scorer": scorer_version(bench),
    }


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


def plan(resolved: C.ResolvedConfig, cache: WorkerCache) -> tuple[str, dict, Any, str]:
    """Run id, identity, benchmark and tap of a cell (the benchmark is kept in ``cache``, so a
    worker of this process reuses it)."""
    cfg = resolved.run
    seqs = _validated_sequences(cfg.benchmark.sequences)
    if cfg.benchmark.split is not None:
        safe_name(cfg.benchmark.split, "split", "benchmark.split (--split)")
    if cfg.model.tap is not None:
        safe_name(cfg.model.tap, "tap", "model.tap (--tap)")
    safe_name(cfg.head.name, "head", "head.name (--head)")
    bench = cache.benchmark(cfg, seqs)
    if cfg.task not in bench.tasks:
        raise ConfigError(
            f"benchmark {bench.name!r} serves task(s) {', '.join(bench.tasks)}, not {cfg.task!r}"
        )
    safe_name(bench.name, "benchmark", "benchmark.name")
    safe_name(bench.split, "split", f"benchmark {bench.name}")
    card = get_cfg(cfg.model.name)
    arch = arch_info(card)
    tap = cfg.model.tap or arch.default_tap
    ident = _identity(cfg, C.to_dict(resolved.head_params), bench, tap, cache.checkpoint_id(cfg))
    # nothing stale: the weights' content, the card's feature-changing fields and the code's
    # behaviour versions are part of the identity
    ident["weights"] = weights_id(cache, cfg, card, arch.probe)
    ident["card"] = C.to_dict(card.identity())
    ident["behaviour"] = behaviour(cfg.head.name, arch.version, bench)
    analysis = bench.analysis_inputs()  # files an analysis reads beside the data (attributes)
    if analysis:
        ident["analysis_inputs"] = analysis
    if cfg.model.precision != "fp32":  # fp32 ids stay as they were before the option existed
        ident["precision"] = cfg.model.precision
    if not cfg.model.fuse:  # the network as built: its own numbers (at the rounding level)
        ident["fuse"] = False
    if getattr(bench, "grounding", False):  # the protocol reads the model's text tower too
        if card.text_tower is None:
            raise ConfigError(no_text_tower(card.name))
        ident["grounding"] = {
            "text_tower": C.to_dict(card.text_tower),
            "text_weights": text_weights_id(cache, cfg, card),
            "version": Grounder.version,
        }
    if seqs is not None:  # a subset: say how much of the split it is
        full = cache.benchmark(cfg, None)
        ident["split_size"] = len(full.sequence_names())
        ident["whole_split"] = set(full.sequence_names()) == set(bench.sequence_names())
    else:
        ident["split_size"] = len(ident["sequences"])
        ident["whole_split"] = True
    if cfg.benchmark.frames is not None or cfg.benchmark.truncate:  # part of each sequence:
        ident["whole_split"] = False  # a subset too
    return run_hash(ident), ident, bench, tap


def cell_dir(cfg: C.RunConfig, run_id: str, identity: dict, bench, tap: str) -> Path:
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


def result_target(bench, pred_dir: Path, name: str) -> Path:
    """Where a sequence's results go: a file for file-based formats (OTB), else a folder."""
    rp = getattr(bench, "result_path", None)
    return rp(pred_dir, name) if rp is not None else pred_dir / name
