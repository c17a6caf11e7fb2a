"""DAVIS adapter: layouts, mask encodings, official result format, clear errors."""

import shutil

import numpy as np
import pytest
from PIL import Image
from unibench.benchmarks.davis import Davis
from unibench.benchmarks.formats.palette import read_label_map

from unibench.errors import DataError


def _frames(n, h=24, w=32):
    return [np.full((h, w, 3), 10 * i, np.uint8) for i in range(n)]


def _masks(n, h=24, w=32):
    out = []
    for i in range(n):
        m = np.zeros((h, w), np.uint8)
        m[2:8, 2 + i : 8 + i] = 1
        m[12:20, 10:20] = 2
        m[0, :] = 255  # void
        out.append(m)
    return out


def test_palette_and_void(tmp_path, davis_writer):
    davis_writer(tmp_path, "s", _frames(4), _masks(4))
    d = Davis(tmp_path, 2017, sequences=["s"])
    seq = d.load_sequence("s")
    assert seq.init.object_ids == (1, 2)
    assert seq.init.mask[0].max() == 0  # void → background
    assert len(seq.clip) == 4 and seq.clip.size == (24, 32)


def test_binary_mask_is_object_one(tmp_path, davis_writer):
    m = np.zeros((24, 32), np.uint8)
    m[4:10, 4:10] = 255
    davis_writer(tmp_path, "b", _frames(3), [m, m, m], mode="L")
    lab = read_label_map(tmp_path / "Annotations/480p/b/00000.png")
    assert set(np.unique(lab)) == {0, 1}
    assert Davis(tmp_path, 2016, sequences=["b"]).load_sequence("b").init.object_ids == (1,)


def test_davis2016_merges_palette_objects(tmp_path, davis_writer):
    davis_writer(tmp_path, "s", _frames(3), _masks(3))
    seq = Davis(tmp_path, 2016, sequences=["s"]).load_sequence("s")
    assert seq.init.object_ids == (1,)
    assert set(np.unique(seq.init.mask)) == {0, 1}


def test_perfect_predictions_score_one_and_roundtrip(tmp_path, davis_writer):
    davis_writer(tmp_path / "data", "s", _frames(6), _masks(6))
    d = Davis(tmp_path / "data", 2017, sequences=["s"])
    seq = d.load_sequence("s")
    from unibench.datatypes import VOSFramePrediction

    gts = [read_label_map(tmp_path / f"data/Annotations/480p/s/{i:05d}.png") for i in range(6)]
    out = tmp_path / "pred" / "s"
    out.mkdir(parents=True)
    d.write_predictions(seq, (VOSFramePrediction(i, g) for i, g in enumerate(gts)), out)
    im = Image.open(out / "00001.png")
    assert im.mode == "P"  # official result format: palette PNG
    t = d.evaluate(tmp_path / "pred")
    assert t.summary["J&F-Mean"] == 1.0
    assert [r["frames"] for r in t.rows] == [4, 4]  # frames 1..N-2


def test_imagesets_split_file(tmp_path, davis_writer):
    davis_writer(tmp_path, "a", _frames(3), _masks(3))
    davis_writer(tmp_path, "b", _frames(3), _masks(3))
    (tmp_path / "ImageSets/2017").mkdir(parents=True)
    (tmp_path / "ImageSets/2017/val.txt").write_text("b\n")
    assert Davis(tmp_path, 2017).sequence_names() == ["b"]
    (tmp_path / "ImageSets/480p").mkdir(parents=True)
    (tmp_path / "ImageSets/480p/train.txt").write_text(
        "/JPEGImages/480p/a/00000.jpg /Annotations/480p/a/00000.png\n"
    )
    assert Davis(tmp_path, 2016, split="train").sequence_names() == ["a"]


def test_missing_annotation_frame_is_named(tmp_path, davis_writer):
    masks = _masks(5)
    masks[2] = None
    davis_writer(tmp_path, "s", _frames(5), masks)
    d = Davis(tmp_path, 2017, sequences=["s"])
    (tmp_path / "pred").mkdir()
    with pytest.raises(DataError, match=r"missing annotation .*s/00002\.png"):
        d.evaluate(tmp_path / "pred")


def test_missing_first_annotation(tmp_path, davis_writer):
    masks = _masks(3)
    masks[0] = None
    davis_writer(tmp_path, "s", _frames(3), masks)
    with pytest.raises(DataError, match=r"missing annotation .*00000\.png"):
        Davis(tmp_path, 2017, sequences=["s"]).load_sequence("s")


def test_mismatched_sizes(tmp_path, davis_writer):
    davis_writer(tmp_path, "s", _frames(3, 24, 32), _masks(3, 20, 32))
    with pytest.raises(DataError, match=r"mask size \(20, 32\) does not match frame"):
        Davis(tmp_path, 2017, sequences=["s"]).load_sequence("s")


def test_unknown_palette_index(tmp_path, davis_writer):
    masks = _masks(4)
    masks[2][20:22, 20:22] = 7
    davis_writer(tmp_path, "s", _frames(4), masks)
    with pytest.raises(DataError, match=r"00002\.png: unknown palette index 7"):
        Davis(tmp_path, 2017, sequences=["s"]).evaluate(tmp_path)


def test_missing_prediction_and_rgb_mask(tmp_path, davis_writer):
    davis_writer(tmp_path, "s", _frames(4), _masks(4))
    d = Davis(tmp_path, 2017, sequences=["s"])
    (tmp_path / "pred/s").mkdir(parents=True)
    with pytest.raises(DataError, match=r"missing prediction .*pred/s/00001\.png"):
        d.evaluate(tmp_path / "pred")
    Image.new("RGB", (32, 24)).save(tmp_path / "pred/s/00001.png")
    with pytest.raises(DataError, match=r"mode 'RGB'; expected a palette PNG"):
        d.evaluate(tmp_path / "pred")


def test_missing_frames_folder(tmp_path, davis_writer):
    davis_writer(tmp_path, "s", _frames(2), _masks(2))
    shutil.rmtree(tmp_path / "JPEGImages/480p/s")
    with pytest.raises(DataError, match="frame folder .* does not exist"):
        Davis(tmp_path, 2017, sequences=["s"]).load_sequence("s")


@pytest.mark.realdata
def test_real_davis2016_binary(realdata):
    root = realdata / "davis/davis2016-car-shadow"
    d = Davis(root, 2016)
    assert d.sequence_names() == ["car-shadow"]
    seq = d.load_sequence("car-shadow")
    assert len(seq.clip) == 40 and seq.clip.size == (480, 854)
    assert seq.init.object_ids == (1,)
    assert 0 < seq.init.mask.mean() < 0.5
    t = d.evaluate(root / "Annotations/480p")  # the ground truth scored against itself
    assert t.summary["J&F-Mean"] == 1.0 and t.rows[0]["frames"] == 38


@pytest.mark.realdata
def test_real_davis2017_palette(realdata, tmp_path, caplog):
    root = realdata / "davis/davis2017-palette-samples"
    d = Davis(root, 2017)
    assert d.sequence_names() == ["bear", "tennis"]
    assert "blackswan" in caplog.text  # annotation-only folder reported, not silently skipped
    tennis = d.load_sequence("tennis")
    assert tennis.init.object_ids == (1, 2)
    raw = np.array(Image.open(root / "Annotations/480p/tennis/00000.png"))
    assert (raw == 255).any() and not (tennis.init.mask == 255).any()
    # the breakdance annotations have no frames; eval needs none
    ann = root / "extra_breakdance_annotations_only"
    lay = tmp_path / "Annotations/480p/breakdance"
    lay.mkdir(parents=True)
    for f in sorted(ann.glob("*.png")):
        shutil.copy(f, lay / f.name)
    t = Davis(tmp_path, 2017, sequences=["breakdance"]).evaluate(tmp_path / "Annotations/480p")
    assert t.summary["J&F-Mean"] == 1.0
    assert t.rows[0]["frames"] == len(list(ann.glob("*.png"))) - 2


def test_an_opaque_la_mask_reads_as_its_luminance_and_a_transparent_one_is_refused(tmp_path):
    """DAVIS-2016's own package holds one binary mask saved with an alpha channel (train
    bear/00077.png, mode LA, alpha 255 everywhere): it reads as the binary mask it is; a mask
    with transparent pixels stays an error naming the file."""
    from unibench.benchmarks.formats.palette import read_label_map

    lum = np.zeros((6, 8), np.uint8)
    lum[2:4, 3:6] = 255
    Image.fromarray(np.dstack([lum, np.full_like(lum, 255)]), mode="LA").save(tmp_path / "a.png")
    assert (read_label_map(tmp_path / "a.png") == (lum == 255)).all()
    alpha = np.full_like(lum, 255)
    alpha[0, 0] = 0
    Image.fromarray(np.dstack([lum, alpha]), mode="LA").save(tmp_path / "b.png")
    with pytest.raises(DataError, match=r"b.png: a mask with transparent pixels \(mode LA\)"):
        read_label_map(tmp_path / "b.png")
