"""2D MOT 2015: class-less ground truth, scored with TrackEval's MOT15 rules; checked against
py-motmetrics and against TrackEval reading the same files through its own MOT15 dataset class."""

from __future__ import annotations

import numpy as np
import pytest
from unibench.benchmarks.base import build_benchmark

N = 12


def _write_mot15(root, rng):
    """Two hand-built sequences: crossing walkers, a missed stretch, a switch, false positives,
    one zero-marked (ignored) ground-truth row."""
    seqs = {}
    for s, name in enumerate(("TUD-Synth", "ETH-Synth")):
        d = root / "train" / name
        (d / "gt").mkdir(parents=True)
        (d / "det").mkdir()
        (d / "img1").mkdir()
        (d / "seqinfo.ini").write_text(
            f"[Sequence]\nname={name}\nimDir=img1\nframeRate=14\nseqLength={N}\n"
            "imWidth=640\nimHeight=480\nimExt=.jpg\n"
        )
        gt, res = [], []
        for t in range(1, N + 1):
            for i, (x0, vx) in enumerate(((50, 12), (300, -10), (120, 3))):
                x, y = x0 + vx * t, 100 + 40 * i
                conf = 0 if (s == 1 and i == 2 and t == 5) else 1  # zero-marked: not scored
                gt.append(f"{t},{i + 1},{x},{y},40,90,{conf},-1,-1,-1")
                if i == 1 and 4 <= t <= 6:
                    continue  # missed
                tid = i + 1 if not (i == 0 and t >= 8) else 9  # id switch of walker 1
                jx, jy = rng.normal(0, 2, 2)
                res.append(f"{t},{tid},{x + jx:.2f},{y + jy:.2f},40,90,1,-1,-1,-1")
            if t % 4 == 0:
                res.append(f"{t},77,{500 - 5 * t},400,30,60,0.5,-1,-1,-1")  # a false positive
        (d / "gt" / "gt.txt").write_text("\n".join(gt) + "\n")
        (d / "det" / "det.txt").write_text("1,-1,50,100,40,90,0.9,-1,-1,-1\n")
        seqs[name] = (gt, res)
    return seqs


def _iou_distance(a, b):
    """py-motmetrics' iou_matrix(max_iou=0.5), written out (its own uses np.asfarray, gone in
    NumPy 2): 1 − IoU, NaN where IoU < 0.5."""
    out = np.full((len(a), len(b)), np.nan)
    for i, (x, y, w, h) in enumerate(a):
        for j, (u, v, p, q) in enumerate(b):
            iw = max(0.0, min(x + w, u + p) - max(x, u))
            ih = max(0.0, min(y + h, v + q) - max(y, v))
            inter = iw * ih
            iou = inter / (w * h + p * q - inter)
            if 1 - iou <= 0.5:
                out[i, j] = 1 - iou
    return out


@pytest.fixture
def mot15(tmp_path):
    rng = np.random.default_rng(0)
    seqs = _write_mot15(tmp_path / "MOT15", rng)
    pred = tmp_path / "trackers" / "mine" / "data"
    pred.mkdir(parents=True)
    for name, (_, res) in seqs.items():
        (pred / f"{name}.txt").write_text("\n".join(res) + "\n")
    return tmp_path, seqs, pred


def test_mot15_against_py_motmetrics(mot15):
    mm = pytest.importorskip("motmetrics")
    root, seqs, pred = mot15
    ours = build_benchmark("mot15", root / "MOT15", "train", None).evaluate(pred)
    accs = []
    for gt, res in seqs.values():
        acc = mm.MOTAccumulator(auto_id=True)
        g = np.array([[float(v) for v in r.split(",")] for r in gt])
        h = np.array([[float(v) for v in r.split(",")] for r in res])
        for t in range(1, N + 1):
            gg = g[(g[:, 0] == t) & (g[:, 6] != 0)]
            hh = h[h[:, 0] == t]
            dist = _iou_distance(gg[:, 2:6], hh[:, 2:6])
            acc.update(gg[:, 1].astype(int), hh[:, 1].astype(int), dist)
        accs.append(acc)
    m = mm.metrics.create().compute_many(
        accs, metrics=["mota", "idf1", "num_switches"], names=list(seqs), generate_overall=True
    )
    assert ours.summary["MOTA"] == pytest.approx(m.loc["OVERALL", "mota"], abs=1e-9)
    assert ours.summary["IDF1"] == pytest.approx(m.loc["OVERALL", "idf1"], abs=1e-9)
    assert ours.summary["IDs"] == m.loc["OVERALL", "num_switches"] == 2


def test_mot15_against_trackeval_from_disk(mot15):
    import trackeval

    root, seqs, pred = mot15
    ours = build_benchmark("mot15", root / "MOT15", "train", None).evaluate(pred)
    seqmap = root / "seqmap.txt"
    seqmap.write_text("name\n" + "\n".join(seqs) + "\n")
    cfg = trackeval.datasets.MotChallenge2DBox.get_default_dataset_config()
    cfg.update(
        GT_FOLDER=str(root / "MOT15" / "train"),
        GT_LOC_FORMAT="{gt_folder}/{seq}/gt/gt.txt",
        TRACKERS_FOLDER=str(root / "trackers"),
        TRACKERS_TO_EVAL=["mine"],
        TRACKER_SUB_FOLDER="data",
        BENCHMARK="MOT15",
        SEQMAP_FILE=str(seqmap),
        SKIP_SPLIT_FOL=True,
        PRINT_CONFIG=False,
    )
    ev_cfg = trackeval.Evaluator.get_default_eval_config()
    ev_cfg.update(PRINT_RESULTS=False, PRINT_CONFIG=False, OUTPUT_SUMMARY=False,
                  OUTPUT_DETAILED=False, PLOT_CURVES=False, USE_PARALLEL=False,
                  TIME_PROGRESS=False, DISPLAY_LESS_PROGRESS=True)  # fmt: skip
    metrics = [trackeval.metrics.HOTA(), trackeval.metrics.CLEAR(), trackeval.metrics.Identity()]
    res, _ = trackeval.Evaluator(ev_cfg).evaluate(
        [trackeval.datasets.MotChallenge2DBox(cfg)], metrics
    )
    comb = res["MotChallenge2DBox"]["mine"]["COMBINED_SEQ"]["pedestrian"]
    assert ours.summary["HOTA"] == pytest.approx(float(np.mean(comb["HOTA"]["HOTA"])), abs=1e-9)
    assert ours.summary["MOTA"] == pytest.approx(comb["CLEAR"]["MOTA"], abs=1e-9)
    assert ours.summary["IDF1"] == pytest.approx(comb["Identity"]["IDF1"], abs=1e-9)
    assert "no distractor preprocessing" in ours.protocol


def test_association_runs_on_a_synthetic_mot15_layout(tmp_path):
    """The embedded MOT scenes rewritten as MOT15 (class-less rows, MOT15's own det rows) run end to
    end: frames, detections, the association head, TrackEval's MOT15 rules."""
    import shutil

    from unibench.benchmarks.synthetic import ensure_suite

    from unibench.app import pipeline

    src = ensure_suite() / "mot" / "train"
    dst = tmp_path / "MOT15" / "train"
    shutil.copytree(src, dst)
    for gt in dst.glob("*/gt/gt.txt"):
        rows = [r.split(",") for r in gt.read_text().split()]
        gt.write_text("".join(f"{','.join(r[:6])},{r[6]},-1,-1,-1\n" for r in rows if r[7] == "1"))
    cfg = pipeline.resolve_config(
        {
            "task": "mot",
            "model": {"name": "pixels"},
            "benchmark": {"name": "mot15", "data_root": str(tmp_path / "MOT15"), "split": "train"},
            "output": {"dir": str(tmp_path / "out")},
        }
    )
    out = pipeline.run(cfg, progress=False)
    s = out.table.summary
    # measured: HOTA 72.68, IDF1 90.91, MOTA 83.33, as synthetic-mot (its gt rows all class 1)
    assert 0.5 < s["HOTA"] < 1.0 and 0.5 < s["IDF1"] <= 1.0
    assert "no distractor preprocessing" in out.table.protocol
