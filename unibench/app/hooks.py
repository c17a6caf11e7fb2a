"""Tracking evaluation inside a training loop, the way DINO's and iBOT's training scripts run a
k-NN evaluation every few epochs::

    hook = unibench.app.hooks.every(5, tasks=["vos"], store="runs/tracking")
    for epoch in range(epochs):
        train_one_epoch(model)
        table = hook(epoch, model)  # a DataFrame on epochs 0, 5, 10, …; None otherwise

Each call evaluates the module as it is at that moment (its identity is the sha256 of its
``state_dict``), so every evaluated epoch is its own record in the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from unibench.app.api import evaluate


@dataclass
class Every:
    """Calls :func:`unibench.evaluate` on epochs divisible by ``n`` (and on the last one, where
    ``last`` is given); keeps every table it returned in ``history`` (epoch → DataFrame) and
    passes each to ``on_result(epoch, table)`` where given (a logger, a checkpoint picker)."""

    n: int
    kwargs: dict[str, Any] = field(default_factory=dict)
    last: int | None = None
    on_result: Callable[[int, pd.DataFrame], Any] | None = None
    history: dict[int, pd.DataFrame] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"every(n): n must be >= 1, got {self.n}")

    def due(self, epoch: int) -> bool:
        return epoch % self.n == 0 or (self.last is not None and epoch == self.last)

    def __call__(self, epoch: int, model: Any) -> pd.DataFrame | None:
        if not self.due(epoch):
            return None
        table = evaluate(model, **self.kwargs).assign(epoch=epoch)
        self.history[epoch] = table
        if self.on_result is not None:
            self.on_result(epoch, table)
        return table


def every(
    n_epochs: int,
    last: int | None = None,
    on_result: Callable[[int, pd.DataFrame], Any] | None = None,
    **evaluate_kwargs: Any,
) -> Every:
    """A hook for any loop: ``hook(epoch, model)`` evaluates every ``n_epochs`` epochs (see
    :class:`Every`); ``evaluate_kwargs`` go to :func:`unibench.evaluate` unchanged."""
    return Every(n_epochs, dict(evaluate_kwargs), last, on_result)
