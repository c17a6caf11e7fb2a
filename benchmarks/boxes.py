"""Reading and writing box files (shared by the SOT adapters): one box per line, separated by commas,
tabs or spaces; every malformed line is an error naming the file and the line."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from unibench.errors import DataError

_SEP = re.compile(r"[,\s]+")


def read_boxes(path: Path, width: int = 4, allow_nan: bool = False) -> np.ndarray:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"missing box file {path}")
    rows = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        parts = [p for p in _SEP.split(line) if p]
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            raise DataError(
                f"{path}:{n}: expected {width} numbers separated by commas, tabs or "
                f"spaces, got {line!r}"
            ) from None
        if len(vals) != width:
            raise DataError(f"{path}:{n}: expected {width} numbers, got {len(vals)}: {line!r}")
        if not allow_nan and any(v != v for v in vals):
            raise DataError(f"{path}:{n}: NaN in {line!r}")
        rows.append(vals)
    if not rows:
        raise DataError(f"{path}: no boxes")
    return np.asarray(rows, float)


def read_labels(path: Path, n: int | None = None) -> np.ndarray:
    """An integer per line (GOT-10k ``absence.label`` / ``cover.label``)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"missing label file {path}")
    out = []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(int(line.strip()))
        except ValueError:
            raise DataError(f"{path}:{i}: expected an integer, got {line.strip()!r}") from None
    if n is not None and len(out) != n:
        raise DataError(f"{path}: {len(out)} labels for {n} frames")
    return np.asarray(out, int)


def polygon_to_box(poly: np.ndarray) -> np.ndarray:
    """VOT polygons (x1 y1 … x4 y4) → axis-aligned ``x, y, w, h`` (the bounding rectangle)."""
    xs, ys = poly[:, 0::2], poly[:, 1::2]
    x0, y0 = xs.min(1), ys.min(1)
    return np.stack([x0, y0, xs.max(1) - x0, ys.max(1) - y0], 1)


def write_boxes(path: Path, boxes: Iterable[Iterable[float]], sep: str = ",") -> None:
    Path(path).write_text("".join(sep.join(f"{v:.4f}" for v in b) + "\n" for b in boxes))
