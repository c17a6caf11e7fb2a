"""The driver: plan every cell, hand the missing units to an executor, record each finished cell.

The driver is the store's only writer. A cell already stored is reused; finished sequences are
never recomputed. With ``shard=(I, N)`` only the units of shard I are computed and records go to
``results.shard-I-of-N.jsonl``; a cell is scored by the shard that completes it.
"""

from __future__ import annotations

import contextlib
import logging
import sys

import yaml

from unibench import config as C
from unibench.app.pipeline.plan import cell_dir, plan, result_target
from unibench.app.pipeline.record import Cell, RunOutcome, finish, stored_table
from unibench.app.pipeline.worker import Work, WorkerCache
from unibench.benchmarks.data.check import check_or_raise
from unibench.executors import Unit, make_executor, shard_of
from unibench.io import atomic_write_text, file_lock
from unibench.paths import inside
from unibench.store import ResultStore

logger = logging.getLogger(__name__)


def _interactive() -> bool:
    """Progress bars only on a terminal: without one, bars and log lines run together."""
    return sys.stderr.isatty()


def _precheck(bench, run_id: str, names: list[str], pred_dir, force: bool, shard) -> None:
    """The fast check (:meth:`BenchmarkBase.check_sequence`: names, counts, sizes, first
    annotations; no pixel decoded) of every sequence this driver would compute, before anything
    is written: a folder that does not match its metadata stops the run with the adapter's one
    line naming the file, and leaves no run folder behind."""
    check_or_raise(
        bench,
        [
            n
            for n in names
            if (shard is None or shard_of(run_id, n, shard[1]) == shard[0])
            and (force or not result_target(bench, pred_dir, n).exists())
        ],
    )


def run_matrix(
    resolveds: list[C.ResolvedConfig],
    executor,
    shard: tuple[int, int] | None = None,
    progress: bool = True,
    position: int = 0,
    cache: WorkerCache | None = None,
) -> list[RunOutcome | None]:
    """Plan every cell, run the missing units (cell × sequence) on ``executor`` and, as each
    cell's sequences are all on disk, score it and append its record. Returns one outcome per
    cell (None for a cell whose other shards have not finished). ``cache``: this process's
    builds (a fresh one per call where none is given; the inline executor computes with it)."""
    cache = cache if cache is not None else WorkerCache()
    cells: dict[str, Cell] = {}
    order: list[str] = []
    units: list[Unit] = []
    with contextlib.ExitStack() as locks:
        for res in resolveds:
            cfg = res.run
            run_id, identity, bench, tap = plan(res, cache)
            if run_id in cells:
                order.append(run_id)
                continue
            store = ResultStore(cfg.output.dir, shard)
            run_dir = cell_dir(cfg, run_id, identity, bench, tap)
            names = list(identity["sequences"])
            if cfg.output.force or store.latest_of(run_id) is None:
                store.check_writable()  # a read-only store refuses now, not after the compute
                # a broken folder fails here, before any model is built or folder made
                _precheck(bench, run_id, names, run_dir / "predictions", cfg.output.force, shard)
            run_dir.mkdir(parents=True, exist_ok=True)
            # one driver per run identity (and shard) at a time: a second identical run waits,
            # then finds the first one's record or finished sequences
            lock = ".run.lock" if shard is None else f".run.shard-{shard[0]}-of-{shard[1]}.lock"
            locks.enter_context(file_lock(run_dir / lock))
            order.append(run_id)
            if not cfg.output.force and (done := store.latest_of(run_id)) is not None:
                logger.info("cell %s already stored (run %s); --force recomputes", run_dir, run_id)
                table = stored_table(run_dir, done)
                cells[run_id] = Cell(res, store, run_id, identity, bench, tap, run_dir, names,
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
                n: inside(result_target(bench, pred_dir, n), pred_dir, "result") for n in names
            }
            todo = [n for n in names if cfg.output.force or not targets[n].exists()]
            mine = [n for n in todo if shard is None or shard_of(run_id, n, shard[1]) == shard[0]]
            cells[run_id] = Cell(res, store, run_id, identity, bench, tap, run_dir, names,
                                 targets, set(mine), [n for n in names if n not in todo], [])  # fmt: skip
            units += [Unit(run_id, n, str(targets[n])) for n in mine]

        def key(u):  # the heads of one model and sequence follow each other
            c = cells[u.cell].resolved.run
            return (c.model.name, str(c.model.checkpoint), u.sequence, u.cell)

        units.sort(key=key)
        bar = None
        if progress and units and _interactive():
            from tqdm import tqdm  # only on a terminal

            bar = tqdm(total=len(units), position=position, leave=position == 0, unit="unit",
                       desc=f"{getattr(executor, 'name', 'run')}")  # fmt: skip

        def done_cell(c: Cell) -> RunOutcome | None:
            c.load_report = cache.report(c.resolved.run)
            return finish(c)

        for c in cells.values():
            if c.outcome is None and not c.pending:
                c.outcome = done_cell(c)
        per_node: dict[str, int] = {}
        work = Work({k: c.resolved for k, c in cells.items()}, cache)
        for done in executor.run(units, work):
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
                c.outcome = done_cell(c)
        if bar is not None:
            bar.close()
    return [cells[k].outcome for k in order]


def run(resolved: C.ResolvedConfig, progress: bool = True, position: int = 0) -> RunOutcome:
    """One cell, its sequences on the executor ``--workers`` implies (inline or a process pool)."""
    ex = make_executor("auto", resolved.run.output.workers)
    (out,) = run_matrix([resolved], ex, progress=progress, position=position)
    return out
