"""PoseTrack18 (json, COCO style): ``<root>/annotations/<split>/<video>.json`` and the frames at
``<root>/<file_name>`` (``images/<split>/<video>/000000.jpg``).

Each annotation json holds ``images`` (every frame of the video: ``id``, ``file_name``, ``frame_id``,
``nframes``, ``is_labeled``, ``ignore_regions_x/y``), ``annotations`` (``image_id``, ``track_id``,
``keypoints`` as 17 × (x, y, visibility), ``bbox``, ``bbox_head``) and ``categories`` (the 17 keypoint
names). A video whose ``nframes`` disagrees with the images listed is an error unless
``truncate=True`` (partial copies such as the test fixtures), which runs the frames listed.

Observations (poses in every frame) come from ``<detections>/<video>.json`` or, by default,
``<root>/detections/<split>/<video>.json``: a COCO results list (``image_id``, ``keypoints``,
``score``; optional ``bbox``) or a PoseTrack-format json with ``annotations`` (their ``scores`` or
``score`` as the detection score). Keypoints with a visibility/score of 0 are absent. Results are
written as ``<out>/<video>.json`` in the PoseTrack18 format (``images`` + ``annotations`` with
``track_id``, ``keypoints`` and per-joint ``scores``) and scored after poseval
(:mod:`posetrack_metrics`), which needs no frames on disk.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from unibench.benchmarks import posetrack_metrics as PM
from unibench.benchmarks.base import BENCHMARKS, iter_progress

from unibench.errors import DataError
from unibench.io import image_size, read_rgb
from unibench.protocols import POSETRACK18_KEYPOINTS
from unibench.types import Clip, MetricTable, Observations, TrackFramePrediction, VideoSequence

logger = logging.getLogger(__name__)
K = len(POSETRACK18_KEYPOINTS)


def load_json(path: Path) -> object:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"missing {path}")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid json ({exc})") from None


def keypoints_array(values, where: str) -> np.ndarray:
    k = np.asarray(values, float)
    if k.size != 3 * K:
        raise DataError(f"{where}: expected {3 * K} keypoint values (17 × x, y, v), got {k.size}")
    return k.reshape(K, 3)


def ignore_polygons(img: dict) -> list[np.ndarray]:
    xs, ys = img.get("ignore_regions_x") or [], img.get("ignore_regions_y") or []
    if len(xs) != len(ys):
        raise DataError(f"image {img.get('id')}: ignore_regions_x and _y differ in length")
    return [np.c_[np.asarray(x, float), np.asarray(y, float)] for x, y in zip(xs, ys, strict=True)]


def pose_box(k: np.ndarray) -> np.ndarray:
    """``x, y, w, h`` around the present keypoints (at least 1 px)."""
    v = k[k[:, 2] > 0, :2]
    if len(v) == 0:
        return np.zeros(4)
    x0, y0 = v.min(0)
    x1, y1 = v.max(0)
    return np.array([x0, y0, max(x1 - x0, 1.0), max(y1 - y0, 1.0)])


class PoseTrack18:
    tasks = ("posetrack",)
    head_defaults: dict = {}

    def __init__(
        self,
        root,
        split=None,
        sequences=None,
        detections=None,
        truncate: bool = False,
        name: str = "posetrack18",
    ):
        self.root = Path(root)
        self.split = split or "val"
        self.name = name
        self.truncate = truncate
        self.ann_dir = self.root / "annotations" / self.split
        self.det_dir = Path(detections) if detections else self.root / "detections" / self.split
        if not self.ann_dir.is_dir():
            raise DataError(f"{self.ann_dir} does not exist: expected annotations/<split>/*.json")
        self._names = (
            list(sequences) if sequences else sorted(p.stem for p in self.ann_dir.glob("*.json"))
        )
        if not self._names:
            raise DataError(f"{self.ann_dir}: no <video>.json annotation file")

    def sequence_names(self) -> list[str]:
        return list(self._names)

    def primary_metrics(self) -> list[str]:
        return ["MOTA", "IDF1", "IDs"]

    def _annotation(self, name: str) -> tuple[Path, dict, list[dict]]:
        path = self.ann_dir / f"{name}.json"
        ann = load_json(path)
        if not isinstance(ann, dict) or "images" not in ann:
            raise DataError(f"{path}: expected a PoseTrack18 json with 'images' and 'annotations'")
        images = sorted(ann["images"], key=lambda im: im.get("frame_id", im.get("id")))
        nframes = {int(im.get("nframes", len(images))) for im in images}
        if nframes != {len(images)}:
            if not self.truncate:
                raise DataError(
                    f"{path}: nframes says {sorted(nframes)} but {len(images)} images are listed "
                    "(pass truncate=True to use the images listed)"
                )
            logger.warning(
                "%s: %d of %s frames listed; running and scoring those only",
                name,
                len(images),
                sorted(nframes),
            )
        return path, ann, images

    def load_sequence(self, name: str) -> VideoSequence:
        path, _, images = self._annotation(name)
        frames = [self.root / im["file_name"] for im in images]
        for f in frames:
            if not f.is_file():
                raise DataError(f"missing frame {f} (listed in {path})")
        size = image_size(frames[0])
        index = {im["id"]: t for t, im in enumerate(images)}
        det_path = self.det_dir / f"{name}.json"
        dets = load_json(det_path)
        if isinstance(dets, dict):
            dets = dets.get("annotations")
        if not isinstance(dets, list):
            raise DataError(f"{det_path}: expected a list of pose detections or 'annotations'")
        per: list[list[tuple[np.ndarray, float]]] = [[] for _ in images]
        for n, d in enumerate(dets):
            where = f"{det_path}: detection {n}"
            if d.get("image_id") not in index:
                raise DataError(f"{where}: image_id {d.get('image_id')!r} is not a frame of {name}")
            k = keypoints_array(d.get("keypoints", []), where)
            if "score" in d:
                score = float(d["score"])
            elif d.get("scores"):
                score = float(np.mean(d["scores"]))
            else:
                score = 1.0
            if (k[:, 2] > 0).any():
                per[index[d["image_id"]]].append((k, score))
        boxes = tuple(np.array([[*pose_box(k), s] for k, s in fr]).reshape(-1, 5) for fr in per)
        kps = tuple(np.array([k for k, _ in fr]).reshape(-1, K, 3) for fr in per)
        clip = Clip(tuple(p.stem for p in frames), lambda i: read_rgb(frames[i]), size)
        return VideoSequence(
            name,
            clip,
            Observations(boxes, keypoints=kps),
            {
                "frame_rate": 30.0,
                "image_ids": [im["id"] for im in images],
                "file_names": [im["file_name"] for im in images],
                "cache_key": f"{self.name}|{name}|{len(frames)}|{frames[0].resolve()}",
            },
        )

    def result_path(self, pred_dir: Path, name: str) -> Path:
        return Path(pred_dir) / f"{name}.json"

    def write_predictions(
        self, seq: VideoSequence, preds: Iterable[TrackFramePrediction], out: Path
    ) -> int:
        ids, files = seq.meta["image_ids"], seq.meta["file_names"]
        anns, n = [], 0
        for p in preds:
            n += 1
            if p.keypoints is None:
                raise DataError(f"{seq.name}: the head gave no poses (PoseTrack needs keypoints)")
            for tid, k, s in zip(p.ids, p.keypoints, p.scores, strict=True):
                k = np.asarray(k, float)
                present = k[:, 2] > 0
                flat = np.c_[np.where(present[:, None], k[:, :2], 0), present.astype(float)]
                anns.append(
                    {
                        "image_id": ids[p.index],
                        "track_id": int(tid),
                        "category_id": 1,
                        "keypoints": [round(float(v), 2) for v in flat.ravel()],
                        "scores": [round(float(v), 4) for v in np.where(present, k[:, 2], 0)],
                        "score": round(float(s), 4),
                        "bbox": [round(float(v), 2) for v in pose_box(k)],
                    }
                )
        if n != len(seq.clip):
            raise DataError(f"{seq.name}: head produced {n} frames for {len(seq.clip)}")
        doc = {
            "images": [
                {"id": i, "file_name": f, "frame_id": i} for i, f in zip(ids, files, strict=True)
            ],
            "annotations": anns,
            "categories": [{"id": 1, "name": "person", "keypoints": list(POSETRACK18_KEYPOINTS)}],
        }
        Path(out).write_text(json.dumps(doc))
        return n

    def frames_for_scoring(self, name: str, pred_file: Path) -> list[PM.PoseFrame]:
        path, ann, images = self._annotation(name)
        gt: dict = {}
        for n, a in enumerate(ann.get("annotations", [])):
            where = f"{path}: annotation {n}"
            if "keypoints" not in a:
                continue
            k = keypoints_array(a["keypoints"], where)
            if "bbox_head" not in a or len(a["bbox_head"]) != 4:
                if (k[:, 2] > 0).any():
                    raise DataError(
                        f"{where}: a person with keypoints needs bbox_head [x, y, w, h]"
                    )
                continue
            person = PM.PosePerson(int(a["track_id"]), k, tuple(map(float, a["bbox_head"])))
            gt.setdefault(a["image_id"], []).append(person)
        pred_doc = load_json(pred_file)
        anns = pred_doc.get("annotations") if isinstance(pred_doc, dict) else None
        if not isinstance(anns, list):
            raise DataError(f"{pred_file}: expected a PoseTrack json with 'annotations'")
        pred: dict = {}
        known = {im["id"] for im in images}
        for n, a in enumerate(anns):
            where = f"{pred_file}: annotation {n}"
            if a.get("image_id") not in known:
                raise DataError(f"{where}: image_id {a.get('image_id')!r} is not a frame of {name}")
            if "track_id" not in a:
                raise DataError(f"{where}: no track_id")
            k = keypoints_array(a.get("keypoints", []), where)
            pred.setdefault(a["image_id"], []).append(PM.PosePerson(int(a["track_id"]), k))
        return [
            PM.PoseFrame(gt.get(im["id"], []), pred.get(im["id"], []), ignore_polygons(im))
            for im in images
            if im.get("is_labeled", True)
        ]

    def evaluate(self, pred_dir: Path, sequences=None, progress: bool = False) -> MetricTable:
        data = {}
        for name in iter_progress(list(sequences or self._names), "evaluate", progress):
            data[name] = self.frames_for_scoring(name, self.result_path(pred_dir, name))
        summary, per = PM.evaluate(data)
        cols = ["sequence", "MOTA", "IDF1", "IDs", "MOTP", "Prec", "Rec"]
        rows = [{"sequence": n, **{k: m[k] for k in cols[1:]}} for n, m in per.items()]
        return MetricTable(
            cols,
            rows,
            summary,
            protocol="poseval MOTA re-implemented: head-normalised distance <= 0.5, per-joint "
            "CLEAR over labelled frames (last dropped), ignore regions, mean over 15 joints",
        )


def _posetrack18(data_root, split, sequences, detections=None):
    if data_root is None:
        raise DataError("posetrack18 needs --data-root DIR (holding annotations/ and images/)")
    return PoseTrack18(data_root, split, sequences, detections)


BENCHMARKS.register("posetrack18", _posetrack18)
