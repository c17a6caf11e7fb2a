"""The ``process`` executor: a pool of spawned processes on this machine (``--workers N``).

Each process receives the work once (the pool's initializer) and keeps what it builds (networks,
benchmarks, heads) for all the units it computes; threads are split evenly between processes.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed

from unibench.errors import ConfigError
from unibench.executors.base import EXECUTORS, Done, ExecutorOptions, Unit, UnitComputer

# the work of the pool this process serves (set once by the pool initializer, in the child only)
_POOL_WORK: list[UnitComputer] = []


def _adopt(work: UnitComputer) -> None:
    _POOL_WORK[:] = [work]


def _compute(unit: Unit, threads: int) -> Done:
    return _POOL_WORK[0](unit, threads)


class ProcessExecutor:
    name = "process"

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ConfigError(f"--workers must be >= 1 for the process executor, got {workers}")
        self.workers = workers

    def run(self, units: list[Unit], work: UnitComputer) -> Iterator[Done]:
        if not units:
            return
        n = min(self.workers, len(units))
        threads = max(1, (os.cpu_count() or 1) // n)
        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(n, mp_context=ctx, initializer=_adopt, initargs=(work,)) as pool:
            futs = [pool.submit(_compute, u, threads) for u in units]
            for f in as_completed(futs):
                yield f.result()


@EXECUTORS.register("process")
def _process(options: ExecutorOptions) -> ProcessExecutor:
    return ProcessExecutor(max(options.workers, 1))
