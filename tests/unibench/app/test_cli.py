"""End to end through the CLI on the embedded synthetic suite."""

import shutil

import pytest
import yaml

from unibench.app.cli import main
from unibench.store import ResultStore


def _run(capsys, *args):
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_run_rerun_force_report_eval(tmp_path, capsys):
    out = str(tmp_path / "out")
    rc, text, _ = _run(
        capsys,
        "run",
        "--model",
        "pixels",
        "--task",
        "vos",
        "--output",
        out,
        "--sequences",
        "synth-00,synth-01",
        "--no-progress",
    )
    assert rc == 0 and "J&F-Mean" in text and "2 sequences computed, 0 reused" in text
    store = ResultStore(out)
    rec = store.records()[-1]
    assert rec.model == "pixels" and rec.benchmark == "synthetic-davis"
    assert rec.head_params["topk"] == 10 and rec.head_params["temperature"] == 0.05
    assert 0.5 < rec.metrics["J&F-Mean"] <= 1.0
    run_dir = next((tmp_path / "out" / "runs").rglob("config.yaml")).parent
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["config"]["head"]["params"]["radius"] == 12.0
    assert saved["set_by"]["model.name"] == "CLI flag"

    args = [
        "run",
        "--model",
        "pixels",
        "--output",
        out,
        "--sequences",
        "synth-00,synth-01",
        "--no-progress",
    ]
    # a stored cell is not recomputed
    rc, text, _ = _run(capsys, *args)
    assert "0 sequences computed, 2 reused" in text and len(store.records()) == 1
    # an interrupted run (one sequence written, nothing stored yet) computes only what is missing
    shutil.rmtree(run_dir / "predictions" / "synth-01")
    store.path.unlink()
    rc, text, _ = _run(capsys, *args)
    assert "1 sequences computed, 1 reused" in text
    assert store.records()[-1].metrics == rec.metrics
    rc, text, _ = _run(
        capsys,
        "run",
        "--model",
        "pixels",
        "--output",
        out,
        "--force",
        "--sequences",
        "synth-00,synth-01",
        "--no-progress",
    )
    assert "2 sequences computed, 0 reused" in text

    rc, text, _ = _run(capsys, "report", "--output", out)
    assert rc == 0 and "| pixels" in text and f"{100 * rec.metrics['J&F-Mean']:.1f}" in text

    # eval re-scores the prediction folder without a model
    import os

    root = os.environ["UNIBENCH_CACHE"] + "/synthetic/v1-seed0/davis2017"
    rc, text, _ = _run(
        capsys,
        "eval",
        "--task",
        "vos",
        "--benchmark",
        "davis2017",
        "--data-root",
        root,
        "--predictions",
        str(run_dir / "predictions"),
        "--sequences",
        "synth-00,synth-01",
    )
    assert rc == 0 and f"{100 * rec.metrics['J&F-Mean']:.1f}" in text


def test_override_changes_recorded_params(tmp_path, capsys):
    out = str(tmp_path / "o")
    rc, text, _ = _run(
        capsys,
        "run",
        "--model",
        "pixels",
        "--output",
        out,
        "--sequences",
        "synth-00",
        "--no-progress",
        "head.topk=3",
        "head.n_recent=1",
    )
    assert rc == 0
    rec = ResultStore(out).records()[-1]
    assert rec.head_params["topk"] == 3 and rec.head_params["n_recent"] == 1


@pytest.mark.parametrize(
    "args,msg",
    [
        (["run", "--model", "resnet51"], "unknown model 'resnet51'. Did you mean resnet50"),
        (["run", "--model", "pixels", "head.tempreature=1"], "unknown key 'head.tempreature'"),
        (["run", "--model", "pixels", "--benchmark", "davis2017"], "needs --data-root"),
        (
            ["run", "--model", "pixels", "--benchmark", "davis2017", "--data-root", "/nonexistent"],
            "davis2017 root /nonexistent does not exist",
        ),
        (["run", "--model", "pixels", "--task", "jhmdb"], "task 'jhmdb'"),
    ],
)
def test_clear_errors(args, msg, capsys, tmp_path):
    rc, _, err = _run(capsys, *args, "--output", str(tmp_path))
    assert rc == 2 and msg in err and "Traceback" not in err


def test_list(capsys):
    for what, expect in (
        ("models", "resnet50"),
        ("heads", "propagation"),
        ("benchmarks", "davis2016"),
    ):
        rc, text, _ = _run(capsys, "list", what)
        assert rc == 0 and expect in text


@pytest.mark.slow  # writes the whole suite twice: 26 s on 2 cores; run with -m slow
def test_synth_is_deterministic(tmp_path, capsys):
    import hashlib

    def digest(root):
        h = hashlib.sha256()
        for p in sorted(root.rglob("*")):
            if p.is_file():
                h.update(p.name.encode() + p.read_bytes())
        return h.hexdigest()

    assert _run(capsys, "synth", "--out", str(tmp_path / "a"))[0] == 0
    assert _run(capsys, "synth", "--out", str(tmp_path / "b"))[0] == 0
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert (tmp_path / "a/davis2017/ImageSets/2017/val.txt").read_text().split() == [
        "synth-00",
        "synth-01",
        "synth-02",
    ]


def test_sot_run_eval_and_package(tmp_path, capsys):
    import os

    out = str(tmp_path / "o")
    for head in ("xcorr", "dcf"):
        rc, text, _ = _run(
            capsys,
            "run",
            "--model",
            "pixels",
            "--task",
            "sot",
            "--head",
            head,
            "--sequences",
            "synth-00",
            "--output",
            out,
            "--no-progress",
        )
        assert rc == 0 and "AUC" in text
    recs = ResultStore(out).records()
    assert [r.head for r in recs] == ["xcorr", "dcf"] and all(r.metrics["AUC"] > 0.3 for r in recs)
    from pathlib import Path

    pred = Path(recs[-1].predictions) / "synth-00.txt"
    root = os.environ["UNIBENCH_CACHE"] + "/synthetic/v1-seed0/otb"
    rc, text, _ = _run(
        capsys,
        "eval",
        "--task",
        "sot",
        "--benchmark",
        "otb2015",
        "--data-root",
        root,
        "--predictions",
        str(pred.parent),
        "--sequences",
        "synth-00",
    )
    assert rc == 0 and f"{100 * recs[-1].metrics['AUC']:.1f}" in text
    # GOT-10k layout of the same suite, and packaging for the server
    rc, text, _ = _run(
        capsys,
        "run",
        "--model",
        "pixels",
        "--task",
        "sot",
        "--benchmark",
        "synthetic-got10k",
        "--sequences",
        "synth-00",
        "--output",
        out,
        "--no-progress",
    )
    assert rc == 0 and "AO" in text
    got_pred = next((tmp_path / "o").rglob("synth-00_001.txt")).parent.parent
    groot = os.environ["UNIBENCH_CACHE"] + "/synthetic/v1-seed0/got10k"
    rc, text, _ = _run(
        capsys,
        "package",
        "--benchmark",
        "got10k",
        "--data-root",
        groot,
        "--split",
        "val",
        "--predictions",
        str(got_pred),
        "--out",
        str(tmp_path / "sub.zip"),
    )
    assert rc == 2 and "missing results for synth-01" in _  # every sequence must be present


@pytest.mark.parametrize(
    "task, head, benchmark, key",
    [
        ("mots", "association", "mots20", "sMOTSA"),
        ("posetrack", "association", "posetrack18", "MOTA"),
        ("posetrack", "pose-propagation", "posetrack18", "MOTA"),
    ],
)
def test_association_tasks_run_and_eval_without_frames(
    tmp_path, capsys, task, head, benchmark, key
):
    import os
    from pathlib import Path

    out = str(tmp_path / "o")
    args = ["run", "--model", "pixels", "--task", task, "--head", head, "--output", out]
    rc, text, _ = _run(
        capsys,
        *args,
        "--no-progress",
        "head.motion=false" if head == "association" else "head.topk=10",
    )
    assert rc == 0 and key in text
    rec = ResultStore(out).records()[-1]
    assert rec.task == task and rec.head == head and key in rec.metrics
    # eval re-scores the stored predictions from the ground truth alone (frames removed)
    root = Path(os.environ["UNIBENCH_CACHE"]) / "synthetic" / "v1-seed0" / task
    gt_only = tmp_path / "gt"
    shutil.copytree(root, gt_only, ignore=shutil.ignore_patterns("*.jpg"))
    rc, text, _ = _run(
        capsys,
        "eval",
        "--task",
        task,
        "--benchmark",
        benchmark,
        "--data-root",
        str(gt_only),
        "--predictions",
        rec.predictions,
    )
    assert rc == 0 and f"{100 * rec.metrics[key]:.1f}" in text


def test_detections_option_replaces_the_benchmarks_own(tmp_path, capsys):
    import os
    from pathlib import Path

    root = Path(os.environ["UNIBENCH_CACHE"]) / "synthetic" / "v1-seed0"
    out = str(tmp_path / "o")
    base = ["run", "--model", "pixels", "--task", "mot", "--output", out, "--no-progress"]
    assert _run(capsys, *base)[0] == 0
    dets = tmp_path / "dets"
    dets.mkdir()
    for seq in ("SYNTH-01", "SYNTH-02"):  # the ground truth as detections: an oracle tracker
        gt = (root / "mot" / "train" / seq / "gt" / "gt.txt").read_text().splitlines()
        (dets / f"{seq}.txt").write_text(
            "".join(",".join(row.split(",")[:6]) + ",1\n" for row in gt)
        )
    assert _run(capsys, *base, "--detections", str(dets))[0] == 0
    own, oracle = ResultStore(out).records()
    assert oracle.metrics["MOTA"] > own.metrics["MOTA"]
    rc, _, err = _run(
        capsys,
        "run",
        "--model",
        "pixels",
        "--task",
        "vos",
        "--detections",
        str(dets),
        "--output",
        out,
    )
    assert rc != 0 and "takes no detection folder" in err


def test_json_output_of_run_and_eval(tmp_path, capsys):
    """``--json FILE``: full-precision summary, per-sequence rows and metric metadata (counts as
    integers, official names); a file UniBench did not write is never replaced."""
    import json

    from unibench.app.cli import main

    out = tmp_path / "o"
    assert main(["run", "--model", "pixels", "--task", "mot", "--sequences", "SYNTH-01",
                 "--output", str(out), "--no-progress", "--json", str(tmp_path / "r.json")]) == 0  # fmt: skip
    d = json.loads((tmp_path / "r.json").read_text())
    (e,) = d["results"]
    assert e["task"] == "mot" and e["model"] == "pixels" and e["whole_split"] is False
    assert isinstance(e["summary"]["FN"], int) and isinstance(e["summary"]["HOTA"], float)
    assert e["metrics"]["FN"]["official"] == "CLR_FN" and e["metrics"]["FN"]["unit"] == "count"
    assert e["per_sequence"][0]["sequence"] == "SYNTH-01"
    from unibench.store import ResultStore

    (rec,) = ResultStore(out).records()
    assert e["summary"]["HOTA"] == rec.metrics["HOTA"]  # full precision
    pred = next(out.rglob("predictions"))
    capsys.readouterr()
    assert main(["eval", "--task", "mot", "--benchmark", "synthetic-mot", "--predictions",
                 str(pred), "--sequences", "SYNTH-01", "--json", str(tmp_path / "r.json")]) == 0  # fmt: skip
    (e2,) = json.loads((tmp_path / "r.json").read_text())["results"]
    assert e2["summary"]["HOTA"] == rec.metrics["HOTA"]
    mine = tmp_path / "mine.json"
    mine.write_text('{"my": "notes"}')
    assert main(["eval", "--task", "mot", "--benchmark", "synthetic-mot", "--predictions",
                 str(pred), "--sequences", "SYNTH-01", "--json", str(mine)]) == 2  # fmt: skip
    assert mine.read_text() == '{"my": "notes"}'


def test_a_reused_run_prints_the_same_table_as_the_first(tmp_path, capsys):
    from unibench.app.cli import main

    args = ["run", "--model", "pixels", "--task", "vos", "--sequences", "synth-00",
            "--output", str(tmp_path), "--no-progress"]  # fmt: skip
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    second = capsys.readouterr().out

    def table(text):
        return [line for line in text.splitlines() if line.startswith("|")]

    assert table(first) == table(second) and "**all**" in "\n".join(table(second))
    assert "0 sequences computed, 1 reused" in second


def test_package_builds_its_benchmark_with_the_checks_of_every_path(tmp_path, capsys):
    """``unibench package`` goes through ``build_benchmark``: a list file naming a sequence
    outside the data root is refused before anything is read or zipped, as on ``run`` and
    ``eval``; a benchmark without server packaging names those with one."""
    split = tmp_path / "got" / "test"
    split.mkdir(parents=True)
    (split / "list.txt").write_text("../../escape\n")
    out = tmp_path / "r.zip"
    rc = main(["package", "--benchmark", "got10k", "--data-root", str(tmp_path / "got"),
               "--split", "test", "--predictions", str(tmp_path), "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and "sequence name '../../escape' contains a path separator" in err
    assert not out.exists()
    rc = main(["package", "--benchmark", "mot17", "--data-root", str(tmp_path),
               "--predictions", str(tmp_path), "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and "'mot17' has no server packaging; those that do: got10k" in err
