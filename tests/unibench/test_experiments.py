"""The runner's VOT experiment loops (unibench/pipeline/experiments.py) on a scripted head: the
reset-based loop gives the trajectory of the VOT toolkit's ``SupervisedExperiment.execute`` (its
rule transcribed in tests/benchmarks/test_vot_toolkit_parity.py), the anchor-based loop one run per
anchor in run order; the head is re-initialised with the ground truth's box each time."""

from __future__ import annotations

import numpy as np
from unibench.benchmarks.metrics import vot as V

from unibench.pipeline.experiments import run_anchor_based, run_reset_based
from unibench.types import (
    AnchorExperiment,
    BoxFramePrediction,
    BoxInit,
    Clip,
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
    gt = [V.Region.rect(5 + t, 6 + t / 2, 12, 10) for t in range(N)]
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
            if V.overlap(V.Region.rect(*script[f]), gt[f], (W, H)) <= 0:
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
