"""``unibench data layout --from VARIANT``: a dry run changes nothing; ``--apply`` rearranges the
same files into the official layout, which ``data check`` then recognises; nothing is overwritten."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from unibench.benchmarks.data import repair
from unibench.benchmarks.data.check import check_data

from unibench.app.cli import main
from unibench.errors import DataError


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _lasot_flat(root: Path, frame: Path) -> None:
    for name in ("airplane-1", "airplane-9", "bird-2"):
        d = root / name
        (d / "img").mkdir(parents=True)
        for i in range(1, 4):
            shutil.copy(frame, d / "img" / f"{i:08d}.jpg")
        (d / "groundtruth.txt").write_text("1,1,4,4\n" * 3)
        (d / "full_occlusion.txt").write_text("0,0,0\n")
        (d / "out_of_view.txt").write_text("0,0,0\n")


@pytest.fixture(scope="module")
def frame(tmp_path_factory) -> Path:
    from PIL import Image

    p = tmp_path_factory.mktemp("frame") / "frame.jpg"
    Image.new("RGB", (16, 12), (90, 120, 30)).save(p)
    return p


def test_lasot_flat_is_recognised_shown_then_moved(tmp_path, capsys, frame):
    root = tmp_path / "LaSOT"
    _lasot_flat(root, frame)
    before = _tree(root)
    rep = check_data("lasot", root, split="all")
    assert rep.variant == "flat" and not rep.ok
    assert "--from flat" in rep.problems[0].what
    assert main(["data", "layout", "lasot", "--data-root", str(root), "--from", "flat"]) == 0
    out = capsys.readouterr().out
    assert f"move {root / 'airplane-9'} -> {root / 'airplane' / 'airplane-9'}" in out
    assert "dry run: 3 operation(s)" in out and _tree(root) == before
    rc = main(["data", "layout", "lasot", "--data-root", str(root), "--from", "flat", "--apply"])
    out = capsys.readouterr().out
    assert "done: 3 operation(s)" in out
    assert (root / "bird" / "bird-2" / "img" / "00000003.jpg").is_file()
    assert len(_tree(root)) == len(before) + 2  # the two class folders, nothing else
    # the check after it reads the default (test) split, which needs testing_set.txt: it says
    # so; the layout is the official one and split=all is complete
    assert rc == 1 and "testing_set.txt" in out
    rep = check_data("lasot", root, split="all")
    assert rep.variant == "official" and rep.ok and rep.frames == 9


def test_a_clash_stops_the_plan_before_anything_moves(tmp_path, frame):
    root = tmp_path / "LaSOT"
    _lasot_flat(root, frame)
    (root / "airplane" / "airplane-9").mkdir(parents=True)  # the user's own folder
    before = _tree(root)
    with pytest.raises(DataError, match="airplane-9: exists; nothing was changed"):
        repair.plan("lasot-flat", root)
    assert _tree(root) == before


def test_trackingnet_chunks_are_unpacked_beside_their_zips(tmp_path, capsys, frame):
    root = tmp_path / "TrackingNet"
    (root / "TEST" / "zips").mkdir(parents=True)
    (root / "TEST" / "anno").mkdir()
    for seq in ("abc_0", "xyz_1"):
        with zipfile.ZipFile(root / "TEST" / "zips" / f"{seq}.zip", "w") as z:
            for i in range(3):
                z.write(frame, f"{i}.jpg")
        (root / "TEST" / "anno" / f"{seq}.txt").write_text("1,1,4,4\n")
    assert check_data("trackingnet", root).variant == "chunks"
    rc = main(["data", "layout", "trackingnet", "--data-root", str(root), "--from", "chunks",
               "--apply"])  # fmt: skip
    out = capsys.readouterr().out
    assert (root / "TEST" / "frames" / "xyz_1" / "2.jpg").is_file()
    assert (root / "TEST" / "zips" / "xyz_1.zip").is_file()  # kept
    assert "done: 2 operation(s)" in out
    rep = check_data("trackingnet", root, sequences=["abc_0", "xyz_1"])
    assert rep.variant == "official" and rep.ok and rep.frames == 6
    assert rc == 1 and "0 of 511 sequences" not in out and "2 of 511 sequences" in out


@pytest.mark.realdata
def test_davis2016_inside_a_davis2017_tree_becomes_a_root_of_links(realdata, tmp_path, capsys):
    tree = tmp_path / "DAVIS2017"
    sample = realdata / "davis" / "davis2016-car-shadow"
    shutil.copytree(sample / "JPEGImages", tree / "JPEGImages")  # the 2017 tree's frames
    shutil.copytree(sample / "Annotations", tree / "DAVIS" / "Annotations")  # 2016's masks
    (tree / "Annotations" / "480p").mkdir(parents=True)
    before = _tree(tree)
    assert check_data("davis2016", tree).variant == "davis2016-in-2017"
    assert main(["data", "layout", "davis2016", "--data-root", str(tree), "--from",
                 "davis2016-in-2017"]) == 2  # fmt: skip
    assert "--to DIR" in capsys.readouterr().err
    view = tmp_path / "davis2016"
    main(["data", "layout", "davis2016", "--data-root", str(tree), "--from", "davis2016-in-2017",
          "--to", str(view), "--apply"])  # fmt: skip
    assert (view / "Annotations" / "480p").is_symlink()
    rep = check_data("davis2016", view, sequences=["car-shadow"])
    assert rep.ok and rep.frames == 40
    assert _tree(tree) == before


def test_a_plain_file_where_a_class_folder_goes_stops_the_plan_before_anything_moves(
    tmp_path, capsys, frame
):
    root = tmp_path / "LaSOT"
    _lasot_flat(root, frame)
    (root / "bird").write_text("a note the user keeps here\n")  # where bird/bird-2 would go
    before = _tree(root)
    rc = main(["data", "layout", "lasot", "--data-root", str(root), "--from", "flat", "--apply"])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"{root / 'bird'}: a file where the folder of {root / 'bird' / 'bird-2'} goes" in err
    assert "nothing was changed" in err
    assert _tree(root) == before  # airplane-1 and airplane-9 were not moved either
    assert (root / "bird").read_text() == "a note the user keeps here\n"


def test_an_unpack_plan_checks_every_zip_first(tmp_path):
    split = tmp_path / "TrackingNet" / "TEST"
    (split / "zips").mkdir(parents=True)
    with zipfile.ZipFile(split / "zips" / "a.zip", "w") as z:
        z.writestr("0.jpg", b"x")
    (split / "zips" / "b.zip").write_text("not a zip")
    with pytest.raises(DataError, match=r"b.zip: not a zip archive; nothing was changed"):
        repair.plan("trackingnet-zips", tmp_path / "TrackingNet")
    assert not (split / "frames").exists()
