"""Video instance segmentation metrics: video AP/AR on pycocotools, HOTA through TrackEval.

**Video AP/AR** is the YouTube-VIS evaluation of the ``youtubevos/cocoapi`` fork
(``PythonAPI/pycocotools/ytvoseval.py``, ``YTVOSeval``): COCO's AP/AR machinery with a video as the
"image" and a track as the "object". We run pycocotools' own :class:`COCOeval` (matching, ignore
rules, 101-point interpolated precision, the summary) on a COCO index whose images are videos, with
two things replaced as the fork replaces them:

* the IoU of a detection track ``d`` and a ground-truth track ``g`` is the spatio-temporal mask IoU
  ``Σ_t |d_t ∩ g_t| / Σ_t |d_t ∪ g_t|`` over the video's frames, where a frame in which only one of
  them has a mask adds that mask's area to the union (``iou_seq``; no crowd IoA variant: the fork
  ignores ``iscrowd`` in the IoU and uses it only as the ignore flag), and 0 where the union is empty;
* a track's area (for the area ranges) is the mean of its non-zero per-frame areas
  (``avg_area``: ``[a for a in areas if a]``), and the area ranges are the fork's
  ``[0, 1e5²], [0, 128²], [128², 256²], [256², 1e5²]`` (COCO's are 32² and 96²).

At most ``maxDets[-1]`` = 100 tracks per video and category are scored (highest scores first), as
both codes do. Summary: ``AP`` (IoU .50:.05:.95), ``AP50``, ``AP75``, ``APs/APm/APl`` and ``AR1``,
``AR10``, ``AR100``; a figure without any ground truth is NaN (pycocotools' −1).

**HOTA** is TrackEval's: its ``YouTubeVIS`` dataset class prepares the ground truth
(``_prepare_gt_annotations``: uncompressed RLE to RLE, track areas; it reads no other form, so every
segmentation, ground truth and results alike, is first brought to the form it reads: polygons and
compressed RLE as ytvos.py's ``annToRLE`` decodes them) and the tracker
tracks (``_get_tracker_seq_tracks``), reads each video (``get_raw_seq_data``: per-frame mask IoU) and
preprocesses each class (``get_preprocessed_seq_data``: no removal); HOTA runs per video and class,
sequences are combined per class and classes averaged as TrackEval's evaluator does
(``combine_classes_class_averaged`` over every category of the ground-truth file, the
``cls_comb_cls_av`` row). The dataset object is made without its folder-reading constructor, so no
file is written.
"""

from __future__ import annotations

import contextlib
import copy
import io
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from unibench.benchmarks.formats.rle import uncompressed_rle

from unibench.metrics import register_metric

# the fields this family emits (ytvoseval's video AP/AR; HOTA is declared with TrackEval's family)
register_metric("AP", "percent", True, "AP (ytvoseval, IoU .50:.05:.95)")
for _k in ("AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"):
    register_metric(_k, "percent", True, f"{_k} (ytvoseval)")

logger = logging.getLogger(__name__)

YTVIS_AREA_RNG = [[0.0, 1e5**2], [0.0, 128.0**2], [128.0**2, 256.0**2], [256.0**2, 1e5**2]]
SUMMARY = ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl")


def to_rle(seg: Any, h: int, w: int) -> dict | None:
    """One frame's segmentation as compressed RLE (``None`` where the object is absent): polygons,
    uncompressed RLE (``counts`` a list) or compressed RLE (``counts`` a string), as ytvos.py's
    ``annToRLE``."""
    from pycocotools import mask as mask_utils

    if seg is None or seg == [] or seg == {}:
        return None
    if isinstance(seg, list):
        return mask_utils.merge(mask_utils.frPyObjects(seg, h, w))
    if isinstance(seg, dict) and "counts" in seg and "size" in seg:
        if isinstance(seg["counts"], list):
            return mask_utils.frPyObjects(seg, h, w)
        counts = seg["counts"].encode() if isinstance(seg["counts"], str) else seg["counts"]
        return {"size": list(seg["size"]), "counts": counts}
    raise ValueError(f"not a segmentation (polygon list or RLE dict): {type(seg).__name__}")


def _trackeval_inputs(gt_json: dict, results: list[dict]) -> tuple[dict, list[dict]]:
    """Ground truth and results in the forms TrackEval's ``YouTubeVIS`` reads, whatever form the
    files use (polygons, compressed or uncompressed RLE, as ytvos.py's ``annToRLE`` reads them):
    ground truth as uncompressed RLE with per-frame ``areas`` and the frame size on each
    annotation, results as compressed RLE with string counts (``mask_utils.area`` / ``iou``)."""
    from pycocotools import mask as mask_utils

    size = {int(v["id"]): (int(v["height"]), int(v["width"])) for v in gt_json["videos"]}
    gt = copy.deepcopy(gt_json)
    for a in gt["annotations"]:
        h, w = size[int(a["video_id"])]
        rles = [to_rle(s, h, w) for s in a["segmentations"]]
        a["segmentations"] = [
            None if r is None else uncompressed_rle(mask_utils.decode(r)) for r in rles
        ]
        if not isinstance(a.get("areas"), list):
            a["areas"] = [None if r is None else rle_area(r) for r in rles]
        a.setdefault("height", h)
        a.setdefault("width", w)
    out = []
    for e in results:
        h, w = size[int(e["video_id"])]
        e = dict(e)
        segs = []
        for seg in e["segmentations"]:
            r = to_rle(seg, h, w)
            if r is not None and isinstance(r["counts"], bytes):
                r = {"size": list(r["size"]), "counts": r["counts"].decode("ascii")}
            segs.append(r)
        e["segmentations"] = segs
        out.append(e)
    return gt, out


def rle_area(rle: dict | None) -> float:
    from pycocotools import mask as mask_utils

    return 0.0 if rle is None else float(mask_utils.area(rle))


def video_iou(d: list[dict | None], g: list[dict | None]) -> float:
    """Spatio-temporal mask IoU of two tracks (``iou_seq`` of ytvoseval.py)."""
    from pycocotools import mask as mask_utils

    inter = union = 0.0
    for dm, gm in zip(d, g, strict=True):
        if dm is not None and gm is not None:
            inter += float(mask_utils.area(mask_utils.merge([dm, gm], intersect=True)))
            union += float(mask_utils.area(mask_utils.merge([dm, gm], intersect=False)))
        elif gm is not None:
            union += rle_area(gm)
        elif dm is not None:
            union += rle_area(dm)
    return inter / union if union > 0 else 0.0


def avg_area(rles: list[dict | None]) -> float:
    """Mean of the non-zero frame areas (``avg_area`` of ytvoseval.py; 0 when there is none)."""
    areas = [a for a in (rle_area(r) for r in rles) if a]
    return float(np.mean(areas)) if areas else 0.0


@dataclass(frozen=True)
class VideoTrack:
    """A ground-truth or predicted track: one RLE (or ``None``) per frame of its video."""

    video_id: int
    category_id: int
    segmentations: tuple[dict | None, ...]
    score: float = 1.0
    iscrowd: int = 0
    area: float | None = None  # None: computed (avg_area); ground truth may carry the file's areas


def _video_coco_eval():
    from pycocotools.cocoeval import COCOeval

    class VideoCOCOeval(COCOeval):
        """pycocotools' COCOeval with the IoU of ytvoseval.py (videos as images)."""

        def computeIoU(self, imgId, catId):  # noqa: N802 (pycocotools' name)
            p = self.params
            if p.useCats:
                gt, dt = self._gts[imgId, catId], self._dts[imgId, catId]
            else:
                gt = [a for c in p.catIds for a in self._gts[imgId, c]]
                dt = [a for c in p.catIds for a in self._dts[imgId, c]]
            if len(gt) == 0 and len(dt) == 0:
                return []
            order = np.argsort([-d["score"] for d in dt], kind="mergesort")
            dt = [dt[i] for i in order][: p.maxDets[-1]]
            ious = np.zeros((len(dt), len(gt)))
            for i, j in np.ndindex(ious.shape):
                ious[i, j] = video_iou(dt[i]["segmentations"], gt[j]["segmentations"])
            return ious

    return VideoCOCOeval


def _coco(videos: list[int], categories: list[int], anns: list[dict]):
    from pycocotools.coco import COCO

    c = COCO()
    c.dataset = {
        "images": [{"id": v} for v in videos],
        "categories": [{"id": k} for k in categories],
        "annotations": anns,
    }
    with contextlib.redirect_stdout(io.StringIO()):
        c.createIndex()
    return c


def video_ap(
    gt: list[VideoTrack],
    dt: list[VideoTrack],
    videos: list[int],
    categories: list[int],
    area_rng: list[list[float]] | None = None,
) -> tuple[dict[str, float], Any]:
    """Video AP/AR of ``dt`` against ``gt`` over ``videos`` and ``categories`` (summary, evaluator).

    Every track must have as many frames as its video (the caller checks). Track ids are numbered
    from 1 here (pycocotools reads 0 as "unmatched")."""

    def ann(i: int, t: VideoTrack, is_gt: bool) -> dict:
        a = {
            "id": i + 1,
            "image_id": int(t.video_id),
            "category_id": int(t.category_id),
            "segmentations": list(t.segmentations),
            "area": float(t.area) if t.area is not None else avg_area(list(t.segmentations)),
            "iscrowd": int(t.iscrowd),
        }
        if not is_gt:
            a["score"] = float(t.score)
        return a

    coco_gt = _coco(videos, categories, [ann(i, t, True) for i, t in enumerate(gt)])
    coco_dt = _coco(videos, categories, [ann(i, t, False) for i, t in enumerate(dt)])
    E = _video_coco_eval()(coco_gt, coco_dt, iouType="segm")
    E.params.imgIds = sorted(videos)
    E.params.catIds = sorted(categories)
    E.params.areaRng = copy.deepcopy(area_rng or YTVIS_AREA_RNG)
    E._prepare = _prepare_without_masks.__get__(E)  # segmentations are RLE lists already
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        E.evaluate()
        E.accumulate()
        E.summarize()
    logger.debug("video AP summary:\n%s", out.getvalue())
    stats = [float("nan") if s < 0 else float(s) for s in E.stats]
    return dict(zip(SUMMARY, stats, strict=True)), E


def _prepare_without_masks(self) -> None:
    """COCOeval._prepare without its ``_toMask`` step (which reads one ``segmentation`` per
    annotation): the ignore flag and the per-(video, category) lists, as both codes build them."""
    p = self.params
    ids = {"imgIds": p.imgIds, "catIds": p.catIds} if p.useCats else {"imgIds": p.imgIds}
    gts = self.cocoGt.loadAnns(self.cocoGt.getAnnIds(**ids))
    dts = self.cocoDt.loadAnns(self.cocoDt.getAnnIds(**ids))
    for g in gts:
        g["ignore"] = "iscrowd" in g and g["iscrowd"]
    self._gts, self._dts = defaultdict(list), defaultdict(list)
    for g in gts:
        self._gts[g["image_id"], g["category_id"]].append(g)
    for d in dts:
        self._dts[d["image_id"], d["category_id"]].append(d)
    self.evalImgs = defaultdict(list)
    self.eval = {}


def trackeval_hota(
    gt_json: dict, results: list[dict], sequences: list[str]
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """HOTA, DetA, AssA of ``results`` (VIS results entries) through TrackEval's YouTubeVIS class.

    ``gt_json`` is the ground-truth file's content (videos, annotations, categories) restricted to
    the scored videos; ``sequences`` are video folder names. Returns (summary: class-averaged over
    every category of ``gt_json``, per sequence: class-averaged over that video's categories)."""
    from trackeval.datasets import YouTubeVIS
    from trackeval.metrics import HOTA

    gt_json, results = _trackeval_inputs(gt_json, results)
    ds = YouTubeVIS.__new__(YouTubeVIS)
    ds.gt_data = gt_json
    ds.use_super_categories = False
    ds.should_classes_combine = True
    ds.class_list = [c["name"] for c in ds.gt_data["categories"]]
    ds.class_name_to_class_id = {c["name"]: c["id"] for c in ds.gt_data["categories"]}
    ds.seq_name_to_seq_id = {
        v["file_names"][0].split("/")[0]: v["id"] for v in ds.gt_data["videos"]
    }
    ds.seq_lengths = {v["id"]: len(v["file_names"]) for v in ds.gt_data["videos"]}
    ds.global_tid_counter = 0
    ds.tracker_data = {"unibench": results}
    with contextlib.redirect_stdout(io.StringIO()):
        ds._prepare_gt_annotations()
    metric = HOTA()
    per_seq: dict[str, dict[str, dict]] = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for seq in sequences:
            raw = ds.get_raw_seq_data("unibench", seq)
            per_seq[seq] = {
                c: metric.eval_sequence(ds.get_preprocessed_seq_data(raw, c)) for c in ds.class_list
            }
        per_class = {
            c: metric.combine_sequences({s: per_seq[s][c] for s in sequences})
            for c in ds.class_list
        }
        combined = metric.combine_classes_class_averaged(per_class)

    def flat(r: dict) -> dict[str, float]:
        return {k: float(np.mean(r[k])) for k in ("HOTA", "DetA", "AssA")}

    rows = {}
    for seq in sequences:
        vid = ds.seq_name_to_seq_id[seq]
        present = {a["category_id"] for a in ds.gt_data["annotations"] if a["video_id"] == vid}
        present |= {r["category_id"] for r in results if r["video_id"] == vid}
        names = [c for c in ds.class_list if ds.class_name_to_class_id[c] in present]
        rows[seq] = (
            flat(metric.combine_classes_class_averaged({c: per_seq[seq][c] for c in names}))
            if names
            else {"HOTA": float("nan"), "DetA": float("nan"), "AssA": float("nan")}
        )
    return flat(combined), rows
