"""The mask-propagation head."""

import numpy as np
import pytest
from unibench.appearance_models import create_model
from unibench.benchmarks.vos_metrics import jaccard
from unibench.heads import HEADS
from unibench.heads.vos import PRESETS, PropagationParams

from unibench.types import Clip, MaskInit, VideoSequence


def _seq(frames, masks):
    return VideoSequence("blob", Clip.from_arrays(frames), MaskInit(masks[0], (1,)))


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
        PropagationParams(**preset)


def test_multi_object_ids_preserved():
    h, w = 64, 96
    f = np.zeros((h, w, 3), np.uint8)
    f[:, :48] = [200, 30, 30]
    f[:, 48:] = [30, 30, 200]
    m = np.zeros((h, w), np.uint8)
    m[:, :48] = 1
    m[:, 48:] = 2
    seq = VideoSequence("two", Clip.from_arrays([f, f, f]), MaskInit(m, (1, 2)))
    extractor, _ = create_model("pixels")
    preds = list(HEADS.get("propagation")(PropagationParams()).track(seq, extractor))
    assert jaccard(preds[2].labels == 1, m == 1) > 0.95
    assert jaccard(preds[2].labels == 2, m == 2) > 0.95
