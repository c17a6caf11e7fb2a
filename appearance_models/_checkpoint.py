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

    def one_line(self) -> str:
        """The summary as one line (for an error message), at most 4 keys per list."""
        parts = [self.summary().splitlines()[0]]
        for title, keys in (("unexpected", self.unexpected), ("missing", self.missing)):
            if keys:
                more = f", … ({len(keys)} in all)" if len(keys) > 4 else ""
                parts.append(f"{title}: {', '.join(keys[:4])}{more}")
        return "; ".join(parts)


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
        try:
            return dict(load_file(str(path), device="cpu"))
        except Exception as exc:  # noqa: BLE001 — SafetensorError and friends: not a safetensors file
            raise CheckpointError(f"{path}: not a readable safetensors file: {exc}") from None
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        why = next((ln for ln in lines if "Unsupported" in ln), lines[-1] if lines else "")
        raise CheckpointError(
            f"{path}: refused: weights_only loading reads plain tensors only, and this file is "
            f"not one ({why}): a pickle payload beyond tensors is never executed, and a file that "
            "is no torch checkpoint at all fails the same way; convert real weights to a plain "
            "state dict or safetensors on a machine you trust"
        ) from None
    except (RuntimeError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise CheckpointError(f"{path}: not a readable torch checkpoint: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 — garbage can trip the unpickler anywhere
        # (seen: IndexError from the weights-only unpickler's stack on random bytes); nothing
        # was executed, the file is simply not a checkpoint
        raise CheckpointError(
            f"{path}: not a readable torch checkpoint ({type(exc).__name__}: {exc})"
        ) from None
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
    allow_nonfinite: bool = False,
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
        elif target[k].dtype.is_floating_point and not v.dtype.is_floating_point:
            # an integer tensor would load silently as truncated weights
            report.unexpected.append(f"{k} (dtype {v.dtype} where the model has {target[k].dtype})")
        else:
            ok[k] = v
    nonfinite = sorted(
        k for k, v in ok.items() if v.dtype.is_floating_point and not torch.isfinite(v).all()
    )
    if nonfinite and not allow_nonfinite:
        shown = ", ".join(nonfinite[:5]) + (", …" if len(nonfinite) > 5 else "")
        raise CheckpointError(
            f"{source}: {len(nonfinite)} tensor(s) hold NaN or infinite values ({shown}); "
            "pass --allow-nonfinite to load them anyway"
        )
    report.missing = sorted(
        k for k in target if k not in ok and not k.endswith("num_batches_tracked")
    )
    report.loaded = sorted(ok)
    report.unexpected.sort()
    if report.unexpected or (report.missing and not allow_partial):
        raise CheckpointError(
            report.one_line()
            + "; the checkpoint does not fit the backbone"
            + (
                ""
                if report.unexpected
                else "; pass allow_partial (--allow-partial) to accept a partial load"
            )
        )
    model.load_state_dict(ok, strict=False)
    logger.info(report.summary())
    return report
