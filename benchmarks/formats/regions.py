"""VOT regions, read and written as the VOT toolkit (``vot-toolkit`` 0.9.0, ``vot.region``) does.

A region is a rectangle ``x,y,w,h``, a polygon ``x1,y1,…`` (at least 3 points), a mask
``m<x0>,<y0>,<w>,<h>,<rle…>`` (run lengths of 0s then 1s, row-major in the ``w×h`` box at
``(x0, y0)``), or a special code (a line with one number: 0 = unknown/absent, 1 = initialisation,
2 = failure; a region with a NaN also reads as code 0). :func:`rasterise` draws a region into pixel
bounds as the toolkit's raster code does (coordinates rounded half to even); the overlap built on
it is the scorer's (:func:`unibench.benchmarks.scorers.vot.overlap`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from unibench.errors import DataError

UNKNOWN, INIT, FAILURE = 0, 1, 2


@dataclass(frozen=True)
class Region:
    """A VOT region: ``kind`` rect (``data`` = x, y, w, h), polygon (N×2 points), mask (a 0/1
    array placed at ``offset``), or special (``code``; also an absent ground truth)."""

    kind: str
    data: np.ndarray | None = None
    offset: tuple[int, int] = (0, 0)
    code: int = UNKNOWN

    @staticmethod
    def special(code: int) -> Region:
        return Region("special", code=int(code))

    @staticmethod
    def rect(x: float, y: float, w: float, h: float) -> Region:
        return Region("rect", np.array([x, y, w, h], float))

    @staticmethod
    def polygon(points) -> Region:
        return Region("polygon", np.asarray(points, float).reshape(-1, 2))

    @staticmethod
    def mask(mask: np.ndarray, offset: tuple[int, int] = (0, 0)) -> Region:
        return Region(
            "mask", (np.asarray(mask) != 0).astype(np.uint8), (int(offset[0]), int(offset[1]))
        )

    def is_special(self, code: int | None = None) -> bool:
        return self.kind == "special" and (code is None or self.code == code)

    def is_empty(self) -> bool:
        """Empty as the toolkit's shapes say (a special region is empty too)."""
        if self.kind == "special":
            return True
        if self.kind == "rect":
            return not (self.data[2] > 0 and self.data[3] > 0)
        if self.kind == "polygon":
            p = self.data
            return not (p[:, 1].max() - p[:, 1].min() > 0 and p[:, 0].max() - p[:, 0].min() > 0)
        b = _mask_extent(self.data)
        return b[2] == 0 or b[3] == 0


def parse_region(text: str, where: str = "region") -> Region:
    """One line of a VOT ground-truth or trajectory file."""
    text = text.strip()
    try:
        if text.startswith("m"):
            v = [int(float(t)) for t in text[1:].split(",")]
            x0, y0, w, h = v[:4]
            flat = np.zeros(w * h, np.uint8)
            pos = 0
            for i, run in enumerate(v[4:]):
                if i % 2:
                    flat[pos : pos + run] = 1
                pos += run
            return Region.mask(flat.reshape(h, w), (x0, y0))
        vals = [float(t) for t in text.replace("\t", ",").split(",") if t.strip()]
    except ValueError:
        raise DataError(f"{where}: expected a VOT region or code, got {text!r}") from None
    if len(vals) == 1:
        return Region.special(int(vals[0]))
    if any(math.isnan(v) for v in vals):
        return Region.special(UNKNOWN)
    if len(vals) == 4:
        return Region.rect(*vals)
    if len(vals) >= 6 and len(vals) % 2 == 0:
        return Region.polygon(vals)
    raise DataError(f"{where}: expected 1, 4 or an even number >= 6 of values, got {len(vals)}")


def format_region(r: Region) -> str:
    """A region as the toolkit writes it (codes as integers, masks as ``m`` + RLE)."""
    if r.kind == "special":
        return str(r.code)
    if r.kind in ("rect", "polygon"):
        return ",".join(f"{v:.4f}" for v in np.asarray(r.data).ravel())
    left, top, right, bottom = _mask_extent(r.data)
    crop = r.data[top : bottom + 1, left : right + 1].ravel()
    runs, cur, n = [], 0, 0
    for v in crop:
        if v != cur:
            runs.append(n)
            cur, n = v, 0
        n += 1
    runs.append(n)
    w, h = right - left + 1, bottom - top + 1
    head = [r.offset[0] + left, r.offset[1] + top, w, h]
    return "m" + ",".join(str(int(v)) for v in [*head, *runs])


# ---------------------------------------------------------------- raster overlap
def _mask_extent(m: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(m)
    if len(xs) == 0:
        return (0, 0, 0, 0)
    return (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))


def region_bounds(r: Region) -> tuple[int, int, int, int]:
    """(left, top, right, bottom), inclusive pixels, of a region (specials: the origin)."""
    if r.kind == "rect":
        x, y, w, h = np.round(r.data)
        return (int(round(x)), int(round(y)), int(round(x + w - 1)), int(round(y + h - 1)))
    if r.kind == "polygon":
        p = np.round(r.data)
        return tuple(
            int(round(v)) for v in (p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max())
        )
    if r.kind == "mask":
        b = _mask_extent(r.data)
        return (b[0] + r.offset[0], b[1] + r.offset[1], b[2] + r.offset[0], b[3] + r.offset[1])
    return (0, 0, 0, 0)


def rasterise(r: Region, b: tuple[int, int, int, int]) -> np.ndarray:
    left, top, right, bottom = b
    out = np.zeros((bottom - top + 1, right - left + 1), np.uint8)
    if r.kind == "rect":
        x, y, w, h = (int(v) for v in np.round(r.data))
        if x > right or x + w - 1 < left or y > bottom or y + h - 1 < top:
            return out
        c0, r0 = max(0, x - left), max(0, y - top)
        c1, r1 = min(right, x + w - 1 - left), min(bottom, y + h - 1 - top)
        out[r0 : r1 + 1, c0 : c1 + 1] = 1
    elif r.kind == "polygon":
        _fill_polygon(out, np.round(r.data) - np.array([[left, top]]))
    elif r.kind == "mask":
        ox, oy = r.offset
        m = r.data
        x0, y0 = max(ox, left), max(oy, top)
        x1 = min(right + 1, ox + m.shape[1])
        y1 = min(bottom + 1, oy + m.shape[0])
        if x1 > x0 and y1 > y0:
            out[y0 - top : y1 - top, x0 - left : x1 - left] = m[
                y0 - oy : y1 - oy, x0 - ox : x1 - ox
            ]
    return out


def _fill_polygon(out: np.ndarray, p: np.ndarray) -> None:
    """Scanline fill of the toolkit's rasteriser: per row, the x of every edge crossing the row
    (an edge touching the row from either side, or lying on it), truncated to an integer, sorted;
    pixels between successive pairs filled inclusively (a repeated x skipped unless it is the
    row's last pair)."""
    h, w = out.shape
    n = len(p)
    for row in range(h):
        xs = []
        j = n - 1
        for i in range(n):
            yi, yj = p[i, 1], p[j, 1]
            if (
                (yi <= row < yj)
                or (yj <= row < yi)
                or (yi < row <= yj)
                or (yj < row <= yi)
                or (yi == yj == row)
            ):
                dy = yj - yi
                x = p[i, 0] + (row - yi) / dy * (p[j, 0] - p[i, 0]) if dy != 0 else p[i, 0]
                xs.append(int(x))  # toward zero, as the toolkit's integer node array stores it
            j = i
        xs.sort()
        k = 0
        while k < len(xs) - 1:
            if xs[k] >= w:
                break
            if xs[k] == xs[k + 1] and k < len(xs) - 2:
                k += 1
                continue
            if xs[k + 1] >= 0:
                a, b = max(xs[k], 0), min(xs[k + 1], w - 1)
                out[row, a : b + 1] = 1
            k += 2
