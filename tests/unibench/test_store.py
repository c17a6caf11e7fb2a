import json

import pytest

from unibench.datatypes import SCHEMA_VERSION, ResultRecord
from unibench.errors import DataError
from unibench.store import ResultStore, environment, git_sha, now_iso


def _rec(i=0, **kw):
    d = dict(
        run_id=f"r{i}",
        task="vos",
        model="pixels",
        tap="lab",
        head="propagation",
        head_params={"topk": 10},
        benchmark="b",
        split="val",
        metrics={"J&F-Mean": 0.5},
        per_sequence=[],
        timing={"seconds_per_frame": 0.1},
        git_sha=git_sha(),
        environment=environment(),
        created=now_iso(),
    )
    d.update(kw)
    return ResultRecord(**d)


def test_append_and_read(tmp_path):
    s = ResultStore(tmp_path)
    s.append(_rec(0))
    s.append(_rec(1, metrics={"J&F-Mean": 0.7}))
    recs = s.records()
    assert [r.run_id for r in recs] == ["r0", "r1"]
    assert recs[0].schema_version == SCHEMA_VERSION
    assert len(s.latest()) == 1  # same identity: the newest wins
    assert list(s.latest().values())[0].metrics["J&F-Mean"] == 0.7
    assert "torch" in recs[0].environment and recs[0].git_sha


def test_no_partial_files_left(tmp_path):
    s = ResultStore(tmp_path)
    for i in range(5):
        s.append(_rec(i))
    assert sorted(p.name for p in tmp_path.iterdir()) == [".results.lock", "results.jsonl"]


def test_bad_lines_are_skipped_with_a_warning_and_moved_aside_by_check(tmp_path, caplog):
    s = ResultStore(tmp_path)
    good = json.dumps(_rec().to_dict())
    d = _rec().to_dict()
    d["schema_version"] = 999
    metric_string = _rec().to_dict()
    metric_string["metrics"] = {"J&F-Mean": "high"}
    lines = [good, json.dumps(d), "{not json", "[1, 2]", json.dumps(metric_string), good]
    s.path.write_text("\n".join(lines) + "\n")
    assert len(s.records()) == 2
    assert "skipped 4 bad line(s) (2, 3, 4, 5)" in caplog.text
    bad = s.check()
    assert [(f.name, n) for f, n, _ in bad] == [("results.jsonl", n) for n in (2, 3, 4, 5)]
    assert "schema_version 999" in bad[0][2] and "not JSON" in bad[1][2]
    assert "JSON object" in bad[2][2] and "mapping of numbers" in bad[3][2]
    assert s.check(fix=True) == bad
    assert s.check() == [] and len(s.records()) == 2
    rejected = (tmp_path / "results.rejected.jsonl").read_text().splitlines()
    assert rejected == lines[1:5]  # nothing lost
    with pytest.raises(DataError, match="schema_version 999"):
        ResultRecord.from_dict(d, "x")


def test_undefined_figures_are_stored_as_valid_json(tmp_path):
    import math

    s = ResultStore(tmp_path)
    r = _rec()
    r.metrics["MOTA"] = float("nan")
    r.per_sequence = [{"sequence": "a", "MOTA": float("inf")}]
    s.append(r)
    line = s.path.read_text().splitlines()[0]
    assert "NaN" not in line and "Infinity" not in line
    json.loads(line, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    back = s.records()[0]
    assert math.isnan(back.metrics["MOTA"]) and math.isnan(back.per_sequence[0]["MOTA"])


def test_count_metrics_are_stored_as_integers(tmp_path):
    import json

    from unibench.app import pipeline

    cfg = pipeline.resolve_config(
        {"task": "mot", "model": {"name": "pixels"}, "output": {"dir": str(tmp_path)}}
    )
    pipeline.run(cfg, progress=False)
    d = json.loads((tmp_path / "results.jsonl").read_text().splitlines()[0])
    assert isinstance(d["metrics"]["IDs"], int) and isinstance(d["metrics"]["FN"], int)
    assert isinstance(d["metrics"]["HOTA"], float)
    assert all(isinstance(r["FP"], int) for r in d["per_sequence"])


def test_hostile_lines_are_bad_lines_in_every_store_file(tmp_path, caplog):
    """Non-UTF-8 bytes, ``Infinity`` and a well-formed record naming ``../../x`` as benchmark are
    bad lines (skipped with a warning, listed and moved by check) in the shard files too, where
    only results.jsonl was checked before."""
    s = ResultStore(tmp_path)
    good = json.dumps(_rec().to_dict())
    hostile = _rec().to_dict()
    hostile["benchmark"] = "../../../../x"
    inf = good.replace('"metrics": {', '"metrics": {"AUC": Infinity, ', 1)
    assert "Infinity" in inf
    s.path.write_bytes(good.encode() + b"\n" + b'{"run_id": "\xff\xfe"}\n' + inf.encode() + b"\n")
    shard = tmp_path / "results.shard-1-of-2.jsonl"
    shard.write_text(json.dumps(hostile) + "\n" + good + "\n")
    assert len(s.records()) == 2
    bad = s.check()
    assert [(f.name, n) for f, n, _ in bad] == [
        ("results.jsonl", 2),
        ("results.jsonl", 3),
        ("results.shard-1-of-2.jsonl", 1),
    ]
    assert "UTF-8" in bad[0][2] and "Infinity" in bad[1][2] and "path separator" in bad[2][2]
    assert s.check(fix=True) == bad
    assert s.check() == [] and len(s.records()) == 2
    assert (tmp_path / "results.rejected.jsonl").read_bytes().count(b"\n") == 3


def test_a_read_only_store_is_refused_not_replaced(tmp_path):
    import os

    from unibench.datatypes import ResultRecord as R

    s = ResultStore(tmp_path)
    s.append(_rec())
    os.chmod(s.path, 0o444)
    before = s.path.read_bytes()
    try:
        with pytest.raises(PermissionError, match="read-only"):
            s.append(R.from_dict(_rec().to_dict()))
    finally:
        os.chmod(s.path, 0o644)
    assert s.path.read_bytes() == before
