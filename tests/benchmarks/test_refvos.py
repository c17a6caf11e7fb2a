"""Referring VOS: the davis2017-evaluation ``unsupervised`` scoring that Ref-DAVIS17 uses (figures
of the official code pinned), the Ref-DAVIS17 and Ref-YouTube-VOS layouts end to end under the
oracle-first-frame protocol, packaging, and the errors; the zero-shot-grounding protocol (scripted
selections against the oracle, ReferFormer's merge, end to end on a fabricated CLIP)."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image
from unibench.benchmarks import BENCHMARKS, synthetic
from unibench.benchmarks.formats.palette import read_label_map, write_palette_png
from unibench.benchmarks.scorers import vos as vos_metrics
from unibench.benchmarks.synthetic.writers import write_davis2017
from unibench.reports.render import sections
from unibench.reports.video import read_video

import unibench
from unibench.app.cli import main
from unibench.datatypes import Grounded, VOSFramePrediction
from unibench.errors import ConfigError, DataError
from unibench.store import ResultStore


def unsupervised_case() -> tuple[np.ndarray, np.ndarray]:
    """Two objects and a void band; the prediction swaps their ids, loses object 2 on frame 3,
    adds a spurious proposal and spills into the void band."""
    T, H, W = 6, 40, 50
    gt = np.zeros((T, H, W), np.uint8)
    pred = np.zeros((T, H, W), np.uint8)
    for t in range(T):
        gt[t, 5 + t : 20 + t, 4:18] = 1
        gt[t, 22:35, 20 + t : 40 + t] = 2
        gt[t, :, 47:] = 255
        pred[t, 6 + t : 21 + t, 5:19] = 2
        if t != 3:
            pred[t, 23:34, 21 + t : 39 + t] = 1
        pred[t, 0:3, 0:3] = 3
        pred[t, 10:14, 44:50] = 2
    return gt, pred


def test_unsupervised_scoring_equals_the_official_davis2017_evaluation():
    """Figures of davis2017-evaluation's ``DAVISEvaluation._evaluate_unsupervised`` and
    ``utils.db_statistics`` (ReferFormer's copy, 06fc218, run once outside the project with
    scikit-image and OpenCV on this very case), per ground-truth object: J mean, recall, decay,
    F mean, recall, decay. (The official loop labels the matched pairs in the order of the
    predicted ids; UniBench labels them by the ground-truth object they were matched to.)"""
    official = {
        1: [0.7279999999999999, 1.0, 0.0, 0.876923076923077, 1.0, 0.0],
        2: [
            0.6346153846153846,
            0.8333333333333334,
            0.0,
            0.8072916666666666,
            0.8333333333333334,
            0.0,
        ],
    }
    rows = vos_metrics.evaluate_unsupervised(*unsupervised_case())
    assert [r["object"] for r in rows] == [1, 2]
    for r in rows:
        keys = ["J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay"]
        assert [r[k] for k in keys] == pytest.approx(official[r["object"]], abs=1e-12)


def test_void_pixels_count_for_neither_mask():
    gt = np.zeros((10, 10), bool)
    gt[2:6, 2:6] = True
    pred = gt.copy()
    pred[:, 8:] = True  # only in the void columns
    void = np.zeros_like(gt)
    void[:, 8:] = True
    assert vos_metrics.jaccard(gt, pred, void) == 1.0 < 1.0 + vos_metrics.jaccard(gt, pred)
    assert vos_metrics.f_measure(gt, pred, void=void) == 1.0 > vos_metrics.f_measure(gt, pred)


# ------------------------------------------------------------------ Ref-DAVIS17
def ref_davis_root(tmp_path: Path) -> Path:
    """The official Ref-DAVIS17 inputs: DAVIS-2017 with Annotations_unsupervised (a void band
    added) and the four expression files (annotator 2's in Latin-1, a misspelt video name)."""
    scenes = synthetic.default_scenes(seed=3, n_sequences=2, length=8)
    src = tmp_path / "src"
    write_davis2017(scenes, src)
    root = tmp_path / "ref-davis"
    davis = root / "DAVIS"
    shutil.copytree(src / "JPEGImages", davis / "JPEGImages")
    for seq in (src / "Annotations" / "480p").iterdir():
        out = davis / "Annotations_unsupervised" / "480p" / seq.name
        out.mkdir(parents=True)
        for f in seq.iterdir():
            m = read_label_map(f)
            m[:, -4:] = 255
            write_palette_png(out / f.name, m)
    (davis / "ImageSets" / "2017").mkdir(parents=True)
    (davis / "ImageSets" / "2017" / "val.txt").write_text("synth-00\nsynth-01\n")
    text = root / "davis_text_annotations"
    text.mkdir()
    for k, (name, enc) in enumerate(
        [("Davis17_annot1.txt", "utf-8"), ("Davis17_annot1_full_video.txt", "utf-8"),
         ("Davis17_annot2.txt", "latin-1"), ("Davis17_annot2_full_video.txt", "latin-1")]
    ):  # fmt: skip
        lines = [f'synth-00 {o} "the object {o}, set {k} caf\u00e9"' for o in (1, 2)]
        lines += [f'synth-01 {o} "thing {o}"' for o in (1, 2, 3)]
        (text / name).write_text("\n".join(lines) + "\n", encoding=enc)
    return root


def test_ref_davis17_runs_and_averages_the_four_expression_sets(tmp_path):
    root = ref_davis_root(tmp_path)
    df = unibench.evaluate(
        "pixels", benchmarks="ref-davis17", store=tmp_path / "out",
        overrides=[f"benchmark.data_root={root}"],
    )  # fmt: skip
    (rec,) = ResultStore(tmp_path / "out").records()
    pred = Path(rec.predictions)
    for k in range(4):  # one palette map per frame and expression set
        assert len(list((pred / "synth-01" / f"anno_{k}").glob("*.png"))) == 8
    rows = rec.per_sequence
    assert {r["set"] for r in rows} == {"anno_0", "anno_1", "anno_2", "anno_3"}
    per_set = []
    for k in range(4):
        sub = [r for r in rows if r["set"] == f"anno_{k}"]
        j = np.mean([r["J-Mean"] for r in sub])
        f = np.mean([r["F-Mean"] for r in sub])
        per_set.append(((j + f) / 2, j, f))
    assert rec.metrics["J&F (R-VOS)"] == pytest.approx(np.mean([s[0] for s in per_set]))
    assert rec.metrics["J (R-VOS)"] == pytest.approx(np.mean([s[1] for s in per_set]))
    assert "oracle-first-frame" in rec.protocol and "not with R-VOS papers" in rec.protocol
    assert set(df[df.metric == "J&F (R-VOS)"].value) == {100 * rec.metrics["J&F (R-VOS)"]}
    # unibench show draws the run (set anno_0, J over the four sets): one frame per clip frame
    out = tmp_path / "show.gif"
    assert main(["show", str(pred.parent), "--sequence", "synth-01", "--out", str(out)]) == 0
    assert len(read_video(out)) == 8
    # ids swapped in a set's results: the Hungarian matching of the unsupervised task finds them
    bench = BENCHMARKS.get("ref-davis17")(root, None, ["synth-00"])
    swapped = tmp_path / "swapped"
    gt_dir = root / "DAVIS" / "Annotations_unsupervised" / "480p" / "synth-00"
    for k in range(4):
        (swapped / "synth-00" / f"anno_{k}").mkdir(parents=True)
        for f in gt_dir.iterdir():
            m = read_label_map(f)
            write_palette_png(swapped / "synth-00" / f"anno_{k}" / f.name, np.choose(m, [0, 2, 1]))
    table = bench.evaluate(swapped)
    assert table.summary["J&F (R-VOS)"] == pytest.approx(1.0)


def test_ref_davis17_view_draws_the_first_set_and_scores_all_four(tmp_path):
    """``unibench show``'s view of Ref-DAVIS17: set anno_0's masks with each object's expression
    in the legend, the referred objects' annotations beside them, J per frame the mean over the
    four sets with each set's ids paired with the objects as the unsupervised task pairs them."""
    root = ref_davis_root(tmp_path)
    bench = BENCHMARKS.get("ref-davis17")(root, None, ["synth-00"])
    gt_dir = root / "DAVIS" / "Annotations_unsupervised" / "480p" / "synth-00"
    pred = tmp_path / "pred"
    for k in range(4):  # set 0: the annotations; set 1: ids swapped; sets 2, 3: object 2 lost
        (pred / "synth-00" / f"anno_{k}").mkdir(parents=True)
        for f in sorted(gt_dir.iterdir()):
            m = read_label_map(f)
            m = np.where(m == 255, 0, m)
            m = np.choose(m, [0, 2, 1]) if k == 1 else np.where(m == 2, 0, m) if k >= 2 else m
            write_palette_png(pred / "synth-00" / f"anno_{k}" / f.name, m.astype(np.uint8))
    view = bench.view(pred, "synth-00")
    assert [k for k, _ in view.legend] == [1, 2]
    assert view.legend[0][1] == "1: the object 1, set 0 caf\u00e9"
    first = view.frames[0]
    gt0 = read_label_map(sorted(gt_dir.iterdir())[0])
    assert np.array_equal(first.labels, np.where(gt0 == 255, 0, gt0))
    assert np.array_equal(first.gt_labels, np.where(gt0 == 255, 0, gt0))
    # sets 0 and 1 score 1 (the swap is paired back), sets 2 and 3 half of the objects
    want = (1 + 1 + 0.5 + 0.5) / 4
    assert all(f.score == pytest.approx(want) for f in view.frames)
    assert view.score_name == "J (4 sets)" and view.score == pytest.approx(want)
    (pred / "synth-00" / "anno_3" / "00003.png").unlink()
    with pytest.raises(DataError, match=r"missing prediction .*anno_3.00003.png"):
        bench.view(pred, "synth-00")


def test_ref_davis17_errors_name_the_file(tmp_path):
    root = ref_davis_root(tmp_path)
    f = root / "davis_text_annotations" / "Davis17_annot2.txt"
    f.write_text('synth-00 1 "x"\nsynth-01 9 "y"\n', encoding="latin-1")
    bench = BENCHMARKS.get("ref-davis17")(root, None, ["synth-01"])
    with pytest.raises(DataError, match=r"Davis17_annot2.txt: synth-01 object 9 is not in"):
        bench.load_sequence("synth-01")
    f.write_text('synth-00 1 "x"\n', encoding="latin-1")
    with pytest.raises(DataError, match=r"Davis17_annot2.txt: no expression for synth-01"):
        BENCHMARKS.get("ref-davis17")(root, None, None)
    f.write_text("synth-00 one\n", encoding="latin-1")
    with pytest.raises(DataError, match=r"Davis17_annot2.txt:1: expected 'video obj_id"):
        BENCHMARKS.get("ref-davis17")(root, None, None)


# ------------------------------------------------------------------ Ref-YouTube-VOS
@pytest.mark.slow  # the default run stays within 15 minutes on 2 cores; the synthetic suite runs by default in test_metric_fields.py
def test_ref_youtube_vos_synthetic_suite_two_expressions_per_object(tmp_path):
    df = unibench.evaluate(
        "pixels", benchmarks="synthetic-ref-youtube-vos", sequences=["ytv00"], store=tmp_path
    )
    (rec,) = ResultStore(tmp_path).records()
    root = BENCHMARKS.get("synthetic-ref-youtube-vos")(None, None, None).root
    exps = json.loads((root / "meta_expressions" / "train" / "meta_expressions.json").read_text())
    n_exp = len(exps["videos"]["ytv00"]["expressions"])
    assert len(rec.per_sequence) == n_exp
    by_obj: dict[tuple, list] = {}
    for r in rec.per_sequence:
        by_obj.setdefault((r["sequence"], r["object"]), []).append(r["J&F-Mean"])
    assert all(len(v) == 2 and v[0] == v[1] for v in by_obj.values())  # oracle: the same mask
    j = np.mean([r["J-Mean"] for r in rec.per_sequence])
    f = np.mean([r["F-Mean"] for r in rec.per_sequence])
    assert rec.metrics["J&F (R-VOS)"] == pytest.approx((j + f) / 2)
    assert "J&F (R-VOS)" in set(df.metric)
    # one binary 0/255 mask per expression and sampled frame, zipped as the server's layout
    pred = Path(rec.predictions)
    first = sorted((pred / "ytv00" / "0").glob("*.png"))
    assert len(first) == 24 and set(np.unique(np.array(Image.open(first[5])))) <= {0, 255}
    bench = BENCHMARKS.get("synthetic-ref-youtube-vos")(None, None, ["ytv00"])
    z = bench.package(pred, tmp_path / "sub.zip")
    names = zipfile.ZipFile(z).namelist()
    assert "Annotations/ytv00/0/00000.png" in names and len(names) == n_exp * 24


def test_ref_youtube_vos_protocol_errors(tmp_path):
    make = BENCHMARKS.get("synthetic-ref-youtube-vos")
    with pytest.raises(ConfigError, match=r"prompt='a photo': expected one '\{\}'"):
        make(None, None, None, options={"protocol": "zero-shot-grounding", "prompt": "a photo"})
    with pytest.raises(ConfigError, match="grounding_height=8: expected at least 16"):
        make(None, None, None, options={"grounding_height": 8})
    with pytest.raises(ConfigError, match="must be one of 'oracle-first-frame'"):
        make(None, None, None, options={"protocol": "grounding"})
    src = BENCHMARKS.get("synthetic-ref-youtube-vos")(None, None, None).root
    root = tmp_path / "ryv"
    shutil.copytree(src, root)
    f = root / "meta_expressions" / "train" / "meta_expressions.json"
    data = json.loads(f.read_text())
    del data["videos"]["ytv01"]["expressions"]["0"]["obj_id"]  # as the valid split gives them
    f.write_text(json.dumps(data))
    bench = BENCHMARKS.get("synthetic-ref-youtube-vos")(root, "train", None)  # packaging needs none
    with pytest.raises(DataError, match=r"ytv01 expression 0 names no obj_id"):
        bench.load_sequence("ytv01")
    data["videos"]["ytv01"]["expressions"]["0"]["obj_id"] = "7"
    f.write_text(json.dumps(data))
    bench = BENCHMARKS.get("synthetic-ref-youtube-vos")(root, "train", None)
    with pytest.raises(DataError, match=r"refers to object 7"):
        bench.evaluate(tmp_path / "none", ["ytv01"])


# ------------------------------------------------------------------ zero-shot-grounding
def _gt_predictions(seq, annotations: Path):
    """The ground truth shifted by one pixel, as a head's label maps (void read as background;
    frames without annotation empty)."""
    out = []
    for i, stem in enumerate(seq.clip.frame_names):
        f = annotations / seq.name / f"{stem}.png"
        m = read_label_map(f) if f.is_file() else np.zeros(seq.clip.size, np.uint8)
        m = np.where(m == 255, 0, m).astype(np.uint8)
        out.append(VOSFramePrediction(i, np.roll(m, 1, axis=1)))
    return out


def _scored(bench, seq, preds, out: Path):
    bench.write_predictions(seq, preds, out / seq.name)
    return bench.evaluate(out, [seq.name])


def _both_protocols(make, root, name: str, out: Path):
    """The grounding benchmark, its sequence, the shifted ground truth as predictions and the
    oracle protocol's table of those predictions."""
    oracle = make(root, None, [name])
    grounding = make(root, None, [name], options={"protocol": "zero-shot-grounding"})
    seq = grounding.load_sequence(name)
    preds = _gt_predictions(seq, grounding.annotations)
    return grounding, seq, preds, _scored(oracle, oracle.load_sequence(name), preds, out)


def test_grounding_with_right_selections_scores_as_the_oracle_protocol(tmp_path):
    """Ref-YouTube-VOS: the same label maps written under both protocols; every expression
    selecting its referred object scores exactly as the oracle; a wrong selection scores its
    expression against the referred object and lowers the grounding accuracy."""
    make = BENCHMARKS.get("synthetic-ref-youtube-vos")
    grounding, seq, preds, ref = _both_protocols(make, None, "ytv00", tmp_path / "oracle")
    exps = seq.meta["expressions"]
    right = {eid: e["obj_id"] for eid, e in exps.items()}
    sims = {eid: {o: 0.0 for o in seq.init.object_ids} for eid in exps}
    table = _scored(grounding, seq, Grounded(right, sims, preds), tmp_path / "right")
    assert table.summary.pop("Grounding acc. (R-VOS)") == 1.0
    assert table.summary == ref.summary and 0.5 < ref.summary["J&F (R-VOS)"] < 1.0
    assert [r["J&F-Mean"] for r in table.rows] == [r["J&F-Mean"] for r in ref.rows]
    doc = json.loads((tmp_path / "right" / "ytv00" / "grounding.json").read_text())
    first = next(iter(exps))
    assert doc[first]["expression"] == exps[first]["exp"]
    assert doc[first]["selected"] == doc[first]["referred"] == exps[first]["obj_id"]
    # one expression selects another object
    objs = sorted(seq.init.object_ids)
    wrong = dict(right)
    wrong[first] = next(o for o in objs if o != right[first])
    bad = _scored(grounding, seq, Grounded(wrong, sims, preds), tmp_path / "wrong")
    n = len(exps)
    assert bad.summary["Grounding acc. (R-VOS)"] == pytest.approx((n - 1) / n)
    assert bad.summary["J&F (R-VOS)"] < ref.summary["J&F (R-VOS)"]
    row = next(r for r in bad.rows if r["expression"] == first)
    assert row["selected"] == wrong[first] and row["object"] == right[first]
    assert "zero-shot-grounding (UniBench's own" in bad.protocol
    assert "not comparable with trained R-VOS models" in bad.protocol
    sel = tmp_path / "wrong" / "ytv00" / "grounding.json"
    partial = json.loads(sel.read_text())
    del partial[first]
    sel.write_text(json.dumps(partial))
    with pytest.raises(
        DataError, match=rf"grounding.json: no selection for expression\(s\) {first}"
    ):
        grounding.evaluate(tmp_path / "wrong", ["ytv00"])
    sel.unlink()
    with pytest.raises(
        DataError, match=r"ytv00/grounding.json: expected each expression.s selection"
    ):
        grounding.evaluate(tmp_path / "wrong", ["ytv00"])


def test_ref_davis17_grounding_merges_as_referformer(tmp_path):
    """Ref-DAVIS17 under grounding: right selections score as the oracle; two expressions of a
    set selecting one object give its pixels to the lower referred id (ReferFormer's argmax)."""
    make = BENCHMARKS.get("ref-davis17")
    root = ref_davis_root(tmp_path)
    grounding, seq, preds, ref = _both_protocols(make, root, "synth-01", tmp_path / "oracle")
    keys = grounding.expression_texts(seq)
    assert set(keys) == {f"anno_{k}/{o}" for k in range(4) for o in (1, 2, 3)}
    assert keys["anno_0/2"] == "thing 2"
    right = {key: int(key.split("/")[1]) for key in keys}
    sims = {key: {} for key in keys}
    table = _scored(grounding, seq, Grounded(right, sims, preds), tmp_path / "right")
    assert table.summary.pop("Grounding acc. (R-VOS)") == 1.0
    assert table.summary == pytest.approx(ref.summary)
    wrong = {**right, "anno_1/2": 1, "anno_1/3": 1}  # set 1: all three select object 1
    bad = _scored(grounding, seq, Grounded(wrong, sims, preds), tmp_path / "wrong")
    written = read_label_map(tmp_path / "wrong" / "synth-01" / "anno_1" / "00003.png")
    assert set(np.unique(written)) <= {0, 1}  # object 1's pixels went to id 1, the lowest
    np.testing.assert_array_equal(written == 1, preds[3].labels == 1)
    assert bad.summary["Grounding acc. (R-VOS)"] == pytest.approx((1 + 1 + 1 + 1 / 3) / 4)
    assert bad.summary["J&F (R-VOS)"] < table.summary["J&F (R-VOS)"]


def test_zero_shot_grounding_end_to_end_on_a_fabricated_clip(tmp_path, tiny_clip):
    """A CLIP card with its text tower (a fabricated full checkpoint) runs the protocol end to
    end; the text tower's file content is in the run identity; a model without a text tower is
    refused before anything runs."""
    opts = ["benchmark.options.protocol=zero-shot-grounding"]
    with pytest.raises(ConfigError, match=r"'pixels' has no text tower.*clip_laion2b"):
        unibench.evaluate(
            "pixels", benchmarks="synthetic-ref-youtube-vos", store=tmp_path, overrides=opts
        )
    df = unibench.evaluate(
        tiny_clip.name, benchmarks="synthetic-ref-youtube-vos", sequences=["ytv00"],
        checkpoint=tiny_clip.checkpoint, store=tmp_path, overrides=opts,
    )  # fmt: skip
    (rec,) = ResultStore(tmp_path).records()
    assert rec.protocol.startswith("zero-shot-grounding (UniBench's own")
    acc = rec.metrics["Grounding acc. (R-VOS)"]
    assert 0.0 <= acc <= 1.0 and "Grounding acc. (R-VOS)" in set(df.metric)
    # its own leaderboard section, the grounding accuracy among its columns
    (sec,) = [s for s in sections(df) if "protocol=zero-shot-grounding" in s.benchmark]
    assert ("propagation", "Grounding acc. (R-VOS)") in sec.columns
    doc = json.loads((Path(rec.predictions) / "ytv00" / "grounding.json").read_text())
    assert acc == pytest.approx(np.mean([v["selected"] == v["referred"] for v in doc.values()]))
    assert rec.grounding["text_tower"]["activation"] == "gelu"
    assert rec.grounding["text_weights"].startswith("tiny_clip.pth@")
    config = yaml.safe_load((Path(rec.predictions).parent / "config.yaml").read_text())
    assert config["identity"]["grounding"] == rec.grounding
    # the same image tower with another text tower: another run, not the stored one
    unibench.evaluate(
        tiny_clip.name, benchmarks="synthetic-ref-youtube-vos", sequences=["ytv00"],
        checkpoint=tiny_clip.other_text, store=tmp_path, overrides=opts,
    )  # fmt: skip
    assert len({r.run_id for r in ResultStore(tmp_path).records()}) == 2
