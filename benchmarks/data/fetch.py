"""``unibench data fetch``: download a benchmark's openly published archives into its data root.

Each :class:`~unibench.benchmarks.data.folders.Archive` is downloaded to
``<data root>/.unibench-downloads/<name>.part`` (an interrupted download resumes with an HTTP range
request), checked against its declared size and SHA-256 (where none is published, the digest is
computed, recorded beside the file and reported as unverified), renamed to ``<name>`` and unpacked
into the root (members that would leave it, links included, are refused). A file already fetched
and verified is not downloaded again; one already unpacked is not unpacked again. ``base_url``
replaces everything before each archive's name (a mirror, or a local folder in the tests).
Benchmarks behind a registration or a form have no archives: :func:`instructions` says what to
download, where to put it and what ``data check`` expects.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import shutil
import tarfile
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from unibench.benchmarks.base import BENCHMARKS
from unibench.benchmarks.data.folders import Archive, DataLayout

from unibench.errors import DataError
from unibench.io import atomic_write_text

logger = logging.getLogger(__name__)
DOWNLOADS = ".unibench-downloads"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Fetched:
    archive: str
    path: Path
    size: int
    sha256: str
    verified: bool  # against a declared checksum
    downloaded: bool  # False: found complete from an earlier fetch
    unpacked: bool  # False: unpacked by an earlier fetch


def layout_of(name: str) -> DataLayout:
    data = BENCHMARKS.get(name).data
    if data is None:
        raise DataError(
            f"benchmark {name!r} has no data folder to fetch (UniBench writes it: unibench synth)"
        )
    return data


def instructions(name: str, data_root: Path | str | None = None) -> str:
    """What to do for a benchmark UniBench cannot download: its page, its steps, the tree."""
    data = layout_of(name)
    root = data_root or "DIR"
    lines = [f"{name}: {data.obtain.page}"]
    lines += [f"  {i}. {s}" for i, s in enumerate(data.obtain.steps, 1)]
    lines.append(f"then `unibench data check {name} --data-root {root}` expects:")
    lines += ["  " + t for t in data.tree.splitlines()]
    return "\n".join(lines)


URL_SCHEMES = ("http", "https", "file")


def mirror_url(base_url: str) -> str:
    """``--base-url`` checked: an ``http(s)://`` or ``file://`` URL, or an existing local folder
    (taken as ``file://``); anything else is one clear error, before anything is written."""
    text = base_url.strip()
    try:
        parts = urllib.parse.urlsplit(text)
    except ValueError as exc:
        raise DataError(f"--base-url {base_url!r}: not a URL ({exc})") from None
    if parts.scheme in ("http", "https"):
        if not parts.netloc:
            raise DataError(f"--base-url {base_url!r}: no host after {parts.scheme}://")
        return text
    if parts.scheme == "file":
        return text
    if not parts.scheme or len(parts.scheme) == 1:  # a path (a drive letter is not a scheme)
        folder = Path(text).expanduser()
        if folder.is_dir():
            return folder.resolve().as_uri()
        raise DataError(
            f"--base-url {base_url!r}: neither a URL ({', '.join(s + '://' for s in URL_SCHEMES)}) "
            "nor an existing folder"
        )
    raise DataError(
        f"--base-url {base_url!r}: unsupported scheme {parts.scheme!r}; use one of "
        + ", ".join(s + "://" for s in URL_SCHEMES)
        + " or a local folder"
    )


def _url(a: Archive, base_url: str | None) -> str:
    return a.url if not base_url else base_url.rstrip("/") + "/" + a.name


def _archive_kind(path: Path) -> str | None:
    """``zip`` or ``tar`` by content (not by name), else None."""
    if zipfile.is_zipfile(path):
        return "zip"
    return "tar" if tarfile.is_tarfile(path) else None


def _what_it_is(path: Path) -> str:
    """A short guess at what a file that should be an archive is (for the error line)."""
    with open(path, "rb") as f:
        head = f.read(512)
    text = head.lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text[:200]:
        return "an HTML page (a login, error or download-confirmation page?)"
    if not head:
        return "an empty file"
    return f"{len(head)}+ bytes that are neither zip nor tar (starting {head[:16]!r})"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _download(url: str, part: Path, progress: Callable[[int, int | None], None] | None) -> None:
    have = part.stat().st_size if part.exists() else 0
    req = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        resp = urllib.request.urlopen(req, timeout=60)  # noqa: S310 (http(s)/file URLs we declare)
    except OSError as exc:
        raise DataError(f"cannot download {url}: {getattr(exc, 'reason', exc)}") from None
    with resp:
        status = getattr(resp, "status", None) or resp.getcode() or 200
        total = resp.headers.get("Content-Length")
        mode = "ab" if have and status == 206 else "wb"
        if mode == "wb":
            have = 0  # the server ignored the range: start again
        total_n = int(total) + have if total is not None else None
        with open(part, mode) as f:
            try:
                while block := resp.read(CHUNK):
                    f.write(block)
                    have += len(block)
                    if progress:
                        progress(have, total_n)
            except (OSError, http.client.HTTPException) as exc:
                raise DataError(
                    f"{url}: the download broke off after {have} bytes ({exc!r}); run the same "
                    f"command again to resume from {part}"
                ) from None
    if total_n is not None and have != total_n:
        raise DataError(
            f"{url}: the download broke off after {have} of {total_n} bytes; run the same "
            f"command again to resume from {part}"
        )


def _safe_members(names: list[str], strip: int, source: Path) -> dict[str, PurePosixPath]:
    out = {}
    for n in names:
        p = PurePosixPath(n)
        if p.is_absolute() or ".." in p.parts:
            raise DataError(f"{source}: member {n!r} would leave the data root; not unpacked")
        parts = p.parts[strip:]
        if parts:
            out[n] = PurePosixPath(*parts)
    return out


def _writable(target: Path, size: int, archive: Path) -> bool:
    """Whether to write ``target``: not where the same file is already there (an earlier,
    interrupted unpack), never over a different file of the user's."""
    if not target.exists():
        return True
    if target.is_file() and target.stat().st_size == size:
        return False
    raise DataError(
        f"{target}: exists and differs from {archive}'s member; nothing is overwritten "
        "(move it away, or unpack into an empty data root)"
    )


def unpack(archive: Path, dest: Path, strip: int = 0) -> int:
    """Unpack a zip or tar ``archive`` into ``dest`` (``strip`` leading folders dropped); returns
    the number of files written. Links and members that would leave ``dest`` are refused, and no
    existing file is overwritten."""
    dest.mkdir(parents=True, exist_ok=True)
    n = 0
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            infos = {i.filename: i for i in z.infolist()}
            for src, rel in _safe_members(list(infos), strip, archive).items():
                target = dest / rel
                if infos[src].is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                if not _writable(target, infos[src].file_size, archive):
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with z.open(infos[src]) as r, open(target, "wb") as w:
                    shutil.copyfileobj(r, w, CHUNK)
                n += 1
        return n
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as t:
            members = {m.name: m for m in t.getmembers()}
            for src, rel in _safe_members(list(members), strip, archive).items():
                m = members[src]
                target = dest / rel
                if m.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                if not m.isfile():
                    raise DataError(f"{archive}: member {src!r} is a link or device; not unpacked")
                if not _writable(target, m.size, archive):
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                r = t.extractfile(m)
                assert r is not None
                with r, open(target, "wb") as w:
                    shutil.copyfileobj(r, w, CHUNK)
                n += 1
        return n
    raise DataError(f"{archive}: not a zip or tar archive")


def fetch(
    name: str,
    data_root: Path | str,
    base_url: str | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> list[Fetched]:
    """Download, verify and unpack every archive of benchmark ``name`` into ``data_root``."""
    data = layout_of(name)
    if not data.obtain.fetchable:
        raise DataError(
            f"{name} is not openly downloadable (a registration or a form comes first):\n"
            + instructions(name, data_root)
        )
    base_url = mirror_url(base_url) if base_url else None  # before anything is written
    root = Path(data_root)
    downloads = root / DOWNLOADS
    downloads.mkdir(parents=True, exist_ok=True)
    out = []
    for a in data.obtain.archives:
        final, part = downloads / a.name, downloads / (a.name + ".part")
        done_mark, sum_mark = downloads / (a.name + ".unpacked"), downloads / (a.name + ".sha256")
        downloaded = False
        if final.exists() and not done_mark.exists() and _archive_kind(final) is None:
            # kept by an older fetch: it is this tool's own file, so it goes, and is fetched again
            logger.warning("%s: %s, left by an earlier fetch; removed", final, _what_it_is(final))
            final.unlink()
            sum_mark.unlink(missing_ok=True)
        if not final.exists():
            url = _url(a, base_url)
            logger.info("downloading %s from %s", a.name, url)
            _download(url, part, (lambda h, t, _n=a.name: progress(_n, h, t)) if progress else None)
            size = part.stat().st_size
            if a.size is not None and size != a.size:
                raise DataError(
                    f"{part}: {size} bytes, the published archive has {a.size}; "
                    "delete it and fetch again"
                )
            digest = _sha256(part)
            if a.sha256 is not None and digest != a.sha256:
                part.unlink()
                raise DataError(
                    f"{url}: SHA-256 {digest} differs from the published {a.sha256}; "
                    "the partial file was removed"
                )
            if _archive_kind(part) is None:
                what = _what_it_is(part)
                part.unlink()
                raise DataError(
                    f"{url}: the server sent {what}, not a zip or tar archive; it was removed, so "
                    "the next fetch downloads again (check the URL, or download the archive in a "
                    f"browser and put it at {final})"
                )
            atomic_write_text(sum_mark, digest + "\n")
            part.rename(final)
            downloaded = True
        digest = sum_mark.read_text().strip() if sum_mark.exists() else _sha256(final)
        unpacked = False
        if not done_mark.exists():
            n = unpack(final, root / a.into if a.into else root, a.strip)
            atomic_write_text(done_mark, f"{n} files\n")
            unpacked = True
        out.append(Fetched(a.name, final, final.stat().st_size, digest,
                           a.sha256 is not None, downloaded, unpacked))  # fmt: skip
    return out
