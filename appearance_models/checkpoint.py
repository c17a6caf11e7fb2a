"""Safe checkpoint loading with a strict load report.

Files load with ``torch.load(weights_only=True)`` (no pickle code runs) or safetensors. A state dict
is mapped onto the backbone by a filter function; what the filter dropped, what stays missing and
what is unexpected is reported, and a checkpoint that leaves backbone keys missing is an error unless
``allow_partial`` is set.
"""

from __future__ import annotations

import logging
import pickle
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch

from unibench.errors import CheckpointError

logger = logging.getLogger(__name__)

WRAPPER_KEYS = ("state_dict", "model", "network", "net", "teacher", "student")


@dataclass
class LoadReport:
    source: str
    prefix: str = ""
    layout: str = ""
    loaded: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"checkpoint {self.source}: layout {self.layout or '?'} "
            f"(prefix {self.prefix or '(none)'!r}), "
            f"{len(self.loaded)} tensors loaded, {len(self.dropped)} dropped on purpose, "
            f"{len(self.missing)} missing, {len(self.unexpected)} unexpected"
        ]
        for title, keys in (
            ("missing", self.missing),
            ("unexpected", self.unexpected),
            ("dropped", self.dropped),
        ):
            if keys:
                shown = ", ".join(keys[:12]) + (
                    f", … ({len(keys)} in all)" if len(keys) > 12 else ""
                )
                lines.append(f"  {title}: {shown}")
        return "\n".join(lines)


def read_state_dict(path: Path | str) -> dict[str, torch.Tensor]:
    """Read tensors from a ``.safetensors`` file or a torch file, never executing pickle code."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    if path.suffix == ".safetensors":
        try:
            from safetensors.torch import load_file
        except ImportError as exc:
            raise CheckpointError(
                f"{path}: reading .safetensors needs the 'safetensors' package (pip install safetensors)"
            ) from exc
        return dict(load_file(str(path), device="cpu"))
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"{path}: refused: the file carries a pickle payload beyond plain tensors, which "
            f"weights_only loading does not execute ({str(exc).splitlines()[0]}). Convert it to a "
            f"plain state dict or safetensors on a machine you trust."
        ) from exc
    except (RuntimeError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise CheckpointError(f"{path}: not a readable torch checkpoint: {exc}") from exc
    return unwrap(obj, str(path))


def unwrap(obj: object, source: str) -> dict[str, torch.Tensor]:
    """Find the tensor dict inside common wrappers (``{'state_dict': …}``, ``{'model': …}``)."""
    for _ in range(3):
        if (
            isinstance(obj, Mapping)
            and obj
            and all(isinstance(v, torch.Tensor) for v in obj.values())
        ):
            return dict(obj)
        if isinstance(obj, Mapping):
            inner = next((obj[k] for k in WRAPPER_KEYS if isinstance(obj.get(k), Mapping)), None)
            if inner is None:
                # mixed dict (tensors plus metadata such as 'epoch'): keep the tensors
                tensors = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
                if tensors:
                    return tensors
                break
            obj = inner
    raise CheckpointError(
        f"{source}: no state dict of tensors found (looked at the top level and under "
        f"{', '.join(WRAPPER_KEYS)})"
    )


FilterFn = Callable[
    [dict[str, torch.Tensor], torch.nn.Module], tuple[dict[str, torch.Tensor], str, list[str]]
]


def apply_state_dict(
    model: torch.nn.Module,
    state: dict[str, torch.Tensor],
    source: str,
    filter_fn: FilterFn,
    allow_partial: bool = False,
) -> LoadReport:
    mapped, prefix, dropped = filter_fn(state, model)
    target = model.state_dict()
    layout = getattr(getattr(filter_fn, "__self__", None), "name", "")
    report = LoadReport(source=source, prefix=prefix, layout=layout, dropped=sorted(dropped))
    ok = {}
    for k, v in mapped.items():
        if k not in target:
            report.unexpected.append(k)
        elif target[k].shape != v.shape:
            report.unexpected.append(
                f"{k} (shape {tuple(v.shape)} vs model {tuple(target[k].shape)})"
            )
        else:
            ok[k] = v
    report.missing = sorted(
        k for k in target if k not in ok and not k.endswith("num_batches_tracked")
    )
    report.loaded = sorted(ok)
    report.unexpected.sort()
    if report.unexpected or (report.missing and not allow_partial):
        raise CheckpointError(
            report.summary()
            + "\n  the checkpoint does not fit the backbone"
            + (
                ""
                if report.unexpected
                else "; pass allow_partial (--allow-partial) to accept a partial load"
            )
        )
    model.load_state_dict(ok, strict=False)
    logger.info(report.summary())
    return report
