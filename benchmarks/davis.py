"""DAVIS-2016 and DAVIS-2017 (semi-supervised VOS).

Layout (official): ``JPEGImages/<res>/<seq>/<frame>.jpg``, ``Annotations/<res>/<seq>/<frame>.png``,
``ImageSets/<year>/<split>.txt`` (one sequence per line; the DAVIS-2016 package's
``ImageSets/480p/<split>.txt`` with ``/JPEGImages/…jpg /Annotations/…png`` pairs is read too). Without
an ImageSets file the sequences are the folders of ``JPEGImages/<res>`` (annotation-only folders are
reported in the log, not scored).

Masks: palette PNGs (mode ``P``, DAVIS-2017: value = object id, 255 = void) and binary PNGs (mode
``L`` with values {0, 255}, DAVIS-2016: 255 = the object). ``davis2016`` merges every object id of a
palette mask into one object (void 255 → background). Void is set to background, as the official
semi-supervised evaluation does. Predictions are written as palette PNGs named like the frames, in
``<out>/<seq>/``, the layout the official ``davis2017-evaluation`` reads.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image
from unibench.benchmarks.base import (
    BenchmarkBase,
    check_produced,
    clip_meta,
    frame_clip,
    iter_progress,
    register_benchmark,
    unreadable,
)
from unibench.benchmarks.data.folders import Archive, DataLayout, Obtain, Variant
from unibench.benchmarks.formats.palette import read_label_map, write_palette_png
from unibench.benchmarks.scorers import vos as vos_metrics

from unibench.datatypes import (
    FrameView,
    MaskInit,
    MetricTable,
    SequenceView,
    VideoSequence,
    VOSFramePrediction,
)
from unibench.errors import DataError
from unibench.io import check_numbered, image_size, list_dirs, list_files, read_text

logger = logging.getLogger(__name__)


class Davis(BenchmarkBase):
    """A DAVIS-layout dataset; ``year`` 2016 (single object) or 2017 (multi-object)."""

    toolkit = "davis2017-evaluation (J: region IoU; F: boundary F at DAVIS's resolution-scaled radius; recall, decay)"
    checked_by = (
        "tests/benchmarks/test_vos_metrics.py::test_boundary_radius_davis_480p",
        "tests/benchmarks/test_vos_metrics.py::test_f_measure_partial_hand_case",
        "tests/benchmarks/test_refvos.py::test_unsupervised_scoring_equals_the_official_davis2017_evaluation",
    )

    tasks = ("vos",)
    frame_subsets = True

    def __init__(
        self,
        root: Path | str,
        year: int = 2017,
        split: str = "val",
        sequences: Iterable[str] | None = None,
        resolution: str = "480p",
        name: str | None = None,
    ) -> None:
        self.year = year
        self.resolution = resolution
        self.open_folder(root, split, name or f"davis{year}", "val")
        self.images = self.root / "JPEGImages" / resolution
        self.annotations = self.root / "Annotations" / resolution
        if not self.annotations.is_dir():
            raise DataError(
                f"{self.annotations} does not exist: expected the DAVIS layout "
                f"Annotations/{resolution}/<sequence>/<frame>.png under {self.root}"
            )
        self.select_sequences(sequences)

    # ---------------------------------------------------------------- sequences
    def discover_sequences(self) -> list[str]:
        for f in (
            self.root / "ImageSets" / str(self.year) / f"{self.split}.txt",
            self.root / "ImageSets" / self.resolution / f"{self.split}.txt",
        ):
            if f.is_file():
                names = []
                for n, line in enumerate(read_text(f).splitlines(), 1):
                    tok = line.strip().split()
                    if not tok:
                        continue
                    if tok[0].startswith("/"):  # DAVIS-2016 pairs file
                        parts = Path(tok[0]).parts
                        if len(parts) < 4:
                            raise DataError(f"{f}:{n}: cannot read a sequence from {line!r}")
                        tok = [parts[-2]]
                    elif len(tok) > 1:  # never cut a name at a space
                        raise DataError(
                            f"{f}:{n}: expected one sequence name per line, got {line.strip()!r}"
                        )
                    if tok[0] not in names:
                        names.append(tok[0])
                logger.info("%s: %d sequences from %s", self.name, len(names), f)
                return names
        lists = sorted(
            {
                f.stem
                for d in (
                    self.root / "ImageSets" / str(self.year),
                    self.root / "ImageSets" / self.resolution,
                )
                if d.is_dir()
                for f in d.glob("*.txt")
            }
        )
        if lists:  # the split files exist, but none for this split
            raise DataError(
                f"{self.name}: unknown split {self.split!r}; known splits (ImageSets under "
                f"{self.root}): {', '.join(lists)}"
            )
        if self.split != "val":
            raise DataError(
                f"{self.name}: unknown split {self.split!r}: {self.root} has no ImageSets, so the "
                "only split is 'val' (every sequence folder)"
            )
        if not self.images.is_dir():
            raise DataError(f"{self.images} does not exist and no ImageSets file names sequences")
        names = list_dirs(self.images)
        orphans = [n for n in list_dirs(self.annotations) if n not in names]
        if orphans:
            logger.warning(
                "%s: annotation folders without frames, not run: %s", self.name, ", ".join(orphans)
            )
        return names

    def _frame_paths(self, name: str) -> list[Path]:
        d = self.images / name
        if not d.is_dir():
            raise DataError(f"sequence {name!r}: frame folder {d} does not exist")
        frames = check_numbered(list_files(d, "*.jpg"))
        if not frames:
            raise DataError(f"sequence {name!r}: no .jpg frames in {d}")
        return list(self.first_frames(frames))

    def _binarize(self) -> bool:
        return self.year == 2016

    def load_sequence(self, name: str) -> VideoSequence:
        frames = self._frame_paths(name)
        size = image_size(frames[0])
        for f in frames[1:]:
            if image_size(f) != size:
                raise DataError(f"{f}: frame size {image_size(f)} differs from {frames[0]} {size}")
        ann0 = self.annotations / name / (frames[0].stem + ".png")
        mask = read_label_map(ann0, self._binarize())
        if mask.shape != size:
            raise DataError(
                f"{ann0}: mask size {mask.shape} does not match frame {frames[0]} size {size}"
            )
        n_obj = int(mask.max())
        ids = tuple(range(1, n_obj + 1))
        paths = tuple(frames)
        clip = frame_clip(frames, size)
        meta = {
            "first_annotation": str(ann0),
            **clip_meta(self.name, name, frames=paths),
        }
        return VideoSequence(name, clip, MaskInit(mask, ids), meta)

    def check_sequence(self, name: str) -> int:
        """The fast check (headers only, first mask decoded): the load's checks, then every
        mask against the frames (a mask without its frame, a frame without its mask where the
        split annotates every frame, a mask whose size differs from the frames) and the first
        mask's kind against the year (DAVIS-2016: binary; DAVIS-2017: palette)."""
        seq = self.load_sequence(name)
        frames = self._frame_paths(name)
        ann_dir = self.annotations / name
        masks = self._masks(name)
        stems = [f.stem for f in frames]
        orphan = sorted(set(masks) - {f.stem for f in list_files(self.images / name, "*.jpg")})
        if orphan:
            raise DataError(
                f"{ann_dir / (orphan[0] + '.png')}: a mask without its frame "
                f"({self.images / name / (orphan[0] + '.jpg')} does not exist; {len(orphan)} such)"
            )
        if len(masks) > 1:  # a fully annotated split (train/val); test-dev has first masks only
            missing = [s for s in stems if s not in masks]
            if missing:
                raise DataError(
                    f"missing mask {ann_dir / (missing[0] + '.png')} for frame "
                    f"{self.images / name / (missing[0] + '.jpg')} ({len(missing)} frames without one)"
                )
        for s in stems:
            if s in masks and image_size(masks[s]) != seq.clip.size:
                raise DataError(
                    f"{masks[s]}: mask size {image_size(masks[s])} does not match the frames' "
                    f"size {seq.clip.size}"
                )
        self.check_ground_truth(name)
        return len(seq.clip)

    def _masks(self, name: str) -> dict[str, Path]:
        return {p.stem: p for p in list_files(self.annotations / name, "*.png")}

    def check_ground_truth(self, name: str) -> None:
        masks = self._masks(name)
        if not masks:
            raise DataError(f"{self.annotations / name}: no .png masks")
        self._check_kind(next(iter(masks.values())))

    def _check_kind(self, path: Path) -> None:
        with Image.open(path) as im:
            mode = im.mode
            ids = sorted(int(v) for v in np.unique(np.asarray(im)) if v not in (0, 255))
        if self.year == 2016 and mode == "P" and len(ids) > 1:
            raise DataError(
                f"{path}: a palette mask with objects {', '.join(map(str, ids))}: this is "
                "DAVIS-2017's multi-object annotation; davis2016 reads DAVIS-2016's binary "
                "masks (mode L, 0/255; DAVIS-data.zip), not a DAVIS-2017 tree"
            )
        if self.year == 2017 and mode in ("L", "1"):
            raise DataError(
                f"{path}: a binary mask (mode {mode}) where davis2017 reads palette masks "
                "(mode P, one index per object): DAVIS-2016's annotation in a DAVIS-2017 run?"
            )

    def decode_all(self, name: str) -> list[str]:
        masks = [self.annotations / name / (f.stem + ".png") for f in self._frame_paths(name)]
        binarize = self._binarize()
        return super().decode_all(name) + unreadable(
            (m for m in masks if m.is_file()), lambda m: read_label_map(m, binarize)
        )

    # ---------------------------------------------------------------- predictions
    def write_predictions(
        self, seq: VideoSequence, preds: Iterable[VOSFramePrediction], out_dir: Path
    ) -> int:
        n = 0
        for p in preds:
            write_palette_png(Path(out_dir) / f"{seq.clip.frame_names[p.index]}.png", p.labels)
            n += 1
        check_produced(seq.name, n, len(seq.clip))
        return n

    # ---------------------------------------------------------------- evaluation
    def _gt(self, name: str) -> tuple[list[str], np.ndarray, tuple[int, ...]]:
        ann_dir = self.annotations / name
        if not ann_dir.is_dir():
            raise DataError(f"sequence {name!r}: annotation folder {ann_dir} does not exist")
        stems = [p.stem for p in list_files(ann_dir, "*.png")]
        if not stems:
            raise DataError(f"sequence {name!r}: no .png annotations in {ann_dir}")
        img_dir = self.images / name
        if img_dir.is_dir():
            images = self.first_frames([p.stem for p in list_files(img_dir, "*.jpg")])
            missing = sorted(set(images) - set(stems))
            if missing:
                raise DataError(
                    f"sequence {name!r}: missing annotation {ann_dir / (missing[0] + '.png')} "
                    f"({len(missing)} frames of {img_dir} have no mask)"
                )
        stems = list(self.first_frames(stems))
        masks = [read_label_map(ann_dir / f"{s}.png", self._binarize()) for s in stems]
        n_obj = int(masks[0].max())
        ids = tuple(range(1, n_obj + 1))
        for s, m in zip(stems, masks, strict=True):
            if m.shape != masks[0].shape:
                raise DataError(f"{ann_dir / (s + '.png')}: size {m.shape} != {masks[0].shape}")
            if int(m.max()) > n_obj:
                raise DataError(
                    f"{ann_dir / (s + '.png')}: unknown palette index {int(m.max())}; the first "
                    f"frame defines objects {list(ids)} (and 255 = void)"
                )
        return stems, np.stack(masks), ids

    def view(self, pred_dir: Path, name: str) -> SequenceView:
        """The run's PNGs of ``name`` over its frames, the annotation beside each frame that has
        one, and J per frame (the mean over the sequence's objects)."""
        stems = [f.stem for f in self._frame_paths(name)]
        gt_files = self._masks(name)
        ids: tuple[int, ...] = ()
        views = []
        for s in stems:
            f = Path(pred_dir) / name / f"{s}.png"
            if not f.is_file():
                raise DataError(f"missing prediction {f}: expected one PNG per frame {s}")
            pred = read_label_map(f, self._binarize())
            gt = read_label_map(gt_files[s], self._binarize()) if s in gt_files else None
            if gt is not None and not ids:
                ids = tuple(range(1, int(gt.max()) + 1))
            j = (
                float(np.mean([vos_metrics.jaccard(gt == k, pred == k) for k in ids]))
                if gt is not None and ids
                else None
            )
            views.append(FrameView(labels=pred, gt_labels=gt, score=j))
        scored = [v.score for v in views[1:-1] if v.score is not None]
        return SequenceView(name, tuple(views), "J", float(np.mean(scored)) if scored else None)

    def evaluate(
        self, pred_dir: Path, sequences: Iterable[str] | None = None, progress: bool = False
    ) -> MetricTable:
        pred_dir = Path(pred_dir)
        rows = []
        names = list(sequences) if sequences is not None else self.sequence_names()
        for name in iter_progress(names, "evaluate", progress):
            stems, gt, ids = self._gt(name)
            scored = stems[1:-1]
            preds = []
            for s in scored:
                f = pred_dir / name / f"{s}.png"
                if not f.is_file():
                    raise DataError(f"missing prediction {f}: expected one PNG per frame {s}")
                p = read_label_map(f, self._binarize())
                if p.shape != gt.shape[1:]:
                    raise DataError(f"{f}: prediction size {p.shape} != annotation {gt.shape[1:]}")
                if int(p.max()) > len(ids):
                    raise DataError(
                        f"{f}: index {int(p.max())} is higher than the number of objects "
                        f"({len(ids)}) of sequence {name!r}"
                    )
                preds.append(p)
            gts = gt[1:-1]
            pr = np.stack(preds) if preds else np.zeros((0, *gt.shape[1:]), np.uint8)
            for r in vos_metrics.evaluate_sequence(gts, pr, ids):
                rows.append({"sequence": name, **r})
        return MetricTable(
            columns=[
                "sequence",
                "object",
                "J&F-Mean",
                "J-Mean",
                "J-Recall",
                "J-Decay",
                "F-Mean",
                "F-Recall",
                "F-Decay",
                "frames",
            ],
            rows=rows,
            summary=vos_metrics.summarize(rows),
            protocol="davis2017-evaluation semi-supervised (frames 1..N-2, objects of frame 0)",
        )


def _factory(year: int):
    def make(data_root, split, sequences):
        return Davis(data_root, year=year, split=split or "val", sequences=sequences)

    return make


_TREE = """\
DAVIS/
├── JPEGImages/480p/<sequence>/00000.jpg …
├── Annotations/480p/<sequence>/00000.png …   {masks}
└── ImageSets/{lists}"""
_NO_LISTS = Variant(
    "no-lists",
    ("JPEGImages/480p/*", "Annotations/480p/*"),
    "frames and masks without ImageSets/: every sequence folder is the val split",
    readable=True,
)
_NESTED = Variant(
    "nested",
    ("DAVIS/JPEGImages/480p/*", "DAVIS/Annotations/480p/*"),
    "the archive's DAVIS/ folder one level down: pass --data-root DIR/DAVIS",
)
_DAVIS2017_DATA = DataLayout(
    tree=_TREE.format(
        masks="palette PNGs (mode P), one index per object",
        lists="2017/train.txt, 2017/val.txt (and 2016/*.txt)",
    ),
    variants=(
        Variant(
            "official",
            ("JPEGImages/480p/*", "Annotations/480p/*", "ImageSets/2017/*.txt"),
            "DAVIS-2017 trainval (DAVIS-2017-trainval-480p.zip)",
        ),
        _NO_LISTS,
        _NESTED,
        Variant(
            "full-resolution",
            ("JPEGImages/Full-Resolution/*",),
            "the Full-Resolution download: UniBench (and the benchmark) score at 480p",
        ),
    ),
    obtain=Obtain(
        page="https://davischallenge.org/davis2017/code.html",
        archives=(
            Archive(
                "DAVIS-2017-trainval-480p.zip",
                "https://data.vision.ee.ethz.ch/csergi/share/davis/DAVIS-2017-trainval-480p.zip",
                strip=1,
            ),
        ),
    ),
    manifests={"val": "davis2017-val.json"},
    unlisted="train (60 videos) and test-dev: no citable list pinned (the lists ship in the "
    "archives: ImageSets/2017/)",
    family="vos",
)
_DAVIS2016_DATA = DataLayout(
    tree=_TREE.format(
        masks="binary PNGs (mode L, 0/255), one object",
        lists="480p/train.txt, 480p/val.txt (DAVIS-2016) or 2016/*.txt",
    ),
    variants=(
        Variant(
            "official",
            ("JPEGImages/480p/*", "Annotations/480p/*", "ImageSets/480p/*.txt"),
            "DAVIS-2016 (DAVIS-data.zip)",
        ),
        Variant(
            "davis2016-in-2017",
            ("DAVIS/Annotations/480p/*", "JPEGImages/480p/*"),
            "DAVIS-2016's archive unpacked inside a DAVIS-2017 tree (DAVIS/…)",
            repair="davis2016-in-2017",
        ),
        Variant(
            "davis2017-lists",
            ("JPEGImages/480p/*", "Annotations/480p/*", "ImageSets/2016/*.txt"),
            "a DAVIS-2017 tree read through its ImageSets/2016 lists: its masks are DAVIS-2017's "
            "(multi-object palettes); the check of each sequence finds the multi-object ones",
            readable=True,
        ),
        _NO_LISTS,
        _NESTED,
    ),
    obtain=Obtain(
        page="https://davischallenge.org/davis2016/code.html",
        archives=(
            Archive(
                "DAVIS-data.zip",
                "https://graphics.ethz.ch/Downloads/Data/Davis/DAVIS-data.zip",
                strip=1,
            ),
        ),
    ),
    manifests={
        "val": "davis2016-val.json",
        "train": "davis2016-train.json",
        "trainval": "davis2016-trainval.json",
    },
    family="vos",
)
for _year, _data in ((2016, _DAVIS2016_DATA), (2017, _DAVIS2017_DATA)):
    register_benchmark(
        f"davis{_year}", _factory(_year), Davis, data=_data,
        root="the folder holding JPEGImages/ and Annotations/",
    )  # fmt: skip
