"""Typed configuration: dataclasses that reject unknown keys, merged from layers.

Precedence (stated once, in ``unibench.app.pipeline.resolve.resolve_config``; the docs (docs/commands.md) and every saved
``config.yaml`` list the same layers): dataclass defaults < the head's per-task defaults < the model
card's protocol (a named preset, expanded whole) < benchmark defaults < the preset the user names
(expanded whole) < YAML file < CLI flags < ``key=value`` overrides. Every layer is validated on its
own, so an error names the layer (e.g. ``CLI override``, ``config.yaml``) and the misspelt key, and
lists the valid keys. The resolved config, the layers applied and the layer that set each key are
saved beside a run's outputs.
"""

from __future__ import annotations

import dataclasses
import math
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import tomllib
import yaml

from unibench.errors import ConfigError


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def coerce(value: Any, tp: Any, key: str, source: str) -> Any:
    """Check ``value`` against annotation ``tp``; convert lists to tuples and ints to floats."""
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        errors = []
        for arm in get_args(tp):
            if arm is type(None):
                if value is None:
                    return None
                continue
            try:
                return coerce(value, arm, key, source)
            except ConfigError as exc:
                errors.append(str(exc))
        if len(errors) == 1:  # one real type (``float | None``): its own message says more
            raise ConfigError(errors[0])
        raise ConfigError(f"{source}: {key}={value!r} is not a {_type_name(tp)}")
    if origin is Literal:
        if value not in get_args(tp):
            raise ConfigError(
                f"{source}: {key}={value!r} must be one of {', '.join(map(repr, get_args(tp)))}"
            )
        return value
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{source}: {key}={value!r} must be a list")
        args = get_args(tp)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return tuple(coerce(v, args[0], key, source) for v in value)
        if origin is tuple and args:
            if len(args) != len(value):
                raise ConfigError(f"{source}: {key}={value!r} must have {len(args)} items")
            return tuple(coerce(v, a, key, source) for a, v in zip(args, value, strict=True))
        inner = args[0] if args else Any
        out = [coerce(v, inner, key, source) for v in value]
        return tuple(out) if origin is tuple else out
    if origin in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{source}: {key}={value!r} must be a mapping")
        return dict(value)
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{source}: {key}={value!r} must be true or false")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise ConfigError(f"{source}: {key}={value!r} must be a finite number")
            return float(value)
        raise ConfigError(f"{source}: {key}={value!r} must be a number")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{source}: {key}={value!r} must be an integer")
    if tp is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{source}: {key}={value!r} must be a string")
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, source, prefix=key + ".")
    raise ConfigError(f"{source}: {key}: unsupported annotation {tp!r}")


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def check_keys(cls: type, data: Mapping[str, Any], source: str, prefix: str = "") -> None:
    """Raise ConfigError for any key of ``data`` that ``cls`` does not declare (recursively)."""
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{source}: {prefix.rstrip('.') or 'config'} must be a mapping, got {data!r}"
        )
    hints = _hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    for k, v in data.items():
        if k not in names:
            raise ConfigError(
                f"{source}: unknown key '{prefix}{k}' for {cls.__name__}; valid keys: "
                f"{', '.join(prefix + n for n in names)}"
            )
        tp = hints[k]
        if dataclasses.is_dataclass(tp) and isinstance(v, Mapping):
            check_keys(tp, v, source, prefix + k + ".")


def from_dict(cls: type, data: Mapping[str, Any] | None, source: str = "config", prefix: str = ""):
    """Build dataclass ``cls`` from ``data``; unknown keys and wrong types are errors."""
    data = dict(data or {})
    check_keys(cls, data, source, prefix)
    hints = _hints(cls)
    kwargs = {k: coerce(v, hints[k], prefix + k, source) for k, v in data.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: {cls.__name__}: {exc}") from exc


def to_dict(obj: Any) -> Any:
    """Plain-data view of a (nested) dataclass, tuples as lists, for YAML/JSON."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    return obj


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse a CLI override ``a.b=value``; the value is read as YAML scalar/list (safe loader)."""
    if "=" not in text:
        raise ConfigError(f"CLI override {text!r}: expected key=value (e.g. head.topk=5)")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise ConfigError(f"CLI override {text!r}: empty key")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ConfigError(f"CLI override {text!r}: cannot parse value: {exc}") from exc
    return key.split("."), value


def overrides_to_dict(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        path, value = parse_override(item)
        node = out
        for p in path[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ConfigError(f"CLI override {item!r} conflicts with another override")
        node[path[-1]] = value
    return out


def load_mapping(path: Path, what: str = "config file") -> dict[str, Any]:
    """A YAML (safe loader) or, for ``.toml``, TOML file holding a mapping: the one reader of
    config files, suites and model cards; any failure is a ConfigError naming the file."""
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc}") from exc
    if path.suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    else:
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: expected a mapping at the top level ({what}), got {type(data).__name__}"
        )
    return data


def load_yaml(path: Path) -> dict[str, Any]:
    """A config file (YAML): :func:`load_mapping`."""
    return load_mapping(path)


def deep_merge(
    base: dict[str, Any],
    layer: Mapping[str, Any],
    source: str,
    provenance: dict[str, str],
    prefix="",
) -> dict[str, Any]:
    for k, v in layer.items():
        if isinstance(v, Mapping) and isinstance(base.get(k), dict):
            deep_merge(base[k], v, source, provenance, prefix + k + ".")
        elif isinstance(v, Mapping):
            base[k] = {}
            deep_merge(base[k], v, source, provenance, prefix + k + ".")
        else:
            base[k] = v
            provenance[prefix + k] = source
    return base


# --------------------------------------------------------------------------------------------------
# The run configuration


@dataclass
class ModelConfig:
    name: str = "pixels"
    tap: str | None = None  # None → the model's default tap
    checkpoint: str | None = None
    allow_partial: bool = False
    allow_nonfinite: bool = False  # load NaN/infinite weights instead of refusing them
    device: Literal["cpu", "cuda"] = "cpu"
    # the feature path: fp32, or bf16 (autocast on a channels-last input; opt-in, in the run
    # identity, its measured effect in docs/measured.md)
    precision: Literal["fp32", "bf16"] = "fp32"
    # batch norms folded into the convolutions, weights and input channels-last (the default
    # feature path); false: the network as built (its measured effect in docs/measured.md)
    fuse: bool = True


@dataclass
class BenchmarkConfig:
    name: str = "synthetic"
    data_root: str | None = None
    split: str | None = None
    sequences: tuple[str, ...] | None = None
    frames: int | None = None  # the first N frames of every sequence (a subset; quick suites)
    # a cut copy whose metadata describes the full sequences (MOTChallenge seqinfo.ini seqLength,
    # PoseTrack nframes): run and score the frames present (a subset, marked so everywhere)
    truncate: bool = False
    detections: str | None = None  # association tasks: a folder of detection files per sequence
    # scoring variant, validated by the benchmark (e.g. posetrack18: strict_visibility=true)
    options: dict[str, Any] = field(default_factory=dict)


def default_output_dir() -> Path:
    """The default result store: ``$UNIBENCH_OUTPUT``, else ``$XDG_DATA_HOME/unibench`` (default
    ``~/.local/share/unibench``): one place whatever the current folder, shared by ``run`` and
    ``report``."""
    if os.environ.get("UNIBENCH_OUTPUT"):
        return Path(os.environ["UNIBENCH_OUTPUT"]).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(data) / "unibench"


@dataclass
class OutputConfig:
    dir: str = field(default_factory=lambda: str(default_output_dir()))
    force: bool = False
    feature_cache: bool = False  # cache frame features on disk (float16) for reuse across heads
    workers: int = 0  # worker processes over sequences (0 = in this process)

    def __post_init__(self) -> None:
        if self.workers < 0:
            raise ValueError(f"workers must be >= 0 (0 = in this process), got {self.workers}")


@dataclass
class HeadSection:
    """Head name plus its parameters; the params are validated against the head's dataclass."""

    name: str | None = None  # None → the task's default head
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunConfig:
    task: str = "vos"
    model: ModelConfig = field(default_factory=ModelConfig)
    head: HeadSection = field(default_factory=HeadSection)
    benchmark: BenchmarkConfig = field(default_factory=BenchmarkConfig)
    output: OutputConfig = field(default_factory=OutputConfig)


def split_head(layer: Mapping[str, Any]) -> dict[str, Any]:
    """Users write ``head.topk=5``; inside, head params live under ``head.params``."""
    layer = dict(layer)
    head = layer.get("head")
    if isinstance(head, Mapping):
        head = dict(head)
        params = dict(head.pop("params", {}) or {})
        name = head.pop("name", None)
        params.update(head)
        new = {"params": params}
        if name is not None:
            new["name"] = name
        layer["head"] = new
    return layer


@dataclass
class Layer:
    source: str
    data: dict[str, Any]


@dataclass
class ResolvedConfig:
    run: RunConfig
    head_params: Any
    provenance: dict[str, str]
    layers: list[str] = field(default_factory=list)  # the layers applied, lowest first

    def to_dict(self) -> dict[str, Any]:
        d = to_dict(self.run)
        d["head"]["params"] = to_dict(self.head_params)
        return {
            "config": d,
            "precedence": ["dataclass defaults", *self.layers],
            "set_by": dict(sorted(self.provenance.items())),
        }


def validate_head_layer(params_cls: type, layer: Layer) -> None:
    params = (layer.data.get("head") or {}).get("params") or {}
    check_keys(params_cls, params, layer.source, prefix="head.")
