"""Weight files: cache directory, download with sha256 verification, clear offline errors.

Files live in ``$UNIBENCH_CACHE/weights/<model>/<file>`` (default ``~/.cache/unibench``). A card's
``sha256`` may be a full digest or a prefix (torchvision names its files after the first 8 hex digits);
a file that does not match is never used. Without network, the error names the URL and the exact
path where a manually downloaded file is picked up.
"""

from __future__ import annotations

import logging
import os
import urllib.error
import urllib.request
from pathlib import Path

from unibench.errors import CheckpointError
from unibench.io import sha256_of

logger = logging.getLogger(__name__)


def cache_root() -> Path:
    return Path(os.environ.get("UNIBENCH_CACHE", Path.home() / ".cache" / "unibench")) / "weights"


def verify(path: Path, expected: str | None) -> None:
    if not expected:
        logger.warning("%s: no sha256 known for this file; integrity not verified", path)
        return
    got = sha256_of(path)
    if not got.startswith(expected.lower()):
        raise CheckpointError(f"{path}: sha256 {got} does not match the expected {expected}")


def cached_path(name: str, url: str | None, file: str | None) -> Path:
    if file:
        return Path(os.path.expanduser(file))
    if not url:
        raise CheckpointError(f"model {name!r} has no weight source (url or file)")
    base = url.rstrip("/").split("/")[-1].split("?")[0]
    return cache_root() / name.replace("/", "_") / base


def fetch(
    name: str, url: str | None, file: str | None, sha256: str | None, timeout: float = 30.0
) -> Path:
    """Return a verified local weight file, downloading it into the cache if needed."""
    path = cached_path(name, url, file)
    if path.is_file():
        verify(path, sha256)
        return path
    if file and not url:
        raise CheckpointError(f"model {name!r}: weight file {path} does not exist")
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(path.suffix + ".part")
    logger.info("downloading %s → %s", url, path)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r, open(part, "wb") as f:
            while chunk := r.read(1 << 20):
                f.write(chunk)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        part.unlink(missing_ok=True)
        raise CheckpointError(
            f"model {name!r}: cannot download {url} ({exc}). Without network, download it "
            f"elsewhere and place it at {path} (sha256 {sha256 or 'unknown'}), or pass "
            f"--checkpoint FILE."
        ) from exc
    try:
        verify(part, sha256)
    except CheckpointError:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, path)
    return path
