"""``unibench data check``: does a folder hold a registered benchmark's split, complete?

One check for every path: ``data check`` runs it whole; ``run`` and ``eval`` run its fast mode on the
sequences they read before any model is built (:func:`check_or_raise`). What it looks at, in order:

1. the layout: which declared :class:`~unibench.benchmarks.data.folders.Variant` the folder is (the
   official one, or a known variant with what to do about it), else the official tree;
2. the adapter builds (list files, split folders, metadata) — its error is the problem line;
3. the split's sequences against the manifest (``manifests/<bench>-<split>.json``, naming its
   source): missing and extra sequences, frame counts where the manifest has them;
4. each sequence's fast check (:meth:`BenchmarkBase.check_sequence`: names, counts, sizes from
   headers, the first annotation; the adapter's own checks such as DAVIS's masks against frames);
5. with ``deep``: every image decoded (:meth:`BenchmarkBase.decode_all`: truncated or unreadable
   files).

Each problem is one line naming the file or the sequence; nothing on disk is changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unibench.benchmarks.base import BENCHMARKS, build_benchmark, iter_progress
from unibench.benchmarks.data.folders import DataLayout, Manifest

from unibench.errors import ConfigError, DataError

logger = logging.getLogger(__name__)


def manifest_for(layout: DataLayout | None, split: str) -> Manifest | None:
    if layout is None or split not in layout.manifests:
        return None
    return Manifest.load(layout.manifests[split])


@dataclass(frozen=True)
class Problem:
    where: str  # the file, folder or sequence it concerns
    what: str

    @property
    def line(self) -> str:
        return f"{self.where}: {self.what}" if self.where else self.what


@dataclass
class CheckReport:
    benchmark: str
    split: str | None
    root: str
    variant: str | None = None
    variant_note: str = ""
    manifest: str | None = None  # the manifest's source
    expected: int | None = None  # sequences the manifest lists
    found: int = 0  # sequences the adapter reads
    checked: int = 0
    frames: int = 0
    deep: bool = False
    subset: bool = False  # --sequences: not compared with the manifest
    unlisted: str = ""  # why this split has no manifest (DataLayout.unlisted)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # optional parts absent: not problems

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, where: str | Path, what: str) -> None:
        self.problems.append(Problem(str(where), what))

    def summary(self) -> str:
        layout = f"layout {self.variant}" if self.variant else "layout not recognised"
        if self.expected is not None:
            against = f"{self.found} of {self.expected} sequences of the manifest"
        elif self.subset:
            against = f"{self.found} sequences named (a subset: not compared with a manifest)"
        else:
            why = f": {self.unlisted}" if self.unlisted else ""
            against = f"{self.found} sequences (no manifest for this split{why})"
        mode = "deep (every image decoded)" if self.deep else "fast (names and sizes)"
        verdict = "complete" if self.ok else f"{len(self.problems)} problem(s)"
        source = f"\nmanifest: {self.manifest}" if self.manifest else ""
        return (
            f"{self.benchmark}/{self.split or '-'} at {self.root}: {layout}; {against}; "
            f"{self.checked} checked, {self.frames} frames, {mode}: {verdict}{source}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "split": self.split,
            "root": self.root,
            "layout": self.variant,
            "layout_note": self.variant_note,
            "manifest": self.manifest,
            "expected_sequences": self.expected,
            "found_sequences": self.found,
            "checked_sequences": self.checked,
            "frames": self.frames,
            "deep": self.deep,
            "complete": self.ok,
            "problems": [{"where": p.where, "what": p.what} for p in self.problems],
            "notes": list(self.notes),
        }


def _layout_problem(report: CheckReport, name: str, layout: DataLayout, root: Path) -> bool:
    """Recognise the folder's arrangement; True where the check can go on to the adapter."""
    found = layout.recognise(root)
    if found is None:
        report.add(
            root,
            f"not a {name} folder in any layout UniBench knows; expected the official tree:\n"
            + layout.tree,
        )
        return False
    report.variant, report.variant_note = found.name, found.note
    if found is layout.official or found.readable:
        return True
    fix = (
        f"; `unibench data layout {name} --data-root {root} --from {found.name}` rearranges it "
        "(a dry run unless --apply)"
        if found.repair
        else ""
    )
    report.add(root, f"the {found.name} layout ({found.note}){fix}")
    return False


def check_data(
    name: str,
    data_root: Path | str,
    split: str | None = None,
    sequences: list[str] | None = None,
    deep: bool = False,
    progress: bool = False,
) -> CheckReport:
    """Check ``data_root`` as benchmark ``name``'s ``split`` (see the module's docstring)."""
    spec = BENCHMARKS.get(name)
    root = Path(data_root)
    report = CheckReport(name, split, str(root), deep=deep, subset=bool(sequences))
    if not root.is_dir():
        report.add(root, "does not exist (or is not a folder)")
        return report
    layout = spec.data
    if layout is not None and not _layout_problem(report, name, layout, root):
        return report
    try:
        bench = build_benchmark(name, root, split, tuple(sequences) if sequences else None)
    except (DataError, ConfigError) as exc:
        report.add("", str(exc))
        return report
    report.split = bench.split
    for glob, enables in layout.optional if layout is not None else ():
        pattern = glob.format(split=bench.split)
        if next(iter(root.glob(pattern)), None) is None:
            report.notes.append(f"note: no {root / pattern} ({enables})")
    names = bench.sequence_names()
    report.found = len(names)
    manifest = manifest_for(layout, bench.split)
    counts: dict[str, int | None] = {}
    if manifest is not None and not sequences:
        report.manifest, report.expected = manifest.source, len(manifest.sequences)
        have = set(names)
        for n in manifest.sequences:
            if n not in have:
                report.add(n, f"missing sequence (the {bench.split} split's manifest lists it)")
        for n in names:
            if n not in manifest.sequences:
                report.add(n, f"extra sequence: not in the official {bench.split} split")
        counts = manifest.sequences
    elif manifest is None and layout is not None:
        report.unlisted = layout.unlisted
    for n in iter_progress(names, f"check {name}", progress):
        try:
            got = bench.check_sequence(n)
        except DataError as exc:
            report.add(n, str(exc))
            continue
        report.checked += 1
        report.frames += got or 0
        want = counts.get(n)
        if want is not None and got is not None and got != want:
            report.add(n, f"{got} frames; the manifest's sequence has {want}")
        if deep:
            for line in bench.decode_all(n):
                report.add(n, line)
    return report


def check_or_raise(bench, names: list[str], scoring_only: bool = False) -> None:
    """The fast check ``run`` and ``eval`` make on the sequences they read, before any model is
    built or any prediction read: the adapter's check of each sequence (its first problem is the
    error); ``scoring_only`` (``eval``): only what scoring reads
    (:meth:`~unibench.benchmarks.base.BenchmarkBase.check_ground_truth`)."""
    for n in names:
        if scoring_only:
            bench.check_ground_truth(n)
        else:
            bench.check_sequence(n)
            bench.check_run_inputs(n)
