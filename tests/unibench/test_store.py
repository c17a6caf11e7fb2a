import json

import pytest

from unibench.errors import DataError
from unibench.store import ResultStore, environment, git_sha, now_iso
from unibench.types import SCHEMA_VERSION, ResultRecord


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


def test_schema_mismatch_and_garbage(tmp_path):
    s = ResultStore(tmp_path)
    d = _rec().to_dict()
    d["schema_version"] = 999
    s.path.write_text(json.dumps(d) + "\n")
    with pytest.raises(DataError, match="schema_version 999"):
        s.records()
    s.path.write_text("{not json\n")
    with pytest.raises(DataError, match=r"results.jsonl:1: not a JSON record"):
        s.records()
