"""Property tests of the text readers: any input parses to finite, well-formed values or raises
the project's DataError (never another exception, never a NaN passing for a number)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unibench.errors import DataError

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples in every run: CI never flakes
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-5, 5000).map(str),
    st.sampled_from(["", "nan", "inf", "-inf", "x", "1e999", "-0", " "]),
)
LINE = st.lists(NUMBER, min_size=0, max_size=12).map(
    lambda xs: st.sampled_from([",", "\t", " "]).example().join(xs) if False else ",".join(xs)
)
TEXT = st.lists(LINE, max_size=8).map("\n".join)
ANY_TEXT = st.one_of(TEXT, st.text(max_size=200))


def _write(tmp_path_factory, name, text) -> object:
    p = tmp_path_factory.mktemp("prop") / name
    p.write_text(text)
    return p


@SETTINGS
@given(text=ANY_TEXT, strict=st.booleans())
def test_mot_text(tmp_path_factory, text, strict):
    from unibench.benchmarks.formats.motchallenge import read_mot_rows

    p = _write(tmp_path_factory, "gt.txt", text)
    try:
        rows, dropped = read_mot_rows(p, 7, strict)
    except DataError:
        return
    assert rows.shape[1] == 10 and dropped >= 0
    assert np.isfinite(rows[:, :2]).all() and np.isfinite(rows[:, 2:6]).all()
    assert (rows[:, 4] > 0).all() and (rows[:, 5] > 0).all()


@SETTINGS
@given(text=ANY_TEXT)
def test_sot_ground_truth_boxes(tmp_path_factory, text):
    from unibench.benchmarks.formats.boxes import read_boxes

    p = _write(tmp_path_factory, "groundtruth.txt", text)
    try:
        boxes = read_boxes(p, ground_truth=True)
    except DataError:
        return
    assert boxes.shape[1] == 4 and np.isfinite(boxes).all() and (boxes[:, 2:] >= 0).all()


@SETTINGS
@given(text=ANY_TEXT)
def test_vot_regions(tmp_path_factory, text):
    from unibench.benchmarks.formats.boxes import read_regions

    p = _write(tmp_path_factory, "groundtruth.txt", text)
    try:
        regions = read_regions(p)
    except DataError:
        return
    assert regions.shape[1] in (4, 8) and np.isfinite(regions).all()


@SETTINGS
@given(
    text=st.one_of(
        st.text(max_size=200),
        st.dictionaries(
            st.sampled_from(["seqLength", "imDir", "frameRate", "name", "imExt"]),
            st.one_of(st.text(max_size=12), st.integers(-3, 99).map(str)),
        ).map(lambda d: "[Sequence]\n" + "".join(f"{k}={v}\n" for k, v in d.items())),
    )
)
def test_seqinfo(tmp_path_factory, text):
    from unibench.benchmarks.formats.motchallenge import read_seqinfo

    p = _write(tmp_path_factory, "seqinfo.ini", text)
    try:
        info = read_seqinfo(p)
    except DataError:
        return
    assert isinstance(info, dict)
    if "imdir" in info:
        assert "/" not in info["imdir"] and info["imdir"] not in ("", ".", "..")


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(), st.text(max_size=5)),
    lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=20,
)


@SETTINGS
@given(values=st.one_of(JSON, st.lists(st.floats(), min_size=51, max_size=51)))
def test_posetrack_keypoints(values):
    from unibench.benchmarks.posetrack import keypoints_array

    try:
        k = keypoints_array(values, "annotation 0")
    except DataError:
        return
    assert k.shape == (17, 3) and np.isfinite(k).all()


@SETTINGS
@given(
    doc=st.one_of(
        JSON,
        st.lists(
            st.fixed_dictionaries(
                {"name": st.text(max_size=6)},
                optional={"labels": JSON, "frameIndex": JSON},
            ),
            max_size=4,
        ),
    )
)
def test_bdd_frames(tmp_path_factory, doc):
    from unibench.benchmarks.bdd100k import load_frames

    p = _write(tmp_path_factory, "v.json", json.dumps(doc))
    try:
        frames = load_frames(p)
    except DataError:
        return
    for f in frames:
        assert isinstance(f["name"], str)
        assert all(isinstance(lb, dict) for lb in f.get("labels") or [])


@SETTINGS
@given(doc=JSON)
def test_posetrack_annotation_json(tmp_path_factory, doc):
    from unibench.benchmarks.posetrack import PoseTrack18

    root = tmp_path_factory.mktemp("pt")
    (root / "annotations" / "val").mkdir(parents=True)
    (root / "annotations" / "val" / "v.json").write_text(json.dumps(doc))
    b = PoseTrack18(root, truncate=True)
    try:
        b.frames_for_scoring("v", root / "annotations" / "val" / "v.json")
    except DataError:
        return


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -math.inf])
def test_config_floats_are_finite(value):
    from unibench.config import coerce
    from unibench.errors import ConfigError

    with pytest.raises(ConfigError, match="finite"):
        coerce(value, float, "head.temperature", "CLI override")
