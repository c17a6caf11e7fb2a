"""Reading and writing box files (shared by the SOT adapters): one box per line, separated by commas,
tabs or spaces; every malformed line is an error naming the file and the line."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from unibench.errors import DataError
from unibench.io import read_text

_SEP = re.compile(r"[,\s]+")


def read_boxes(
    path: Path, width: int = 4, allow_nan: bool = False, ground_truth: bool = False
) -> np.ndarray:
    """Boxes, one per line. ``ground_truth``: an infinite value or a negative width/height is an
    error naming file:line (a 0 × 0 box is accepted: some releases mark absent targets so)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"missing box file {path}")
    rows = []
    for n, line in enumerate(read_text(path).splitlines(), 1):
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
        if ground_truth and any(v in (float("inf"), float("-inf")) for v in vals):
            raise DataError(f"{path}:{n}: an infinite value in {line!r}")
        if ground_truth and width == 4:
            if vals[2] < 0 or vals[3] < 0:
                raise DataError(f"{path}:{n}: negative width or height in {line!r}")
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
    for i, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(int(line.strip()))
        except ValueError:
            raise DataError(f"{path}:{i}: expected an integer, got {line.strip()!r}") from None
    if n is not None and len(out) != n:
        raise DataError(f"{path}: {len(out)} labels for {n} frames")
    return np.asarray(out, int)


def polygon_to_box(poly: np.ndarray, mode: str = "bounds") -> np.ndarray:
    """VOT polygons (x1 y1 … x4 y4) → axis-aligned ``x, y, w, h``.

    ``bounds``: the bounding rectangle (the VOT toolkit's conversion). ``area``: SiamFC/pysot's
    ``region_to_bbox``: centred on the vertices' mean, the bounding rectangle shrunk so that its area
    equals the rotated rectangle's (``|p1 − p2| · |p2 − p3|``), plus one pixel.
    """
    poly = np.atleast_2d(np.asarray(poly, float))
    if poly.shape[1] == 4:
        return poly
    xs, ys = poly[:, 0::2], poly[:, 1::2]
    x0, y0, x1, y1 = xs.min(1), ys.min(1), xs.max(1), ys.max(1)
    if mode == "bounds":
        return np.stack([x0, y0, x1 - x0, y1 - y0], 1)
    if mode != "area":
        raise ValueError(f"unknown polygon conversion {mode!r}: bounds or area")
    cx, cy = xs.mean(1), ys.mean(1)
    a1 = np.hypot(xs[:, 0] - xs[:, 1], ys[:, 0] - ys[:, 1]) * np.hypot(
        xs[:, 1] - xs[:, 2], ys[:, 1] - ys[:, 2]
    )
    a2 = (x1 - x0) * (y1 - y0)
    s = np.sqrt(a1 / np.maximum(a2, 1e-12))
    w, h = s * (x1 - x0) + 1, s * (y1 - y0) + 1
    return np.stack([cx - w / 2, cy - h / 2, w, h], 1)


def read_regions(path: Path) -> np.ndarray:
    """VOT ``groundtruth.txt``: rectangles (4 values) or polygons (8 values), one per line."""
    path = Path(path)
    first = (
        next((ln for ln in read_text(path).splitlines() if ln.strip()), "")
        if path.is_file()
        else ""
    )
    width = 8 if len([p for p in _SEP.split(first.strip()) if p]) == 8 else 4
    return read_boxes(path, width=width, ground_truth=True)


def box_line(box: Iterable[float], sep: str = ",", decimals: int = 4) -> str:
    """One box as a line, ``decimals`` digits after the point (the adapters' results: 4)."""
    return sep.join(f"{v:.{decimals}f}" for v in box) + "\n"


def write_boxes(
    path: Path, boxes: Iterable[Iterable[float]], sep: str = ",", decimals: int = 4
) -> None:
    """One box per line (:func:`box_line`)."""
    Path(path).write_text("".join(box_line(b, sep, decimals) for b in boxes))
