"""The synthetic suite's writer: safe when several processes fill one cache at once."""

from __future__ import annotations

import hashlib
import multiprocessing as mp
from pathlib import Path

from unibench.benchmarks.synthetic import generate


def _generate(out: str, start) -> None:
    start.wait()  # every process enters generate() together
    generate(Path(out), formats=("davis2017", "jhmdb"))


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


def test_processes_generating_one_cache_together_all_succeed(tmp_path):
    # found under `pytest -n 2`: two workers wrote the same .partial folder and one failed with
    # "No such file"; a lock per format makes the second wait and find the folder complete
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(3)
    procs = [
        ctx.Process(target=_generate, args=(str(tmp_path / "shared"), start)) for _ in range(3)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    generate(tmp_path / "alone", formats=("davis2017", "jhmdb"))
    shared, alone = _tree(tmp_path / "shared"), _tree(tmp_path / "alone")
    assert shared == alone and any(k.startswith("davis2017/") for k in shared)
    assert not list((tmp_path / "shared").glob("*.partial"))
