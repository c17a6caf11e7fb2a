"""YouTube-VOS: objects that enter late, the official layout, the server's seen/unseen summary."""

import json
import zipfile

import numpy as np
import pytest
from PIL import Image
from unibench.benchmarks import BENCHMARKS
from unibench.benchmarks.base import parse_options
from unibench.benchmarks.formats.palette import read_label_map, write_palette_png
from unibench.benchmarks.youtubevos import YouTubeVOS, YTVOSOptions, ytvos_summary

from unibench.datatypes import FirstAppearance, MaskInit
from unibench.errors import DataError

H, W = 24, 32


def _box(x0, x1, y0=4, y1=16):
    m = np.zeros((H, W), bool)
    m[y0:y1, x0:x1] = True
    return m


def write_layout(root, stems=("00000", "00005", "00010", "00020"), annotate_all=True, meta=None):
    """One video: object 1 from the first frame, object 2 (unseen category) from 00010; a frame
    list with a gap (00015 missing), as the sampled frames of the release have."""
    d = root / "train"
    (d / "JPEGImages" / "v1").mkdir(parents=True)
    (d / "Annotations" / "v1").mkdir(parents=True)
    for i, s in enumerate(stems):
        img = np.zeros((H, W, 3), np.uint8)
        img[_box(2 + i, 10 + i)] = (200, 40, 40)
        if i >= 2:
            img[_box(18, 26)] = (40, 200, 40)
        Image.fromarray(img).save(d / "JPEGImages" / "v1" / f"{s}.jpg", quality=95)
        lab = np.zeros((H, W), np.uint8)
        lab[_box(2 + i, 10 + i)] = 1
        if i >= 2:
            lab[_box(18, 26)] = 2
        if annotate_all or i in (0, 2):
            write_palette_png(d / "Annotations" / "v1" / f"{s}.png", lab)
    meta = meta or {
        "videos": {
            "v1": {
                "objects": {
                    "1": {"category": "person", "frames": list(stems)},
                    "2": {"category": "zebra", "frames": list(stems[2:])},
                }
            }
        }
    }
    (d / "meta.json").write_text(json.dumps(meta))
    return root


def test_late_object_enters_at_its_first_frame_and_never_before(tmp_path):
    from unibench.appearance_models import create_model
    from unibench.heads.vos import MaskPropagationHead, PropagationParams

    b = YouTubeVOS(
        write_layout(tmp_path),
        "train",
        options=parse_options(YTVOSOptions, {"seen_categories": "person"}),
    )
    seq = b.load_sequence("v1")
    assert seq.init.object_ids == (1, 2) and seq.init.mask.max() == 1
    (late,) = seq.init.later
    assert (late.frame, late.object_id) == (2, 2) and late.mask.sum() == 12 * 8
    assert [a.frame for a in seq.init.first_appearances] == [0, 2]
    ex, _ = create_model("pixels")
    preds = list(MaskPropagationHead(PropagationParams()).track(seq, ex))
    assert all(2 not in p.labels for p in preds[:2])  # never before it enters
    assert (preds[2].labels[late.mask] == 2).all()  # its given mask at its first frame
    assert (preds[3].labels == 2).sum() > 0.5 * late.mask.sum()  # and propagated after
    # box-initialised VOS with late objects: the first-appearance box is the given state
    boxed = list(MaskPropagationHead(PropagationParams(init_from_box=True)).track(seq, ex))
    assert all(2 not in p.labels for p in boxed[:2]) and (boxed[2].labels == 2).any()


def test_scoring_seen_unseen_and_overall_by_hand(tmp_path):
    b = YouTubeVOS(
        write_layout(tmp_path),
        "train",
        options=parse_options(YTVOSOptions, {"seen_categories": "person"}),
    )
    pred = tmp_path / "pred" / "v1"
    pred.mkdir(parents=True)
    stems = ["00000", "00005", "00010", "00020"]
    for i, s in enumerate(stems):
        lab = np.zeros((H, W), np.uint8)
        lab[_box(2 + i, 10 + i)] = 1  # object 1 exact
        if i >= 2:
            lab[_box(18, 22)] = 2  # object 2: half its box -> J = 0.5
        write_palette_png(pred / f"{s}.png", lab)
    t = b.evaluate(tmp_path / "pred")
    rows = {r["object"]: r for r in t.rows}
    assert rows[1]["frames"] == 3 and rows[2]["frames"] == 1  # frames after the first appearance
    assert rows[1]["J-Mean"] == pytest.approx(1.0) and rows[2]["J-Mean"] == pytest.approx(0.5)
    assert rows[1]["seen"] and not rows[2]["seen"]
    s = t.summary
    assert s["J-seen"] == pytest.approx(1.0) and s["J-unseen"] == pytest.approx(0.5)
    assert s["Overall"] == pytest.approx(
        (s["J-seen"] + s["F-seen"] + s["J-unseen"] + s["F-unseen"]) / 4
    )


def test_summary_averaging_hand_computed():
    rows = [
        {"seen": True, "J-Mean": 0.8, "F-Mean": 0.6},
        {"seen": True, "J-Mean": 0.6, "F-Mean": 0.4},
        {"seen": False, "J-Mean": 0.3, "F-Mean": 0.1},
    ]
    s = ytvos_summary(rows)
    # seen: J 0.7, F 0.5 (mean over the seen objects); unseen: J 0.3, F 0.1; overall = mean of four
    assert (s["J-seen"], s["F-seen"], s["J-unseen"], s["F-unseen"]) == pytest.approx(
        (0.7, 0.5, 0.3, 0.1)
    )
    assert s["Overall"] == pytest.approx(0.4)
    only_seen = ytvos_summary(rows[:2])
    assert np.isnan(only_seen["J-unseen"]) and only_seen["Overall"] == pytest.approx(0.6)


def test_meta_mismatches_are_clear_errors(tmp_path):
    bad = {"videos": {"v1": {"objects": {"1": {"category": "person", "frames": ["00015"]}}}}}
    b = YouTubeVOS(write_layout(tmp_path / "a", meta=bad), "train")
    with pytest.raises(DataError, match="first appears in frame 00015, which is not a frame"):
        b.load_sequence("v1")
    other = {"videos": {"v2": {"objects": {}}}}
    with pytest.raises(DataError, match="disagree: in meta.json only: v2; on disk only: v1"):
        YouTubeVOS(write_layout(tmp_path / "b", meta=other), "train")
    wrong = {"videos": {"v1": {"objects": {"3": {"category": "cat", "frames": ["00000"]}}}}}
    b = YouTubeVOS(write_layout(tmp_path / "c", meta=wrong), "train")
    with pytest.raises(DataError, match="object 3 is not in the mask of its first frame"):
        b.load_sequence("v1")
    (tmp_path / "d" / "train").mkdir(parents=True)
    (tmp_path / "d" / "train" / "meta.json").write_text('{"videos": 3}')
    with pytest.raises(DataError, match="meta.json: expected"):
        YouTubeVOS(tmp_path / "d", "train")


def test_valid_split_writes_and_packages_the_sampled_frames(tmp_path):
    root = write_layout(tmp_path, annotate_all=False)
    (root / "train").rename(root / "valid")
    b = BENCHMARKS.get("youtubevos-2019")(
        root, "valid", None, options={"seen_categories": "person"}
    )
    seq = b.load_sequence("v1")
    from unibench.datatypes import VOSFramePrediction

    out = tmp_path / "pred" / "v1"
    out.mkdir(parents=True)
    b.write_predictions(
        seq, (VOSFramePrediction(t, np.zeros((H, W), np.uint8)) for t in range(4)), out
    )
    with pytest.raises(DataError, match="local scoring needs a fully annotated split"):
        b.evaluate(tmp_path / "pred")
    z = b.package(tmp_path / "pred", tmp_path / "sub.zip")
    names = zipfile.ZipFile(z).namelist()
    assert names == [f"Annotations/v1/{s}.png" for s in ("00000", "00005", "00010", "00020")]
    (out / "00020.png").unlink()
    with pytest.raises(DataError, match="missing result .*00020.png"):
        b.package(tmp_path / "pred", tmp_path / "sub2.zip")


def test_all_frames_variant_propagates_through_every_frame(tmp_path):
    root = write_layout(tmp_path)
    allf = root / "train_all_frames" / "JPEGImages" / "v1"
    allf.mkdir(parents=True)
    for k in range(21):
        Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(allf / f"{k:05d}.jpg")
    b = YouTubeVOS(root, "train", options=parse_options(YTVOSOptions, {"all_frames": True}))
    seq = b.load_sequence("v1")
    assert len(seq.clip) == 21 and seq.init.later[0].frame == 10  # 00010 is the 11th frame
    from unibench.datatypes import VOSFramePrediction

    out = tmp_path / "pred" / "v1"
    out.mkdir(parents=True)
    b.write_predictions(
        seq, (VOSFramePrediction(t, np.zeros((H, W), np.uint8)) for t in range(21)), out
    )
    assert sorted(p.stem for p in out.glob("*.png")) == ["00000", "00005", "00010", "00020"]


def test_mask_init_validates_late_objects():
    with pytest.raises(ValueError, match="late object 5"):
        MaskInit(np.zeros((2, 2), np.uint8), (1,), (FirstAppearance(3, 5, np.zeros((2, 2), bool)),))
    with pytest.raises(ValueError, match="frame >= 1"):
        MaskInit(np.zeros((2, 2), np.uint8), (1,), (FirstAppearance(0, 1, np.zeros((2, 2), bool)),))


def test_synthetic_youtubevos_end_to_end_and_davis_unchanged(tmp_path):
    from unibench.app import pipeline

    cfg = pipeline.resolve_config(
        {
            "task": "vos",
            "model": {"name": "pixels"},
            "benchmark": {"name": "synthetic-youtubevos"},
            "output": {"dir": str(tmp_path)},
        }
    )
    out = pipeline.run(cfg, progress=False)
    late = next(
        r for r in out.table.rows if r["sequence"] == "ytv00" and r["first frame"] == "00035"
    )
    assert late["frames"] == 16 and 0.0 < late["J-Mean"] <= 1.0
    pred = next((tmp_path / "runs").rglob("ytv00"))
    assert all(2 not in read_label_map(pred / f"{5 * t:05d}.png") for t in range(7))
    assert 2 in read_label_map(pred / "00035.png")
    s = out.table.summary
    assert not np.isnan(s["J-unseen"]) and 0 < s["Overall"] < 1
    # DAVIS behaviour is unchanged by the late-object support: the synthetic DAVIS figures of the
    # pixels baseline measured before the change (commit e9cac15) and after are identical
    cfg = pipeline.resolve_config(
        {"task": "vos", "model": {"name": "pixels"}, "output": {"dir": str(tmp_path / "d")}}
    )
    assert pipeline.run(cfg, progress=False).table.summary["J&F-Mean"] == pytest.approx(
        0.9420305983700274, abs=1e-6
    )
