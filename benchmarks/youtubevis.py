"""Video instance segmentation: YouTube-VIS 2019 / 2021 and OVIS.

Layouts (the official releases):

* YouTube-VIS 2019: ``<root>/<split>/JPEGImages/<video>/<frame>.jpg`` and ``<root>/<split>.json``;
* YouTube-VIS 2021: ``<root>/<split>/JPEGImages/<video>/<frame>.jpg`` and
  ``<root>/<split>/instances.json``;
* OVIS: ``<root>/<split>/<video>/img_0000001.jpg`` and ``<root>/annotations_<split>.json``.

The json holds ``videos`` (``id``, ``width``, ``height``, ``length``, ``file_names`` relative to the
image folder: ``<video>/<frame>.jpg``), ``categories`` and, where ground truth is public,
``annotations``: one per object track (``video_id``, ``category_id``, ``segmentations``: per frame
a polygon list, an RLE or null; ``areas``; ``iscrowd``). The frames of a sequence are exactly the
video's ``file_names`` (YouTube-VIS annotates every 5th frame of a 30 fps video). The option
``annotations=PATH`` reads another json of the same layout over the same images: the usual local
validation on a held-out part of ``train`` (the server's ``valid`` has no public ground truth).

Observations (``--detections DIR``, one ``<video>.json`` per video; a detector's masks): either the
VIS results layout (a list of ``{video_id, category_id, score, segmentations}``, one RLE or null per
frame; every non-null frame becomes a detection with the entry's score and category) or COCO-style
per-frame results (a list of ``{frame | file_name, category_id, score, segmentation}``, ``frame``
the 0-based index in ``file_names``). Masks are compressed or uncompressed RLE of the frame's size.

Results: ``<out>/<video>.json``, the VIS results entries of that video in the submission layout
(``video_id``, ``category_id``, ``score``, ``segmentations``: compressed RLE with a string
``counts`` or null for every frame). A track's category and score come from its per-frame
detections (``vote``: ``score-weighted``, the category with the highest summed detection score, or
``majority``, the most frequent, as MaskTrack R-CNN's ``results2json_videoseg`` (``np.bincount``
arg-max, ties to the smaller id); the score is the mean detection score in both, as there).
``unibench package --benchmark youtubevis-2019`` (or -2021, ovis) zips ``results.json`` for the
CodaLab servers. Scoring: video AP/AR and TrackEval HOTA (:mod:`unibench.benchmarks.scorers.vis`).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from unibench.benchmarks.base import (
    FileResults,
    check_produced,
    clip_meta,
    frame_clip,
    parse_options,
    register_benchmark,
    unreadable,
    with_identity_switches,
)
from unibench.benchmarks.data.folders import DataLayout, Obtain, Variant
from unibench.benchmarks.formats.jsonfiles import write_json
from unibench.benchmarks.formats.rle import mask_observations
from unibench.benchmarks.scorers import vis as vis_metrics

from unibench.datatypes import (
    Drawn,
    FrameView,
    MetricTable,
    SequenceView,
    TrackFramePrediction,
    VideoSequence,
)
from unibench.errors import ConfigError, DataError
from unibench.io import atomic_zip, image_size, read_json, read_rgb
from unibench.paths import safe_name

logger = logging.getLogger(__name__)

VOTES = ("score-weighted", "majority")


@dataclass(frozen=True)
class VISOptions:
    """Options of the VIS benchmarks (``benchmark.options.*`` / ``--option K=V``)."""

    vote: str = "score-weighted"  # a track's category: score-weighted | majority
    annotations: str | None = None  # another json over the split's images (held-out ground truth)

    def __post_init__(self) -> None:
        if self.vote not in VOTES:
            raise ConfigError(f"vis option vote={self.vote!r}: expected one of {', '.join(VOTES)}")


def _stem_rate(names: list[str]) -> float:
    """Frames per second implied by numbered frame names of a 30 fps video (every 5th: 6 fps)."""
    nums = [re.findall(r"\d+", Path(n).stem) for n in names]
    if len(names) < 2 or not all(nums):
        return 30.0
    steps = np.diff([int(n[-1]) for n in nums])
    step = float(np.median(steps)) if len(steps) else 1.0
    return 30.0 / step if step >= 1 else 30.0


class VISBenchmark(FileResults):
    toolkit = "YouTube-VIS's cocoapi (video AP/AR) and TrackEval's YouTubeVIS class (HOTA)"
    checked_by = (
        "tests/benchmarks/test_vis_metrics.py::test_one_frame_videos_equal_pycocotools_image_ap",
        "tests/benchmarks/test_vis_metrics.py::test_hota_bridge_equals_trackeval_run_from_disk",
    )
    Options = VISOptions
    takes_detections = True
    head_defaults = {"vis": {"class_gate": True}}  # a track keeps one category
    """One VIS dataset split: videos and (where public) ground-truth tracks from its json."""

    tasks = ("vis",)

    def __init__(
        self,
        json_path: Path,
        image_root: Path,
        split: str,
        sequences=None,
        detections=None,
        name: str = "youtubevis",
        options: VISOptions | None = None,
    ) -> None:
        self.options = self.scoring_options(options)
        self.json_path = Path(self.options.annotations or json_path)
        self.image_root = Path(image_root)
        self.root = self.image_root
        self.split = split
        self.name = name
        self.det_dir = Path(detections) if detections else None
        data = read_json(self.json_path, f"the {name} json (videos, categories[, annotations])")
        if not isinstance(data, dict) or not isinstance(data.get("videos"), list):
            raise DataError(f"{self.json_path}: expected an object with a 'videos' list")
        self.data = data
        self.categories = self._categories(data)
        self.videos: dict[str, dict] = {}
        for n, v in enumerate(data["videos"]):
            try:
                files = [str(f) for f in v["file_names"]]
                vid = {"id": int(v["id"]), "height": int(v["height"]), "width": int(v["width"])}
            except (KeyError, TypeError, ValueError):
                raise DataError(
                    f"{self.json_path}: videos[{n}]: expected id, height, width and file_names"
                ) from None
            if not files:
                raise DataError(f"{self.json_path}: video {vid['id']} lists no file_names")
            seq = files[0].split("/")[0]
            safe_name(seq, "video", str(self.json_path), DataError)
            if any(f.split("/")[0] != seq for f in files):
                raise DataError(
                    f"{self.json_path}: video {vid['id']}: file_names are not all in {seq}/"
                )
            if "length" in v and int(v["length"]) != len(files):
                raise DataError(
                    f"{self.json_path}: video {vid['id']}: length {v['length']} but "
                    f"{len(files)} file_names"
                )
            if seq in self.videos:
                raise DataError(f"{self.json_path}: two videos named {seq!r}")
            self.videos[seq] = {**vid, "file_names": files, "name": seq}
        self.by_id = {v["id"]: v for v in self.videos.values()}
        if len(self.by_id) != len(self.videos):
            raise DataError(f"{self.json_path}: duplicate video ids")
        self.has_gt = "annotations" in data
        self.gt = self._annotations(data) if self.has_gt else {}
        missing = [s for s in sequences or () if s not in self.videos]
        if missing:
            raise DataError(
                f"{self.json_path}: no video named {', '.join(missing)} (the json lists "
                f"{len(self.videos)} videos)"
            )
        self.select_sequences(sequences, self.json_path)

    def discover_sequences(self) -> list[str]:
        return sorted(self.videos)

    # ------------------------------------------------------------------------- the json
    def _categories(self, data: dict) -> dict[int, str]:
        try:
            cats = {int(c["id"]): str(c["name"]) for c in data["categories"]}
        except (KeyError, TypeError, ValueError):
            raise DataError(f"{self.json_path}: expected categories [{{id, name}}, …]") from None
        if not cats:
            raise DataError(f"{self.json_path}: no categories")
        return cats

    def _annotations(self, data: dict) -> dict[int, list[vis_metrics.VideoTrack]]:
        out: dict[int, list[vis_metrics.VideoTrack]] = {v: [] for v in self.by_id}
        seen: set[int] = set()
        for n, a in enumerate(data["annotations"]):
            where = f"{self.json_path}: annotations[{n}]"
            try:
                aid, vid, cat = int(a["id"]), int(a["video_id"]), int(a["category_id"])
                segs = a["segmentations"]
            except (KeyError, TypeError, ValueError):
                raise DataError(
                    f"{where}: expected id, video_id, category_id and segmentations"
                ) from None
            if aid in seen:
                raise DataError(f"{where}: duplicate annotation id {aid}")
            seen.add(aid)
            if vid not in self.by_id:
                raise DataError(f"{where}: video_id {vid} is not a video of the json")
            if cat not in self.categories:
                raise DataError(f"{where}: category_id {cat} is not among the categories")
            v = self.by_id[vid]
            if not isinstance(segs, list) or len(segs) != len(v["file_names"]):
                raise DataError(
                    f"{where}: {len(segs) if isinstance(segs, list) else 'no'} segmentations "
                    f"for the video's {len(v['file_names'])} frames"
                )
            rles = tuple(self._rle(s, v, f"{where} frame {t}") for t, s in enumerate(segs))
            area = None
            if isinstance(a.get("areas"), list):
                if len(a["areas"]) != len(segs):
                    raise DataError(f"{where}: {len(a['areas'])} areas for {len(segs)} frames")
                areas = [float(x) for x in a["areas"] if x]
                area = float(np.mean(areas)) if areas else 0.0  # ytvoseval's avg_area
            out[vid].append(
                vis_metrics.VideoTrack(
                    vid, cat, rles, iscrowd=int(a.get("iscrowd", 0) or 0), area=area
                )
            )
        return out

    def _rle(self, seg, video: dict, where: str) -> dict | None:
        try:
            rle = vis_metrics.to_rle(seg, video["height"], video["width"])
        except (ValueError, TypeError, KeyError) as exc:
            raise DataError(f"{where}: {exc}") from None
        if rle is not None and tuple(rle["size"]) != (video["height"], video["width"]):
            raise DataError(
                f"{where}: mask size {tuple(rle['size'])}, video size "
                f"{(video['height'], video['width'])}"
            )
        return rle

    # ------------------------------------------------------------------------- the contract
    def frames(self, name: str) -> list[Path]:
        v = self.videos[name]
        paths = [self.image_root / f for f in v["file_names"]]
        missing = [p for p in paths if not p.is_file()]
        if missing:
            raise DataError(
                f"{name}: {len(missing)} of {len(paths)} frames listed in {self.json_path} are "
                f"missing, first {missing[0]}"
            )
        return paths

    def det_file(self, name: str) -> Path:
        if self.det_dir is None:
            raise DataError(
                f"{self.name}: VIS needs per-frame instance detections (masks, scores, classes); "
                "pass --detections DIR with <video>.json files"
            )
        return self.det_dir / f"{name}.json"

    def read_detections(self, name: str) -> list[list[tuple[dict, float, int]]]:
        """Per frame: (RLE, score, category) of each detection, from either accepted layout."""
        v = self.videos[name]
        n = len(v["file_names"])
        path = self.det_file(name)
        entries = read_json(path, "a list of VIS results or COCO-style per-frame detections")
        if not isinstance(entries, list):
            raise DataError(f"{path}: expected a JSON list of detections")
        index = {f: i for i, f in enumerate(v["file_names"])}
        index.update({Path(f).name: i for i, f in enumerate(v["file_names"])})
        per: list[list[tuple[dict, float, int]]] = [[] for _ in range(n)]
        for k, e in enumerate(entries):
            where = f"{path}: entry {k}"
            if not isinstance(e, dict):
                raise DataError(f"{where}: expected an object")
            try:
                score, cat = float(e["score"]), int(e["category_id"])
            except (KeyError, TypeError, ValueError):
                raise DataError(f"{where}: expected a numeric score and category_id") from None
            if not math.isfinite(score):
                raise DataError(f"{where}: score {score} is not finite")
            if cat not in self.categories:
                raise DataError(f"{where}: category_id {cat} is not among the categories")
            if "segmentations" in e:  # VIS results layout: a track of per-frame masks
                if "video_id" in e and int(e["video_id"]) != v["id"]:
                    raise DataError(f"{where}: video_id {e['video_id']}, this video is {v['id']}")
                segs = e["segmentations"]
                if not isinstance(segs, list) or len(segs) != n:
                    raise DataError(
                        f"{where}: expected {n} segmentations (one per frame, null where absent)"
                    )
                for t, s in enumerate(segs):
                    rle = self._rle(s, v, f"{where} frame {t}")
                    if rle is not None:
                        per[t].append((rle, score, cat))
            elif "segmentation" in e:  # COCO-style, one frame
                if "frame" in e:
                    t = e["frame"]
                    if not isinstance(t, int) or not 0 <= t < n:
                        raise DataError(f"{where}: frame {t!r} outside the video's {n} frames")
                elif e.get("file_name") in index:
                    t = index[e["file_name"]]
                else:
                    raise DataError(
                        f"{where}: a per-frame detection needs 'frame' (0-based) or a "
                        "'file_name' of the video"
                    )
                rle = self._rle(e["segmentation"], v, f"{where}")
                if rle is not None:
                    per[t].append((rle, score, cat))
            else:
                raise DataError(f"{where}: expected 'segmentations' (VIS) or 'segmentation'")
        return per

    def check_sequence(self, name: str) -> int:
        """The data's fast check: the frames the json lists exist, at the json's size; the
        detections (the head's input, not part of the benchmark) only where a folder was given."""
        frames, _ = self._sized_frames(name)
        if self.det_dir is not None:
            self.read_detections(name)
        return len(frames)

    def _sized_frames(self, name: str) -> tuple[list[Path], tuple[int, int]]:
        """The frames the json lists, and their size, which must be the json's."""
        frames = self.frames(name)
        v = self.videos[name]
        size = image_size(frames[0])
        if size != (v["height"], v["width"]):
            raise DataError(
                f"{frames[0]}: frame size {size}, the json says {(v['height'], v['width'])}"
            )
        return frames, size

    def check_run_inputs(self, name: str) -> None:
        path = self.det_file(name)  # no detection folder given: the one clear line
        if not path.is_file():
            raise DataError(f"missing detections {path}: expected {name}'s <video>.json")

    def decode_all(self, name: str) -> list[str]:
        return unreadable(self.frames(name), read_rgb)

    def load_sequence(self, name: str) -> VideoSequence:
        frames, size = self._sized_frames(name)
        v = self.videos[name]
        clip = frame_clip(frames, size)
        return VideoSequence(
            name,
            clip,
            mask_observations(self.read_detections(name)),
            {
                "frame_rate": _stem_rate(v["file_names"]),
                "video_id": v["id"],
                **clip_meta(self.name, name, frames=frames),
            },
        )

    result_suffix = ".json"  # one result file per sequence

    def write_predictions(
        self, seq: VideoSequence, preds: Iterable[TrackFramePrediction], out: Path
    ) -> int:
        entries = tracks_to_results(
            preds, len(seq.clip), self.videos[seq.name]["id"], self.options.vote, seq.name
        )
        write_json(out, entries)
        return len(seq.clip)

    def read_results(self, pred_dir: Path, name: str) -> list[dict]:
        """A video's results file, checked: its video id, categories and frame count."""
        path = self.result_path(pred_dir, name)
        v = self.videos[name]
        entries = read_json(path, "VIS results (a list of {video_id, category_id, score, …})")
        if not isinstance(entries, list):
            raise DataError(f"{path}: expected a JSON list")
        for k, e in enumerate(entries):
            where = f"{path}: entry {k}"
            try:
                ok = (
                    int(e["video_id"]) == v["id"]
                    and int(e["category_id"]) in self.categories
                    and math.isfinite(float(e["score"]))
                    and len(e["segmentations"]) == len(v["file_names"])
                )
            except (KeyError, TypeError, ValueError):
                ok = False
            if not ok:
                raise DataError(
                    f"{where}: expected video_id {v['id']}, a known category_id, a finite score "
                    f"and {len(v['file_names'])} segmentations"
                )
        return entries

    def view(self, pred_dir: Path, name: str) -> SequenceView:
        """The run's video-level instances over the frames (one colour per instance, class and
        score in its label), the ground-truth instances' boxes thin where the json has them,
        identity switches marked, the share of ground truth tracked per frame."""
        from pycocotools import mask as mask_utils

        v = self.videos[name]
        entries = self.read_results(pred_dir, name)
        n = len(v["file_names"])

        def at(seg, t: int, where: str):
            rle = self._rle(seg, v, where) if seg is not None else None
            if rle is None or not mask_utils.area(rle):
                return None
            return rle

        frames = []
        for t in range(n):
            objs, gts = [], []
            for k, e in enumerate(entries):
                rle = at(e["segmentations"][t], t, f"entry {k}, frame {t}")
                if rle is not None:
                    cat = self.categories[int(e["category_id"])]
                    objs.append(Drawn(k + 1, tuple(map(float, mask_utils.toBbox(rle))),
                                      mask_utils.decode(rle).astype(bool),
                                      text=f"{cat} {float(e['score']):.2f}"))  # fmt: skip
            for k, tr in enumerate(self.gt.get(v["id"], [])):
                seg = tr.segmentations[t] if t < len(tr.segmentations) else None
                if seg is not None and mask_utils.area(seg):
                    gts.append(Drawn(k + 1, tuple(map(float, mask_utils.toBbox(seg)))))
            frames.append(FrameView(objects=tuple(objs), gt_objects=tuple(gts)))
        frames = with_identity_switches(frames)
        scored = [f.score for f in frames if f.score is not None]
        return SequenceView(
            name, tuple(frames), "recall", float(np.mean(scored)) if scored else None, trail=True
        )

    def evaluate(self, pred_dir: Path, sequences=None, progress: bool = False) -> MetricTable:
        names = list(sequences or self._names)
        if not self.has_gt:
            raise DataError(
                f"{self.json_path} has no annotations (no public ground truth for split "
                f"{self.split!r}): package the results with 'unibench package --benchmark "
                f"{self.name}' for the server, or score a held-out part with "
                "--option annotations=FILE"
            )
        gt, dt, results = [], [], []
        rows = []
        for name in names:
            v = self.videos[name]
            entries = self.read_results(pred_dir, name)
            results += entries
            gt += self.gt[v["id"]]
            for e in entries:
                rles = tuple(self._rle(s, v, f"{name} result") for s in e["segmentations"])
                dt.append(
                    vis_metrics.VideoTrack(v["id"], int(e["category_id"]), rles, float(e["score"]))
                )
            rows.append(
                {"sequence": name, "GT tracks": len(self.gt[v["id"]]), "tracks": len(entries)}
            )
        vids = [self.videos[n]["id"] for n in names]
        summary, _ = vis_metrics.video_ap(gt, dt, vids, sorted(self.categories))
        hota, per_seq = vis_metrics.trackeval_hota(self._gt_json(names), results, names)
        summary.update(hota)
        for r in rows:
            r.update(per_seq[r["sequence"]])
        # AP/AR are figures of the whole set (no per-video value): the summary row only
        cols = [
            "sequence",
            "AP",
            "AP50",
            "AP75",
            "AR10",
            "HOTA",
            "DetA",
            "AssA",
            "GT tracks",
            "tracks",
        ]
        return MetricTable(
            cols,
            rows,
            summary,
            protocol="video AP/AR: pycocotools COCOeval with ytvoseval.py's spatio-temporal mask "
            "IoU and track areas; HOTA: TrackEval YouTubeVIS, class-averaged",
        )

    def _gt_json(self, names: list[str]) -> dict:
        ids = {self.videos[n]["id"] for n in names}
        return {
            "videos": [v for v in self.data["videos"] if int(v["id"]) in ids],
            "categories": self.data["categories"],
            "annotations": [a for a in self.data["annotations"] if int(a["video_id"]) in ids],
        }

    def package(self, pred_dir: Path, out_zip: Path) -> Path:
        """``results.json`` (every video's entries, in video order) zipped for the server."""
        entries = []
        for name in self._names:
            entries += self.read_results(Path(pred_dir), name)
        with atomic_zip(Path(out_zip), Path(pred_dir)) as add:
            add(json.dumps(entries).encode(), "results.json")
        return Path(out_zip)


def vote_category(classes: list[int], scores: list[float], vote: str) -> int:
    """A track's category from its detections: ``score-weighted`` (highest summed score) or
    ``majority`` (most frequent); ties go to the smaller category id (np.bincount's arg-max)."""
    cats = np.asarray(classes, int)
    w = np.asarray(scores, float) if vote == "score-weighted" else np.ones(len(cats))
    uniq = np.unique(cats)
    totals = np.array([w[cats == c].sum() for c in uniq])
    return int(uniq[int(np.argmax(totals))])


def tracks_to_results(
    preds: Iterable[TrackFramePrediction], n_frames: int, video_id: int, vote: str, name: str
) -> list[dict]:
    """Per-frame track outputs → VIS results entries (one per track id, ordered by id)."""
    tracks: dict[int, dict] = {}
    n = 0
    for p in preds:
        n += 1
        if p.masks is None or p.classes is None:
            raise DataError(f"{name}: the head gave no masks or classes (VIS needs both)")
        for i, m, s, c in zip(p.ids, p.masks, p.scores, p.classes, strict=True):
            tr = tracks.setdefault(int(i), {"segs": [None] * n_frames, "scores": [], "cats": []})
            if not 0 <= p.index < n_frames:
                raise DataError(f"{name}: frame index {p.index} outside {n_frames} frames")
            counts = m["counts"].decode() if isinstance(m["counts"], bytes) else m["counts"]
            tr["segs"][p.index] = {"size": [int(x) for x in m["size"]], "counts": counts}
            tr["scores"].append(float(s))
            tr["cats"].append(int(c))
    check_produced(name, n, n_frames)
    return [
        {
            "video_id": int(video_id),
            "category_id": vote_category(t["cats"], t["scores"], vote),
            "score": float(np.mean(t["scores"])),
            "segmentations": t["segs"],
        }
        for _, t in sorted(tracks.items())
    ]


# ----------------------------------------------------------------------------- registration
def _layout(name: str, root: Path, split: str) -> tuple[Path, Path]:
    """(json, image folder) of each dataset's official layout."""
    if name == "ovis":
        return root / f"annotations_{split}.json", root / split
    if name == "youtubevis-2019":
        return root / f"{split}.json", root / split / "JPEGImages"
    return root / split / "instances.json", root / split / "JPEGImages"


def _factory(name: str, default_split: str):
    def build(data_root, split, sequences, detections=None, options=None):
        split = split or default_split
        json_path, images = _layout(name, Path(data_root), split)
        opts = parse_options(VISOptions, options)
        if opts.annotations is None and not json_path.is_file():
            raise DataError(f"missing {json_path}: expected the {name} {split} json")
        return VISBenchmark(json_path, images, split, sequences, detections, name, opts)

    return build


_VIS_TREES = {
    "youtubevis-2019": (
        "valid.json",
        "valid/JPEGImages/<video>/00000.jpg …",
        ("*.json", "*/JPEGImages/*"),
    ),
    "youtubevis-2021": (
        "valid/instances.json",
        "valid/JPEGImages/<video>/00000.jpg …",
        ("*/instances.json", "*/JPEGImages/*"),
    ),
    "ovis": (
        "annotations_valid.json",
        "valid/<video>/img_0000001.jpg …",
        ("annotations_*.json", "*/*/img_*.jpg"),
    ),
}


def _vis_data(name: str) -> DataLayout:
    json_file, frames, markers = _VIS_TREES[name]
    return DataLayout(
        tree=f"{name}/\n├── {json_file}\n└── {frames}",
        variants=(
            Variant("official", markers, "the release's json and image folders"),
            Variant(
                "no-json", markers[1:], f"frames without {json_file}: download the annotations"
            ),
        ),
        obtain=Obtain(
            page="https://youtube-vos.org/dataset/vis/"
            if name != "ovis"
            else "https://songbai.site/ovis/",
            gate="registration (CodaLab)",
            steps=(
                f"register on the {name} CodaLab competition, then download the valid split's "
                "frames and json",
                f"unpack them so that DIR holds {json_file} and {frames.split('<')[0]}",
            ),
        ),
        unlisted=f"no citable list of {name}'s valid videos was found (the list ships in the "
        "registration-gated json); data check compares no sequence list",
        family="association",
    )


for _name in ("youtubevis-2019", "youtubevis-2021", "ovis"):
    register_benchmark(
        _name, _factory(_name, "valid"), VISBenchmark, data=_vis_data(_name),
        root="the folder holding the json and the frames",
    )  # fmt: skip
