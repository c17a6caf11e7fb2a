"""Task heads: training-free modules that turn feature maps into per-task predictions.

Contract of a registered head: a class with ``task`` (str; ``tasks``, a tuple, where one head serves
several tasks, with optional ``task_defaults``: task → parameter values), ``Params`` (a dataclass of every
hyperparameter, recorded in each result), optionally ``presets`` (name → parameter values, applied
with ``head.preset=NAME``) and ``__init__(params)``; ``track(sequence, extractor)``
yields one prediction per frame of the sequence. Heads never import benchmarks.
"""

from __future__ import annotations

from typing import Any

from unibench.registry import Registry

HEADS: Registry[Any] = Registry(
    "head", doc="class with .task, .Params dataclass, __init__(params), track(sequence, extractor)"
)
