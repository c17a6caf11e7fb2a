"""BDD100K MOT/MOTS adapter: Scalabel json, distractors and crowd, class-averaged scores."""

import json

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils
from unibench.benchmarks.bdd100k import BDD100K

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
