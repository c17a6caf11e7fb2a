"""Task heads: training-free modules that turn feature maps into per-task predictions.

A head is a subclass of :class:`Head` registered with :func:`register_head`: ``task`` (or ``tasks``
where one head serves several), ``Params`` (a dataclass of every hyperparameter, recorded in each
result), ``presets`` (name → :class:`Preset`, applied whole with ``head.preset=NAME`` or named by a
model card's ``protocol``) and ``task_defaults`` (task → :class:`Preset`), both read from one data
file beside the head (:func:`load_presets`) in which every value carries the reference file:line it
comes from; ``track(sequence, extractor)`` yields one prediction per frame. Everything declared is
checked at registration (:func:`check_head`), so a preset that sets an unknown parameter, a value of
the wrong type or a parameter without its source never reaches a run. Heads never import benchmarks
or models.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Literal

import yaml

from unibench.config import coerce
from unibench.datatypes import VideoSequence
from unibench.errors import ConfigError, RegistryError
from unibench.registry import Registry
from unibench.tasks import TASKS

# a reference: ``<repo key>:<path>:<line>[-<line>]`` (the key names a repository at a commit in the
# file's ``references``), or ``unibench: <reason>`` for a value that is UniBench's own choice
_REF = re.compile(r"^(?P<repo>[A-Za-z][\w-]*):(?P<path>[^\s:]+):(?P<line>\d+)(?:-\d+)?$")
OWN_CHOICE = "unibench:"


@dataclass(frozen=True)
class Preset:
    """A named set of parameter values and, for every value, where it comes from."""

    name: str
    values: Mapping[str, Any]
    refs: Mapping[str, str]

    def params(self) -> dict[str, Any]:
        """The values as a config layer sets them."""
        return dict(self.values)


@dataclass(frozen=True)
class HeadPresets:
    """A head's data file, parsed: the repositories cited, the presets and the per-task defaults."""

    path: Path
    references: Mapping[str, str]
    presets: Mapping[str, Preset]
    task_defaults: Mapping[str, Preset]


def _params_hints(params_cls: type) -> dict[str, Any]:
    return typing.get_type_hints(params_cls)


def _parse_entries(
    path: Path, where: str, raw: Any, hints: Mapping[str, Any], repos: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: {where} must map parameter -> [value, reference]")
    values: dict[str, Any] = {}
    refs: dict[str, str] = {}
    for key, entry in raw.items():
        if key == "<<":  # a YAML merge key is expanded by the loader; never left as a name
            continue
        if key not in hints:
            raise ConfigError(
                f"{path}: {where}: unknown parameter {key!r}; parameters: {', '.join(sorted(hints))}"
            )
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], str)):
            raise ConfigError(f"{path}: {where}.{key} must be [value, reference], got {entry!r}")
        value, ref = entry
        check_reference(ref, repos, f"{path}: {where}.{key}")
        values[key] = coerce(value, hints[key], key, f"{path}: {where}")
        refs[key] = ref
    return values, refs


def check_reference(ref: str, repos: Mapping[str, str], where: str) -> None:
    """A reference is ``repo:path:line`` with ``repo`` cited in the file, or ``unibench: reason``."""
    if ref.startswith(OWN_CHOICE):
        if not ref[len(OWN_CHOICE) :].strip():
            raise ConfigError(f"{where}: 'unibench:' needs the reason for UniBench's own choice")
        return
    m = _REF.match(ref)
    if m is None or m["repo"] not in repos:
        raise ConfigError(
            f"{where}: reference {ref!r} is neither <repo>:<path>:<line> with <repo> one of "
            f"{', '.join(sorted(repos)) or '(none cited)'} nor 'unibench: <reason>'"
        )


def load_presets(path: Path | str, params_cls: type) -> HeadPresets:
    """Read a head's preset file (YAML: ``references``, ``presets``, ``task_defaults``), checking
    every parameter against ``params_cls`` (unknown names and wrong types are errors naming the
    file and key) and every value's reference. A preset's ``preset`` field, where the head has one,
    is its own name."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the preset file: {exc}") from exc
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: expected a mapping with references, presets, task_defaults")
    unknown = set(data) - {"references", "presets", "task_defaults", "shared"}
    if unknown:
        raise ConfigError(f"{path}: unknown section(s) {', '.join(sorted(unknown))}")
    repos = dict(data.get("references") or {})
    hints = _params_hints(params_cls)
    presets: dict[str, Preset] = {}
    for name, raw in (data.get("presets") or {}).items():
        values, refs = _parse_entries(path, f"presets.{name}", raw, hints, repos)
        if "preset" in hints:
            values = {
                "preset": coerce(name, hints["preset"], "preset", f"{path}: presets"),
                **values,
            }
            refs = {"preset": f"{OWN_CHOICE} the preset's own name", **refs}
        presets[name] = Preset(name, MappingProxyType(values), MappingProxyType(refs))
    defaults: dict[str, Preset] = {}
    for task, raw in (data.get("task_defaults") or {}).items():
        values, refs = _parse_entries(path, f"task_defaults.{task}", raw or {}, hints, repos)
        defaults[task] = Preset(task, MappingProxyType(values), MappingProxyType(refs))
    return HeadPresets(
        path, MappingProxyType(repos), MappingProxyType(presets), MappingProxyType(defaults)
    )


class Head(ABC):
    """The typed base of every head (see the module docstring)."""

    task: ClassVar[str]
    tasks: ClassVar[tuple[str, ...]] = ()
    Params: ClassVar[type]
    presets: ClassVar[Mapping[str, Preset]] = MappingProxyType({})
    task_defaults: ClassVar[Mapping[str, Preset]] = MappingProxyType({})
    version: ClassVar[int] = 1  # behaviour version: bump with any change of output (tests/golden)

    def __init__(self, params: Any) -> None:
        self.p = params

    @classmethod
    def serves(cls) -> tuple[str, ...]:
        """The tasks this head runs."""
        return tuple(cls.tasks) or (cls.task,)

    @classmethod
    def defaults_for(cls, task: str) -> dict[str, Any]:
        """The head's parameter values for ``task`` (the config layer "head defaults for task")."""
        preset = cls.task_defaults.get(task)
        return preset.params() if preset is not None else {}

    @abstractmethod
    def track(self, seq: VideoSequence, extractor: Any) -> Iterator[Any]:
        """One prediction per frame of ``seq`` (after the first, for propagation heads)."""


def _literal_names(tp: Any) -> tuple[Any, ...] | None:
    return typing.get_args(tp) if typing.get_origin(tp) is Literal else None


def check_head(name: str, cls: Any) -> None:
    """Everything a head declares, checked when it is registered (one clear error naming it)."""
    where = f"head {name!r}"
    if not (isinstance(cls, type) and issubclass(cls, Head)):
        raise RegistryError(f"{where}: a head is a subclass of unibench.heads.base.Head")
    if not (
        isinstance(getattr(cls, "Params", None), type) and dataclasses.is_dataclass(cls.Params)
    ):
        raise RegistryError(f"{where}: Params must be a dataclass of its hyperparameters")
    for task in cls.serves():
        TASKS.get(task)  # an unknown task is an error listing the known ones
    hints = _params_hints(cls.Params)
    extra = set(cls.task_defaults) - set(cls.serves())
    if extra:
        raise RegistryError(f"{where}: task_defaults for tasks it does not serve: {sorted(extra)}")
    for kind, table in (("preset", cls.presets), ("task default", cls.task_defaults)):
        for key, preset in table.items():
            if not isinstance(preset, Preset):
                raise RegistryError(f"{where}: {kind} {key!r} is not a Preset (see load_presets)")
            unknown = set(preset.values) - set(hints)
            if unknown:
                raise RegistryError(f"{where}: {kind} {key!r} sets unknown {sorted(unknown)}")
            missing = set(preset.values) - set(preset.refs)
            if missing:
                raise RegistryError(f"{where}: {kind} {key!r}: no reference for {sorted(missing)}")
            try:  # the values build a valid parameter set on their own
                cls.Params(**{**cls.defaults_for(cls.serves()[0]), **preset.values})
            except (TypeError, ValueError) as exc:
                raise RegistryError(f"{where}: {kind} {key!r} is invalid: {exc}") from exc
    named = _literal_names(hints.get("preset"))
    if named is not None and set(named) != set(cls.presets) and cls.presets:
        raise RegistryError(
            f"{where}: Params.preset admits {sorted(named)} but the presets are "
            f"{sorted(cls.presets)}"
        )


HEADS: Registry[type[Head]] = Registry(
    "head",
    doc="a Head subclass: .task/.tasks, .Params dataclass, .presets, .task_defaults, track()",
    validate=check_head,
)
"""Task heads (one module per task)."""


def register_head(name: str):
    """Register a :class:`Head` subclass under ``name`` (a class decorator; checked first)."""

    def deco(cls: type[Head]) -> type[Head]:
        HEADS.register(name, cls, stacklevel=2)
        return cls

    return deco


def preset_file(module_file: str, head: str) -> Path:
    """The preset file of ``head``, beside the module that defines it."""
    return Path(module_file).with_name(f"{head}_presets.yaml")
