"""Checkpoints, the store, synth, package, --force and the reports: user files are never touched,
bad files give one line."""

from __future__ import annotations

import json
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch


def _davis(sb, *extra):
    return (
        "run", "--model", "resnet18", "--task", "vos", "--benchmark", "davis2017",
        "--data-root", sb.fmt("davis2017"), "--output", sb.out, "--no-progress",
        "--sequences", "synth-00", *extra,
    )  # fmt: skip


# ----------------------------------------------------------------------------------- checkpoints
def _state():
    from unibench.appearance_models import build_random, get_cfg

    return dict(build_random(get_cfg("resnet18")).state_dict())


def _ckpt_cases():
    def random_bytes(p):
        p.write_bytes(os.urandom(300))  # any content: a clear line, never a traceback

    def random_safetensors(p):
        p.write_bytes(os.urandom(300))

    def pickle_payload(p):
        class Evil:
            def __reduce__(self):
                return (print, ("pwned",))

        p.write_bytes(pickle.dumps({"conv1.weight": Evil()}))

    def int8_safetensors(p):
        from safetensors.torch import save_file

        save_file({k: v.to(torch.int8) for k, v in _state().items()}, str(p))

    def nan_weights(p):
        sd = _state()
        sd["conv1.weight"][0, 0, 0, 0] = float("nan")
        torch.save(sd, p)

    def wrong_keys(p):
        torch.save({"something.else": torch.zeros(3)}, p)

    def wrong_shape(p):
        sd = _state()
        sd["conv1.weight"] = torch.zeros(1, 1, 1, 1)
        torch.save(sd, p)

    def empty(p):
        torch.save({}, p)

    return [
        ("w.pth", random_bytes, "w.pth: "),
        ("w.safetensors", random_safetensors, "not a readable safetensors file"),
        ("w.pth", pickle_payload, "refused"),
        ("w.safetensors", int8_safetensors, "dtype torch.int8 where the model has torch.float32"),
        ("w.pth", nan_weights, "NaN or infinite values (conv1.weight); pass --allow-nonfinite"),
        ("w.pth", wrong_keys, "does not fit"),
        ("w.pth", wrong_shape, "conv1.weight (shape"),
        ("w.pth", empty, ""),
    ]


CKPT = _ckpt_cases()


@pytest.mark.parametrize("name,make,expect", CKPT, ids=[c[1].__name__ for c in CKPT])
def test_bad_checkpoints(sandbox, capsys, name, make, expect):
    f = sandbox.root / name
    make(f)
    sandbox.fails(capsys, expect, *_davis(sandbox, "--checkpoint", f))
    assert "pwned" not in capsys.readouterr().out


def test_missing_checkpoint(sandbox, capsys):
    sandbox.fails(
        capsys, "does not exist", *_davis(sandbox, "--checkpoint", sandbox.root / "x.pth")
    )


def test_nan_weights_load_with_the_flag(sandbox, capsys):
    sd = _state()
    sd["conv1.weight"][0, 0, 0, 0] = float("nan")
    torch.save(sd, sandbox.root / "w.pth")
    rc, _, err = sandbox.cli(capsys, *_davis(sandbox, "--checkpoint", sandbox.root / "w.pth",
                                             "--allow-nonfinite"))  # fmt: skip
    assert rc == 0, err


# ------------------------------------------------------------------------- never delete or truncate
def test_synth_refuses_a_folder_it_did_not_create(sandbox, capsys):
    mine = sandbox.out / "suite" / "davis2017" / "my-real-sequence"
    mine.mkdir(parents=True)
    (mine / "frame.jpg").write_bytes(b"precious")
    sandbox.fails(capsys, "refusing to replace", "synth", "--out", sandbox.out / "suite")
    assert (mine / "frame.jpg").read_bytes() == b"precious"


def test_force_refuses_a_prediction_folder_it_did_not_create(sandbox, capsys):
    rc, _, _ = sandbox.cli(capsys, *_davis(sandbox))
    assert rc == 0
    seq = next((sandbox.out / "runs").rglob("predictions/synth-00"))
    for f in seq.iterdir():
        f.unlink()
    seq.rmdir()
    seq.mkdir()
    (seq / "notes.txt").write_text("mine")
    sandbox.fails(capsys, "refusing to replace", *_davis(sandbox, "--force"))
    assert (seq / "notes.txt").read_text() == "mine"


def test_failed_package_leaves_the_existing_zip(sandbox, capsys):
    z = sandbox.out / "results.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("old.txt", "old")
    before = z.read_bytes()
    sandbox.fails(
        capsys, "missing results", "package", "--benchmark", "got10k", "--split", "val",
        "--data-root", sandbox.fmt("got10k"), "--predictions", sandbox.out / "nothing",
        "--out", z,
    )  # fmt: skip
    assert z.read_bytes() == before
    assert not [p for p in sandbox.out.iterdir() if p.name.endswith(".tmp")]


def test_package_refuses_names_that_leave_the_folder(sandbox, capsys):
    (sandbox.fmt("got10k") / "val" / "list.txt").write_text("synth-00\n../evil\n")
    sandbox.fails(
        capsys, "../evil", "package", "--benchmark", "got10k", "--split", "val",
        "--data-root", sandbox.fmt("got10k"), "--predictions", sandbox.out,
        "--out", sandbox.out / "r.zip",
    )  # fmt: skip


def test_outputs_respect_the_umask(sandbox, capsys):
    old = os.umask(0o022)
    try:
        rc, _, _ = sandbox.cli(capsys, *_davis(sandbox))
    finally:
        os.umask(old)
    assert rc == 0
    for f in (sandbox.out / "results.jsonl", next(sandbox.out.rglob("config.yaml"))):
        assert f.stat().st_mode & 0o777 == 0o644, f


def test_orphan_store_temp_files_are_cleaned(sandbox, capsys):
    orphan = sandbox.out / ".results.jsonl.abc123.tmp"
    orphan.write_text("half a record")
    rc, _, _ = sandbox.cli(capsys, *_davis(sandbox))
    assert rc == 0 and not orphan.exists()


def test_a_bad_store_line_does_not_stop_report_or_run(sandbox, capsys):
    rc, _, _ = sandbox.cli(capsys, *_davis(sandbox))
    assert rc == 0
    store = sandbox.out / "results.jsonl"
    store.write_text(store.read_text() + '{"torn": \n["an", "array"]\n')
    rc, out, err = sandbox.cli(capsys, "report", "--output", sandbox.out, "--no-published")
    assert rc == 0 and "resnet18" in out
    rc, out, _ = sandbox.cli(capsys, "store", "check", "--output", sandbox.out)
    assert rc == 1 and "results.jsonl:2" in out and "results.jsonl:3" in out
    rc, out, _ = sandbox.cli(capsys, "store", "check", "--output", sandbox.out, "--fix")
    assert rc == 0 and (sandbox.out / "results.rejected.jsonl").read_text().count("\n") == 2
    rc, out, _ = sandbox.cli(capsys, "store", "check", "--output", sandbox.out)
    assert rc == 0


def test_feature_cache_size_must_be_a_number(sandbox, capsys, monkeypatch):
    monkeypatch.setenv("UNIBENCH_FEATURE_CACHE_GB", "abc")
    sandbox.fails(capsys, "UNIBENCH_FEATURE_CACHE_GB='abc'", *_davis(sandbox, "--feature-cache"))


def test_feature_cache_follows_the_frames_bytes(sandbox, capsys, monkeypatch, tmp_path_factory):
    from PIL import Image

    monkeypatch.setenv("UNIBENCH_CACHE", str(tmp_path_factory.mktemp("cache")))
    args = [a for a in _davis(sandbox, "--feature-cache")]
    args[args.index("resnet18")] = "pixels"
    rc, _, _ = sandbox.cli(capsys, *args)
    first = json.loads((sandbox.out / "results.jsonl").read_text().splitlines()[-1])["metrics"]
    for f in sorted((sandbox.fmt("davis2017") / "JPEGImages" / "480p" / "synth-00").glob("*.jpg"))[
        2:8
    ]:
        im = Image.open(f).convert("RGB")
        Image.eval(im, lambda v: 255 - v).save(f)  # inverted frames
    rc, _, _ = sandbox.cli(capsys, *args, "--force")
    assert rc == 0
    second = json.loads((sandbox.out / "results.jsonl").read_text().splitlines()[-1])["metrics"]
    assert first != second  # the cache did not serve the old frames' features


def test_corrupt_feature_cache_entry_is_recomputed(tmp_path, caplog):
    from unibench.featcache import FeatureCache

    c = FeatureCache({"m": 1}, root=tmp_path)
    c.put("seq", 0, torch.ones(2, 3))
    c._path("seq", 0).write_bytes(b"garbage")
    assert c.get("seq", 0) is None and "corrupt" in caplog.text
    assert not c._path("seq", 0).exists()


# ------------------------------------------------------------------------------------- escaping
HOSTILE = r"evil\model_{x}$&#^^5c~%|`<b>"


def test_hostile_names_are_escaped_in_every_report_format(sandbox, capsys):
    card = sandbox.root / "card.yaml"
    card.write_text(f"name: '{HOSTILE}'\narch: pixels\nmean: [0.5, 0.5, 0.5]\n")
    rc, _, err = sandbox.cli(
        capsys, "run", "--model-card", card, "--model", HOSTILE, "--task", "vos",
        "--benchmark", "davis2017", "--data-root", sandbox.fmt("davis2017"),
        "--output", sandbox.out, "--sequences", "synth-00", "--no-progress",
    )  # fmt: skip
    assert rc == 0, err
    rep = sandbox.out / "report"
    rc, _, err = sandbox.cli(capsys, "report", "--output", sandbox.out, "--out", rep)
    assert rc == 0, err
    tex = next(rep.glob("*.tex")).read_text()
    assert "^^5c" not in tex and r"\textbackslash{}" in tex and r"\{x\}" in tex
    assert r"\textasciicircum{}" in tex and r"\textasciitilde{}" in tex and r"\$" in tex
    md = next(rep.glob("*.md")).read_text()
    assert "<b>" not in md and r"\|" in md and r"\`" in md
    html = next(rep.glob("*.html")).read_text()
    assert HOSTILE not in html and "&lt;b&gt;" in html


def test_output_into_a_closed_pipe_ends_quietly(monkeypatch, capsys):
    """``unibench list tasks | head -0``: the reader is gone before the first line."""
    import sys

    from unibench.app.cli import main

    r, w = os.pipe()
    os.close(r)
    out = os.fdopen(w, "w", buffering=1)
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["list", "tasks"]) == 0
    monkeypatch.undo()
    out.close()  # the descriptor now points at /dev/null: closing is quiet
    assert "Traceback" not in capsys.readouterr().err


def test_two_identical_runs_at_once_take_turns(sandbox):
    import threading

    from unibench.app import pipeline
    from unibench.store import ResultStore

    def cfg():
        return pipeline.resolve_config(
            {
                "task": "vos",
                "model": {"name": "pixels"},
                "benchmark": {
                    "name": "davis2017",
                    "data_root": str(sandbox.fmt("davis2017")),
                    "sequences": ["synth-00"],
                },
                "output": {"dir": str(sandbox.out)},
            }
        )

    errors = []

    def go():
        try:
            pipeline.run(cfg(), progress=False)
        except Exception as exc:  # noqa: BLE001 — collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(ResultStore(sandbox.out).records()) == 1  # the second found the first's record


def test_a_full_disk_is_one_line(sandbox, capsys, monkeypatch):
    import errno

    import unibench.io as io

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(io, "atomic_write_bytes", full)
    sandbox.fails(capsys, "No space left on device (errno 28)", *_davis(sandbox))


def test_a_trackeval_failure_is_one_line(sandbox, capsys, monkeypatch):
    from trackeval.utils import TrackEvalException
    from unibench.benchmarks import mot

    def boom(*a, **k):
        raise TrackEvalException("Tracker has more detections than\nthe ground truth allows")

    monkeypatch.setattr(mot.mot_metrics, "evaluate", boom)
    pred = sandbox.out / "pred"
    pred.mkdir()
    for s in ("SYNTH-01", "SYNTH-02"):
        (pred / f"{s}.txt").write_text("1,1,10,10,20,40,1,-1,-1,-1\n")
    sandbox.fails(
        capsys, "TrackEval: Tracker has more detections than the ground truth allows",
        "eval", "--task", "mot", "--benchmark", "mot17", "--data-root", sandbox.fmt("mot"),
        "--predictions", pred,
    )  # fmt: skip


def test_many_random_byte_files_are_one_line_each(tmp_path):
    """Garbage trips the unpickler in many places (UnpicklingError, IndexError, EOFError, …)."""
    from unibench.appearance_models import read_state_dict

    from unibench.errors import CheckpointError

    rng = np.random.default_rng(0)
    for i in range(200):
        f = tmp_path / f"r{i}.pth"
        f.write_bytes(rng.integers(0, 256, int(rng.integers(1, 400)), dtype=np.uint8).tobytes())
        with pytest.raises(CheckpointError, match=f"r{i}.pth"):
            read_state_dict(f)
