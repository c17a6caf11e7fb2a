"""UniBench's VOT figures against the VOT toolkit's own analysis code (``vot-toolkit`` 0.9.0 from
PyPI, in the test extra): the raster overlap of rectangles, polygons and masks, the reset-based
accuracy / failures / EAO, the anchor-based accuracy / robustness / EAO and the long-term
Pr / Re / F, each on hand-built trajectories (failures at a sequence's end, re-initialisations
past it, a tracker that never fails, absent targets, ignore-free masks)."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from unibench.benchmarks.formats import regions as R
from unibench.benchmarks.scorers import vot as V

# The toolkit's raster functions are numba-compiled, once per combination of region types, on
# first use: about 80 s in a fresh environment (CI) at numba's default optimisation level. The
# oracle's figures do not depend on LLVM's optimisation level, so it compiles at level 0.
os.environ["NUMBA_OPT"] = "0"
numba_config = pytest.importorskip("numba.core.config")
numba_config.reload_config()
vot_raster = pytest.importorskip("vot.region.raster")
from vot.analysis import longterm as lt  # noqa: E402
from vot.analysis import multistart as ms  # noqa: E402
from vot.analysis import supervised as sup  # noqa: E402
from vot.dataset import InMemorySequence  # noqa: E402
from vot.region import Special  # noqa: E402
from vot.region.shapes import Mask, Polygon, Rectangle  # noqa: E402
from vot.tracker import Trajectory  # noqa: E402

W, H = 64, 48


def to_vot(r: R.Region):
    if r.kind == "special":
        return Special(r.code)
    if r.kind == "rect":
        return Rectangle(*r.data)
    if r.kind == "polygon":
        return Polygon([tuple(p) for p in r.data])
    return Mask(r.data, offset=r.offset)


def random_region(rng: np.random.Generator) -> R.Region:
    kind = rng.choice(["rect", "rect", "polygon", "mask", "special"])
    if kind == "rect":  # half-integers exercise the round-half-to-even of the toolkit
        x, y = rng.integers(-20, W + 10, 2) + rng.choice([0, 0.5, 0.3], 2)
        w, h = rng.integers(0, 40, 2) + rng.choice([0, 0.5, 0.7], 2)
        return R.Region.rect(x, y, w, h)
    if kind == "polygon":  # a rotated quadrilateral, partly outside the image at times
        cx, cy = rng.uniform(-10, W + 10), rng.uniform(-10, H + 10)
        a, s = rng.uniform(0, np.pi), rng.uniform(2, 25, 2)
        pts = [
            (cx + s[0] * np.cos(a + t) * (1 if k % 2 else 0.6), cy + s[1] * np.sin(a + t))
            for k, t in enumerate(np.linspace(0, 2 * np.pi, 5)[:-1])
        ]
        return R.Region.polygon(pts)
    if kind == "mask":
        m = (rng.random((rng.integers(1, 20), rng.integers(1, 20))) > 0.4).astype(np.uint8)
        return R.Region.mask(m, tuple(int(v) for v in rng.integers(-5, W, 2)))
    return R.Region.special(0)


def test_raster_overlap_equals_the_toolkit_on_every_region_kind():
    """A prediction (a rectangle or a code) against every kind of ground truth, inside the image
    bounds: the overlaps the protocols take. (Unbounded overlaps and polygon or mask predictions
    are the toolkit's too, but each further combination of region types costs a numba compile.)"""
    rng = np.random.default_rng(0)
    n = 0
    for _ in range(1500):
        a, b = random_region(rng), random_region(rng)
        if a.kind not in ("rect", "special"):
            a, b = b, a
        if a.kind not in ("rect", "special"):
            continue
        want = vot_raster.calculate_overlap(to_vot(a), to_vot(b), (W, H))
        assert V.overlap(a, b, (W, H)) == pytest.approx(want, abs=1e-12), (a, b)
        n += 0 < want < 1
    assert n > 40  # many partial overlaps, not only the trivial 0 and 1


def test_regions_parse_and_write_as_the_toolkit_does():
    from vot.region.io import parse_region

    rng = np.random.default_rng(1)
    for _ in range(100):
        r = random_region(rng)
        if r.kind == "mask" and not r.data.any():
            continue
        text = R.format_region(r)
        back = R.parse_region(text)
        theirs = parse_region(text)
        for g in (R.Region.rect(0, 0, W, H), R.Region.rect(3, 5, 30, 20)):
            assert V.overlap(g, back, (W, H)) == pytest.approx(
                vot_raster.calculate_overlap(to_vot(g), theirs, (W, H)), abs=1e-12
            )
            assert V.overlap(g, back, (W, H)) == pytest.approx(V.overlap(g, r, (W, H)), abs=1e-4)
    assert R.parse_region("nan,nan,nan,nan").is_special(0) and R.parse_region("2").is_special(2)


# ------------------------------------------------------------------ a sequence and a fake tracker
def ground_truth(n: int, kind: str, absent=()) -> list[R.Region]:
    out = []
    for t in range(n):
        x, y = 4 + (t * 1.7) % 30, 6 + (t * 0.9) % 18
        if t in absent:
            out.append(R.Region.special(0))
        elif kind == "rect":
            out.append(R.Region.rect(x, y, 14.5, 11))
        elif kind == "polygon":
            out.append(
                R.Region.polygon([(x, y), (x + 15, y + 2), (x + 13, y + 13), (x - 1, y + 10)])
            )
        else:
            m = np.zeros((12, 15), np.uint8)
            m[2:11, 1:14] = 1
            out.append(R.Region.mask(m, (int(x), int(y))))
    return out


def predictions(gt: list[R.Region], lost: set[int], rng) -> list[R.Region]:
    """A box near the target, or far away on the ``lost`` frames."""
    out = []
    for t, g in enumerate(gt):
        if t in lost:
            out.append(R.Region.rect(W - 6, H - 5, 5, 4) if t % 3 else R.Region.rect(0, 0, 0, 0))
            continue
        b = g if g.kind != "special" else R.Region.rect(10, 10, 12, 12)
        x0, y0, x1, y1 = R.region_bounds(b)
        j = rng.uniform(-2, 2, 2)
        out.append(R.Region.rect(x0 + j[0], y0 + j[1], x1 - x0 + 1, y1 - y0 + 1))
    return out


def supervised_trajectory(gt, pred, skip=5) -> list[R.Region]:
    """The toolkit's reset loop (SupervisedExperiment.execute) on precomputed predictions."""
    traj = [R.Region.special(0)] * len(gt)
    f = 0
    while f < len(gt):
        traj[f] = R.Region.special(1)
        f += 1
        while f < len(gt):
            if V.overlap(pred[f], gt[f], (W, H)) <= 0:
                traj[f] = R.Region.special(2)
                f += skip
                break
            traj[f] = pred[f]
            f += 1
    return traj


class Sequence(InMemorySequence):
    """The toolkit's in-memory sequence; its ``channel()`` needs a name where ``size`` calls
    it without one (vot-toolkit 0.9.0), so the default channel is given here."""

    def channel(self, channel="color"):
        return super().channel(channel)


def vot_sequence(name, gt, anchors=None):
    s = Sequence(name, ["color"])
    for t, g in enumerate(gt):
        values = {"anchor": anchors[t]} if anchors is not None else None
        s.append({"color": np.zeros((H, W, 3), np.uint8)}, to_vot(g), values=values)
    return s


def vot_trajectory(regions, confidence=None):
    t = Trajectory(len(regions))
    for i, r in enumerate(regions):
        props = {} if confidence is None else {"confidence": float(confidence[i])}
        t.set(i, to_vot(r), props)
    return t


class Experiment:
    """What the toolkit's analyses ask of an experiment: the trajectories of a sequence."""

    def __init__(self, runs):
        self.runs = runs  # sequence name -> [Trajectory]

    def gather(self, tracker, sequence):
        return self.runs[sequence.name]


CASES = {  # name: (length, ground-truth kind, frames the tracker loses)
    "fails-at-the-end": (40, "rect", {39}),  # a failure on the last frame
    "reinit-past-the-end": (30, "polygon", {27}),  # the re-initialisation would be after the end
    "never-fails": (35, "mask", set()),
    "fails-often": (60, "rect", {5, 6, 20, 33, 34, 35, 50}),  # failures inside the burn-in too
}


def test_reset_based_accuracy_failures_and_eao_equal_the_toolkit():
    rng = np.random.default_rng(2)
    ours, runs, seqs, segments = [], {}, [], []
    for name, (n, kind, lost) in CASES.items():
        gt = ground_truth(n, kind)
        traj = supervised_trajectory(gt, predictions(gt, lost, rng))
        ours.append(V.supervised_sequence([traj], gt, (W, H)))
        segments += V.supervised_segments(traj, gt, (W, H))
        runs[name] = [vot_trajectory(traj)]
        seqs.append(vot_sequence(name, gt))
    exp = Experiment(runs)
    theirs = [sup.AccuracyRobustness().subcompute(exp, None, s, None) for s in seqs]
    for o, t in zip(ours, theirs, strict=True):
        assert (o.accuracy, o.failures, o.length) == pytest.approx((t[0], t[1], t[3]))
    # fails at 5, 20, 33, 50: frames 6, 34 and 35 are lost while skipped before a re-init
    assert [o.failures for o in ours] == [1, 1, 0, 4]
    agg = sup.AverageAccuracyRobustness().aggregate(None, seqs, theirs)
    mine = V.supervised_summary(ours)
    assert (mine["Accuracy"], mine["Failures"], mine["AR robustness"]) == pytest.approx(
        (agg[0], agg[1], agg[2][0])
    )
    (curve,) = sup.EAOCurve().subcompute(exp, None, seqs, None)
    np.testing.assert_allclose(V.supervised_eao_curve(segments), curve, rtol=1e-6)
    for low, high in ((5, 20), (10, 45), (0, 59)):  # intervals overlapping the segments' ends
        want = float(np.mean(curve[low : high + 1]))
        assert V.eao_score(V.supervised_eao_curve(segments), low, high) == pytest.approx(want)


def test_anchor_based_accuracy_robustness_and_eao_equal_the_toolkit(tmp_path):
    from vot.tracker.results import Results
    from vot.workspace.storage import LocalStorage

    rng = np.random.default_rng(3)
    high, low = 40, 5
    storage = Results(LocalStorage(str(tmp_path)))
    ours, seqs = [], []
    for name, (n, kind, lost) in CASES.items():
        gt = ground_truth(n, kind, absent={3, 4} if kind == "rect" else ())
        anchors = [0] * n
        for a in (0, n // 3):
            anchors[a] = 1
        anchors[n - 1] = -1
        fwd, bwd = V.find_anchors(anchors)
        lost_long = lost | ({k for k in range(20, 34)} if name == "fails-often" else set())
        pred = predictions(gt, lost_long, rng)
        runs = []
        for i, reverse in [(f, False) for f in fwd] + [(b, True) for b in bwd]:
            order = list(reversed(range(i + 1))) if reverse else list(range(i, n))
            traj = [R.Region.special(1)] + [pred[k] for k in order[1:]]
            runs.append(V.anchor_run(traj, [gt[k] for k in order], (W, H)))
            # written as UniBench writes a run (one region or code per line), read by the toolkit
            lines = "".join(R.format_region(r) + "\n" for r in traj)
            (tmp_path / f"{name}_{i:08d}.txt").write_text(lines)
        ours.append(V.anchor_sequence(runs, n, high))
        seqs.append(vot_sequence(name, gt, anchors))

    class Multi(ms.MultiStartExperiment):
        pass

    exp = Multi.__new__(Multi)
    exp.results = lambda tracker, sequence: storage
    exp.__dict__["anchor"] = "anchor"
    ar = [ms.AccuracyRobustness().subcompute(exp, None, s, None) for s in seqs]
    for o, t in zip(ours, ar, strict=True):
        assert (o["accuracy"], o["robustness"], o["accuracy_weight"]) == pytest.approx(
            (t[0], t[1], t[3])
        )
    curves = [ms.EAOCurves(high=high).subcompute(exp, None, s, None) for s in seqs]
    for o, (c, _) in zip(ours, curves, strict=True):
        np.testing.assert_allclose(o["curve"], c[0], atol=1e-12)
        np.testing.assert_allclose(o["active"], c[1])
    mine = V.anchor_summary(ours, low, high)
    agg = ms.AverageAccuracyRobustness().aggregate(None, seqs, ar)
    assert (mine["Accuracy"], mine["Robustness"]) == pytest.approx((agg[0], agg[1]))
    (curve,) = ms.EAOCurve(high=high).aggregate(None, seqs, curves)
    np.testing.assert_allclose(mine["curve"], curve, atol=1e-12)
    assert mine["EAO"] == pytest.approx(float(np.mean(curve[low : high + 1])))
    assert any(o["robustness"] < 1 for o in ours) and any(o["robustness"] == 1 for o in ours)


def test_long_term_precision_recall_and_f_equal_the_toolkit():
    rng = np.random.default_rng(4)
    per_seq, trajs, confs, gts = [], [], [], []
    for k, (n, kind, lost) in enumerate(CASES.values()):
        absent = set(range(10, 18)) if k % 2 == 0 else set()
        gt = ground_truth(n, kind, absent)
        pred = predictions(gt, lost | absent, rng)
        conf = rng.uniform(0, 1, n)
        conf[list(lost | absent)] *= 0.3  # lower confidence where it is lost or absent
        trajs.append(pred)
        confs.append(conf)
        gts.append(gt)
    thresholds = V.lt_thresholds(np.concatenate(confs), resolution=100)
    want_thr = lt.determine_thresholds(np.concatenate(confs).tolist(), 100)
    assert thresholds == want_thr
    seqs = []
    for name, pred, conf, gt in zip(CASES, trajs, confs, gts, strict=True):
        per_seq.append(V.lt_sequence(pred, conf, gt, thresholds, (W, H)))
        seqs.append(vot_sequence(name, gt))
        pr, re = lt.compute_tpr_curves([to_vot(r) for r in pred], list(conf), seqs[-1], want_thr)
        np.testing.assert_allclose(per_seq[-1][0], pr, atol=1e-12)
        np.testing.assert_allclose(per_seq[-1][1], re, atol=1e-12)
    mine = V.lt_summary(per_seq, thresholds)
    # the toolkit's aggregation: Pr/Re averaged over sequences, F = 2PR/(P+R), F at its maximum
    results = [([(p, r) for p, r in zip(*s, strict=True)], want_thr) for s in per_seq]
    curve, _ = lt.PrecisionRecallCurve().aggregate(None, seqs, results)
    f = [2 * a * b / (a + b) for a, b in curve]
    best = f.index(max(f))
    assert mine["F-score"] == pytest.approx(max(f))
    assert (mine["Re"], mine["Pr"]) == pytest.approx(curve[best])
    assert 0 < mine["F-score"] < 1 and math.isfinite(mine["Pr"])


# ------------------------------------------------------------------ end to end, on the written files
def _toolkit_reads(pred_dir, folder, seq, stem):
    from vot.tracker.results import Results
    from vot.workspace.storage import LocalStorage

    return Trajectory.read(Results(LocalStorage(str(pred_dir / folder / seq))), stem)


@pytest.mark.slow  # ~45 s in a fresh environment; the default run checks the runner's loops in
# tests/unibench/app/pipeline/test_experiments.py and every suite end to end in test_metric_fields.py
@pytest.mark.parametrize("bench", ["synthetic-vot", "synthetic-vot2020", "synthetic-vot-lt"])
def test_a_run_writes_the_toolkit_layout_and_its_figures_are_the_toolkits(bench, tmp_path):
    """The embedded VOT suites run end to end through a SOT head (the runner re-initialises it),
    the toolkit reads the sequences (its own loader) and the written results (its own reader),
    and its analyses give the record's figures."""
    from pathlib import Path

    from unibench.benchmarks import BENCHMARKS
    from vot.dataset.common import read_sequence

    import unibench
    from unibench.store import ResultStore

    seq = "synth-01"
    unibench.evaluate("pixels", tasks="sot", benchmarks=bench, sequences=[seq], store=tmp_path)
    (rec,) = ResultStore(tmp_path).records()
    pred = Path(rec.predictions)
    adapter = BENCHMARKS.get(bench)(None, None, [seq])
    stack = adapter.stack
    sequence = read_sequence(str(adapter.root / seq))
    if stack.experiment == "supervised":
        traj = _toolkit_reads(pred, "baseline", seq, f"{seq}_001")
        codes = [r.code for r in traj.regions() if isinstance(r, Special)]
        assert codes.count(2) >= 1 and codes.count(1) >= 2  # the jump: a failure, a re-init
        exp = Experiment({seq: [traj]})
        a, f, _, _ = sup.AccuracyRobustness().subcompute(exp, None, sequence, None)
        (curve,) = sup.EAOCurve().subcompute(exp, None, [sequence], None)
        eao = float(np.mean(curve[stack.low : stack.high + 1]))
        assert (rec.metrics["Accuracy"], rec.metrics["Failures"]) == pytest.approx((a, f))
        assert rec.metrics["EAO"] == pytest.approx(eao, rel=1e-6)
    elif stack.experiment == "multistart":
        from vot.tracker.results import Results
        from vot.workspace.storage import LocalStorage

        class Multi(ms.MultiStartExperiment):
            pass

        exp = Multi.__new__(Multi)
        exp.results = lambda t, s: Results(LocalStorage(str(pred / "baseline" / seq)))
        exp.__dict__["anchor"] = "anchor"
        a, r, _, _, _ = ms.AccuracyRobustness().subcompute(exp, None, sequence, None)
        c = ms.EAOCurves(high=stack.high).subcompute(exp, None, sequence, None)
        (curve,) = ms.EAOCurve(high=stack.high).aggregate(None, [sequence], [c])
        eao = float(np.mean(curve[stack.low : stack.high + 1]))
        assert (rec.metrics["Accuracy"], rec.metrics["Robustness"]) == pytest.approx((a, r))
        assert rec.metrics["EAO"] == pytest.approx(eao)
        assert len(list((pred / "baseline" / seq).glob(f"{seq}_0*.txt"))) == 3  # 3 anchors
    else:
        traj = _toolkit_reads(pred, "longterm", seq, f"{seq}_001")
        conf = [traj.properties(i).get("confidence", 0) for i in range(len(traj))]
        thr = lt.determine_thresholds(conf, stack.resolution)
        pr, re = lt.compute_tpr_curves(traj.regions(), conf, sequence, thr)
        f = [2 * p * q / (p + q) if p + q else 0 for p, q in zip(pr, re, strict=True)]
        best = f.index(max(f))
        assert rec.metrics["F-score"] == pytest.approx(max(f))
        assert (rec.metrics["Pr"], rec.metrics["Re"]) == pytest.approx((pr[best], re[best]))
