"""The result store: one JSON-lines file of :class:`ResultRecord`, appended atomically.

Appending rewrites the file through a temporary file and ``os.replace`` under an exclusive lock, so a
crash or a concurrent writer never leaves a half-written record, and readers never see one.
"""

from __future__ import annotations

import datetime as _dt
import errno
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from unibench.config import default_output_dir as default
from unibench.datatypes import ResultRecord
from unibench.errors import DataError
from unibench.io import atomic_write_bytes, atomic_write_text, file_lock
from unibench.paths import safe_name

logger = logging.getLogger(__name__)


def git_sha(cwd: Path | None = None) -> str:
    """The commit of the unibench source tree (``unknown`` outside a git checkout)."""
    here = cwd or Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    sha = out.stdout.strip()
    if out.returncode != 0 or not sha:
        return "unknown"
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=here,
        capture_output=True,
        text=True,
        timeout=5,
        check=False,
    ).stdout.strip()
    return sha + ("-dirty" if dirty else "")


def environment() -> dict[str, str]:
    import numpy
    import torch

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "cuda": str(torch.cuda.is_available()),
        "threads": str(torch.get_num_threads()),
        "host": platform.node(),
    }


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class ResultStore:
    """``<root>/results.jsonl``; each line is one :class:`ResultRecord`.

    A shard of a matrix (``--shard I/N``) appends to ``results.shard-I-of-N.jsonl`` instead, so that
    shards on other machines never write the same file; reading always takes every
    ``results*.jsonl`` of the folder (the main file first, then the shards in name order)."""

    def __init__(self, root: Path | str, shard: tuple[int, int] | None = None) -> None:
        self.root = Path(root)
        name = "results.jsonl" if shard is None else f"results.shard-{shard[0]}-of-{shard[1]}.jsonl"
        self.path = self.root / name
        self._lock = self.root / ".results.lock"

    def files(self) -> list[Path]:
        """The store files that exist: ``results.jsonl``, then ``results.shard-*-of-*.jsonl``."""
        main = [self.root / "results.jsonl"]
        shards = sorted(self.root.glob("results.shard-*-of-*.jsonl"))
        return [p for p in [*main, *shards] if p.is_file()]

    def check_writable(self) -> None:
        """What :meth:`append` needs, checked before a run computes anything: the folder exists
        (or can be made) and takes a new file, and the store file is not read-only. Raises the
        ``OSError`` that ``append`` would raise after the compute (one line naming the file)."""
        self.root.mkdir(parents=True, exist_ok=True)
        if self.path.exists() and (
            not os.access(self.path, os.W_OK) or not self.path.stat().st_mode & 0o222
        ):
            raise PermissionError(errno.EACCES, "read-only file: not replaced", str(self.path))
        try:
            fd, probe = tempfile.mkstemp(dir=self.root, prefix=f".{self.path.name}.", suffix=".tmp")
        except OSError as exc:
            raise OSError(
                exc.errno, f"cannot write here ({exc.strerror})", str(self.path)
            ) from None
        os.close(fd)
        os.unlink(probe)

    def append(self, record: ResultRecord) -> None:
        line = json.dumps(record.to_dict(), sort_keys=True, allow_nan=False)
        with file_lock(self._lock):
            # temporary files of a write killed mid-way (only ours: the lock is held)
            for orphan in self.root.glob(f".{self.path.name}.*.tmp"):
                orphan.unlink(missing_ok=True)
            old = self.path.read_text() if self.path.exists() else ""
            if old and not old.endswith("\n"):
                old += "\n"
            atomic_write_text(self.path, old + line + "\n")
        logger.info("stored result %s in %s", record.run_id, self.path)

    def _parse(
        self, only_own: bool = False
    ) -> tuple[list[ResultRecord], list[tuple[int, str, str]]]:
        """The records and the bad lines (line number, reason, text) of every store file (of
        this store's own file with ``only_own``; line numbers are per file)."""
        files = [self.path] if only_own else self.files()
        out, bad = [], []
        for f in files:
            o, b = self._parse_file(f)
            out += o
            bad += b
        return out, bad

    def _parse_file(self, path: Path) -> tuple[list[ResultRecord], list[tuple[int, str, str]]]:
        if not path.exists():
            return [], []
        out, bad = [], []
        for n, raw in enumerate(path.read_bytes().splitlines(), 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                bad.append((n, "not UTF-8 text", raw.decode("utf-8", "replace")))
                continue
            if not line.strip():
                continue
            try:
                d = json.loads(line, parse_constant=_no_constant)
                rec = ResultRecord.from_dict(d, f"{path}:{n}")
                _check_names(rec)
                out.append(rec)
            except json.JSONDecodeError as exc:
                bad.append((n, f"not JSON ({exc.msg})", line))
            except (DataError, ValueError) as exc:
                bad.append((n, str(exc).split(": ", 1)[-1], line))
        return out, bad

    def records(self) -> list[ResultRecord]:
        """Every valid record; a bad line (torn, hand-edited, another schema) is skipped with one
        warning naming the line numbers (``unibench store check`` lists them, ``--fix`` moves them
        to ``results.rejected.jsonl``)."""
        out, bad = self._parse()
        if bad:
            logger.warning(
                "%s: skipped %d bad line(s) (%s); 'unibench store check' lists them",
                self.path,
                len(bad),
                ", ".join(str(n) for n, _, _ in bad),
            )
        return out

    def check(self, fix: bool = False) -> list[tuple[Path, int, str]]:
        """The bad lines (file, number, reason) of every store file ``report`` reads (the main
        file and the shards); with ``fix`` they are appended to ``results.rejected.jsonl`` and
        removed from their file, both written atomically (bytes kept as they were)."""
        out = []
        with file_lock(self._lock):
            for f in self.files():
                _, bad = self._parse_file(f)
                out += [(f, n, why) for n, why, _ in bad]
                if fix and bad:
                    lines = f.read_bytes().splitlines()
                    numbers = {n for n, _, _ in bad}
                    rejected = self.root / "results.rejected.jsonl"
                    old = rejected.read_bytes() if rejected.exists() else b""
                    moved = b"".join(t + b"\n" for i, t in enumerate(lines, 1) if i in numbers)
                    atomic_write_bytes(rejected, old + moved)
                    keep = [t for i, t in enumerate(lines, 1) if i not in numbers and t.strip()]
                    atomic_write_bytes(f, b"".join(t + b"\n" for t in keep))
        return out

    @staticmethod
    def cell_key(r: ResultRecord) -> tuple:
        """What makes two records the same leaderboard cell: everything the user chose (task,
        model, checkpoint, tap, head and parameters, benchmark, split, scoring options, the
        sequences of a subset); not the weights' content, the card or behaviour versions, whose
        newest record supersedes the older ones."""
        return (
            r.task,
            r.model,
            r.tap,
            r.head,
            json.dumps(r.head_params, sort_keys=True),
            r.benchmark,
            r.split,
            r.checkpoint,
            json.dumps(r.scored_options, sort_keys=True),
            r.precision,
            # a subset run never replaces the whole split's record
            None if r.whole_split is not False else (tuple(r.sequences), r.frames, r.truncated),
        )

    def latest(self) -> dict[tuple, ResultRecord]:
        """The newest record per cell (:meth:`cell_key`)."""
        return self.latest_and_superseded()[0]

    def latest_and_superseded(self) -> tuple[dict[tuple, ResultRecord], int]:
        """The newest record per cell and how many older versions of those cells (records of
        another run identity: other weights, card or behaviour versions) it leaves out."""
        out: dict[tuple, ResultRecord] = {}
        ids: dict[tuple, set[str]] = {}
        for r in self.records():
            k = self.cell_key(r)
            out[k] = r
            ids.setdefault(k, set()).add(r.run_id)
        return out, sum(len(v - {out[k].run_id}) for k, v in ids.items())

    def latest_of(self, run_id: str) -> ResultRecord | None:
        """The newest record of a run identity, or None."""
        done = [r for r in self.records() if r.run_id == run_id]
        return done[-1] if done else None


def _no_constant(name: str):
    """``Infinity``/``NaN`` are not JSON and never written by UniBench (undefined figures are
    ``null``): a line holding one is refused, not shown as a column's best."""
    raise ValueError(f"non-finite constant {name} (UniBench writes null)")


def _check_names(rec: ResultRecord) -> None:
    """Names that become paths or labels in a report are checked like the runner checks them:
    a well-formed but hostile record (benchmark ``../../x``) is a bad line, skipped with a
    warning, not a report that stops."""

    for kind, value in (("task", rec.task), ("benchmark", rec.benchmark), ("split", rec.split),
                        ("tap", rec.tap), ("head", rec.head)):  # fmt: skip
        if not isinstance(value, str):
            raise DataError(f"record: {kind} is not a string")
        safe_name(value, kind, "result record", DataError)


def default_output_dir() -> Path:
    """``$UNIBENCH_OUTPUT``, else ``$XDG_DATA_HOME/unibench`` (see unibench.config)."""

    return default()
