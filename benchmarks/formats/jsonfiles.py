"""The json documents of PoseTrack18 (one file per video: ``images``, ``annotations``,
``categories``; detection files: a list of person detections) and YouTube-VIS (``instances.json``:
``videos``, ``categories``, ``annotations``; result and detection files: a list of entries), written
in one place for the adapters and the synthetic suite."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from unibench.errors import DataError
from unibench.io import read_json
from unibench.keypoints import POSETRACK18_KEYPOINTS

T = TypeVar("T")


def read_videos(
    path: Path, what: str, per_video: Callable[[str, dict], T], shape: str
) -> dict[str, T]:
    """A ``{"videos": {name: {...}}}`` document (YouTube-VOS' ``meta.json``, Ref-YouTube-VOS'
    ``meta_expressions.json``): ``per_video(name, entry)`` for each video; a missing key or a
    wrong type anywhere is one error naming the file and the ``shape`` expected."""
    doc = read_json(path, what)
    try:
        return {str(name): per_video(str(name), v) for name, v in doc["videos"].items()}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DataError(f"{path}: expected {shape} ({type(exc).__name__}: {exc})") from None


def write_json(path: Path, doc: Any) -> None:
    """A json document, compact (the official files are)."""
    Path(path).write_text(json.dumps(doc))


def person_category(skeleton: Sequence | None = None) -> dict:
    """PoseTrack18's one category (COCO order keypoints); the ground-truth files carry the
    supercategory and skeleton, the prediction files neither."""
    cat: dict[str, Any] = {"id": 1, "name": "person"}
    if skeleton is not None:
        cat["supercategory"] = "person"
    cat["keypoints"] = list(POSETRACK18_KEYPOINTS)
    if skeleton is not None:
        cat["skeleton"] = [list(s) for s in skeleton]
    return cat


def write_posetrack_video(path: Path, images: list, annotations: list, categories: list) -> None:
    """A PoseTrack18 video file (ground truth or predictions)."""
    write_json(path, {"images": images, "annotations": annotations, "categories": categories})


def write_vis_instances(
    path: Path, videos: list, categories: list, annotations: list, info: dict | None = None
) -> None:
    """A YouTube-VIS ``instances.json``."""
    doc = {"info": info} if info is not None else {}
    doc.update({"videos": videos, "categories": categories, "annotations": annotations})
    write_json(path, doc)
