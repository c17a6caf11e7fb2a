"""The output folder's atomic writes (unibench/io.py)."""

from __future__ import annotations

import pytest

from unibench.errors import UniBenchError
from unibench.io import MARKER, owned, staging_dir


def test_a_kill_before_the_marker_never_leaves_an_unmarked_partial(tmp_path):
    # found by the killed-driver test: a SIGKILL between mkdir(.x.partial) and the marker's write
    # left a .partial folder every later run refused to remove; the marker is now written in a
    # uniquely named folder that is renamed to .partial, so a kill leaves at most an empty
    # uniquely named folder, which the next attempt removes
    final = tmp_path / "seq"
    empty = tmp_path / ".seq.123-abcd.staging"
    empty.mkdir()
    marked = tmp_path / ".seq.456-ef01.staging"
    marked.mkdir()
    (marked / MARKER).write_text("x")
    (marked / "00000.png").write_bytes(b"x")
    theirs = tmp_path / ".seq.789-0000.staging"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")  # not ours: left alone
    with staging_dir(final) as tmp:
        assert tmp.name == ".seq.partial" and owned(tmp)
        (tmp / "00000.png").write_bytes(b"y")
    assert (final / "00000.png").read_bytes() == b"y" and owned(final)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".seq.789-0000.staging", "seq"]
    assert (theirs / "notes.txt").read_text() == "mine"


def test_an_unmarked_partial_is_refused_not_removed(tmp_path):
    (tmp_path / ".seq.partial").mkdir()
    (tmp_path / ".seq.partial" / "notes.txt").write_text("mine")
    with pytest.raises(UniBenchError, match="not created by unibench"):
        with staging_dir(tmp_path / "seq"):
            pass
    assert (tmp_path / ".seq.partial" / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "seq").exists()
