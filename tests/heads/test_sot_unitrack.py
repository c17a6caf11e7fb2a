"""The SOT heads' ``unitrack`` protocols against UniTrack's test trackers, re-derived here.

``test_sot_siamfc.py`` and ``test_sot_cfnet.py`` of UniTrack (with ``models/siamfc.py``,
``models/cfnet.py`` and ``utils.crop_chw`` / ``gaussian_shaped_labels``) are written below from their
definitions in NumPy, independently of ``unibench.heads.sot``: the crop is an explicit bilinear
``warpAffine`` of the box corners onto 0…519 with zero padding, the features an 8 × 8 average, the
correlation a sliding window, the filter NumPy's FFT. The heads run on the same features through a
minimal extractor; the first frames' boxes must agree.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from clips import clip_from_arrays
from unibench.heads import HEADS
from unibench.heads.sot import DCFParams, XCorrParams, _clamp_size

from unibench.datatypes import BoxInit, VideoSequence

CROP, STRIDE, PAD = 520, 8, 3.5
N_FRAMES = 6


class _AvgPool:
    """An appearance model: the 8 × 8 average of the image (stride 8)."""

    def __call__(self, x, taps):
        return {"avg": F.avg_pool2d(x, STRIDE)}


def _extractor():
    return SimpleNamespace(
        preprocess=lambda f: torch.from_numpy(f).permute(2, 0, 1)[None].float() / 255,
        model=_AvgPool(),
        tap="avg",
        info=SimpleNamespace(stride=STRIDE),
    )


@pytest.fixture(scope="module")
def target():
    """A textured 30 × 44 box moving (5, 3) px/frame and growing over a textured 200 × 260 frame."""
    rng = np.random.default_rng(7)
    H, W = 200, 260
    bg = (rng.uniform(0, 1, (H, W, 3)) * [90, 60, 120]).astype(np.uint8)
    tex = (rng.uniform(0.4, 1, (60, 60, 3)) * [250, 200, 60]).astype(np.uint8)
    frames = []
    for t in range(N_FRAMES):
        f = bg.copy()
        w, h = 30 + t, 44 + t
        x, y = 60 + 5 * t, 70 + 3 * t
        f[y : y + h, x : x + w] = tex[:h, :w]
        frames.append(f)
    seq = VideoSequence("move", clip_from_arrays(frames), BoxInit((60.0, 70.0, 30.0, 44.0)))
    return seq, [f.astype(np.float64) / 255 for f in frames]


# --------------------------------------------------------------------------- reference, in NumPy
def crop_chw(im, bbox, out):
    """utils.crop_chw: warpAffine of bbox corners onto pixel centres 0 … out − 1, zero border."""
    H, W, _ = im.shape
    a = (out - 1) / (bbox[2] - bbox[0])
    b = (out - 1) / (bbox[3] - bbox[1])
    xs = bbox[0] + np.arange(out) / a
    ys = bbox[1] + np.arange(out) / b
    x0, y0 = np.floor(xs).astype(int), np.floor(ys).astype(int)
    fx, fy = xs - x0, ys - y0
    res = np.zeros((out, out, im.shape[2]))
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            yy, xx = y0 + dy, x0 + dx
            oky, okx = (yy >= 0) & (yy < H), (xx >= 0) & (xx < W)
            vals = im[np.clip(yy, 0, H - 1)][:, np.clip(xx, 0, W - 1)]
            vals = vals * (oky[:, None] & okx[None, :])[..., None]
            res += vals * (wy[:, None] * wx[None, :])[..., None]
    return res.transpose(2, 0, 1)


def features(patch):
    C, S, _ = patch.shape
    n = S // STRIDE
    return patch[:, : n * STRIDE, : n * STRIDE].reshape(C, n, STRIDE, n, STRIDE).mean((2, 4))


def bbox_of(pos, wsz):
    return np.array(
        [pos[0] - wsz[0] / 2, pos[1] - wsz[1] / 2, pos[0] + wsz[0] / 2, pos[1] + wsz[1] / 2]
    )


def setup(im, box):
    pos = np.array([box[0] + box[2] / 2, box[1] + box[3] / 2])  # rect1_2_cxy_wh (1-based − 1)
    sz = np.array(box[2:], float)
    min_sz = np.maximum(0.2 * sz, 4)
    max_sz = np.minimum(im.shape[:2], 5 * sz)  # (H, W) against (w, h), as UniTrack
    return pos, sz, min_sz, max_sz


SCALES = 1.0275 ** (np.arange(3) - 1)
PENALTIES = 0.985 ** np.abs(np.arange(3) - 1)
HANN = np.outer(np.hanning(65), np.hanning(65))


def siamfc_reference(frames, box):
    pos, sz, min_sz, max_sz = setup(frames[0], box)
    zf = features(crop_chw(frames[0], bbox_of(pos, sz * (1 + PAD)), CROP))
    ts = zf.shape[-1]
    bg, ed = ts // 2 - int(ts // (2 * (PAD + 1))), ts // 2 + int(ts // (2 * (PAD + 1)))
    zf = zf[:, bg:ed, bg:ed]
    out = [np.r_[pos - sz / 2 + 1, sz]]  # cxy_wh_2_rect1, 1-based (0-based + 1)
    for im in frames[1:]:
        resp = []
        for s in SCALES:
            xf = features(crop_chw(im, bbox_of(pos, sz * s * (1 + PAD)), CROP)) * HANN
            win = np.lib.stride_tricks.sliding_window_view(xf, zf.shape)[0]
            resp.append(0.1 * np.einsum("ijcyx,cyx->ij", win, zf))
        resp = np.stack(resp)
        R = resp.shape[-1]
        flat = resp.reshape(3, -1)
        best = np.argmax(flat.max(1) * PENALTIES)
        r, c = np.unravel_index(flat[best].argmax(), (R, R))
        window = sz * SCALES[best] * (1 + PAD)
        pos = pos + (np.array([c, r]) - R * 0.5) * window / R
        sz = np.minimum(np.maximum(window / (1 + PAD), min_sz), max_sz)
        out.append(np.r_[pos - sz / 2 + 1, sz])
    return np.array(out)


def gaussian_shaped_labels(sigma, sz):
    x, y = np.meshgrid(
        np.arange(1, sz[0] + 1) - np.floor(sz[0] / 2), np.arange(1, sz[1] + 1) - np.floor(sz[1] / 2)
    )
    g = np.exp(-0.5 / sigma**2 * (x**2 + y**2))
    g = np.roll(g, int(-np.floor(sz[0] / 2) + 1), axis=0)
    return np.roll(g, int(-np.floor(sz[1] / 2) + 1), axis=1)


def cfnet_reference(frames, box, lr=0.01):
    ts = CROP // STRIDE
    yf = np.fft.rfft2(gaussian_shaped_labels(ts / (1 + PAD) * 0.1, [ts, ts]))
    line = np.zeros(ts)
    line[ts // 2 - int(ts // (2 * (PAD + 1))) : ts // 2 + int(ts // (2 * (PAD + 1)))] = 1
    inner = np.outer(line, line)

    def train(z):
        zf = np.fft.rfft2(features(z) * inner)
        return yf / ((np.abs(zf) ** 2).sum(0) + 1e-4), zf

    pos, sz, min_sz, max_sz = setup(frames[0], box)
    alphaf, zf = train(crop_chw(frames[0], bbox_of(pos, sz * (1 + PAD)), CROP))
    out = [np.r_[pos - sz / 2 + 1, sz]]
    for im in frames[1:]:
        resp = []
        for s in SCALES:
            xf = np.fft.rfft2(features(crop_chw(im, bbox_of(pos, sz * s * (1 + PAD)), CROP)) * HANN)
            kxzf = (xf * np.conj(zf)).sum(0)
            resp.append(np.fft.irfft2(kxzf * alphaf))  # no signal sizes: 65 × 64
        resp = np.stack(resp)
        assert resp.shape[1:] == (65, 64)
        flat = resp.reshape(3, -1)
        best = np.argmax(flat.max(1) * PENALTIES)
        r, c = np.unravel_index(flat[best].argmax(), (ts, ts))  # unravelled as 65 × 65
        r = r - ts if r > ts / 2 else r
        c = c - ts if c > ts / 2 else c
        window = sz * SCALES[best] * (1 + PAD)
        pos = pos + np.array([c, r]) * window / ts
        sz = np.minimum(np.maximum(window / (1 + PAD), min_sz), max_sz)
        a, z = train(crop_chw(im, bbox_of(pos, sz * (1 + PAD)), CROP))
        alphaf, zf = (1 - lr) * alphaf + lr * a, (1 - lr) * zf + lr * z
        out.append(np.r_[pos - sz / 2 + 1, sz])
    return np.array(out)


# ----------------------------------------------------------------------------------------- tests
def _boxes(head, params, seq):
    return np.array([p.box for p in HEADS.get(head)(params).track(seq, _extractor())])


def test_xcorr_unitrack_equals_unitracks_siamfc_test_tracker(target):
    seq, frames = target
    ref = siamfc_reference(frames, seq.init.box)
    got = _boxes("xcorr", XCorrParams(), seq)
    assert got == pytest.approx(ref, abs=2e-3)
    assert np.abs(np.diff(ref[:, 0])).max() > 1  # the target does move


def test_dcf_unitrack_equals_unitracks_cfnet_test_tracker(target):
    seq, frames = target
    ref = cfnet_reference(frames, seq.init.box)
    got = _boxes("dcf", DCFParams(), seq)
    assert got == pytest.approx(ref, abs=2e-3)


def test_quirk_flags_change_what_they_name(target):
    seq, _ = target
    base = _boxes("xcorr", XCorrParams(), seq)
    shifted = _boxes("xcorr", XCorrParams(plus_one_offsets=False), seq)
    assert shifted[:, :2] == pytest.approx(base[:, :2] - 1) and shifted[:, 2:] == pytest.approx(
        base[:, 2:]
    )
    dcf = _boxes("dcf", DCFParams(), seq)
    full = _boxes("dcf", DCFParams(truncated_irfft=False), seq)
    assert not np.allclose(dcf, full)  # the 65 × 64 response moves the boxes
    corrected = _boxes("xcorr", XCorrParams(response_offset_quirk=False), seq)
    assert not np.allclose(corrected, base)


def test_size_clamp_by_height_width_as_unitrack():
    p = XCorrParams()
    # a wide frame (H 100, W 400) and a wide target: 5 × 90 = 450 px, clamped by H (100) in hw
    assert _clamp_size((450.0, 40.0), (90.0, 20.0), p, (100, 400)) == (100.0, 40.0)
    q = XCorrParams(size_clamp="wh")
    assert _clamp_size((450.0, 40.0), (90.0, 20.0), q, (100, 400)) == (400.0, 40.0)
    r = XCorrParams(size_clamp="none")
    assert _clamp_size((450.0, 40.0), (90.0, 20.0), r, (100, 400)) == (450.0, 40.0)
    assert _clamp_size((1.0, 1.0), (10.0, 40.0), p, (100, 400)) == (4.0, 8.0)  # ≥ 4 px, ≥ 0.2×


def test_presets_are_whole_protocols():
    from unibench.heads.sot import DCF_PRESETS, XCORR_PRESETS

    for name, preset in XCORR_PRESETS.items():
        p = XCorrParams(**preset.params())
        assert p.preset == name
    assert XCorrParams(**XCORR_PRESETS["unitrack"].params()) == XCorrParams()
    assert DCFParams(**DCF_PRESETS["unitrack"].params()) == DCFParams()
    c = DCFParams(**DCF_PRESETS["corrected"].params())
    assert (c.truncated_irfft, c.plus_one_offsets, c.size_clamp) == (False, False, "wh")
