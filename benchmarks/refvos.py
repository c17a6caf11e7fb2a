"""Referring video object segmentation: Ref-YouTube-VOS and Ref-DAVIS17 (the R-VOS benchmarks of
UNINEXT, ReferFormer, URVOS), through the VOS head.

Layouts (official):

- ``ref-youtube-vos``: ``<root>/<split>/JPEGImages/<video>/<frame>.jpg``, ``<root>/<split>/
  Annotations/<video>/<frame>.png`` (palette, on ``train``), ``<root>/<split>/meta.json``
  (YouTube-VOS 2019's) and ``<root>/meta_expressions/<split>/meta_expressions.json``
  (``{"videos": {video: {"expressions": {exp_id: {"exp": text, "obj_id": id}}, "frames": [...]}}}``;
  ``valid`` gives no ``obj_id``). Results: ``<predictions>/<video>/<exp_id>/<frame>.png``, one binary
  0/255 mask per expression and sampled frame; ``unibench package`` zips them as the server's
  ``Annotations/<video>/<exp_id>/<frame>.png``.
- ``ref-davis17``: DAVIS-2017 (``<root>/DAVIS/JPEGImages/480p``, ``Annotations_unsupervised/480p``:
  the object ids the expressions name, ``ImageSets/2017/<split>.txt``) and Khoreva et al.'s
  ``<root>/davis_text_annotations/Davis17_annot{1,2}.txt`` (first-frame expressions) and
  ``Davis17_annot{1,2}_full_video.txt`` (full-video expressions), one ``video obj_id "text"`` per line
  (annotator 1's files UTF-8, annotator 2's Latin-1; three misspelt video names of the release read
  as the DAVIS names, as ReferFormer's converter reads them). The four files are the four expression
  sets ``anno_0`` … ``anno_3`` (annotator 1 first-frame, annotator 1 full-video, annotator 2
  first-frame, annotator 2 full-video). Results: ``<predictions>/<video>/anno_<k>/<frame>.png``,
  palette maps of the set's referred objects.

Protocols (``--option protocol=…``; every record names its protocol):

- ``oracle-first-frame`` (the default): the referred object's mask in its first annotated frame is
  given and the VOS head propagates it. All first-frame objects of a video are propagated together,
  once (the DAVIS semi-supervised setting), and each expression's result is its object's mask. It
  measures propagation on R-VOS videos: comparable across models, **not with R-VOS papers**, whose
  models find the object from the text.
- ``zero-shot-grounding`` (UniBench's own referring-selection protocol, for models with a text
  tower: the CLIP cards): the candidates are **the dataset's own object masks**, each object in its
  first annotated frame (the masks the oracle protocol gives; Ref-DAVIS17: the objects of
  ``Annotations_unsupervised``'s first frame; Ref-YouTube-VOS: the objects of ``meta.json``, each in
  its first annotated frame). Each expression (``prompt`` with ``{}`` replaced by it; default the
  bare expression) selects the candidate whose region embedding is the most similar to its text
  embedding (cosine; :mod:`unibench.appearance_models.text`: the image tower's final-norm tokens
  averaged inside the mask, the frame seen at ``grounding_height`` pixels (default 224, CLIP's
  training resolution), through the image projection; ties go to the lowest object id); the VOS
  head propagates the given objects as under the oracle protocol, and each expression's result is
  its **selected** object's mask. With every selection right, its figures equal the oracle
  protocol's (tested). The selection and the similarities are written beside the masks
  (``<video>/grounding.json``), and ``Grounding acc. (R-VOS)`` is the fraction of expressions that
  selected their referred object. It is a selection protocol among given masks: not comparable
  with trained R-VOS models, which find and segment the object from the text alone.

Scoring:

- Ref-YouTube-VOS (locally, where annotations exist: ``train`` or a held-out part of it): per
  expression, J and F (DAVIS definitions) of its binary mask against its object over the sampled
  frames after the object's first annotated frame (given under the oracle protocol); ``J (R-VOS)``
  and ``F (R-VOS)`` are their means over expressions, ``J&F (R-VOS)`` their mean. ``valid`` has no
  annotations: ``unibench package`` writes the server's zip.
- Ref-DAVIS17 as ReferFormer's ``scripts/dist_test_davis.sh`` runs it (the protocol UNINEXT
  reports): each expression set is scored with davis2017-evaluation's ``unsupervised`` task against
  ``Annotations_unsupervised`` (every frame, void pixels left out, predicted ids matched to the
  ground truth by the Hungarian assignment); ``J&F (R-VOS)`` is the mean of the four sets' J&F (and
  J, F alike).

Under ``zero-shot-grounding`` the scored frames and sets are the same (so that a right selection
scores as the oracle protocol does); ``Grounding acc. (R-VOS)`` is averaged over expressions
(Ref-DAVIS17: per set, then over the four sets).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from unibench.benchmarks.base import (
    BenchmarkBase,
    check_produced,
    clip_meta,
    frame_clip,
    iter_progress,
    register_benchmark,
)
from unibench.benchmarks.data.folders import DataLayout, Obtain, Variant
from unibench.benchmarks.formats.jsonfiles import read_videos
from unibench.benchmarks.formats.palette import read_label_map, write_binary_png, write_palette_png
from unibench.benchmarks.scorers import vos as vos_metrics
from unibench.benchmarks.youtubevos import YouTubeVOS

from unibench.datatypes import (
    FrameView,
    Grounded,
    GroundingExperiment,
    MaskInit,
    MetricTable,
    SequenceView,
    VideoSequence,
    VOSFramePrediction,
)
from unibench.errors import ConfigError, DataError
from unibench.io import (
    atomic_write_text,
    check_numbered,
    image_size,
    list_files,
    read_json,
    read_text,
)
from unibench.paths import safe_name

PROTOCOLS = ("oracle-first-frame", "zero-shot-grounding")
RVOS = ("J&F (R-VOS)", "J (R-VOS)", "F (R-VOS)")


GROUNDING_ACC = vos_metrics.GROUNDING_ACC
SELECTION_FILE = "grounding.json"  # beside a video's masks: each expression's selection


@dataclass(frozen=True)
class RefVOSOptions:
    """``protocol``: ``oracle-first-frame`` or ``zero-shot-grounding`` (see the module
    docstring); ``grounding_height``: the frame height the regions are embedded at;
    ``prompt``: the text embedded for an expression, ``{}`` standing for it."""

    protocol: Literal["oracle-first-frame", "zero-shot-grounding"] = "oracle-first-frame"
    grounding_height: int = 224
    prompt: str = "{}"

    def __post_init__(self) -> None:
        if self.grounding_height < 16:
            raise ConfigError(
                f"benchmark.options.grounding_height={self.grounding_height}: expected at least "
                "16 pixels"
            )
        if self.prompt.count("{}") != 1:
            raise ConfigError(
                f"benchmark.options.prompt={self.prompt!r}: expected one '{{}}' where the "
                "expression goes (e.g. 'a photo of {}')"
            )


def _protocol_line(opts: RefVOSOptions, scoring: str) -> str:
    if opts.protocol == "zero-shot-grounding":
        return (
            "zero-shot-grounding (UniBench's own referring-selection protocol, not comparable "
            "with trained R-VOS models): each expression selects one of the dataset's own object "
            "masks, each object in its first annotated frame, by the cosine of the CLIP text "
            f"embedding of {opts.prompt!r} and the region's pooled, projected image features "
            f"(frame at {opts.grounding_height} px); the VOS head propagates the given objects and "
            f"each expression gets its selected object's mask; {scoring}; {GROUNDING_ACC}: the "
            "fraction of expressions that selected their referred object"
        )
    return (
        f"{opts.protocol}: the referred object's first-frame mask given, the VOS head propagates "
        f"it (UniBench's protocol: comparable across models, not with R-VOS papers); {scoring}"
    )


class RefVOSProtocol:
    """What the two R-VOS benchmarks share: the protocol, the grounding step they declare, the
    selection file they write and read."""

    ref_options: RefVOSOptions

    @property
    def grounding(self) -> bool:
        """Whether runs ground expressions (the planner then adds the model's text tower to the
        run identity)."""
        return self.ref_options.protocol == "zero-shot-grounding"

    def expression_texts(self, seq: VideoSequence) -> dict[str, str]:
        """Expression key → text, for every expression of the sequence."""
        raise NotImplementedError

    def referred_objects(self, name: str) -> dict[str, int | None]:
        """Expression key → the object it refers to (None where the release gives none)."""
        raise NotImplementedError

    def experiment_for(self, seq: VideoSequence) -> GroundingExperiment | None:
        if not self.grounding:
            return None
        o = self.ref_options
        exps = tuple(self.expression_texts(seq).items())
        return GroundingExperiment(exps, o.grounding_height, o.prompt)

    @property
    def summary_metrics(self) -> tuple[str, ...]:
        return RVOS + ((GROUNDING_ACC,) if self.grounding else ())

    def columns(self, keys: tuple[str, ...], selected: bool) -> list[str]:
        """A score table's columns: the row keys, the object (and its selection), the figures."""
        picked = ["selected"] if selected else []
        return [*keys, "object", *picked, "J&F-Mean", "J-Mean", "F-Mean", "frames",
                *self.summary_metrics]  # fmt: skip

    @staticmethod
    def unpack(preds) -> tuple[Iterable[VOSFramePrediction], Grounded | None]:
        if isinstance(preds, Grounded):
            return preds.predictions, preds
        return preds, None

    def write_selection(self, seq: VideoSequence, grounded: Grounded, out_dir: Path) -> None:
        texts = self.expression_texts(seq)
        referred = self.referred_objects(seq.name)
        doc = {
            key: {
                "expression": texts[key],
                "referred": referred.get(key),
                "selected": grounded.selection[key],
                "similarity": {str(o): v for o, v in grounded.similarity[key].items()},
            }
            for key in texts
        }
        atomic_write_text(Path(out_dir) / SELECTION_FILE, json.dumps(doc, indent=1) + "\n")

    def read_selection(self, pred_dir: Path, name: str) -> dict[str, int]:
        """Expression key → the object it selected, for every expression of ``name``."""
        f = Path(pred_dir) / name / SELECTION_FILE
        doc = read_json(
            f, "each expression's selection (a zero-shot-grounding run writes it there)"
        )
        try:
            chosen = {str(k): int(v["selected"]) for k, v in doc.items()}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DataError(
                f"{f}: expected {{expression: {{'selected': object id, …}}}} ({exc})"
            ) from None
        missing = [k for k in self.referred_objects(name) if k not in chosen]
        if missing:
            raise DataError(f"{f}: no selection for expression(s) {', '.join(missing)}")
        return chosen


def rvos_summary(rows: list[dict], grounding: bool = False) -> dict[str, float]:
    """J and F averaged over the rows (expressions), J&F their mean; under grounding, the
    fraction of rows whose selection is their referred object."""
    if not rows:
        return {}
    j = float(np.nanmean([r["J-Mean"] for r in rows]))
    f = float(np.nanmean([r["F-Mean"] for r in rows]))
    out = {"J&F (R-VOS)": (j + f) / 2, "J (R-VOS)": j, "F (R-VOS)": f}
    if grounding:
        out[GROUNDING_ACC] = float(np.mean([r["selected"] == r["object"] for r in rows]))
    return out


# ------------------------------------------------------------------ Ref-YouTube-VOS
class RefYouTubeVOS(RefVOSProtocol, YouTubeVOS):
    toolkit = "the Ref-YouTube-VOS server (valid: unibench package); on annotated splits the DAVIS J&F per expression"
    checked_by = (
        "tests/benchmarks/test_refvos.py::test_ref_youtube_vos_synthetic_suite_two_expressions_per_object",
    )
    Options = RefVOSOptions
    scorer_version = 1

    def __init__(self, root, split="valid", sequences=None, name="ref-youtube-vos", options=None):
        self.ref_options = self.scoring_options(options)
        self.expr_path = Path(root) / "meta_expressions" / split / "meta_expressions.json"
        self.expressions = self._read_expressions(self.expr_path)
        super().__init__(root, split, sequences, name=name)

    def discover_sequences(self) -> list[str]:
        return [n for n in super().discover_sequences() if n in self.expressions]

    def _read_expressions(self, path: Path) -> dict[str, dict[str, dict]]:
        def video(_vid: str, v: dict) -> dict[str, dict]:
            exps = {}
            for eid, e in v["expressions"].items():
                safe_name(str(eid), "expression id", str(path), DataError)
                obj = e.get("obj_id")
                exps[str(eid)] = {"exp": str(e["exp"]), "obj_id": None if obj is None else int(obj)}
            return exps

        shape = "{'videos': {video: {'expressions': {id: {'exp', 'obj_id'}}}}}"
        return read_videos(path, "Ref-YouTube-VOS meta_expressions.json", video, shape)

    def referred(self, name: str, need_objects: bool = True) -> dict[str, dict]:
        """The expressions of a video, each checked to name an object of meta.json (scoring and
        the oracle protocol need the referred object; grounding and packaging do not)."""
        if name not in self.expressions:
            raise DataError(f"{self.expr_path}: no expressions for video {name}")
        for eid, e in self.expressions[name].items():
            if e["obj_id"] is None and not need_objects:
                continue
            if e["obj_id"] is None:
                raise DataError(
                    f"{self.expr_path}: {name} expression {eid} names no obj_id: the "
                    f"{self.ref_options.protocol} protocol needs the referred object (the "
                    f"{self.split!r} split gives none; run it on train)"
                )
            if e["obj_id"] not in self.meta[name]:
                raise DataError(
                    f"{self.expr_path}: {name} expression {eid} refers to object {e['obj_id']}, "
                    f"which {self.meta_path} does not list"
                )
        return dict(self.expressions[name])

    def load_sequence(self, name: str) -> VideoSequence:
        seq = super().load_sequence(name)
        seq.meta["expressions"] = self.referred(name, need_objects=not self.grounding)
        return seq

    def expression_texts(self, seq: VideoSequence) -> dict[str, str]:
        return {eid: e["exp"] for eid, e in seq.meta["expressions"].items()}

    def referred_objects(self, name: str) -> dict[str, int | None]:
        return {eid: e["obj_id"] for eid, e in self.expressions[name].items()}

    def write_predictions(self, seq: VideoSequence, preds, out_dir: Path) -> int:
        """One binary mask per expression and sampled frame: its referred object's (oracle) or
        its selected object's (grounding, with ``grounding.json`` beside)."""
        preds, grounded = self.unpack(preds)
        expected = set(seq.meta.get("expected_frames") or seq.clip.frame_names)
        exps = seq.meta["expressions"]
        target = {
            eid: grounded.selection[eid] if grounded else e["obj_id"] for eid, e in exps.items()
        }
        for eid in exps:
            (Path(out_dir) / eid).mkdir(parents=True, exist_ok=True)
        n = 0
        for p in preds:
            stem = seq.clip.frame_names[p.index]
            if stem in expected:
                for eid, oid in target.items():
                    write_binary_png(Path(out_dir) / eid / f"{stem}.png", p.labels == oid)
            n += 1
        if grounded is not None:
            self.write_selection(seq, grounded, out_dir)
        check_produced(seq.name, n, len(seq.clip))
        return n

    def result_files(self, name: str) -> list[str]:
        """One mask per expression and sampled frame (``unibench package`` zips them as the
        server's ``Annotations/<video>/<exp_id>/<frame>.png``)."""
        frames = self.sampled_frames(name)
        return [
            f"{name}/{eid}/{f.stem}.png" for eid in self.expressions.get(name, {}) for f in frames
        ]

    def view(self, pred_dir: Path, name: str) -> SequenceView:
        """Each expression's masks over the sampled frames, coloured by the expression's rank
        (the legend gives its text; two expressions of one object share its pixels, the later
        drawn on top), the referred objects' annotations beside them in the same colours where
        the split has them, and J per frame: the mean over the expressions whose object has
        appeared."""
        pred_dir = Path(pred_dir)
        sampled = self.sampled_frames(name)
        stems = [f.stem for f in sampled]
        exps = self.referred(name, need_objects=False)
        order = sorted(exps, key=lambda e: (len(e), e))  # '0', '1', …, '10'
        first = self.first_appearances(name, stems) if name in self.meta else {}
        views = []
        for t, s in enumerate(stems):
            labels, gt_labels, js = None, None, []
            a = self.annotations / name / f"{s}.png"
            gt = read_label_map(a) if a.is_file() else None
            for k, eid in enumerate(order, 1):
                p = pred_dir / name / eid / f"{s}.png"
                if not p.is_file():
                    raise DataError(f"missing prediction {p}: one mask per expression and frame")
                pm = read_label_map(p) > 0
                labels = np.zeros(pm.shape, np.uint8) if labels is None else labels
                labels[pm] = k
                oid = exps[eid]["obj_id"]
                if gt is not None and oid is not None:
                    gt_labels = np.zeros(gt.shape, np.uint8) if gt_labels is None else gt_labels
                    gt_labels[gt == oid] = k
                    if t > first.get(oid, len(stems)):
                        js.append(vos_metrics.jaccard(gt == oid, pm))
            views.append(FrameView(labels=labels, gt_labels=gt_labels,
                                   score=float(np.mean(js)) if js else None))  # fmt: skip
        scored = [v.score for v in views if v.score is not None]
        return SequenceView(
            name, tuple(views), "J", float(np.mean(scored)) if scored else None,
            frame_names=tuple(stems),
            legend=tuple((k, f"{eid}: {exps[eid]['exp']}") for k, eid in enumerate(order, 1)),
        )  # fmt: skip

    def evaluate(self, pred_dir: Path, sequences=None, progress: bool = False) -> MetricTable:
        pred_dir = Path(pred_dir)
        rows = []
        for name in iter_progress(list(sequences or self._names), "evaluate", progress):
            stems = [f.stem for f in self.sampled_frames(name)]
            first = self.first_appearances(name, stems)
            gts = []
            for s in stems:
                g = self.annotations / name / f"{s}.png"
                if not g.is_file():
                    raise DataError(
                        f"{name}: no ground truth {g}: local scoring needs annotations (train); "
                        f"package {self.split!r} results for the server instead"
                    )
                gts.append(read_label_map(g))
            chosen = self.read_selection(pred_dir, name) if self.grounding else {}
            for eid, e in self.referred(name).items():
                oid = e["obj_id"]
                frames = range(first[oid] + 1, len(stems))
                j, f = [], []
                for t in frames:
                    p = pred_dir / name / eid / f"{stems[t]}.png"
                    if not p.is_file():
                        raise DataError(
                            f"missing prediction {p}: one mask per expression and frame"
                        )
                    pm = read_label_map(p) > 0
                    if pm.shape != gts[t].shape:
                        raise DataError(f"{p}: size {pm.shape} != ground truth {gts[t].shape}")
                    j.append(vos_metrics.jaccard(gts[t] == oid, pm))
                    f.append(vos_metrics.f_measure(gts[t] == oid, pm))
                jm = float(np.mean(j)) if j else float("nan")
                fm = float(np.mean(f)) if f else float("nan")
                row = {"sequence": name, "expression": eid, "object": oid, "J-Mean": jm,
                       "F-Mean": fm, "J&F-Mean": (jm + fm) / 2, "frames": len(j)}  # fmt: skip
                if self.grounding:
                    row["selected"] = chosen[eid]
                rows.append(row)
        return MetricTable(
            self.columns(("sequence", "expression"), selected=self.grounding),
            rows,
            rvos_summary(rows, self.grounding),
            protocol=_protocol_line(
                self.ref_options,
                "per expression J and F over the sampled frames after its object's first "
                "annotated frame, averaged over expressions (Ref-YouTube-VOS server means)",
            ),
        )


# ------------------------------------------------------------------ Ref-DAVIS17
# the release's misspelt video names, read as the DAVIS names (ReferFormer's converter does so)
DAVIS_NAME_FIXES = {
    "clasic-car": "classic-car",
    "dog-scale": "dogs-scale",
    "motor-bike": "motorbike",
}
EXPRESSION_SETS = (  # anno_<k>: file, encoding
    ("Davis17_annot1.txt", "utf-8"),
    ("Davis17_annot1_full_video.txt", "utf-8"),
    ("Davis17_annot2.txt", "latin-1"),
    ("Davis17_annot2_full_video.txt", "latin-1"),
)


def read_davis_expressions(path: Path, encoding: str) -> dict[str, dict[int, str]]:
    """``video obj_id "expression"`` lines → video → object id → expression."""
    if not path.is_file():
        raise DataError(f"missing {path}: expected Khoreva et al.'s DAVIS-17 expressions")
    out: dict[str, dict[int, str]] = {}
    with open(path, encoding=encoding) as fh:
        for n, line in enumerate(fh, 1):
            parts = line.strip().split()
            if not parts:
                continue
            try:
                video, oid, text = parts[0], int(parts[1]), " ".join(parts[2:])
            except (IndexError, ValueError):
                raise DataError(f"{path}:{n}: expected 'video obj_id \"expression\"'") from None
            video = DAVIS_NAME_FIXES.get(video, video)
            out.setdefault(video, {})[oid] = text.strip('"')
    return out


class RefDAVIS17(RefVOSProtocol, BenchmarkBase):
    toolkit = "davis2017-evaluation's unsupervised protocol, averaged over the four annotators' expression sets"
    checked_by = (
        "tests/benchmarks/test_refvos.py::test_unsupervised_scoring_equals_the_official_davis2017_evaluation",
        "tests/benchmarks/test_refvos.py::test_ref_davis17_runs_and_averages_the_four_expression_sets",
    )
    Options = RefVOSOptions
    tasks = ("vos",)

    def __init__(self, root, split=None, sequences=None, name="ref-davis17", options=None):
        self.root = Path(root)
        self.split = split or "val"
        self.name = name
        self.ref_options = self.scoring_options(options)
        davis = self.root / "DAVIS"
        self.images = davis / "JPEGImages" / "480p"
        self.annotations = davis / "Annotations_unsupervised" / "480p"
        if not self.annotations.is_dir():
            raise DataError(
                f"{self.annotations} does not exist: expected DAVIS-2017 with its unsupervised "
                f"annotations under {davis}"
            )
        split_file = davis / "ImageSets" / "2017" / f"{self.split}.txt"
        if not split_file.is_file():
            raise DataError(f"missing {split_file}: expected the DAVIS-2017 split list")
        text_dir = self.root / "davis_text_annotations"
        self.sets = [read_davis_expressions(text_dir / f, enc) for f, enc in EXPRESSION_SETS]
        self.split_file = split_file
        unknown = [n for n in (sequences or []) if n not in self.discover_sequences()]
        if unknown:
            raise DataError(f"{split_file}: no sequence {', '.join(unknown)}")
        self.select_sequences(sequences, split_file)
        for n in self._names:
            for k, s in enumerate(self.sets):
                if n not in s:
                    raise DataError(f"{text_dir / EXPRESSION_SETS[k][0]}: no expression for {n}")

    def discover_sequences(self) -> list[str]:
        return [x.strip() for x in read_text(self.split_file).splitlines() if x.strip()]

    def _frames(self, name: str) -> list[Path]:
        frames = check_numbered(list_files(self.images / name, "*.jpg"))
        if not frames:
            raise DataError(f"sequence {name!r}: no .jpg frames in {self.images / name}")
        return frames

    def load_sequence(self, name: str) -> VideoSequence:
        frames = self._frames(name)
        size = image_size(frames[0])
        ann0 = self.annotations / name / f"{frames[0].stem}.png"
        mask = read_label_map(ann0)
        if mask.shape != size:
            raise DataError(f"{ann0}: mask size {mask.shape}, frame size {size}")
        ids = tuple(range(1, int(mask.max()) + 1))
        for k, s in enumerate(self.sets):
            bad = sorted(set(s[name]) - set(ids))
            if bad:
                raise DataError(
                    f"{self.root / 'davis_text_annotations' / EXPRESSION_SETS[k][0]}: {name} "
                    f"object {bad[0]} is not in {ann0} (objects {list(ids)})"
                )
        paths = tuple(frames)
        clip = frame_clip(frames, size)
        return VideoSequence(
            name, clip, MaskInit(mask, ids), clip_meta(self.name, name, frames=paths)
        )

    def expression_texts(self, seq: VideoSequence) -> dict[str, str]:
        """``anno_<k>/<object>`` → the expression of set k for that object."""
        return {
            f"anno_{k}/{oid}": s[seq.name][oid]
            for k, s in enumerate(self.sets)
            for oid in sorted(s[seq.name])
        }

    def referred_objects(self, name: str) -> dict[str, int | None]:
        return {f"anno_{k}/{oid}": oid for k, s in enumerate(self.sets) for oid in sorted(s[name])}

    def write_predictions(self, seq: VideoSequence, preds, out_dir: Path) -> int:
        """Per set, a palette map of the set's referred objects: each object's propagated mask
        (oracle), or the mask of the object its expression selected, labelled with the referred
        object's id (grounding; where two expressions select one object, the lower id takes its
        pixels, as ReferFormer's ``inference_davis.py`` merges its per-expression masks by argmax)."""
        preds, grounded = self.unpack(preds)
        referred = [sorted(s[seq.name]) for s in self.sets]
        for k in range(len(referred)):
            (Path(out_dir) / f"anno_{k}").mkdir(parents=True, exist_ok=True)
        n = 0
        for p in preds:
            stem = seq.clip.frame_names[p.index]
            for k, objs in enumerate(referred):
                if grounded is None:
                    labels = np.where(np.isin(p.labels, objs), p.labels, 0).astype(np.uint8)
                else:
                    labels = np.zeros_like(p.labels, dtype=np.uint8)
                    for oid in objs:
                        sel = grounded.selection[f"anno_{k}/{oid}"]
                        labels[(p.labels == sel) & (labels == 0)] = oid
                write_palette_png(Path(out_dir) / f"anno_{k}" / f"{stem}.png", labels)
            n += 1
        check_produced(seq.name, n, len(seq.clip))
        if grounded is not None:
            self.write_selection(seq, grounded, out_dir)
        return n

    def _set_predictions(
        self, pred_dir: Path, name: str, stems: list[str], k: int, size: tuple[int, ...]
    ) -> np.ndarray:
        """Set ``k``'s palette maps of sequence ``name``, one per frame, each of ``size``."""
        preds = []
        for s in stems:
            f = pred_dir / name / f"anno_{k}" / f"{s}.png"
            if not f.is_file():
                raise DataError(f"missing prediction {f}: one PNG per frame and set")
            pm = read_label_map(f)
            if pm.shape != size:
                raise DataError(f"{f}: size {pm.shape} != annotation {size}")
            preds.append(pm)
        return np.stack(preds)

    def view(self, pred_dir: Path, name: str) -> SequenceView:
        """The first annotator's set (``anno_0``): its palette maps (each referred object's mask
        in the colour of its id), the unsupervised annotations of the referred objects beside
        them, the legend giving each object's expression in that set; J per frame is the mean
        over the four sets and their objects, each set's predicted ids paired with the
        annotated objects by the Hungarian assignment on mean J over the sequence (the
        evaluation pairs on (J+F)/2; the two agree whenever the masks carry the referred ids,
        as UniBench writes them), void pixels left out, every frame scored as the evaluation
        scores them."""
        from scipy.optimize import linear_sum_assignment

        pred_dir = Path(pred_dir)
        stems = [f.stem for f in self._frames(name)]
        gt = np.stack(
            [read_label_map(self.annotations / name / f"{s}.png", keep_void=True) for s in stems]
        )
        void = gt == 255
        labels = np.where(void, 0, gt)
        n_gt = int(labels[0].max())
        per_set = []
        for k in range(len(self.sets)):
            pred = self._set_predictions(pred_dir, name, stems, k, gt.shape[1:])
            n_res = max(n_gt, int(pred.max()))
            j = np.array([[[vos_metrics.jaccard(labels[t] == g, pred[t] == r, void[t])
                            for t in range(len(stems))] for g in range(1, n_gt + 1)]
                          for r in range(1, n_res + 1)])  # fmt: skip
            rs, gs = linear_sum_assignment(-j.mean(2)) if n_gt else ((), ())
            per_set.append(j[rs, gs].mean(0) if n_gt else np.full(len(stems), np.nan))
            if k == 0:
                shown = pred
        referred = sorted(self.sets[0][name])
        gt_shown = np.where(np.isin(labels, referred), labels, 0).astype(np.uint8)
        score = np.nanmean(np.stack(per_set), 0)
        frames = tuple(
            FrameView(labels=shown[t].astype(np.uint8), gt_labels=gt_shown[t],
                      score=None if np.isnan(score[t]) else float(score[t]))
            for t in range(len(stems))
        )  # fmt: skip
        scored = [f.score for f in frames if f.score is not None]
        return SequenceView(
            name, frames, "J (4 sets)", float(np.mean(scored)) if scored else None,
            legend=tuple((oid, f"{oid}: {self.sets[0][name][oid]}") for oid in referred),
        )  # fmt: skip

    def evaluate(self, pred_dir: Path, sequences=None, progress: bool = False) -> MetricTable:
        pred_dir = Path(pred_dir)
        rows, picks = [], []
        for name in iter_progress(list(sequences or self._names), "evaluate", progress):
            if self.grounding:
                chosen = self.read_selection(pred_dir, name)
                for key, oid in self.referred_objects(name).items():
                    picks.append((key.split("/")[0], chosen[key] == oid))
            stems = [f.stem for f in self._frames(name)]
            gt = np.stack(
                [
                    read_label_map(self.annotations / name / f"{s}.png", keep_void=True)
                    for s in stems
                ]
            )
            for k in range(len(self.sets)):
                preds = self._set_predictions(pred_dir, name, stems, k, gt.shape[1:])
                for r in vos_metrics.evaluate_unsupervised(gt, preds):
                    rows.append({"set": f"anno_{k}", "sequence": name, **r})
        per_set = [rvos_summary([r for r in rows if r["set"] == f"anno_{k}"]) for k in range(4)]
        summary = {m: float(np.mean([s[m] for s in per_set])) for m in RVOS} if rows else {}
        if self.grounding and picks:  # per set, then over the sets, as J&F
            acc = [
                np.mean([ok for j, ok in picks if j == f"anno_{k}"]) for k in range(len(self.sets))
            ]
            summary[GROUNDING_ACC] = float(np.mean(acc))
        return MetricTable(
            self.columns(("set", "sequence"), selected=False),
            rows,
            summary,
            protocol=_protocol_line(
                self.ref_options,
                "each of the 4 expression sets scored with davis2017-evaluation's unsupervised "
                "task (every frame, void left out, Hungarian matching), J&F averaged over the "
                "sets (ReferFormer's dist_test_davis.sh)",
            ),
        )


def _ref_youtube_vos(data_root, split, sequences, options=None):
    return RefYouTubeVOS(data_root, split or "valid", sequences, options=options)


REF_YTVOS_DATA = DataLayout(
    tree="""\
Ref-YouTube-VOS/
├── valid/ (JPEGImages/<video>/00000.jpg …, meta.json)     (and train/ with Annotations/)
└── meta_expressions/valid/meta_expressions.json""",
    variants=(
        Variant(
            "official",
            ("*/JPEGImages/*", "meta_expressions/*/meta_expressions.json"),
            "YouTube-VOS 2019 frames with the expressions",
        ),
        Variant(
            "no-expressions",
            ("*/JPEGImages/*",),
            "YouTube-VOS frames without meta_expressions/: download the expressions",
        ),
    ),
    obtain=Obtain(
        page="https://youtube-vos.org/dataset/rvos/",
        gate="registration (CodaLab)",
        steps=(
            "register on the Ref-YouTube-VOS CodaLab competition, then download valid.zip and "
            "meta_expressions.zip",
            "unpack them into DIR (DIR/valid/, DIR/meta_expressions/)",
        ),
    ),
    unlisted="no citable list of Ref-YouTube-VOS' valid videos or expressions was found (they "
    "ship in the registration-gated meta_expressions.json); data check compares no sequence list",
    family="vos",
)
REF_DAVIS17_DATA = DataLayout(
    tree="""\
Ref-DAVIS17/
├── DAVIS/ (JPEGImages/480p/, Annotations_unsupervised/480p/, ImageSets/2017/)
└── davis_text_annotations/ (Davis17_annot1.txt, Davis17_annot2.txt, …)""",
    variants=(
        Variant(
            "official",
            ("DAVIS/JPEGImages/480p/*", "davis_text_annotations/*"),
            "DAVIS-2017 unsupervised + the text annotations",
        ),
        Variant(
            "no-text",
            ("DAVIS/JPEGImages/480p/*",),
            "DAVIS-2017 without davis_text_annotations/: download them",
        ),
    ),
    obtain=Obtain(
        page="https://www.mpi-inf.mpg.de/departments/computer-vision-and-machine-learning/research/video-segmentation/video-object-segmentation-with-language-referring-expressions",
        gate="manual download",
        steps=(
            "download DAVIS-2017-Unsupervised-trainval-480p.zip from davischallenge.org and unpack "
            "it as DIR/DAVIS",
            "download davis_text_annotations.zip from the page and unpack it as "
            "DIR/davis_text_annotations",
        ),
    ),
    unlisted="Ref-DAVIS17's videos are DAVIS-2017's (davis2017's val manifest lists the 30 val "
    "videos); no list of its expressions per annotator was found",
    family="vos",
)
register_benchmark(
    "ref-youtube-vos", _ref_youtube_vos, RefYouTubeVOS, data=REF_YTVOS_DATA,
    root="the folder holding meta_expressions/",
)  # fmt: skip
register_benchmark(
    "ref-davis17", RefDAVIS17, data=REF_DAVIS17_DATA,
    root="holding DAVIS/ and davis_text_annotations/",
)  # fmt: skip
