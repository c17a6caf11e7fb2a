"""SOT heads on a synthetic moving target with the pixel model."""

from dataclasses import replace

import numpy as np
import pytest
from clips import clip_from_arrays
from unibench.appearance_models import create_model
from unibench.benchmarks.scorers.sot import rect_iou
from unibench.heads import HEADS
from unibench.heads.sot import XCORR_PRESETS, DCFParams, RidgeParams, XCorrParams, crop
from unibench.heads.vos import BoxFromMaskParams, PropagationParams, boxes_as_mask

from unibench.datatypes import BoxInit, MaskInit, VideoSequence


@pytest.fixture
def moving_target():
    """A 40 px textured square moving (4, 2) px/frame over a noisy background, 12 frames."""
    h, w, n = 160, 224, 12
    rng = np.random.default_rng(1)
    bg = (rng.uniform(0, 1, (h, w, 3)) * np.array([60, 120, 90])).astype(np.uint8)
    tex = (rng.uniform(0.5, 1, (40, 40, 3)) * np.array([250, 140, 40])).astype(np.uint8)
    frames, boxes = [], []
    for t in range(n):
        f = bg.copy()
        x, y = 40 + 4 * t, 50 + 2 * t
        f[y : y + 40, x : x + 40] = tex
        frames.append(f)
        boxes.append((x, y, 40, 40))
    seq = VideoSequence("move", clip_from_arrays(frames), BoxInit(tuple(map(float, boxes[0]))))
    return seq, np.array(boxes, float)


@pytest.mark.parametrize(
    "head,params",
    [("xcorr", XCorrParams()), ("dcf", DCFParams()), ("mask-box", BoxFromMaskParams())],
)
def test_heads_follow_the_target(moving_target, head, params):
    seq, gt = moving_target
    ex, _ = create_model("pixels")
    preds = list(HEADS.get(head)(params).track(seq, ex))
    assert [p.index for p in preds] == list(range(len(gt)))
    boxes = np.array([p.box for p in preds])
    ious = rect_iou(boxes, gt)
    assert ious.mean() > 0.6, ious
    assert all(p.seconds >= 0 for p in preds)


def test_dcf_update_switch_and_params_matter(moving_target):
    seq, _ = moving_target
    ex, _ = create_model("pixels")
    a = [p.box for p in HEADS.get("dcf")(DCFParams(lr=0.5)).track(seq, ex)]
    b = [p.box for p in HEADS.get("dcf")(DCFParams(lr=0.5, update=False)).track(seq, ex)]
    siamfc = XCorrParams(**XCORR_PRESETS["siamfc"].params())
    c = [p.box for p in HEADS.get("xcorr")(replace(siamfc, window_influence=0.9)).track(seq, ex)]
    d = [p.box for p in HEADS.get("xcorr")(siamfc).track(seq, ex)]
    assert a != b and c != d
    with pytest.raises(ValueError, match="odd"):
        XCorrParams(scale_num=2)
    p = siamfc
    assert (
        p.scale_num,
        p.scale_step,
        p.scale_penalty,
        p.scale_lr,
        p.response_up,
        p.window_influence,
        p.exemplar_sz,
        p.instance_sz,
        p.context,
    ) == (3, 1.0375, 0.9745, 0.59, 16, 0.35, 128, 256, 0.5)
    q = DCFParams()
    assert (
        q.crop_sz,
        q.padding,
        q.lambda0,
        q.output_sigma,
        q.lr,
        q.scale_num,
        q.scale_step,
        q.scale_penalty,
    ) == (520, 3.5, 1e-4, 0.1, 0.01, 3, 1.0275, 0.985)


def test_size_clamped(moving_target):
    seq, _ = moving_target
    ex, _ = create_model("pixels")
    for preset in ("siamfc", "unitrack"):
        p = replace(
            XCorrParams(**XCORR_PRESETS[preset].params()),
            scale_step=1.5, scale_penalty=1.0, scale_lr=1.0, max_scale=1.2, min_scale=0.9,
        )  # fmt: skip
        for pred in HEADS.get("xcorr")(p).track(seq, ex):
            assert 36 - 1e-6 <= pred.box[2] <= 48 + 1e-6


def test_crop_is_exact_for_identity_window():
    import torch

    img = torch.arange(2 * 3 * 4 * 6, dtype=torch.float32).view(2, 3, 4, 6)[:1]
    out = crop(img, (3.0, 2.0), (6.0, 4.0), (6, 4))
    torch.testing.assert_close(out, img)


def test_box_initialised_vos(blob_sequence):
    frames, masks = blob_sequence
    m0 = masks[0].copy()
    m0[30:40, 20:30] = 0  # a notch: the box fills it
    box = boxes_as_mask(m0, (1,))
    assert box[30:40, 20:30].all() and box.sum() == 80 * 80
    ex, _ = create_model("pixels")
    seq = VideoSequence("b", clip_from_arrays(frames), MaskInit(m0, (1,)))
    a = list(HEADS.get("propagation")(PropagationParams()).track(seq, ex))
    b = list(HEADS.get("propagation")(PropagationParams(init_from_box=True)).track(seq, ex))
    assert (a[0].labels == b[0].labels).all()  # frame 0 is the given annotation either way
    assert (b[1].labels == 1).sum() > (a[1].labels == 1).sum()  # the box filled the notch


def test_ridge_kernel_discriminates_background(moving_target):
    """On the first frame, the ridge kernel's response peaks at the target, and it differs from
    the plain exemplar kernel (it was fitted against the background windows)."""
    import torch
    from unibench.heads.sot import RidgeHead, XCorrHead, _features

    seq, _ = moving_target
    ex, _ = create_model("pixels")
    img = ex.preprocess(seq.clip.frame(0))
    x, y, w, h = seq.init.box
    c = (x + w / 2, y + h / 2)
    p = RidgeParams()
    ctx = p.context * (w + h)
    z = ((w + ctx) * (h + ctx)) ** 0.5
    xs = z * p.instance_sz / p.exemplar_sz
    k_r = RidgeHead(p)._kernel(ex, img, c, z, xs)
    k_x = XCorrHead(p)._kernel(ex, img, c, z, xs)
    assert k_r.shape == k_x.shape and not torch.allclose(k_r, k_x)
    inst = torch.nn.functional.normalize(
        _features(ex, crop(img, c, (xs, xs), (p.instance_sz, p.instance_sz))), dim=1
    )
    resp = torch.nn.functional.conv2d(inst, k_r)[0, 0]
    iy, ix = divmod(int(resp.argmax()), resp.shape[-1])
    assert abs(iy - resp.shape[0] // 2) <= 1 and abs(ix - resp.shape[1] // 2) <= 1


def test_ridge_head_tracks_with_its_own_kernel(moving_target, monkeypatch):
    """The ridge head must correlate with the ridge kernel, not the plain exemplar."""
    from unibench.heads.sot import RidgeHead, XCorrHead

    seq, _ = moving_target
    ex, _ = create_model("resnet18")
    calls = []
    original = RidgeHead._kernel

    def spy(self, *a):
        calls.append(1)
        return original(self, *a)

    monkeypatch.setattr(RidgeHead, "_kernel", spy)
    ridge = [p.box for p in RidgeHead(RidgeParams()).track(seq, ex)]
    xcorr = [
        p.box for p in XCorrHead(XCorrParams(**XCORR_PRESETS["siamfc"].params())).track(seq, ex)
    ]
    assert calls == [1]
    assert ridge != xcorr  # random 256-d features: the fitted kernel changes the responses
