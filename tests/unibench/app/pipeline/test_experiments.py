"""The runner's VOT experiment loops (unibench/app/pipeline/experiments.py) on a scripted head: the
reset-based loop gives the trajectory of the VOT toolkit's ``SupervisedExperiment.execute`` (its
rule transcribed in tests/benchmarks/test_vot_toolkit_parity.py), the anchor-based loop one run per
anchor in run order; the head is re-initialised with the ground truth's box each time. The
grounding step on a scripted grounder: candidates, prompt, cosine argmax, ties."""

from __future__ import annotations

import numpy as np
import torch
from unibench.benchmarks.formats import regions as R
from unibench.benchmarks.scorers import vot as V

from unibench.app.pipeline.experiments import (
    ground,
    run_anchor_based,
    run_experiment,
    run_reset_based,
)
from unibench.datatypes import (
    AnchorExperiment,
    BoxFramePrediction,
    BoxInit,
    Clip,
    FirstAppearance,
    Grounded,
    GroundingExperiment,
    MaskInit,
    ResetExperiment,
    VideoSequence,
)

W, H, N = 64, 48, 30
LOST = {4, 5, 17, 27, 29}  # lost again while skipping, and on the last frames


class ScriptedHead:
    """Predicts frame t's box from a fixed script (far away on the lost frames) and records each
    (re)initialisation: the first frame of the clip it is given and its box."""

    def __init__(self, script):
        self.script = script
        self.inits: list[tuple[int, tuple]] = []

    def track(self, seq, extractor):
        frames = [int(n) for n in seq.clip.frame_names]
        self.inits.append((frames[0], seq.init.box))
        yield BoxFramePrediction(0, seq.init.box, 0.0)
        for i, t in enumerate(frames[1:], 1):
            yield BoxFramePrediction(i, self.script[t], 0.0, 0.5)


def setup():
    gt = [R.Region.rect(5 + t, 6 + t / 2, 12, 10) for t in range(N)]
    script = [
        (50.0, 40.0, 5.0, 4.0) if t in LOST else (6.0 + t, 6.0 + t / 2, 12.0, 10.0)
        for t in range(N)
    ]
    names = tuple(f"{t:05d}" for t in range(N))
    clip = Clip(names, lambda i: np.zeros((H, W, 3), np.uint8), (H, W))
    seq = VideoSequence("s", clip, BoxInit(tuple(gt[0].data)), {"cache_key": "s"})
    boxes = tuple(tuple(float(v) for v in g.data) for g in gt)
    return gt, script, seq, boxes


def test_reset_based_loop_is_the_toolkits():
    gt, script, seq, boxes = setup()
    head = ScriptedHead(script)
    run = run_reset_based(head, seq, None, ResetExperiment(tuple(gt), boxes, (W, H), 5))
    # the toolkit's rule: a failure on overlap <= 0, re-initialised 5 frames later
    want, f = [0] * N, 0
    while f < N:
        want[f], f = 1, f + 1
        while f < N:
            if V.overlap(R.Region.rect(*script[f]), gt[f], (W, H)) <= 0:
                want[f], f = 2, f + 5
                break
            want[f], f = None, f + 1
    assert [fr.code for fr in run.frames] == want
    assert [t for t, _ in head.inits] == [t for t, c in enumerate(want) if c == 1] == [0, 9, 22]
    assert all(box == boxes[t] for t, box in head.inits)  # re-initialised with the ground truth
    assert run.key == "001" and run.frames[1].box == script[1] and run.frames[1].score == 0.5


def test_anchor_based_runs_go_forward_and_backward():
    gt, script, seq, boxes = setup()
    head = ScriptedHead(script)
    runs = run_anchor_based(head, seq, None, AnchorExperiment((0, 12), (29,), boxes))
    assert [r.key for r in runs] == ["00000000", "00000012", "00000029"]
    assert [len(r.frames) for r in runs] == [30, 18, 30]
    assert all(r.frames[0].code == 1 for r in runs)
    assert runs[2].frames[1].box == script[28]  # backward: frame 29, then 28, …
    assert [t for t, _ in head.inits] == [0, 12, 29]
    assert seq.restart(29, boxes[29], reverse=True).meta["cache_key"] == "s|from 29 back"


# ------------------------------------------------------------------ grounding
class ScriptedGrounder:
    """Region embeddings from the mask's area (a one-hot per object by area), text embeddings by
    keyword; records the frames and heights it was asked for."""

    AREAS = {4: 0, 6: 1, 9: 2}  # mask area → embedding axis

    def __init__(self):
        self.calls: list[tuple[int, int]] = []
        self.prompts: list[str] = []

    def regions(self, frame, masks, height):
        self.calls.append((int(frame[0, 0, 0]), height))
        out = torch.zeros(len(masks), 3)
        for i, m in enumerate(masks):
            out[i, self.AREAS[int(m.sum())]] = 1.0
        return out

    def texts(self, texts):
        self.prompts += list(texts)
        vecs = {"small": [1.0, 0, 0], "middle": [0, 1.0, 0], "large": [0, 0, 1.0], "any": [1.0] * 3}
        return torch.tensor([vecs[t.split()[-1]] for t in texts])


def _three_objects():
    """Objects 1 (area 4) and 3 (area 9) given on frame 0, object 2 (area 6) entering on frame 2;
    frame t's pixels all equal t (the scripted grounder reads which frame it got)."""
    H = W = 8
    m0 = np.zeros((H, W), np.uint8)
    m0[:2, :2] = 1
    m0[5:8, 5:8] = 3
    late = np.zeros((H, W), bool)
    late[:2, 4:7] = True
    init = MaskInit(m0, (1, 2, 3), (FirstAppearance(2, 2, late),))
    clip = Clip(
        tuple(f"{t:05d}" for t in range(4)), lambda t: np.full((H, W, 3), t, np.uint8), (H, W)
    )
    return VideoSequence("s", clip, init, {})


def test_grounding_selects_each_expression_object_by_cosine():
    seq = _three_objects()
    g = ScriptedGrounder()
    exp = GroundingExperiment(
        (("e1", "the large"), ("e2", "the small"), ("e3", "the middle"), ("e4", "any")),
        height=120,
        prompt="a photo of {}",
    )
    selection, similarity = ground(seq, exp, g)
    assert selection == {"e1": 3, "e2": 1, "e3": 2, "e4": 1}  # e4: a three-way tie, lowest id
    assert similarity["e1"] == {1: 0.0, 2: 0.0, 3: 1.0}
    assert sorted(g.calls) == [(0, 120), (2, 120)]  # each object in its first annotated frame
    assert g.prompts[0] == "a photo of the large"


def test_a_grounded_run_keeps_the_heads_predictions():
    class Head:
        def track(self, seq, extractor):
            yield from ("p0", "p1")

    exp = GroundingExperiment((("e", "the small"),), height=32)
    out = run_experiment(Head(), _three_objects(), None, exp, ScriptedGrounder())
    assert isinstance(out, Grounded) and out.selection == {"e": 1}
    assert list(out.predictions) == ["p0", "p1"]
