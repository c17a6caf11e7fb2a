"""The executor contract (:class:`Unit`, :class:`Done`, :class:`ExecutorOptions`,
:class:`UnitComputer`, :class:`Executor`), the registry of executors and :func:`make_executor`."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

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
    :class:`unibench.app.pipeline.worker.Work` is the one implementation)."""

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
