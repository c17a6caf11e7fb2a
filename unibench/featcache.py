"""On-disk cache of frame features per model × tap × sequence (bounded size, explicit keys).

The key of a cache folder hashes everything that changes the features: the card (architecture,
its arguments, mean/std/input scale, weight source), the checkpoint's sha256, the tap and the input
height; inside it, a sequence's key covers the path, size and modification time of every frame
(``unibench.io.frames_fingerprint``), so an edited frame is never served stale features. A corrupt
entry is reported once, removed and recomputed. Changing any of them gives a new folder, so stale features are never read. Features are
stored in float16; when the cache is on, heads always consume the float16-rounded features (from
the cache or freshly computed), so a run gives the same numbers whether or not frames were cached.
Total size is bounded (``$UNIBENCH_FEATURE_CACHE_GB``, default 4): the least recently used sequence
folders are evicted.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import shutil
from pathlib import Path
from typing import Any

import torch

from unibench.errors import ConfigError
from unibench.io import atomic_write_bytes, atomic_write_text

logger = logging.getLogger(__name__)


def default_root() -> Path:
    base = Path(os.environ.get("UNIBENCH_CACHE", Path.home() / ".cache" / "unibench"))
    return base / "features"


class FeatureCache:
    def __init__(
        self, identity: dict[str, Any], root: Path | None = None, max_bytes: int | None = None
    ) -> None:
        self.identity = identity
        blob = json.dumps(identity, sort_keys=True, default=str).encode()
        self.key = hashlib.sha256(blob).hexdigest()[:16]
        self.root = Path(root or default_root())
        self.dir = self.root / self.key
        self._reported: set[Path] = set()
        raw = os.environ.get("UNIBENCH_FEATURE_CACHE_GB", "4")
        try:
            gb = float(raw)
        except ValueError:
            gb = float("nan")
        if not (math.isfinite(gb) and gb > 0):
            raise ConfigError(
                f"UNIBENCH_FEATURE_CACHE_GB={raw!r}: expected a positive number of gigabytes"
            )
        self.max_bytes = int(max_bytes if max_bytes is not None else gb * 2**30)
        self.dir.mkdir(parents=True, exist_ok=True)
        if not (self.dir / "identity.json").exists():
            atomic_write_text(
                self.dir / "identity.json", json.dumps(identity, indent=1, default=str)
            )

    def _path(self, seq_key: str, t: int) -> Path:
        return self.dir / hashlib.sha256(seq_key.encode()).hexdigest()[:16] / f"{t:05d}.pt"

    def get(self, seq_key: str, t: int) -> torch.Tensor | None:
        """The cached features, or None; a corrupt entry is reported, removed and recomputed."""
        p = self._path(seq_key, t)
        if not p.is_file():
            return None
        os.utime(p.parent)
        try:
            out = torch.load(p, map_location="cpu", weights_only=True)
            if not isinstance(out, torch.Tensor):
                raise ValueError(f"holds a {type(out).__name__}, not a tensor")
            return out
        except Exception as exc:  # noqa: BLE001 — any unreadable entry is recomputed
            if p.parent not in self._reported:
                logger.warning("feature cache entry %s is corrupt (%s); recomputing", p, exc)
                self._reported.add(p.parent)
            p.unlink(missing_ok=True)
            return None

    def put(self, seq_key: str, t: int, feat: torch.Tensor) -> None:
        buf = io.BytesIO()
        torch.save(feat.to(torch.float16).cpu().contiguous(), buf)
        atomic_write_bytes(self._path(seq_key, t), buf.getvalue())

    def evict(self) -> int:
        """Remove least recently used sequence folders until the cache fits; return bytes freed."""
        seqs = [d for k in self.root.iterdir() if k.is_dir() for d in k.iterdir() if d.is_dir()]
        sizes = {d: sum(f.stat().st_size for f in d.glob("*.pt")) for d in seqs}
        total, freed = sum(sizes.values()), 0
        for d in sorted(seqs, key=lambda d: d.stat().st_mtime):
            if total - freed <= self.max_bytes:
                break
            shutil.rmtree(d, ignore_errors=True)
            freed += sizes[d]
        return freed
