"""Weight files: cache directory, download with sha256 verification, clear offline errors.

Files live in ``$UNIBENCH_CACHE/weights/<model>/<file>`` (default ``~/.cache/unibench``); a file of
the same name in torch hub's cache (``$TORCH_HOME/hub/checkpoints/``, where
``torch.hub.load_state_dict_from_url`` and torchvision put the same URLs) is used instead of a second
download. A card's ``sha256`` may be a full digest or a prefix (torchvision names its files after the
first 8 hex digits); a file that does not match is never used. Downloads show a tqdm progress bar and
land atomically. Without network, the error names the URL and the exact path where a manually
downloaded file is picked up.
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


def torch_hub_path(url: str) -> Path:
    """Where torch hub keeps the file of ``url`` (``load_state_dict_from_url``'s naming)."""
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints" / url.rstrip("/").split("/")[-1].split("?")[0]


def download(url: str, dest: Path, timeout: float = 30.0) -> Path:
    """Download ``url`` to ``dest`` through a ``.part`` file, with a tqdm progress bar."""
    from tqdm import tqdm

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_suffix(dest.suffix + ".part")
    logger.info("downloading %s → %s", url, dest)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r, open(part, "wb") as f:
            total = int(r.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, leave=False) as bar:
                while chunk := r.read(1 << 20):
                    f.write(chunk)
                    bar.update(len(chunk))
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        part.unlink(missing_ok=True)
        raise CheckpointError(f"cannot download {url} ({exc})") from exc
    os.replace(part, dest)
    return dest


def fetch(
    name: str, url: str | None, file: str | None, sha256: str | None, timeout: float = 30.0
) -> Path:
    """Return a verified local weight file: the card's file, UniBench's cache, torch hub's cache
    (same file name), else downloaded into UniBench's cache."""
    path = cached_path(name, url, file)
    if path.is_file():
        verify(path, sha256)
        return path
    if file and not url:
        raise CheckpointError(f"model {name!r}: weight file {path} does not exist")
    shared = torch_hub_path(url)
    if shared.is_file():
        verify(shared, sha256)
        logger.info("%s: using torch hub's copy %s", name, shared)
        return shared
    part = path.with_suffix(path.suffix + ".download")
    try:
        download(url, part, timeout)
    except CheckpointError as exc:
        raise CheckpointError(
            f"model {name!r}: {exc}. Without network, download it elsewhere and place it at "
            f"{path} (or {shared}; sha256 {sha256 or 'unknown'}), or pass --checkpoint FILE."
        ) from exc
    try:
        verify(part, sha256)
    except CheckpointError:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, path)
    return path
