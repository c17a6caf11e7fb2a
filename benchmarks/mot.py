"""MOTChallenge MOT15/16/17/20: ``<root>/<split>/<seq>/seqinfo.ini``, ``img1/000001.jpg``,
``gt/gt.txt`` (``frame, id, x, y, w, h, conf, class, visibility``; 1-based frames and pixels; the 2D
MOT 2015 benchmark has no class: ``frame, id, x, y, w, h, conf, -1, -1, -1``, and TrackEval's MOT15
rules apply no distractor preprocessing, only the zero-marked rows are removed) and
``det/det.txt`` (public detections ``frame, -1, x, y, w, h, score, …``), or a user-supplied detection
folder ``<det_dir>/<seq>.txt`` in the same format (e.g. FairMOT's).

A sequence whose ``seqinfo.ini`` length disagrees with the frames on disk is an error naming both
numbers; ``truncate=True`` (for partial copies such as test fixtures) runs the frames present, scores
only those, and says so in the log. Results are written as ``<out>/<seq>.txt`` with rows
``frame, id, x, y, w, h, score, -1, -1, -1`` (the MOTChallenge submission format), and scored with
TrackEval (:mod:`mot_metrics`), which needs no frames on disk.
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
from unibench.benchmarks.data.folders import Archive, DataLayout, Obtain, Variant
from unibench.benchmarks.formats.motchallenge import (
    mot_line,
    read_mot_rows,
    read_mot_txt,
    read_seqinfo,
)
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
from unibench.io import check_numbered, image_size, list_dirs, list_files

logger = logging.getLogger(__name__)


class MOTChallenge(GroundTruthFile, SplitFolder, TextResults):
    toolkit = "TrackEval's MotChallenge2DBox (HOTA, CLEAR, Identity; MOT15 without distractor preprocessing)"
    checked_by = (
        "tests/benchmarks/test_mot15.py::test_mot15_against_trackeval_from_disk",
        "tests/benchmarks/test_mot15.py::test_mot15_against_py_motmetrics",
        "tests/benchmarks/test_mot.py::test_identity_switch_hand_case",
    )
    takes_detections = True
    tasks = ("mot",)

    truncates = True  # benchmark.truncate: cut copies (seqinfo.ini describes the full sequence)

    def __init__(
        self,
        root,
        split: str | None = None,
        sequences=None,
        det_dir=None,
        benchmark: str = "MOT17",
        truncate: bool = False,
        name: str | None = None,
    ):
        self.root = Path(root)
        self.split = split or "train"
        self.benchmark = benchmark
        self.name = name or benchmark.lower()
        self.truncate = truncate
        self.det_dir = Path(det_dir) if det_dir else None
        self.dir = self.split_folder(self.root, f"<root>/{self.split}/<seq>/")
        self.select_sequences(sequences, self.dir, "a folder with a seqinfo.ini")

    def discover_sequences(self) -> list[str]:
        return [n for n in list_dirs(self.dir) if (self.dir / n / "seqinfo.ini").is_file()]

    def _length(self, name: str) -> tuple[dict, int]:
        """``seqinfo.ini`` and its integer ``seqLength`` (one rule for run and eval)."""
        d = self.dir / name
        info = read_seqinfo(d / "seqinfo.ini")
        try:
            return info, int(info["seqlength"])
        except (KeyError, ValueError) as exc:
            raise DataError(f"{d / 'seqinfo.ini'}: no integer seqLength") from exc

    def _info(self, name: str) -> tuple[dict, list[Path], int]:
        d = self.dir / name
        info, length = self._length(name)
        img = d / info.get("imdir", "img1")
        ext = info.get("imext", ".jpg")
        frames = check_numbered(list_files(img, f"*{ext}"))
        if len(frames) != length:
            if not self.truncate:
                raise DataError(
                    f"{d}: seqinfo.ini says seqLength={length} but {img} holds "
                    f"{len(frames)} frames (pass truncate=True to use the frames present)"
                )
            logger.warning(
                "%s: %d of %d frames present; running and scoring those only",
                name,
                len(frames),
                length,
            )
            if [int(f.stem) for f in frames] != list(range(1, len(frames) + 1)):
                raise DataError(f"{img}: the frames present are not 1…{len(frames)}")
        return info, frames, len(frames)

    def detections(self, name: str, n_frames: int) -> tuple[np.ndarray, ...]:
        f = self.det_dir / f"{name}.txt" if self.det_dir else self.dir / name / "det" / "det.txt"
        if self.det_dir and not f.is_file():
            raise DataError(
                f"missing {f}: the detection folder needs one <sequence>.txt per sequence"
            )
        det = read_mot_txt(f, 7, strict=False)
        out = []
        for t in range(1, n_frames + 1):
            d = det[det[:, 0] == t]
            out.append(np.c_[d[:, 2] - 1, d[:, 3] - 1, d[:, 4], d[:, 5], d[:, 6]])
        return tuple(out)

    def load_sequence(self, name: str) -> VideoSequence:
        info, frames, n = self._info(name)
        size = image_size(frames[0])
        clip = frame_clip(frames, size)
        return VideoSequence(
            name,
            clip,
            Observations(self.detections(name, n)),
            {
                "frame_rate": float(info.get("framerate", 30)),
                **clip_meta(self.name, name, n, frames=frames),
            },
        )

    def result_lines(self, seq: VideoSequence, p: TrackFramePrediction) -> list[str]:
        return [
            mot_line(p.index + 1, int(i), b, f"{s:.4f},-1,-1,-1")
            for i, b, s in zip(p.ids, p.boxes, p.scores, strict=True)
        ]

    def ground_truth_file(self, name: str) -> Path:
        return self.dir / name / "gt" / "gt.txt"

    def read_ground_truth(self, path: Path) -> np.ndarray:
        return read_mot_txt(path, 9)

    def _gt_and_length(self, name: str) -> tuple[np.ndarray, int]:
        d = self.dir / name
        _, length = self._length(name)
        gt = self.ground_truth_rows(name)
        keys, counts = np.unique(gt[:, :2], axis=0, return_counts=True)
        if (counts > 1).any():
            f, i = keys[counts > 1][0]
            raise DataError(
                f"{d / 'gt' / 'gt.txt'}: identity {int(i)} appears twice in frame {int(f)}"
            )
        if self.truncate:
            length = min(length, int(gt[:, 0].max()) if len(gt) else 0)
        return gt[:, :9], length

    def view(self, pred_dir: Path, name: str) -> SequenceView:
        """The run's tracks over the frames (one colour per identity, short trails), the ground
        truth's boxes thin (the rows TrackEval scores: confidence 1; MOT16/17/20 pedestrians),
        identity switches against it marked, the share of ground truth tracked per frame."""
        gt, n = self._gt_and_length(name)
        res, _ = read_mot_rows(self.result_path(pred_dir, name), 7, strict=False)
        keep = gt[:, 6] != 0
        if self.benchmark != "MOT15":
            keep &= gt[:, 7] == 1
        gt = gt[keep]

        def boxes(rows: np.ndarray, t: int, label: bool) -> tuple[Drawn, ...]:
            at = rows[rows[:, 0] == t + 1]
            return tuple(
                Drawn(int(r[1]), (r[2] - 1, r[3] - 1, r[4], r[5]), text=str(int(r[1])) if label else "")
                for r in at
            )  # fmt: skip

        frames = [
            FrameView(objects=boxes(res, t, True), gt_objects=boxes(gt, t, False)) for t in range(n)
        ]
        frames = with_identity_switches(frames)
        scored = [f.score for f in frames if f.score is not None]
        return SequenceView(
            name, tuple(frames), "recall", float(np.mean(scored)) if scored else None, trail=True
        )

    def evaluate(self, pred_dir: Path, sequences=None, progress: bool = False) -> MetricTable:
        data, invalid = {}, {}
        for name in iter_progress(list(sequences or self._names), "evaluate", progress):
            gt, n = self._gt_and_length(name)
            res, invalid[name] = read_mot_rows(self.result_path(pred_dir, name), 7, strict=False)
            res = res[:, :7]
            if self.truncate:
                res = res[res[:, 0] <= n]
            elif len(res) and res[:, 0].max() > n:
                raise DataError(
                    f"{self.result_path(pred_dir, name)}: frame {int(res[:, 0].max())} "
                    f"beyond seqLength {n}"
                )
            data[name] = mot_metrics.sequence_data(name, gt, res, n, self.benchmark)
        curves: dict = {}
        summary, per = mot_metrics.evaluate(data, curves)
        cols = ["sequence", "HOTA", "IDF1", "MOTA", "IDs", "DetA", "AssA", "FP", "FN"]
        rows = [
            {"sequence": n, **{k: v for k, v in m.items() if k in cols}} for n, m in per.items()
        ]
        if any(invalid.values()):  # result boxes without area or not finite: scored as misses
            cols.append("invalid boxes")
            for r in rows:
                r["invalid boxes"] = invalid[r["sequence"]]
            summary["invalid boxes"] = sum(invalid.values())
        return MetricTable(
            cols,
            rows,
            summary,
            protocol=f"TrackEval HOTA/CLEAR/Identity, {self.benchmark} "
            + (
                "rules (no class, no distractor preprocessing)"
                if self.benchmark == "MOT15"
                else "preprocessing"
            ),
            curves=curves,
        )


def _factory(benchmark: str):
    def make(data_root, split, sequences, detections=None, truncate=False):
        return MOTChallenge(
            data_root, split, sequences, det_dir=detections, benchmark=benchmark, truncate=truncate
        )

    return make


def _mot_data(benchmark: str) -> DataLayout:
    return DataLayout(
        tree=f"""\
{benchmark}/
├── train/<seq>/ (seqinfo.ini, img1/000001.jpg …, gt/gt.txt, det/det.txt)
└── test/<seq>/  (seqinfo.ini, img1/, det/det.txt)""",
        variants=(
            Variant("official", ("*/*/seqinfo.ini", "*/*/img1"), "split folders of sequences"),
            Variant(
                "nested",
                (f"{benchmark}/*/*/seqinfo.ini",),
                f"the archive's {benchmark}/ folder one level down: pass --data-root DIR/{benchmark}",
            ),
            Variant(
                "no-seqinfo",
                ("*/*/img1", "*/*/gt/gt.txt"),
                "sequences without seqinfo.ini (a MOT15 copy from before the 2017 re-release?): "
                "download the current archive",
            ),
        ),
        obtain=Obtain(
            page=f"https://motchallenge.net/data/{benchmark}/",
            archives=(
                Archive(
                    f"{benchmark}.zip", f"https://motchallenge.net/data/{benchmark}.zip", strip=1
                ),
            ),
        ),
        manifests={s: f"{benchmark.lower()}-{s}.json" for s in ("train", "test")},
        family="association",
    )


for _b in ("MOT15", "MOT16", "MOT17", "MOT20"):
    register_benchmark(
        _b.lower(), _factory(_b), MOTChallenge, data=_mot_data(_b),
        root="the folder holding train/ and test/",
    )  # fmt: skip
