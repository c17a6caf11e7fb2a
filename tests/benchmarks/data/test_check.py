"""``unibench data check``: the layouts every real benchmark declares, the manifests, and the check
on the real samples (complete, and with files removed, renamed, truncated or swapped) and on
fabricated trees."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image
from unibench.benchmarks import BENCHMARKS
from unibench.benchmarks.data.check import check_data
from unibench.benchmarks.data.folders import Manifest

from unibench.app.cli import main

REAL = [n for n in BENCHMARKS.names() if not n.startswith("synthetic")]


def _fabricate(root: Path, markers: tuple[str, ...]) -> None:
    """A tree holding one path per marker glob (``*`` becomes ``x1-1``: a name every glob of the
    declarations accepts)."""
    for m in markers:
        p = root / m.replace("*", "x1-1")
        if p.suffix:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text("")
        else:
            p.mkdir(parents=True, exist_ok=True)


@pytest.mark.parametrize("name", REAL)
def test_every_real_benchmark_declares_its_folder_and_recognises_each_variant(name, tmp_path):
    data = BENCHMARKS.get(name).data
    assert data is not None, f"{name} declares no data layout"
    assert data.variants[0].name == "official" and data.tree.strip()
    assert data.obtain.fetchable or data.obtain.steps, f"{name}: neither archives nor steps"
    assert data.family in ("vos", "sot", "association", "pose")
    for v in data.variants:
        root = tmp_path / v.name
        _fabricate(root, v.markers)
        assert data.recognise(root) is v, f"{name}: a tree of {v.name}'s markers is not {v.name}"
    assert data.recognise(tmp_path / "empty-but-missing") is None
    for split, f in data.manifests.items():
        m = Manifest.load(f)
        assert m.benchmark == name and m.split in (split, "test"), f
        assert m.source and len(m.sequences) > 0, f


# manifest -> (sequences, frames counted): the counts the papers and the cited lists give
MANIFEST_SIZES = {
    "davis2016-val.json": (20, 1376), "davis2016-train.json": (30, 2079),
    "davis2016-trainval.json": (50, 3455), "davis2017-val.json": (30, 1999),
    "otb2015-all.json": (100, 59040), "lasot-test.json": (280, 0),
    "lasot-ext-test.json": (150, 0), "trackingnet-test.json": (511, 0),
    "got10k-val.json": (180, 0), "got10k-test.json": (180, 0),
    "vot2018-all.json": (60, 0), "vot2019-all.json": (60, 0),
    "mot15-train.json": (11, 71 + 179), "mot15-test.json": (11, 0),
    "mot16-train.json": (7, 5316), "mot16-test.json": (7, 0),
    "mot17-train.json": (21, 15948), "mot17-test.json": (21, 0),
    "mot20-train.json": (4, 429 + 2782 + 2405 + 3315), "mot20-test.json": (4, 0),
    "mots20-train.json": (4, 600 + 837 + 525 + 900), "mots20-test.json": (4, 3044),
    "kitti-mots-train.json": (12, 5027), "kitti-mots-val.json": (9, 2981),
    "kitti-mots-fulltrain.json": (21, 8008), "kitti-mots-test.json": (29, 11095),
    "oxuva-dev.json": (200, 839870), "oxuva-test.json": (166, 546766),
    "tnl2k-test.json": (700, 516038),
    "jhmdb-train1.json": (660, 0), "jhmdb-test1.json": (268, 0),
    "bdd100k-mot-val.json": (200, 0),
}  # fmt: skip


def test_manifests_hold_the_official_counts():
    """The counts the papers print (DAVIS-2016 val 20 / 1376 frames, DAVIS-2017 val 30 / 1999
    frames, OTB-100 100 targets, LaSOT test 280, TrackingNet test 511, OxUvA 200 dev tasks of 185
    videos and 166 test tasks of 152, TNL2K test 700, JHMDB split 1 test 268, BDD100K MOT val 200,
    …); OTB frame ranges as the toolkits read them (Crossing 120 frames, David 300-770); every
    manifest file on disk is pinned here and names its source."""
    from importlib import resources

    on_disk = {
        f.name
        for f in resources.files("unibench.benchmarks.data").joinpath("manifests").iterdir()
        if f.name.endswith(".json")
    }
    assert on_disk == set(MANIFEST_SIZES)
    for f, (n, frames) in MANIFEST_SIZES.items():
        m = Manifest.load(f)
        counted = sum(v for v in m.sequences.values() if v)
        assert (len(m.sequences), counted) == (n, frames), f
        assert m.source and m.benchmark in BENCHMARKS, f
    otb = Manifest.load("otb2015-all.json").sequences
    assert otb["Crossing"] == 120 and otb["David"] == 471 and otb["Jogging.2"] == 307
    assert set(Manifest.load("davis2016-val.json").sequences) < set(
        Manifest.load("davis2017-val.json").sequences
    )
    ox = {k.rsplit("_", 1)[0] for k in Manifest.load("oxuva-dev.json").sequences}
    assert len(ox) == 185
    assert len({k.rsplit("_", 1)[0] for k in Manifest.load("oxuva-test.json").sequences}) == 152
    kitti = {s: set(Manifest.load(f"kitti-mots-{s}.json").sequences) for s in ("train", "val")}
    assert kitti["train"] | kitti["val"] == set(
        Manifest.load("kitti-mots-fulltrain.json").sequences
    )
    assert not kitti["train"] & kitti["val"]
    j = [set(Manifest.load(f"jhmdb-{s}1.json").sequences) for s in ("train", "test")]
    assert len(j[0] | j[1]) == 928 and not j[0] & j[1]  # JHMDB's 928 clips, split 1
    assert all("+" in n for n in j[1])  # <action>+<video>, the adapter's names


def test_every_manifest_is_declared_by_its_benchmark():
    declared = {
        f for n in BENCHMARKS.names() if BENCHMARKS.get(n).data
        for f in BENCHMARKS.get(n).data.manifests.values()
    }  # fmt: skip
    assert declared == set(MANIFEST_SIZES)


def test_an_empty_folder_prints_the_official_tree(tmp_path, capsys):
    (tmp_path / "lasot").mkdir()
    rc = main(["data", "check", "lasot", "--data-root", str(tmp_path / "lasot")])
    out = capsys.readouterr().out
    assert rc == 1
    assert "not a lasot folder in any layout UniBench knows" in out
    assert "testing_set.txt" in out and "layout not recognised" in out


# ----------------------------------------------------------------- DAVIS on the real samples
@pytest.fixture
def car_shadow(realdata, tmp_path) -> Path:
    root = tmp_path / "davis2016"
    shutil.copytree(realdata / "davis" / "davis2016-car-shadow", root,
                    ignore=shutil.ignore_patterns("*.txt", "*.sha256"))  # fmt: skip
    return root


@pytest.mark.realdata
def test_the_real_davis2016_sample_is_complete_for_its_sequence(car_shadow, capsys):
    rep = check_data("davis2016", car_shadow, sequences=["car-shadow"], deep=True)
    assert rep.ok, rep.problems
    assert (rep.variant, rep.checked, rep.frames) == ("no-lists", 1, 40)
    # against the whole split: the 19 other val sequences are missing, one line each
    rep = check_data("davis2016", car_shadow)
    assert len(rep.problems) == 19 and all("missing sequence" in p.what for p in rep.problems)
    assert rep.expected == 20 and rep.found == 1
    rc = main(["data", "check", "davis2016", "--data-root", str(car_shadow),
               "--sequences", "car-shadow", "--no-progress"])  # fmt: skip
    assert rc == 0 and "complete" in capsys.readouterr().out


@pytest.mark.realdata
def test_damaged_davis_copies_give_one_line_per_problem(car_shadow):
    seq = ["car-shadow"]
    img = car_shadow / "JPEGImages" / "480p" / "car-shadow"
    ann = car_shadow / "Annotations" / "480p" / "car-shadow"
    before = sorted(p.relative_to(car_shadow) for p in car_shadow.rglob("*"))

    (ann / "00007.png").rename(ann / "00007.png.bak")  # a mask removed
    rep = check_data("davis2016", car_shadow, sequences=seq)
    assert [p.what.split(" for frame")[0] for p in rep.problems] == [
        f"missing mask {ann / '00007.png'}"
    ]
    (ann / "00007.png.bak").rename(ann / "00007.png")

    (img / "00012.jpg").rename(car_shadow / "moved.jpg")  # a frame removed
    rep = check_data("davis2016", car_shadow, sequences=seq)
    assert len(rep.problems) == 1 and "missing frame" in rep.problems[0].what
    assert "00012.jpg" in rep.problems[0].what
    (car_shadow / "moved.jpg").rename(img / "00012.jpg")

    raw = (img / "00020.jpg").read_bytes()  # a frame truncated: fast passes, deep finds it
    (img / "00020.jpg").write_bytes(raw[: len(raw) // 3])
    assert check_data("davis2016", car_shadow, sequences=seq).ok
    rep = check_data("davis2016", car_shadow, sequences=seq, deep=True)
    assert len(rep.problems) == 1 and "00020.jpg" in rep.problems[0].what
    assert "truncated" in rep.problems[0].what
    (img / "00020.jpg").write_bytes(raw)

    m = Image.open(ann / "00030.png")  # a mask swapped for one of another size
    m.resize((427, 240)).save(ann / "00030.png")
    rep = check_data("davis2016", car_shadow, sequences=seq)
    assert len(rep.problems) == 1 and "mask size (240, 427)" in rep.problems[0].what
    m.save(ann / "00030.png")

    (ann / "00039.png").rename(ann / "00099.png")  # a mask renamed
    rep = check_data("davis2016", car_shadow, sequences=seq)
    assert "a mask without its frame" in rep.problems[0].what
    (ann / "00099.png").rename(ann / "00039.png")
    assert check_data("davis2016", car_shadow, sequences=seq, deep=True).ok
    assert sorted(p.relative_to(car_shadow) for p in car_shadow.rglob("*")) == before


@pytest.mark.realdata
def test_palette_and_binary_masks_are_told_apart(realdata, car_shadow):
    """A DAVIS-2016 run pointed at DAVIS-2017's annotations (multi-object palettes), and a
    DAVIS-2017 run pointed at DAVIS-2016's binary masks."""
    rep = check_data("davis2016", realdata / "davis" / "davis2017-palette-samples",
                     sequences=["tennis"])  # fmt: skip
    assert len(rep.problems) == 1
    assert "a palette mask with objects 1, 2: this is DAVIS-2017's" in rep.problems[0].what
    rep = check_data("davis2017", car_shadow, sequences=["car-shadow"])
    assert len(rep.problems) == 1 and "a binary mask (mode L)" in rep.problems[0].what


@pytest.mark.realdata
def test_run_and_eval_fail_fast_with_the_checks_line(realdata, tmp_path, capsys):
    root = realdata / "davis" / "davis2017-palette-samples"
    out = tmp_path / "out"
    rc = main(["run", "--model", "pixels", "--task", "vos", "--benchmark", "davis2016",
               "--data-root", str(root), "--sequences", "tennis", "--output", str(out),
               "--no-progress"])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and "a palette mask with objects 1, 2" in err
    assert not (out / "runs").exists()
    pred = tmp_path / "pred"
    (pred / "tennis").mkdir(parents=True)
    rc = main(["eval", "--task", "vos", "--benchmark", "davis2016", "--data-root", str(root),
               "--sequences", "tennis", "--predictions", str(pred)])  # fmt: skip
    assert rc == 2 and "a palette mask with objects 1, 2" in capsys.readouterr().err


# ----------------------------------------------------------------- OTB and MOT17 samples
@pytest.fixture
def otb_root(realdata, tmp_path) -> Path:
    root = tmp_path / "otb"
    shutil.copytree(realdata / "sot" / "otb-crossing", root / "Crossing",
                    ignore=shutil.ignore_patterns("*.txt", "*.sha256"))  # fmt: skip
    shutil.copy(realdata / "sot" / "otb-crossing" / "groundtruth_rect.txt", root / "Crossing")
    return root


@pytest.mark.realdata
def test_otb_sample_against_the_manifests_frame_counts(otb_root, tmp_path):
    rep = check_data("otb2015", otb_root)
    assert rep.variant == "official" and rep.found == 1 and rep.expected == 100
    assert [p for p in rep.problems if "missing sequence" not in p.what] == []
    assert len(rep.problems) == 99
    # a cut copy that agrees with itself (119 frames, 119 boxes) is still not OTB's Crossing
    seq = otb_root / "Crossing"
    (seq / "img" / "0120.jpg").unlink()
    gt = (seq / "groundtruth_rect.txt").read_text().splitlines()
    (seq / "groundtruth_rect.txt").write_text("\n".join(gt[:119]) + "\n")
    rep = check_data("otb2015", otb_root)
    assert [p.line for p in rep.problems if p.where == "Crossing"] == [
        "Crossing: 119 frames; the manifest's sequence has 120"
    ]
    # a ground truth one line short of the frames: the adapter's line
    (seq / "groundtruth_rect.txt").write_text("\n".join(gt[:118]) + "\n")
    rep = check_data("otb2015", otb_root, sequences=["Crossing"])
    assert len(rep.problems) == 1 and "118 boxes for 119 frames" in rep.problems[0].what


@pytest.mark.realdata
def test_mot17_mini_is_reported_incomplete_with_json(realdata, tmp_path, capsys):
    out = tmp_path / "report.json"
    rc = main(["data", "check", "mot17", "--data-root", str(realdata / "mot" / "MOT17-mini"),
               "--split", "train", "--json", str(out), "--no-progress"])  # fmt: skip
    printed = capsys.readouterr().out
    rep = json.loads(out.read_text())
    assert rc == 1 and rep["complete"] is False and rep["layout"] == "official"
    assert (rep["found_sequences"], rep["expected_sequences"]) == (7, 21)
    missing = [p["where"] for p in rep["problems"] if p["what"].startswith("missing sequence")]
    assert sorted(missing) == sorted(
        f"MOT17-{k}-{d}" for k in ("02", "04", "05", "09", "10", "11", "13") for d in ("DPM", "SDP")
    )
    cut = [p for p in rep["problems"] if not p["what"].startswith("missing sequence")]
    assert len(cut) == 7 and all("seqinfo.ini" in p["what"] for p in cut), cut
    assert printed.count("\n") == 21 + 2  # one line per problem, then the summary (2 lines)


def test_the_synthetic_suite_checks_complete_deep(tmp_path, capsys):
    from unibench.benchmarks.synthetic import generate

    root = generate(tmp_path / "suite", formats=("davis2017", "otb", "mot"))
    for bench, sub in (("synthetic-davis", "davis2017"), ("synthetic-otb", "otb"),
                       ("synthetic-mot", "mot")):  # fmt: skip
        rep = check_data(bench, root / sub, deep=True)
        assert rep.ok, (bench, rep.problems)
        assert rep.checked == rep.found > 0


# real benchmarks on fabricated trees in their official formats (the synthetic suite's writers):
# the layout is recognised and every sequence passes the real adapter's check; the only problems
# are the manifest's (a fabricated tree holds none of the official sequences)
FABRICATED = {
    "davis2017": ("davis2017", "val"), "otb2015": ("otb", None), "got10k": ("got10k", "val"),
    "mot17": ("mot", "train"), "mot20": ("mot", "train"), "mots20": ("mots", "train"),
    "posetrack18": ("posetrack", "val"), "jhmdb": ("jhmdb", "test1"),
    "youtubevis-2021": ("youtubevis", "train"), "youtubevos-2019": ("youtubevos", "train"),
    "vot2018": ("vot", None), "vot2020": ("vot2020", None), "vot2018-lt": ("vot-lt", None),
    "ref-youtube-vos": ("ref-youtubevos", "train"),
}  # fmt: skip


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> Path:
    from unibench.benchmarks.synthetic import generate

    return generate(tmp_path_factory.mktemp("suite"))


@pytest.mark.parametrize("name", sorted(FABRICATED))
def test_real_benchmarks_check_fabricated_trees_in_their_formats(name, suite):
    fmt, split = FABRICATED[name]
    rep = check_data(name, suite / fmt, split=split, deep=True)
    assert rep.variant in ("official", "no-lists", "no-list"), rep.problems[:1]
    assert rep.checked == rep.found > 0
    other = [
        p.line
        for p in rep.problems
        if not p.what.startswith(("missing sequence", "extra sequence"))
    ]
    assert other == []


def test_optional_parts_are_noted_not_counted(suite, capsys):
    """YouTube-VOS without ``valid_all_frames``: complete, with a note that the all_frames
    variant cannot run; the summary says when a subset was checked."""
    rep = check_data("youtubevos-2019", suite / "youtubevos", split="train", sequences=["ytv00"])
    assert rep.ok and rep.subset
    assert rep.notes == [
        f"note: no {suite / 'youtubevos' / 'train_all_frames/JPEGImages/*'} "
        "(every frame: the all_frames variant needs it)"
    ]
    assert "a subset: not compared with a manifest" in rep.summary()
    rc = main(["data", "check", "youtubevos-2019", "--data-root", str(suite / "youtubevos"),
               "--split", "train", "--no-progress"])  # fmt: skip
    out = capsys.readouterr().out
    assert rc == 0 and "note: no " in out and out.rstrip().endswith("complete")


@pytest.mark.realdata
def test_hidden_folders_are_not_sequences(otb_root, caplog):
    """``data fetch`` keeps its downloads in ``<root>/.unibench-downloads``; no adapter takes a
    hidden folder (nor ``.ipynb_checkpoints`` and the like) for a sequence."""
    (otb_root / ".unibench-downloads").mkdir()
    (otb_root / ".ipynb_checkpoints" / "img").mkdir(parents=True)
    with caplog.at_level("WARNING"):
        rep = check_data("otb2015", otb_root, sequences=None)
    assert rep.found == 1 and not [r for r in caplog.records if "not a sequence" in r.message]


def test_deep_decodes_youtubevos_annotations(suite, tmp_path):
    root = tmp_path / "ytvos"
    shutil.copytree(suite / "youtubevos", root)
    ann = sorted((root / "train" / "Annotations" / "ytv01").glob("*.png"))[-1]
    ann.write_bytes(ann.read_bytes()[:40])  # truncated
    kw = {"split": "train", "sequences": ["ytv01"]}
    fast, deep = (
        check_data("youtubevos-2019", root, **kw),
        check_data("youtubevos-2019", root, deep=True, **kw),
    )
    assert fast.ok and [p.what.split(":")[0] for p in deep.problems] == [f"cannot read mask {ann}"]


def test_a_benchmark_without_a_list_says_why_in_the_check_and_the_docs(tmp_path):
    """Every real benchmark either declares a manifest for each of its usual splits or says why
    not (no citable list found); the check's summary and the data page say it."""
    from unibench.app.catalog import _data_family

    for name in REAL:
        d = BENCHMARKS.get(name).data
        assert d.manifests or d.unlisted, f"{name}: neither a manifest nor why none"
    root = tmp_path / "vot2016"
    (root / "s1" / "color").mkdir(parents=True)
    Image.new("RGB", (16, 12)).save(root / "s1" / "color" / "00000001.jpg")
    (root / "s1" / "groundtruth.txt").write_text("1,1,4,4\n")
    (root / "list.txt").write_text("s1\n")
    rep = check_data("vot2016", root)
    assert "no manifest for this split: no citable list of the vot2016 stack" in rep.summary()
    page = _data_family("sot")()
    assert "**Splits without a manifest**: no citable list of the vot2016 stack" in page
