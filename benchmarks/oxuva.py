"""OxUvA long-term tracking (Valmadre et al., ECCV 2018): targets that disappear and come back.

Layout (official): ``<root>/images/<dev|test>/<video>/000000.jpeg`` (every frame, 30 fps),
``<root>/tasks/<split>.csv`` (``video, object, init_frame, last_frame, xmin, xmax, ymin, ymax``: the
box at ``init_frame`` in [0, 1] image coordinates) and, for ``dev``, ``<root>/annotations/dev.csv``
(``video, object, class_id, class_name, contains_cuts, always_visible, frame_num, present|absent,
xmin, xmax, ymin, ymax``; sparse labels, about one per second). A sequence is one task
(``<video>_<object>``): the frames ``init_frame … last_frame``.

Results: ``<out>/<video>_<object>.csv``, the toolkit's prediction format (``video, object,
frame_num, present, score, xmin, xmax, ymin, ymax``, normalised coordinates, no header, ``present``
written ``true``/``false`` as the toolkit's ``dump_predictions_csv``; read: its ``str2bool`` words and
present/absent) for every
frame after the first. ``present`` is the head's confidence against ``presence_threshold``
(``--option presence_threshold=τ``; the head's response peak, see the SOT heads; without τ every
frame is reported present, the toolkit's "always present" convention); ``score`` is the confidence
itself, so the toolkit's post-hoc curve can sweep τ.

Scoring, as the official toolkit (``oxuva/assess.py``): per labelled frame after the first, a true
positive where the target is present, predicted present and the IoU of the boxes clipped to the
image is ≥ 0.5; a false negative where it is present otherwise; a false positive where it is absent
and predicted present; a true negative where absent and predicted absent; a frame without a
prediction takes the previous one. Counts are summed over all frames of all tracks
(``assessment_sum``), then TPR = TP / (TP + FN), TNR = TN / (TN + FP), GM = √(TPR · TNR) and MaxGM
= the largest GM on the line from (TNR, TPR) to (1, 0) (``max_geometric_mean_line``: a tracker that
also reports absent at random). ``PosthocMaxGM`` is the largest MaxGM over the thresholds of the
written scores (``posthoc_threshold``).
"""

from __future__ import annotations

import bisect
import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from unibench.benchmarks.base import (
    TextResults,
    clip_meta,
    frame_clip,
    iter_progress,
    register_benchmark,
)
from unibench.benchmarks.data.folders import DataLayout, Obtain, Variant
from unibench.benchmarks.formats.oxuva import oxuva_line

from unibench.datatypes import (
    BoxFramePrediction,
    BoxInit,
    Drawn,
    FrameView,
    MetricTable,
    SequenceView,
    VideoSequence,
)
from unibench.errors import ConfigError, DataError
from unibench.io import atomic_zip, image_size, read_text
from unibench.paths import safe_name

IOU_THRESHOLD = 0.5


@dataclass(frozen=True)
class OxUvAOptions:
    presence_threshold: float | None = None  # τ: present = confidence >= τ (None: always)

    def __post_init__(self) -> None:
        if self.presence_threshold is not None and not math.isfinite(self.presence_threshold):
            raise ConfigError("benchmark.options.presence_threshold must be finite")


PRESENT_WORDS = ("t", "true", "y", "yes", "1", "present")
ABSENT_WORDS = ("f", "false", "n", "no", "0", "absent")


def _presence(text: str) -> bool:
    """The ``present`` column: the toolkit's ``util.str2bool`` words (t/true/y/yes/1,
    f/false/n/no/0, any case) and the annotation words present/absent. UniBench writes
    ``true``/``false``, as the toolkit's ``util.bool2str``."""
    word = text.strip().lower()
    if word in PRESENT_WORDS:
        return True
    if word in ABSENT_WORDS:
        return False
    raise ValueError(f"unclear value: {text}")


# ----------------------------------------------------------------------------------- metrics
def iou_clip(a: tuple, b: tuple) -> float:
    """IoU of ``(xmin, xmax, ymin, ymax)`` boxes after clipping both to the unit square."""

    def clip(r):
        return (max(r[0], 0.0), min(r[1], 1.0), max(r[2], 0.0), min(r[3], 1.0))

    a, b = clip(a), clip(b)

    def vol(r):
        return max(0.0, r[1] - r[0]) * max(0.0, r[3] - r[2])

    inter = vol((max(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), min(a[3], b[3])))
    union = vol(a) + vol(b) - inter
    return inter / union if union > 0 else 0.0


def assess_frame(gt_present: bool, gt_box, pred_present: bool, pred_box) -> str:
    if gt_present:
        ok = pred_present and iou_clip(gt_box, pred_box) >= IOU_THRESHOLD
        return "TP" if ok else "FN"
    return "FP" if pred_present else "TN"


def max_gm_line(tnr: float, tpr: float) -> float:
    """The largest √(x · y) on the segment from (tnr, tpr) to (1, 0) (the toolkit's
    ``max_geometric_mean_line(TNR, TPR, 1, 0)``)."""
    x1, y1, x2, y2 = tnr, tpr, 1.0, 0.0
    a = (x1 - x2) * (y1 - y2)
    b = -y1 * (x1 - x2) - x1 * (y1 - y2)
    cands = [0.0, 1.0]
    if a < 0:
        th = -b / (2 * a)
        if 0 <= th <= 1:
            cands.append(th)

    def h(th):
        x, y = (1 - th) * x1 + th * x2, (1 - th) * y1 + th * y2
        return math.sqrt(max(x * y, 0.0))

    return max(h(th) for th in cands)


def quality(counts: Mapping[str, int]) -> dict[str, float]:
    pos, neg = counts["TP"] + counts["FN"], counts["TN"] + counts["FP"]
    tpr = counts["TP"] / pos if pos else float("nan")
    tnr = counts["TN"] / neg if neg else float("nan")
    gm = math.sqrt(tpr * tnr) if pos and neg else float("nan")
    mgm = max_gm_line(tnr, tpr) if pos and neg else float("nan")
    return {"TPR": tpr, "TNR": tnr, "GM": gm, "MaxGM": mgm}


def posthoc_max_gm(frames: list[tuple[str, float]]) -> float:
    """``frames``: (assessment, score) of every labelled frame; the operating points of lowering
    the score threshold from the highest score (``posthoc_threshold``), best MaxGM."""
    pos = sum(1 for a, _ in frames if a in ("TP", "FN"))
    neg = sum(1 for a, _ in frames if a in ("TN", "FP"))
    if not pos or not neg:
        return float("nan")
    total = {"TP": 0, "FP": 0, "TN": neg, "FN": pos}
    best = quality(total)["MaxGM"]
    by_score: dict[float, list[str]] = {}
    for a, s in frames:
        if a in ("TP", "FP"):
            by_score.setdefault(float(s), []).append(a)
    for s in sorted(by_score, reverse=True):
        for a in by_score[s]:
            if a == "TP":
                total["TP"] += 1
                total["FN"] -= 1
            else:
                total["FP"] += 1
                total["TN"] -= 1
        best = max(best, quality(total)["MaxGM"])
    return best


# ----------------------------------------------------------------------------------- adapter
def _csv_rows(path: Path, n_fields: int, what: str) -> list[list[str]]:
    if not path.is_file():
        raise DataError(f"missing {path}: expected {what}")
    rows = []
    for k, row in enumerate(csv.reader(io.StringIO(read_text(path))), 1):
        if not row or not "".join(row).strip():
            continue
        if len(row) != n_fields:
            raise DataError(f"{path}:{k}: expected {n_fields} fields ({what}), got {len(row)}")
        rows.append(row)
    return rows


@dataclass(frozen=True)
class Task:
    video: str
    obj: str
    init_frame: int
    last_frame: int
    box: tuple[float, float, float, float]  # xmin, xmax, ymin, ymax in [0, 1]

    @property
    def name(self) -> str:
        return f"{self.video}_{self.obj}"


class OxUvA(TextResults):
    toolkit = "the OxUvA toolkit (long-term-tracking-benchmark): TPR, TNR, MaxGM"
    checked_by = (
        "tests/benchmarks/test_longterm.py::test_oxuva_hand_case_pooled_counts_previous_prediction_and_posthoc",
        "tests/benchmarks/test_longterm.py::test_written_predictions_are_read_by_the_toolkit_reader",
    )
    Options = OxUvAOptions
    tasks = ("sot",)
    protocol = "OxUvA toolkit: TPR, TNR, GM, MaxGM (IoU >= 0.5, counts pooled over all tracks)"

    def __init__(self, root, split=None, sequences=None, name="oxuva", options=None):
        self.root = Path(root)
        self.split = split or "dev"
        if self.split not in ("dev", "test"):
            raise DataError(f"oxuva: unknown split {self.split!r}; known splits: dev, test")
        self.name = name
        self.options = self.scoring_options(options)
        path = self.root / "tasks" / f"{self.split}.csv"
        self.tasks_by_name: dict[str, Task] = {}
        for k, r in enumerate(_csv_rows(path, 8, "video,object,init_frame,last_frame,box"), 1):
            try:
                t = Task(r[0], r[1], int(r[2]), int(r[3]), tuple(float(v) for v in r[4:8]))
            except ValueError:
                raise DataError(f"{path}:{k}: expected integer frames and a numeric box") from None
            if t.last_frame <= t.init_frame:
                raise DataError(f"{path}:{k}: last_frame {t.last_frame} <= init_frame")
            safe_name(t.name, "task", str(path), DataError)
            self.tasks_by_name[t.name] = t
        unknown = [n for n in sequences or () if n not in self.tasks_by_name]
        if unknown:
            raise DataError(f"{path}: no task {', '.join(unknown)}")
        self.select_sequences(sequences, path)
        self._labels: dict[str, dict[int, tuple[bool, tuple]]] | None = None

    def discover_sequences(self) -> list[str]:
        return sorted(self.tasks_by_name)  # a sequence is a task, <video>_<object>

    def frames(self, task: Task) -> list[Path]:
        d = self.root / "images" / self.split / task.video
        paths = [d / f"{t:06d}.jpeg" for t in range(task.init_frame, task.last_frame + 1)]
        missing = [p for p in paths if not p.is_file()]
        if missing:
            raise DataError(
                f"{task.name}: {len(missing)} of {len(paths)} frames missing, first {missing[0]}"
            )
        return paths

    def load_sequence(self, name: str) -> VideoSequence:
        t = self.tasks_by_name[name]
        frames = self.frames(t)
        h, w = image_size(frames[0])
        x0, x1, y0, y1 = t.box
        box = (x0 * w, y0 * h, (x1 - x0) * w, (y1 - y0) * h)
        clip = frame_clip(frames, (h, w))
        return VideoSequence(
            name,
            clip,
            BoxInit(box),
            {
                "init_frame": t.init_frame,
                **clip_meta(self.name, name, frames=frames),
            },
        )

    result_suffix = ".csv"  # one result file per sequence

    def result_lines(self, seq: VideoSequence, p: BoxFramePrediction) -> list[str]:
        if p.index == 0:
            return []  # the given frame is not predicted
        t = self.tasks_by_name[seq.name]
        tau = self.options.presence_threshold
        present = tau is None or p.score >= tau
        return [oxuva_line(t.video, t.obj, t.init_frame + p.index, present, p.score, p.box,
                           seq.clip.size)]  # fmt: skip

    def view(self, pred_dir: Path, name: str) -> SequenceView:
        """The task's predictions over its frames (a frame without a line takes the previous
        prediction, as the toolkit scores), the sparse labels thin where the split has them;
        frames predicted absent and absent targets are events; IoU at the labelled frames."""
        t = self.tasks_by_name[name]
        h, w = image_size(self.frames(t)[0])
        preds = self.read_predictions(self.result_path(pred_dir, name))
        labels = self.labels().get(name, {}) if self.split != "test" else {}

        def pixels(b):  # xmin, xmax, ymin, ymax in [0, 1] -> x, y, w, h
            return b[0] * w, b[2] * h, (b[1] - b[0]) * w, (b[3] - b[2]) * h

        x0, x1, y0, y1 = t.box
        last = (True, 1.0, (x0, x1, y0, y1))
        frames = []
        for f in range(t.init_frame, t.last_frame + 1):
            last = preds.get(f, last)
            present, score, box = last
            ev = () if present else ("predicted absent",)
            g = labels.get(f)
            gbox = pixels(g[1]) if g is not None and g[0] else None
            ev += ("target absent",) if g is not None and not g[0] else ()
            iou = iou_clip(g[1], box) if g is not None and g[0] and present else None
            frames.append(FrameView(
                objects=(Drawn(1, pixels(box), text=f"{score:.2f}"),) if present else (),
                gt_objects=(Drawn(0, gbox),) if gbox is not None else (),
                score=iou, events=ev,
            ))  # fmt: skip
        scored = [v.score for v in frames if v.score is not None]
        return SequenceView(name, tuple(frames), "IoU", float(np.mean(scored)) if scored else None)

    def labels(self) -> dict[str, dict[int, tuple[bool, tuple]]]:
        """Ground truth per task: frame → (present, box), the init frame left out."""
        if self._labels is not None:
            return self._labels
        if self.split == "test":
            raise DataError(
                "OxUvA test has no public ground truth: package the results with 'unibench "
                "package --benchmark oxuva' for the evaluation server"
            )
        path = self.root / "annotations" / f"{self.split}.csv"
        out: dict[str, dict[int, tuple[bool, tuple]]] = {}
        for k, r in enumerate(_csv_rows(path, 12, "the OxUvA annotation fields"), 1):
            if r[7] not in ("present", "absent"):
                raise DataError(f"{path}:{k}: object_presence {r[7]!r}: expected present|absent")
            try:
                frame = int(r[6])
                box = tuple(float(v) for v in r[8:12]) if r[7] == "present" else ()
            except ValueError:
                raise DataError(
                    f"{path}:{k}: expected an integer frame and a numeric box"
                ) from None
            out.setdefault(f"{r[0]}_{r[1]}", {})[frame] = (r[7] == "present", box)
        for name, t in self.tasks_by_name.items():
            if name in out:
                out[name].pop(t.init_frame, None)
        self._labels = out
        return out

    def read_predictions(self, path: Path) -> dict[int, tuple[bool, float, tuple]]:
        preds = {}
        for k, r in enumerate(_csv_rows(path, 9, "video,object,frame_num,present,score,box"), 1):
            if r[0] == "video":
                continue  # an optional header
            try:
                present = _presence(r[3])
                score = float(r[4])
                box = tuple(float(v) for v in r[5:9]) if present else ()
                preds[int(r[2])] = (present, score, box)
            except ValueError:
                raise DataError(
                    f"{path}:{k}: expected frame_num, present (true|false), score, xmin, xmax, "
                    "ymin, ymax"
                ) from None
            if present and math.isnan(score):
                raise DataError(f"{path}:{k}: score is NaN but the prediction is present")
        return preds

    def evaluate(self, pred_dir: Path, sequences=None, progress: bool = False) -> MetricTable:
        labels = self.labels()
        counts = {"TP": 0, "FN": 0, "FP": 0, "TN": 0}
        frames: list[tuple[str, float]] = []
        rows = []
        for name in iter_progress(list(sequences or self._names), "evaluate", progress):
            gt = labels.get(name)
            if not gt:
                raise DataError(f"{name}: no annotations in the {self.split} annotation file")
            path = self.result_path(pred_dir, name)
            preds = self.read_predictions(path)
            times = sorted(preds)
            seq_counts = {"TP": 0, "FN": 0, "FP": 0, "TN": 0}
            for f in sorted(gt):
                k = bisect.bisect_right(times, f)  # the last prediction at or before f
                if k == 0:
                    raise DataError(f"{path}: no prediction at or before labelled frame {f}")
                present, score, box = preds[times[k - 1]]
                a = assess_frame(gt[f][0], gt[f][1], present, box)
                seq_counts[a] += 1
                frames.append((a, score))
            for k in counts:
                counts[k] += seq_counts[k]
            rows.append({"sequence": name, **quality(seq_counts), **seq_counts})
        summary = quality(counts)
        summary["PosthocMaxGM"] = posthoc_max_gm(frames)
        summary.update({k: float(v) for k, v in counts.items()})
        return MetricTable(
            ["sequence", "TPR", "TNR", "GM", "MaxGM", "TP", "FN", "FP", "TN"],
            rows,
            summary,
            protocol=self.protocol,
        )

    def check_result(self, path: Path, name: str) -> int:
        """A task's result file as ``eval`` reads it (:meth:`read_predictions`: the toolkit's
        fields and words) and as the server needs it: rows of this task's video and object
        only, frames after ``init_frame`` up to ``last_frame``, the first of them predicted (the
        toolkit carries each prediction forward, so an earlier gap has nothing to carry).
        Returns the number of predicted frames."""
        t = self.tasks_by_name[name]
        for k, r in enumerate(_csv_rows(path, 9, "video,object,frame_num,present,score,box"), 1):
            if r[0] != "video" and (r[0], r[1]) != (t.video, t.obj):
                raise DataError(f"{path}:{k}: a row of {r[0]}_{r[1]} in the results of task {name}")
        preds = self.read_predictions(path)
        if not preds:
            raise DataError(f"{path}: no prediction (task {name})")
        outside = [f for f in preds if not t.init_frame < f <= t.last_frame]
        if outside:
            raise DataError(
                f"{path}: frame {outside[0]} is outside task {name}'s frames "
                f"{t.init_frame + 1}…{t.last_frame} (the init frame is given, not predicted)"
            )
        if min(preds) != t.init_frame + 1:
            raise DataError(
                f"{path}: the first prediction is at frame {min(preds)}; task {name} starts "
                f"predicting at frame {t.init_frame + 1}"
            )
        return len(preds)

    def package(self, pred_dir: Path, out_zip: Path) -> Path:
        """Zip every task's ``<video>_<object>.csv`` flat (the server's layout), each checked
        first as ``eval`` reads it (:meth:`check_result`); the frames need not be on disk."""
        with atomic_zip(Path(out_zip), pred_dir) as add:
            for name in self._names:
                f = self.result_path(pred_dir, name)
                if not f.is_file():
                    raise DataError(f"missing results for {name}: {f}")
                self.check_result(f, name)
                add(f, f.name)
        return Path(out_zip)


OXUVA_DATA = DataLayout(
    tree="""\
OxUvA/
├── images/dev/<video>/000000.jpeg …      (and images/test/)
├── tasks/dev.csv, tasks/test.csv
└── annotations/dev.csv                   (dev only: test is scored by the server)""",
    variants=(
        Variant("official", ("images/*/*", "tasks/*.csv"), "images/, tasks/, annotations/"),
        Variant(
            "no-tasks",
            ("images/*/*",),
            "frames without tasks/*.csv: download the annotations archive as well",
        ),
    ),
    obtain=Obtain(
        page="https://oxuva.github.io/long-term-tracking-benchmark/",
        gate="manual download (Google Drive)",
        steps=(
            "download images_dev.tar (and images_test.tar) and the annotations archive "
            "(tasks/, annotations/) from the page's Google Drive links",
            "unpack them so that DIR holds images/, tasks/ and annotations/",
        ),
    ),
    manifests={"dev": "oxuva-dev.json", "test": "oxuva-test.json"},
    family="sot",
)
register_benchmark("oxuva", OxUvA, data=OXUVA_DATA, root="holding images/, tasks/ and annotations/")
