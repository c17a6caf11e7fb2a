"""Executors: where the units of an evaluation matrix run.

A *unit* is one sequence of one cell (a cell: model × checkpoint × tap × head parameters ×
benchmark × split, identified by its run id). The runner plans the units, an executor computes them
and streams back what finished, and the runner — the only writer of the result store — scores a
cell and appends its record once all of its sequences are on disk. A worker writes a unit's
predictions atomically (a staging folder renamed into place), so a unit killed half-way leaves
nothing that counts as finished, and a retried or resumed unit starts clean.

* ``inline``: in this process, in order.
* ``process``: a pool of spawned processes on this machine (``--workers N``).
* ``ray``: Ray tasks on a local Ray instance (sized to the machine) or a running cluster
  (``--ray-address``), each with ``--cpus-per-unit`` / ``--gpus-per-unit`` (fractional GPUs let light
  units share one) and ``max_retries``: a worker killed mid-unit is retried. The driver loads each
  network once and puts its weights in Ray's object store (one copy per node); workers build the
  network from them and never read a checkpoint.

Every worker process keeps what it built per cell (benchmark, head) and per model (the network with
its weights, shared by all the cells of that model, checkpoint and tap), so a 4-head ablation loads
the model once per process; units are ordered by model, sequence and cell so that the heads of one
sequence follow each other (with ``--feature-cache`` their features are then extracted once).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from unibench.errors import ConfigError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Unit:
    cell: str  # the cell's run id
    sequence: str
    target: str  # the result file or folder the unit writes


@dataclass(frozen=True)
class Done:
    unit: Unit
    frames: int
    seconds: float
    node: str
    pid: int


class Executor(Protocol):
    name: str

    def run(self, cells: dict, units: list[Unit]) -> Iterator[Done]: ...


# -------------------------------------------------------------------------------- the worker side
_CELLS: dict[str, object] = {}  # run id -> _Worker, per process


def compute_unit(
    resolved, unit: Unit, threads: int = 0, workers: dict | None = None, weights=None
) -> Done:
    """Compute one unit in this process (building the cell's worker on first use). Workers are
    kept per run id and the settings outside the identity (feature cache, device), so a
    differently configured run of the same cell never reuses them."""
    import json

    from unibench import runner

    if threads:
        import torch

        torch.set_num_threads(threads)
    if weights is not None:  # the network's weights from the object store: no checkpoint read
        runner.adopt_weights(resolved.run, weights)
    cache = _CELLS if workers is None else workers
    key = unit.cell + json.dumps(resolved.to_dict(), sort_keys=True, default=str)
    w = cache.get(key)
    if w is None:
        w = cache[key] = runner._Worker(resolved)
    # who computes the unit, beside its target while it runs (what a dashboard or a test reads)
    target = Path(unit.target)
    marker = target.with_name(f".{target.name}.unit")
    marker.write_text(f"{socket.gethostname()} {os.getpid()}\n")
    try:
        frames, secs = w.compute(unit.sequence, target)
    finally:
        marker.unlink(missing_ok=True)
    return Done(unit, frames, secs, socket.gethostname(), os.getpid())


# -------------------------------------------------------------------------------- executors
class InlineExecutor:
    name = "inline"

    def run(self, cells: dict, units: list[Unit]) -> Iterator[Done]:
        workers: dict = {}  # this run's workers only: released when the run ends
        for u in units:
            yield compute_unit(cells[u.cell], u, workers=workers)


class ProcessExecutor:
    name = "process"

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ConfigError(f"--workers must be >= 1 for the process executor, got {workers}")
        self.workers = workers

    def run(self, cells: dict, units: list[Unit]) -> Iterator[Done]:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        if not units:
            return
        n = min(self.workers, len(units))
        threads = max(1, (os.cpu_count() or 1) // n)
        with ProcessPoolExecutor(n, mp_context=mp.get_context("spawn")) as pool:
            futs = [pool.submit(compute_unit, cells[u.cell], u, threads) for u in units]
            for f in as_completed(futs):
                yield f.result()


class RayExecutor:
    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        cpus_per_unit: float = 1.0,
        gpus_per_unit: float = 0.0,
        max_retries: int = 3,
        num_cpus: int | None = None,
    ) -> None:
        try:
            import ray  # noqa: F401
        except ImportError:
            raise ConfigError(
                "--executor ray needs Ray: pip install -e '.[ray]' (or pip install ray)"
            ) from None
        import math

        if not (math.isfinite(cpus_per_unit) and math.isfinite(gpus_per_unit)) or (
            cpus_per_unit <= 0 or gpus_per_unit < 0
        ):
            raise ConfigError(
                f"--cpus-per-unit {cpus_per_unit} / --gpus-per-unit {gpus_per_unit}: expected a "
                "finite number of CPUs > 0 and of GPUs >= 0"
            )
        self.address = address
        self.cpus, self.gpus, self.max_retries = cpus_per_unit, gpus_per_unit, max_retries
        self.num_cpus = num_cpus
        self.per_node: dict[str, int] = {}

    def _init(self):
        import ray

        if not ray.is_initialized():
            kw = dict(include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
            if self.address:
                check_ray_address(self.address)
                ray.init(address=self.address, **kw)
            else:  # a local instance sized to the machine (or to num_cpus)
                ray.init(num_cpus=self.num_cpus or os.cpu_count(), **kw)
        return ray

    def run(self, cells: dict, units: list[Unit]) -> Iterator[Done]:
        if not units:
            return
        ray = self._init()
        task = ray.remote(num_cpus=self.cpus, num_gpus=self.gpus, max_retries=self.max_retries)(
            compute_unit
        )
        from unibench import runner

        used = {u.cell for u in units}
        # a cell's config and each network's weights go to the object store once (Ray keeps one
        # copy per node), not once per unit; the driver loads every network once
        refs = {k: ray.put(v) for k, v in cells.items() if k in used}
        weights = {}
        for k in used:
            key = runner.model_key(cells[k].run)
            if key not in weights:
                net = runner.load_network(cells[k].run)[0]
                weights[key] = ray.put({n: t.detach().cpu() for n, t in net.state_dict().items()})
        threads = max(1, int(self.cpus))
        pending = {
            task.remote(
                refs[u.cell], u, threads, None, weights[runner.model_key(cells[u.cell].run)]
            ): u
            for u in units
        }
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            pending.pop(ready[0])
            done = ray.get(ready[0])
            self.per_node[done.node] = self.per_node.get(done.node, 0) + 1
            yield done


def check_ray_address(address: str, timeout: float = 10.0) -> None:
    """Fail fast, naming the address, where nothing listens there (Ray itself retries for
    minutes). ``auto`` and ``local`` are Ray's own words and pass."""
    if address in ("auto", "local"):
        return
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, _, port = hostport.rpartition(":")
    try:
        port_n = int(port)
        if not host or not 0 < port_n < 65536:
            raise ValueError
    except ValueError:
        raise ConfigError(
            f"--ray-address {address!r}: expected HOST:PORT (or ray://HOST:PORT, or auto)"
        ) from None
    try:
        with socket.create_connection((host.strip("[]"), port_n), timeout=timeout):
            pass
    except OSError as exc:
        raise ConfigError(
            f"--ray-address {address!r}: no Ray cluster answers there ({exc.strerror or exc}); "
            "start one with 'ray start --head' or leave --ray-address out for a local instance"
        ) from None


def make_executor(
    name: str,
    workers: int = 0,
    ray_address: str | None = None,
    cpus_per_unit: float = 1.0,
    gpus_per_unit: float = 0.0,
) -> Executor:
    if name == "inline" and workers > 0:
        logger.warning(
            "--executor inline runs every unit in this process: --workers %d is ignored "
            "(--executor process uses it)",
            workers,
        )
    if name == "inline" or (name == "auto" and workers <= 0):
        return InlineExecutor()
    if name in ("process", "auto"):
        return ProcessExecutor(max(workers, 1))
    if name == "ray":
        return RayExecutor(ray_address, cpus_per_unit, gpus_per_unit)
    raise ConfigError(f"unknown executor {name!r}; executors: inline, process, ray")


def shard_of(cell: str, sequence: str, n: int) -> int:
    """The shard (1…n) a unit belongs to: a stable hash of its identity (the same on every
    machine and Python process, unlike ``hash``)."""
    import hashlib

    h = hashlib.sha256(f"{cell}|{sequence}".encode()).digest()
    return 1 + int.from_bytes(h[:8], "big") % n


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ConfigError(f"--shard {text!r}: expected I/N, e.g. 2/4") from None
    if not 1 <= i <= n:
        raise ConfigError(f"--shard {text!r}: expected 1 <= I <= N")
    return i, n
