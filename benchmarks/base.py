"""Benchmark adapters: read an official on-disk layout, write predictions in its official format,
and score a prediction folder with the benchmark's official protocol.

Contract: a benchmark is registered with :func:`register_benchmark` as a :class:`BenchmarkSpec`:
``factory(data_root: Path | None, split: str | None, sequences: tuple[str, ...] | None) ->
Benchmark``, plus, declared in the registration, whether it takes ``detections=`` (association
benchmarks: a folder of per-sequence detection files that replaces the benchmark's own) and
``options=`` (a mapping it validates against its own options dataclass, e.g. PoseTrack18's
``PoseEvalOptions``), and its ``head_defaults``. Adapters never import heads or models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from unibench.config import from_dict
from unibench.errors import ConfigError, DataError, RegistryError
from unibench.io import frames_fingerprint
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


@dataclass(frozen=True)
class BenchmarkSpec:
    """A registered benchmark: its factory and what the factory takes, declared (never read from
    its signature). ``detections``: takes ``detections=`` (a folder of per-sequence detection
    files replacing the benchmark's own); ``options``: takes ``options=`` (scoring variants it
    validates against its own options dataclass); ``head_defaults``: task → head parameter values
    (the config layer "benchmark defaults")."""

    factory: Callable[..., Any]
    detections: bool = False
    options: bool = False
    head_defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __call__(self, data_root, split, sequences, **kwargs: Any):
        return self.factory(data_root, split, sequences, **kwargs)


BENCHMARKS: Registry[BenchmarkSpec] = Registry(
    "benchmark",
    doc="BenchmarkSpec(factory(data_root, split, sequences[, detections=][, options=]) -> "
    "Benchmark, detections, options, head_defaults) (see unibench.benchmarks.base)",
)


def register_benchmark(
    name: str,
    factory: Callable[..., Any],
    *,
    detections: bool = False,
    options: bool = False,
    head_defaults: Mapping[str, Mapping[str, Any]] | None = None,
) -> BenchmarkSpec:
    """Register ``factory`` under ``name`` with what it takes (see :class:`BenchmarkSpec`)."""
    spec = BenchmarkSpec(factory, detections, options, dict(head_defaults or {}))
    BENCHMARKS.register(name, spec, stacklevel=2)
    return spec


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


# ------------------------------------------------------------------ what every adapter shares
class FileResults:
    """For adapters whose results are one file per sequence (MOTChallenge text, OPE text, the
    OxUvA csv, PoseTrack / VIS / BDD json): ``result_suffix`` declares the extension."""

    result_suffix = ".txt"

    def result_path(self, pred_dir: Path, name: str) -> Path:
        return Path(pred_dir) / f"{name}{self.result_suffix}"


def check_count(file: Path | str, n: int, what: str, frames: Sequence, where: str = "") -> None:
    """The frame-count check of a sequence's annotation file: ``n`` annotations (``what``: boxes,
    regions, …) for ``len(frames)`` frames, else one clear error naming the file."""
    if n != len(frames):
        raise DataError(f"{file}: {n} {what} for {len(frames)} frames{where}")


def check_produced(name: str, n: int, n_frames: int, what: str = "predictions") -> None:
    """The count check of a head's output, before anything is written: one prediction per frame
    of sequence ``name``, else one clear error."""
    if n != n_frames:
        raise DataError(f"{name}: the head produced {n} {what} for {n_frames} frames")


def clip_meta(*parts: object, frames: Sequence[Path]) -> dict[str, str]:
    """A sequence's ``meta`` with its clip key (the feature cache's key: the parts that name the
    clip, then the fingerprint of its frame files)."""
    return {"cache_key": "|".join([*(str(p) for p in parts), frames_fingerprint(frames)])}


def parse_options(cls: type, options: Mapping | Any | None):
    """``benchmark.options`` validated into the benchmark's options dataclass ``cls`` (unknown
    keys and wrong types are errors naming the key); an instance passes through."""
    if isinstance(options, cls):
        return options
    return from_dict(cls, options, "benchmark.options", "benchmark.options.")


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
    """Build a registered benchmark; ``detections`` and scoring ``options`` only where its
    registration says the factory takes them."""

    spec = BENCHMARKS.get(name)
    kwargs = {}
    if detections is not None:
        if not spec.detections:
            raise ConfigError(
                f"benchmark {name!r} takes no detection folder (benchmark.detections / "
                "--detections applies to association benchmarks: MOTChallenge, MOTS, PoseTrack, "
                "BDD100K)"
            )
        kwargs["detections"] = detections
    if options:
        if not spec.options:
            raise ConfigError(
                f"benchmark {name!r} takes no scoring options (benchmark.options.*); "
                f"got {', '.join(sorted(options))}"
            )
        kwargs["options"] = dict(options)
    bench = spec(data_root, split, sequences, **kwargs)
    # names read from list files become paths: none may leave the data root, on any path (run,
    # eval, package) alike
    for n in bench.sequence_names():
        safe_name(n, "sequence", f"benchmark {bench.name} at {bench.root}", DataError)
    return bench
