"""``--shard I/N``: which shard a unit belongs to (a stable hash of its identity) and the flag's parser."""

from __future__ import annotations

import hashlib

from unibench.errors import ConfigError


def shard_of(cell: str, sequence: str, n: int) -> int:
    """The shard (1…n) a unit belongs to: a stable hash of its identity (the same on every
    machine and Python process, unlike ``hash``)."""
    h = hashlib.sha256(f"{cell}|{sequence}".encode()).digest()
    return 1 + int.from_bytes(h[:8], "big") % n


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ConfigError(f"--shard {text!r}: expected I/N, e.g. 2/4") from None
    if not 1 <= i <= n:
        raise ConfigError(f"--shard {text!r}: expected 1 <= I <= N")
    return i, n
