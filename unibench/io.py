"""Small file helpers: atomic writes, image reading with clear errors."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import fnmatch
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from unibench.errors import DataError, UniBenchError
from unibench.paths import MARKER, inside, owned


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.
    The file gets the permissions a plain ``open`` would give (0666 less the umask), not
    ``mkstemp``'s 0600, so a shared store or a published report stays readable."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and (not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222):
        # the rename would replace a file made read-only (no write bit, even for root): refuse
        raise PermissionError(errno.EACCES, "read-only file: not replaced", str(path))
    fd, tmp = _sibling_temp(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
            os.fchmod(f.fileno(), 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if exc.filename is None:  # a failed write() names no file (disk full, EFBIG): name it
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _sibling_temp(path: Path) -> tuple[int, str]:
    """The temporary file an atomic write fills beside ``path``; a folder that refuses it is
    reported as a failure to write ``path`` (the name the user gave), not the temporary name."""
    try:
        return tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write here ({exc.strerror or exc})", str(path)) from None


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (created if needed) for read-modify-write cycles."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def staging_dir(final: Path) -> Iterator[Path]:
    """Yield a temporary sibling folder that replaces ``final`` atomically when the block succeeds.

    The folder carries UniBench's marker file; ``final`` is replaced only if it carries the marker
    too (a folder the tool did not create is an error, never removed), and a leftover ``.partial``
    folder of an interrupted attempt is removed only if it is marked. An interrupted block leaves
    ``final`` untouched, so "the folder exists" means "the folder is complete".
    """

    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists() and not owned(final):
        raise UniBenchError(
            f"refusing to replace {final}: it was not created by unibench (no {MARKER} marker); "
            "move it away or choose another output folder"
        )
    tmp = final.parent / f".{final.name}.partial"
    if tmp.exists():
        if not owned(tmp):
            raise UniBenchError(f"refusing to remove {tmp}: it was not created by unibench")
        shutil.rmtree(tmp)
    # a folder of a unique name is marked, then renamed: a kill between the mkdir and the
    # marker leaves an empty uniquely named folder (removed next time), never an unmarked .partial
    for left in final.parent.glob(f".{final.name}.*.staging"):
        if owned(left):
            shutil.rmtree(left)
        elif left.is_dir() and not any(left.iterdir()):
            left.rmdir()
    staging = final.parent / f".{final.name}.{os.getpid()}-{os.urandom(4).hex()}.staging"
    staging.mkdir()  # the umask's mode, as the folder it becomes
    (staging / MARKER).write_text("created by unibench; replaced by it on --force\n")
    os.rename(staging, tmp)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)


@contextlib.contextmanager
def atomic_zip(out_zip: Path, pred_dir: Path) -> Iterator[Callable[[Path | bytes, str], None]]:
    """Yield ``add(file, entry)`` writing into a temporary zip beside ``out_zip``, renamed over it
    only when the block succeeds: a failed package leaves an existing zip untouched. Entries must be
    files inside ``pred_dir`` (or ``bytes`` built from them) and relative names without ``..``."""
    out_zip = Path(out_zip)
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _sibling_temp(out_zip)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:

            def add(file: Path | bytes, entry: str) -> None:
                parts = Path(entry).parts
                if Path(entry).is_absolute() or ".." in parts or not parts:
                    raise DataError(f"zip entry {entry!r} would leave the archive's folder")
                if isinstance(file, bytes):
                    z.writestr(entry, file)
                    return
                inside(file, pred_dir, "result file", DataError)
                z.write(file, entry)

            yield add
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, out_zip)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def read_rgb(path: Path) -> np.ndarray:
    """Read an image as ``H×W×3`` uint8 RGB; a missing or unreadable file is a DataError."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"missing frame {path}: expected an image file")
    try:
        with Image.open(path) as im:
            return np.array(im.convert("RGB"))
    except OSError as exc:
        raise DataError(f"cannot read frame {path}: {exc}") from exc


def image_size(path: Path) -> tuple[int, int]:
    """``(height, width)`` of an image file without decoding its pixels."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"missing image {path}")
    try:
        with Image.open(path) as im:
            return im.size[1], im.size[0]
    except OSError as exc:
        raise DataError(f"cannot read image {path}: {exc}") from exc


def read_text(path: Path) -> str:
    """A text file's content; a file that is not UTF-8 text is a DataError naming it."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not a UTF-8 text file (byte {exc.start})") from None


def read_json(path: Path, what: str = "") -> Any:
    """The one json reader of the adapters: a missing file, a file that is not UTF-8 text or not
    valid JSON is a DataError naming it (``what``: what the file should be, for the message)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"missing {path}" + (f": expected {what}" if what else ""))
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None


def _entries(folder: Path) -> list[os.DirEntry]:
    """The entries of ``folder`` (none where it does not exist); a folder that cannot be read is
    an error naming it, never an empty folder."""
    try:
        with os.scandir(folder) as it:
            return list(it)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except PermissionError:
        raise DataError(f"{folder}: permission denied (the folder cannot be listed)") from None
    except OSError as exc:
        raise DataError(f"{folder}: cannot be listed ({exc.strerror or exc})") from None


def list_files(folder: Path | str, *patterns: str) -> list[Path]:
    """The files of ``folder`` whose names match any of ``patterns`` (``*.jpg``), sorted by name;
    hidden files (``.``: macOS' ``._00001.jpg`` AppleDouble copies among them) are skipped. A
    missing folder has none; one that cannot be read raises :class:`DataError` naming it."""
    folder = Path(folder)
    return sorted(
        folder / e.name
        for e in _entries(folder)
        if not e.name.startswith(".")
        and any(fnmatch.fnmatchcase(e.name, p) for p in patterns)
        and e.is_file()
    )


def list_dirs(folder: Path | str) -> list[str]:
    """The names of the sub-folders of ``folder``, sorted, hidden ones (``.unibench-downloads``,
    ``.ipynb_checkpoints``) skipped; missing: none; unreadable: :class:`DataError`."""
    return sorted(
        e.name for e in _entries(Path(folder)) if not e.name.startswith(".") and e.is_dir()
    )


def check_numbered(frames: list[Path]) -> list[Path]:
    """Frames named by consecutive numbers (``00000.jpg``, ``00001.jpg``, …): a gap is an error
    naming the first missing frame, rather than a sequence silently one frame short."""
    if len(frames) < 2 or not all(p.stem.isdigit() for p in frames):
        return frames
    nums = [int(p.stem) for p in frames]
    for prev, (cur, path) in zip(nums, zip(nums[1:], frames[1:], strict=True), strict=False):
        if cur != prev + 1:
            width = len(path.stem)
            missing = path.with_name(f"{prev + 1:0{width}d}{path.suffix}")
            raise DataError(
                f"missing frame {missing}: the frames of {path.parent} are numbered "
                f"{nums[0]}…{nums[-1]} with a gap after {prev}"
            )
    return frames


def frames_fingerprint(paths) -> str:
    """A digest of every frame file's path, size and modification time (ns): the feature cache's
    key changes when any frame is replaced, edited or touched."""
    h = hashlib.sha256()
    for p in paths:
        st = Path(p).stat()
        h.update(f"{Path(p).resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:24]


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
