"""Executors: where the units of an evaluation matrix run, as registered plugins.

A *unit* is one sequence of one cell (a cell: model × checkpoint × tap × head parameters ×
benchmark × split, identified by its run id). The pipeline plans the units, an executor computes
them and streams back what finished, and the pipeline (the only writer of the result store) scores
a cell and appends its record once all of its sequences are on disk.

Contract of a registered executor: ``factory(options: ExecutorOptions) -> Executor`` whose
``run(units, work)`` yields one :class:`Done` per unit, in any order. ``work`` is the pipeline's
picklable unit computer (:class:`UnitComputer`): ``work(unit, threads=0, payload=None) -> Done``; an
executor that ships work to other processes may put ``work.payloads(units)`` (one large object per
key, e.g. a network's weights) in a shared store once and pass ``payload=`` the one for
``work.payload_key(unit)``. Executors know nothing of models, heads or benchmarks.

Built in (one module each): ``inline`` (this process, in order), ``process`` (a pool of spawned
processes, ``--workers N``), ``ray`` (Ray tasks, local or ``--ray-address``). A plugin adds one
file that calls ``EXECUTORS.register`` and one entry point in the ``unibench.plugins`` group.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from unibench.errors import ConfigError
from unibench.registry import Registry

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


@dataclass(frozen=True)
class ExecutorOptions:
    """What the command line says about execution (each executor reads what concerns it)."""

    workers: int = 0
    ray_address: str | None = None
    cpus_per_unit: float = 1.0
    gpus_per_unit: float = 0.0


class UnitComputer(Protocol):
    """What an executor is handed: a picklable callable computing one unit (the pipeline's
    :class:`unibench.pipeline.worker.Work` is the one implementation)."""

    def __call__(self, unit: Unit, threads: int = 0, payload: Any = None) -> Done: ...

    def payloads(self, units: list[Unit]) -> dict[Any, Any]: ...

    def payload_key(self, unit: Unit) -> Any: ...


class Executor(Protocol):
    name: str

    def run(self, units: list[Unit], work: UnitComputer) -> Iterator[Done]: ...


EXECUTORS: Registry[Any] = Registry(
    "executor",
    doc="factory(options: ExecutorOptions) -> Executor; Executor.run(units, work) -> Iterator[Done]",
    builtins=(
        "unibench.executors.inline",
        "unibench.executors.process",
        "unibench.executors.ray",
    ),
)


def make_executor(
    name: str,
    workers: int = 0,
    ray_address: str | None = None,
    cpus_per_unit: float = 1.0,
    gpus_per_unit: float = 0.0,
) -> Executor:
    """The executor ``name`` (``auto``: inline without ``--workers``, else a process pool)."""
    if name == "inline" and workers > 0:
        logger.warning(
            "--executor inline runs every unit in this process: --workers %d is ignored "
            "(--executor process uses it)",
            workers,
        )
    if name == "auto":
        name = "inline" if workers <= 0 else "process"
    options = ExecutorOptions(workers, ray_address, cpus_per_unit, gpus_per_unit)
    return EXECUTORS.get(name)(options)


def executor_names() -> list[str]:
    return ["auto", *EXECUTORS.names()]


def shard_of(cell: str, sequence: str, n: int) -> int:
    """The shard (1…n) a unit belongs to: a stable hash of its identity (the same on every
    machine and Python process, unlike ``hash``)."""
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


def __getattr__(name: str):
    # the built-in executor classes by name (InlineExecutor, …) without importing Ray eagerly
    classes = {
        "InlineExecutor": "inline",
        "ProcessExecutor": "process",
        "RayExecutor": "ray",
        "check_ray_address": "ray",
    }
    if name in classes:
        import importlib

        return getattr(importlib.import_module(f"unibench.executors.{classes[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
