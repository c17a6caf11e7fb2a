"""The remaining weak cases of the hostile-input catalogue (issue 26 §4): each is one clear line,
exit status 2, no traceback, nothing stored; misses are counted, not errors."""

from __future__ import annotations

import errno
import json
import logging

import pytest
from PIL import Image

from unibench.store import ResultStore


def _lasot(root, names):
    for n in names:
        d = root / n.rsplit("-", 1)[0] / n
        (d / "img").mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (20, 20)).save(d / "img" / "00000001.jpg")
        (d / "groundtruth.txt").write_text("1,1,5,5\n")
        (d / "full_occlusion.txt").write_text("0")
        (d / "out_of_view.txt").write_text("0")


def test_eval_list_file_naming_a_path_outside_the_root(sandbox, capsys):
    root = sandbox.root / "lasot"
    _lasot(root, ["cat-1"])
    (root / "testing_set.txt").write_text("cat-1\n../../victim/ev-1\n")
    victim = sandbox.root / "victim" / "ev" / "ev-1"
    victim.mkdir(parents=True)
    (victim / "groundtruth.txt").write_text("1,1,5,5\n")
    pred = sandbox.out / "pred"
    pred.mkdir()
    for bench in ("lasot", "lasot-ext"):
        sandbox.fails(
            capsys, "sequence name '../../victim/ev-1' contains a path separator",
            "eval", "--task", "sot", "--benchmark", bench, "--data-root", root,
            "--predictions", pred,
        )  # fmt: skip


def test_ray_addresses_and_resources_fail_fast(sandbox, capsys):
    pytest.importorskip("ray")
    base = ["run", "--model", "pixels", "--sequences", "synth-00", "--output", sandbox.out,
            "--no-progress", "--executor", "ray"]  # fmt: skip
    sandbox.fails(capsys, "--ray-address '256.1.1.1:99999'", *base, "--ray-address",
                  "256.1.1.1:99999")  # fmt: skip
    sandbox.fails(capsys, "no Ray cluster answers there", *base, "--ray-address", "127.0.0.1:1")
    sandbox.fails(capsys, "--gpus-per-unit nan", *base, "--gpus-per-unit", "nan")
    assert not ResultStore(sandbox.out).records()


def test_flags_that_would_be_ignored(sandbox, capsys, caplog):
    sandbox.fails(
        capsys, "--tap 'lab' and --layers 'lab'",
        "run", "--model", "pixels", "--tap", "lab", "--layers", "lab", "--output", sandbox.out,
    )  # fmt: skip
    from unibench.executors import make_executor
    from unibench.executors.inline import InlineExecutor

    with caplog.at_level(logging.WARNING):
        ex = make_executor("inline", 4)
    assert isinstance(ex, InlineExecutor) and "--workers 4 is ignored" in caplog.text


def test_report_skips_a_hostile_record_with_a_warning(sandbox, capsys):
    rc, _, err = sandbox.cli(
        capsys, "run", "--model", "pixels", "--sequences", "synth-00", "--output", sandbox.out,
        "--no-progress",
    )  # fmt: skip
    assert rc == 0, err
    store = sandbox.out / "results.jsonl"
    rec = json.loads(store.read_text().splitlines()[0])
    rec["benchmark"] = "../../../../x"
    with open(store, "ab") as f:
        f.write(json.dumps(rec).encode() + b"\n")
        f.write(b'{"run_id": "\xff"}\n')  # not UTF-8
    rc, out, err = sandbox.cli(capsys, "report", "--store", sandbox.out, "--no-published")
    assert rc == 0, err
    assert "synthetic-davis" in out and "../../../../x" not in out
    rc, out, _ = sandbox.cli(capsys, "store", "check", "--output", sandbox.out)
    assert rc == 1 and "path separator" in out and "not UTF-8" in out


def test_mot_eval_with_a_non_integer_seq_length(sandbox, capsys):
    d = sandbox.fmt("mot") / "train" / "SYNTH-01"
    (d / "seqinfo.ini").write_text("[Sequence]\nname=SYNTH-01\nimDir=img1\nseqLength=eight\n")
    pred = sandbox.out / "pred"
    pred.mkdir()
    sandbox.fails(
        capsys, "no integer seqLength",
        "eval", "--task", "mot", "--benchmark", "mot17", "--data-root", sandbox.fmt("mot"),
        "--predictions", pred,
    )  # fmt: skip


def test_got10k_bad_resolution_is_refused_before_tracking(sandbox, capsys):
    d = sandbox.fmt("got10k") / "val" / "synth-00"
    meta = d / "meta_info.ini"
    meta.write_text(meta.read_text().replace("resolution:", "old:") + "resolution: 352\n")
    sandbox.fails(
        capsys, "resolution: (w, h)",
        "run", "--model", "pixels", "--task", "sot", "--benchmark", "got10k", "--data-root",
        sandbox.fmt("got10k"), "--output", sandbox.out, "--no-progress",
    )  # fmt: skip
    assert not list(sandbox.out.rglob("*_001.txt"))  # nothing was tracked
    assert not ResultStore(sandbox.out).records()


def test_got10k_invalid_prediction_boxes_are_counted_misses(sandbox, capsys):
    root = sandbox.fmt("got10k")
    pred = sandbox.out / "pred"
    for s in ("synth-00", "synth-01", "synth-02"):
        gt = (root / "val" / s / "groundtruth.txt").read_text().splitlines()
        (pred / s).mkdir(parents=True)
        rows = list(gt)
        rows[1], rows[2], rows[3] = "nan,nan,nan,nan", "inf,1,2,3", "5,5,-4,6"
        (pred / s / f"{s}_001.txt").write_text("\n".join(rows) + "\n")
    rc, out, err = sandbox.cli(
        capsys, "eval", "--task", "sot", "--benchmark", "got10k", "--data-root", root,
        "--predictions", pred,
    )  # fmt: skip
    assert rc == 0, err
    assert "invalid boxes" in out
    from unibench.benchmarks.base import build_benchmark

    t = build_benchmark("got10k", root, "val", None).evaluate(pred)
    assert t.summary["invalid boxes"] == 9 and [r["invalid boxes"] for r in t.rows] == [3, 3, 3]
    assert 0 < t.summary["AO"] < 1  # the NaN rows are misses (IoU 0), not a NaN AO


def test_tnl2k_long_ground_truth_is_named(sandbox, capsys):
    d = sandbox.root / "tnl" / "Bike_1"
    (d / "imgs").mkdir(parents=True)
    for k in range(3):
        Image.new("RGB", (10, 10)).save(d / "imgs" / f"{k:05d}.png")
    (d / "groundtruth.txt").write_text("1,1,4,4\n" * 5)
    (d / "language.txt").write_text("a bike\n")
    pred = sandbox.out / "pred"
    pred.mkdir()
    (pred / "Bike_1.txt").write_text("1,1,4,4\n" * 5)
    sandbox.fails(
        capsys, "groundtruth.txt: 5 boxes for 3 frames",
        "eval", "--task", "sot", "--benchmark", "tnl2k", "--data-root", sandbox.root / "tnl",
        "--predictions", pred,
    )  # fmt: skip


def test_a_full_disk_names_the_file(tmp_path, monkeypatch):
    import os

    from unibench.app.cli import _expected_failure
    from unibench.io import atomic_write_text

    real = os.fdopen

    class Full:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self.f.close()

        def write(self, _):
            raise OSError(errno.EFBIG, "File too large")

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: Full(real(fd, mode)))
    with pytest.raises(OSError) as e:
        atomic_write_text(tmp_path / "results.jsonl", "x")
    msg = _expected_failure(e.value)
    assert str(tmp_path / "results.jsonl") in msg and "errno 27" in msg
    assert not list(tmp_path.iterdir())  # the temporary file is gone


def test_no_progress_bars_without_a_terminal(sandbox, capsys):
    rc, _, err = sandbox.cli(
        capsys, "run", "--model", "pixels", "--sequences", "synth-00", "--output", sandbox.out,
    )  # fmt: skip
    assert rc == 0
    assert "%|" not in err and "it/s" not in err and "unit/s" not in err


def test_a_list_line_with_a_space_is_named_whole(sandbox, capsys):
    root = sandbox.fmt("davis2017")
    (root / "ImageSets" / "2017" / "val.txt").write_text("synth-00\nmy seq\n")
    sandbox.fails(
        capsys, "val.txt:2: expected one sequence name per line, got 'my seq'",
        "run", "--model", "pixels", "--benchmark", "davis2017", "--data-root", root,
        "--output", sandbox.out, "--no-progress",
    )  # fmt: skip


def test_bdd100k_prediction_id_twice_in_a_frame(sandbox, capsys):
    root = sandbox.root / "bdd"
    lab = {"id": "1", "category": "car", "attributes": {"crowd": False},
           "box2d": {"x1": 0, "y1": 0, "x2": 10, "y2": 10}}  # fmt: skip
    frames = [{"name": "v1-0000001.jpg", "videoName": "v1", "frameIndex": 0, "labels": [lab]}]
    (root / "labels" / "box_track_20" / "val").mkdir(parents=True)
    (root / "labels" / "box_track_20" / "val" / "v1.json").write_text(json.dumps(frames))
    pred = sandbox.out / "pred"
    pred.mkdir()
    twice = [dict(frames[0], labels=[lab, dict(lab, box2d={"x1": 20, "y1": 0, "x2": 30, "y2": 9})])]
    (pred / "v1.json").write_text(json.dumps(twice))
    sandbox.fails(
        capsys, "v1.json: frame v1-0000001.jpg, label 1: track id 1 appears twice in this frame",
        "eval", "--task", "mot", "--benchmark", "bdd100k-mot", "--data-root", root,
        "--predictions", pred,
    )  # fmt: skip


def test_vis_predictions_in_uncompressed_rle_are_scored(tmp_path, capsys):
    """Results whose masks use uncompressed RLE (``counts`` a list, the synthetic ground truth's
    form) were a TypeError traceback in vis_metrics on all three VIS benchmarks."""
    from pycocotools import mask as mask_utils
    from unibench.benchmarks.scorers.vis import to_rle, uncompressed_rle

    from unibench.app.cli import main

    out = tmp_path / "o"
    args = ["run", "--model", "pixels", "--task", "vis", "--output", str(out), "--no-progress"]
    assert main(args) == 0
    (rec,) = ResultStore(out).records()
    pred = tmp_path / "uncompressed"
    pred.mkdir()
    for f in sorted((out / "runs").rglob("predictions/*.json")):
        entries = json.loads(f.read_text())
        for e in entries:
            size = next(s["size"] for s in e["segmentations"] if s)
            e["segmentations"] = [
                None if s is None else uncompressed_rle(mask_utils.decode(to_rle(s, *size)))
                for s in e["segmentations"]
            ]
        (pred / f.name).write_text(json.dumps(entries))
    capsys.readouterr()
    assert main(["eval", "--task", "vis", "--benchmark", "synthetic-youtubevis",
                 "--predictions", str(pred), "--json", str(tmp_path / "r.json")]) == 0  # fmt: skip
    (e,) = json.loads((tmp_path / "r.json").read_text())["results"]
    for k in ("AP", "HOTA"):
        assert e["summary"][k] == pytest.approx(rec.metrics[k], abs=1e-12)


def test_models_list_cuts_no_column(capsys):
    from unibench.app.cli import main

    assert main(["models", "list", "dinov2"]) == 0
    out = capsys.readouterr().out
    assert "vit_small_patch14_reg4.dinov2_lvd142m" in out
    assert "timm vit_base_patch14_reg4_dinov2.lvd142m" in out  # the weights column, whole
    assert main(["models", "list", "--source", "card-file"]) == 0


def test_store_cases_through_the_cli(sandbox, capsys):
    """A read-only results.jsonl is refused (exit 2, unchanged); Infinity and a line in a shard
    file are listed by 'store check' and moved by --fix."""
    import os

    args = ["run", "--model", "pixels", "--sequences", "synth-00", "--output", sandbox.out,
            "--no-progress"]  # fmt: skip
    rc, _, err = sandbox.cli(capsys, *args)
    assert rc == 0, err
    store = sandbox.out / "results.jsonl"
    line = store.read_text().splitlines()[0]
    shard = sandbox.out / "results.shard-1-of-2.jsonl"
    shard.write_text(line.replace('"metrics": {', '"metrics": {"x": Infinity, ', 1) + "\n")
    rc, out, _ = sandbox.cli(capsys, "store", "check", "--output", sandbox.out)
    assert rc == 1 and f"{shard}:1: non-finite constant Infinity" in out
    rc, out, _ = sandbox.cli(capsys, "store", "check", "--output", sandbox.out, "--fix")
    assert rc == 0 and not shard.read_text().strip()
    before = store.read_bytes()
    os.chmod(store, 0o444)
    try:
        sandbox.fails(capsys, "read-only file: not replaced", *args, "--force")
    finally:
        os.chmod(store, 0o644)
    assert store.read_bytes() == before
