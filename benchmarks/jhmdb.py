"""JHMDB pose propagation (the dense-correspondence test of CRW, UniTrack's pose head), scored by PCK.

Layout (the official release): ``<root>/Rename_Images/<action>/<video>/00001.png`` (frames),
``<root>/joint_positions/<action>/<video>/joint_positions.mat`` (``pos_img``: 2 × 15 × T, 1-based
pixels, read with scipy.io) and the official splits ``<root>/splits/<action>_test_split<k>.txt``
(lines ``<video>.avi 1|2``: 1 = train, 2 = test); splits ``train1``…``test3``. A sequence is named
``<action>+<video>`` (one path component). The 15 joints, in the file's order: neck, belly, face,
right/left shoulder, right/left hip, right/left elbow, right/left knee, right/left wrist,
right/left ankle.

The pose propagation head starts from the first frame's 15 ground-truth joints (one person). Results
are UniBench's own text files (JHMDB defines no result format; CRW pickles arrays):
``<seq>.txt`` rows ``frame, joint, x, y, score`` (0-based frames, joints and pixels).

PCK, as CRW's ``code/eval/eval_pck.py`` defines it: ground truth ``pos_img − 1``; the first frame is
not scored; a joint is scored unless its predicted x is negative (both references test x alone:
a joint predicted above the image, y < 0, is scored and spans the normalising box; a non-finite
prediction, which the references never produce, is unpredicted here); per frame the normaliser is ``0.6 × ‖(max x, max y) − (min x, min y)‖`` of the
ground-truth joints scored in that frame (0.6 × the diagonal of their box); PCK@α per joint =
fraction of its normalised distances ≤ α pooled over all sequences; the total is the mean over the
15 joints. Where one joint is never scored (predicted at x < 0 in every scored frame) the references
divide by zero; UniBench averages over the joints that were scored. Reported: PCK@0.1 … PCK@0.5 (CRW prints these five; papers quote @0.1 and @0.2).
Deliberate difference: CRW resizes frames to 320 × 320 and decodes on the 40 × 40 grid; UniBench
keeps the native resolution and the pose head's sub-cell decoding.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from unibench.benchmarks.base import (
    TextResults,
    check_count,
    clip_meta,
    frame_clip,
    iter_progress,
    known_splits,
    register_benchmark,
)
from unibench.benchmarks.data.folders import Archive, DataLayout, Obtain, Variant

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
from unibench.io import check_numbered, list_files, read_text
from unibench.paths import safe_name

logger = logging.getLogger(__name__)

JHMDB_JOINTS: tuple[str, ...] = (
    "neck", "belly", "face", "right_shoulder", "left_shoulder", "right_hip", "left_hip",
    "right_elbow", "left_elbow", "right_knee", "left_knee", "right_wrist", "left_wrist",
    "right_ankle", "left_ankle",
)  # fmt: skip
K = len(JHMDB_JOINTS)
# the skeleton drawn over JHMDB's 15 joints (``unibench show``)
JHMDB_SKELETON: tuple[tuple[int, int], ...] = tuple(
    (JHMDB_JOINTS.index(a), JHMDB_JOINTS.index(b))
    for a, b in (
        ("face", "neck"), ("neck", "belly"), ("neck", "right_shoulder"), ("neck", "left_shoulder"),
        ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
        ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"), ("belly", "right_hip"),
        ("belly", "left_hip"), ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
        ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
    )
)  # fmt: skip
THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5)
SPLITS = tuple(f"{kind}{k}" for k in (1, 2, 3) for kind in ("train", "test"))


def read_joints(path: Path) -> np.ndarray:
    """``pos_img`` of a ``joint_positions.mat`` as T × 15 × 2, 0-based (CRW: ``pos_img − 1``)."""
    import scipy.io

    path = Path(path)
    if not path.is_file():
        raise DataError(f"missing {path}: expected JHMDB's joint_positions.mat")
    try:
        mat = scipy.io.loadmat(path)
    except Exception as exc:  # noqa: BLE001 — scipy raises several types for bad files
        raise DataError(f"{path}: not a readable .mat file ({exc})") from None
    pos = mat.get("pos_img")
    if pos is None or pos.ndim != 3 or pos.shape[:2] != (2, K):
        shape = None if pos is None else pos.shape
        raise DataError(f"{path}: expected 'pos_img' of shape 2 × {K} × T, got {shape}")
    pos = np.asarray(pos, float)
    if not np.isfinite(pos).all():
        raise DataError(f"{path}: 'pos_img' holds NaN or infinite values")
    return pos.transpose(2, 1, 0) - 1.0


def pck(
    sequences: dict[str, tuple[np.ndarray, np.ndarray]], thresholds=THRESHOLDS
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """CRW's PCK over ``name → (ground truth T×15×2, predictions T×15×2)``: summary and per-sequence
    rows (each row's PCK pools that sequence's distances the same way)."""

    def distances(items) -> list[np.ndarray]:
        per_joint: list[list[float]] = [[] for _ in range(K)]
        for gt, pred in items:
            for t in range(1, len(gt)):  # the first frame is given
                # unpredicted: x < 0 only, as both eval_pck.py (a joint above the image, y < 0,
                # is scored and spans the normalising box); non-finite values are unpredicted too
                ok = np.isfinite(pred[t]).all(1) & (pred[t][:, 0] >= 0)
                if not ok.any():
                    continue
                lo, hi = gt[t][ok].min(0), gt[t][ok].max(0)
                norm = 0.6 * float(np.hypot(*(hi - lo)))
                for j in np.nonzero(ok)[0]:
                    d = float(np.hypot(*(pred[t, j] - gt[t, j])))
                    per_joint[j].append(d / norm if norm > 0 else float("inf"))
        return [np.asarray(v) for v in per_joint]

    def summarise(dists: list[np.ndarray]) -> dict[str, float]:
        out = {}
        for a in thresholds:
            vals = [float((d <= a).mean()) for d in dists if len(d)]
            out[f"PCK@{a:g}"] = float(np.mean(vals)) if vals else float("nan")
        return out

    rows = {n: summarise(distances([v])) for n, v in sequences.items()}
    return summarise(distances(sequences.values())), rows


class JHMDB(TextResults):
    toolkit = "CRW's (videowalk) PCK evaluation of JHMDB pose propagation"
    checked_by = (
        "tests/benchmarks/test_jhmdb.py::test_pck_equals_crw_eval_pck_with_a_joint_above_the_image",
        "tests/benchmarks/test_jhmdb.py::test_pck_hand_case",
    )
    tasks = ("poseprop",)

    def __init__(self, root, split=None, sequences=None, name: str = "jhmdb") -> None:
        self.open_folder(root, split, name, "test1", SPLITS)
        self.images = self.root / "Rename_Images"
        self.joints = self.root / "joint_positions"
        if not self.images.is_dir():
            raise DataError(f"{self.images} does not exist: expected JHMDB's Rename_Images/")
        self.select_sequences(sequences)

    def discover_sequences(self) -> list[str]:
        kind, k = self.split[:-1], self.split[-1]
        files = list_files(self.root / "splits", f"*_test_split{k}.txt")
        if not files:
            raise DataError(
                f"{self.root / 'splits'}: no *_test_split{k}.txt (the official JHMDB splits); "
                f"present: {known_splits(self.root / 'splits')}"
            )
        want = "1" if kind == "train" else "2"
        names = []
        for f in files:
            action = f.name[: -len(f"_test_split{k}.txt")]
            for n, line in enumerate(read_text(f).splitlines(), 1):
                tok = line.split()
                if not tok:
                    continue
                if len(tok) != 2 or tok[1] not in ("1", "2") or not tok[0].endswith(".avi"):
                    raise DataError(f"{f}:{n}: expected '<video>.avi 1|2', got {line!r}")
                if tok[1] == want:
                    names.append(f"{action}+{tok[0][: -len('.avi')]}")
        return names

    def _parts(self, name: str) -> tuple[str, str]:
        if name.count("+") != 1:
            raise DataError(f"{self.name}: sequence {name!r} is not '<action>+<video>'")
        action, video = name.split("+")
        safe_name(action, "action", str(self.root), DataError)
        safe_name(video, "video", str(self.root), DataError)
        return action, video

    def ground_truth(self, name: str) -> np.ndarray:
        action, video = self._parts(name)
        return read_joints(self.joints / action / video / "joint_positions.mat")

    def load_sequence(self, name: str) -> VideoSequence:
        action, video = self._parts(name)
        d = self.images / action / video
        frames = check_numbered(list_files(d, "*.png"))
        if not frames:
            raise DataError(f"{d}: no frames (expected 00001.png, …)")
        gt = self.ground_truth(name)
        check_count(self.joints / action / video / "joint_positions.mat", len(gt), "poses", frames,
                    f" in {d}")  # fmt: skip
        k0 = np.c_[gt[0], np.ones(K)][None]  # one person, every joint given
        lo, hi = gt[0].min(0), gt[0].max(0)
        box = np.array([[*lo, *np.maximum(hi - lo, 1.0), 1.0]])
        empty_b, empty_k = np.zeros((0, 5)), np.zeros((0, K, 3))
        obs = Observations(
            (box,) + (empty_b,) * (len(frames) - 1),
            keypoints=(k0,) + (empty_k,) * (len(frames) - 1),
        )
        clip = frame_clip(frames)
        return VideoSequence(name, clip, obs, clip_meta(self.name, name, frames=frames))

    result_suffix = ".txt"  # one result file per sequence

    def result_lines(self, seq: VideoSequence, p: TrackFramePrediction) -> list[str]:
        if p.keypoints is None or len(p.keypoints) != 1:
            raise DataError(f"{seq.name}: frame {p.index}: expected one propagated pose")
        return [
            f"{p.index},{j},{x:.2f},{y:.2f},{s:.4f}\n"
            for j, (x, y, s) in enumerate(np.asarray(p.keypoints[0], float))
        ]

    def read_predictions(self, pred_dir: Path, name: str, length: int) -> np.ndarray:
        f = self.result_path(pred_dir, name)
        if not f.is_file():
            raise DataError(f"missing {f}: expected rows 'frame, joint, x, y, score'")
        out = np.full((length, K, 2), np.nan)
        for n, line in enumerate(read_text(f).splitlines(), 1):
            if not line.strip():
                continue
            try:
                t, j, x, y, _ = (float(v) for v in line.split(","))
            except ValueError:
                raise DataError(
                    f"{f}:{n}: expected 'frame, joint, x, y, score', got {line!r}"
                ) from None
            if not (t.is_integer() and 0 <= t < length and j.is_integer() and 0 <= j < K):
                raise DataError(f"{f}:{n}: frame {t:g} or joint {j:g} out of range")
            out[int(t), int(j)] = (x, y)
        return out

    def view(self, pred_dir: Path, name: str) -> SequenceView:
        """The propagated joints over the frames against the ground truth's (thin); a frame's
        score is its PCK@0.2 (the share of its scored joints within 0.2 × its normaliser)."""
        gt = self.ground_truth(name)
        pred = self.read_predictions(pred_dir, name, len(gt))
        frames = []
        for t in range(len(gt)):
            ok = np.isfinite(pred[t, :, 0]) & (pred[t, :, 0] >= 0)
            g = gt[t][ok]
            norm = 0.6 * float(np.linalg.norm(g.max(0) - g.min(0))) if ok.sum() else 0.0
            d = np.linalg.norm(pred[t][ok] - g, axis=1)
            score = float(np.mean(d <= 0.2 * norm)) if t > 0 and norm > 0 else None
            pts = np.c_[pred[t], ok.astype(float)]
            frames.append(FrameView(
                objects=(Drawn(1, None, points=pts),),
                gt_objects=(Drawn(0, None, points=np.c_[gt[t], np.ones(K)]),),
                score=score,
            ))  # fmt: skip
        scored = [v.score for v in frames if v.score is not None]
        return SequenceView(name, tuple(frames), "PCK@0.2",
                            float(np.mean(scored)) if scored else None,
                            skeleton=JHMDB_SKELETON)  # fmt: skip

    def evaluate(self, pred_dir: Path, sequences=None, progress: bool = False) -> MetricTable:
        data = {}
        for name in iter_progress(list(sequences or self._names), "evaluate", progress):
            gt = self.ground_truth(name)
            data[name] = (gt, self.read_predictions(pred_dir, name, len(gt)))
        summary, per = pck(data)
        cols = ["sequence", *summary]
        rows = [{"sequence": n, **m} for n, m in per.items()]
        return MetricTable(
            cols,
            rows,
            summary,
            protocol="PCK as CRW's eval_pck.py: normaliser 0.6 × the diagonal of the ground-truth "
            "joints' box per frame, first frame not scored, mean over 15 joints",
        )


_JHMDB_FILES = "http://files.is.tue.mpg.de/jhmdb/"
JHMDB_DATA = DataLayout(
    tree="""\
JHMDB/
├── Rename_Images/<action>/<video>/00001.png …
├── joint_positions/<action>/<video>/joint_positions.mat
└── splits/<action>_test_split<k>.txt""",
    variants=(
        Variant(
            "official",
            ("Rename_Images/*/*", "joint_positions/*/*", "splits/*.txt"),
            "the release's three folders",
        ),
        Variant(
            "no-splits",
            ("Rename_Images/*/*", "joint_positions/*/*"),
            "frames and joints without splits/: add splits.zip",
        ),
    ),
    obtain=Obtain(
        page="http://jhmdb.is.tue.mpg.de/dataset",
        archives=(
            Archive("Rename_Images.tar.gz", _JHMDB_FILES + "Rename_Images.tar.gz"),
            Archive("joint_positions.zip", _JHMDB_FILES + "joint_positions.zip"),
            Archive("splits.zip", _JHMDB_FILES + "splits.zip"),
        ),
    ),
    manifests={"test1": "jhmdb-test1.json", "train1": "jhmdb-train1.json"},
    unlisted="splits 2 and 3: no citable list found (the release's splits/ folder holds them)",
    family="pose",
)
register_benchmark(
    "jhmdb", JHMDB, data=JHMDB_DATA, root="holding Rename_Images/, joint_positions/, splits/"
)
