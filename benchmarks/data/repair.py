"""``unibench data layout BENCH --data-root DIR --from VARIANT``: turn a known variant into the
official layout. A plan of operations is made first and shown (the default is a dry run); with
``apply`` it is carried out. Nothing is deleted or overwritten: an operation whose target exists
stops the plan before anything is done.

Rearrangements (named by the variants that declare them, :class:`~.layout.Variant.repair`):

* ``lasot-flat``: ``<root>/<class>-<n>/`` moved to ``<root>/<class>/<class>-<n>/`` (renames
  inside the data root);
* ``trackingnet-zips``: ``<root>/<SPLIT>/zips/<seq>.zip`` unpacked into
  ``<root>/<SPLIT>/frames/<seq>/`` (the zips are kept);
* ``davis2016-in-2017``: DAVIS-2016's files unpacked inside a DAVIS-2017 tree (``<root>/DAVIS/``)
  become a DAVIS-2016 root at ``to`` made of symbolic links (frames, DAVIS-2016's masks and lists);
  the DAVIS-2017 tree is not touched.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from unibench.benchmarks.data.fetch import unpack

from unibench.errors import ConfigError, DataError


@dataclass(frozen=True)
class Op:
    kind: str  # move | unzip | link
    src: Path
    dst: Path

    @property
    def line(self) -> str:
        verb = {"move": "move", "unzip": "unpack", "link": "link"}[self.kind]
        return f"{verb} {self.src} -> {self.dst}"


def _lasot_flat(root: Path, to: Path | None) -> list[Op]:
    ops = []
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        m = re.fullmatch(r"(.+)-(\d+)", d.name)
        if m and (d / "img").is_dir():
            ops.append(Op("move", d, root / m.group(1) / d.name))
    return ops


def _trackingnet_zips(root: Path, to: Path | None) -> list[Op]:
    return [
        Op("unzip", z, z.parent.parent / "frames" / z.stem)
        for z in sorted(root.glob("*/zips/*.zip"))
    ]


def _davis2016_in_2017(root: Path, to: Path | None) -> list[Op]:
    if to is None:
        raise ConfigError(
            "--from davis2016-in-2017 makes a DAVIS-2016 root of links: name it with --to DIR "
            "(the DAVIS-2017 tree is not changed)"
        )
    inner = root / "DAVIS"
    frames = inner / "JPEGImages" / "480p"
    frames = frames if frames.is_dir() else root / "JPEGImages" / "480p"
    ops = [
        Op("link", frames, to / "JPEGImages" / "480p"),
        Op("link", inner / "Annotations" / "480p", to / "Annotations" / "480p"),
    ]
    lists = inner / "ImageSets" / "480p"
    if lists.is_dir():
        ops.append(Op("link", lists, to / "ImageSets" / "480p"))
    return ops


REPAIRS: dict[str, Callable[[Path, Path | None], list[Op]]] = {
    "lasot-flat": _lasot_flat,
    "trackingnet-zips": _trackingnet_zips,
    "davis2016-in-2017": _davis2016_in_2017,
}


def plan(repair: str, root: Path | str, to: Path | str | None = None) -> list[Op]:
    if repair not in REPAIRS:
        raise ConfigError(f"unknown rearrangement {repair!r}; known: {', '.join(REPAIRS)}")
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: does not exist (or is not a folder)")
    ops = REPAIRS[repair](root, Path(to) if to is not None else None)
    problems = _clashes(ops)
    if problems:
        raise DataError(
            f"{problems[0]}; nothing was changed ({len(problems)} problem(s) in the plan)"
        )
    return ops


def _clashes(ops: list[Op]) -> list[str]:
    """Everything that would stop the plan half-way, found before anything moves: a target that
    exists, two operations with one target, a folder to create where a plain file (or a link)
    sits, a source that is gone or (unpack) not a zip."""
    out: list[str] = []
    seen: dict[Path, Op] = {}
    made = {o.dst for o in ops}
    for o in ops:
        if o.dst in seen:
            out.append(f"{o.dst}: the target of both {seen[o.dst].src} and {o.src}")
        seen[o.dst] = o
        if o.dst.exists() or o.dst.is_symlink():
            out.append(f"{o.dst}: exists")
        for parent in o.dst.parents:
            if parent in made:
                out.append(f"{o.dst}: inside {parent}, which the plan itself creates")
                break
            if parent.is_symlink() or (parent.exists() and not parent.is_dir()):
                out.append(f"{parent}: a file where the folder of {o.dst} goes")
                break
            if parent.is_dir():
                break
        if not (o.src.exists() or o.src.is_symlink()):
            out.append(f"{o.src}: does not exist")
        elif o.kind == "unzip" and not zipfile.is_zipfile(o.src):
            out.append(f"{o.src}: not a zip archive")
    return out


def apply(ops: list[Op]) -> None:
    for o in ops:
        o.dst.parent.mkdir(parents=True, exist_ok=True)
        if o.kind == "move":
            os.rename(o.src, o.dst)
        elif o.kind == "link":
            os.symlink(o.src.resolve(), o.dst, target_is_directory=True)
        else:
            unpack(o.src, o.dst)
