"""Benchmark adapters: read an official on-disk layout, write predictions in its official format,
and score a prediction folder with the benchmark's official protocol.

The contract (TrackEval's ``_BaseDataset`` habit): an adapter is a subclass of
:class:`BenchmarkBase` that implements four abstract methods, :meth:`~BenchmarkBase.
discover_sequences` (the split's sequences as its folder lists them), :meth:`~BenchmarkBase.
load_sequence`, :meth:`~BenchmarkBase.write_predictions` and :meth:`~BenchmarkBase.evaluate`, and
declares as class attributes its ``Options`` dataclass, its ``head_defaults``, whether it
``takes_detections`` and its ``scorer_version``. The shared flow is written once here: the
sequences named or discovered (:meth:`~BenchmarkBase.select_sequences`), the checks ``run``,
``eval`` and ``data check`` make, where results go, and, for the format families, a few mixins:
:class:`FileResults` (one file per sequence), :class:`TextResults` (one text line per prediction),
:class:`GroundTruthFile` (one ground-truth file per sequence), :class:`SplitFolder` (a folder per
split) and :func:`listed_or_scanned` (a list file, else a folder scan). An adapter is registered
with :func:`register_benchmark` as a :class:`BenchmarkSpec`: ``factory(data_root: Path | None,
split: str | None, sequences: tuple[str, ...] | None[, detections=][, options=]) -> adapter`` (the
class itself, or a function for variants); registration fails, naming the methods, for an adapter
that leaves one abstract. Heads and models are never imported by an adapter.
"""

from __future__ import annotations

import abc
import dataclasses
import inspect
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
from scipy.optimize import linear_sum_assignment
from tqdm import tqdm
from unibench.benchmarks.data.folders import DataLayout

from unibench.config import from_dict
from unibench.datatypes import Clip, FrameView, MetricTable, SequenceView, VideoSequence
from unibench.errors import ConfigError, DataError, RegistryError
from unibench.io import frames_fingerprint, image_size, list_dirs, read_rgb, read_text
from unibench.metrics import undeclared
from unibench.paths import safe_name
from unibench.registry import Registry


class BenchmarkBase(abc.ABC):
    """The base of every adapter (TrackEval's ``_BaseDataset``): the four methods an adapter
    implements, the flow they share, and what it declares as class attributes, read by the
    registry and the resolver without building it or reading a signature.

    ``Options``: the dataclass of its scoring options (``benchmark.options.*``), None where it takes
    none; ``head_defaults``: task -> head parameter values (the config layer "benchmark defaults");
    ``takes_detections``: whether a folder of per-sequence detection files may replace its own
    (association benchmarks); ``scorer_version``: bump it with any change of the figures its scorer
    computes on the same files; ``frame_subsets``: whether it runs and scores the first N frames of
    each sequence (:meth:`first_frames`). Subclasses set ``name``, ``tasks``, ``split`` and
    ``root``."""

    name: str
    tasks: tuple[str, ...]
    split: str
    root: Path
    Options: ClassVar[type | None] = None
    head_defaults: ClassVar[Mapping[str, Mapping[str, Any]]] = MappingProxyType({})
    takes_detections: ClassVar[bool] = False
    scorer_version: ClassVar[int] = 1
    # whether the adapter honours ``frame_limit`` (``benchmark.frames``: the first N frames of
    # every sequence, run and scored as if the sequence ended there; quick suites use it)
    frame_subsets: ClassVar[bool] = False
    frame_limit: int | None = None
    # whether the factory takes ``truncate`` (``benchmark.truncate``: a cut copy whose metadata
    # describes the full sequences, run and scored on the frames present)
    truncates: ClassVar[bool] = False
    # the official code its scorer follows or calls, and the tests that check it against that
    # code or against hand-computed cases ("tests/<file>.py::<test>"; the docs' benchmark table
    # is generated from both, and a test checks that each named test exists)
    toolkit: ClassVar[str] = ""
    checked_by: ClassVar[tuple[str, ...]] = ()
    # whether the protocol reads the model's text tower too (referring VOS with grounding)
    grounding: ClassVar[bool] = False
    _names: list[str]

    # ------------------------------------------------------------------ the contract
    @abc.abstractmethod
    def discover_sequences(self) -> list[str]:
        """The split's sequences as its folder lists them (a list file, a manifest of the
        release, or a folder scan), in the order they are run."""

    @abc.abstractmethod
    def load_sequence(self, name: str) -> VideoSequence:
        """Sequence ``name``: its frames (read lazily) and the state a head starts from."""

    @abc.abstractmethod
    def write_predictions(self, seq: VideoSequence, preds: Iterable[Any], out: Path) -> int:
        """Write a head's predictions for ``seq`` to ``out`` (:meth:`result_path`) in the
        benchmark's official format; returns the number of frames written (one per frame of
        the sequence, else :func:`check_produced` raises)."""

    @abc.abstractmethod
    def evaluate(
        self, pred_dir: Path, sequences: Sequence[str] | None = None, progress: bool = False
    ) -> MetricTable:
        """Score the results in ``pred_dir`` with the benchmark's official protocol (every
        sequence of the split, or those named)."""

    # ------------------------------------------------------------------ the shared flow
    def open_folder(
        self, root: Path | str, split: str | None, name: str, default_split: str,
        splits: Sequence[str] | None = None,
    ) -> None:  # fmt: skip
        """Set ``root``, ``split`` (``default_split`` where None) and ``name``; a split outside
        ``splits`` (where the benchmark has a fixed set) or a root that is not a folder is one
        error naming it."""
        self.root, self.split, self.name = Path(root), split or default_split, name
        if splits is not None and self.split not in splits:
            raise DataError(
                f"{name}: unknown split {self.split!r}; known splits: {', '.join(splits)}"
            )
        if not self.root.is_dir():
            raise DataError(f"{name} root {self.root} does not exist")

    def select_sequences(
        self, sequences: Iterable[str] | None, where: Path | str = "", expected: str = ""
    ) -> None:
        """The sequences this adapter runs: those named (``--sequences``), else
        :meth:`discover_sequences`; none at all is one error naming ``where`` and what a
        sequence looks like there (``expected``)."""
        self._names = list(sequences) if sequences else list(self.discover_sequences())
        if not self._names:
            what = f" (expected {expected})" if expected else ""
            raise DataError(
                f"{where or self.root}: no {self.name} sequence in split {self.split!r}{what}"
            )

    def sequence_names(self) -> list[str]:
        return list(self._names)

    def scoring_options(self, options: Mapping | Any | None) -> Any:
        """``benchmark.options`` as this adapter's ``Options`` dataclass (a mapping is checked:
        unknown keys and wrong types are errors naming the key; None: the defaults; an
        instance passes through)."""
        cls = type(self).Options
        if cls is None:
            if options:
                raise ConfigError(f"benchmark {self.name!r} takes no scoring options")
            return None
        return parse_options(cls, options)

    def analysis_inputs(self) -> dict[str, str]:
        """Files outside the data root that an analysis reads (the toolkits' attribute files),
        by content: part of the run identity, so an edited file is never served stale. None by
        default."""
        return {}

    def result_path(self, pred_dir: Path, name: str) -> Path:
        """Where sequence ``name``'s results go: a folder by default (one file per frame, as
        DAVIS); :class:`FileResults` makes it one file."""
        return Path(pred_dir) / name

    def view(self, pred_dir: Path, name: str) -> SequenceView:
        """A run's predictions of sequence ``name``, read back from ``pred_dir`` through this
        adapter's own reader, with the ground truth where the split has it: what ``unibench
        show`` draws. Adapters of every task implement it; the default says none does here."""
        raise DataError(f"{self.name}: unibench show draws no view of this benchmark")

    def experiment_for(self, seq: VideoSequence) -> Any:
        """The experiment a protocol runs on ``seq`` in place of one pass (VOT's reset-based
        and anchor-based runs, grounding); None: one pass from the given state."""
        return None

    def check_sequence(self, name: str) -> int | None:
        """The fast check of one sequence that ``run``, ``eval`` and ``data check`` make before
        any model is built: by default its load (frame names and counts, image sizes from
        headers, the first annotation), which raises :class:`DataError` naming the file. Returns
        the number of frames found (None where the adapter cannot say without decoding). An
        adapter whose load is costly overrides it with a cheaper check of the same facts."""
        return len(self.load_sequence(name).clip)

    def check_run_inputs(self, name: str) -> None:
        """What ``run`` needs beyond the benchmark's own files (e.g. the detections a VIS head
        associates), checked with :meth:`check_sequence` before any model is built; ``data
        check`` does not ask for it (the folder is complete without them). By default none."""
        return None

    def check_ground_truth(self, name: str) -> None:
        """The fast check ``eval`` makes of what it scores against (frames need not be on disk
        to score: TrackEval's and BDD100K's ground-truth archives carry none). By default none
        beyond the scorer's own; adapters whose ground truth can be the wrong kind override it
        (DAVIS: DAVIS-2017 palettes in a DAVIS-2016 run and the reverse)."""
        return None

    def decode_all(self, name: str) -> list[str]:
        """``data check --deep``: decode every image of sequence ``name`` (its frames, and its
        annotation images where an adapter adds them) and return one line per file that cannot
        be read (missing, truncated, not an image)."""
        clip = self.load_sequence(name).clip
        return unreadable(range(len(clip)), clip.frame)

    def first_frames(self, items: Sequence) -> Sequence:
        """``items`` (a sequence's frames, or its per-frame annotations) cut to the frame limit;
        the one place the limit is applied, by the adapters that declare ``frame_subsets``."""
        return items if self.frame_limit is None else items[: self.frame_limit]


@dataclass(frozen=True)
class BenchmarkSpec:
    """A registered benchmark: its factory and the adapter class it builds, whose class attributes
    (:class:`BenchmarkBase`) say what the factory takes."""

    factory: Callable[..., Any]
    adapter: type[BenchmarkBase]
    # the folder it reads: official layout, recognised variants, how to obtain it, manifests
    # (None: written by UniBench itself, as the synthetic suites)
    data: DataLayout | None = None
    # what --data-root must hold ("" where the factory finds its folder itself: the synthetic
    # suites); a missing data root is one error naming it, before the factory runs
    root: str = ""
    name: str = ""

    @property
    def detections(self) -> bool:
        return self.adapter.takes_detections

    @property
    def options(self) -> bool:
        return self.adapter.Options is not None

    @property
    def head_defaults(self) -> Mapping[str, Mapping[str, Any]]:
        return self.adapter.head_defaults

    def __call__(self, data_root, split, sequences, **kwargs: Any):
        if data_root is None and self.root:
            raise DataError(f"{self.name} needs --data-root DIR ({self.root})")
        return self.factory(data_root, split, sequences, **kwargs)


def _check_adapter(name: str, spec: BenchmarkSpec) -> None:
    a = spec.adapter
    if not (isinstance(a, type) and issubclass(a, BenchmarkBase)):
        raise RegistryError(
            f"benchmark {name!r}: the adapter {a!r} is not a subclass of "
            "unibench.benchmarks.base.BenchmarkBase"
        )
    if inspect.isabstract(a):
        raise RegistryError(
            f"benchmark {name!r}: {a.__name__} does not implement "
            + ", ".join(sorted(a.__abstractmethods__))
            + " (the adapter contract: unibench.benchmarks.base.BenchmarkBase)"
        )
    if a.Options is not None and not dataclasses.is_dataclass(a.Options):
        raise RegistryError(f"benchmark {name!r}: {a.__name__}.Options must be a dataclass")


BENCHMARKS: Registry[BenchmarkSpec] = Registry(
    "benchmark",
    doc="BenchmarkSpec(factory(data_root, split, sequences[, detections=][, options=]) -> "
    "adapter instance, adapter: a BenchmarkBase subclass) (see unibench.benchmarks.base)",
    validate=_check_adapter,
)


def register_benchmark(
    name: str,
    factory: Callable[..., Any],
    adapter: type[BenchmarkBase] | None = None,
    data: DataLayout | None = None,
    root: str = "",
) -> BenchmarkSpec:
    """Register ``factory`` under ``name``; ``adapter`` is the class it builds (omitted where the
    factory is that class). The factory takes ``detections=`` where ``adapter.takes_detections``
    and ``options=`` where ``adapter.Options`` is set; ``data``: its folder's official layout,
    variants, manifests and how to obtain it (every real benchmark declares one); ``root``: what
    ``--data-root`` must hold, said when it is missing (every real benchmark needs one)."""
    if adapter is None:
        if not isinstance(factory, type):
            raise RegistryError(f"benchmark {name!r}: name the adapter class the factory builds")
        adapter = factory
    spec = BenchmarkSpec(factory, adapter, data, root, name)
    BENCHMARKS.register(name, spec, stacklevel=2)
    return spec


def scorer_version(bench) -> int:
    """The behaviour version of a benchmark's scorer (``BenchmarkBase.scorer_version``)."""
    return int(type(bench).scorer_version)


def score(bench, pred_dir: Path, sequences=None, progress: bool = False) -> MetricTable:
    """The one scoring call of every path (``run``, ``eval``): the benchmark's ``evaluate``, then
    the check that every figure it emitted is a declared metric (:mod:`unibench.metrics`), so a
    table, an export or a plot never meets a figure whose unit and official name nobody knows."""
    table = bench.evaluate(Path(pred_dir), sequences, progress=progress)
    missing = undeclared(
        [*table.summary, *(k for r in table.rows for k, v in r.items() if _is_figure(v))]
    )
    if missing:
        raise RegistryError(
            f"benchmark {bench.name!r} emitted undeclared metric(s) {', '.join(missing)}: declare "
            "each with unibench.metrics.register_metric beside the scorer that computes it"
        )
    return table


def _is_figure(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


# ------------------------------------------------------------------ what every adapter shares
class FileResults(BenchmarkBase):
    """For adapters whose results are one file per sequence (MOTChallenge text, OPE text, the
    OxUvA csv, PoseTrack / VIS / BDD json): ``result_suffix`` declares the extension."""

    result_suffix = ".txt"

    def result_path(self, pred_dir: Path, name: str) -> Path:
        return Path(pred_dir) / f"{name}{self.result_suffix}"


class TextResults(FileResults):
    """Results as text lines, one file per sequence (MOTChallenge, MOTS, OPE boxes, OxUvA,
    JHMDB): :meth:`result_lines` turns one frame's prediction into its lines (each ending in a
    newline); the writing, the count check and the file are written once here."""

    produced: ClassVar[str] = "predictions"  # what the count check calls them

    @abc.abstractmethod
    def result_lines(self, seq: VideoSequence, pred: Any) -> Iterable[str]:
        """The lines of one frame's prediction (none where the format leaves the frame out)."""

    def write_predictions(self, seq: VideoSequence, preds: Iterable[Any], out: Path) -> int:
        lines: list[str] = []
        n = 0
        for p in preds:
            n += 1
            lines.extend(self.result_lines(seq, p))
        check_produced(seq.name, n, len(seq.clip), self.produced)
        Path(out).write_text("".join(lines))
        return n


class SplitFolder(BenchmarkBase):
    """For layouts with one folder per split (``<root>/<split>/…``: MOTChallenge, MOTS20,
    GOT-10k, TrackingNet, BDD100K's and PoseTrack's label folders): :meth:`split_folder` is that
    folder, checked, with the splits that do exist named when it does not."""

    def split_folder(self, parent: Path, expected: str) -> Path:
        """``parent / self.split``, which must exist; ``expected``: what it should hold, said in
        the error."""
        d = Path(parent) / self.split
        if not d.is_dir():
            raise DataError(
                f"{d} does not exist: expected {expected}; known splits: {known_splits(parent)}"
            )
        return d


def listed_or_scanned(list_file: Path, folder: Path, marker: str | None = None) -> list[str]:
    """A split's sequences: the names of ``list_file`` (one per line) where it exists, else
    the sub-folders of ``folder`` (holding ``marker`` where one is given), sorted."""
    if list_file.is_file():
        return [x.strip() for x in read_text(list_file).splitlines() if x.strip()]
    return [n for n in list_dirs(folder) if marker is None or (folder / n / marker).exists()]


def unreadable(items: Iterable[Any], read: Callable[[Any], object]) -> list[str]:
    """``data check --deep``: ``read`` each item (a file, a frame index) and return one line
    per :class:`DataError` it raises (missing, truncated, not an image)."""
    out = []
    for item in items:
        try:
            read(item)
        except DataError as exc:
            out.append(str(exc))
    return out


def check_count(file: Path | str, n: int, what: str, frames: Sequence, where: str = "") -> None:
    """The frame-count check of a sequence's annotation file: ``n`` annotations (``what``: boxes,
    regions, …) for ``len(frames)`` frames, else one clear error naming the file."""
    if n != len(frames):
        raise DataError(f"{file}: {n} {what} for {len(frames)} frames{where}")


class GroundTruthFile(BenchmarkBase):
    """For adapters scored against one ground-truth file per sequence (MOTChallenge's
    ``gt/gt.txt``, MOTS' ``gt.txt`` and ``instances_txt``): ``data check`` asks for it on every
    split but ``test`` (which ships none), ``run`` (which scores what it tracks) and ``eval`` on
    every split, each through :meth:`ground_truth_rows` (:func:`require_ground_truth`).
    Subclasses give ``ground_truth_file(name)`` and ``read_ground_truth(path)``."""

    def ground_truth_file(self, name: str) -> Path:
        raise NotImplementedError

    def read_ground_truth(self, path: Path):
        raise NotImplementedError

    def ground_truth_rows(self, name: str):
        """The sequence's ground truth as ``read_ground_truth`` returns it, present and not
        empty."""
        f = self.ground_truth_file(name)
        rows = self.read_ground_truth(f) if f.is_file() else None
        require_ground_truth(f, -1 if rows is None else len(rows), self.name, self.split)
        return rows

    def check_sequence(self, name: str) -> int | None:
        n = super().check_sequence(name)
        if self.split != "test":  # the test split ships no ground truth
            self.ground_truth_rows(name)
        return n

    def check_run_inputs(self, name: str) -> None:
        self.ground_truth_rows(name)  # run scores what it tracks: the test split too

    def check_ground_truth(self, name: str) -> None:
        self.ground_truth_rows(name)


def require_ground_truth(path: Path | str, rows: int, bench: str, split: str) -> None:
    """The check ``run`` and ``data check`` make of an association benchmark's ground-truth file
    (MOTChallenge's ``gt/gt.txt``, MOTS' ``gt.txt`` and ``instances_txt``): present, and holding at
    least one row (``rows``; -1: not read because missing). An empty or missing file would score
    every prediction as a false positive (MOTA of -4400 %) after the whole sequence was tracked."""
    if rows < 0:
        raise DataError(
            f"missing {path}: {bench} {split} is scored against it (a split without public ground "
            "truth is scored by the benchmark's server)"
        )
    if rows == 0:
        raise DataError(f"{path}: no ground-truth row (an empty file); {bench} {split} is scored "
                        "against it")  # fmt: skip


def check_produced(name: str, n: int, n_frames: int, what: str = "predictions") -> None:
    """The count check of a head's output, before anything is written: one prediction per frame
    of sequence ``name``, else one clear error."""
    if n != n_frames:
        raise DataError(f"{name}: the head produced {n} {what} for {n_frames} frames")


def frame_clip(frames: Sequence[Path | str], size: tuple[int, int] | None = None) -> Clip:
    """A sequence's clip read lazily from its frame files: frame names are the files' stems, a
    frame is decoded as RGB when the head asks for it; ``size`` (h, w) is read from the first
    frame's header where not given."""
    paths = tuple(Path(f) for f in frames)
    if size is None:
        size = image_size(paths[0])
    return Clip(tuple(p.stem for p in paths), lambda i: read_rgb(paths[i]), size)


def clip_meta(*parts: object, frames: Sequence[Path]) -> dict[str, str]:
    """A sequence's ``meta`` with its clip key (the feature cache's key: the parts that name the
    clip, then the fingerprint of its frame files)."""
    return {"cache_key": "|".join([*(str(p) for p in parts), frames_fingerprint(frames)])}


def parse_options(cls: type, options: Mapping | Any | None):
    """``benchmark.options`` validated into the benchmark's options dataclass ``cls`` (unknown
    keys and wrong types are errors naming the key); an instance passes through."""
    if isinstance(options, cls):
        return options
    return from_dict(cls, options, "benchmark.options", "benchmark.options.")


def known_splits(parent: Path) -> str:
    """The split folders under ``parent`` (for "unknown split" messages)."""
    parent = Path(parent)
    names = list_dirs(parent)
    return ", ".join(names) or f"none ({parent} holds no split folder)"


def iter_progress(items: list[str], desc: str, enabled: bool) -> Iterator[str]:
    if not enabled or not sys.stderr.isatty():  # no bars in logs and pipes
        yield from items
        return
    yield from tqdm(items, desc=desc, unit="seq", leave=False)


def frame_subset_benchmarks() -> list[str]:
    """The registered benchmarks whose adapters honour ``benchmark.frames``."""
    return [n for n in BENCHMARKS.names() if BENCHMARKS.get(n).adapter.frame_subsets]


def build_benchmark(
    name: str, data_root, split, sequences, detections=None, options=None, frames=None,
    truncate: bool = False,
):  # fmt: skip
    """Build a registered benchmark; ``detections`` and scoring ``options`` only where its
    registration says the factory takes them; ``frames``: the first N frames of every sequence
    (adapters that declare ``frame_subsets``)."""

    spec = BENCHMARKS.get(name)
    if frames is not None:
        if isinstance(frames, bool) or not isinstance(frames, int) or frames < 3:
            raise ConfigError(
                f"benchmark.frames (--frames) must be an integer >= 3 (the first N frames of "
                f"each sequence), got {frames!r}"
            )
        if not spec.adapter.frame_subsets:
            raise ConfigError(
                f"benchmark {name!r} does not run frame subsets (benchmark.frames / --frames); "
                f"those that do: {', '.join(frame_subset_benchmarks())}"
            )
    kwargs = {}
    if truncate:
        if not spec.adapter.truncates:
            takes = [n for n in BENCHMARKS.names() if BENCHMARKS.get(n).adapter.truncates]
            raise ConfigError(
                f"benchmark {name!r} reads no cut copies (benchmark.truncate / --truncate); "
                f"those that do: {', '.join(takes)}"
            )
        kwargs["truncate"] = True
    if detections is not None:
        if not spec.detections:
            raise ConfigError(
                f"benchmark {name!r} takes no detection folder (benchmark.detections / "
                "--detections applies to association benchmarks: MOTChallenge, MOTS, PoseTrack, "
                "BDD100K)"
            )
        kwargs["detections"] = detections
    if options:
        if not spec.options:
            raise ConfigError(
                f"benchmark {name!r} takes no scoring options (benchmark.options.*); "
                f"got {', '.join(sorted(options))}"
            )
        kwargs["options"] = dict(options)
    bench = spec(data_root, split, sequences, **kwargs)
    bench.frame_limit = frames
    # names read from list files become paths: none may leave the data root, on any path (run,
    # eval, package) alike
    for n in bench.sequence_names():
        safe_name(n, "sequence", f"benchmark {bench.name} at {bench.root}", DataError)
    return bench


def _xywh_iou(a: tuple, b: tuple) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def with_identity_switches(frames: list[FrameView], threshold: float = 0.5) -> list[FrameView]:
    """Each frame's predictions matched to its ground truth (boxes, IoU >= ``threshold``, the
    Hungarian assignment, as CLEAR's matching); a ground-truth identity matched to another
    track than the last that tracked it is an identity switch, added to the frame's events and
    to that track's label; the frame's score is the share of ground truth matched (recall)."""
    last: dict[int, int] = {}
    out = []
    for f in frames:
        gts = [g for g in f.gt_objects if g.box is not None]
        prs = [p for p in f.objects if p.box is not None]
        events = list(f.events)
        switched: set[int] = set()
        matched = 0
        if gts and prs:
            cost = np.array([[1 - _xywh_iou(g.box, p.box) for p in prs] for g in gts])
            for gi, pi in zip(*linear_sum_assignment(cost), strict=True):
                if cost[gi, pi] > 1 - threshold:
                    continue
                matched += 1
                g, p = gts[gi].ident, prs[pi].ident
                if g in last and last[g] != p:
                    events.append(f"ID switch: {last[g]} → {p}")
                    switched.add(p)
                last[g] = p
        objects = tuple(
            dataclasses.replace(o, text=o.text + " switch") if o.ident in switched else o
            for o in f.objects
        )
        score = matched / len(gts) if gts else f.score
        out.append(dataclasses.replace(f, objects=objects, events=tuple(events), score=score))
    return out
