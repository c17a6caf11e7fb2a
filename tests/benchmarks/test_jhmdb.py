"""JHMDB: the official layout, PCK as CRW defines it (hand-computed), and pose propagation on it."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.io
from PIL import Image
from unibench.benchmarks.jhmdb import JHMDB, K, pck

from unibench.errors import DataError


def _pose(cx, cy):
    """15 joints spread over a 30 × 40 box (diagonal 50: normaliser 0.6 × 50 = 30 px)."""
    rng = np.random.default_rng(0)
    k = np.c_[rng.uniform(0, 30, K), rng.uniform(0, 40, K)]
    k[0], k[1] = (0, 0), (30, 40)  # pin the box
    return k + (cx, cy)


def test_pck_hand_case():
    gt = np.stack([_pose(10, 10)] * 3)  # 3 frames; frame 0 is not scored
    pred = gt.copy()
    pred[1, 2] += (3, 0)  # 3 px: 0.1 of the 30 px normaliser — counts at 0.1 (inclusive)
    pred[1, 3] += (6.5, 0)  # 0.2167: fails 0.2, passes 0.3
    pred[2, 4] = np.nan  # not predicted: not scored (CRW: a negative coordinate)
    pred[0] += 100  # frame 0 is never scored
    s, per = pck({"v": (gt, pred)}, thresholds=(0.1, 0.2, 0.3))
    # joint 3: 1 of 2 frames within 0.2; joint 4: its only scored frame is correct; others all
    assert s["PCK@0.1"] == pytest.approx((13 * 1.0 + 0.5 + 1.0) / 15)
    assert s["PCK@0.2"] == pytest.approx((14 * 1.0 + 0.5) / 15)
    assert s["PCK@0.3"] == pytest.approx(1.0)
    assert per["v"] == s


def test_pck_normaliser_uses_the_scored_joints_only():
    gt = np.stack([_pose(0, 0)] * 2)
    pred = gt.copy()
    pred[1, 1:] = np.nan  # only joint 0 scored: its box is a point, the normaliser 0 → a miss
    pred[1, 0] += (0.5, 0)
    s, _ = pck({"v": (gt, pred)}, thresholds=(0.5,))
    assert s["PCK@0.5"] == pytest.approx(0.0)


def _write(root, n_frames=4, split_line="v1.avi 2", pos=None):
    (root / "Rename_Images" / "walk" / "v1").mkdir(parents=True)
    for t in range(n_frames):
        Image.new("RGB", (80, 60)).save(root / "Rename_Images" / "walk" / "v1" / f"{t + 1:05d}.png")
    (root / "joint_positions" / "walk" / "v1").mkdir(parents=True)
    pos_img = np.stack([_pose(20, 10)] * 4).transpose(2, 1, 0) + 1 if pos is None else pos
    scipy.io.savemat(
        root / "joint_positions" / "walk" / "v1" / "joint_positions.mat", {"pos_img": pos_img}
    )
    (root / "splits").mkdir()
    for k in (1, 2, 3):
        (root / "splits" / f"walk_test_split{k}.txt").write_text(split_line + "\n")
    return root


def test_official_layout_and_splits(tmp_path):
    b = JHMDB(_write(tmp_path))
    assert b.sequence_names() == ["walk+v1"]
    seq = b.load_sequence("walk+v1")
    assert seq.init.keypoints[0].shape == (1, K, 3)
    assert np.allclose(seq.init.keypoints[0][0, :, :2], _pose(20, 10))  # pos_img − 1
    with pytest.raises(DataError, match="no jhmdb sequence in split 'train1'"):
        JHMDB(tmp_path, "train1")
    with pytest.raises(DataError, match="unknown split 'val'; known splits: train1, test1"):
        JHMDB(tmp_path, "val")


@pytest.mark.parametrize(
    "kw,expect",
    [
        ({"n_frames": 3}, "4 poses for 3 frames"),
        ({"split_line": "v1 2"}, "expected '<video>.avi 1|2'"),
        ({"pos": np.zeros((2, 14, 4))}, "expected 'pos_img' of shape 2 × 15 × T"),
        ({"pos": np.full((2, 15, 4), np.nan)}, "NaN or infinite"),
    ],
)
def test_errors_name_the_file(tmp_path, kw, expect):
    root = _write(tmp_path, **kw)
    with pytest.raises(DataError, match=expect):
        JHMDB(root).load_sequence("walk+v1")


def test_pose_propagation_on_the_synthetic_suite(tmp_path):
    from unibench.app import pipeline

    cfg = pipeline.resolve_config(
        {"task": "poseprop", "model": {"name": "resnet18"}, "output": {"dir": str(tmp_path)}}
    )
    assert cfg.run.head.name == "pose-propagation" and cfg.run.benchmark.name == "synthetic-jhmdb"
    s = pipeline.run(cfg, progress=False).table.summary
    # random ResNet-18 features follow the textured person (measured 50.0 / 77.4)
    assert 0.3 < s["PCK@0.1"] <= s["PCK@0.2"] <= s["PCK@0.5"] <= 1.0


def _reference_case():
    """Two JHMDB-like sequences in closed form (T x 15 x 2 pixels): sequence 0 has joint 3
    predicted at (150, -2), above the image, in frames 1-4; sequence 1 has joint 7 predicted at
    x = -5 (unpredicted) in frames 2-5."""
    j = np.arange(15.0)[None, :]

    def seq(T, phase, amp):
        t = np.arange(float(T))[:, None]
        gt = np.stack([100 + 10 * j + 3 * t, 40 + 9 * ((j * 7) % 15) + 2 * t], -1)
        off = np.stack(
            [amp * np.sin(1.3 * j + 0.7 * t + phase), amp * np.cos(0.9 * j + 1.1 * t + phase)], -1
        )
        return np.round(gt, 2), np.round(gt + off, 2)

    gt0, pr0 = seq(5, 0.0, 14.0)
    pr0[1:, 3] = (150.0, -2.0)
    gt1, pr1 = seq(6, 1.0, 22.0)
    pr1[2:, 7] = (-5.0, 40.0)
    return {"s0": (gt0, pr0), "s1": (gt1, pr1)}


def test_pck_equals_crw_eval_pck_with_a_joint_above_the_image():
    """Reference figures from CRW's ``code/eval/eval_pck.py`` (ajabri/videowalk), run once outside
    the project on this case (``pos_img`` = ground truth + 1 in .mat files, predictions saved as
    its 40-cell grid units, paths patched; printed 13.77777778, 77.92592593, 97.03703704 ×3).
    Before the fix (a joint with y < 0 dropped) UniBench gave 13.78 / 80.30 / 100 / 100 / 100."""
    summary, _ = pck(_reference_case())
    ref = (13.77777778, 77.92592593, 97.03703704, 97.03703704, 97.03703704)
    got = tuple(100 * summary[f"PCK@{a:g}"] for a in (0.1, 0.2, 0.3, 0.4, 0.5))
    assert got == pytest.approx(ref, abs=1e-6)


def test_a_joint_never_scored_is_left_out_of_the_mean():
    """The references divide by zero here; UniBench averages over the 14 scored joints."""
    gt = np.tile(np.stack([np.arange(15.0) * 10 + 5, np.full(15, 20.0)], -1), (3, 1, 1))
    pred = gt.copy()
    pred[1:, 4] = (-1.0, 20.0)
    pred[1:, 0] += 1000.0  # joint 0 always wrong
    summary, _ = pck({"s": (gt, pred)})
    assert summary["PCK@0.1"] == pytest.approx(13 / 14)


# ------------------------------------------------------------------ the real clip (shared/realdata)
CLIP = "catch+Goal_Keeping_Tips_catch_f_cm_np1_fr_med_2"


@pytest.mark.realdata
def test_real_clip_checks_complete_deep_and_the_split_names_the_rest(realdata, capsys):
    """JHMDB's official tree for one real clip (40 frames, its joint_positions.mat, a one-line
    split file): ``data check --split train1 --deep`` finds the clip complete, and against split
    1's manifest (660 train videos) names the 659 others missing and nothing else."""
    from unibench.app.cli import main

    root = realdata / "pose" / "jhmdb-catch-sample"
    rc = main(["data", "check", "jhmdb", "--data-root", str(root), "--split", "train1", "--deep",
               "--sequences", CLIP, "--no-progress"])  # fmt: skip
    out = capsys.readouterr().out
    assert rc == 0 and "1 checked, 40 frames, deep (every image decoded): complete" in out
    rc = main(["data", "check", "jhmdb", "--data-root", str(root), "--split", "train1", "--deep",
               "--no-progress"])  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    problems = [line for line in out if ": missing sequence" in line]
    assert rc == 1 and len(problems) == 659 and CLIP not in "".join(problems)
    assert "1 of 660 sequences of the manifest; 1 checked, 40 frames" in out[-2]


# CRW's eval_pck.py (github DuckerDuck/guided-crw @ 7edb0a1, code/eval/eval_pck.py: videowalk's,
# unchanged), run once outside the project on the predictions of the test below (the written
# <seq>.txt converted to its 2 x 15 x T array on the 40-cell grid it rescales by the frame size):
# PCK@0.1 … @0.5 = 12.47863248, 24.44444444, 33.5042735, 39.31623932, 42.39316239 (percent)
CRW_PCK_PIXELS = (12.47863248, 24.44444444, 33.5042735, 39.31623932, 42.39316239)


@pytest.mark.realdata
def test_pose_propagation_on_the_real_clip_equals_crw_pck(realdata, tmp_path, capsys):
    from unibench.app.cli import main

    root = realdata / "pose" / "jhmdb-catch-sample"
    rc = main(["run", "--model", "pixels", "--task", "poseprop", "--benchmark", "jhmdb",
               "--data-root", str(root), "--split", "train1", "--output", str(tmp_path),
               "--no-progress", "--json", str(tmp_path / "r.json")])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    import json

    s = json.loads((tmp_path / "r.json").read_text())["results"][0]["summary"]
    # one joint-frame of the 585 scored moves a joint's PCK by 1/39: allow one flip on another
    # CPU's kernels (the golden checks' keypoint tolerance is 0.02 px)
    for t, crw in zip((0.1, 0.2, 0.3, 0.4, 0.5), CRW_PCK_PIXELS, strict=True):
        assert s[f"PCK@{t}"] == pytest.approx(crw / 100, abs=1 / 39 / 15 + 1e-9), t
