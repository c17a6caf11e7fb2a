"""MOTChallenge text files (``frame, id, x, y, w, h, conf, class, visibility`` or ``…, -1, -1, -1``;
1-based frames and pixels) and ``seqinfo.ini``: readers that name the file and line of every
malformed row, and the one row writer used by the adapters and the synthetic suite."""

from __future__ import annotations

import configparser
import logging
import math
from pathlib import Path

import numpy as np

from unibench.errors import DataError
from unibench.io import read_text
from unibench.paths import safe_name

logger = logging.getLogger(__name__)


def valid_boxes(
    rows: np.ndarray, path: Path, lines: list[int], strict: bool
) -> tuple[np.ndarray, int]:
    """Rows whose box (columns 2–5: x, y, w, h) is finite with w, h > 0. ``strict`` (ground
    truth): any other is an error naming file:line; else (results, detections) such rows are
    dropped and counted (a dropped result box is a miss)."""
    if len(rows) == 0:
        return rows, 0
    box = rows[:, 2:6]
    ok = np.isfinite(box).all(1) & (box[:, 2] > 0) & (box[:, 3] > 0)
    if not ok.all() and strict:
        i = int(np.nonzero(~ok)[0][0])
        raise DataError(
            f"{path}:{lines[i]}: box x, y, w, h = {box[i].tolist()} must be finite with w, h > 0"
        )
    return rows[ok], int((~ok).sum())


def read_mot_txt(path: Path, min_cols: int, strict: bool = True) -> np.ndarray:
    """A MOTChallenge text file as an ``N×10`` float array (see :func:`read_mot_rows`)."""
    return read_mot_rows(path, min_cols, strict)[0]


def read_mot_rows(path: Path, min_cols: int, strict: bool = True) -> tuple[np.ndarray, int]:
    """A MOTChallenge text file as a float array and the number of rows dropped; malformed lines
    name the file and the line; ``strict``: an invalid box is an error (ground truth), else it is
    dropped with a warning and counted."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"missing {path}")
    rows, lines = [], []
    for n, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        parts = [p for p in line.replace(" ", "").split(",") if p != ""]
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            raise DataError(f"{path}:{n}: expected comma-separated numbers, got {line!r}") from None
        if len(vals) < min_cols:
            raise DataError(f"{path}:{n}: expected at least {min_cols} values, got {len(vals)}")
        if not all(math.isfinite(v) for v in vals[:2]):
            raise DataError(f"{path}:{n}: frame and id must be finite numbers, got {line!r}")
        if not all(math.isfinite(v) for v in vals[6:10]):
            raise DataError(f"{path}:{n}: confidence/class/visibility must be finite, got {line!r}")
        rows.append(vals[:10] + [-1.0] * (10 - len(vals[:10])))
        lines.append(n)
    arr, dropped = valid_boxes(np.asarray(rows, float).reshape(-1, 10), path, lines, strict)
    if dropped:
        logger.warning("%s: %d box(es) not finite or without area dropped", path, dropped)
    return arr, dropped


def read_seqinfo(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise DataError(f"missing {path}: expected the MOTChallenge seqinfo.ini")
    cp = configparser.ConfigParser(interpolation=None)  # values are plain text ("%" included)
    try:
        cp.read(path)
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a seqinfo.ini ({' '.join(str(exc).split())})") from None
    if "Sequence" not in cp:
        raise DataError(f"{path}: no [Sequence] section")
    info = dict(cp["Sequence"])
    if "imdir" in info:  # the frame folder must stay inside the sequence folder
        safe_name(info["imdir"], "imDir", str(path), DataError)
    return info


def mot_line(frame: int, track: int, box, cols: str) -> str:
    """One MOTChallenge row: 1-based ``frame``, ``track`` id, a 0-based ``(x, y, w, h)`` box written
    1-based with two decimals, then ``cols`` (the remaining comma-separated columns, as text)."""
    x, y, w, h = box
    return f"{frame},{track},{x + 1:.2f},{y + 1:.2f},{w:.2f},{h:.2f},{cols}\n"
