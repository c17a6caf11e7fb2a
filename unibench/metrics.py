"""The metric registry: one home for what a figure is (unit, direction, official name, stored type).

Each scorer module under ``unibench.benchmarks.scorers`` declares the fields it emits with
:func:`register_metric`, beside the code that computes them (TrackEval's habit of metrics that
carry their own field lists); a task lists metric *names* only. Every path that writes, prints or
exports a figure reads this registry: ``metrics.json`` and the store (:func:`typed`: counts are
integers in every file written), tables and plots (unit and direction), TrackEval-style exports,
``--json`` and the report (the official name, which may depend on the task: MOT's ``FN`` is
TrackEval's ``CLR_FN``, PoseTrack's is py-motmetrics' ``num_misses``).

The built-in scorers register on the first lookup (``builtins`` of the registry: the one import of
an upper layer by name, declared with its reason in ``tests/unibench/test_layers.py::LAZY_EDGES``),
plugins through the ``unibench.plugins`` entry points; this module imports no plugin folder.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from unibench.registry import Registry

Unit = Literal["percent", "count", "seconds", "ratio"]
UNITS: tuple[str, ...] = ("percent", "count", "seconds", "ratio")


@dataclass(frozen=True)
class Metric:
    """A metric's metadata.

    Attributes:
        name: the key in a result's summary or per-sequence row.
        unit: ``percent`` (stored as a fraction, printed ×100), ``count`` (stored as an integer),
            ``seconds`` or ``ratio`` (a dimensionless figure stored and shown as it is, three
            decimals: VOT's EAO, accuracy, mean failures, F-score).
        higher_is_better: the direction reports sort and rank by.
        official: the name in the toolkit that defines it, where it differs; one string, or one
            per task (``{"mot": "CLR_FN", "posetrack": "num_misses"}``).
    """

    name: str
    unit: Unit = "percent"
    higher_is_better: bool = True
    official: str | Mapping[str, str] | None = None
    doc: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"metric {self.name!r}: unit {self.unit!r} is not one of {UNITS}")

    def official_name(self, task: str | None = None) -> str:
        """The defining toolkit's name for this figure in ``task`` (its own name where none)."""
        if isinstance(self.official, Mapping):
            return self.official.get(task or "", self.name) if task else self.name
        return self.official or self.name


METRICS: Registry[Metric] = Registry(
    "metric",
    doc="Metric(name, unit, higher_is_better, official): registered by the scorer that emits it",
    builtins=("unibench.benchmarks.scorers",),
)


def register_metric(
    name: str,
    unit: Unit = "percent",
    higher_is_better: bool = True,
    official: str | Mapping[str, str] | None = None,
    doc: str = "",
) -> Metric:
    """Declare a metric a scorer emits (a name is declared once, by one scorer)."""
    m = Metric(name, unit, higher_is_better, official, doc)
    METRICS.register(name, m, stacklevel=2)
    return m


def metric_meta(name: str) -> Metric:
    """A metric by name; per-class keys (``car/HOTA``) resolve to their metric; an undeclared
    name is a percent figure named as it is (columns of another schema are still shown)."""
    known = METRICS.as_dict()
    return known.get(name) or known.get(name.split("/")[-1]) or Metric(name)


def undeclared(names) -> list[str]:
    """The names (per-class keys by their metric) that no scorer declared, sorted, once each."""
    known = METRICS.as_dict()
    return sorted({n for n in names if n not in known and n.split("/")[-1] not in known})


def typed(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with every count stored as an integer (``IDs 0``, not ``0.0``); non-finite and
    non-integral figures are kept as they are (a count that is not whole is a scorer bug the
    tests catch, not something to round away)."""
    out = {}
    for k, v in values.items():
        if (
            isinstance(v, float)
            and math.isfinite(v)
            and v.is_integer()
            and metric_meta(k).unit == "count"
        ):
            v = int(v)
        out[k] = v
    return out
