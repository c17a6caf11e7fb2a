"""MOTChallenge adapter and TrackEval-based metrics on hand-built cases."""

import numpy as np
import pytest
from unibench.benchmarks.formats.motchallenge import read_mot_txt
from unibench.benchmarks.mot import MOTChallenge
from unibench.benchmarks.scorers import mot as M

from unibench.errors import DataError


def _gt(rows):
    return np.array([[f, i, x, 0, 10, 10, 1, c, 1] for f, i, x, c in rows], float)


def test_identity_switch_hand_case():
    gt = _gt(
        [(1, 1, 0, 1), (1, 2, 50, 1), (2, 1, 0, 1), (2, 2, 50, 1), (3, 1, 0, 1), (3, 2, 50, 1)]
    )
    res = np.array(
        [
            [1, 1, 0, 0, 10, 10, 1],
            [1, 2, 50, 0, 10, 10, 1],
            [2, 1, 0, 0, 10, 10, 1],
            [2, 2, 50, 0, 10, 10, 1],
            [3, 2, 0, 0, 10, 10, 1],
            [3, 1, 50, 0, 10, 10, 1],
        ],
        float,
    )
    s, _ = M.evaluate({"s": M.sequence_data("s", gt, res, 3)})
    assert s["MOTA"] == pytest.approx(1 - 2 / 6)  # two ID switches over six gt boxes
    assert s["IDF1"] == pytest.approx(2 * 4 / 12)  # IDTP 4 of 6 + 6
    assert s["IDs"] == 2 and s["DetA"] == pytest.approx(1.0)
    assert s["AssA"] == pytest.approx((4 * 0.5 + 2 * 0.2) / 6)  # TPA/(TPA+FNA+FPA) per match
    assert s["HOTA"] == pytest.approx(np.sqrt(s["AssA"]))


def test_misses_and_false_positives():
    gt = _gt([(1, 1, 0, 1), (2, 1, 0, 1), (3, 1, 0, 1), (4, 1, 0, 1)])
    res = np.array(
        [[1, 7, 0, 0, 10, 10, 1], [2, 7, 0, 0, 10, 10, 1], [2, 8, 80, 80, 10, 10, 1]], float
    )
    s, _ = M.evaluate({"s": M.sequence_data("s", gt, res, 4)})
    assert (s["FN"], s["FP"], s["IDs"]) == (2, 1, 0)
    assert s["MOTA"] == pytest.approx(1 - 3 / 4)
    assert s["IDF1"] == pytest.approx(2 * 2 / (4 + 3))


def test_mot_preprocessing_distractors_and_zero_marked():
    # gt: a pedestrian, a static person (distractor, class 7), a zero-marked pedestrian
    gt = np.array(
        [
            [1, 1, 0, 0, 10, 10, 1, 1, 1],
            [1, 2, 50, 0, 10, 10, 1, 7, 1],
            [1, 3, 100, 0, 10, 10, 0, 1, 1],
        ],
        float,
    )
    res = np.array(
        [[1, 1, 0, 0, 10, 10, 1], [1, 2, 50, 0, 10, 10, 1], [1, 3, 100, 0, 10, 10, 1]], float
    )
    d = M.sequence_data("s", gt, res, 1)
    assert d["num_gt_dets"] == 1  # distractor and zero-marked gt removed
    assert d["num_tracker_dets"] == 2  # the box on the distractor is removed, the other stays
    s, _ = M.evaluate({"s": d})
    assert s["FP"] == 1 and s["MOTA"] == 0.0


def _write_seq(root, name, n_frames, seqlen, gt_lines, det_lines):
    from PIL import Image

    d = root / "train" / name
    (d / "img1").mkdir(parents=True)
    (d / "gt").mkdir()
    (d / "det").mkdir()
    for t in range(n_frames):
        Image.new("RGB", (64, 48)).save(d / "img1" / f"{t + 1:06d}.jpg")
    (d / "seqinfo.ini").write_text(
        f"[Sequence]\nname={name}\nimDir=img1\nframeRate=30\n"
        f"seqLength={seqlen}\nimWidth=64\nimHeight=48\nimExt=.jpg\n"
    )
    (d / "gt" / "gt.txt").write_text("".join(x + "\n" for x in gt_lines))
    (d / "det" / "det.txt").write_text("".join(x + "\n" for x in det_lines))


def test_seqinfo_length_mismatch_is_reported(tmp_path):
    _write_seq(tmp_path, "S-01", 3, 5, ["1,1,1,1,10,10,1,1,1"], ["1,-1,1,1,10,10,0.9"])
    mot = MOTChallenge(tmp_path)
    with pytest.raises(DataError, match="seqLength=5 but .* holds 3 frames"):
        mot.load_sequence("S-01")
    seq = MOTChallenge(tmp_path, truncate=True).load_sequence("S-01")
    assert len(seq.clip) == 3 and seq.init.boxes[0].tolist() == [[0, 0, 10, 10, 0.9]]


def test_malformed_lines_name_file_and_line(tmp_path):
    f = tmp_path / "det.txt"
    f.write_text("1,-1,1,1,10,10,0.9\n2,-1,1,x,10,10,0.9\n")
    with pytest.raises(DataError, match=r"det.txt:2: expected comma-separated numbers"):
        read_mot_txt(f, 7)
    f.write_text("1,-1,1\n")
    with pytest.raises(DataError, match=r"det.txt:1: expected at least 7 values"):
        read_mot_txt(f, 7)


@pytest.mark.realdata
def test_real_mot17_mini(realdata, tmp_path):
    root = realdata / "mot" / "MOT17-mini"
    mot = MOTChallenge(root, "train")
    assert "MOT17-02-FRCNN" in mot.sequence_names()
    with pytest.raises(DataError, match="seqLength=600 but"):  # frames cut, seqinfo full length
        mot.load_sequence("MOT17-02-FRCNN")
    mot = MOTChallenge(root, "train", ["MOT17-02-FRCNN"], truncate=True)
    seq = mot.load_sequence("MOT17-02-FRCNN")
    n = len(seq.clip)
    assert 4 <= n <= 8 and len(seq.init.boxes) == n and len(seq.init.boxes[0]) > 0
    gt = read_mot_txt(root / "train/MOT17-02-FRCNN/gt/gt.txt", 9)
    assert set(np.unique(gt[:, 7])) >= {1}  # class column present
    # the ground truth (pedestrians, visible) re-scored against itself
    out = tmp_path / "MOT17-02-FRCNN.txt"
    ped = gt[(gt[:, 7] == 1) & (gt[:, 6] == 1) & (gt[:, 0] <= n)]
    out.write_text(
        "".join(f"{int(r[0])},{int(r[1])},{r[2]},{r[3]},{r[4]},{r[5]},1,-1,-1,-1\n" for r in ped)
    )
    t = mot.evaluate(tmp_path)
    assert t.summary["MOTA"] == pytest.approx(1.0) and t.summary["IDF1"] == pytest.approx(1.0)


def test_truncate_is_declared_by_the_benchmarks_that_read_cut_copies():
    from unibench.benchmarks.base import build_benchmark

    from unibench.errors import ConfigError

    with pytest.raises(ConfigError, match=r"'synthetic-davis' reads no cut copies .*mot17"):
        build_benchmark("synthetic-davis", None, None, None, truncate=True)
    assert build_benchmark("synthetic-mot", None, None, None, truncate=True).truncate


@pytest.mark.realdata
def test_cut_copies_run_and_score_on_every_path_as_a_marked_subset(realdata, tmp_path, capsys):
    """``--truncate`` (``benchmark.truncate``): MOT17-mini's seqinfo.ini describes 600 frames and
    4 are present. Without it the run stops with one line naming the file; with it the frames
    present are run and scored, the record is a subset ("cut copies"; never ranked against a
    whole split), its identity differs, and ``eval --truncate`` scores the same files the same."""
    import json

    from unibench.app.cli import main
    from unibench.store import ResultStore

    root = str(realdata / "mot" / "MOT17-mini")
    base = ["--task", "mot", "--benchmark", "mot17", "--data-root", root, "--split", "train",
            "--sequences", "MOT17-02-FRCNN", "--output", str(tmp_path / "o"), "--no-progress"]  # fmt: skip
    assert main(["run", "--model", "pixels", *base]) == 2
    assert "pass truncate=True" in capsys.readouterr().err
    assert not (tmp_path / "o" / "runs").exists()  # checked before any folder is made
    assert main(["run", "--model", "pixels", *base, "--truncate"]) == 0
    (rec,) = ResultStore(tmp_path / "o").records()
    assert rec.truncated and rec.whole_split is False and rec.subset == "1/7 seq, cut copies"
    pred = rec.predictions
    js = tmp_path / "e.json"
    assert main(["eval", "--task", "mot", "--benchmark", "mot17", "--data-root", root, "--split",
                 "train", "--sequences", "MOT17-02-FRCNN", "--truncate", "--predictions",
                 str(pred), "--json", str(js)]) == 0  # fmt: skip
    (entry,) = json.loads(js.read_text())["results"]
    assert entry["summary"]["HOTA"] == pytest.approx(rec.metrics["HOTA"])


def test_alpha_curves_hand_case():
    """HOTA against α: a box shifted by 2 of 10 px has IoU 8·10/(12·10) = 2/3, so it matches
    at α ≤ 0.65 and misses above (TrackEval: a match needs IoU ≥ α); HOTA is the mean over the
    19 thresholds, the figure the summary carries; the class mean averages each α."""
    gt = _gt([(1, 1, 0, 1), (2, 1, 0, 1)])
    res = np.array([[1, 5, 2, 0, 10, 10, 1], [2, 5, 2, 0, 10, 10, 1]], float)
    curves: dict = {}
    s, _ = M.evaluate({"s": M.sequence_data("s", gt, res, 2)}, curves)
    assert curves["alpha"][0] == 0.05 and curves["alpha"][-1] == 0.95 and len(curves["alpha"]) == 19
    hit = np.array(curves["alpha"]) <= 2 / 3
    assert np.allclose(np.array(curves["DetA"])[hit], 1.0)
    assert np.allclose(np.array(curves["DetA"])[~hit], 0.0)
    assert s["HOTA"] == pytest.approx(np.mean(curves["HOTA"]))
    assert s["HOTA"] == pytest.approx(hit.sum() / 19)
    other = {"alpha": curves["alpha"], **{k: [1.0] * 19 for k in ("HOTA", "DetA", "AssA")}}
    mean = M.class_mean_curves({"a": curves, "b": other, "c": {}})
    assert mean["DetA"][-1] == pytest.approx(0.5) and mean["DetA"][0] == pytest.approx(1.0)
    assert M.class_mean_curves({"a": {}}) == {}
