"""Per-attribute analysis (issue 46 item 3): the success AUC per attribute of the OPE benchmarks
(OTB's 11, LaSOT's 14, TNL2K's 17, read from their toolkits' files) and VOT's accuracy and
failures per frame tag, checked by hand and against vot-toolkit 0.9.0's tag-filtered accuracy."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from unibench.benchmarks.formats import regions as R
from unibench.benchmarks.lasot import LaSOT
from unibench.benchmarks.otb import OTB
from unibench.benchmarks.scorers import sot as S
from unibench.benchmarks.scorers import vot as V
from unibench.benchmarks.tnl2k import TNL2K
from unibench.benchmarks.vot import VOTChallenge

from unibench.app.cli import main
from unibench.errors import ConfigError, DataError

sys.path.insert(0, str(Path(__file__).parent))
from test_sot_adapters import _otb_seq  # noqa: E402


# ------------------------------------------------------------------ the summary, by hand
def _curves(auc_like: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A sequence's curves with a flat success curve at ``auc_like`` (its AUC) and precision 1."""
    return np.full(21, auc_like), np.ones(51), np.ones(51)


def test_attribute_summary_by_hand():
    atts = (S.Attribute("IV", "Illumination Variation"), S.Attribute("OCC", "Occlusion"),
            S.Attribute("LR", "Low Resolution"), S.Attribute("BC", "Background Clutter"))  # fmt: skip
    curves = [_curves(0.8), _curves(0.4), _curves(0.3)]
    flags = [frozenset({"IV", "OCC"}), frozenset({"IV", "LR"}), frozenset({"OCC"})]
    out = {a["code"]: a for a in S.attribute_summary(curves, flags, atts)}
    assert out["IV"]["AUC"] == pytest.approx(0.6) and out["IV"]["sequences"] == 2
    assert out["OCC"]["AUC"] == pytest.approx(0.55) and out["OCC"]["Precision"] == 1.0
    # one sequence (LR) or none (BC): listed with the count, not scored (the toolkits skip them)
    assert out["LR"] == {"code": "LR", "name": "Low Resolution", "sequences": 1}
    assert out["BC"]["sequences"] == 0 and "AUC" not in out["BC"]
    assert [a["code"] for a in S.attribute_summary(curves, flags, atts)] == [
        "IV",
        "OCC",
        "LR",
        "BC",
    ]
    # the LaSOT/TNL2K rule: an all-zero curve (a sequence never tracked) leaves the mean
    curves[1] = (np.zeros(21), np.zeros(51), np.zeros(51))
    iv = S.attribute_summary(curves, flags, atts, drop_empty=True)[0]
    assert iv["AUC"] == pytest.approx(0.8)
    assert S.attribute_summary(curves, flags, atts)[0]["AUC"] == pytest.approx(0.4)


# ------------------------------------------------------------------ the OTB/LaSOT/TNL2K readers
def test_otb_attribute_files_as_the_toolkit_names_them(tmp_path):
    _otb_seq(tmp_path / "d", "Jogging", 2, ["1,1,5,5"] * 2, "groundtruth_rect.1.txt")
    (tmp_path / "d" / "Jogging" / "groundtruth_rect.2.txt").write_text("2,2,5,5\n2,2,5,5\n")
    att = tmp_path / "att"
    att.mkdir()
    (att / "Jogging-1.txt").write_text("0,1,0,1,1,0,0,0,0,0,0\n")  # the toolkit's file
    (att / "Jogging-2.txt").write_text("0 1 0 1 1 0 0 0 0 0 1\n")  # spaces, as load() reads
    otb = OTB(tmp_path / "d", options={"attributes": str(att)})
    assert otb.sequence_attributes(att, "Jogging.1") == {"OPR", "OCC", "DEF"}
    assert otb.sequence_attributes(att, "Jogging.2") == {"OPR", "OCC", "DEF", "LR"}
    (att / "Jogging-2.txt").write_text("0,1,0,1\n")
    with pytest.raises(DataError, match=r"Jogging-2.txt: 4 values for the 11 attributes of otb"):
        otb.sequence_attributes(att, "Jogging.2")
    (att / "Jogging-2.txt").write_text("0,1,x,1,1,0,0,0,0,0,1\n")
    with pytest.raises(DataError, match=r"Jogging-2.txt: expected 11 numbers"):
        otb.sequence_attributes(att, "Jogging.2")
    (att / "Jogging-2.txt").unlink()
    with pytest.raises(DataError, match=r"missing .*Jogging-2.txt: the attribute file"):
        otb.sequence_attributes(att, "Jogging.2")
    with pytest.raises(ConfigError, match=r"benchmark.options.attributes: .* is not a folder"):
        OTB(tmp_path / "d", options={"attributes": str(tmp_path / "nowhere")}).attribute_folder()
    with pytest.raises(ConfigError, match="attribute"):
        OTB(tmp_path / "d", options={"atributes": str(att)})  # a typo is an unknown key


def test_lasot_and_tnl2k_files_in_their_toolkits_order(tmp_path):
    (tmp_path / "att").mkdir()
    f = tmp_path / "att" / "cat-1.txt"
    f.write_text("1,0,0,0,0,0,0,0,0,1,0,0,0,1\n")  # LaSOT: one line of 14
    lasot = LaSOT.__new__(LaSOT)
    assert lasot.sequence_attributes(tmp_path / "att", "cat-1") == {"IV", "FOC", "ARC"}
    g = tmp_path / "att" / "advSamp_Baseball_game_002-Done_attribute.txt"
    g.write_text("\n".join("1" if i in (0, 14, 16) else "0" for i in range(17)) + "\n")
    tnl = TNL2K.__new__(TNL2K)  # TNL2K: 17 lines, one value each
    assert tnl.sequence_attributes(tmp_path / "att", "advSamp_Baseball_game_002-Done") == {
        "CM", "AS", "MS"
    }  # fmt: skip
    assert len(LaSOT.attributes) == 14 and len(TNL2K.attributes) == 17 and len(OTB.attributes) == 11


# ------------------------------------------------------------------ a run and eval with the files
def test_run_and_eval_score_each_attribute_and_keep_the_cell(tmp_path, capsys):
    """The embedded OTB suite (first 8 frames) with an attribute folder: each attribute's AUC is the mean of its
    sequences' AUCs (the mean curve's area), the benchmark's label and leaderboard cell are the
    same as without the files (they add an analysis and change no figure), the run identity
    moves with the files' content, and eval prints the same table."""
    from unibench.store import ResultStore

    att = tmp_path / "att"
    att.mkdir()
    flags = {"synth-00": "1,0,0,1,0,0,0,0,0,0,0", "synth-01": "1,0,0,0,0,0,0,0,0,0,0",
             "synth-02": "0,0,0,1,0,0,0,0,0,0,1"}  # fmt: skip
    for n, v in flags.items():
        (att / f"{n}.txt").write_text(v + "\n")
    out = tmp_path / "store"
    common = ["run", "--model", "pixels", "--task", "sot", "--benchmark", "synthetic-otb",
              "--frames", "8", "--output", str(out), "--no-progress"]  # fmt: skip
    assert main(common) == 0
    assert main([*common, f"benchmark.options.attributes={att}"]) == 0
    recs = ResultStore(out).records()
    plain, with_att = recs[0], recs[1]
    assert plain.run_id != with_att.run_id
    assert plain.benchmark_label == with_att.benchmark_label == "synthetic-otb"
    assert plain.metrics["AUC"] == pytest.approx(with_att.metrics["AUC"])
    assert len(ResultStore(out).latest()) == 1  # one leaderboard cell
    metrics = json.loads((Path(with_att.predictions).parent / "metrics.json").read_text())
    auc = {r["sequence"]: r["AUC"] for r in metrics["rows"] if "sequence" in r}
    atts = {a["code"]: a for a in metrics["curves"]["attributes"]}
    assert atts["IV"]["AUC"] == pytest.approx((auc["synth-00"] + auc["synth-01"]) / 2)
    assert atts["OCC"]["AUC"] == pytest.approx((auc["synth-00"] + auc["synth-02"]) / 2)
    assert atts["LR"] == {"code": "LR", "name": "Low Resolution", "sequences": 1}
    assert [r["attributes"] for r in metrics["rows"] if "sequence" in r] == [
        "IV OCC",
        "IV",
        "OCC LR",
    ]
    # an edited attribute file is another run, never the stored one
    (att / "synth-01.txt").write_text("1,0,0,1,0,0,0,0,0,0,0\n")
    assert main([*common, f"benchmark.options.attributes={att}"]) == 0
    newest = ResultStore(out).records()[-1]
    assert newest.run_id not in {plain.run_id, with_att.run_id}
    # eval on the run's predictions: the same per-attribute table, printed and in the JSON
    capsys.readouterr()
    js = tmp_path / "eval.json"
    assert main(["eval", "--task", "sot", "--benchmark", "synthetic-otb", "--frames", "8",
                 "--predictions",
                 newest.predictions, "--option", f"attributes={att}", "--json",
                 str(js)]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert "per attribute:" in text and "Illumination Variation" in text
    (entry,) = json.loads(js.read_text())["results"]
    occ = next(a for a in entry["attributes"] if a["code"] == "OCC")
    assert occ["sequences"] == 3 and occ["AUC"] == pytest.approx(np.mean(list(auc.values())))


def test_a_missing_or_malformed_attribute_file_is_one_line(tmp_path, capsys):
    att = tmp_path / "att"
    att.mkdir()
    (att / "synth-00.txt").write_text("1,0,0,1,0,0,0,0,0,0,0\n")
    (att / "synth-01.txt").write_text("1,0,0\n")
    out = tmp_path / "s"
    base = ["run", "--model", "pixels", "--task", "sot", "--benchmark", "synthetic-otb",
            "--output", str(out), "--no-progress"]  # fmt: skip
    assert main([*base, f"benchmark.options.attributes={att}"]) == 2
    assert not (out / "runs").exists()  # refused before any frame is computed
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "synth-01.txt: 3 values for the 11 attributes" in err[0]
    (att / "synth-01.txt").write_text("1,0,0,0,0,0,0,0,0,0,0\n")
    assert main([*base, f"benchmark.options.attributes={att}"]) == 2
    err = capsys.readouterr().err
    assert "missing" in err and "synth-02.txt" in err and "Traceback" not in err
    assert main([*base, f"benchmark.options.attributes={tmp_path / 'no'}"]) == 2
    assert "is not a folder" in capsys.readouterr().err


# ------------------------------------------------------------------ VOT: per-frame tags
W, H = 64, 48


def _reset_run(gt, lost, skip=5):
    """A reset-based trajectory: the target is lost on ``lost`` frames (failure, skip, re-init)."""
    traj, f = [R.Region.special(0)] * len(gt), 0
    while f < len(gt):
        traj[f] = R.Region.special(1)
        f += 1
        while f < len(gt):
            if f in lost:
                traj[f] = R.Region.special(2)
                f += skip
                break
            x0, y0, x1, y1 = R.region_bounds(gt[f])
            traj[f] = R.Region.rect(x0 + 1, y0, x1 - x0 + 1, y1 - y0 + 1)
            f += 1
    return traj


def test_tagged_accuracy_and_failures_by_hand():
    gt = [R.Region.rect(10, 10, 10, 10)] * 30
    traj = _reset_run(gt, {12})
    # overlap of a 10x10 box shifted by 1 px: 90 / 110
    iou = 90 / 110
    tag = np.zeros(30, bool)
    tag[10:20] = True  # frames 10..19 tagged: 10, 11 tracked, 12 fails, 13..16 skipped, 17 re-init
    s = V.supervised_tagged([traj], gt, (W, H), tag, burnin=10)
    # cut to the tagged frames first: [iou, iou, FAIL, ?, ?, ?, ?, INIT, iou, iou]. Frames 10
    # and 11 count although they lie in the burn-in of the first initialisation (frame 0 is not
    # in the cut list: the toolkit's order of cut, then burn-in); the failure and the skipped
    # (unknown) frames leave out, and the burn-in after frame 17's INIT covers the rest
    assert s.frames == 10 and s.length == 30 and s.failures == 1
    assert s.accuracy == pytest.approx(iou)
    assert V.supervised_tagged([traj], gt, (W, H), np.zeros(30, bool)) is None
    summ = V.supervised_tag_summary([s, None, V.TaggedSequence(0.5, 2, 5, 10)])
    assert summ["Accuracy"] == pytest.approx((s.accuracy * 30 + 0.5 * 10) / 40)
    assert (summ["Failures"], summ["frames"], summ["sequences"]) == (3, 15, 2)
    assert summ["failure rate"] == pytest.approx(3 / 15)
    assert V.supervised_tag_summary([None]) == {"frames": 0, "sequences": 0}


@pytest.mark.skipif(os.environ.get("UNIBENCH_NO_VOT_TOOLKIT") == "1", reason="opted out")
def test_tagged_accuracy_equals_the_toolkits_filter_tag():
    """vot-toolkit 0.9.0's ``SequenceAccuracy(filter_tag=…)`` and ``AverageAccuracy`` on the
    same trajectories and tags (a sequence without tagged frames is left out by both)."""
    pytest.importorskip("vot")
    from test_vot_toolkit_parity import (
        CASES,
        Sequence,
        ground_truth,
        predictions,
        supervised_trajectory,
        to_vot,
        vot_trajectory,
    )
    from test_vot_toolkit_parity import H as TH
    from test_vot_toolkit_parity import W as TW
    from vot.analysis import MissingResultsException
    from vot.analysis.accuracy import AverageAccuracy, SequenceAccuracy
    from vot.experiment.multirun import MultiRunExperiment

    class Tagged(Sequence):
        # 0.9.0's filtered path zips the ignore masks even where the sequence has none
        def object(self, id, frame=None):
            r = super().object(id, frame)
            return r if r is not None else [None] * len(self)

    class Runs(MultiRunExperiment):
        def __init__(self, runs):
            self.runs = runs

        def gather(self, tracker, sequence, objects=None, **kw):
            return self.runs[sequence.name]

    class Grid:
        def __init__(self, rows):
            self.rows = rows

        def __getitem__(self, k):
            return self.rows[k[0]]

    rng = np.random.default_rng(2)
    seqs, runs, ours = [], {}, []
    for name, (n, kind, lost) in CASES.items():
        gt = ground_truth(n, kind)
        traj = supervised_trajectory(gt, predictions(gt, lost, rng))
        tag = (
            np.array([(t % 7) < 3 for t in range(n)])
            if name != "never-fails"
            else np.zeros(n, bool)
        )
        s = Tagged(name, ["color"])
        for t, g in enumerate(gt):
            s.append({"color": np.zeros((TH, TW, 3), np.uint8)}, to_vot(g),
                     tags=["occlusion"] if tag[t] else [])  # fmt: skip
        seqs.append(s)
        runs[name] = [vot_trajectory(traj)]
        ours.append(V.supervised_tagged([traj], gt, (TW, TH), tag))
    exp, an = Runs(runs), SequenceAccuracy(filter_tag="occlusion")

    def theirs_of(s):
        try:
            return an.subcompute(exp, None, s, None)
        except MissingResultsException:
            return None

    theirs = [theirs_of(s) for s in seqs]
    assert [t is None for t in theirs] == [o is None for o in ours] == [False, False, True, False]
    for o, t in zip(ours, theirs, strict=True):
        if t is not None:
            assert o.accuracy == pytest.approx(t[0])
    (agg,) = AverageAccuracy(analysis=an).aggregate(None, seqs, Grid(theirs))
    assert V.supervised_tag_summary(ours)["Accuracy"] == pytest.approx(agg)


def test_vot_tag_files_as_the_toolkit_reads_them(tmp_path):
    d = tmp_path / "seq"
    d.mkdir()
    (d / "occlusion.tag").write_text("0\n1\n1\n")  # shorter than the sequence: padded unset
    (d / "camera_motion.label").write_text("1\n0\n0\n0\n1\n\n")
    bench = VOTChallenge.__new__(VOTChallenge)
    bench.root = tmp_path
    tags = bench.frame_tags("seq", 5)
    assert tags["occlusion"].tolist() == [False, True, True, False, False]
    assert tags["camera_motion"].tolist() == [True, False, False, False, True]
    (d / "occlusion.tag").write_text("0\n" * 6)
    with pytest.raises(DataError, match=r"occlusion.tag: 6 lines for the 5 frames of 'seq'"):
        bench.frame_tags("seq", 5)


def test_a_reset_based_run_reports_its_sequences_tags(tmp_path, capsys):
    """The embedded VOT suite copied with tag files beside each sequence (the official layout):
    accuracy and failures per tag, the figures without tags unchanged (the run's own, scored
    again by ``eval`` once the tags are there)."""
    import shutil

    from unibench.benchmarks.synthetic.suite import ensure_suite

    from unibench.store import ResultStore

    root = tmp_path / "vot"
    shutil.copytree(ensure_suite() / "vot", root)
    assert main(["run", "--model", "pixels", "--task", "sot", "--benchmark", "synthetic-vot",
                 "--data-root", str(root), "--no-progress", "--output", str(tmp_path / "a")]) == 0  # fmt: skip
    (rec,) = ResultStore(tmp_path / "a").records()
    lengths = {}
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        n = len((d / "groundtruth.txt").read_text().split())
        lengths[d.name] = n
        (d / "occlusion.tag").write_text(
            "".join("1\n" if 20 <= t < 30 else "0\n" for t in range(n))
        )
        if d.name == "synth-00":
            (d / "camera_motion.tag").write_text("0\n1\n")  # short: padded unset
    js = tmp_path / "e.json"
    capsys.readouterr()
    assert main(["eval", "--task", "sot", "--benchmark", "synthetic-vot", "--data-root", str(root),
                 "--predictions", rec.predictions, "--json", str(js)]) == 0  # fmt: skip
    assert "per attribute:" in capsys.readouterr().out
    (entry,) = json.loads(js.read_text())["results"]
    for k, v in rec.metrics.items():  # tags add an analysis and change no figure
        assert entry["summary"][k] == pytest.approx(v), k
    tags = {t["code"]: t for t in entry["attributes"]}
    assert tags["occlusion"]["frames"] == 10 * len(lengths) and tags["occlusion"]["sequences"] == 3
    assert 0 <= tags["occlusion"]["Accuracy"] <= 1
    assert tags["camera_motion"]["frames"] == 1 and tags["camera_motion"]["sequences"] == 1
