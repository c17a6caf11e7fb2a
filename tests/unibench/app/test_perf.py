"""The performance benchmarks run and report ratios against a baseline of the same run (their
numbers are for the record; no test asserts a duration)."""

from __future__ import annotations

import json

import pytest

from unibench.app.cli import main
from unibench.app.perf import _timed_rounds


def test_features_bench_reports_each_path_against_fp32(tmp_path, capsys):
    out = tmp_path / "f.json"
    args = ["models=pixels", "repeats=1", "height=32", "width=48", f"json={out}"]
    assert main(["bench", "features", *args]) == 0
    rows = json.loads(out.read_text())
    assert [r["kind"] for r in rows] == ["fp32", "fp32 channels-last", "bf16"]
    assert rows[0]["ratio"] == 1.0 and all(r["s_per_frame"] > 0 for r in rows)
    assert all(r["size"] == [32, 48] and r["model"] == "pixels" for r in rows)
    assert capsys.readouterr().out.count("x vs fp32") == 3


def test_bench_vos_times_every_stage_against_both_baselines(capsys):
    """``unibench bench vos`` (numbers for the record, never a time limit): every stage of a VOS
    frame, each as a ratio to the bare forward measured in the same run, the propagation also to
    the bare GEMM of its shapes."""
    from unibench.cuda_ops import cpu_topk

    from unibench.app.perf import bench_vos

    rows = bench_vos(["pixels"], None, None, frames=4, repeats=1)
    stages = [r["stage"] for r in rows]
    # where the fused kernel runs, the PyTorch path it replaces is timed in the same rounds
    both = ["propagation (PyTorch path)"] if cpu_topk.available() else []
    assert stages == [
        "bare forward (eager, as built)", "bare GEMM (query x memory)", "read frame (decode)",
        "features, as built", "features, as run (fused)", "propagation", "decode labels",
        "write PNG", *both, "whole frame (head + writes)",
    ]  # fmt: skip
    by = {r["stage"]: r for r in rows}
    assert by["bare forward (eager, as built)"]["vs_forward"] == 1.0
    assert by["propagation"]["vs_gemm"] > 0 and all(r["s_per_frame"] > 0 for r in rows)
    out = capsys.readouterr().out
    assert "x the bare GEMM" in out
    assert ("propagation: fused (" if both else "propagation: chunked") in out


def test_bench_render_times_show_against_decode_and_encode(capsys):
    """``unibench bench render``: show's render of a synthetic 480p DAVIS-2016 sequence against
    decoding and encoding the same frames (as they are, and at the render's size) in the same
    process, and the size of a minute of the rendered video."""
    from unibench.app.perf import bench_render

    pytest.importorskip("av")
    rows = bench_render(None, None, frames=4, repeats=1)
    by = {r["stage"]: r for r in rows}
    assert list(by) == [
        "decode + encode (frames as they are)", "decode + encode (canvas of the render's size)",
        "render (show: read back, draw, encode)", "size",
    ]  # fmt: skip
    assert by["decode + encode (canvas of the render's size)"]["vs_canvas"] == 1.0
    assert by["decode + encode (frames as they are)"]["vs_plain"] == 1.0
    assert by["render (show: read back, draw, encode)"]["vs_canvas"] > 0
    size = by["size"]
    assert size["width"] > 854 and size["height"] >= 480  # the prediction beside the ground truth
    assert size["bytes"] > 0 and size["mb_per_minute"] == pytest.approx(
        size["bytes"] / (4 / 12) * 60 / 1e6
    )
    assert "MB per minute" in capsys.readouterr().out


def test_rounds_interleave_the_stages_and_drop_the_warm_up():
    """Every round calls each stage once in turn (a host whose speed drifts moves them alike);
    the first round is a warm-up, not counted."""
    calls: list[str] = []
    med = _timed_rounds({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, 3)
    assert calls == ["a", "b"] * 4
    assert set(med) == {"a", "b"} and all(v >= 0 for v in med.values())
