"""Palette PNG label maps (DAVIS, YouTube-VOS): indexed PNGs whose pixel values are object ids
(0 background, 255 void), with the DAVIS/PASCAL colour map; DAVIS-2016's binary 0/255 masks read
as one object."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from unibench.errors import DataError

VOID = 255


def davis_palette() -> list[int]:
    """The DAVIS/PASCAL colour map (bit-interleaved), 256 RGB entries."""
    pal = []
    for i in range(256):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal += [r, g, b]
    return pal


PALETTE = davis_palette()


def read_label_map(path: Path, binarize: bool = False, keep_void: bool = False) -> np.ndarray:
    """Read a DAVIS mask as an ``H×W`` uint8 label map with void (255) set to 0.

    Args:
        binarize: DAVIS-2016 semantics: every object id becomes 1.
        keep_void: keep void pixels as 255 (scorers that leave them out).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"missing annotation {path}: expected a PNG mask")
    try:
        with Image.open(path) as im:
            mode = im.mode
            arr = np.array(im)
    except OSError as exc:
        raise DataError(f"cannot read mask {path}: {exc}") from exc
    if mode == "1":
        return arr.astype(np.uint8)
    if mode == "LA":
        # DAVIS-2016's own package holds one such file (train bear/00077.png): the binary mask
        # with an alpha channel that is opaque everywhere; its luminance is the mask
        if not (arr[..., 1] == 255).all():
            raise DataError(
                f"{path}: a mask with transparent pixels (mode LA); expected a palette PNG "
                "(mode P, DAVIS-2017) or a binary 0/255 PNG (mode L, DAVIS-2016)"
            )
        mode, arr = "L", arr[..., 0]
    if mode not in ("P", "L"):
        raise DataError(
            f"{path}: mask mode {mode!r}; expected a palette PNG (mode P, DAVIS-2017) or a "
            f"binary 0/255 PNG (mode L, DAVIS-2016)"
        )
    # the values present (np.unique sorts: a histogram of the 256 levels is the same, faster)
    values = (
        np.flatnonzero(np.bincount(arr.ravel(), minlength=256))
        if arr.dtype == np.uint8
        else np.unique(arr)
    )
    if mode == "L":
        other = [int(v) for v in values if v not in (0, 255)]
        if other:  # a grey pixel (a resampled or anti-aliased mask) is not an object id
            shown = ", ".join(map(str, other[:8])) + (", …" if len(other) > 8 else "")
            raise DataError(
                f"{path}: a mode-L mask must be binary 0/255 (DAVIS-2016); it holds the values "
                f"{shown} (object ids belong in a palette PNG, mode P)"
            )
        return (arr == 255).astype(np.uint8)  # DAVIS-2016 binary mask
    labels = arr.astype(np.uint8)
    if not keep_void:
        labels[labels == VOID] = 0
    if binarize:
        labels = (labels > 0).astype(np.uint8)
    return labels


def write_binary_png(path: Path, mask: np.ndarray) -> None:
    """A binary mask as a single-channel 0/255 PNG (mode L: the Ref-YouTube-VOS server's
    per-expression masks; read back by :func:`read_label_map` as 0/1)."""
    Image.fromarray((np.asarray(mask) > 0).astype(np.uint8) * 255, mode="L").save(path)


def write_palette_png(path: Path, labels: np.ndarray) -> None:
    im = Image.fromarray(labels.astype(np.uint8), mode="P")
    im.putpalette(PALETTE)
    im.save(path)
