"""UniBench: how well does an appearance model track? (UniTrack protocol).

The folders show the layers: the foundation every package stands on (``registry``, ``config``,
``paths``, ``io``, ``datatypes``, ``store``, ``metrics``, ``tasks``, ``executors``) sits here; the
packages of models, heads, benchmarks, reports and kernels stand on it; the entry points that stand on
all of them (command line, Python API, training hooks, performance benchmarks, docs catalog, and the
pipeline they share) live in :mod:`unibench.app`.

From Python: ``unibench.evaluate(model, tasks=...)`` (see :mod:`unibench.app.api`),
``unibench.AsCard``, ``unibench.hooks.every`` and ``unibench.lightning.UniBenchCallback``. They are
imported on first use, so that ``import unibench.registry`` and the CLI's start-up do not pay for the
whole pipeline.
"""

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "evaluate": "unibench.app.api",
    "AsCard": "unibench.app.api",
    "Tapped": "unibench.app.api",
    "run_request": "unibench.app.api",
}
# public short names of the entry-point modules: ``unibench.hooks.every(...)``
_MODULES = {"hooks": "unibench.app.hooks", "lightning": "unibench.app.lightning"}
__all__ = ["AsCard", "Tapped", "evaluate", "hooks", "lightning", "run_request"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _MODULES:
        return importlib.import_module(_MODULES[name])
    raise AttributeError(f"module 'unibench' has no attribute {name!r}")
