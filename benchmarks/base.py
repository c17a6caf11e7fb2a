"""Benchmark adapters: read an official on-disk layout, write predictions in its official format,
and score a prediction folder with the benchmark's official protocol.

Contract of a registered benchmark factory (which may carry ``head_defaults``: task → head parameter
values, the config layer "benchmark defaults"): ``factory(data_root: Path | None, split: str | None,
sequences: tuple[str, ...] | None) -> Benchmark``; association benchmarks also take
``detections=`` (a folder of per-sequence detection files that replaces the benchmark's own), and a
benchmark with scoring variants takes ``options=`` (a mapping it validates against its own options
dataclass, e.g. PoseTrack18's ``PoseEvalOptions``). Adapters
never import heads or models.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from unibench.errors import ConfigError, DataError, RegistryError
from unibench.metrics import undeclared
from unibench.paths import safe_name
from unibench.registry import Registry
from unibench.types import MetricTable, VideoSequence


class Benchmark(Protocol):
    name: str
    tasks: tuple[str, ...]
    split: str
    root: Path

    def sequence_names(self) -> list[str]: ...

    def load_sequence(self, name: str) -> VideoSequence: ...

    def write_predictions(self, seq: VideoSequence, preds: Iterable[Any], out_dir: Path) -> int: ...

    def evaluate(
        self, pred_dir: Path, sequences: Iterable[str] | None = None, progress: bool = False
    ) -> MetricTable: ...


BENCHMARKS: Registry[Any] = Registry(
    "benchmark",
    doc="factory(data_root, split, sequences) -> Benchmark (see unibench.benchmarks.base)",
)


def scorer_version(bench) -> int:
    """The behaviour version of a benchmark's scorer (its class's ``scorer_version``, 1 where none
    is declared): bump it with any change of the figures it computes on the same files."""
    return int(getattr(type(bench), "scorer_version", 1))


def score(bench, pred_dir: Path, sequences=None, progress: bool = False) -> MetricTable:
    """The one scoring call of every path (``run``, ``eval``): the benchmark's ``evaluate``, then
    the check that every figure it emitted is a declared metric (:mod:`unibench.metrics`), so a
    table, an export or a plot never meets a figure whose unit and official name nobody knows."""
    table = bench.evaluate(Path(pred_dir), sequences, progress=progress)
    missing = undeclared(
        [*table.summary, *(k for r in table.rows for k, v in r.items() if _is_figure(v))]
    )
    if missing:
        raise RegistryError(
            f"benchmark {bench.name!r} emitted undeclared metric(s) {', '.join(missing)}: declare "
            "each with unibench.metrics.register_metric beside the scorer that computes it"
        )
    return table


def _is_figure(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def known_splits(parent: Path) -> str:
    """The split folders under ``parent`` (for "unknown split" messages)."""
    parent = Path(parent)
    names = sorted(p.name for p in parent.iterdir() if p.is_dir()) if parent.is_dir() else []
    return ", ".join(names) or f"none ({parent} holds no split folder)"


def iter_progress(items: list[str], desc: str, enabled: bool) -> Iterator[str]:
    import sys

    if not enabled or not sys.stderr.isatty():  # no bars in logs and pipes
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, desc=desc, unit="seq", leave=False)


def build_benchmark(name: str, data_root, split, sequences, detections=None, options=None):
    """Build a registered benchmark; ``detections`` and scoring ``options`` only where the
    benchmark's factory takes them."""
    import inspect


    factory = BENCHMARKS.get(name)
    params = inspect.signature(factory).parameters
    kwargs = {}
    if detections is not None:
        if "detections" not in params:
            raise ConfigError(
                f"benchmark {name!r} takes no detection folder (benchmark.detections / "
                "--detections applies to association benchmarks: MOTChallenge, MOTS, PoseTrack, "
                "BDD100K)"
            )
        kwargs["detections"] = detections
    if options:
        if "options" not in params:
            raise ConfigError(
                f"benchmark {name!r} takes no scoring options (benchmark.options.*); "
                f"got {', '.join(sorted(options))}"
            )
        kwargs["options"] = dict(options)
    bench = factory(data_root, split, sequences, **kwargs)
    # names read from list files become paths: none may leave the data root, on any path (run,
    # eval, package) alike
    for n in bench.sequence_names():
        safe_name(n, "sequence", f"benchmark {bench.name} at {bench.root}", DataError)
    return bench
