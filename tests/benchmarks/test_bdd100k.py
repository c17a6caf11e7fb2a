"""BDD100K MOT/MOTS adapter: Scalabel json, distractors and crowd, class-averaged scores."""

import json

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils
from unibench.benchmarks.bdd100k import BDD100K
from unibench.reports.video import read_video

from unibench.app.cli import main
from unibench.errors import DataError

H, W = 60, 100


def box(lid, cat, x1, x2, crowd=False, score=None):
    lab = {
        "id": str(lid),
        "category": cat,
        "attributes": {"crowd": crowd},
        "box2d": {"x1": x1, "y1": 0, "x2": x2, "y2": 20},
    }
    if score is not None:
        lab["score"] = score
    return lab


def rle_label(lid, cat, x1, x2, crowd=False, score=None):
    m = np.zeros((H, W), np.uint8)
    m[0:20, x1:x2] = 1
    r = mask_utils.encode(np.asfortranarray(m))
    lab = {"id": str(lid), "category": cat, "attributes": {"crowd": crowd}}
    lab["rle"] = {"size": [H, W], "counts": r["counts"].decode()}
    if score is not None:
        lab["score"] = score
    return lab


def layout(root, frames_labels, masks=False, images=True):
    sub = "seg_track_20" if masks else "box_track_20"
    (root / "labels" / sub / "val").mkdir(parents=True)
    frames = [
        {"name": f"v1-{t + 1:07d}.jpg", "videoName": "v1", "frameIndex": t, "labels": labs}
        for t, labs in enumerate(frames_labels)
    ]
    (root / "labels" / sub / "val" / "v1.json").write_text(json.dumps(frames))
    if images:
        img = root / "images" / ("seg_track_20" if masks else "track") / "val" / "v1"
        img.mkdir(parents=True)
        for f in frames:
            Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(img / f["name"])
    return frames


def write(root, frames, labels_per_frame):
    out = root / "pred"
    out.mkdir(exist_ok=True)
    doc = [dict(f, labels=labs) for f, labs in zip(frames, labels_per_frame, strict=True)]
    (out / "v1.json").write_text(json.dumps(doc))
    return out


@pytest.mark.parametrize("make, masks", [(box, False), (rle_label, True)])
def test_distractors_crowd_and_class_average(tmp_path, make, masks):
    gt = [
        [
            make(1, "car", 0, 20),
            make(2, "pedestrian", 30, 40),
            make(3, "other vehicle", 50, 60),  # distractor
            make(4, "pedestrian", 70, 90, crowd=True),  # crowd region
        ]
    ] * 2
    frames = layout(tmp_path, gt, masks=masks, images=False)
    pred = [
        [
            make(1, "car", 0, 20),
            make(2, "pedestrian", 30, 40),
            make(5, "car", 50, 60),  # matches the distractor: removed
            make(6, "pedestrian", 72, 88),  # inside the crowd region: removed
        ],
        [
            make(1, "car", 0, 20),
            make(7, "pedestrian", 30, 40),  # a new id: one switch for the pedestrian
        ],
    ]
    b = BDD100K(tmp_path, masks=masks)
    s = b.evaluate(write(tmp_path, frames, pred)).summary
    assert s["car/MOTA"] == pytest.approx(1.0) and s["car/FP"] == 0
    assert s["pedestrian/MOTA"] == pytest.approx(1 - 1 / 2) and s["pedestrian/FP"] == 0
    assert s["MOTA"] == pytest.approx((1.0 + 0.5) / 2)  # mean over classes with ground truth
    assert s["IDs"] == 1 and "truck/MOTA" not in s
    if masks:
        assert s["sMOTSA"] == pytest.approx(0.75)


def test_errors_name_the_file(tmp_path):
    frames = layout(tmp_path, [[box(1, "car", 0, 10)]], images=False)
    b = BDD100K(tmp_path)
    bad = write(tmp_path, frames, [[{"id": "x", "category": "car", "box2d": {"x1": 0}}]])
    with pytest.raises(DataError, match=r"v1.json: frame v1-0000001.jpg, label 0: expected"):
        b.evaluate(bad)
    odd = write(tmp_path, frames, [[box(1, "spaceship", 0, 10)]])
    with pytest.raises(DataError, match="category 'spaceship'"):
        b.evaluate(odd)
    with pytest.raises(DataError, match=r"missing frame .*v1-0000001.jpg \(listed in"):
        b.load_sequence("v1")


def test_oracle_detections_track_perfectly_end_to_end(tmp_path):
    from unibench.appearance_models import create_model
    from unibench.heads import HEADS
    from unibench.heads.tracker import AssociationParams

    gt = [[box(1, "car", 5 + 3 * t, 25 + 3 * t), box(2, "pedestrian", 60, 75)] for t in range(4)]
    frames = layout(tmp_path, gt)
    dets = tmp_path / "dets"
    dets.mkdir()
    det = [dict(f, labels=[dict(lab, score=0.9) for lab in f["labels"]]) for f in frames]
    (dets / "v1.json").write_text(json.dumps(det))
    with pytest.raises(DataError, match="no public detections: pass --detections"):
        BDD100K(tmp_path).load_sequence("v1")
    b = BDD100K(tmp_path, detections=dets)
    seq = b.load_sequence("v1")
    assert [list(c) for c in seq.init.classes] == [[4, 1]] * 4
    ex, _ = create_model("pixels")
    head = HEADS.get("association")(AssociationParams(class_gate=True, min_box_area=0))
    (tmp_path / "out").mkdir()
    b.write_predictions(seq, head.track(seq, ex), tmp_path / "out" / "v1.json")
    s = b.evaluate(tmp_path / "out").summary
    assert s["HOTA"] > 0.5 and s["IDs"] == 0
    written = json.loads((tmp_path / "out" / "v1.json").read_text())
    assert {lab["category"] for f in written for lab in f["labels"]} == {"car", "pedestrian"}
    # through the command line: a run, then unibench show over its predictions
    store = tmp_path / "store"
    assert main(["run", "--model", "pixels", "--task", "mot", "--benchmark", "bdd100k-mot", "--data-root",
                 str(tmp_path), "--detections", str(dets), "--output", str(store),
                 "--no-progress"]) == 0  # fmt: skip
    (run,) = [c.parent for c in (store / "runs").rglob("config.yaml")]
    out = tmp_path / "show.gif"
    assert main(["show", str(run), "--sequence", "v1", "--out", str(out)]) == 0
    assert len(read_video(out)) == 4


@pytest.mark.parametrize("make, masks", [(box, False), (rle_label, True)])
def test_view_draws_tracks_over_the_scored_ground_truth(tmp_path, make, masks):
    """``unibench show``'s view: the run's tracks (MOTS: their masks) labelled with class, id and
    score; the ground truth's scored classes only (no distractor, no crowd); an identity switch
    marked; the share of ground truth tracked per frame."""
    gt = [
        [make("a1", "car", 0, 20), make("a2", "pedestrian", 30, 40),
         make("a3", "other vehicle", 50, 60), make("a4", "pedestrian", 70, 90, crowd=True)]
    ] * 3  # fmt: skip
    frames = layout(tmp_path, gt, masks=masks, images=False)
    pred = [
        [make(1, "car", 0, 20, score=0.9), make(2, "pedestrian", 30, 40, score=0.8)],
        [make(1, "car", 0, 20, score=0.9), make(7, "pedestrian", 30, 40, score=0.7)],
        [make(1, "car", 0, 20, score=0.9)],
    ]
    view = BDD100K(tmp_path, masks=masks).view(write(tmp_path, frames, pred), "v1")
    assert view.trail and view.score_name == "recall" and len(view.frames) == 3
    f0, f1, f2 = view.frames
    assert [o.text for o in f0.objects] == ["car 1 0.90", "pedestrian 2 0.80"]
    assert len(f0.gt_objects) == 2  # the distractor and the crowd region are not drawn
    assert f0.gt_objects[0].box == (0.0, 0.0, 20.0, 20.0)
    assert f1.events == ("ID switch: 2 → 7",) and f1.objects[1].text.endswith("switch")
    assert [f.score for f in view.frames] == [1.0, 1.0, 0.5]
    assert view.score == pytest.approx(2.5 / 3)
    if masks:
        m = f0.objects[0].mask
        assert m.shape == (H, W) and m[:20, :20].all() and not m[:, 20:].any()
    else:
        assert all(o.mask is None for o in f0.objects)
    bad = write(tmp_path, frames, [[{**make(1, "car", 0, 5), "id": "x"}]] + pred[1:])
    with pytest.raises(
        DataError, match=r"v1.json: frame v1-0000001.jpg, label 0: expected an integer"
    ):
        BDD100K(tmp_path, masks=masks).view(bad, "v1")
