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

import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from unibench.benchmarks.base import (
    FileResults,
    SplitFolder,
    check_produced,
    clip_meta,
    frame_clip,
    iter_progress,
    register_benchmark,
)
from unibench.benchmarks.data.folders import DataLayout, Obtain, Variant
from unibench.benchmarks.formats.jsonfiles import person_category, write_posetrack_video
from unibench.benchmarks.scorers import posetrack as PM

from unibench.datatypes import (
    Drawn,
    FrameView,
    MetricTable,
    Observations,
    SequenceView,
    TrackFramePrediction,
    VideoSequence,
)
from unibench.errors import DataError
from unibench.io import image_size, list_files, read_json
from unibench.keypoints import POSE_SKELETON, POSETRACK18_KEYPOINTS
from unibench.paths import inside

logger = logging.getLogger(__name__)
K = len(POSETRACK18_KEYPOINTS)


def keypoints_array(values, where: str, order: np.ndarray | None = None) -> np.ndarray:
    """K×3 keypoints in UniBench's (COCO) order; ``order`` maps the file's keypoint index to ours
    (from its ``categories``), None for the 17 COCO-ordered keypoints of detection files."""
    n = K if order is None else len(order)
    try:
        k = np.asarray(values, float)
    except (TypeError, ValueError):
        raise DataError(f"{where}: keypoints must be numbers, got {values!r:.80}") from None
    if k.ndim != 1 or k.size != 3 * n:
        raise DataError(f"{where}: expected {3 * n} keypoint values ({n} × x, y, v), got {k.size}")
    if not np.isfinite(k).all():
        raise DataError(f"{where}: keypoints must be finite numbers")
    k = k.reshape(n, 3)
    if order is None:
        return k
    out = np.zeros((K, 3))
    keep = order >= 0
    out[order[keep]] = k[keep]
    return out


def keypoint_order(doc: dict, path: Path) -> np.ndarray:
    """poseval's ``Video.from_new``: the keypoint names of the file's single person category, 15 or
    17 of them, each of the 15 scored joints present; returns file index → UniBench index (-1: not
    scored)."""
    cats = doc.get("categories")
    if not isinstance(cats, list) or len(cats) != 1 or not isinstance(cats[0], dict):
        raise DataError(
            f"{path}: expected 'categories' with one person category naming its keypoints "
            "(poseval reads the keypoint order from it)"
        )
    names = cats[0].get("keypoints")
    if not isinstance(names, list) or len(names) not in (15, 17):
        raise DataError(f"{path}: categories[0].keypoints must list 15 or 17 keypoint names")
    scored = {POSETRACK18_KEYPOINTS[j] for j in PM.EVAL_JOINTS}
    missing = sorted(scored - set(names))
    if missing:
        raise DataError(f"{path}: categories[0].keypoints lacks {', '.join(missing)}")
    ours = {n: i for i, n in enumerate(POSETRACK18_KEYPOINTS)}
    return np.array([ours[n] if n in scored else -1 for n in names])


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


class PoseTrack18(SplitFolder, FileResults):
    toolkit = "poseval (PoseTrack MOTA, per joint)"
    checked_by = (
        "tests/benchmarks/test_posetrack_poseval.py::test_default_scoring_equals_poseval",
        "tests/benchmarks/test_posetrack.py::test_clear_accumulator_matches_py_motmetrics_on_random_sequences",
    )
    Options = PM.PoseEvalOptions
    takes_detections = True
    truncates = True  # benchmark.truncate: cut copies (nframes describes the full video)
    tasks = ("posetrack",)

    def __init__(
        self,
        root,
        split=None,
        sequences=None,
        detections=None,
        truncate: bool = False,
        name: str = "posetrack18",
        options: PM.PoseEvalOptions | None = None,
    ):
        self.root = Path(root)
        self.split = split or "val"
        self.name = name
        self.truncate = truncate
        self.options = self.scoring_options(options)
        self.det_dir = Path(detections) if detections else self.root / "detections" / self.split
        self.ann_dir = self.split_folder(self.root / "annotations", "annotations/<split>/*.json")
        self.select_sequences(sequences, self.ann_dir, "<video>.json annotation files")

    def discover_sequences(self) -> list[str]:
        return [p.stem for p in list_files(self.ann_dir, "*.json")]

    def _annotation(self, name: str) -> tuple[Path, dict, list[dict]]:
        path = self.ann_dir / f"{name}.json"
        ann = read_json(path)
        if not isinstance(ann, dict) or not isinstance(ann.get("images"), list):
            raise DataError(f"{path}: expected a PoseTrack18 json with 'images' and 'annotations'")
        for i, im in enumerate(ann["images"]):
            if not isinstance(im, dict) or "id" not in im or "file_name" not in im:
                raise DataError(f"{path}: images[{i}] must be an object with 'id' and 'file_name'")
            for k in ("frame_id", "nframes"):
                if k in im and not isinstance(im[k], int):
                    raise DataError(f"{path}: images[{i}].{k} must be an integer, got {im[k]!r}")
        if not isinstance(ann.get("annotations", []), list):
            raise DataError(f"{path}: 'annotations' must be a list")
        images = sorted(ann["images"], key=lambda im: im.get("frame_id", im["id"]))
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
        path, ann, images = self._annotation(name)
        frames = [
            inside(self.root / str(im.get("file_name", "")), self.root, f"{path}: frame", DataError)
            for im in images
        ]
        for f in frames:
            if not f.is_file():
                raise DataError(f"missing frame {f} (listed in {path})")
        size = image_size(frames[0])
        index = {im["id"]: t for t, im in enumerate(images)}
        det_path = self.det_dir / f"{name}.json"
        dets = read_json(det_path)
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
        clip = frame_clip(frames, size)
        return VideoSequence(
            name,
            clip,
            Observations(boxes, keypoints=kps),
            {
                "frame_rate": 30.0,
                "image_ids": [im["id"] for im in images],
                "file_names": [im["file_name"] for im in images],
                "file_order": [im.get("id") for im in ann["images"]],
                **clip_meta(self.name, name, frames=frames),
            },
        )

    result_suffix = ".json"  # one result file per sequence

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
        check_produced(seq.name, n, len(seq.clip))
        by_id = {
            i: {"id": i, "file_name": f, "frame_id": i} for i, f in zip(ids, files, strict=True)
        }
        order = seq.meta.get("file_order") or ids  # the ground truth's order: poseval pairs by it
        write_posetrack_video(out, [by_id[i] for i in order], anns, [person_category()])
        return n

    def view(self, pred_dir: Path, name: str) -> SequenceView:
        """The run's poses over the frames (skeletons, one colour per track), the ground truth's
        thin on the labelled frames; the share of ground-truth persons predicted per labelled
        frame is the frame's score."""
        frames = []
        for f in self.frames_for_scoring(name, self.result_path(pred_dir, name)):
            objs = tuple(Drawn(p.track_id, None, points=p.keypoints, text=str(p.track_id))
                         for p in f.pred)  # fmt: skip
            gts = tuple(Drawn(p.track_id, None, points=p.keypoints) for p in f.gt)
            score = min(1.0, len(f.pred) / len(f.gt)) if f.gt and f.labeled else None
            frames.append(FrameView(objects=objs, gt_objects=gts, score=score))
        scored = [v.score for v in frames if v.score is not None]
        return SequenceView(name, tuple(frames), "persons found",
                            float(np.mean(scored)) if scored else None,
                            skeleton=POSE_SKELETON)  # fmt: skip

    def frames_for_scoring(self, name: str, pred_file: Path) -> list[PM.PoseFrame]:
        """Ground truth and prediction paired as poseval pairs them: by position in each file's
        ``images``, keypoints in each file's own ``categories`` order, presence by the options."""
        path, ann, _ = self._annotation(name)
        strict = self.options.strict_visibility
        gt_images = ann["images"]
        gt: dict = {}
        order = keypoint_order(ann, path)
        for n, a in enumerate(ann.get("annotations", [])):
            where = f"{path}: annotation {n}"
            if not isinstance(a, dict) or "image_id" not in a or "track_id" not in a:
                raise DataError(f"{where}: expected an object with image_id and track_id")
            k = np.zeros((K, 3))
            if "keypoints" in a:
                k = keypoints_array(a["keypoints"], where, order)
            k[:, 2] = PM.presence(k, strict)
            head = a.get("bbox_head")
            if head is None or len(head) != 4:
                if k[list(PM.EVAL_JOINTS), 2].any():
                    raise DataError(
                        f"{where}: a person with keypoints needs bbox_head [x, y, w, h]"
                    )
                head = None
            person = PM.PosePerson(int(a["track_id"]), k, tuple(map(float, head)) if head else None)
            gt.setdefault(a["image_id"], []).append(person)
        pred_doc = read_json(pred_file)
        if not isinstance(pred_doc, dict) or not isinstance(pred_doc.get("annotations"), list):
            raise DataError(f"{pred_file}: expected a PoseTrack18 json with 'annotations'")
        pr_images = pred_doc.get("images")
        if not isinstance(pr_images, list):
            raise DataError(
                f"{pred_file}: expected 'images' (poseval pairs prediction and ground-truth frames "
                "by their position in 'images')"
            )
        if len(pr_images) != len(gt_images):
            raise DataError(
                f"{pred_file}: {len(pr_images)} images listed, the ground truth {path} lists "
                f"{len(gt_images)} (poseval pairs frames by position)"
            )
        for t, (g, q) in enumerate(zip(gt_images, pr_images, strict=True)):
            if not isinstance(q, dict) or q.get("id") != g.get("id"):
                raise DataError(
                    f"{pred_file}: images[{t}] has id {q.get('id') if isinstance(q, dict) else q!r}"
                    f", the ground truth's images[{t}] has id {g.get('id')!r} (poseval pairs "
                    "frames by position: list them in the ground truth's order)"
                )
        pr_order = keypoint_order(pred_doc, pred_file)
        pred: dict = {}
        known = {im.get("id") for im in pr_images}
        for n, a in enumerate(pred_doc["annotations"]):
            where = f"{pred_file}: annotation {n}"
            if not isinstance(a, dict) or a.get("image_id") not in known:
                img = a.get("image_id") if isinstance(a, dict) else None
                raise DataError(f"{where}: image_id {img!r} is not a frame of {name}")
            if "track_id" not in a:
                raise DataError(f"{where}: no track_id")
            k = keypoints_array(a.get("keypoints", []), where, pr_order)
            k[:, 2] = PM.presence(k, strict)
            frame = pred.setdefault(a["image_id"], [])
            if any(p.track_id == int(a["track_id"]) for p in frame):
                raise DataError(f"{where}: track_id {a['track_id']} appears twice in one frame")
            frame.append(PM.PosePerson(int(a["track_id"]), k))
        return [
            PM.PoseFrame(
                gt.get(g["id"], []),
                pred.get(g["id"], []),
                ignore_polygons(g),
                bool(g.get("is_labeled", True)),
            )
            for g in gt_images
        ]

    def evaluate(self, pred_dir: Path, sequences=None, progress: bool = False) -> MetricTable:
        data = {}
        for name in iter_progress(list(sequences or self._names), "evaluate", progress):
            data[name] = self.frames_for_scoring(name, self.result_path(pred_dir, name))
        summary, per = PM.evaluate(data, self.options)
        cols = ["sequence", "MOTA", "IDF1", "IDs", "MOTP", "MOTP-poseval", "Prec", "Rec"]
        rows = [{"sequence": n, **{k: m[k] for k in cols[1:]}} for n, m in per.items()]
        return MetricTable(
            cols,
            rows,
            summary,
            protocol=f"{self.options.describe()} MOTA re-implemented: head-normalised distance "
            "<= 0.5, per-joint CLEAR over the frames with ground truth (last dropped), ignore "
            "regions, empty frames, mean over 15 joints",
        )


POSETRACK18_DATA = DataLayout(
    tree="""\
PoseTrack18/
├── images/val/<video>/000000.jpg …       (and train/, test/)
├── annotations/val/<video>.json
└── detections/val/<video>.json           (optional: the observations the head associates)""",
    variants=(
        Variant("official", ("annotations/*/*.json", "images/*/*"), "images/ and annotations/"),
        Variant(
            "annotations-only",
            ("annotations/*/*.json",),
            "annotations without images/: download the image archives as well",
        ),
    ),
    obtain=Obtain(
        page="https://posetrack.net/users/download.php",
        gate="registration",
        steps=(
            "register on posetrack.net, then download the PoseTrack 2018 images (images_*.tar.gz, "
            "several parts) and posetrack18_annotations_v0.45_public.zip",
            "unpack so that DIR holds images/<split>/ and annotations/<split>/",
        ),
    ),
    unlisted="no citable list of PoseTrack18's val videos was found (the list is the "
    "registration-gated annotations/val/ itself); data check compares no sequence list",
    family="association",
    optional=(
        ("detections/{split}/*.json", "the default observations: without them pass --detections"),
    ),
)
register_benchmark(
    "posetrack18", PoseTrack18, data=POSETRACK18_DATA, root="holding annotations/ and images/"
)
