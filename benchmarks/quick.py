"""Quick suites: named, fixed subsets of a benchmark's split for use during training
(``unibench.evaluate(model, benchmarks="davis2017-val-quick")``, ``--benchmark
synthetic-davis-quick``). A quick suite resolves to its benchmark, split and sequence list (the
config layer "quick suite NAME"), so its records are subsets of that split like any other
``sequences=`` run: marked as such in every record, table and plot, never ranked against whole
splits. A suite may also fix ``frames``: the first N frames of each of its sequences are run and
scored as if the sequence ended there (``benchmark.frames``; adapters that declare
``frame_subsets``), labelled ``k/n seq, N frames`` wherever the record is shown."""

from __future__ import annotations

from dataclasses import dataclass

from unibench.registry import Registry


@dataclass(frozen=True)
class QuickSuite:
    benchmark: str
    split: str | None  # None: the benchmark's default split
    sequences: tuple[str, ...]
    why: str  # how the sequences were chosen
    frames: int | None = None  # the first N frames of each sequence (None: every frame)


QUICK: Registry[QuickSuite] = Registry(
    "quick suite", doc="QuickSuite(benchmark, split, sequences, why, frames)"
)

QUICK.register(
    "davis2017-val-quick",
    QuickSuite(
        "davis2017",
        "val",
        ("bike-packing", "blackswan", "dogs-jump", "horsejump-high", "kite-surf", "soapbox"),
        "6 of the 30 val sequences (one and several objects, fast and slow motion, occlusion), "
        "their first 30 frames (frames 1-28 scored: 168 of the split's 1999 scored frames)",
        frames=30,
    ),
)
QUICK.register(
    "synthetic-davis-quick",
    QuickSuite(
        "synthetic-davis",
        None,
        ("synth-00",),
        "the first of the 3 embedded sequences, its first 12 of 24 frames",
        frames=12,
    ),
)
QUICK.register(
    "synthetic-otb-quick",
    QuickSuite(
        "synthetic-otb",
        None,
        ("synth-00",),
        "the first of the embedded sequences, its first 12 frames",
        frames=12,
    ),
)


def expand(
    name: str, split: str | None, sequences, frames: int | None = None
) -> tuple[str, str | None, tuple | None, int | None]:
    """``(benchmark, split, sequences, frames)`` that ``name`` stands for: a quick suite's own
    (the split, sequences and frames given win), any other name unchanged. The one rule of every
    path (``run``, ``evaluate``, ``eval``)."""
    if name not in QUICK:
        return name, split, None if sequences is None else tuple(sequences), frames
    q = QUICK.get(name)
    seqs = q.sequences if sequences is None else tuple(sequences)
    return (
        q.benchmark,
        split if split is not None else q.split,
        seqs,
        q.frames if frames is None else frames,
    )
