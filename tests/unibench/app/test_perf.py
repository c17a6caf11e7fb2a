"""The performance benchmarks run and report ratios against a baseline of the same run (their
numbers are for the record; no test asserts a duration)."""

from __future__ import annotations

import json

from unibench.app.cli import main


def test_features_bench_reports_each_path_against_fp32(tmp_path, capsys):
    out = tmp_path / "f.json"
    args = ["models=pixels", "repeats=1", "height=32", "width=48", f"json={out}"]
    assert main(["bench", "features", *args]) == 0
    rows = json.loads(out.read_text())
    assert [r["kind"] for r in rows] == ["fp32", "fp32 channels-last", "bf16"]
    assert rows[0]["ratio"] == 1.0 and all(r["s_per_frame"] > 0 for r in rows)
    assert all(r["size"] == [32, 48] and r["model"] == "pixels" for r in rows)
    assert capsys.readouterr().out.count("x vs fp32") == 3
