"""YouTube-VIS / OVIS adapters: layouts, detection formats, results layout, packaging, errors, and
the task end to end on the synthetic suite."""

import json
import zipfile

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils
from unibench.benchmarks import BENCHMARKS
from unibench.benchmarks.formats.rle import uncompressed_rle
from unibench.benchmarks.youtubevis import VISBenchmark, tracks_to_results, vote_category

from unibench.datatypes import TrackFramePrediction
from unibench.errors import ConfigError, DataError

H, W, N = 16, 24, 3


def box(x0, x1, y0=2, y1=10):
    m = np.zeros((H, W), bool)
    m[y0:y1, x0:x1] = True
    return m


def enc(m):
    r = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
    return {"size": [H, W], "counts": r["counts"].decode()}


GT = {1: [box(0, 6), box(1, 7), None], 2: [box(12, 20), box(12, 20), box(13, 21)]}


def write_layout(tmp_path, layout="youtubevis-2021", split="train", gt=True):
    """A two-video dataset in an official layout; returns (root, json path, image folder)."""
    root = tmp_path / "data"
    if layout == "ovis":
        js, img = root / f"annotations_{split}.json", root / split
        names = [f"img_{t + 1:07d}.jpg" for t in range(N)]
    else:
        js = root / (f"{split}.json" if layout == "youtubevis-2019" else f"{split}/instances.json")
        img = root / split / "JPEGImages"
        names = [f"{5 * t:05d}.jpg" for t in range(N)]
    videos = []
    for vid, seq in ((1, "a1b2"), (2, "c3d4")):
        (img / seq).mkdir(parents=True, exist_ok=True)
        for n in names:
            Image.fromarray(np.full((H, W, 3), 40 * vid, np.uint8)).save(img / seq / n)
        videos.append(
            {
                "id": vid,
                "height": H,
                "width": W,
                "length": N,
                "file_names": [f"{seq}/{n}" for n in names],
            }
        )
    data = {"videos": videos, "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]}
    if gt:
        data["annotations"] = [
            {
                "id": 10 + k,
                "video_id": 1,
                "category_id": k,
                "iscrowd": 0,
                "height": H,
                "width": W,
                "segmentations": [None if m is None else uncompressed_rle(m) for m in ms],
                "areas": [None if m is None else int(m.sum()) for m in ms],
            }
            for k, ms in GT.items()
        ]
    js.parent.mkdir(parents=True, exist_ok=True)
    js.write_text(json.dumps(data))
    return root, js, img


def perfect_results(video_id=1):
    return [
        {
            "video_id": video_id,
            "category_id": k,
            "score": 0.9,
            "segmentations": [None if m is None else enc(m) for m in ms],
        }
        for k, ms in GT.items()
    ]


@pytest.mark.parametrize("layout", ["youtubevis-2019", "youtubevis-2021", "ovis"])
def test_official_layouts_and_perfect_results_score_one(tmp_path, layout):
    root, _, _ = write_layout(tmp_path, layout)
    b = BENCHMARKS.get(layout)(root, "train", None)
    assert b.sequence_names() == ["a1b2", "c3d4"]
    pred = tmp_path / "pred"
    pred.mkdir()
    (pred / "a1b2.json").write_text(json.dumps(perfect_results(1)))
    (pred / "c3d4.json").write_text("[]")
    t = b.evaluate(pred)
    assert t.summary["AP"] == pytest.approx(1.0) and t.summary["AR10"] == pytest.approx(1.0)
    assert t.summary["HOTA"] == pytest.approx(1.0)
    assert [r["GT tracks"] for r in t.rows] == [2, 0]
    # a detection on the object-free video is a false positive at full score: AP falls
    (pred / "c3d4.json").write_text(json.dumps(perfect_results(2)[:1]))
    assert b.evaluate(pred).summary["AP"] < 1.0


@pytest.mark.parametrize("layout", ["youtubevis-2019", "youtubevis-2021", "ovis"])
def test_compressed_ground_truth_and_uncompressed_results_are_scored(tmp_path, layout):
    """Ground truth in compressed RLE and results in uncompressed RLE (both read by ytvoseval)
    crashed the HOTA path (TrackEval) with a traceback; every path now reads them."""
    root, js, _ = write_layout(tmp_path, layout)
    data = json.loads(js.read_text())
    for a in data["annotations"]:
        a["segmentations"] = [None if s is None else enc(_mask(s)) for s in a["segmentations"]]
        del a["areas"], a["height"], a["width"]
    js.write_text(json.dumps(data))
    b = BENCHMARKS.get(layout)(root, "train", None)
    pred = tmp_path / "pred"
    pred.mkdir()
    results = perfect_results(1)
    for r in results:
        r["segmentations"] = [
            None if s is None else uncompressed_rle(_mask(s)) for s in r["segmentations"]
        ]
    (pred / "a1b2.json").write_text(json.dumps(results))
    (pred / "c3d4.json").write_text("[]")
    t = b.evaluate(pred)
    assert t.summary["AP"] == pytest.approx(1.0) and t.summary["HOTA"] == pytest.approx(1.0)


def _mask(seg):
    from pycocotools import mask as mask_utils
    from unibench.benchmarks.scorers.vis import to_rle

    return mask_utils.decode(to_rle(seg, H, W)).astype(bool)


def _dets(tmp_path, entries, seq="a1b2"):
    d = tmp_path / "dets"
    d.mkdir(exist_ok=True)
    (d / f"{seq}.json").write_text(json.dumps(entries))
    return d


def test_both_detection_layouts_give_the_same_observations(tmp_path):
    root, js, img = write_layout(tmp_path)
    coco = [
        {
            "file_name": "a1b2/00000.jpg",
            "category_id": 1,
            "score": 0.9,
            "segmentation": enc(box(0, 6)),
        },
        {"frame": 2, "category_id": 2, "score": 0.7, "segmentation": enc(box(13, 21))},
    ]
    vis = [
        {
            "video_id": 1,
            "category_id": 1,
            "score": 0.9,
            "segmentations": [enc(box(0, 6)), None, None],
        },
        {
            "video_id": 1,
            "category_id": 2,
            "score": 0.7,
            "segmentations": [None, None, enc(box(13, 21))],
        },
    ]
    obs = []
    for entries in (coco, vis):
        d = _dets(tmp_path, entries)
        seq = VISBenchmark(js, img, "train", ["a1b2"], d).load_sequence("a1b2")
        obs.append(seq.init)
        assert seq.meta["frame_rate"] == pytest.approx(6.0)  # every 5th frame of 30 fps
    a, b = obs
    for t in range(N):
        np.testing.assert_array_equal(a.boxes[t], b.boxes[t])
        np.testing.assert_array_equal(a.classes[t], b.classes[t])
    np.testing.assert_allclose(a.boxes[0], [[0, 2, 6, 8, 0.9]])
    assert len(a.boxes[1]) == 0 and list(a.classes[2]) == [2]


@pytest.mark.parametrize(
    "entries, expect",
    [
        ([{"frame": 5, "category_id": 1, "score": 1, "segmentation": {}}], "outside the video"),
        ([{"frame": 0, "category_id": 9, "score": 1, "segmentation": {}}], "category_id 9"),
        ([{"category_id": 1, "score": 1, "segmentation": {}}], "needs 'frame'"),
        ([{"category_id": 1, "score": 1, "segmentations": [None]}], "expected 3 segmentations"),
        (
            [{"video_id": 2, "category_id": 1, "score": 1, "segmentations": [None] * 3}],
            "video_id 2",
        ),
        ([{"frame": 0, "category_id": 1, "score": "x", "segmentation": {}}], "numeric score"),
        (
            [
                {
                    "frame": 0,
                    "category_id": 1,
                    "score": 1,
                    "segmentation": {"size": [4, 4], "counts": "0"},
                }
            ],
            "mask size",
        ),
        ({"not": "a list"}, "expected a JSON list"),
    ],
)
def test_bad_detections_name_the_file(tmp_path, entries, expect):
    root, js, img = write_layout(tmp_path)
    d = _dets(tmp_path, entries)
    with pytest.raises(DataError, match=expect) as e:
        VISBenchmark(js, img, "train", ["a1b2"], d).load_sequence("a1b2")
    assert "a1b2.json" in str(e.value)


def test_json_errors_and_missing_frames(tmp_path):
    root, js, img = write_layout(tmp_path)
    data = json.loads(js.read_text())
    bad = dict(data, annotations=[dict(data["annotations"][0], segmentations=[None])])
    js.write_text(json.dumps(bad))
    with pytest.raises(DataError, match=r"annotations\[0\]: 1 segmentations for the video's 3"):
        VISBenchmark(js, img, "train")
    bad = dict(data, annotations=[dict(data["annotations"][0], category_id=7)])
    js.write_text(json.dumps(bad))
    with pytest.raises(DataError, match="category_id 7"):
        VISBenchmark(js, img, "train")
    bad = dict(data, annotations=data["annotations"] * 2)
    js.write_text(json.dumps(bad))
    with pytest.raises(DataError, match="duplicate annotation id"):
        VISBenchmark(js, img, "train")
    js.write_text(json.dumps(data))
    with pytest.raises(DataError, match="no video named zz"):
        VISBenchmark(js, img, "train", ["zz"])
    (img / "a1b2" / "00005.jpg").unlink()
    b = VISBenchmark(js, img, "train", None, _dets(tmp_path, []))
    with pytest.raises(DataError, match="1 of 3 frames .* missing"):
        b.load_sequence("a1b2")
    js.write_text("{")
    with pytest.raises(DataError, match="not valid JSON"):
        VISBenchmark(js, img, "train")


def test_valid_split_without_ground_truth_points_to_package(tmp_path):
    root, js, img = write_layout(tmp_path, split="valid", gt=False)
    b = BENCHMARKS.get("youtubevis-2021")(root, "valid", None)
    pred = tmp_path / "pred"
    pred.mkdir()
    for v, seq in ((1, "a1b2"), (2, "c3d4")):
        (pred / f"{seq}.json").write_text(json.dumps(perfect_results(v)))
    with pytest.raises(DataError, match="no public ground truth.*unibench package"):
        b.evaluate(pred)
    out = b.package(pred, tmp_path / "sub" / "results.zip")
    with zipfile.ZipFile(out) as z:
        assert z.namelist() == ["results.json"]
        entries = json.loads(z.read("results.json"))
    assert [e["video_id"] for e in entries] == [1, 1, 2, 2]
    (pred / "c3d4.json").write_text(json.dumps(perfect_results(1)))  # wrong video id
    with pytest.raises(DataError, match="c3d4.json: entry 0: expected video_id 2"):
        b.package(pred, tmp_path / "sub" / "results.zip")
    with zipfile.ZipFile(out) as z:  # the earlier zip is untouched
        assert len(json.loads(z.read("results.json"))) == 4


def test_held_out_annotations_option_and_unknown_options(tmp_path):
    root, js, img = write_layout(tmp_path, split="train")
    held = tmp_path / "valid_sub.json"
    held.write_text(js.read_text())
    js.unlink()
    with pytest.raises(DataError, match="missing .*instances.json"):
        BENCHMARKS.get("youtubevis-2021")(root, "train", None)
    b = BENCHMARKS.get("youtubevis-2021")(root, "train", None, options={"annotations": str(held)})
    assert b.has_gt and b.json_path == held
    with pytest.raises(ConfigError, match="unknown key .*votes.*valid keys: .*vote"):
        BENCHMARKS.get("youtubevis-2021")(root, "train", None, options={"votes": "x"})
    with pytest.raises(ConfigError, match="vote='x'"):
        BENCHMARKS.get("youtubevis-2021")(root, "train", None, options={"vote": "x"})


def test_category_vote_and_results_layout():
    # score-weighted: 0.9 + 0.2 for class 1 vs 0.3 + 0.35 + 0.4 for class 2 -> 1; majority -> 2
    cats, scores = [1, 2, 2, 1, 2], [0.9, 0.3, 0.35, 0.2, 0.4]
    assert vote_category(cats, scores, "score-weighted") == 1
    assert vote_category(cats, scores, "majority") == 2
    assert vote_category([3, 1], [0.5, 0.5], "majority") == 1  # ties to the smaller id
    m = mask_utils.encode(np.asfortranarray(box(0, 4).astype(np.uint8)))
    preds = [
        TrackFramePrediction(
            0,
            np.array([7, 3]),
            np.zeros((2, 4)),
            np.array([0.9, 0.5]),
            classes=np.array([1, 2]),
            masks=[m, m],
        ),
        TrackFramePrediction(
            1, np.array([7]), np.zeros((1, 4)), np.array([0.3]), classes=np.array([2]), masks=[m]
        ),
        TrackFramePrediction(
            2,
            np.array([], int),
            np.zeros((0, 4)),
            np.array([]),
            classes=np.array([], int),
            masks=[],
        ),
    ]
    out = tracks_to_results(preds, 3, 42, "score-weighted", "v")
    assert [(e["category_id"], e["score"]) for e in out] == [(2, 0.5), (1, pytest.approx(0.6))]
    assert out[1]["segmentations"][2] is None and isinstance(
        out[1]["segmentations"][0]["counts"], str
    )
    assert all(e["video_id"] == 42 and len(e["segmentations"]) == 3 for e in out)
    with pytest.raises(DataError, match="produced 2 predictions for 3 frames"):
        tracks_to_results(preds[:2], 3, 42, "majority", "v")


def test_vis_task_end_to_end_on_the_synthetic_suite(tmp_path):
    from unibench.app import pipeline

    cfg = pipeline.resolve_config(
        {"task": "vis", "model": {"name": "pixels"}, "output": {"dir": str(tmp_path)}}
    )
    assert cfg.run.head.name == "association"
    assert cfg.run.benchmark.name == "synthetic-youtubevis"
    assert cfg.head_params.class_gate is True and cfg.head_params.activate_immediately
    out = pipeline.run(cfg, progress=False)
    s = out.table.summary
    # measured with the pixels model: AP 22.0, AP50 58.7, HOTA 63.4 (noisy masks, wrong classes)
    assert 0.1 < s["AP"] < s["AP50"] <= 1.0 and 0.3 < s["HOTA"] < 1.0
    pred = next((tmp_path / "runs").rglob("vis00.json"))
    entries = json.loads(pred.read_text())
    assert entries and all(len(e["segmentations"]) == 20 for e in entries)
    assert {e["category_id"] for e in entries} <= {1, 2, 3}
