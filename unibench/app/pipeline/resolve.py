"""Resolution: the configuration layers of one cell, and the matrix of cells a command describes.

``resolve_config`` merges the layers, lowest first: the head's dataclass defaults < the head's
defaults for the task < the model card's protocol (its named preset, expanded whole) < benchmark
defaults < the preset the user names (expanded whole) < ``--config`` YAML < CLI flags <
``key=value`` overrides. ``config.yaml`` records the layers applied, in this order, and
the layer that set every key. ``expand_matrix`` turns models × tasks × layers × benchmarks × head
variants (flags or a YAML suite) into one CLI layer per cell; the model's taps come from its
architecture's declaration (:func:`unibench.appearance_models.arch_info`), no network is built.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unibench import config as C
from unibench.appearance_models import MODELS, arch_info, get_cfg, tracking_taps
from unibench.benchmarks import BENCHMARKS, quick
from unibench.benchmarks.quick import QUICK
from unibench.errors import ConfigError, UniBenchError
from unibench.heads import HEADS
from unibench.tasks import TASKS

logger = logging.getLogger(__name__)

__all__ = ["MODELS", "MatrixRequest", "Suite", "expand_matrix", "resolve_config"]


def check_protocol(card) -> None:
    """Where a card's protocol meets the heads: every task of ``card.protocol`` is known and names
    a preset of the head that task runs by default, checked whole (all its tasks, not only the
    one run) before any cell of the card is resolved, so a typo fails on first use naming the
    card and where it comes from (a card file's path)."""
    for task, preset in card.protocol.items():
        head_name = TASKS.get(task).default_head  # an unknown task lists the known ones
        presets = HEADS.get(head_name).presets
        if preset not in presets:
            raise ConfigError(
                f"model card {card.name!r} ({card.source}): protocol {task}: {preset!r} is not a "
                f"preset of head {head_name!r}; presets: {', '.join(presets) or '(none)'}"
            )


def resolve_config(
    cli_layer: dict[str, Any] | None = None,
    yaml_path: Path | None = None,
    overrides: list[str] | None = None,
) -> C.ResolvedConfig:
    """Merge the configuration layers of one cell (see the module docstring)."""
    user_layers: list[C.Layer] = []
    if yaml_path is not None:
        user_layers.append(C.Layer(str(yaml_path), C.split_head(C.load_yaml(yaml_path))))
    if cli_layer:
        user_layers.append(C.Layer("CLI flag", C.split_head(cli_layer)))
    if overrides:
        user_layers.append(C.Layer("CLI override", C.split_head(C.overrides_to_dict(overrides))))
    for layer in user_layers:
        C.check_keys(C.RunConfig, layer.data, layer.source)
    user_layers = _expand_quick(user_layers)

    # what the user layers say about the things that pick the lower layers
    probe: dict[str, Any] = {}
    for layer in user_layers:
        C.deep_merge(probe, layer.data, layer.source, {})
    run0 = C.from_dict(C.RunConfig, {k: v for k, v in probe.items() if k != "head"}, "config")
    task = run0.task
    task_def = TASKS.get(task)  # an unknown task is an error listing the known ones
    bench_name = run0.benchmark.name if "name" in probe.get("benchmark", {}) else None
    if bench_name is None:
        bench_name = task_def.default_suite
    head_name = (probe.get("head") or {}).get("name") or task_def.default_head
    head_cls = HEADS.get(head_name)
    head_tasks = head_cls.serves()
    if task not in head_tasks:
        raise ConfigError(
            f"head {head_name!r} serves task(s) {', '.join(head_tasks)}, not {task!r}"
        )
    card = get_cfg(run0.model.name)  # a registered card, or one built for a timm:/hf-hub: name
    check_protocol(card)
    bench_factory = BENCHMARKS.get(bench_name)

    presets = head_cls.presets

    def preset_layer(name: Any, source: str) -> C.Layer:
        if name not in presets:
            raise ConfigError(
                f"{source}: head {head_name!r} has no preset {name!r}; presets: "
                f"{', '.join(presets) or '(none)'}"
            )
        return C.Layer(f"{source}: preset {name}", {"head": {"params": presets[name].params()}})

    layers = [
        C.Layer(
            f"head defaults for task {task}",
            {"head": {"params": head_cls.defaults_for(task)}},
        )
    ]
    card_preset = card.protocol.get(task)
    if card_preset is not None:  # a card's protocol is a named preset, expanded whole
        layers.append(preset_layer(card_preset, f"model card {card.name}"))
    layers.append(
        C.Layer(
            f"benchmark defaults {bench_name}",
            {
                "benchmark": {"name": bench_name},
                "head": {"params": dict(bench_factory.head_defaults.get(task, {}))},
            },
        )
    )
    preset, preset_source = None, None
    for layer in user_layers:
        named = (layer.data.get("head") or {}).get("params", {}).get("preset")
        if named is not None:
            preset, preset_source = named, layer.source
    if preset is not None:
        layers.append(preset_layer(preset, preset_source))
    layers += user_layers
    merged: dict[str, Any] = {"head": {"name": head_name, "params": {}}}
    prov = {"head.name": "task default"}
    for layer in layers:
        C.validate_head_layer(head_cls.Params, layer)
        C.deep_merge(merged, layer.data, layer.source, prov)
    merged["head"]["name"] = head_name
    params = C.from_dict(head_cls.Params, merged["head"].pop("params"), "head parameters", "head.")
    run = C.from_dict(C.RunConfig, merged, "config")
    return C.ResolvedConfig(
        run=run, head_params=params, provenance=prov, layers=[la.source for la in layers]
    )


def _expand_quick(layers: list[C.Layer]) -> list[C.Layer]:
    """A quick suite named as the benchmark (:mod:`unibench.benchmarks.quick`) becomes its
    benchmark, split, sequences and frames: a layer "quick suite NAME" just below the layer that named it
    (a split or sequence list the user gives still wins)."""
    out: list[C.Layer] = []
    for layer in layers:
        name = (layer.data.get("benchmark") or {}).get("name")
        if isinstance(name, str) and name in QUICK:
            target, split, seqs, frames = quick.expand(name, None, None)
            bench = {"name": target, "sequences": list(seqs)}
            if split is not None:
                bench["split"] = split
            if frames is not None:
                bench["frames"] = frames
            out.append(C.Layer(f"quick suite {name}", {"benchmark": bench}))
            data = dict(layer.data)
            data["benchmark"] = {**data["benchmark"], "name": target}
            layer = C.Layer(layer.source, data)
        out.append(layer)
    return out


@dataclass
class Suite:
    """A YAML suite: models × tasks × layers × benchmarks × head variants (unknown keys rejected).

    A benchmark entry may name its ``task`` (``{task: sot, name: otb2015, data_root: …}``): it is
    then crossed with that task only, so one suite can hold the benchmarks of several tasks."""

    models: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=lambda: ["vos"])
    layers: list[str] = field(default_factory=list)
    benchmarks: list[dict[str, Any]] = field(default_factory=list)
    variants: list[list[str]] = field(default_factory=lambda: [[]])


@dataclass
class MatrixRequest:
    """What a command line says about the matrix (flags override the suite's lists)."""

    output: str
    models: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    layers: list[str] = field(default_factory=list)
    tap: str | None = None
    benchmark: dict[str, Any] = field(default_factory=dict)  # name, data_root, split, …
    head: str | None = None
    model: dict[str, Any] = field(default_factory=dict)  # checkpoint, device, allow_* flags
    run_output: dict[str, Any] = field(default_factory=dict)  # force, feature_cache, workers
    overrides: list[str] = field(default_factory=list)
    suite: Path | None = None


def expand_matrix(req: MatrixRequest) -> list[tuple[dict, list[str]]]:
    """(CLI layer, overrides) per cell of the matrix ``req`` describes."""
    suite, raw = Suite(), {}
    if req.suite:
        raw = C.load_yaml(req.suite)
        suite = C.from_dict(Suite, raw, str(req.suite))
    models = req.models or suite.models
    if not models:
        raise UniBenchError("no model: pass --model NAME[,NAME…] or a --suite with models")
    named = [b["task"] for b in suite.benchmarks if "task" in b]
    if named and "tasks" not in raw:  # a suite whose benchmarks name their tasks: those tasks
        suite.tasks = list(dict.fromkeys(named))
    tasks = req.tasks or suite.tasks
    layers = req.layers or suite.layers or [req.tap]
    benches = [req.benchmark] if req.benchmark else (suite.benchmarks or [{}])
    cells = []
    for model in models:
        taps = arch_info(get_cfg(model)).taps if any(layers) else ()
        seen = set()
        # "all": every tap at stride <= 16, per model (the study of which depth tracks best)
        for layer in tracking_taps(get_cfg(model)) if layers == ["all"] else layers:
            tap = layer if (layer is None or layer in taps) else None
            if layer is not None and tap is None and not (req.layers or suite.layers):
                raise UniBenchError(  # an explicit --tap is never replaced by another tap
                    f"--tap {layer!r}: model {model!r} has no such tap; taps: {', '.join(taps)}"
                )
            if layer is not None and tap is None:
                logger.warning(
                    "%s has no tap %r (taps: %s); running its default tap",
                    model,
                    layer,
                    ", ".join(taps),
                )
            for task in tasks:
                for bench in benches:
                    if bench.get("task", task) != task:
                        continue
                    bench = {k: v for k, v in bench.items() if k != "task"}
                    for variant in suite.variants:
                        key = (tap, task, repr(bench), tuple(variant))
                        if key in seen:
                            continue
                        seen.add(key)
                        cli: dict = {
                            "task": task,
                            "model": {"name": model, **req.model},
                            "output": {"dir": req.output, **req.run_output},
                        }
                        if bench:
                            cli["benchmark"] = dict(bench)
                        if req.head:
                            cli["head"] = {"name": req.head}
                        if tap:
                            cli["model"]["tap"] = tap
                        cells.append((cli, list(variant) + list(req.overrides)))
    return cells
