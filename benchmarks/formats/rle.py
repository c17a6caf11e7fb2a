"""COCO run-length encodings of binary masks: the compressed string form (MOTS text files, VIS
result and detection files, via pycocotools) and the uncompressed run list (YouTube-VIS ground
truth)."""

from __future__ import annotations

import numpy as np
from pycocotools import mask as mask_utils

from unibench.datatypes import Observations


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


def mask_observations(frames: list[list[tuple[dict, float, int]]]):
    """The observations of a sequence whose detections are masks (MOTS text, VIS json): per frame
    a list of (compressed RLE, score, class); each detection's box is its mask's bounding box."""
    boxes, masks, classes = [], [], []
    for dets in frames:
        ms = [d[0] for d in dets]
        bb = mask_utils.toBbox(ms).reshape(-1, 4) if ms else np.zeros((0, 4))
        boxes.append(np.c_[bb, [d[1] for d in dets]].reshape(-1, 5))
        masks.append(ms)
        classes.append(np.array([d[2] for d in dets], int))
    return Observations(tuple(boxes), masks=tuple(masks), classes=tuple(classes))
