"""The ``inline`` executor: every unit in this process, in order."""

from __future__ import annotations

from collections.abc import Iterator

from unibench.executors.base import EXECUTORS, Done, ExecutorOptions, Unit, UnitComputer


class InlineExecutor:
    name = "inline"

    def run(self, units: list[Unit], work: UnitComputer) -> Iterator[Done]:
        for u in units:
            yield work(u)


@EXECUTORS.register("inline")
def _inline(options: ExecutorOptions) -> InlineExecutor:
    return InlineExecutor()
