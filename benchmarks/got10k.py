"""GOT-10k val/test: ``<root>/<split>/list.txt`` and ``<root>/<split>/<seq>/00000001.jpg``,
``groundtruth.txt`` (comma-separated ``x, y, w, h``), ``absence.label``, ``cover.label``,
``meta_info.ini`` (with ``resolution: (w, h)``).

Results in the official layout ``<out>/<seq>/<seq>_001.txt`` (boxes) and ``<seq>_time.txt`` (seconds
per frame); repeated runs ``_002``, ``_003`` … are all scored when present. Scoring follows got10k's
``ExperimentGOT10k``: frames 1… with ``cover > 0``, boxes clipped to the resolution, all frames of all
runs and sequences pooled: AO, SR₀.₅, SR₀.₇₅. The test split has only the first box public:
``package()`` zips results for the evaluation server instead.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from unibench.benchmarks.base import (
    SplitFolder,
    check_count,
    check_produced,
    clip_meta,
    frame_clip,
    iter_progress,
    listed_or_scanned,
    register_benchmark,
)
from unibench.benchmarks.data.folders import DataLayout, Obtain, Variant
from unibench.benchmarks.formats.boxes import read_boxes, read_labels, write_boxes
from unibench.benchmarks.ope import check_result_boxes, invalid_boxes
from unibench.benchmarks.scorers import sot as sot_metrics

from unibench.datatypes import (
    BoxFramePrediction,
    BoxInit,
    Drawn,
    FrameView,
    MetricTable,
    SequenceView,
    VideoSequence,
)
from unibench.errors import DataError
from unibench.io import (
    atomic_zip,
    check_numbered,
    image_size,
    list_files,
    read_text,
)
from unibench.paths import safe_name


def read_meta(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise DataError(f"missing {path}: expected GOT-10k meta_info.ini")
    out = {}
    for line in read_text(path).splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out


class GOT10k(SplitFolder):
    toolkit = "the got10k toolkit's ExperimentGOT10k (AO, SR0.5, SR0.75 pooled over frames)"
    checked_by = (
        "tests/benchmarks/test_sot_metrics.py::test_parity_with_got10k_toolkit",
        "tests/benchmarks/test_sot_metrics.py::test_got10k_cover_and_pooling",
    )
    tasks = ("sot",)

    def __init__(self, root, split: str | None = None, sequences=None, name: str = "got10k"):
        self.root = Path(root)
        self.split = split or "val"
        self.name = name
        self.dir = self.split_folder(self.root, f"the GOT-10k layout <root>/{self.split}/list.txt")
        self.select_sequences(sequences, self.dir)

    def discover_sequences(self) -> list[str]:
        return listed_or_scanned(self.dir / "list.txt", self.dir)

    def resolution(self, name: str) -> tuple[float, float]:
        """``resolution: (w, h)`` of ``meta_info.ini`` (the scorer clips boxes to it)."""
        d = self.dir / name
        meta = read_meta(d / "meta_info.ini")
        try:
            bound = ast.literal_eval(meta["resolution"])
            w, h = (float(v) for v in bound)
            if not (math.isfinite(w) and math.isfinite(h) and w > 0 and h > 0):
                raise ValueError
        except (KeyError, ValueError, SyntaxError, TypeError):
            raise DataError(
                f"{d / 'meta_info.ini'}: expected a line 'resolution: (w, h)' with a positive "
                f"width and height, got {meta.get('resolution')!r}"
            ) from None
        return w, h

    def load_sequence(self, name: str) -> VideoSequence:
        d = self.dir / name
        if self.split != "test":  # checked before any tracking: the scorer needs it
            self.resolution(name)
        frames = check_numbered(list_files(d, "*.jpg"))
        if not frames:
            raise DataError(f"sequence {name!r}: no .jpg frames in {d}")
        gt = read_boxes(d / "groundtruth.txt", ground_truth=True)
        if self.split != "test":
            check_count(d / "groundtruth.txt", len(gt), "boxes", frames)
        size = image_size(frames[0])
        clip = frame_clip(frames, size)
        return VideoSequence(
            name,
            clip,
            BoxInit(tuple(map(float, gt[0]))),
            clip_meta(self.name, self.split, name, frames=frames),
        )

    def write_predictions(
        self, seq: VideoSequence, preds: Iterable[BoxFramePrediction], out: Path
    ) -> int:
        ps = list(preds)
        check_produced(seq.name, len(ps), len(seq.clip), "boxes")
        write_boxes(Path(out) / f"{seq.name}_001.txt", [p.box for p in ps])
        (Path(out) / f"{seq.name}_time.txt").write_text("".join(f"{p.seconds:.6f}\n" for p in ps))
        return len(ps)

    def view(self, pred_dir: Path, name: str) -> SequenceView:
        """The first run's boxes (``<seq>_001.txt``) over the frames, the ground truth thin where
        the split has it (test: the first frame only), IoU per frame, absent targets marked."""
        d = self.dir / name
        pred = read_boxes(Path(pred_dir) / name / f"{name}_001.txt", allow_nan=True)
        gt = read_boxes(d / "groundtruth.txt", ground_truth=True)
        absence = (
            read_labels(d / "absence.label", len(gt))
            if (d / "absence.label").is_file()
            else np.zeros(len(gt), int)
        )
        bad = invalid_boxes(pred)
        frames = []
        for t, box in enumerate(pred):
            g = gt[t] if t < len(gt) and absence[t] == 0 else None
            iou = (
                float(sot_metrics.rect_iou(box[None], g[None])[0])
                if g is not None and not bad[t]
                else None
            )
            frames.append(FrameView(
                objects=(Drawn(1, None if bad[t] else tuple(map(float, box)),
                               text=f"IoU {iou:.2f}" if iou is not None else ""),),
                gt_objects=(Drawn(0, tuple(map(float, g))),) if g is not None else (),
                score=iou, events=("target absent",) if t < len(gt) and absence[t] else (),
            ))  # fmt: skip
        scored = [v.score for v in frames[1:] if v.score is not None]
        return SequenceView(name, tuple(frames), "IoU", float(np.mean(scored)) if scored else None)

    def evaluate(self, pred_dir: Path, sequences=None, progress: bool = False) -> MetricTable:
        if self.split == "test":
            raise DataError(
                "GOT-10k test has no public ground truth: package the results with "
                "'unibench package' and submit them to the evaluation server"
            )
        rows, pooled = [], []
        for name in iter_progress(list(sequences or self._names), "evaluate", progress):
            d = self.dir / name
            gt = read_boxes(d / "groundtruth.txt", ground_truth=True)
            cover = read_labels(d / "cover.label", len(gt))
            absence = read_labels(d / "absence.label", len(gt))
            if ((absence == 1) & (cover > 0)).any():
                raise DataError(f"{d}: absence.label and cover.label disagree (absent but covered)")
            bound = self.resolution(name)
            runs = sorted((Path(pred_dir) / name).glob(f"{name}_[0-9]*.txt"))
            runs = [r for r in runs if re.fullmatch(rf"{re.escape(name)}_\d+\.txt", r.name)]
            if not runs:
                raise DataError(f"missing prediction {Path(pred_dir) / name / (name + '_001.txt')}")
            boxes, invalid = [], 0
            for r in runs:
                b = read_boxes(r, allow_nan=True)
                if b.shape != gt.shape:
                    raise DataError(f"{r}: {len(b)} boxes for {len(gt)} ground-truth frames")
                invalid += int(invalid_boxes(b[1:]).sum())  # frame 0 is the given box
                boxes.append(b)
            ious = sot_metrics.got10k_ious(boxes, gt, cover, bound)
            pooled.append(ious)
            rows.append(
                {"sequence": name, **sot_metrics.got10k_summary(ious), "runs": len(runs),
                 "invalid boxes": invalid}
            )  # fmt: skip
        allious = np.concatenate(pooled) if pooled else np.zeros(0)
        thr = np.linspace(0, 1, 101)  # got10k's success plot: 101 IoU thresholds, pooled IoUs
        curves = (
            {
                "iou_thresholds": thr.tolist(),
                "success": np.mean(allious[:, None] > thr[None], 0).tolist(),
            }
            if len(allious)
            else {}
        )
        cols = ["sequence", "AO", "SR0.5", "SR0.75", "frames", "runs"]
        summary = sot_metrics.got10k_summary(allious)
        if any(r["invalid boxes"] for r in rows):  # NaN, infinite or empty boxes: misses
            cols.append("invalid boxes")
            summary["invalid boxes"] = sum(r["invalid boxes"] for r in rows)
        return MetricTable(
            cols,
            rows,
            summary,
            protocol="GOT-10k (got10k ExperimentGOT10k): cover>0 frames pooled",
            curves=curves,
        )

    def package(self, pred_dir: Path, out_zip: Path) -> Path:
        """Zip ``<seq>/<seq>_00k.txt`` and ``<seq>_time.txt`` of every sequence for the server."""
        out_zip = Path(out_zip)
        for name in self._names:  # every name first: nothing is written for a bad list
            safe_name(name, "sequence", str(self.dir), DataError)
        with atomic_zip(out_zip, pred_dir) as add:
            for name in self._names:
                files = sorted((Path(pred_dir) / name).glob(f"{name}_*.txt"))
                if not files:
                    raise DataError(f"missing results for {name} in {pred_dir}")
                frames = len(self.load_sequence(name).clip)
                for f in files:  # read as eval reads them, one line per frame
                    if f.name == f"{name}_time.txt":
                        times = read_boxes(f, width=1)
                        if len(times) != frames:
                            raise DataError(f"{f}: {len(times)} times for {frames} frames")
                    else:
                        check_result_boxes(f, frames)
                    add(f, f"{name}/{f.name}")
        return out_zip


GOT10K_DATA = DataLayout(
    tree="""\
GOT-10k/
├── val/
│   ├── list.txt
│   └── GOT-10k_Val_000001/ (00000001.jpg …, groundtruth.txt, absence.label, cover.label,
│                             meta_info.ini)
└── test/ (list.txt, GOT-10k_Test_000001/ …: the first box only)""",
    variants=(
        Variant(
            "official",
            ("*/list.txt", "*/*/groundtruth.txt", "*/*/meta_info.ini"),
            "split folders with list.txt",
        ),
        Variant(
            "no-lists",
            ("*/*/groundtruth.txt", "*/*/meta_info.ini"),
            "split folders without list.txt: every sequence folder is read",
            readable=True,
        ),
        Variant(
            "archive-names",
            ("val_data/*", "test_data/*"),
            "the archives' folder names (val_data/, test_data/): rename them val/ and test/",
        ),
    ),
    obtain=Obtain(
        page="http://got-10k.aitestunion.com/downloads",
        gate="registration (e-mail form)",
        steps=(
            "register on the page (an e-mail form), then download val_data.zip and test_data.zip",
            "unpack them as DIR/val and DIR/test (each holds list.txt and the sequence folders)",
        ),
    ),
    manifests={"val": "got10k-val.json", "test": "got10k-test.json"},
    unlisted="train (9335 videos): no list pinned (the release's train/list.txt)",
    family="sot",
)
register_benchmark("got10k", GOT10k, data=GOT10K_DATA, root="the folder holding val/ and test/")
