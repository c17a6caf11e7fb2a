"""UniBench from Python: :func:`evaluate` runs a model on tasks and returns the tidy table.

The same resolution, planning, executors and store as ``unibench run`` (the CLI builds the same
:class:`~unibench.app.pipeline.MatrixRequest` and calls :func:`run_request`). ``model`` is a zoo or
``timm:`` name, a card file (``.yaml`` / ``.toml``), a :class:`PretrainedCfg`, a checkpoint file
that names its card (a ``.safetensors`` file with metadata ``{"card": NAME}``, as UniBench writes
an in-memory module; any other checkpoint: ``evaluate(NAME, checkpoint=PATH)``), or an in-memory
``torch.nn.Module`` (recognised, wrapped as ``AsCard(module, card=NAME)``, or any module read at
a named node: ``evaluate(module, tap="features.13")`` or ``Tapped(module, tap, mean, std)``; see
:mod:`unibench.appearance_models.any_module`), whose identity is the sha256 of its ``state_dict``.
``store=None`` runs in a temporary folder that is removed afterwards.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from torch import nn

from unibench import config as C
from unibench.app.pipeline import (
    MatrixRequest,
    RunOutcome,
    expand_matrix,
    resolve_config,
    run_matrix,
)
from unibench.appearance_models import (
    MODELS,
    PretrainedCfg,
    describe_model,
    load_card_file,
    model_reference,
    register_pretrained,
)
from unibench.appearance_models.any_module import AsCard, Tapped, card_of, materialise
from unibench.errors import ConfigError
from unibench.executors import make_executor
from unibench.reports.build import with_model_info
from unibench.reports.formats import write_logger
from unibench.reports.logged_runs import parse_log_to
from unibench.reports.tidy import measured_frame

__all__ = ["AsCard", "Tapped", "evaluate", "run_request"]


def run_request(
    req: MatrixRequest | list[MatrixRequest],
    config: Path | None = None,
    executor: str = "auto",
    workers: int = 0,
    shard: tuple[int, int] | None = None,
    progress: bool = True,
    **executor_options: Any,
) -> tuple[list[C.ResolvedConfig], list[RunOutcome | None]]:
    """Resolve every cell of ``req`` (one request or several) first (a misspelt key fails before
    any compute), then run them all in one driver call (each network built once): the one path
    of ``unibench run`` and :func:`evaluate`."""
    reqs = req if isinstance(req, list) else [req]
    resolved = [resolve_config(cli, config, ov) for r in reqs for cli, ov in expand_matrix(r)]
    ex = make_executor(executor, workers, **executor_options)
    return resolved, run_matrix(resolved, ex, shard, progress=progress)


def _model_name(model: Any, out: Path, tap: str | None = None) -> tuple[str, str | None]:
    """(card name, checkpoint) of whatever ``model`` is (see the module docstring); a module
    that is not recognised is read at the node ``tap`` (:class:`Tapped`)."""
    if isinstance(model, nn.Module) and tap is not None:
        try:
            card_of(model)
        except ConfigError:
            model = Tapped(model, tap)
    if isinstance(model, nn.Module | AsCard | Tapped):
        card, path = materialise(model, out)
        return card, str(path)
    if isinstance(model, PretrainedCfg):
        if model.name not in MODELS:
            register_pretrained(model)
        elif MODELS.get(model.name) != model:
            raise ConfigError(f"a different card named {model.name!r} is registered")
        return model.name, None
    if isinstance(model, str | Path):
        p = Path(model)
        if p.suffix in (".yaml", ".yml", ".toml") and p.is_file():
            name = C.load_mapping(p, "model card").get("name")
            if name is None or name not in MODELS:
                return load_card_file(p).name, None
            return name, None
        return model_reference(p if isinstance(model, Path) else model)
    raise ConfigError(
        f"model: expected a name, a card file, a PretrainedCfg or a torch.nn.Module, got "
        f"{type(model).__name__}"
    )


@contextlib.contextmanager
def _output(store: str | Path | None) -> Iterator[Path]:
    if store is not None:
        yield Path(store)
        return
    with tempfile.TemporaryDirectory(prefix="unibench-") as tmp:
        yield Path(tmp)


def evaluate(
    model: Any,
    tasks: Sequence[str] | str = ("vos",),
    benchmarks: Sequence[str] | str | None = None,
    tap: str | None = None,
    heads: Sequence[str] | str | None = None,
    preset: str | None = None,
    sequences: Sequence[str] | None = None,
    frames: int | None = None,
    store: str | Path | None = None,
    device: str | None = None,
    executor: str = "inline",
    workers: int = 0,
    checkpoint: str | Path | None = None,
    overrides: Sequence[str] = (),
    progress: bool = False,
    log_to: str | None = None,
) -> pd.DataFrame:
    """Run ``model`` on ``tasks`` (each on its default suite, or on ``benchmarks``) and return the
        tidy table of the reports: one row per model × tap × head × benchmark × metric, with the run
        id, the official metric name, unit and whether the row is a subset of the split.

        ``heads``: head names (each must serve the task; default: the task's head); ``preset``: a
        head preset applied whole; ``sequences``: a subset of the split (marked as such in every row,
        never ranked against whole splits); ``frames``: the first N frames of each sequence (a subset
    too); ``store``: the output folder whose store is read and
        appended (None: a temporary one); ``overrides``: ``key=value`` strings as on the CLI;
        ``log_to``: ``tensorboard:DIR`` or ``mlflow:URI``, one run per record written there as
        ``unibench export`` writes it (:mod:`unibench.reports.logged_runs`)."""
    target = parse_log_to(log_to) if log_to else None  # a malformed target fails before compute
    tasks = [tasks] if isinstance(tasks, str) else list(tasks)
    benches = [benchmarks] if isinstance(benchmarks, str) else list(benchmarks or [None])
    head_list = [heads] if isinstance(heads, str) else list(heads or [None])
    with _output(store) as out:
        name, ckpt = _model_name(model, out, tap)
        if name in MODELS and MODELS.get(name).source == "nn.Module":
            if executor != "inline" or workers:
                raise ConfigError(
                    "a module read at a node runs in this process: executor='inline', no workers "
                    "(it cannot be rebuilt elsewhere without pickled code)"
                )
        if checkpoint is not None:
            if ckpt is not None:
                raise ConfigError("checkpoint= is for a named card, not for an in-memory module")
            ckpt = str(checkpoint)
        model_layer: dict[str, Any] = {"checkpoint": ckpt} if ckpt else {}
        if device:
            model_layer["device"] = device
        extra = [f"head.preset={preset}"] if preset else []
        reqs = []
        for bench in benches:
            for head in head_list:
                bench_layer: dict[str, Any] = {"name": bench} if bench else {}
                if sequences is not None:
                    bench_layer["sequences"] = list(sequences)
                if frames is not None:
                    bench_layer["frames"] = frames
                reqs.append(
                    MatrixRequest(
                        output=str(out),
                        models=[name],
                        tasks=tasks,
                        tap=tap,
                        benchmark=bench_layer,
                        head=head,
                        model=model_layer,
                        overrides=[*extra, *overrides],
                    )
                )
        _, outs = run_request(reqs, executor=executor, workers=workers, progress=progress)
        records = with_model_info([o.record for o in outs if o is not None], describe_model)
        if target is not None:
            write_logger(target[0], records, target[1])
        return measured_frame(records)
