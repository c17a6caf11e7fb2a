"""The runner's side of the VOT experiments: a SOT head is re-initialised with the ground truth
at a given frame (``VideoSequence.restart``), so every SOT head runs them unchanged and no
benchmark holds a tracking loop.

- reset-based (``ResetExperiment``; the VOT toolkit's ``SupervisedExperiment.execute``): the head
  starts on frame 0; on the first frame whose prediction overlaps the ground truth by
  ``failure_overlap`` or less (the toolkit's raster overlap, in the image) the run records a
  failure, skips ``skip_initialize`` frames (recorded as 0) and re-initialises there (code 1).
  The heads are deterministic, so one repetition stands for the toolkit's 15 (which it stops
  after three identical runs of a deterministic tracker).
- anchor-based (``AnchorExperiment``; ``MultiStartExperiment``): one run per anchor, forward to
  the last frame or backward to frame 0, with no reset; the first line is the initialisation.

And the R-VOS referring selection (``GroundingExperiment``, the ``zero-shot-grounding``
protocol): the candidates are the sequence's given objects, each in its first annotated frame
(:attr:`MaskInit.first_appearances`: the dataset's own object masks, a documented, reproducible
source); each expression selects the candidate whose region embedding is the most similar to its
text embedding (cosine; ties to the lowest object id), through the model's
:class:`~unibench.appearance_models.text.Grounder`; the head then propagates the given objects
as it does without grounding, and the benchmark writes each expression's selected object.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from unibench.benchmarks.formats.regions import INIT, UNKNOWN, Region
from unibench.benchmarks.scorers.vot import overlap
from unibench.datatypes import (
    AnchorExperiment,
    Grounded,
    GroundingExperiment,
    ProtocolRun,
    ResetExperiment,
    RunFrame,
    VideoSequence,
)

__all__ = ["ground", "run_anchor_based", "run_reset_based", "run_experiment"]


def run_reset_based(head, seq: VideoSequence, extractor, exp: ResetExperiment) -> ProtocolRun:
    n = len(seq.clip)
    frames: list[RunFrame] = [RunFrame(UNKNOWN)] * n
    start = 0
    while start < n:
        frames[start] = RunFrame(INIT)
        nxt = n
        preds: Iterator = head.track(seq.restart(start, exp.init_boxes[start]), extractor)
        try:
            for p in preds:
                if p.index == 0:
                    frames[start] = RunFrame(INIT, seconds=p.seconds)
                    continue
                t = start + p.index
                box = tuple(float(v) for v in p.box)
                if overlap(Region.rect(*box), exp.gt[t], exp.bounds) <= exp.failure_overlap:
                    frames[t] = RunFrame(2, box, p.seconds, p.score)  # failure
                    nxt = t + exp.skip_initialize
                    break
                frames[t] = RunFrame(None, box, p.seconds, p.score)
        finally:
            close = getattr(preds, "close", None)
            if close is not None:
                close()  # a generator stopped at a failure releases what it holds
        start = nxt
    return ProtocolRun("001", tuple(frames))


def run_anchor_based(
    head, seq: VideoSequence, extractor, exp: AnchorExperiment
) -> list[ProtocolRun]:
    runs = []
    for anchor, reverse in [(a, False) for a in exp.forward] + [(a, True) for a in exp.backward]:
        frames = []
        for p in head.track(seq.restart(anchor, exp.init_boxes[anchor], reverse), extractor):
            if p.index == 0:
                frames.append(RunFrame(INIT, seconds=p.seconds))
            else:
                frames.append(RunFrame(None, tuple(float(v) for v in p.box), p.seconds, p.score))
        runs.append(ProtocolRun(f"{anchor:08d}", tuple(frames)))
    return runs


def ground(
    seq: VideoSequence, exp: GroundingExperiment, grounder
) -> tuple[dict[str, int], dict[str, dict[int, float]]]:
    """Each expression's selected object and every candidate's similarity (see the module
    docstring)."""
    cands = seq.init.first_appearances
    if not cands:
        raise ValueError(f"{seq.name}: no given object to select among")
    by_frame: dict[int, list] = {}
    for a in cands:
        by_frame.setdefault(a.frame, []).append(a)
    emb, ids = [], []
    for t, group in sorted(by_frame.items()):
        emb.append(grounder.regions(seq.clip.frame(t), [a.mask for a in group], exp.height))
        ids += [a.object_id for a in group]
    regions = torch.cat(emb)
    order = sorted(range(len(ids)), key=lambda i: ids[i])
    regions, ids = regions[order], [ids[i] for i in order]
    keys = [k for k, _ in exp.expressions]
    texts = grounder.texts([exp.prompt.replace("{}", t, 1) for _, t in exp.expressions])
    sim = (texts @ regions.T).cpu().double()  # expressions × candidates
    selection = {k: ids[int(sim[i].argmax())] for i, k in enumerate(keys)}  # first max: lowest id
    similarity = {k: {o: float(sim[i, j]) for j, o in enumerate(ids)} for i, k in enumerate(keys)}
    return selection, similarity


def run_experiment(
    head, seq: VideoSequence, extractor, experiment, grounder=None
) -> Iterator | list[ProtocolRun] | Grounded:
    """The predictions a benchmark's ``write_predictions`` receives for ``seq``: the head's
    one-pass predictions (``experiment`` None), the runs of a VOT experiment, or a grounded run
    (``grounder``: the model's :class:`~unibench.appearance_models.text.Grounder`)."""
    if experiment is None:
        return head.track(seq, extractor)
    if isinstance(experiment, GroundingExperiment):
        if grounder is None:
            raise ValueError("a grounding experiment needs the model's grounder")
        selection, similarity = ground(seq, experiment, grounder)
        return Grounded(selection, similarity, head.track(seq, extractor))
    if isinstance(experiment, ResetExperiment):
        return [run_reset_based(head, seq, extractor, experiment)]
    if isinstance(experiment, AnchorExperiment):
        return run_anchor_based(head, seq, extractor, experiment)
    raise TypeError(f"unknown experiment {type(experiment).__name__}")
