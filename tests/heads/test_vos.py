"""The mask-propagation head."""

import numpy as np
import pytest
import torch
from clips import clip_from_arrays
from unibench.appearance_models import create_model
from unibench.benchmarks.scorers.vos import jaccard
from unibench.heads import HEADS
from unibench.heads.vos import PRESETS, PropagationParams

from unibench.datatypes import MaskInit, VideoSequence


def _seq(frames, masks):
    return VideoSequence("blob", clip_from_arrays(frames), MaskInit(masks[0], (1,)))


def test_translated_blob_is_recovered_with_pixels(blob_sequence):
    frames, masks = blob_sequence
    extractor, _ = create_model("pixels")
    head = HEADS.get("propagation")(PropagationParams())
    preds = list(head.track(_seq(frames, masks), extractor))
    assert [p.index for p in preds] == list(range(len(frames)))
    ious = [jaccard(m == 1, p.labels == 1) for m, p in zip(masks, preds, strict=True)]
    assert min(ious[1:]) > 0.9, ious
    # antialiased label downsampling keeps sub-cell boundaries: strictly better here
    area = HEADS.get("propagation")(PropagationParams(label_downsample="area"))
    ious_area = [
        jaccard(m == 1, p.labels == 1)
        for m, p in zip(masks, area.track(_seq(frames, masks), extractor), strict=True)
    ]
    assert min(ious_area[1:]) > min(ious[1:])


def test_reference_and_chunked_impl_agree(blob_sequence):
    frames, masks = blob_sequence
    extractor, _ = create_model("pixels")
    a = list(
        HEADS.get("propagation")(PropagationParams(impl="reference")).track(
            _seq(frames, masks), extractor
        )
    )
    b = list(
        HEADS.get("propagation")(PropagationParams(impl="chunked", memory_budget_mb=1)).track(
            _seq(frames, masks), extractor
        )
    )
    for x, y in zip(a, b, strict=True):
        assert (x.labels == y.labels).mean() > 0.999


def test_hyperparameters_matter(blob_sequence):
    """A head that ignored its parameters would give identical outputs."""
    frames, masks = blob_sequence
    extractor, _ = create_model("pixels")
    seq = _seq(frames, masks)
    base = [p.labels for p in HEADS.get("propagation")(PropagationParams()).track(seq, extractor)]
    tiny = [
        p.labels
        for p in HEADS.get("propagation")(
            PropagationParams(radius=1.0, restrict_first=True, n_recent=0)
        ).track(seq, extractor)
    ]
    assert any((a != b).any() for a, b in zip(base, tiny, strict=True))


def test_params_validation():
    with pytest.raises(ValueError, match="topk"):
        PropagationParams(topk=0)
    with pytest.raises(ValueError, match="temperature"):
        PropagationParams(temperature=0)
    assert PropagationParams().temperature == 0.05 and PropagationParams().topk == 10
    assert PropagationParams().radius == 12.0 and PropagationParams().n_recent == 5
    for preset in PRESETS.values():
        PropagationParams(**preset.values)


def test_multi_object_ids_preserved():
    h, w = 64, 96
    f = np.zeros((h, w, 3), np.uint8)
    f[:, :48] = [200, 30, 30]
    f[:, 48:] = [30, 30, 200]
    m = np.zeros((h, w), np.uint8)
    m[:, :48] = 1
    m[:, 48:] = 2
    seq = VideoSequence("two", clip_from_arrays([f, f, f]), MaskInit(m, (1, 2)))
    extractor, _ = create_model("pixels")
    preds = list(HEADS.get("propagation")(PropagationParams()).track(seq, extractor))
    assert jaccard(preds[2].labels == 1, m == 1) > 0.95
    assert jaccard(preds[2].labels == 2, m == 2) > 0.95


# ------------------------------------------------------------------- memory layout and presets
def _memory_log(monkeypatch, p, n_frames=9):
    """Run the head on a tiny clip with ``propagate`` spied: per frame t, the memory as a list of
    source frame indices (the long-term entry first), recognised by their features."""
    import unibench.heads.vos as V

    frames = [np.full((16, 16, 3), 10 * (t + 1), np.uint8) for t in range(n_frames)]
    mask = np.zeros((16, 16), np.uint8)
    mask[4:12, 4:12] = 1
    seq = VideoSequence("m", clip_from_arrays(frames), MaskInit(mask, (1,)))

    class Ex:  # features carry the frame index
        def features(self, seq, t, height=None):
            f = torch.zeros(4, 2, 2)
            f[0] = t + 1.0
            f[1] = 1.0
            return type("FM", (), {"data": f})()

    log, restrictions = [], []
    real = V.propagate

    def spy(q, mem, labels, k, temperature, radius, restrict_first, *a, **kw):
        raw = mem[:, 0, 0, 0] / mem[:, 1, 0, 0]  # t + 1, undone from the L2 normalisation
        log.append([int(round(float(v))) - 1 for v in raw])
        restrictions.append((radius, restrict_first))
        return real(q, mem, labels, k, temperature, radius, restrict_first, *a, **kw)

    monkeypatch.setattr(V, "propagate", spy)
    list(HEADS.get("propagation")(p).track(seq, Ex()))
    # every short-term entry (the copies included) is radius-restricted; the long-term frame 0
    # (memory index 0) only with restrict_first
    assert set(restrictions) == {(p.radius, p.restrict_first)}
    return log


def test_pad_memory_reproduces_the_reference_clip_padding(monkeypatch):
    # UniTrack/CRW: the clip is padded with n_context copies of frame 0 (ground-truth labels); the
    # short-term keys of frame t are the n_context entries before it (context_index_bank), radius
    # restricted; the long-term key is frame 0, unrestricted. At t <= 5 frame 0 appears 7 - t times.
    log = _memory_log(monkeypatch, PropagationParams(**PRESETS["unitrack"].values))
    want = {
        1: [0, 0, 0, 0, 0, 0],
        2: [0, 0, 0, 0, 0, 1],
        3: [0, 0, 0, 0, 1, 2],
        4: [0, 0, 0, 1, 2, 3],
        5: [0, 0, 1, 2, 3, 4],
        6: [0, 1, 2, 3, 4, 5],
        7: [0, 2, 3, 4, 5, 6],
    }
    for t, mem in want.items():
        assert log[t - 1] == mem, t
        assert mem.count(0) == (7 - t if t <= 5 else 1)


def test_memory_layouts_of_dino_and_vfs(monkeypatch):
    dino = _memory_log(monkeypatch, PropagationParams(**PRESETS["dino"].values))
    assert dino[0] == [0] and dino[1] == [0, 1] and dino[7] == [0, 1, 2, 3, 4, 5, 6, 7]
    vfs = _memory_log(monkeypatch, PropagationParams(**{**PRESETS["vfs"].values, "n_recent": 3}))
    # VFS: window = real frames max(0, t - n)..t-1, plus frame 0 (with_first)
    assert vfs[0] == [0, 0] and vfs[2] == [0, 0, 1, 2] and vfs[3] == [0, 1, 2, 3]
    off = _memory_log(monkeypatch, PropagationParams(pad_memory=False))
    assert off[0] == [0] and off[5] == [0, 1, 2, 3, 4, 5]


# The full parameter set of each preset, from the reference codes (file:line: setting):
# unitrack — UniTrack config/imagenet_resnet18_s3.yaml:27-34 temperature 0.05, topk 10, radius 12,
#            videoLen 5, cropSize -1, long_mem [0]; data/vos.py:132 pads videoLen copies of frame
#            0; data/vos.py:243 cv2.INTER_LINEAR labels; model/functional.py:156 `D < radius`,
#            :56 the mask added to the short-term keys only (frame 0 unrestricted)
# crw      — videowalk README.md:94 --topk 10 --videoLen 20 --radius 12 --temperature 0.05
#            --cropSize -1; code/data/vos.py:149 pads videoLen copies of frame 0
# dino     — dino eval_video_segmentation.py:260-263 --n_last_frames 7 --size_mask_neighborhood 12
#            --topk 5; :129 exp(aff / 0.1); :134 the mask on every context frame; :46 an empty
#            queue (no padding); NEAREST label resize; :102 norm_mask (min-max)
# vfs      — VFS configs/r18_sgd_cos_100e_r2_1xNx8_k400.py:28-35 precede_frames 20, topk 10,
#            temperature 0.07, neighbor_range 24 (circle < 12), with_first(_neighbor) True;
#            :96 Resize(-1, 480); mmaction/models/trackers/vanilla_tracker.py:133 key_start =
#            max(0, t - precede_frames), :140 with_first, :96 nearest labels, :168 min-max
REFERENCE_TABLE = {
    #          temp  topk  n   radius shape     first  labels      pad    in-win minmax height
    "unitrack": (0.05, 10, 5, 12.0, "circle", False, "bilinear", True, False, "none", None),
    "crw": (0.05, 10, 20, 12.0, "circle", False, "bilinear", True, False, "none", None),
    "dino": (0.1, 5, 7, 12.0, "square", True, "nearest", False, False, "minmax", None),
    "vfs": (0.07, 10, 20, 12.0, "circle", True, "nearest", False, True, "minmax", 480),
}
PROTOCOL_KEYS = (
    "temperature", "topk", "n_recent", "radius", "radius_shape", "restrict_first",
    "label_downsample", "pad_memory", "first_in_window", "output_norm", "input_height",
)  # fmt: skip


@pytest.mark.parametrize("name", list(REFERENCE_TABLE))
def test_each_preset_is_the_whole_reference_protocol(name):
    assert set(PRESETS[name].values) == {
        "preset",
        *PROTOCOL_KEYS,
    }  # every protocol key, nothing else
    got = tuple(PRESETS[name].values[k] for k in PROTOCOL_KEYS)
    assert got == REFERENCE_TABLE[name]
    p = PropagationParams(**PRESETS[name].values)
    assert p.preset == name


def test_a_cards_protocol_is_its_preset_and_the_recorded_preset_is_applied():
    from unibench.app import pipeline

    dino = "vit_small_patch16.dino_in1k"
    r = pipeline.resolve_config({"task": "vos", "model": {"name": dino}})
    assert r.head_params.preset == "dino" and r.head_params.topk == 5
    assert r.provenance["head.params.topk"] == f"model card {dino}: preset dino"
    # the user's preset replaces the card's whole protocol: no hybrid
    r = pipeline.resolve_config({"task": "vos", "model": {"name": dino}}, None, ["head.preset=crw"])
    assert r.head_params == PropagationParams(**PRESETS["crw"].values)
    r = pipeline.resolve_config(
        {"task": "vos", "model": {"name": dino}}, None, ["head.preset=unitrack"]
    )
    assert r.head_params == PropagationParams()
    assert r.provenance["head.params.temperature"] == "CLI override: preset unitrack"
    d = r.to_dict()
    assert d["precedence"][0] == "dataclass defaults" and d["precedence"][-1] == "CLI override"
    assert "model card vit_small_patch16.dino_in1k: preset dino" in d["precedence"]


def test_non_finite_temperature_is_refused():
    with pytest.raises(ValueError, match="finite"):
        PropagationParams(temperature=float("nan"))
    with pytest.raises(ValueError, match="two memory layouts"):
        PropagationParams(pad_memory=True, first_in_window=True)


def test_padding_changes_random_resnet_results(blob_sequence):
    frames, masks = blob_sequence
    ex, _ = create_model("resnet18")
    seq = _seq(frames, masks)
    on = [p.labels for p in HEADS.get("propagation")(PropagationParams()).track(seq, ex)]
    off = [
        p.labels
        for p in HEADS.get("propagation")(PropagationParams(pad_memory=False)).track(seq, ex)
    ]
    assert any((a != b).any() for a, b in zip(on[1:], off[1:], strict=True))


def test_channel_argmax_equals_argmax_ties_included():
    from unibench.heads.vos import channel_argmax

    g = torch.Generator().manual_seed(0)
    for L in (1, 2, 3, 6):
        x = torch.randn(L, 33, 47, generator=g)
        x[:, :5, :5] = 0.25  # every channel tied: the first wins, as argmax
        x[L - 1, 10, 10] = x[0, 10, 10]  # a tie between the first and the last
        assert torch.equal(channel_argmax(x), x.argmax(0))
