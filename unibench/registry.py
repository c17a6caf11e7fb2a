"""A generic name → object registry (detectron2/timm style).

Contract: every registry states in its ``doc`` what a registered object must accept and return.
Registering a name twice is an error naming both places; looking up an unknown name is an error
listing what exists. Third-party packages add entries through the entry-point group
``unibench.plugins``: each entry point names a module (or a callable) that registers its objects on
import; plugins are loaded once per registry on the first lookup miss or listing. A registry may
name ``builtins``, modules of this project that register its entries, imported the same way (by
name, on first use), so a foundation module can own a registry whose entries live in a plugin
folder without importing it. A registry may ``validate`` each entry when it is registered, so a
malformed entry fails where it is declared, not in the run that first uses it.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import inspect
import logging
import sys
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Generic, TypeVar

from unibench.errors import RegistryError

T = TypeVar("T")
logger = logging.getLogger(__name__)

PLUGIN_GROUP = "unibench.plugins"


def _caller_place(depth: int) -> str:
    """``file:line`` of the frame ``depth`` levels up. ``sys._getframe`` reads no source file
    (``inspect.stack()`` read every frame's source context: ~14 s of start-up for 93 names)."""
    frame = sys._getframe(depth)
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def load_plugins(group: str = PLUGIN_GROUP) -> list[str]:
    """Import every entry point of ``group``; return the names loaded.

    A plugin that fails to import is reported with its entry-point name, never skipped silently.
    """
    loaded = []
    for ep in importlib.metadata.entry_points(group=group):
        try:
            obj = ep.load()
        except Exception as exc:
            raise RegistryError(
                f"plugin entry point {ep.name!r} ({ep.value}) of group {group!r} failed to load: {exc}"
            ) from exc
        if callable(obj) and not inspect.ismodule(obj):
            obj()
        loaded.append(ep.name)
    return loaded


class Registry(Generic[T]):
    """Maps names to objects of one kind (models, heads, benchmarks, metrics)."""

    def __init__(
        self,
        kind: str,
        doc: str = "",
        builtins: tuple[str, ...] = (),
        validate: Callable[[str, T], None] | None = None,
    ) -> None:
        self.kind = kind
        self.doc = doc
        self.builtins = builtins
        self.validate = validate  # called with (name, obj) before an entry is stored; raises
        self._objs: dict[str, T] = {}
        self._places: dict[str, str] = {}
        self._plugins_loaded = False

    def register(
        self, name: str, obj: T | None = None, stacklevel: int = 1
    ) -> Callable[[T], T] | T:
        """Register ``obj`` under ``name``; usable as a decorator when ``obj`` is omitted.

        ``stacklevel`` (as in :func:`warnings.warn`) picks the frame recorded as the place of
        registration: 2 for a helper that registers on its caller's behalf.
        """

        def _do(o: T, depth: int) -> T:
            place = _caller_place(depth)
            if name in self._objs:
                raise RegistryError(
                    f"{self.kind} {name!r} registered twice: first at {self._places[name]}, "
                    f"again at {place}"
                )
            if self.validate is not None:
                self.validate(name, o)
            self._objs[name] = o
            self._places[name] = place
            return o

        if obj is not None:
            return _do(obj, 2 + stacklevel)
        return lambda o: _do(o, 2 + stacklevel)

    def _ensure_plugins(self) -> None:
        if not self._plugins_loaded:
            self._plugins_loaded = True
            for module in self.builtins:
                importlib.import_module(module)
            load_plugins()

    def get(self, name: str) -> T:
        if name not in self._objs:
            self._ensure_plugins()
        if name not in self._objs:
            known = sorted(self._objs)
            close = difflib.get_close_matches(name, known, n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise RegistryError(
                f"unknown {self.kind} {name!r}.{hint} Known {self.kind}s: {', '.join(known) or '(none)'}"
            )
        return self._objs[name]

    def __contains__(self, name: object) -> bool:
        return name in self._objs

    def names(self) -> list[str]:
        self._ensure_plugins()
        return sorted(self._objs)

    def items(self) -> Iterator[tuple[str, T]]:
        for n in self.names():
            yield n, self._objs[n]

    def as_dict(self) -> Mapping[str, T]:
        """Every entry by name (built-ins and plugins loaded first): a read-only view, not a copy
        (``unibench.metrics.typed`` looks a name up for every figure it writes)."""
        self._ensure_plugins()
        return MappingProxyType(self._objs)

    def place(self, name: str) -> str:
        return self._places[name]
