"""The sandbox of the hardening catalogue: official-format data the tests may break, an output
folder, and the check every case shares (exit status, one clear line, no traceback, nothing
written outside the output folder, no pre-existing file changed)."""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def pristine(tmp_path_factory) -> Path:
    from unibench.benchmarks.synthetic import generate

    root = tmp_path_factory.mktemp("pristine")
    return generate(root / "suite", formats=("davis2017", "mot", "otb", "posetrack", "got10k"))


def snapshot(root: Path, skip: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and skip not in p.parents:
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@dataclass
class Sandbox:
    root: Path
    data: Path
    out: Path

    def fmt(self, name: str) -> Path:
        return self.data / name

    def cli(self, capsys, *args: str) -> tuple[int, str, str]:
        """Run the CLI in-process; assert that nothing outside ``out`` changed."""
        from unibench.app.cli import main

        before = snapshot(self.root, self.out)
        rc = main([str(a) for a in args])
        out, err = capsys.readouterr()
        after = snapshot(self.root, self.out)
        assert after == before, "a file outside the output folder was written or changed"
        return rc, out, err

    def fails(self, capsys, expect: str, *args: str) -> str:
        """The case fails with exit status 2 and one error line that contains ``expect``."""
        rc, _, err = self.cli(capsys, *args)
        # a progress bar may share the line (tqdm rewrites it with \r): find the message itself
        errors = re.findall(r"unibench: error:[^\n\r]*", err)
        assert rc == 2, err
        assert "Traceback" not in err
        assert len(errors) == 1, err
        assert expect in errors[0], errors[0]
        return errors[0]


@pytest.fixture
def sandbox(tmp_path, pristine) -> Sandbox:
    data = tmp_path / "data"
    shutil.copytree(pristine, data)
    out = tmp_path / "out"
    out.mkdir()
    return Sandbox(tmp_path, data, out)
