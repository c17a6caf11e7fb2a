"""``unibench data fetch`` against a local mirror of fabricated archives (never the network):
download with resume, size and checksum, unpacking into the official layout, then the check; the
steps printed for benchmarks behind a registration."""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from unibench.benchmarks.data import fetch as fetching
from unibench.benchmarks.synthetic import generate

from unibench.app.cli import main
from unibench.errors import DataError


class Mirror:
    """A local HTTP server serving ``files`` (name -> bytes) with range requests; ``cut`` (name
    -> n) drops the connection after n bytes of the first full response, as a broken download."""

    def __init__(self, files: dict[str, bytes]):
        self.files, self.cut, self.requests = files, {}, []
        mirror = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                name = self.path.lstrip("/")
                rng = self.headers.get("Range")
                mirror.requests.append((name, rng))
                data = mirror.files.get(name)
                if data is None:
                    self.send_error(404)
                    return
                start = int(rng.split("=")[1].split("-")[0]) if rng else 0
                body = data[start:]
                self.send_response(206 if rng else 200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                n = mirror.cut.pop(name, None)
                self.wfile.write(body if n is None else body[:n])

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def _zip_of(folder: Path, top: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                z.write(p, f"{top}/{p.relative_to(folder)}")
    return buf.getvalue()


@pytest.fixture
def mot_archive(tmp_path) -> bytes:
    """A MOT20.zip in the published arrangement (``MOT20/train/<seq>/…``) made of the synthetic
    suite's MOTChallenge sequences."""
    suite = generate(tmp_path / "suite", formats=("mot",))
    return _zip_of(suite / "mot", "MOT20")


def test_fetch_downloads_resumes_unpacks_and_checks(mot_archive, tmp_path, capsys):
    mirror = Mirror({"MOT20.zip": mot_archive})
    mirror.cut["MOT20.zip"] = len(mot_archive) // 2
    root = tmp_path / "MOT20"
    try:
        # the first attempt is cut half-way: the length check stops it, the part file stays
        with pytest.raises(DataError, match="broke off after .* run the same command again"):
            fetching.fetch("mot20", root, base_url=mirror.url)
        part = root / fetching.DOWNLOADS / "MOT20.zip.part"
        assert part.stat().st_size == len(mot_archive) // 2
        rc = main(["data", "fetch", "mot20", "--data-root", str(root), "--base-url", mirror.url,
                   "--no-progress"])  # fmt: skip
    finally:
        mirror.close()
    out = capsys.readouterr().out
    assert mirror.requests[-1] == ("MOT20.zip", f"bytes={len(mot_archive) // 2}-")  # resumed
    digest = hashlib.sha256(mot_archive).hexdigest()
    assert f"MOT20.zip: downloaded, {len(mot_archive)} bytes, sha256 {digest}" in out
    assert "no published checksum; recorded" in out
    # the check that follows: the fabricated archive holds none of MOT20's four official train
    # sequences (the manifest's), and nothing else is wrong with it
    assert (root / "train").is_dir() and rc == 1, out
    problems = [line for line in out.splitlines() if line.startswith(("MOT20-", "SYNTH-"))]
    assert len(problems) == 6 and all("missing sequence" in p or "extra sequence" in p
                                      for p in problems)  # fmt: skip
    assert "2 checked, 60 frames" in out
    # again: nothing downloaded or unpacked twice
    assert main(["data", "fetch", "mot20", "--data-root", str(root), "--no-progress"]) == 1
    assert "MOT20.zip: already here" in capsys.readouterr().out


def test_a_checksum_mismatch_removes_the_download(mot_archive, tmp_path, monkeypatch):
    real = fetching.layout_of("mot20")
    bad = replace(real.obtain.archives[0], sha256="0" * 64, size=len(mot_archive))
    monkeypatch.setattr(fetching, "layout_of",
                        lambda name: replace(real, obtain=replace(real.obtain, archives=(bad,))))  # fmt: skip
    mirror = Mirror({"MOT20.zip": mot_archive})
    try:
        with pytest.raises(DataError, match="differs from the published 0000"):
            fetching.fetch("mot20", tmp_path / "r", base_url=mirror.url)
    finally:
        mirror.close()
    assert not list((tmp_path / "r" / fetching.DOWNLOADS).glob("MOT20.zip*"))
    assert not (tmp_path / "r" / "train").exists()


def test_unpacking_refuses_members_that_leave_the_root_and_never_overwrites(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../outside.txt", "x")
    with pytest.raises(DataError, match="would leave the data root"):
        fetching.unpack(evil, tmp_path / "root")
    assert not (tmp_path / "outside.txt").exists()
    ok = tmp_path / "ok.zip"
    with zipfile.ZipFile(ok, "w") as z:
        z.writestr("top/a.txt", "archive's")
    (tmp_path / "root2").mkdir()
    (tmp_path / "root2" / "a.txt").write_text("the user's own, longer file")
    with pytest.raises(DataError, match="nothing is overwritten"):
        fetching.unpack(ok, tmp_path / "root2", strip=1)
    assert (tmp_path / "root2" / "a.txt").read_text() == "the user's own, longer file"


def test_benchmarks_behind_a_registration_print_the_steps(tmp_path, capsys):
    rc = main(["data", "fetch", "youtubevos-2019", "--data-root", str(tmp_path / "y")])
    out = capsys.readouterr().out
    assert rc == 1 and "CodaLab" in out and "valid.zip" in out
    assert "then `unibench data check youtubevos-2019" in out and "meta.json" in out
    assert not (tmp_path / "y").exists()


# ------------------------------------------------------------------ faults found by trying bad inputs
@pytest.mark.parametrize(
    "base_url, said",
    [
        ("/no/such/folder", "neither a URL (http://, https://, file://) nor an existing folder"),
        ("http://[::1", "not a URL (Invalid IPv6 URL)"),
        ("ftp://mirror.example/x", "unsupported scheme 'ftp'"),
        ("http:///MOT20.zip", "no host after http://"),
    ],
)
def test_a_bad_base_url_is_one_line_and_writes_nothing(base_url, said, tmp_path, capsys):
    root = tmp_path / "MOT20"
    assert main(["data", "fetch", "mot20", "--data-root", str(root), "--base-url", base_url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err and "Traceback" not in err
    assert not root.exists()


def test_a_bare_folder_is_a_file_mirror(mot_archive, tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "MOT20.zip").write_bytes(mot_archive)
    root = tmp_path / "MOT20"
    got = fetching.fetch("mot20", root, str(mirror))
    assert got[0].downloaded and got[0].unpacked
    assert (root / "train").is_dir()


def test_an_html_page_in_place_of_the_archive_is_removed_and_fetched_again(mot_archive, tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "MOT20.zip").write_text("<!DOCTYPE html><html><body>Please log in</body></html>")
    root = tmp_path / "MOT20"
    with pytest.raises(
        DataError, match="sent an HTML page .* not a zip or tar archive; it was removed"
    ):
        fetching.fetch("mot20", root, str(mirror))
    downloads = root / fetching.DOWNLOADS
    assert sorted(p.name for p in downloads.iterdir()) == []  # nothing kept to repeat the error
    (mirror / "MOT20.zip").write_bytes(mot_archive)  # the mirror is fixed: the next fetch works
    got = fetching.fetch("mot20", root, str(mirror))
    assert got[0].downloaded and (root / "train").is_dir()


def test_a_non_archive_left_by_an_older_fetch_is_removed_and_downloaded_again(
    mot_archive, tmp_path
):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "MOT20.zip").write_bytes(mot_archive)
    downloads = tmp_path / "MOT20" / fetching.DOWNLOADS
    downloads.mkdir(parents=True)
    (downloads / "MOT20.zip").write_text("<html>an error page an older version kept</html>")
    got = fetching.fetch("mot20", tmp_path / "MOT20", str(mirror))
    assert got[0].downloaded and got[0].unpacked
