"""COCO run-length encodings of binary masks: the compressed string form (MOTS text files, VIS
result and detection files, via pycocotools) and the uncompressed run list (YouTube-VIS ground
truth)."""

from __future__ import annotations

import numpy as np
from pycocotools import mask as mask_utils


def encode_counts(mask: np.ndarray) -> str:
    """pycocotools' compressed RLE ``counts`` of a binary ``H × W`` mask, as text."""
    return mask_utils.encode(np.asfortranarray(np.asarray(mask).astype(np.uint8)))[
        "counts"
    ].decode()


def compressed_rle(mask: np.ndarray) -> dict:
    """``{"size": [h, w], "counts": <compressed text>}`` of a binary mask."""
    h, w = np.asarray(mask).shape[:2]
    return {"size": [int(h), int(w)], "counts": encode_counts(mask)}


def uncompressed_rle(mask: np.ndarray) -> dict:
    """COCO's uncompressed RLE of a binary mask (``counts``: column-major run lengths starting with
    a run of zeros): the encoding of the YouTube-VIS ground-truth files, and the one form
    TrackEval's ``YouTubeVIS`` reads in ground truth (``frPyObjects`` in its
    ``_prepare_gt_annotations``)."""
    flat = np.asarray(mask, bool).flatten(order="F").astype(np.int8)
    edges = np.flatnonzero(np.diff(flat)) + 1
    runs = np.diff(np.r_[0, edges, flat.size]).tolist()
    if flat.size and flat[0]:
        runs = [0, *runs]
    return {"counts": [int(r) for r in runs], "size": [int(mask.shape[0]), int(mask.shape[1])]}
