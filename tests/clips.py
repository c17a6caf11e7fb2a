"""In-memory clips for the head tests (frames as arrays, named ``00000``, ``00001``, …)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from unibench.datatypes import Clip


def clip_from_arrays(frames: Sequence[np.ndarray], names: Sequence[str] | None = None) -> Clip:
    frames = [np.ascontiguousarray(f, dtype=np.uint8) for f in frames]
    names = tuple(names) if names is not None else tuple(f"{i:05d}" for i in range(len(frames)))
    h, w = frames[0].shape[:2]
    return Clip(names, lambda i: frames[i], (h, w))
