"""Dataclasses that cross levels: appearance model → head → benchmark → store → report.

Imports flow one way: these types and the registry are imported by models, heads and benchmarks;
nothing here imports them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from unibench.errors import DataError
from unibench.metrics import typed

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Clip:
    """The frames of one video, loaded lazily from disk (or from memory for tests).

    Attributes:
        frame_names: Stem of each frame as the benchmark names it (e.g. ``00000``).
        loader: Returns frame ``i`` as an ``H×W×3`` uint8 RGB array.
        size: ``(height, width)`` of every frame.
    """

    frame_names: tuple[str, ...]
    loader: Callable[[int], np.ndarray]
    size: tuple[int, int]

    def __len__(self) -> int:
        return len(self.frame_names)

    def frame(self, i: int) -> np.ndarray:
        return self.loader(i)

    def read_ahead(self, pool: Executor) -> Clip:
        """This clip with frame ``i + 1`` decoded on ``pool`` (a thread) while frame ``i`` is
        used: heads read frames in order, so decoding leaves the critical path. Frames read out
        of order are decoded then, as before; one decoded frame is held ahead at most."""
        pending: dict[int, Future] = {}
        n = len(self)

        def load(i: int) -> np.ndarray:
            f = pending.pop(i, None)
            for j in [k for k in pending if k != i + 1]:
                pending.pop(j).cancel()
            img = f.result() if f is not None else self.loader(i)
            if i + 1 < n and i + 1 not in pending:
                pending[i + 1] = pool.submit(self.loader, i + 1)
            return img

        return Clip(self.frame_names, load, self.size)


@dataclass(frozen=True)
class TapInfo:
    """What an appearance model declares for one feature tap (detectron2's ``ShapeSpec``)."""

    channels: int
    stride: int


@dataclass(frozen=True)
class FeatureMap:
    """Features of one frame at one tap: ``data`` is ``C×h×w``; ``stride`` maps cells to pixels."""

    data: torch.Tensor
    stride: int
    tap: str

    @property
    def grid(self) -> tuple[int, int]:
        return int(self.data.shape[-2]), int(self.data.shape[-1])


@dataclass(frozen=True)
class FirstAppearance:
    """Where an object enters: its first annotated frame and its mask there (``H×W`` bool)."""

    frame: int
    object_id: int
    mask: np.ndarray


@dataclass(frozen=True)
class MaskInit:
    """The given state of a VOS sequence: frame 0's ``H×W`` label map (0 = background) and, for
    objects that enter later (YouTube-VOS), their first appearances. ``object_ids`` lists every
    object, those of frame 0 and the late ones."""

    mask: np.ndarray
    object_ids: tuple[int, ...]
    later: tuple[FirstAppearance, ...] = ()

    def __post_init__(self) -> None:
        for a in self.later:
            if a.object_id not in self.object_ids:
                raise ValueError(f"late object {a.object_id} is not among {self.object_ids}")
            if a.frame < 1:
                raise ValueError(f"object {a.object_id}: a late appearance is at frame >= 1")

    @property
    def first_appearances(self) -> tuple[FirstAppearance, ...]:
        """Every object's first appearance: frame 0's objects, then the late ones by frame."""
        late = {a.object_id for a in self.later}
        first = tuple(
            FirstAppearance(0, oid, self.mask == oid) for oid in self.object_ids if oid not in late
        )
        return first + tuple(sorted(self.later, key=lambda a: (a.frame, a.object_id)))

    def first_frame(self, object_id: int) -> int:
        return next((a.frame for a in self.later if a.object_id == object_id), 0)


@dataclass(frozen=True)
class BoxInit:
    """First-frame state of a SOT sequence: ``(x, y, w, h)`` in 0-based pixel coordinates."""

    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class Observations:
    """Association tasks: the detections of every frame, ``frame index → N×5`` (x, y, w, h, score),
    0-based pixel boxes; optionally per detection a mask (MOTS: COCO RLE dicts, decoded lazily with
    pycocotools), a pose (PoseTrack: ``N×K×3`` x, y, visibility) and a class id (for the class gate).
    Where masks or poses are given, ``boxes`` are their bounding boxes."""

    boxes: tuple[np.ndarray, ...]
    masks: tuple[list[dict], ...] | None = None
    keypoints: tuple[np.ndarray, ...] | None = None
    classes: tuple[np.ndarray, ...] | None = None

    def __post_init__(self) -> None:
        n = len(self.boxes)
        for name in ("masks", "keypoints", "classes"):
            v = getattr(self, name)
            if v is not None and len(v) != n:
                raise ValueError(f"Observations.{name} has {len(v)} frames, boxes {n}")


@dataclass(frozen=True)
class VideoSequence:
    """One benchmark sequence: frames plus the initial state a head starts from."""

    name: str
    clip: Clip
    init: MaskInit | BoxInit | Observations
    meta: dict[str, Any] = field(default_factory=dict)

    def restart(self, start: int, box: tuple[float, ...], reverse: bool = False) -> VideoSequence:
        """The sequence a head is re-initialised on: from frame ``start`` with ``box`` (0-based
        ``x, y, w, h``) to the last frame, or back to frame 0 where ``reverse``; its frame ``i``
        is frame ``start ± i`` of this one (the runner's reset-based and anchor-based loops
        use it, so every SOT head runs them unchanged)."""
        order = list(range(start, -1, -1)) if reverse else list(range(start, len(self.clip)))
        parent = self.clip
        clip = Clip(
            tuple(parent.frame_names[i] for i in order),
            lambda i: parent.frame(order[i]),
            parent.size,
        )
        meta = dict(self.meta)
        if meta.get("cache_key") is not None:  # frame i is another frame here: its own key
            meta["cache_key"] = f"{meta['cache_key']}|from {start}{' back' if reverse else ''}"
        return VideoSequence(self.name, clip, BoxInit(tuple(float(v) for v in box)), meta)


@dataclass(frozen=True)
class ResetExperiment:
    """What a benchmark declares for the reset-based ("supervised") experiment of a sequence; the
    runner owns the loop (:mod:`unibench.app.pipeline.experiments`). ``gt``: the ground-truth region
    of every frame (``unibench.benchmarks.formats.regions.Region``), ``init_boxes``: the 0-based
    ``x, y, w, h`` a head is (re)initialised with on each frame, ``bounds``: (width, height)."""

    gt: tuple[Any, ...]
    init_boxes: tuple[tuple[float, float, float, float], ...]
    bounds: tuple[int, int]
    skip_initialize: int = 5
    failure_overlap: float = 0.0


@dataclass(frozen=True)
class AnchorExperiment:
    """The anchor-based ("multistart") experiment of a sequence: one run from each forward
    anchor to the last frame and from each backward anchor back to frame 0."""

    forward: tuple[int, ...]
    backward: tuple[int, ...]
    init_boxes: tuple[tuple[float, float, float, float], ...]


@dataclass(frozen=True)
class RunFrame:
    """One line of a VOT trajectory: a code (1 initialisation, 2 failure, 0 skipped) or a box."""

    code: int | None
    box: tuple[float, float, float, float] | None = None
    seconds: float = 0.0
    score: float | None = None


@dataclass(frozen=True)
class ProtocolRun:
    """One run of a VOT experiment: ``key`` names its file (``001``: the reset-based run,
    ``%08d``: the anchor), ``frames`` its lines in run order."""

    key: str
    frames: tuple[RunFrame, ...]


@dataclass(frozen=True)
class GroundingExperiment:
    """The referring-selection step of a VOS sequence (the R-VOS ``zero-shot-grounding``
    protocol): each expression (``key``, ``text``) selects one of the sequence's given objects (its
    :attr:`MaskInit.first_appearances`, each in its first annotated frame) by the image-text
    similarity of the region, the frame seen at ``height`` pixels, and ``prompt`` with ``{}``
    replaced by the expression; the runner does it (:mod:`unibench.app.pipeline.experiments`)."""

    expressions: tuple[tuple[str, str], ...]
    height: int
    prompt: str = "{}"


@dataclass
class Grounded:
    """A grounded VOS run: the object each expression selected, every candidate's cosine
    similarity with it (object id → similarity), and the head's predictions for the sequence (all
    given objects propagated together, as without grounding)."""

    selection: dict[str, int]
    similarity: dict[str, dict[int, float]]
    predictions: Any


@dataclass(frozen=True)
class VOSFramePrediction:
    """A head's output for one frame: an ``H×W`` uint8 label map (object ids of the init)."""

    index: int
    labels: np.ndarray


@dataclass(frozen=True)
class BoxFramePrediction:
    """A SOT head's output for one frame: ``(x, y, w, h)``, 0-based, the seconds it took and the
    head's confidence (its response peak; long-term benchmarks threshold it into a present
    flag)."""

    index: int
    box: tuple[float, float, float, float]
    seconds: float = 0.0
    score: float = 1.0


@dataclass(frozen=True)
class TrackFramePrediction:
    """An association head's output for one frame: track ids and their ``x, y, w, h`` boxes (plus
    masks or poses where the task has them)."""

    index: int
    ids: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray
    classes: np.ndarray | None = None  # per track, where the observations carry classes
    masks: list[dict] | None = None  # per track, COCO RLE (MOTS)
    keypoints: np.ndarray | None = None  # per track, K×3 x, y, score (PoseTrack)


@dataclass(frozen=True)
class Drawn:
    """One thing drawn on a frame by ``unibench show``: an identity (the colour), and its box
    (``x, y, w, h``), mask (``H×W`` bool) or points (``K×3``: x, y, visibility > 0), and a label."""

    ident: int
    box: tuple[float, float, float, float] | None = None
    mask: np.ndarray | None = None
    points: np.ndarray | None = None
    text: str = ""


@dataclass(frozen=True)
class FrameView:
    """What one frame of a run shows: the prediction (a label map for VOS, else objects), the
    ground truth where the split has it, the frame's score (J, IoU, …) and its events (a
    failure, a re-initialisation, an absent target, an identity switch)."""

    labels: np.ndarray | None = None
    gt_labels: np.ndarray | None = None
    objects: tuple[Drawn, ...] = ()
    gt_objects: tuple[Drawn, ...] = ()
    score: float | None = None
    events: tuple[str, ...] = ()


@dataclass(frozen=True)
class SequenceView:
    """A run's predictions of one sequence as ``unibench show`` draws them (read back from the
    official-format files through the benchmark's reader): one :class:`FrameView` per frame,
    what the per-frame score is, the sequence's score (the worst sequences are the lowest) and,
    for poses, the skeleton's edges."""

    name: str
    frames: tuple[FrameView, ...]
    score_name: str = ""
    score: float | None = None
    skeleton: tuple[tuple[int, int], ...] = ()
    trail: bool = False  # tracks: draw each identity's recent centres
    frame_names: tuple[str, ...] = ()  # where the view covers some of the clip's frames only
    # label index -> what it stands for (R-VOS: each expression's text), drawn as a legend
    legend: tuple[tuple[int, str], ...] = ()


@dataclass
class MetricTable:
    """Per-sequence (or per-object) rows plus the benchmark-level summary."""

    columns: list[str]
    rows: list[dict[str, Any]]
    summary: dict[str, float]
    protocol: str = ""
    # curves a report may draw (SOT: the OPE success and precision curves with their thresholds)
    curves: dict[str, list[float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """What ``metrics.json`` holds; counts as integers (the metric registry's stored type)."""
        out = {
            "columns": self.columns,
            "rows": [typed(r) for r in self.rows],
            "summary": typed(self.summary),
            "protocol": self.protocol,
        }
        if self.curves:
            out["curves"] = self.curves
        return out


def _json_number(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


# how a report names a row measured on the reduced-precision feature path (never merged with the
# float32 row of the same model)
PRECISION_MARK = " (bf16)"


# benchmark options that add an analysis (per-attribute figures) and change no other figure: in
# the run identity (their files' folder), not in the benchmark's label or leaderboard cell
ANALYSIS_OPTIONS = frozenset({"attributes"})


@dataclass
class ResultRecord:
    """One stored evaluation: who ran what on which data, with which numbers."""

    run_id: str
    task: str
    model: str
    tap: str
    head: str
    head_params: dict[str, Any]
    benchmark: str
    split: str
    metrics: dict[str, float]
    per_sequence: list[dict[str, Any]]
    timing: dict[str, float]
    git_sha: str
    environment: dict[str, str]
    created: str
    checkpoint: str | None = None
    predictions: str | None = None
    schema_version: int = SCHEMA_VERSION
    # what was run: the sequences scored, the size of the split they come from and whether they are
    # all of it (None: not recorded, a record from before this field); device, dtype, implementation
    sequences: list[str] = field(default_factory=list)
    split_size: int | None = None
    whole_split: bool | None = None
    frames: int | None = None  # the first N frames of each sequence were run (None: all)
    truncated: bool | None = None  # cut copies run on the frames present (benchmark.truncate)
    protocol: str = ""  # the scorer's protocol line (what was measured and how), as metrics.json
    execution: dict[str, str] = field(default_factory=dict)
    # what else the run identity holds (absent in records written before these fields): the
    # weights' content id, the card's feature-changing fields, the behaviour versions of head,
    # features and scorer, the benchmark's scoring options
    weights: str | None = None
    card: dict[str, Any] = field(default_factory=dict)
    behaviour: dict[str, Any] = field(default_factory=dict)
    benchmark_options: dict[str, Any] = field(default_factory=dict)
    # the text tower a grounding protocol compared expressions with: its card declaration, the
    # content id of its file and the grounder's behaviour version (empty: no grounding)
    grounding: dict[str, Any] = field(default_factory=dict)
    # what reports show of the model, from its card at run time (absent in older records):
    # key (the name aligning it with the paper's rows), backbone, reference name, linear-probe top-1
    model_info: dict[str, Any] = field(default_factory=dict)

    @property
    def precision(self) -> str:
        """The feature path: ``fp32``, or ``bf16`` (the opt-in bfloat16 autocast)."""
        return "bf16" if self.execution.get("dtype") == "bfloat16" else "fp32"

    @property
    def model_name(self) -> str:
        """The model as every report names it: the card, ``[checkpoint]`` where one was given,
        `` (bf16)`` on the reduced-precision path (never merged with the float32 row)."""
        ckpt = f" [{self.checkpoint}]" if self.checkpoint else ""
        return self.model + ckpt + (PRECISION_MARK if self.precision == "bf16" else "")

    @property
    def subset(self) -> str | None:
        """How much of the split this record measured, as every table, plot and export labels
        it (``6/30 seq``, ``1/3 seq, 12 frames``); None for the whole split. The one rule of what
        is a subset: such a record is never ranked against whole splits."""
        if self.whole_split is not False:
            return None
        label = f"{len(self.sequences)}/{self.split_size} seq"
        if self.truncated:
            label += ", cut copies"
        return label if self.frames is None else f"{label}, {self.frames} frames"

    @property
    def scored_options(self) -> dict[str, Any]:
        """The scoring options that change the figures of the summary: the run's options less
        the analysis-only ones (:data:`ANALYSIS_OPTIONS`)."""
        return {k: v for k, v in self.benchmark_options.items() if k not in ANALYSIS_OPTIONS}

    @property
    def benchmark_label(self) -> str:
        """The benchmark as every table, section, plot and console line names it: its name and
        the scoring options the run set (``ref-davis17 [protocol=zero-shot-grounding]``). A record
        under other options measured something else: another column and section, never the same
        cell as the default protocol's record. Analysis-only options (the attribute files) are
        not part of it: they add figures and change none."""
        if not self.scored_options:
            return self.benchmark
        opts = ", ".join(
            f"{k}={v if isinstance(v, str) else json.dumps(v)}"
            for k, v in sorted(self.scored_options.items())
        )
        return f"{self.benchmark} [{opts}]"

    def to_dict(self) -> dict[str, Any]:
        """Plain data; undefined figures (NaN, ±inf) become ``null`` so the store is valid JSON."""
        d = asdict(self)
        for k in ("metrics", "timing"):
            d[k] = {m: _json_number(v) for m, v in d[k].items()}
        d["per_sequence"] = [{c: _json_number(v) for c, v in r.items()} for r in d["per_sequence"]]
        return d

    @staticmethod
    def from_dict(d: dict[str, Any], source: Path | str = "<memory>") -> ResultRecord:

        if not isinstance(d, dict):
            raise DataError(f"{source}: expected a JSON object, got {type(d).__name__}")
        version = d.get("schema_version")
        if version != SCHEMA_VERSION:
            raise DataError(
                f"{source}: result record has schema_version {version!r}, expected {SCHEMA_VERSION}"
            )
        known = set(ResultRecord.__dataclass_fields__)
        unknown = set(d) - known
        if unknown:
            raise DataError(f"{source}: result record has unknown fields {sorted(unknown)}")
        metrics = d.get("metrics")
        if not isinstance(metrics, dict) or not all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
            for v in metrics.values()
        ):
            raise DataError(f"{source}: metrics must be a mapping of numbers")
        d = dict(d)
        d["metrics"] = {k: float("nan") if v is None else v for k, v in metrics.items()}
        if isinstance(d.get("timing"), dict):
            d["timing"] = {k: float("nan") if v is None else v for k, v in d["timing"].items()}
        if isinstance(d.get("per_sequence"), list):
            d["per_sequence"] = [
                {c: float("nan") if v is None else v for c, v in r.items()}
                if isinstance(r, dict)
                else r
                for r in d["per_sequence"]
            ]
        try:
            return ResultRecord(**d)
        except TypeError as exc:
            raise DataError(f"{source}: malformed result record ({exc})") from None
