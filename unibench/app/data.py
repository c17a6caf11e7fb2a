"""``unibench data check|fetch|layout``: the command line of :mod:`unibench.benchmarks.data`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from unibench.benchmarks.base import BENCHMARKS
from unibench.benchmarks.data import check as checks
from unibench.benchmarks.data import fetch as fetching
from unibench.benchmarks.data import repair
from unibench.errors import ConfigError
from unibench.io import atomic_write_text


def add_parser(sub) -> None:
    p = sub.add_parser(
        "data", help="check, fetch or rearrange a benchmark's folder (before the first run)"
    )
    acts = p.add_subparsers(dest="action", required=True)
    c = acts.add_parser(
        "check",
        help="is DIR the benchmark's split, complete? one line per problem; exit 0 when complete, "
        "1 when not",
    )
    c.add_argument("benchmark")
    c.add_argument("--data-root", required=True, type=Path)
    c.add_argument("--split")
    c.add_argument("--sequences", help="comma-separated subset (no manifest comparison)")
    c.add_argument("--deep", action="store_true", help="decode every image (slow)")
    c.add_argument("--json", type=Path, help="also write the report as JSON")
    c.add_argument("--no-progress", action="store_true")
    f = acts.add_parser(
        "fetch",
        help="download, verify and unpack an openly published benchmark (else: the steps to "
        "follow), then check it",
    )
    f.add_argument("benchmark")
    f.add_argument("--data-root", required=True, type=Path)
    f.add_argument("--base-url", help="a mirror: replaces everything before each archive's name")
    f.add_argument("--no-progress", action="store_true")
    lay = acts.add_parser(
        "layout",
        help="rearrange a recognised variant into the official layout (a dry run unless --apply)",
    )
    lay.add_argument("benchmark")
    lay.add_argument("--data-root", required=True, type=Path)
    lay.add_argument("--from", dest="variant", required=True, help="the variant data check named")
    lay.add_argument("--to", type=Path, help="where a rearrangement that builds a new root puts it")
    lay.add_argument("--apply", action="store_true", help="carry the plan out (default: show it)")


def _print_report(rep: checks.CheckReport) -> None:
    for p in rep.problems:
        print(p.line)
    for n in rep.notes:
        print(n)
    print(rep.summary())


def _check(a) -> int:
    seqs = [s for s in a.sequences.split(",") if s] if a.sequences else None
    rep = checks.check_data(
        a.benchmark, a.data_root, a.split, seqs, deep=a.deep, progress=not a.no_progress
    )
    _print_report(rep)
    if a.json:
        atomic_write_text(a.json, json.dumps(rep.to_json(), indent=1) + "\n")
    return 0 if rep.ok else 1


def _fetch(a) -> int:
    data = fetching.layout_of(a.benchmark)
    if not data.obtain.fetchable:
        print(fetching.instructions(a.benchmark, a.data_root))
        return 1
    bar = None
    if not a.no_progress and sys.stderr.isatty():
        from tqdm import tqdm

        bars: dict[str, tqdm] = {}

        def bar(name: str, have: int, total: int | None) -> None:
            b = bars.setdefault(name, tqdm(total=total, unit="B", unit_scale=True, desc=name))
            b.update(have - b.n)

    for f in fetching.fetch(a.benchmark, a.data_root, a.base_url, bar):
        state = "downloaded" if f.downloaded else "already here"
        sha = "verified" if f.verified else "no published checksum; recorded"
        print(f"{f.archive}: {state}, {f.size} bytes, sha256 {f.sha256} ({sha})"
              + (", unpacked" if f.unpacked else ""))  # fmt: skip
    rep = checks.check_data(a.benchmark, a.data_root, progress=not a.no_progress)
    _print_report(rep)
    return 0 if rep.ok else 1


def _layout(a) -> int:
    data = BENCHMARKS.get(a.benchmark).data
    if data is None:
        raise ConfigError(f"benchmark {a.benchmark!r} declares no data layout")
    try:
        variant = data.variant(a.variant)
    except KeyError:
        known = [v.name for v in data.variants if v.repair]
        raise ConfigError(
            f"{a.benchmark} has no variant {a.variant!r}; variants that can be rearranged: "
            f"{', '.join(known) or 'none'}"
        ) from None
    if not variant.repair:
        raise ConfigError(
            f"{a.benchmark}'s {variant.name} layout is not a rearrangement of the same files "
            f"({variant.note})"
        )
    ops = repair.plan(variant.repair, a.data_root, a.to)
    for o in ops:
        print(o.line)
    if not ops:
        print(f"nothing to do: no {variant.name} files under {a.data_root}")
        return 0
    if not a.apply:
        print(f"dry run: {len(ops)} operation(s); --apply carries them out")
        return 0
    repair.apply(ops)
    print(f"done: {len(ops)} operation(s)")
    root = a.to if a.to is not None else a.data_root
    rep = checks.check_data(a.benchmark, root, progress=False)
    _print_report(rep)
    return 0 if rep.ok else 1


def run(a: argparse.Namespace) -> int:
    return {"check": _check, "fetch": _fetch, "layout": _layout}[a.action](a)
