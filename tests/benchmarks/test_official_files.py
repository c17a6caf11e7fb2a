"""Every adapter on the official files public repositories carry (issue 47): the manifests derived
again from the lists they cite, and real annotation files read, checked and scored through the
adapters. The files come from git snapshots (:mod:`official`) at the commits named here; each test
skips with the reason where its repository is absent (CI has none). Heavy ones (hundreds of
thousands of fabricated frames, thousands of decoded images) are also marked ``slow``."""

from __future__ import annotations

import ast
import collections
import io
import os
import re
import tarfile
from pathlib import Path

import numpy as np
import pytest
from official import source
from PIL import Image
from unibench.benchmarks import BENCHMARKS
from unibench.benchmarks.data.check import check_data
from unibench.benchmarks.data.folders import Manifest

from unibench.app.cli import main

pytestmark = pytest.mark.official

DAVIS_EVAL = ("davisvideochallenge/davis2017-evaluation", "ac7c43f")
MOTS_TOOLS = ("VisualComputingInstitute/mots_tools", "f5689df")
EVALKIT = ("dendorferpatrick/MOTChallengeEvalKit", "fc51c784")
TRACKEVAL = ("JonathonLuiten/TrackEval", "450e23fd")
FAIRMOT = ("ifzhang/FairMOT", "4aa62976")
OXUVA = ("oxuva/long-term-tracking-benchmark", "fd49bed2")
TNL2K = ("wangxiao5791509/TNL2K_evaluation_toolkit", "1a96f6eb")
UVC = ("Liusifei/UVC", "4fc438c6")
GUIDED_CRW = ("DuckerDuck/guided-crw", "7edb0a1a")
DCFST = ("CASIA-IVA-Lab/DCFST", "655ac7f5")
OC_SORT = ("noahcao/OC_SORT", "b43384f2")
MMTRACKING = ("open-mmlab/mmtracking", "e79491ec")
EOR_VOS = ("MathLee/EOR-VOS", "1bde4d5")
KNN = ("xmican10/KNN-project", "80880ae")


def _src(pair):
    return source(*pair)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _seqmap(text: str) -> list[str]:
    lines = _lines(text)
    assert lines[0] == "name"
    return lines[1:]


def _per_folder(paths: list[str], depth: int) -> dict[str, int]:
    """Files per folder name at path component ``depth``."""
    return dict(sorted(collections.Counter(p.split("/")[depth] for p in paths).items()))


# ------------------------------------------------------------------ manifests = their cited lists
def _derived() -> dict[str, dict[str, int | None]]:
    """Every manifest derived again from the official file its source names."""
    out: dict[str, dict[str, int | None]] = {}
    davis = _src(DAVIS_EVAL)
    osvos = [p for p in davis.files("results/semi-supervised/osvos") if p.endswith(".png")]
    out["davis2017-val.json"] = _per_folder(osvos, 3)
    eor = [p for p in _src(EOR_VOS).files("DAVIS/JPEGImages/480p") if p.endswith(".jpg")]
    out["davis2016-val.json"] = _per_folder(eor, 3)
    knn = _src(KNN)
    for split in ("train", "trainval"):
        lines = _lines(knn.text(f"DAVIS/ImageSets/480p/{split}.txt"))
        out[f"davis2016-{split}.json"] = _per_folder([x.split()[0] for x in lines], 3)
    assert (
        _per_folder([x.split()[0] for x in _lines(knn.text("DAVIS/ImageSets/480p/val.txt"))], 3)
        == out["davis2016-val.json"]
    )
    kit, te = _src(EVALKIT), _src(TRACKEVAL)
    mm = _src(MMTRACKING)
    tud = "tests/data/demo_MOT15_data/train"
    lens = {
        n: int(re.search(r"seqLength=(\d+)", mm.text(f"{tud}/{n}/seqinfo.ini"))[1])
        for n in ("TUD-Campus", "TUD-Stadtmitte")
    }
    names15 = _seqmap(kit.text("seqmaps/2D_MOT_2015-train.txt"))
    fair = _src(FAIRMOT)
    assert sorted(names15) == sorted(
        {x.split("/")[3] for x in fair.text("src/data/mot15.train").split()}
    )
    out["mot15-train.json"] = {n: lens.get(n) for n in sorted(names15)}
    out["mot15-test.json"] = dict.fromkeys(
        sorted(_seqmap(kit.text("seqmaps/2D_MOT_2015-test.txt")))
    )
    seq17 = "data/gt/mot_challenge/MOT17"
    mot17 = {
        n: int(re.search(r"seqLength=(\d+)", te.text(f"{seq17}/{n}/seqinfo.ini"))[1])
        for n in _seqmap(te.text("data/gt/mot_challenge/seqmaps/MOT17-train.txt"))
    }
    assert sorted(mot17) == sorted(_seqmap(kit.text("seqmaps/MOT17-train.txt")))
    out["mot17-train.json"] = dict(sorted(mot17.items()))
    out["mot16-train.json"] = {
        n: mot17[n.replace("MOT16", "MOT17") + "-FRCNN"]
        for n in sorted(_seqmap(kit.text("seqmaps/MOT16-train.txt")))
    }
    for b in ("MOT16", "MOT17", "MOT20"):
        out[f"{b.lower()}-test.json"] = dict.fromkeys(
            sorted(_seqmap(kit.text(f"seqmaps/{b}-test.txt")))
        )
    c20 = collections.Counter(x.split("/")[3] for x in fair.text("src/data/mot20.train").split())
    assert sorted(c20) == sorted(_seqmap(kit.text("seqmaps/MOT20-train.txt")))
    out["mot20-train.json"] = dict(sorted(c20.items()))
    tools = _src(MOTS_TOOLS)

    def ranges(f):
        return {
            p[0]: (int(p[2]), int(p[3]))
            for p in map(str.split, _lines(tools.text(f"mots_eval/{f}")))
        }

    for split, seqmap_file, listed in (("train", "val_MOTSchallenge.seqmap", "MOTS-train.txt"),
                                       ("test", "test_MOTSchallenge.seqmap", "MOTS-test.txt")):  # fmt: skip
        r = {f"MOTS20-{k[2:]}": b - a + 1 for k, (a, b) in ranges(seqmap_file).items()}
        assert sorted(r) == sorted(_seqmap(kit.text(f"seqmaps/{listed}")))
        out[f"mots20-{split}.json"] = dict(sorted(r.items()))
    for split in ("train", "val", "fulltrain", "test"):
        out[f"kitti-mots-{split}.json"] = {
            k: b + 1 for k, (a, b) in sorted(ranges(f"{split}.seqmap").items())
        }
    ox = _src(OXUVA)
    for split in ("dev", "test"):
        rows = [x.split(",") for x in _lines(ox.text(f"dataset/tasks/{split}.csv"))]
        out[f"oxuva-{split}.json"] = dict(
            sorted((f"{r[0]}_{r[1]}", int(r[3]) - int(r[2]) + 1) for r in rows)
        )
    tnl = _src(TNL2K)
    names = _lines(tnl.text("sequence_evaluation_config/TNL2K_testing_set.txt"))
    counts = {n: len(gt) for n, (gt, _, _) in _tnl2k_annos(tnl).items()}
    assert sorted(counts) == sorted(names)
    out["tnl2k-test.json"] = dict(sorted(counts.items()))
    crw = _src(GUIDED_CRW)
    flags = [x.split() for x in _lines(crw.text("code/eval/jhmdb_split1.txt"))]
    action = {x.split()[0].split("/")[-1]: x.split()[0].split("/")[-2]
              for x in _lines(crw.text("code/eval/jhmdb_vallist.txt"))}  # fmt: skip
    for split, flag in (("train1", "1"), ("test1", "2")):
        vids = [v[: -len(".avi")] for v, f in flags if f == flag]
        out[f"jhmdb-{split}.json"] = dict.fromkeys(sorted(f"{action[v]}+{v}" for v in vids))
    uvc = {"+".join(x.split()[1].rstrip("/").split("/")[-2:])
           for x in _lines(_src(UVC).text("testlist_split1.txt"))}  # fmt: skip
    assert uvc == set(out["jhmdb-test1.json"])  # the second source agrees
    vot19 = _src(DCFST).text("pytracking/evaluation/vot19dataset.py")
    lst = ast.literal_eval(re.search(r"sequence_list\s*=\s*(\[.*?\])", vot19, re.S)[1])
    out["vot2019-all.json"] = dict.fromkeys(sorted(lst))
    oc = _src(OC_SORT).text("tools/run_ocsort_public.py")
    bdd = ast.literal_eval(re.search(r"BDD_test_seqs = (\[.*?\])", oc, re.S)[1])
    assert len(set(bdd)) == len(bdd) == 200
    out["bdd100k-mot-val.json"] = dict.fromkeys(bdd)
    return out


def test_manifests_equal_the_lists_they_cite():
    derived = _derived()
    for f, seqs in derived.items():
        m = Manifest.load(f)
        assert m.sequences == seqs, f
    # the MOT17 lengths also hold for the real seqinfo.ini MOT17-mini keeps (shared/realdata)
    assert derived["mot17-train.json"]["MOT17-02-FRCNN"] == 600


def _linker(tmp_path: Path, suffix: str, size: tuple[int, int]):
    """``link(path)``: a fabricated frame at ``path``, a hard link to one small image (a new one
    every 50,000 links: file systems cap the links of one file, ext4 at 65,000)."""
    state = {"n": 0, "src": None}

    def link(path: Path) -> None:
        if state["n"] % 50_000 == 0:
            state["src"] = tmp_path / f"frame{state['n'] // 50_000}{suffix}"
            Image.new("RGB", size, (40, 80, 120)).save(state["src"])
        os.link(state["src"], path)
        state["n"] += 1

    return link


# ------------------------------------------------------------------ TNL2K: 700 real annotation sets
def _tnl2k_annos(tnl) -> dict[str, tuple[list[str], list[str], list[str]]]:
    """``annos/annos.tar.gz``: per sequence its boxes (``gt_rect``), absent flags and attributes."""
    out: dict[str, list] = {}
    with tarfile.open(fileobj=io.BytesIO(tnl.read("annos/annos.tar.gz"))) as t:
        for m in t.getmembers():
            if not m.isfile():
                continue
            kind = m.name.split("/")[1]
            stem = Path(m.name).stem
            name = stem.removesuffix("_attribute") if kind == "att" else stem
            lines = _lines(t.extractfile(m).read().decode())
            slot = {"gt_rect": 0, "absent": 1, "att": 2}[kind]
            out.setdefault(name, [None, None, None])[slot] = lines
    return {k: tuple(v) for k, v in out.items()}


@pytest.mark.slow
def test_tnl2k_reads_every_real_test_sequence(tmp_path):
    """The 700 real annotation sets (boxes, absent flags, attributes) of the toolkit, laid out as
    the release (``<seq>/groundtruth.txt``, ``imgs/``, ``language.txt``) with frames fabricated to
    match (hard links to one image): ``data check`` finds the split complete against its
    manifest, every sequence loads, and the absent frames the adapter derives are the toolkit's
    absent flags wherever the two files agree in length."""
    tnl = _src(TNL2K)
    annos = _tnl2k_annos(tnl)
    root = tmp_path / "TNL2K_test_subset"
    link = _linker(tmp_path, ".png", (32, 24))
    for name, (gt, _, _) in annos.items():
        d = root / name / "imgs"
        d.mkdir(parents=True)
        (root / name / "groundtruth.txt").write_text("\n".join(gt) + "\n")
        (root / name / "language.txt").write_text("the target (fabricated sentence)\n")
        for k in range(len(gt)):
            link(d / f"{k + 1:05d}.png")
    rep = check_data("tnl2k", root)
    assert rep.ok, rep.problems[:5]
    assert (rep.expected, rep.found, rep.frames) == (700, 700, 516038)
    bench = BENCHMARKS.get("tnl2k")(root, None, None)
    agree = differ = absent_frames = 0
    for name, (gt, absent, att) in annos.items():
        seq = bench.load_sequence(name)
        boxes = bench.ground_truth(name)
        assert len(seq.clip) == len(gt) == len(boxes)
        mine = bench.absent(name, boxes)
        theirs = np.array([int(float(x)) for x in absent], bool)
        if len(theirs) != len(mine):
            differ += 1
            continue
        assert (mine == theirs).all(), name
        agree += 1
        absent_frames += int(theirs.sum())
        assert len(att) == 17 and set(att) <= {"0", "1"}  # TNL2K's 17 attributes per video
    assert (agree, differ, absent_frames) == (699, 1, 65253)


def test_tnl2k_attribute_files_through_the_reader(tmp_path):
    """The toolkit's 700 attribute files (``annos/att/<seq>_attribute.txt`` from
    ``annos/annos.tar.gz``, as published) read through the adapter's reader: each sequence's
    attributes are the lines set to 1 in the toolkit's order (Evaluate_TNL2K_dataset.m's
    att_name), counted per attribute as an independent parse of the archive counts them."""
    from unibench.benchmarks.tnl2k import TNL2K as Adapter

    tnl = _src(TNL2K)
    annos = _tnl2k_annos(tnl)
    with tarfile.open(fileobj=io.BytesIO(tnl.read("annos/annos.tar.gz"))) as t:
        t.extractall(tmp_path, members=[m for m in t.getmembers() if "/att/" in m.name],
                     filter="data")  # fmt: skip
    (folder,) = {p.parent for p in tmp_path.rglob("*_attribute.txt")}
    bench = Adapter.__new__(Adapter)  # the reader needs no frames
    counts = collections.Counter()
    want = collections.Counter()
    for name, (_, _, att) in annos.items():
        got = bench.sequence_attributes(folder, name)
        counts.update(got)
        want.update(a.code for a, v in zip(Adapter.attributes, att, strict=True) if v == "1")
    assert len(annos) == 700 and counts == want
    # every attribute is on at least the two sequences the toolkit needs for its plot
    assert min(counts.values()) >= 2 and set(counts) == {a.code for a in Adapter.attributes}
    # pinned from the archive at 1a96f6eb: the adversarial samples and the modality switches
    assert (counts["AS"], counts["MS"], counts["TC"], counts["BC"]) == (100, 21, 24, 420)


# ------------------------------------------------------------------ OxUvA: the real dev annotations
def _oxuva_tree(tmp_path: Path, tasks_with_frames: list[str] = ()) -> Path:
    ox = _src(OXUVA)
    root = tmp_path / "OxUvA"
    for split in ("dev", "test"):
        (root / "tasks").mkdir(parents=True, exist_ok=True)
        (root / "tasks" / f"{split}.csv").write_bytes(ox.read(f"dataset/tasks/{split}.csv"))
    (root / "annotations").mkdir()
    (root / "annotations" / "dev.csv").write_bytes(ox.read("dataset/annotations/dev.csv"))
    frame = tmp_path / "frame.jpeg"
    Image.new("RGB", (64, 36), (90, 90, 90)).save(frame)
    rows = {
        f"{r[0]}_{r[1]}": r
        for r in map(lambda x: x.split(","), _lines(ox.text("dataset/tasks/dev.csv")))
    }
    for name in tasks_with_frames:
        r = rows[name]
        d = root / "images" / "dev" / r[0]
        d.mkdir(parents=True, exist_ok=True)
        for t in range(int(r[2]), int(r[3]) + 1):
            if not (d / f"{t:06d}.jpeg").exists():
                os.link(frame, d / f"{t:06d}.jpeg")
    return root


# two tracks always visible, three with absent labels (9, 8 and 2 of them)
FIVE_TASKS = ["vid0000_obj0000", "vid0001_obj0000", "vid0005_obj0000", "vid0008_obj0000",
              "vid0011_obj0000"]  # fmt: skip


def _constant_predictions(root: Path, out: Path, tasks: list[str]) -> None:
    """A tracker that reports the initial box, present, in two seconds of every three and absent
    (empty box fields) in the third, with scores that vary by frame (the toolkit's format)."""
    rows = {
        f"{r[0]}_{r[1]}": r
        for r in (x.split(",") for x in _lines((root / "tasks" / "dev.csv").read_text()))
    }
    out.mkdir()
    for name in tasks:
        v, o, t0, t1, *box = rows[name]
        lines = [
            f"{v},{o},{t},false,{0.1 + (t % 7) / 100:.2f},,,,"
            if (t // 30) % 3 == 2
            else f"{v},{o},{t},true,{0.4 + (t % 11) / 100:.2f},{box[0]},{box[1]},{box[2]},{box[3]}"
            for t in range(int(t0) + 1, int(t1) + 1)
        ]
        (out / f"{name}.csv").write_text("\n".join(lines) + "\n")


def test_oxuva_real_tasks_and_annotations_check_and_score(tmp_path, capsys):
    root = _oxuva_tree(tmp_path, FIVE_TASKS[:2])
    b = BENCHMARKS.get("oxuva")(root, "dev", None)
    assert (
        len(b.sequence_names()) == 200
        and len(BENCHMARKS.get("oxuva")(root, "test", None).sequence_names()) == 166
    )
    labels = b.labels()
    assert len(labels) == 200 and sum(len(v) for v in labels.values()) == 11822 - 200
    rep = check_data("oxuva", root, "dev", FIVE_TASKS[:2])
    assert rep.ok and rep.frames == sum(
        Manifest.load("oxuva-dev.json").sequences[n] for n in FIVE_TASKS[:2]
    )
    pred = tmp_path / "pred"
    _constant_predictions(root, pred, FIVE_TASKS)
    rc = main(["eval", "--task", "sot", "--benchmark", "oxuva", "--data-root", str(root),
               "--split", "dev", "--sequences", ",".join(FIVE_TASKS), "--predictions", str(pred),
               "--json", str(tmp_path / "ox.json")])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    import json

    s = json.loads((tmp_path / "ox.json").read_text())["results"][0]["summary"]
    # the official toolkit (oxuva/long-term-tracking-benchmark @ fd49bed, python/oxuva: assess.py
    # load_predictions_and_select_frames, assess_sequence, assessment_sum, quality_metrics,
    # max_geometric_mean_line) run once outside the project on these files gave:
    assert (s["TP"], s["FN"], s["FP"], s["TN"]) == OXUVA_TOOLKIT_COUNTS
    assert s["TPR"] == pytest.approx(OXUVA_TOOLKIT["TPR"], abs=1e-12)
    assert s["TNR"] == pytest.approx(OXUVA_TOOLKIT["TNR"], abs=1e-12)
    assert s["MaxGM"] == pytest.approx(OXUVA_TOOLKIT["MaxGM"], abs=1e-12)
    assert s["PosthocMaxGM"] == pytest.approx(OXUVA_TOOLKIT["PosthocMaxGM"], abs=1e-12)


# the toolkit's figures on the five tracks above (its posthoc_threshold points, best MaxGM);
# numpy 2 lacks its np.asfarray, replaced by np.asarray(dtype=float) for that run
OXUVA_TOOLKIT_COUNTS = (22, 229, 12, 7)  # TP, FN, FP, TN
OXUVA_TOOLKIT = {"TPR": 0.08764940239043825, "TNR": 0.3684210526315789,
                 "MaxGM": 0.18626474468584175, "PosthocMaxGM": 0.18626474468584175}  # fmt: skip


# ------------------------------------------------------------------ DAVIS-2017: OSVOS on real masks
def test_davis2017_osvos_results_scored_on_the_real_breakdance_masks(realdata, tmp_path, capsys):
    """The toolkit's own example results (OSVOS, one palette PNG per frame) scored by ``eval``
    against the real DAVIS-2017 masks of breakdance (the val sequence the shared samples hold
    whole: 84 annotations, no frames); the official davis2017-evaluation gave the figures below
    (run once outside the project on the same files)."""
    davis = _src(DAVIS_EVAL)
    pred = davis.extract("results/semi-supervised/osvos/breakdance", tmp_path / "r").parent
    gt = tmp_path / "DAVIS"  # the samples keep breakdance's masks beside the official tree
    masks = gt / "Annotations" / "480p" / "breakdance"
    masks.mkdir(parents=True)
    for f in (
        realdata / "davis" / "davis2017-palette-samples" / "extra_breakdance_annotations_only"
    ).glob("*.png"):
        (masks / f.name).write_bytes(f.read_bytes())
    rc = main(["eval", "--task", "vos", "--benchmark", "davis2017", "--data-root", str(gt),
               "--sequences", "breakdance", "--predictions", str(pred),
               "--json", str(tmp_path / "d.json")])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    import json

    s = json.loads((tmp_path / "d.json").read_text())["results"][0]["summary"]
    for k, v in DAVIS_OFFICIAL_BREAKDANCE.items():
        assert s[k] == pytest.approx(v, abs=5e-4), k


# davis2017-evaluation @ ac7c43f, DAVISEvaluation(task='semi-supervised', gt_set='val',
# sequences=['breakdance'], codalab=True).evaluate(results/semi-supervised/osvos): its J and F
# (first and last frames excluded), recall at 0.5 and decay over four quarters
DAVIS_OFFICIAL_BREAKDANCE = {
    "J&F-Mean": 0.6692753071213108, "J-Mean": 0.7138305053218361, "J-Recall": 0.9878048780487805,
    "J-Decay": 0.10670926224360577, "F-Mean": 0.6247201089207854, "F-Recall": 0.9024390243902439,
    "F-Decay": 0.11248846500330734,
}  # fmt: skip


# ------------------------------------------------------------------ MOT15: TUD's real files
def test_mot15_tud_real_seqinfo_and_ground_truth(tmp_path, capsys):
    """TUD-Campus and TUD-Stadtmitte as mmtracking's tests carry them (real seqinfo.ini and
    gt.txt, no frames): with frames fabricated to the seqinfo length, ``data check`` finds the
    two complete against the manifest's lengths (the other nine train sequences missing), and
    ``eval`` scores mmtracking's example results."""
    mm = _src(MMTRACKING)
    src = mm.extract("tests/data/demo_MOT15_data/train", tmp_path / "mm")
    root = tmp_path / "MOT15"
    frame = tmp_path / "f.jpg"
    Image.new("RGB", (640, 480)).save(frame)
    for name in ("TUD-Campus", "TUD-Stadtmitte"):
        d = root / "train" / name
        (d / "gt").mkdir(parents=True)
        (d / "seqinfo.ini").write_bytes((src / name / "seqinfo.ini").read_bytes())
        (d / "gt" / "gt.txt").write_bytes((src / name / "gt" / "gt.txt").read_bytes())
        (d / "det").mkdir()
        (d / "det" / "det.txt").write_text("")
        n = Manifest.load("mot15-train.json").sequences[name]
        (d / "img1").mkdir()
        for k in range(1, n + 1):
            os.link(frame, d / "img1" / f"{k:06d}.jpg")
    rep = check_data("mot15", root, "train")
    missing = [p for p in rep.problems if "missing sequence" in p.what]
    assert len(missing) == 9 and len(rep.problems) == 9, [p.line for p in rep.problems]
    assert rep.frames == 71 + 179
    rc = main(["eval", "--task", "mot", "--benchmark", "mot15", "--data-root", str(root),
               "--predictions", str(src / "results"), "--json", str(tmp_path / "m.json")])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    import json

    s = json.loads((tmp_path / "m.json").read_text())["results"][0]["summary"]
    for k, v in MOT15_TUD.items():
        assert s[k] == pytest.approx(v, abs=5e-4), k
    assert s["IDs"] == 14


# mmtracking @ e79491e, tests/test_data/test_datasets/test_mot_challenge_dataset.py::
# test_mot15_track_evaluation pins these (3 decimals) for the same results and ground truth
MOT15_TUD = {"HOTA": 0.400, "IDF1": 0.624, "MOTA": 0.555}


# ------------------------------------------------------------------ DAVIS-2016: whole splits, deep
@pytest.mark.slow
def test_davis2016_val_frames_of_eor_vos_check_complete_deep(tmp_path):
    root = _src(EOR_VOS).extract("DAVIS/JPEGImages/480p", tmp_path).parent.parent
    _src(EOR_VOS).extract("DAVIS/Annotations/480p", tmp_path)
    rep = check_data("davis2016", root, "val", deep=True)
    assert rep.ok, [p.line for p in rep.problems[:5]]
    assert (rep.variant, rep.expected, rep.found, rep.frames) == ("no-lists", 20, 20, 1376)


@pytest.mark.slow
def test_davis2016_trainval_of_the_official_package_checks_complete_deep(tmp_path):
    knn = _src(KNN)
    for part in ("JPEGImages/480p", "Annotations/480p", "ImageSets/480p"):
        knn.extract(f"DAVIS/{part}", tmp_path)
    root = tmp_path / "DAVIS"
    for split, (n, frames) in {
        "trainval": (50, 3455),
        "train": (30, 2079),
        "val": (20, 1376),
    }.items():
        rep = check_data("davis2016", root, split, deep=split == "trainval")
        assert rep.ok, (split, [p.line for p in rep.problems[:5]])
        assert (rep.variant, rep.expected, rep.found, rep.frames) == ("official", n, n, frames)
