"""What a benchmark's folder looks like: :class:`DataLayout`, declared with its registration
(``register_benchmark(name, factory, adapter, data=DataLayout(...))``).

``tree`` is the official layout as the docs and ``data check`` print it; ``variants`` the
arrangements people actually have on disk, each recognised by marker paths (globs relative to the
data root), the first being the official one; ``obtain`` says how to get the data: openly published
:class:`Archive` files that ``unibench data fetch`` downloads and verifies, or the steps of a
registration or a form; ``manifests`` names, per split, the manifest file (``manifests/``) that
lists the split's sequences (and frame counts where the source gives them)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType


@dataclass(frozen=True)
class Variant:
    """One arrangement of a benchmark's files. ``markers``: globs (relative to the data root) that
    each match at least one path in this arrangement; ``note``: what it is, in one line;
    ``repair``: the name of the rearrangement that turns it into the official layout
    (``unibench data layout BENCH --from NAME``), empty where none exists; ``readable``: the
    adapter reads it as it is (``data check`` names it and goes on), else it is a problem."""

    name: str
    markers: tuple[str, ...]
    note: str
    repair: str = ""
    readable: bool = False

    def matches(self, root: Path) -> bool:
        return all(next(iter(Path(root).glob(m)), None) is not None for m in self.markers)


@dataclass(frozen=True)
class Archive:
    """An openly published file of a benchmark: where it is (``url``: a full URL; ``data fetch
    --base-url`` replaces everything before ``name``), how large it is and its SHA-256 where the
    publisher or a first verified download pinned them (``None``: unknown, said so when fetched),
    the folder under the data root it unpacks into (``into``; ``""``: the root itself) and how many
    leading folders of its members to drop (``strip``: DAVIS's zips hold one ``DAVIS/``)."""

    name: str
    url: str
    size: int | None = None
    sha256: str | None = None
    into: str = ""
    strip: int = 0


@dataclass(frozen=True)
class Obtain:
    """How to get a benchmark: ``page`` (its official download page), ``archives`` (openly
    published, fetched by ``unibench data fetch``) or ``steps`` (what to do where a registration
    or a form stands between the user and the files)."""

    page: str
    archives: tuple[Archive, ...] = ()
    steps: tuple[str, ...] = ()
    gate: str = ""  # why it cannot be fetched: "registration", "access form", "Google Drive", …

    @property
    def fetchable(self) -> bool:
        return bool(self.archives)

    @property
    def how(self) -> str:
        """One line: how a user gets the data (``list benchmarks``, the docs)."""
        if self.fetchable:
            n = len(self.archives)
            return f"open: unibench data fetch ({n} archive{'s' if n > 1 else ''})"
        return f"{self.gate or 'manual download'}: {self.page}"


@dataclass(frozen=True)
class DataLayout:
    tree: str
    variants: tuple[Variant, ...]
    obtain: Obtain
    manifests: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # the splits without a manifest and why (no citable list found): said by the docs' data
    # page and by ``data check``'s summary, which then compares no sequence list
    unlisted: str = ""
    family: str = ""  # the docs page of its family (vos, sot, association, pose)
    # optional parts: (glob relative to the root, with ``{split}`` for the split checked; what
    # it enables): ``data check`` notes each one absent without counting it as a problem
    optional: tuple[tuple[str, str], ...] = ()

    @property
    def how(self) -> str:
        return self.obtain.how

    @property
    def official(self) -> Variant:
        return self.variants[0]

    def recognise(self, root: Path) -> Variant | None:
        """The first declared variant whose markers all match under ``root``."""
        return next((v for v in self.variants if v.matches(root)), None)

    def variant(self, name: str) -> Variant:
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(name)


@dataclass(frozen=True)
class Manifest:
    """A split's official list (``manifests/<file>.json``): sequence -> frame count (None where
    the source gives none), and the source it was taken from."""

    benchmark: str
    split: str
    source: str
    sequences: dict[str, int | None]

    @classmethod
    def load(cls, filename: str) -> Manifest:
        text = resources.files("unibench.benchmarks.data").joinpath("manifests", filename)
        raw = json.loads(text.read_text(encoding="utf-8"))
        return cls(raw["benchmark"], raw["split"], raw["source"], dict(raw["sequences"]))
