"""Official files from public repositories, read at the commits the manifests and tests cite.

They are not part of the project and never copied into it: a test finds them in a folder of git
snapshots, ``$UNIBENCH_REFERENCE_MIRRORS`` (one ``owner+name/`` per repository, a git directory or
a clone, optionally ``owner+name/repo/``; ``../.mirror`` beside the checkout where that exists),
reads a file with ``git show COMMIT:PATH`` or extracts a folder (files the snapshot lacks, such as
those of 4 MiB and more, are left out), and skips with the reason where the repository or the
commit is absent, as the realdata tests do. ``docs/testing.md`` lists the repositories.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def mirrors() -> Path | None:
    env = os.environ.get("UNIBENCH_REFERENCE_MIRRORS")
    if env:
        return Path(env)
    beside = REPO.parent / ".mirror"
    return beside if beside.is_dir() else None


@dataclass(frozen=True)
class Source:
    """One public repository at one commit."""

    repo: str  # owner/name
    commit: str
    git_dir: Path

    def _git(self, *args: str, text: bool = True):
        return subprocess.run(
            ["git", "--git-dir", str(self.git_dir), *args],
            capture_output=True,
            text=text,
            check=True,
        ).stdout

    def read(self, path: str) -> bytes:
        """One file's bytes at the commit."""
        return self._git("show", f"{self.commit}:{path}", text=False)

    def text(self, path: str) -> str:
        return self.read(path).decode("utf-8")

    def files(self, prefix: str) -> list[str]:
        """The paths of the files under ``prefix`` at the commit."""
        out = self._git("ls-tree", "-r", "--name-only", self.commit, "--", prefix)
        return [line for line in out.splitlines() if line]

    def extract(self, prefix: str, dest: Path) -> Path:
        """The files under ``prefix`` written below ``dest`` (their repository paths kept);
        blobs the snapshot lacks are skipped. Returns ``dest / prefix``."""
        listing = self._git("ls-tree", "-r", "-z", self.commit, "--", prefix, text=False)
        entries = []
        for rec in listing.split(b"\0"):
            if rec:
                meta, path = rec.split(b"\t", 1)
                _, kind, sha = meta.split()
                if kind == b"blob":
                    entries.append((sha, path.decode()))
        cat = subprocess.Popen(
            ["git", "--git-dir", str(self.git_dir), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert cat.stdin is not None and cat.stdout is not None
        try:
            for sha, path in entries:
                cat.stdin.write(sha + b"\n")
                cat.stdin.flush()
                header = cat.stdout.readline().split()
                if header[1] == b"missing":
                    continue
                data = cat.stdout.read(int(header[2]))
                cat.stdout.read(1)
                target = dest / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        finally:
            cat.stdin.close()
            cat.wait()
        return dest / prefix


def source(repo: str, commit: str) -> Source:
    """The repository ``repo`` at ``commit``, or a skip saying what is missing."""
    root = mirrors()
    if root is None:
        pytest.skip(
            f"official files of {repo}@{commit} not found: set UNIBENCH_REFERENCE_MIRRORS to a "
            "folder of git snapshots (owner+name/)"
        )
    base = root / repo.replace("/", "+")
    for git_dir in (base / "repo", base / "repo" / ".git", base / ".git", base):
        if (git_dir / "HEAD").is_file():
            break
    else:
        pytest.skip(f"{repo} is not among the mirrors at {root}")
    ok = subprocess.run(
        ["git", "--git-dir", str(git_dir), "cat-file", "-e", f"{commit}^{{commit}}"],
        capture_output=True,
    )
    if ok.returncode != 0:
        pytest.skip(f"{repo}: commit {commit} is not in the mirror at {git_dir}")
    return Source(repo, commit, git_dir)
