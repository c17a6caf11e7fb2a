"""BDD100K MOT (``box_track_20``) and MOTS (``seg_track_20``), Scalabel json per video.

Layout: frames at ``<root>/images/<images_sub>/<split>/<video>/<name>`` (``images_sub`` = ``track`` for
MOT, ``seg_track_20`` for MOTS) and labels at ``<root>/labels/box_track_20/<split>/<video>.json`` or
``<root>/labels/seg_track_20/<split>/<video>.json``: a list of frames ``{"name", "videoName",
"frameIndex", "labels": [{"id", "category", "attributes": {"crowd", …}, "box2d": {"x1", "y1", "x2",
"y2"}}]}`` (MOTS labels carry ``"rle": {"size", "counts"}`` instead of / besides ``box2d``).

Classes: pedestrian, rider, car, truck, bus, train, motorcycle, bicycle are scored; ``other person``,
``other vehicle``, ``trailer`` and crowd-marked labels are distractors (TrackEval's BDD100K
preprocessing: tracker outputs matched to them or lying ≥ 50% inside them are removed). Scoring is per
class with TrackEval (HOTA, CLEAR, Identity; boxes by IoU ``x1,y1,x2,y2``, masks by mask IoU through
the same preprocessing code with the overlap functions swapped); the summary is the class average
over classes with ground truth (BDD's mHOTA / mMOTA / mIDF1, reported as HOTA / MOTA / IDF1) plus
per-class ``<class>/<metric>``.

BDD100K has no public detections: the observations are ``<detections>/<video>.json`` in the same
Scalabel format with a ``score`` per label. The head tracks all classes at once with the class gate on
(``class_gate=True`` is this benchmark's head default). Results are written as ``<out>/<video>.json``
in the Scalabel format.
"""

from __future__ import annotations

import functools
import json
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
    with_identity_switches,
)
from unibench.benchmarks.data.folders import DataLayout, Obtain, Variant
from unibench.benchmarks.mots import resolve_overlaps
from unibench.benchmarks.scorers import mot as mot_metrics

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
from unibench.paths import inside

logger = logging.getLogger(__name__)

CLASSES = ("pedestrian", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle")
DISTRACTORS = ("other person", "trailer", "other vehicle")
CLASS_ID = {
    "pedestrian": 1,
    "rider": 2,
    "other person": 3,
    "car": 4,
    "bus": 5,
    "truck": 6,
    "train": 7,
    "trailer": 8,
    "other vehicle": 9,
    "motorcycle": 10,
    "bicycle": 11,
}  # TrackEval's numbering
CLASS_NAME = {v: k for k, v in CLASS_ID.items()}


def load_frames(path: Path) -> list[dict]:
    path = Path(path)
    doc = read_json(path, "a Scalabel json")
    if isinstance(doc, dict) and "frames" in doc:
        doc = doc["frames"]
    if not isinstance(doc, list):
        raise DataError(f"{path}: expected a Scalabel list of frames")
    for i, f in enumerate(doc):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            raise DataError(f"{path}: frame {i} must be an object with a 'name'")
        labels = f.get("labels") or []
        if not isinstance(labels, list) or not all(isinstance(lb, dict) for lb in labels):
            raise DataError(f"{path}: frame {f['name']}: 'labels' must be a list of objects")
        if not isinstance(f.get("frameIndex", 0), (int, float)):
            raise DataError(f"{path}: frame {f['name']}: 'frameIndex' must be a number")
    return sorted(doc, key=lambda f: f.get("frameIndex", 0))


def _crowd(label: dict) -> bool:
    a = label.get("attributes") or {}
    return bool(a.get("crowd", a.get("Crowd", False)))


# the head defaults the factories declare (the runner reads them from the registered factory)
HEAD_DEFAULTS = {"mot": {"class_gate": True}, "mots": {"class_gate": True}}


class BDD100K(SplitFolder, FileResults):
    toolkit = "TrackEval's BDD100K dataset class (HOTA, CLEAR, Identity per class; distractor and crowd rules)"
    checked_by = ("tests/benchmarks/test_bdd100k.py::test_distractors_crowd_and_class_average",)
    tasks = ("mot", "mots")  # an instance serves one: boxes (BDD100KBoxes) or masks (BDD100KMasks)
    takes_detections = True
    head_defaults = HEAD_DEFAULTS

    def __init__(self, root, split=None, sequences=None, detections=None, masks=False, name=None):
        self.root = Path(root)
        self.split = split or "val"
        self.masks = masks
        self.tasks = ("mots",) if masks else ("mot",)
        self.name = name or ("bdd100k-mots" if masks else "bdd100k-mot")
        sub = "seg_track_20" if masks else "box_track_20"
        self.label_dir = self.root / "labels" / sub / self.split
        self.image_dir = self.root / "images" / ("seg_track_20" if masks else "track") / self.split
        self.det_dir = Path(detections) if detections else None
        self.label_dir = self.split_folder(self.label_dir.parent, f"labels/{sub}/<split>/")
        self.select_sequences(sequences, self.label_dir, "<video>.json")

    def discover_sequences(self) -> list[str]:
        return [p.stem for p in list_files(self.label_dir, "*.json")]

    # ------------------------------------------------------------------------ reading
    def _label(self, lab: dict, where: str, size=None) -> tuple[np.ndarray, dict | None]:
        """``x1, y1, x2, y2`` and (MOTS) the RLE of one label."""
        rle = None
        if self.masks:
            r = lab.get("rle")
            if not r or "counts" not in r or "size" not in r:
                raise DataError(f"{where}: a MOTS label needs 'rle': {{'size', 'counts'}}")
            rle = {"size": list(r["size"]), "counts": r["counts"]}
            if isinstance(rle["counts"], str):
                rle["counts"] = rle["counts"].encode()
            if size is not None and tuple(rle["size"]) != tuple(size):
                raise DataError(f"{where}: mask size {tuple(rle['size'])}, frame size {size}")
            from pycocotools import mask as mask_utils

            x, y, w, h = mask_utils.toBbox(rle)
            return np.array([x, y, x + w, y + h]), rle
        b = lab.get("box2d")
        if not b or any(k not in b for k in ("x1", "y1", "x2", "y2")):
            raise DataError(f"{where}: expected 'box2d' with x1, y1, x2, y2")
        return np.array([b["x1"], b["y1"], b["x2"], b["y2"]], float), rle

    def _frames(self, name: str) -> list[Path]:
        frames = load_frames(self.label_dir / f"{name}.json")
        paths = [
            inside(
                self.image_dir / name / str(f["name"]), self.image_dir / name, "frame", DataError
            )
            for f in frames
        ]
        for p in paths:
            if not p.is_file():
                raise DataError(f"missing frame {p} (listed in {self.label_dir / name}.json)")
        return paths

    def load_sequence(self, name: str) -> VideoSequence:
        paths = self._frames(name)
        size = image_size(paths[0])
        if self.det_dir is None:
            raise DataError(
                f"{self.name} has no public detections: pass --detections DIR with "
                "<video>.json Scalabel files (labels with category, score and box2d/rle)"
            )
        dpath = self.det_dir / f"{name}.json"
        det_frames = {f["name"]: f for f in load_frames(dpath)}
        boxes, masks, classes = [], [], []
        for p in paths:
            labs = (det_frames.get(p.name) or {}).get("labels") or []
            bb, ms, cl = [], [], []
            for n, lab in enumerate(labs):
                where = f"{dpath}: frame {p.name}, label {n}"
                cat = lab.get("category")
                if cat not in CLASS_ID:
                    raise DataError(f"{where}: category {cat!r}; expected one of {list(CLASS_ID)}")
                if cat not in CLASSES:
                    continue  # detectors of distractor classes: not tracked
                xyxy, rle = self._label(lab, where, size)
                bb.append([*xyxy[:2], *(xyxy[2:] - xyxy[:2]), float(lab.get("score", 1.0))])
                ms.append(rle)
                cl.append(CLASS_ID[cat])
            boxes.append(np.array(bb, float).reshape(-1, 5))
            masks.append(ms)
            classes.append(np.array(cl, int))
        clip = frame_clip(paths, size)
        return VideoSequence(
            name,
            clip,
            Observations(
                tuple(boxes), masks=tuple(masks) if self.masks else None, classes=tuple(classes)
            ),
            {
                "frame_rate": 5.0,
                "frame_names": [p.name for p in paths],
                **clip_meta(self.name, name, frames=paths),
            },
        )

    # ------------------------------------------------------------------------ writing
    result_suffix = ".json"  # one result file per sequence

    def write_predictions(
        self, seq: VideoSequence, preds: Iterable[TrackFramePrediction], out: Path
    ) -> int:

        names, frames = seq.meta["frame_names"], []
        for p in preds:
            if p.classes is None:
                raise DataError(f"{seq.name}: the head gave no classes (BDD100K is multi-class)")
            masks = [None] * len(p.ids)
            if self.masks:
                if p.masks is None:
                    raise DataError(f"{seq.name}: the head gave no masks")
                masks = resolve_overlaps(p.masks, p.scores)
            labels = []
            for tid, b, s, c, m in zip(p.ids, p.boxes, p.scores, p.classes, masks, strict=True):
                lab = {"id": str(int(tid)), "category": CLASS_NAME[int(c)], "score": float(s)}
                if self.masks:
                    if m is None:
                        continue
                    counts = m["counts"]
                    lab["rle"] = {
                        "size": list(m["size"]),
                        "counts": counts.decode() if isinstance(counts, bytes) else counts,
                    }
                else:
                    x, y, w, h = (float(v) for v in b)
                    lab["box2d"] = {"x1": x, "y1": y, "x2": x + w, "y2": y + h}
                labels.append(lab)
            frames.append(
                {
                    "name": names[p.index],
                    "videoName": seq.name,
                    "frameIndex": p.index,
                    "labels": labels,
                }
            )
        check_produced(seq.name, len(frames), len(seq.clip))
        Path(out).write_text(json.dumps(frames))
        return len(frames)

    # ------------------------------------------------------------------------ looking
    def view(self, pred_dir: Path, name: str) -> SequenceView:
        """The run's tracks over the frames (one colour per track, short trails; MOTS: their
        masks), labelled with class, id and score; the ground truth's scored-class boxes thin
        (distractor classes and crowd regions left out, as TrackEval's preprocessing leaves
        them); identity switches against the ground truth marked and the share of it tracked
        per frame (boxes matched at IoU 0.5 whatever their class: a view, not the per-class
        score)."""
        from pycocotools import mask as mask_utils

        gpath = self.label_dir / f"{name}.json"
        gt = load_frames(gpath)
        pred_file = self.result_path(pred_dir, name)
        res = {f["name"]: f for f in load_frames(pred_file)}
        unknown = set(res) - {f["name"] for f in gt}
        if unknown:
            raise DataError(f"{pred_file}: frames not in the sequence: {sorted(unknown)[:3]}")
        gt_ids: dict[str, int] = {}

        def drawn(labels: list[dict], where: str, truth: bool) -> tuple[Drawn, ...]:
            out = []
            for n, lab in enumerate(labels):
                cat = lab.get("category")
                if cat not in CLASS_ID:
                    raise DataError(f"{where}, label {n}: category {cat!r}")
                if truth and (cat in DISTRACTORS or _crowd(lab)):
                    continue
                xyxy, rle = self._label(lab, f"{where}, label {n}")
                box = (float(xyxy[0]), float(xyxy[1]), float(xyxy[2] - xyxy[0]),
                       float(xyxy[3] - xyxy[1]))  # fmt: skip
                if truth:
                    ident = gt_ids.setdefault(str(lab.get("id")), len(gt_ids))
                    out.append(Drawn(ident, box))
                    continue
                try:
                    ident = int(lab["id"])
                except (KeyError, ValueError, TypeError):
                    raise DataError(f"{where}, label {n}: expected an integer track 'id'") from None
                score = f" {float(lab['score']):.2f}" if "score" in lab else ""
                mask = mask_utils.decode(rle).astype(bool) if rle is not None else None
                out.append(Drawn(ident, box, mask, text=f"{cat} {ident}{score}"))
            return tuple(out)

        frames = [
            FrameView(
                objects=drawn((res.get(f["name"]) or {}).get("labels") or [],
                              f"{pred_file}: frame {f['name']}", False),
                gt_objects=drawn(f.get("labels") or [], f"{gpath}: frame {f['name']}", True),
            )
            for f in gt
        ]  # fmt: skip
        frames = with_identity_switches(frames)
        scored = [f.score for f in frames if f.score is not None]
        return SequenceView(
            name, tuple(frames), "recall", float(np.mean(scored)) if scored else None, trail=True
        )

    # ------------------------------------------------------------------------ scoring
    def _raw(self, name: str, pred_file: Path) -> dict:
        gpath = self.label_dir / f"{name}.json"
        gt = load_frames(gpath)
        res = {f["name"]: f for f in load_frames(pred_file)}
        unknown = set(res) - {f["name"] for f in gt}
        if unknown:
            raise DataError(f"{pred_file}: frames not in the sequence: {sorted(unknown)[:3]}")
        raw: dict = {"num_timesteps": len(gt), "seq": name}
        keys = ("gt_ids", "gt_classes", "gt_dets", "gt_crowd_ignore_regions", "tracker_ids")
        for k in (*keys, "tracker_classes", "tracker_dets", "similarity_scores"):
            raw[k] = [None] * len(gt)
        gt_ids: dict[str, int] = {}
        for t, fr in enumerate(gt):
            keep, ign = [], []
            for n, lab in enumerate(fr.get("labels") or []):
                where = f"{gpath}: frame {fr.get('name')}, label {n}"
                cat = lab.get("category")
                if cat not in CLASS_ID:
                    raise DataError(f"{where}: category {cat!r}; expected one of {list(CLASS_ID)}")
                xyxy, rle = self._label(lab, where)
                item = rle if self.masks else xyxy
                if cat in DISTRACTORS or _crowd(lab):
                    ign.append(item)
                elif "id" not in lab:
                    raise DataError(f"{where}: no track 'id'")
                else:
                    keep.append(
                        (gt_ids.setdefault(str(lab["id"]), len(gt_ids)), CLASS_ID[cat], item)
                    )
            raw["gt_ids"][t] = np.array([k[0] for k in keep], int)
            raw["gt_classes"][t] = np.array([k[1] for k in keep], int)
            raw["gt_dets"][t] = self._dets([k[2] for k in keep])
            raw["gt_crowd_ignore_regions"][t] = self._dets(ign)
            trk = (res.get(fr.get("name")) or {}).get("labels") or []
            items, ids, cls = [], [], []
            for n, lab in enumerate(trk):
                where = f"{pred_file}: frame {fr.get('name')}, label {n}"
                if lab.get("category") not in CLASS_ID:
                    raise DataError(f"{where}: category {lab.get('category')!r}")
                try:
                    ids.append(int(lab["id"]))
                except (KeyError, ValueError, TypeError):
                    raise DataError(f"{where}: expected an integer track 'id'") from None
                if ids[-1] in ids[:-1]:  # TrackEval fails with a KeyError deep inside
                    raise DataError(f"{where}: track id {ids[-1]} appears twice in this frame")
                cls.append(CLASS_ID[lab["category"]])
                items.append(self._label(lab, where)[1 if self.masks else 0])
            raw["tracker_ids"][t] = np.array(ids, int)
            raw["tracker_classes"][t] = np.array(cls, int)
            raw["tracker_dets"][t] = self._dets(items)
            raw["similarity_scores"][t] = _dataset_cls()._calculate_box_ious(
                raw["gt_dets"][t], raw["tracker_dets"][t], box_format="x0y0x1y1"
            )
        return raw

    def _dets(self, items: list):
        if self.masks:  # N×1, so that TrackEval's row indexing (dets[idx, :]) works
            out = np.empty((len(items), 1), object)
            for i, it in enumerate(items):
                out[i, 0] = it
            return out
        return np.array(items, float).reshape(-1, 4)

    def evaluate(self, pred_dir: Path, sequences=None, progress: bool = False) -> MetricTable:
        from trackeval.utils import TrackEvalException

        cls = _dataset_cls()
        ds = cls.__new__(cls)
        ds.class_name_to_class_id = dict(CLASS_ID)
        per_class: dict[str, dict] = {c: {} for c in CLASSES}
        has_gt: dict[str, bool] = dict.fromkeys(CLASSES, False)
        for name in iter_progress(list(sequences or self._names), "evaluate", progress):
            pred_file = self.result_path(pred_dir, name)
            raw = self._raw(name, pred_file)
            for c in CLASSES:
                try:
                    per_class[c][name] = ds.get_preprocessed_seq_data(raw, c)
                except TrackEvalException as exc:
                    raise DataError(f"{pred_file}: {exc}") from None
                has_gt[c] |= per_class[c][name]["num_gt_dets"] > 0
        summaries, rows, curves = {}, [], {}
        for c in CLASSES:
            curves[c] = {}
            s, per = mot_metrics.evaluate(per_class[c], curves[c])
            summaries[c] = s
            rows += [{"sequence": n, "class": c, **m} for n, m in per.items() if has_gt[c]]
        scored = [c for c in CLASSES if has_gt[c]]
        if not scored:
            raise DataError(f"{self.label_dir}: no ground truth of any scored class")
        keys = list(summaries[scored[0]])
        summary = {k: float(np.mean([summaries[c][k] for c in scored])) for k in keys}
        for k in ("IDs", "FP", "FN"):
            summary[k] = float(sum(summaries[c][k] for c in scored))
        if self.masks:
            summary["sMOTSA"] = summary.pop("sMOTA")
        for c in scored:
            summary.update({f"{c}/{k}": v for k, v in summaries[c].items()})
        cols = ["sequence", "class", "HOTA", "IDF1", "MOTA", "IDs", "FP", "FN"]
        rows = [{k: r[k] for k in cols} for r in rows]
        return MetricTable(
            cols,
            rows,
            summary,
            protocol="TrackEval BDD100K preprocessing (distractors, crowd); per class, "
            f"mean over the classes with ground truth ({', '.join(scored)})"
            + ("; masks by mask IoU" if self.masks else ""),
            curves=mot_metrics.class_mean_curves({c: curves[c] for c in scored}),
        )


@functools.cache
def _dataset_cls():
    from trackeval.datasets import BDD100K as TE
    from trackeval.datasets._base_dataset import _BaseDataset

    class _MaskAware(TE):
        """TrackEval's BDD100K preprocessing; for mask (RLE object array) inputs its box overlap
        is replaced by the mask overlap, nothing else changes."""

        @staticmethod
        def _calculate_box_ious(a, b, box_format="xywh", do_ioa=False, **_):
            a, b = np.asarray(a), np.asarray(b)
            if a.dtype.kind == "O" or b.dtype.kind == "O":  # N×1 arrays of RLE dicts
                return _BaseDataset._calculate_mask_ious(
                    list(a.ravel()), list(b.ravel()), is_encoded=True, do_ioa=do_ioa
                )
            return _BaseDataset._calculate_box_ious(a, b, box_format=box_format, do_ioa=do_ioa)

    return _MaskAware


class BDD100KBoxes(BDD100K):
    """BDD100K MOT (``box_track_20``)."""

    tasks = ("mot",)


class BDD100KMasks(BDD100K):
    """BDD100K MOTS (``seg_track_20``)."""

    tasks = ("mots",)


def _factory(masks: bool):
    cls = BDD100KMasks if masks else BDD100KBoxes

    def make(data_root, split, sequences, detections=None):
        return cls(data_root, split, sequences, detections, masks=masks)

    return make


def _bdd_data(masks: bool) -> DataLayout:
    sub, labels = ("seg_track_20", "seg_track_20") if masks else ("track", "box_track_20")
    return DataLayout(
        tree=f"""\
bdd100k/
├── images/{sub}/val/<video>/<video>-0000001.jpg …
└── labels/{labels}/val/<video>.json""",
        variants=(
            Variant(
                "official",
                (f"images/{sub}/*/*", f"labels/{labels}/*/*.json"),
                "images/ and labels/",
            ),
            Variant(
                "labels-only",
                (f"labels/{labels}/*/*.json",),
                f"labels without images/{sub}/: download the images as well",
            ),
        ),
        obtain=Obtain(
            page="https://bdd-data.berkeley.edu/",
            gate="registration",
            steps=(
                f"register on bdd-data.berkeley.edu, then download the {'MOTS 2020 images and labels (bdd100k_seg_track_20_images.zip, bdd100k_seg_track_20_labels_release.zip)' if masks else 'MOT 2020 images (bdd100k_images_track_val.zip) and labels (bdd100k_box_track_20_labels_trainval.zip)'}",
                "unpack them so that DIR (the bdd100k/ folder) holds images/ and labels/",
            ),
        ),
        # BDD100K MOT's 200 val videos (a cited list); MOTS val (154 videos) has none found
        manifests={} if masks else {"val": "bdd100k-mot-val.json"},
        unlisted="no citable list of BDD100K MOTS' 154 val videos was found; data check compares "
        "no sequence list"
        if masks
        else "train (1400 videos): no citable list found",
        family="association",
    )


for _masks, _cls in ((False, BDD100KBoxes), (True, BDD100KMasks)):
    register_benchmark(
        "bdd100k-mots" if _masks else "bdd100k-mot", _factory(_masks), _cls,
        data=_bdd_data(_masks), root="the bdd100k/ folder holding images/ and labels/",
    )  # fmt: skip
