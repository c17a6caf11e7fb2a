"""Names that become paths never escape their folders.

Sequence, split, tap, model, head and benchmark names become path components. :func:`safe_name`
is the one validation of such a name (no separator, not ``.``/``..``, not absolute, no NUL or
control character); :func:`inside` checks that a path resolves inside the folder it belongs to
(the output root for every write, the data root for every read), so that a name from a data file or
a flag can neither read nor write elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

from unibench.errors import ConfigError, UniBenchError

MARKER = ".unibench-owned"  # written into every folder the tool creates and may later replace


def safe_name(
    name: object, what: str, source: str, error: type[UniBenchError] = ConfigError
) -> str:
    """``name`` if it is a safe single path component, else ``error`` naming its source."""
    text = str(name) if name is not None else ""
    bad = None
    if not text:
        bad = "is empty"
    elif text in (".", ".."):
        bad = "is a relative folder reference"
    elif "/" in text or "\\" in text or (os.sep in text) or (os.altsep and os.altsep in text):
        bad = "contains a path separator"
    elif any(ord(c) < 32 or ord(c) == 127 for c in text):
        bad = "contains a NUL or control character"
    if bad:
        raise error(f"{source}: {what} name {text!r} {bad}; it must be a plain file name")
    return text


def inside(path: Path, root: Path, what: str, error: type[UniBenchError] = ConfigError) -> Path:
    """``path`` resolved, provided it lies inside ``root`` (symlinks followed)."""
    p, r = Path(path).resolve(), Path(root).resolve()
    if p != r and r not in p.parents:
        raise error(f"{what} {p} is outside {r}: refusing to touch it")
    return Path(path)


def owned(folder: Path) -> bool:
    """Whether ``folder`` was created by UniBench (it carries the marker file)."""
    return (Path(folder) / MARKER).is_file()
