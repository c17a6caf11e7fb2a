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

from unibench.executors.base import (
    EXECUTORS,
    Done,
    Executor,
    ExecutorOptions,
    Unit,
    UnitComputer,
    executor_names,
    make_executor,
)
from unibench.executors.shards import parse_shard, shard_of

__all__ = [
    "EXECUTORS",
    "Done",
    "Executor",
    "ExecutorOptions",
    "Unit",
    "UnitComputer",
    "executor_names",
    "make_executor",
    "parse_shard",
    "shard_of",
]
