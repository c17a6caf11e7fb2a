"""UniBench: how well does an appearance model track? (UniTrack protocol).

From Python: ``unibench.evaluate(model, tasks=...)`` (see :mod:`unibench.api`), ``unibench.AsCard``
and ``unibench.hooks.every``. They are imported on first use, so that ``import unibench.registry``
and the CLI's start-up do not pay for the whole pipeline.
"""

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "evaluate": "unibench.api",
    "AsCard": "unibench.api",
    "Tapped": "unibench.api",
    "run_request": "unibench.api",
}
__all__ = ["AsCard", "Tapped", "evaluate", "run_request"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name == "hooks":
        return importlib.import_module("unibench.hooks")
    raise AttributeError(f"module 'unibench' has no attribute {name!r}")
