"""The worker side: what a process builds to compute units, kept in one :class:`WorkerCache`.

A :class:`WorkerCache` holds, for one process, the networks (one per model × checkpoint content ×
device: a 4-head ablation loads the model once), the benchmarks planned or built (by their
settings), the content ids of weight files (hashed once per path, size and mtime) and one
:class:`CellWorker` per cell and settings. The driver owns one per run (the inline executor
computes with it); a process or Ray worker gets one per process (:func:`process_cache`), the one
place state outlives a unit there. ``builds`` counts the networks built, for tests.

:class:`Work` is what an executor runs: a picklable callable computing one unit of the run's
cells, whose payloads are the networks' weights (so a Ray worker never reads a checkpoint).
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import torch

from unibench import config as C
from unibench.app.pipeline.experiments import run_experiment
from unibench.appearance_models import (
    FeatureExtractor,
    build_random,
    create_model,
    get_cfg,
    weights_file,
)
from unibench.appearance_models.text import Grounder, load_text_tower, text_tower_file
from unibench.benchmarks.base import build_benchmark
from unibench.datatypes import GroundingExperiment
from unibench.errors import CheckpointError
from unibench.executors import Done, Unit
from unibench.featcache import FeatureCache
from unibench.heads import HEADS
from unibench.io import sha256_of, staging_dir


def model_key(cache: WorkerCache, cfg: C.RunConfig) -> tuple:
    """What identifies a loaded network: the model, the checkpoint's content, the device."""
    return (
        cfg.model.name,
        cache.checkpoint_id(cfg),  # the file's content, not its path
        cfg.model.allow_partial,
        cfg.model.device,
        cfg.model.allow_nonfinite,
    )


def _bench_key(cfg: C.RunConfig, sequences) -> str:
    b = cfg.benchmark
    seqs = None if sequences is None else list(sequences)
    return json.dumps(
        [b.name, b.data_root, b.split, seqs, b.frames, b.detections, b.options, b.truncate],
        sort_keys=True,
        default=str,
    )


class WorkerCache:
    """Per-process store of what units need (see the module docstring)."""

    def __init__(self) -> None:
        self.networks: dict[tuple, tuple] = {}  # model key -> (network, card, load report)
        self.text_towers: dict[tuple, Any] = {}  # model key -> CLIP text tower
        self.benchmarks: dict[str, Any] = {}
        self.file_ids: dict[tuple, str] = {}
        self.workers: dict[str, CellWorker] = {}
        self.builds: Counter = Counter()  # model key -> networks built (tests count them)
        self._reader: ThreadPoolExecutor | None = None

    @property
    def reader(self) -> ThreadPoolExecutor:
        """The thread that decodes the next frame ahead of the head (one per process)."""
        if self._reader is None:
            self._reader = ThreadPoolExecutor(1, thread_name_prefix="unibench-frames")
        return self._reader

    # ------------------------------------------------------------------ files and checkpoints
    def file_id(self, p: Path) -> str:
        """``<name>@<sha256 prefix>`` of a weight file, hashed once per (path, size, mtime)."""
        st = p.stat()
        key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
        if key not in self.file_ids:
            self.file_ids[key] = f"{p.name}@{sha256_of(p)[:12]}"
        return self.file_ids[key]

    def checkpoint_id(self, cfg: C.RunConfig) -> str | None:
        if not cfg.model.checkpoint:
            return None
        p = Path(cfg.model.checkpoint)
        if not p.is_file():
            raise CheckpointError(f"checkpoint {p} does not exist")
        return self.file_id(p)

    # ------------------------------------------------------------------ benchmarks
    def benchmark(self, cfg: C.RunConfig, sequences=None):
        """The benchmark of ``cfg`` restricted to ``sequences`` (None: the whole split)."""
        key = _bench_key(cfg, sequences)
        if key not in self.benchmarks:
            b = cfg.benchmark
            self.benchmarks[key] = build_benchmark(
                b.name, b.data_root, b.split, sequences, b.detections, b.options, b.frames,
                b.truncate,
            )  # fmt: skip
        return self.benchmarks[key]

    # ------------------------------------------------------------------ networks
    def network(self, cfg: C.RunConfig) -> tuple:
        """(network, card, load report) of a cell's model, built once per process."""
        key = model_key(self, cfg)
        if key not in self.networks:
            m = cfg.model
            ex, report = create_model(
                m.name, m.checkpoint, m.allow_partial, m.device, None, m.allow_nonfinite
            )
            self.builds[key] += 1
            self.networks[key] = (ex.model, ex.cfg, report)
        return self.networks[key]

    def adopt(self, cfg: C.RunConfig, weights: dict) -> None:
        """Install a network from weights another process loaded (Ray's object store), so this
        process neither reads nor verifies the checkpoint again."""
        key = model_key(self, cfg)
        if key not in self.networks:
            card = get_cfg(cfg.model.name)
            model = build_random(card)
            model.load_state_dict(weights)
            self.builds[key] += 1
            self.networks[key] = (model.to(cfg.model.device).eval(), card, None)

    def text_tower(self, cfg: C.RunConfig):
        """The text tower of a cell's model (read from the image tower's own checkpoint), once
        per process and model key."""
        key = model_key(self, cfg)
        if key not in self.text_towers:
            self.text_towers[key] = load_text_tower(get_cfg(cfg.model.name), cfg.model.checkpoint)
        return self.text_towers[key]

    def report(self, cfg: C.RunConfig):
        """The load report of a network this process built (None where none was built here)."""
        return self.networks.get(model_key(self, cfg), (None, None, None))[2]

    def worker(self, cell: str, resolved: C.ResolvedConfig) -> CellWorker:
        """A cell's worker, kept per run id and the settings outside the identity (feature
        cache, device), so a differently configured run of the same cell never reuses it."""
        key = cell + json.dumps(resolved.to_dict(), sort_keys=True, default=str)
        if key not in self.workers:
            self.workers[key] = CellWorker(resolved, self)
        return self.workers[key]


def weights_id(cache: WorkerCache, cfg: C.RunConfig, card, probe=None) -> str | None:
    """The content id of the weights a cell loads: ``--checkpoint``, the card's ``file:`` or
    URL (fetched into the cache), the timm / Hugging Face file picked up; None where nothing is
    loaded (random or training-free models). ``probe``: an instance of the architecture where it
    needs one to name its file (timm)."""
    cache.checkpoint_id(cfg)  # a missing --checkpoint is named first
    path = weights_file(probe, card, cfg.model.checkpoint)
    return None if path is None else cache.file_id(Path(path))


def text_weights_id(cache: WorkerCache, cfg: C.RunConfig, card) -> str:
    """The content id of the file a cell's text tower is read from (the run identity of a
    grounding run holds it)."""
    cache.checkpoint_id(cfg)
    return cache.file_id(text_tower_file(card, cfg.model.checkpoint))


def _feature_cache(
    card, tap: str, weights: str | None, height, precision: str, fuse: bool
) -> FeatureCache:
    ident = {
        "precision": precision,
        "fuse": fuse,
        "card": C.to_dict(card),
        "weights": weights,
        "tap": tap,
        "input_height": height,
        "features": FeatureExtractor.version,
    }
    return FeatureCache(ident)


class CellWorker:
    """Everything a process needs to compute sequences of one cell (the network is shared by the
    cells of one model, checkpoint and device through the cache)."""

    def __init__(self, resolved: C.ResolvedConfig, cache: WorkerCache) -> None:
        cfg = resolved.run
        seqs = None if cfg.benchmark.sequences is None else tuple(cfg.benchmark.sequences)
        self.bench = cache.benchmark(cfg, seqs)  # the planned one where this process planned
        self.cfg, self.cache = cfg, cache
        self._grounder: Grounder | None = None
        model, card, self.report = cache.network(cfg)
        self.extractor = FeatureExtractor(
            model, card, device=cfg.model.device, tap=cfg.model.tap,
            precision=cfg.model.precision, fuse=cfg.model.fuse,
        )  # fmt: skip
        self.head = HEADS.get(cfg.head.name)(resolved.head_params)
        if cfg.output.feature_cache:
            self.extractor.cache = _feature_cache(
                self.extractor.cfg,
                self.extractor.tap,
                weights_id(cache, cfg, card, model),  # the content loaded, not the file's name
                getattr(resolved.head_params, "input_height", None),
                cfg.model.precision,
                cfg.model.fuse,
            )

    def compute(self, name: str, final: Path) -> tuple[int, float]:
        seq = self.bench.load_sequence(name)
        # the next frame is decoded while this one is computed (PIL releases the GIL)
        seq = dataclasses.replace(seq, clip=seq.clip.read_ahead(self.cache.reader))
        t0 = time.perf_counter()
        # a benchmark whose protocol re-initialises the head declares it per sequence
        experiment = getattr(self.bench, "experiment_for", lambda _s: None)(seq)
        grounder = self.grounder() if isinstance(experiment, GroundingExperiment) else None
        preds = run_experiment(self.head, seq, self.extractor, experiment, grounder)
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

    def grounder(self) -> Grounder:
        if self._grounder is None:
            self._grounder = Grounder(
                self.extractor.model,
                self.extractor.cfg,
                self.cache.text_tower(self.cfg),
                self.cfg.model.device,
            )
        return self._grounder


# the cache of a process that computes units for another (process pool, Ray worker): created on
# its first unit; the driver never uses it
_PROCESS_CACHE: list[WorkerCache] = []


def process_cache() -> WorkerCache:
    if not _PROCESS_CACHE:
        _PROCESS_CACHE.append(WorkerCache())
    return _PROCESS_CACHE[0]


class Work:
    """The units of one run's cells, computed by whichever executor (see
    :mod:`unibench.executors`). Pickled to other processes without its driver-side cache."""

    def __init__(self, cells: dict[str, C.ResolvedConfig], cache: WorkerCache | None) -> None:
        self.cells = cells
        self.cache = cache

    def __getstate__(self) -> dict:
        return {"cells": self.cells, "cache": None}

    def __call__(self, unit: Unit, threads: int = 0, payload: Any = None) -> Done:
        cache = self.cache if self.cache is not None else process_cache()
        resolved = self.cells[unit.cell]
        if threads:
            torch.set_num_threads(threads)
        if payload is not None:  # the network's weights from the object store
            cache.adopt(resolved.run, payload)
        w = cache.worker(unit.cell, resolved)
        # who computes the unit, beside its target while it runs (what a dashboard or a test reads)
        target = Path(unit.target)
        target.parent.mkdir(parents=True, exist_ok=True)  # a layout may nest (VOT: baseline/)
        marker = target.with_name(f".{target.name}.unit")
        marker.write_text(f"{socket.gethostname()} {os.getpid()}\n")
        try:
            frames, secs = w.compute(unit.sequence, target)
        finally:
            marker.unlink(missing_ok=True)
        return Done(unit, frames, secs, socket.gethostname(), os.getpid())

    def payload_key(self, unit: Unit) -> tuple:
        cache = self.cache if self.cache is not None else process_cache()
        return model_key(cache, self.cells[unit.cell].run)

    def payloads(self, units: list[Unit]) -> dict[tuple, dict]:
        """Each network's weights, loaded once here (the driver), keyed by model."""
        cache = self.cache if self.cache is not None else process_cache()
        out: dict[tuple, dict] = {}
        for u in units:
            cfg = self.cells[u.cell].run
            key = model_key(cache, cfg)
            if key not in out:
                net = cache.network(cfg)[0]
                out[key] = {n: t.detach().cpu() for n, t in net.state_dict().items()}
        return out
