"""MOTS: MOTSChallenge (MOTS20) and KITTI-MOTS, masks as COCO RLE in the MOTS text format.

Format (both benchmarks, space-separated): ``time_frame object_id class_id img_height img_width rle``
where ``rle`` is pycocotools' compressed RLE string; ``class_id`` 1 = car, 2 = pedestrian, 10 = ignore
region (not an object: unmatched tracker masks lying ≥ 50% inside it are removed before scoring);
``object_id = class_id × 1000 + instance``. Masks of one frame never overlap.

Layouts:

* MOTS20: ``<root>/<split>/MOTS20-XX/seqinfo.ini``, ``img1/000001.jpg``, ``gt/gt.txt``; frames
  1-based; a ``seqinfo.ini`` length that disagrees with the frames on disk is an error.
* KITTI-MOTS: ``<root>/instances_txt/<seq>.txt`` and ``<root>/training/image_02/<seq>/000000.png``
  (``testing/`` for the test split); frames 0-based; splits ``train``/``val`` are the official
  KITTI-MOTS split of the 21 training sequences.

Detections (the observations the tracker associates) are files in the same text format, one per
sequence: MOTS20's ``<seq>/det/det.txt`` where present, or ``<detections>/<seq>.txt`` (e.g. the
public Mask R-CNN detections of the MOTS tools); the object id is ignored and an optional 7th column
is the detection score (1.0 where absent). Results are written as ``<out>/<seq>.txt`` in the
format above; where masks of one frame overlap, the higher-scored track keeps the pixels (the format
forbids overlaps) and a mask left empty is dropped. Scoring: TrackEval's own MOTS preprocessing and
HOTA/CLEAR/Identity on mask IoU; ``sMOTSA`` is CLEAR's soft MOTA on masks, ``MOTSA`` its MOTA.
KITTI-MOTS scores car and pedestrian separately and reports their mean as the summary.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from unibench.benchmarks.base import (
    GroundTruthFile,
    SplitFolder,
    TextResults,
    clip_meta,
    frame_clip,
    iter_progress,
    register_benchmark,
    with_identity_switches,
)
from unibench.benchmarks.data.folders import Archive, DataLayout, Manifest, Obtain, Variant
from unibench.benchmarks.formats.motchallenge import read_seqinfo
from unibench.benchmarks.formats.mots import mots_line, read_mots_txt, row_rle
from unibench.benchmarks.formats.rle import mask_observations
from unibench.benchmarks.scorers import mot as mot_metrics

from unibench.datatypes import (
    Drawn,
    FrameView,
    MetricTable,
    SequenceView,
    TrackFramePrediction,
    VideoSequence,
)
from unibench.errors import DataError
from unibench.io import check_numbered, image_size, list_dirs, list_files, read_text

logger = logging.getLogger(__name__)

IGNORE_CLASS = 10
# KITTI-MOTS' splits of its 21 training sequences and its test sequences, as the official MOTS
# tools' seqmaps list them (manifests/kitti-mots-<split>.json: the one home of these lists)
KITTI_MOTS_SPLIT_NAMES = ("train", "val", "fulltrain", "test")


def kitti_mots_split(split: str) -> dict[str, int | None]:
    """Sequence -> frame count of a KITTI-MOTS split (its manifest)."""
    return Manifest.load(f"kitti-mots-{split}.json").sequences


def _by_frame(rows: list[tuple], n_frames: int, offset: int, path: Path) -> list[list[tuple]]:
    out: list[list[tuple]] = [[] for _ in range(n_frames)]
    for r in rows:
        t = r[0] - offset
        if not 0 <= t < n_frames:
            raise DataError(
                f"{path}: frame {r[0]} outside the sequence's {n_frames} frames "
                f"(frames are {offset}-based)"
            )
        out[t].append(r)
    return out


def check_masks(masks: list[dict], size: tuple[int, int], where: str) -> None:
    """Sizes equal the frame's and no two masks overlap (the MOTS format's rule)."""
    from pycocotools import mask as mask_utils

    for m in masks:
        if tuple(m["size"]) != tuple(size):
            raise DataError(f"{where}: mask size {tuple(m['size'])}, frame size {tuple(size)}")
    if len(masks) > 1:
        merged = masks[0]
        for m in masks[1:]:
            if mask_utils.area(mask_utils.merge([merged, m], intersect=True)) > 0:
                raise DataError(f"{where}: masks overlap (the MOTS format forbids it)")
            merged = mask_utils.merge([merged, m], intersect=False)


def resolve_overlaps(masks: list[dict], scores: np.ndarray) -> list[dict | None]:
    """Higher score keeps overlapping pixels; masks left empty become None."""
    from pycocotools import mask as mask_utils

    if not masks:
        return []
    dec = mask_utils.decode(masks).astype(bool)  # H×W×N
    taken = np.zeros(dec.shape[:2], bool)
    out: list[dict | None] = [None] * len(masks)
    for i in np.argsort(-np.asarray(scores), kind="stable"):
        m = dec[..., i] & ~taken
        taken |= m
        if m.any():
            enc = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
            out[i] = {"size": list(enc["size"]), "counts": enc["counts"]}
    return out


class MOTSBase(GroundTruthFile, TextResults):
    toolkit = "TrackEval's MOTSChallenge / KittiMOTS classes (HOTA, CLEAR with sMOTSA, Identity)"
    checked_by = (
        "tests/benchmarks/test_mots.py::test_smotsa_hand_case_with_switch_soft_tp_and_ignore_region",
    )
    takes_detections = True
    """What MOTS20 and KITTI-MOTS share; subclasses say where things are."""

    tasks = ("mots",)
    offset = 1  # first frame number in the text files
    classes: dict[str, int] = {"pedestrian": 2}
    default_class = 2
    trackeval_dataset = "MOTSChallenge"

    def __init__(self, root, split, sequences, detections=None, name="mots"):
        self.root = Path(root)
        self.split = split
        self.name = name
        self.det_dir = Path(detections) if detections else None
        self.select_sequences(sequences)

    # ---------------------------------------------------------------- layout (subclasses)

    def frames(self, name: str) -> tuple[list[Path], dict]:
        raise NotImplementedError

    def gt_file(self, name: str) -> Path:
        raise NotImplementedError

    def det_file(self, name: str) -> Path:
        if self.det_dir is None:
            raise DataError(f"{self.name}: no public detections; pass --detections DIR")
        return self.det_dir / f"{name}.txt"

    def n_frames(self, name: str) -> int:
        """The sequence length, from the layout (no frames are read)."""
        raise NotImplementedError

    def ground_truth_file(self, name: str) -> Path:
        return self.gt_file(name)

    def read_ground_truth(self, path: Path) -> list:
        return read_mots_txt(path)

    # ---------------------------------------------------------------- the benchmark contract
    def load_sequence(self, name: str) -> VideoSequence:

        frames, info = self.frames(name)
        size = image_size(frames[0])
        path = self.det_file(name)
        rows = _by_frame(read_mots_txt(path, scores=True), len(frames), self.offset, path)
        dets = []
        for t, rs in enumerate(rows):
            frame = [(row_rle(r), r[6], r[2]) for r in rs if r[2] != IGNORE_CLASS]
            for m, _, _ in frame:
                if tuple(m["size"]) != size:
                    raise DataError(
                        f"{path}: frame {t + self.offset}: mask size {tuple(m['size'])}, "
                        f"frame size {size}"
                    )
            dets.append(frame)
        clip = frame_clip(frames, size)
        return VideoSequence(
            name,
            clip,
            mask_observations(dets),
            {
                "frame_rate": float(info.get("framerate", 30)),
                **clip_meta(self.name, name, frames=frames),
            },
        )

    def result_lines(self, seq: VideoSequence, p: TrackFramePrediction) -> list[str]:
        """One frame's masks; where they overlap, the higher-scored track keeps the pixels (the
        format forbids overlaps) and a mask left empty is dropped."""
        if p.masks is None:
            raise DataError(f"{seq.name}: the head gave no masks (MOTS needs mask outputs)")
        cls = p.classes if p.classes is not None else np.full(len(p.ids), self.default_class)
        return [
            mots_line(p.index + self.offset, int(c) * 1000 + int(i), int(c), m["size"], m["counts"])
            for i, m, c in zip(p.ids, resolve_overlaps(p.masks, p.scores), cls, strict=True)
            if m is not None
        ]

    def view(self, pred_dir: Path, name: str) -> SequenceView:
        """The run's masks over the frames (one colour per track), the ground truth's boxes thin
        where the split has it, identity switches marked, the share of ground truth tracked."""
        from pycocotools import mask as mask_utils

        n = self.n_frames(name)
        path = self.result_path(pred_dir, name)
        res = _by_frame(read_mots_txt(path), n, self.offset, path)
        gf = self.gt_file(name)
        gt = _by_frame(self.ground_truth_rows(name), n, self.offset, gf) if gf.is_file() else None
        names = {v: k for k, v in self.classes.items()}

        def drawn(rows, masks: bool) -> tuple[Drawn, ...]:
            out = []
            for r in rows:
                if r[2] == IGNORE_CLASS:
                    continue
                rle = row_rle(r)
                box = tuple(float(v) for v in mask_utils.toBbox(rle))
                m = mask_utils.decode(rle).astype(bool) if masks else None
                out.append(Drawn(int(r[1]), box, m, text=f"{names.get(r[2], r[2])} {r[1] % 1000}"))
            return tuple(out)

        frames = [
            FrameView(objects=drawn(res[t], True), gt_objects=drawn(gt[t], False) if gt else ())
            for t in range(n)
        ]
        frames = with_identity_switches(frames)
        scored = [f.score for f in frames if f.score is not None]
        return SequenceView(
            name, tuple(frames), "recall", float(np.mean(scored)) if scored else None, trail=True
        )

    def _raw(self, name: str, pred_file: Path) -> dict:
        """TrackEval's raw MOTS data of one sequence, with its load-time checks."""
        from pycocotools import mask as mask_utils
        from trackeval.datasets._base_dataset import _BaseDataset

        n = self.n_frames(name)
        gpath = self.gt_file(name)
        gt = _by_frame(self.ground_truth_rows(name), n, self.offset, gpath)
        res = _by_frame(read_mots_txt(pred_file), n, self.offset, pred_file)
        raw: dict = {"num_timesteps": n, "seq": name}
        for k in ("gt_ids", "gt_classes", "gt_dets", "gt_ignore_region", "tracker_ids"):
            raw[k] = [None] * n
        for k in ("tracker_classes", "tracker_dets", "similarity_scores"):
            raw[k] = [None] * n
        for t in range(n):
            g = [r for r in gt[t] if r[2] != IGNORE_CLASS]
            ign = [row_rle(r) for r in gt[t] if r[2] == IGNORE_CLASS]
            r = res[t]
            raw["gt_ids"][t] = np.array([x[1] for x in g], int)
            raw["gt_classes"][t] = np.array([x[2] for x in g], int)
            raw["gt_dets"][t] = [row_rle(x) for x in g]
            raw["gt_ignore_region"][t] = mask_utils.merge(ign, intersect=False)
            raw["tracker_ids"][t] = np.array([x[1] for x in r], int)
            raw["tracker_classes"][t] = np.array([x[2] for x in r], int)
            raw["tracker_dets"][t] = [row_rle(x) for x in r]
            where = f"frame {t + self.offset}"
            size = tuple(g[0][3:5]) if g else tuple(r[0][3:5]) if r else None
            if size is not None:
                check_masks(raw["gt_dets"][t] + ign, size, f"{gpath}: {where}")
                check_masks(raw["tracker_dets"][t], size, f"{pred_file}: {where}")
            raw["similarity_scores"][t] = _BaseDataset._calculate_mask_ious(
                raw["gt_dets"][t], raw["tracker_dets"][t], is_encoded=True, do_ioa=False
            )
        return raw

    def _dataset(self):
        import trackeval.datasets as D

        cls = getattr(D, self.trackeval_dataset)
        ds = cls.__new__(cls)
        ds.class_name_to_class_id = {k: str(v) for k, v in self.classes.items()} | {
            "ignore": str(IGNORE_CLASS)
        }
        return ds

    def evaluate(self, pred_dir: Path, sequences=None, progress: bool = False) -> MetricTable:
        from trackeval.utils import TrackEvalException

        names = list(sequences or self._names)
        ds = self._dataset()
        per_class: dict[str, dict[str, dict]] = {c: {} for c in self.classes}
        for name in iter_progress(names, "evaluate", progress):
            pred_file = self.result_path(pred_dir, name)
            raw = self._raw(name, pred_file)
            for c in self.classes:
                try:
                    per_class[c][name] = ds.get_preprocessed_seq_data(raw, c)
                except TrackEvalException as exc:
                    raise DataError(f"{pred_file}: {exc}") from None
        summaries, rows, by_class = {}, [], {}
        for c, data in per_class.items():
            by_class[c] = {}
            summary, per = mot_metrics.evaluate(data, by_class[c])
            summaries[c] = _mots_names(summary)
            for n, m in per.items():
                rows.append({"sequence": n, "class": c, **_mots_names(m)})
        if len(self.classes) == 1:
            summary = next(iter(summaries.values()))
        else:
            keys = next(iter(summaries.values())).keys()
            summary = {k: float(np.mean([s[k] for s in summaries.values()])) for k in keys}
            for c, s in summaries.items():
                summary.update({f"{c}/{k}": v for k, v in s.items()})
        cols = ["sequence", "class", "HOTA", "sMOTSA", "IDF1", "MOTSA", "IDs", "FP", "FN"]
        rows = [{k: r[k] for k in cols} for r in rows]
        return MetricTable(
            cols,
            rows,
            summary,
            protocol=f"TrackEval HOTA/CLEAR/Identity on mask IoU, {self.trackeval_dataset} "
            "preprocessing (ignore class 10); sMOTSA = CLEAR sMOTA",
            curves=mot_metrics.class_mean_curves(by_class),
        )


def _mots_names(m: dict[str, float]) -> dict[str, float]:
    out = dict(m)
    out["sMOTSA"] = out.pop("sMOTA")
    out["MOTSA"] = out.pop("MOTA")
    out["MOTSP"] = out.pop("MOTP")
    return out


class MOTS20(SplitFolder, MOTSBase):
    """MOTSChallenge / MOTS20 (pedestrians)."""

    def __init__(self, root, split=None, sequences=None, detections=None, name="mots20"):
        self.split = split or "train"
        self.dir = self.split_folder(Path(root), f"<root>/{self.split}/<seq>/")
        super().__init__(root, self.split, sequences, detections, name)

    def discover_sequences(self) -> list[str]:
        return [n for n in list_dirs(self.dir) if (self.dir / n / "seqinfo.ini").is_file()]

    def _info(self, name: str) -> dict:
        return read_seqinfo(self.dir / name / "seqinfo.ini")

    def n_frames(self, name: str) -> int:
        info = self._info(name)
        try:
            return int(info["seqlength"])
        except (KeyError, ValueError) as exc:
            raise DataError(f"{self.dir / name / 'seqinfo.ini'}: no integer seqLength") from exc

    def frames(self, name: str) -> tuple[list[Path], dict]:
        info = self._info(name)
        n = self.n_frames(name)
        img = self.dir / name / info.get("imdir", "img1")
        frames = check_numbered(list_files(img, f"*{info.get('imext', '.jpg')}"))
        if len(frames) != n:
            raise DataError(
                f"{self.dir / name}: seqinfo.ini says seqLength={n} but {img} holds "
                f"{len(frames)} frames"
            )
        return frames, info

    def gt_file(self, name: str) -> Path:
        return self.dir / name / "gt" / "gt.txt"

    def det_file(self, name: str) -> Path:
        if self.det_dir is not None:
            return self.det_dir / f"{name}.txt"
        f = self.dir / name / "det" / "det.txt"
        if not f.is_file():
            raise DataError(
                f"missing {f}: MOTS20 needs mask detections in the MOTS text format; "
                "pass --detections DIR with <sequence>.txt files"
            )
        return f


class KittiMOTS(MOTSBase):
    head_defaults = {"mots": {"class_gate": True}}  # cars and pedestrians
    """KITTI-MOTS (cars and pedestrians, scored separately; the class gate is on by default)."""

    offset = 0
    classes = {"car": 1, "pedestrian": 2}
    default_class = 1
    trackeval_dataset = "KittiMOTS"

    def __init__(self, root, split=None, sequences=None, detections=None, name="kitti-mots"):
        split = split or "val"
        if split not in KITTI_MOTS_SPLIT_NAMES:
            raise DataError(
                f"kitti-mots split {split!r}: expected {', '.join(KITTI_MOTS_SPLIT_NAMES)}"
            )
        self.img_root = Path(root) / ("testing" if split == "test" else "training") / "image_02"
        if not self.img_root.is_dir() and not (Path(root) / "instances_txt").is_dir():
            raise DataError(
                f"{root}: expected KITTI-MOTS' instances_txt/ and training/image_02/ folders"
            )
        super().__init__(root, split, sequences, detections, name)

    def discover_sequences(self) -> list[str]:
        if self.split == "test":  # the folder is the split
            return list_dirs(self.img_root)
        return list(kitti_mots_split(self.split))  # subsets of training/: the official seqmaps

    def frames(self, name: str) -> tuple[list[Path], dict]:
        d = self.img_root / name
        frames = check_numbered(list_files(d, "*.png"))
        if not frames:
            raise DataError(f"{d}: no frames (expected 000000.png, …)")
        if [int(f.stem) for f in frames] != list(range(len(frames))):
            raise DataError(f"{d}: frames are not numbered 0…{len(frames) - 1} without gaps")
        return frames, {"framerate": 10}

    def n_frames(self, name: str) -> int:
        """Frames on disk, else the devkit's seqmap (``<root>/<split>.seqmap``: ``seq empty first
        last``), else the split's manifest (the official seqmaps), so that scoring needs no
        frames."""
        d = self.img_root / name
        if d.is_dir():
            return len(self.frames(name)[0])
        seqmap = self.root / f"{self.split}.seqmap"
        if seqmap.is_file():
            for n, line in enumerate(read_text(seqmap).splitlines(), 1):
                parts = line.split()
                if parts and parts[0] == name:
                    if len(parts) != 4 or not parts[3].isdigit():
                        raise DataError(f"{seqmap}:{n}: expected 'seq empty first last'")
                    return int(parts[3]) + 1
        known = kitti_mots_split(self.split).get(name)
        if known is not None:
            return known
        raise DataError(
            f"kitti-mots {name}: no frames in {d}, no line for it in {seqmap} and not in the "
            f"{self.split} split's manifest; the sequence length comes from one of them"
        )

    def gt_file(self, name: str) -> Path:
        return self.root / "instances_txt" / f"{name}.txt"


register_benchmark(
    "mots20",
    MOTS20,
    MOTS20,
    data=DataLayout(
        tree="""\
MOTS/
├── train/MOTS20-XX/ (seqinfo.ini, img1/000001.jpg …, gt/gt.txt)
└── test/MOTS20-XX/  (seqinfo.ini, img1/)""",
        variants=(
            Variant("official", ("*/*/seqinfo.ini", "*/*/img1"), "split folders"),
            Variant(
                "nested",
                ("MOTS/*/*/seqinfo.ini",),
                "the archive's MOTS/ folder one level down: pass --data-root DIR/MOTS",
            ),
        ),
        obtain=Obtain(
            page="https://motchallenge.net/data/MOTS/",
            archives=(Archive("MOTS.zip", "https://motchallenge.net/data/MOTS.zip", strip=1),),
        ),
        manifests={"train": "mots20-train.json", "test": "mots20-test.json"},
        family="association",
    ),
    root="the folder holding train/ and test/",
)


KITTI_MOTS_DATA = DataLayout(
    tree="""\
KITTI-MOTS/
├── instances_txt/0000.txt …         (the MOTS annotations, train and val sequences)
├── training/image_02/0000/000000.png …
└── testing/image_02/…""",
    variants=(
        Variant(
            "official",
            ("instances_txt/*.txt", "training/image_02/*"),
            "KITTI tracking images + instances_txt",
        ),
        Variant(
            "images-only",
            ("training/image_02/*",),
            "KITTI's tracking images without the MOTS annotations: add instances_txt/",
        ),
    ),
    obtain=Obtain(
        page="https://www.vision.rwth-aachen.de/page/mots",
        gate="registration (KITTI)",
        steps=(
            "register at cvlibs.net and download the KITTI tracking benchmark's left colour images "
            "(data_tracking_image_2.zip); unpack its training/ and testing/ into DIR",
            "download instances_txt.zip from the MOTS page and unpack it as DIR/instances_txt",
        ),
    ),
    manifests={s: f"kitti-mots-{s}.json" for s in KITTI_MOTS_SPLIT_NAMES},
    family="association",
)
register_benchmark(
    "kitti-mots", KittiMOTS, data=KITTI_MOTS_DATA,
    root="holding instances_txt/ and KITTI tracking's training/, testing/",
)  # fmt: skip
