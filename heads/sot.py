"""Box propagation heads for single-object tracking on the appearance model's feature maps.

The default protocols reproduce the trackers UniTrack's SOT scripts run (``test/test_sot_siamfc.py``
with ``tracker/sot/lib/models/siamfc.py``, ``test/test_sot_cfnet.py`` with ``models/cfnet.py``; helpers
in ``tracker/sot/lib/utils/utils.py``), written here from their definitions:

* ``xcorr`` protocol ``unitrack``: one crop of the target box × (1 + ``padding``) (not square) resampled
  to ``crop_sz`` = 520 px (``crop_chw``: ``warpAffine`` of the box corners onto 0…519, zero padding in
  normalised space); the template is the centre ``ts//2 ± int(ts // (2 (padding + 1)))`` cells (14 ×
  14 of 65 × 65) of the first frame's raw features; at each of 3 scales (step 1.0275) the search
  crop's features × a 65 × 65 Hann window are correlated with it, response = 0.1 · conv (52 × 52, no
  up-sampling); peaks × 0.985^|scale offset|; the best moves the target by (peak − 26) · window / 52
  and sets the size to window / 4.5, undamped, clamped to [max(0.2 × initial, 4 px), min(5 ×
  initial, image)]. Protocol ``siamfc``: the earlier SiamFC-3s tracker (below).
* ``dcf`` (UniTrack's CFNet test tracker): the same crops; a linear-kernel correlation filter trained
  in the Fourier domain on the template features × a box window over the inner 14 × 14 cells
  (``alphaf = yf / (Σ_c |zf|² + λ)``, Gaussian label σ = 65 / 4.5 × 0.1 rolled to the origin), the
  search features × the Hann window; the response's inverse FFT is ``torch.irfft`` without
  ``signal_sizes`` (65 × 64), whose peak is unravelled as if 65 × 65; the model is updated at rate
  0.01 every frame.

UniTrack's quirks that change numbers are flags that the ``corrected`` presets turn off:
``plus_one_offsets`` (result boxes 1 px right and down: its OTB writer adds 1 to x, y of boxes that
are already 1-based), ``size_clamp="hw"`` (the size (w, h) is clamped by ``im.shape[:2]`` = (H, W)),
``response_offset_quirk`` (xcorr: zero shift taken at response index 26 where the template sits at
25, and one response cell taken as window / 52 instead of 8 crop pixels) and ``truncated_irfft``
(dcf: the 65 × 64 response). The earlier UniBench behaviours are presets too: ``siamfc`` for xcorr,
``unibench`` for dcf. Boxes are ``x, y, w, h`` with ``x + w/2`` the centre (0-based, continuous).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from unibench.heads.base import Head, load_presets, preset_file, register_head

from unibench.datatypes import BoxFramePrediction, VideoSequence


def crop(
    img: torch.Tensor, center: tuple[float, float], size: tuple[float, float], out: tuple[int, int]
) -> torch.Tensor:
    """Resample the ``size`` (w, h) window around ``center`` of ``img`` (1×3×H×W) to ``out`` (w, h),
    padding outside the frame with the frame's mean colour."""
    _, _, H, W = img.shape
    mean = img.mean((2, 3), keepdim=True)
    ow, oh = out
    u = (torch.arange(ow, device=img.device, dtype=img.dtype) + 0.5) / ow
    v = (torch.arange(oh, device=img.device, dtype=img.dtype) + 0.5) / oh
    xs = center[0] - size[0] / 2 + u * size[0]
    ys = center[1] - size[1] / 2 + v * size[1]
    gx = 2 * xs / W - 1
    gy = 2 * ys / H - 1
    grid = torch.stack(torch.meshgrid(gy, gx, indexing="ij")[::-1], -1)[None]
    patch = F.grid_sample(
        img - mean, grid, mode="bilinear", padding_mode="zeros", align_corners=False
    )
    return patch + mean


def crop_corners(
    img: torch.Tensor, center: tuple[float, float], size: tuple[float, float], out: int
) -> torch.Tensor:
    """UniTrack's ``crop_chw``: the box ``center ± size / 2`` mapped by ``warpAffine`` so that its
    corners land on the centres of output pixels 0 and ``out − 1``; bilinear, input pixel centres at
    integer coordinates, zero (normalised space) outside the frame. (OpenCV quantises sample positions
    to 1/32 px; this samples at the exact positions.)"""
    _, _, H, W = img.shape
    x1, y1 = center[0] - size[0] / 2, center[1] - size[1] / 2
    u = torch.arange(out, device=img.device, dtype=torch.float64)
    xs = x1 + u * (size[0] / (out - 1))
    ys = y1 + u * (size[1] / (out - 1))
    gx = (2 * xs / max(W - 1, 1) - 1).to(img.dtype)
    gy = (2 * ys / max(H - 1, 1) - 1).to(img.dtype)
    grid = torch.stack(torch.meshgrid(gy, gx, indexing="ij")[::-1], -1)[None]
    return F.grid_sample(img, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def _crop(img, center, size, out: int, geometry: str) -> torch.Tensor:
    if geometry == "corners":
        return crop_corners(img, center, size, out)
    return crop(img, center, size, (out, out))


def _features(extractor, x: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return extractor.model(x, [extractor.tap])[extractor.tap].float()


def _clamp_size(sz, init, p, image_hw: tuple[int, int] | None = None) -> tuple[float, float]:
    """Size clamped to [max(min_scale × initial, min_size), min(max_scale × initial, image)].
    ``size_clamp``: ``hw`` compares (w, h) with (H, W) as UniTrack does, ``wh`` with (W, H),
    ``none`` applies no image bound."""
    lim = [p.max_scale * init[0], p.max_scale * init[1]]
    if image_hw is not None and p.size_clamp != "none":
        H, W = image_hw
        bound = (H, W) if p.size_clamp == "hw" else (W, H)
        lim = [min(lim[0], bound[0]), min(lim[1], bound[1])]
    w = min(max(sz[0], max(p.min_scale * init[0], p.min_size)), lim[0])
    h = min(max(sz[1], max(p.min_scale * init[1], p.min_size)), lim[1])
    return w, h


def _hann(n: int) -> torch.Tensor:
    """``np.outer(np.hanning(n), np.hanning(n))``."""
    h = torch.hann_window(n, periodic=False, dtype=torch.float32)
    return torch.outer(h, h)


def _inner(ts: int, padding: float) -> tuple[int, int]:
    """The template cells of a ``ts`` map: ``ts//2 ± int(ts // (2 (padding + 1)))`` (siamfc.py
    ``update``, cfnet's ``inner_line``)."""
    half = int(ts // (2 * (padding + 1)))
    return ts // 2 - half, ts // 2 + half


def _box(center, sz, plus_one: bool) -> tuple[float, float, float, float]:
    off = 1.0 if plus_one else 0.0
    return (center[0] - sz[0] / 2 + off, center[1] - sz[1] / 2 + off, sz[0], sz[1])


SizeClamp = Literal["hw", "wh", "none"]


@dataclass
class XCorrParams:
    """``protocol=unitrack`` (the default) is UniTrack's SiamFC test tracker; ``siamfc`` the
    SiamFC-3s tracker UniBench ran before. Fields read by one protocol only say so."""

    preset: Literal["unitrack", "corrected", "siamfc"] = "unitrack"
    protocol: Literal["unitrack", "siamfc"] = "unitrack"
    scale_num: int = 3
    scale_step: float = 1.0275
    scale_penalty: float = 0.985
    min_scale: float = 0.2
    max_scale: float = 5.0
    min_size: float = 4.0
    # unitrack: one (w, h) × (1 + padding) crop, raw features, Hann-windowed search, 0.1 · conv
    crop_sz: int = 520
    padding: float = 3.5
    response_scale: float = 0.1
    crop_geometry: Literal["corners", "centres"] = "corners"
    response_offset_quirk: bool = True  # unitrack: (peak − R/2) · window / R
    plus_one_offsets: bool = True
    size_clamp: SizeClamp = "hw"
    # siamfc: square exemplar/instance crops, up-sampled response, Hann blend, damped scale
    scale_lr: float = 0.59
    response_up: int = 16
    window_influence: float = 0.35
    exemplar_sz: int = 128
    instance_sz: int = 256
    context: float = 0.5
    normalize: bool = False  # L2-normalise every feature cell (cosine response)

    def __post_init__(self) -> None:
        if self.scale_num < 1 or self.scale_num % 2 == 0:
            raise ValueError(f"scale_num must be odd and >= 1, got {self.scale_num}")
        if self.instance_sz <= self.exemplar_sz:
            raise ValueError("instance_sz must exceed exemplar_sz")
        if self.crop_sz < 16 or self.padding <= 0:
            raise ValueError("crop_sz must be >= 16 and padding > 0")


# named presets: unitrack (the default), corrected, siamfc; each value with its reference file:line
XCORR_PRESETS = load_presets(preset_file(__file__, "xcorr"), XCorrParams).presets


@register_head("xcorr")
class XCorrHead(Head):
    task = "sot"
    version = 1  # behaviour version: bump with any change of output (tests/golden)
    Params = XCorrParams
    presets = XCORR_PRESETS

    p: XCorrParams

    def track(self, seq: VideoSequence, extractor) -> Iterator[BoxFramePrediction]:
        if self.p.protocol == "unitrack":
            return self._track_unitrack(seq, extractor)
        return self._track_siamfc(seq, extractor)

    def _track_unitrack(self, seq: VideoSequence, extractor) -> Iterator[BoxFramePrediction]:
        """UniTrack's test_sot_siamfc.py ``track`` loop."""
        p = self.p
        x, y, w, h = seq.init.box
        t0 = time.perf_counter()
        pos = np.array([x + w / 2, y + h / 2])  # rect1_2_cxy_wh of the 1-based box
        sz = np.array([w, h], float)
        img = extractor.preprocess(seq.clip.frame(0))
        image_hw = tuple(img.shape[-2:])
        init = tuple(sz)
        pad = 1 + p.padding
        zf = _features(extractor, _crop(img, pos, sz * pad, p.crop_sz, p.crop_geometry))
        ts = zf.shape[-1]
        bg, ed = _inner(ts, p.padding)
        zf = zf[:, :, bg:ed, bg:ed]
        if p.normalize:
            zf = F.normalize(zf, dim=1)
        hann = _hann(ts).to(zf.device)
        n = p.scale_num
        offsets = np.arange(n) - n // 2
        factors = p.scale_step**offsets
        penalties = p.scale_penalty ** np.abs(offsets)
        stride = extractor.info.stride
        yield BoxFramePrediction(0, _box(pos, sz, p.plus_one_offsets), time.perf_counter() - t0)
        for t in range(1, len(seq.clip)):
            t0 = time.perf_counter()
            img = extractor.preprocess(seq.clip.frame(t))
            crops = torch.cat(
                [_crop(img, pos, sz * f * pad, p.crop_sz, p.crop_geometry) for f in factors]
            )
            xf = _features(extractor, crops)
            if p.normalize:
                xf = F.normalize(xf, dim=1)
            resp = p.response_scale * F.conv2d(xf * hann, zf)  # S×1×R×R (Corr_Up, eval mode)
            R = resp.shape[-1]
            peak, idx = resp.flatten(1).max(1)
            best = int(np.argmax(peak.double().numpy() * penalties))
            r, c = divmod(int(idx[best]), R)
            window = sz * factors[best] * pad
            if p.response_offset_quirk:  # (peak − R·0.5) · window / R
                shift = (np.array([c, r], float) - R * 0.5) * window / R
            else:  # the template sits at cell bg; a cell is `stride` crop pixels
                shift = (np.array([c, r], float) - bg) * stride * window / (p.crop_sz - 1)
            pos = pos + shift
            sz = np.array(_clamp_size(window / pad, init, p, image_hw))
            yield BoxFramePrediction(
                t,
                _box(pos, sz, p.plus_one_offsets),
                time.perf_counter() - t0,
                float(peak[best]),  # confidence: the chosen scale's response peak
            )

    def _kernel(self, extractor, img, center, z_sz, x_sz) -> torch.Tensor:
        """The correlation kernel: the exemplar's features (1×C×h×w)."""
        p = self.p
        zf = _features(
            extractor, _crop(img, tuple(center), (z_sz, z_sz), p.exemplar_sz, p.crop_geometry)
        )
        return F.normalize(zf, dim=1) if p.normalize else zf

    def _track_siamfc(self, seq: VideoSequence, extractor) -> Iterator[BoxFramePrediction]:
        """SiamFC-3s: square exemplar/instance crops, up-sampled response, Hann blend."""
        p = self.p
        x, y, w, h = seq.init.box
        t0 = time.perf_counter()
        center = [x + w / 2, y + h / 2]
        init_sz = (w, h)
        sz = (w, h)

        def sizes(sz):
            ctx = p.context * (sz[0] + sz[1])
            z = math.sqrt((sz[0] + ctx) * (sz[1] + ctx))
            return z, z * p.instance_sz / p.exemplar_sz

        z_sz, x_sz = sizes(sz)
        img = extractor.preprocess(seq.clip.frame(0))
        image_hw = tuple(img.shape[-2:])
        zf = self._kernel(extractor, img, center, z_sz, x_sz)
        n = p.scale_num
        factors = p.scale_step ** torch.linspace(-(n // 2), n // 2, n)
        stride = extractor.info.stride
        hann = None
        yield BoxFramePrediction(0, _box(center, sz, p.plus_one_offsets), time.perf_counter() - t0)
        for t in range(1, len(seq.clip)):
            t0 = time.perf_counter()
            img = extractor.preprocess(seq.clip.frame(t))
            crops = torch.cat(
                [
                    _crop(img, tuple(center), (x_sz * f, x_sz * f), p.instance_sz, p.crop_geometry)
                    for f in factors.tolist()
                ]
            )
            xf = _features(extractor, crops)
            if p.normalize:
                xf = F.normalize(xf, dim=1)
            resp = F.conv2d(xf, zf) / (zf.shape[-1] * zf.shape[-2])  # S×1×r×r
            r = resp.shape[-1]
            up_sz = r * p.response_up
            up = F.interpolate(resp, size=(up_sz, up_sz), mode="bicubic", align_corners=False)[:, 0]
            penalty = torch.full((n,), p.scale_penalty)
            penalty[n // 2] = 1.0
            best = int((up.flatten(1).amax(1) * penalty).argmax())
            m = up[best]
            m = m - m.min()
            m = m / (m.sum() + 1e-16)
            if hann is None or hann.shape[0] != up_sz:
                h1 = torch.hann_window(up_sz + 2, periodic=False)[1:-1]
                hann = torch.outer(h1, h1)
                hann = hann / hann.sum()
            m = (1 - p.window_influence) * m + p.window_influence * hann
            loc = int(m.argmax())
            py, px = divmod(loc, up_sz)
            disp = torch.tensor([px, py], dtype=torch.float64) - (up_sz - 1) / 2
            disp = disp * stride / p.response_up * x_sz * float(factors[best]) / p.instance_sz
            center = [center[0] + float(disp[0]), center[1] + float(disp[1])]
            scale = (1 - p.scale_lr) + p.scale_lr * float(factors[best])
            sz = _clamp_size((sz[0] * scale, sz[1] * scale), init_sz, p, image_hw)
            z_sz, x_sz = sizes(sz)
            yield BoxFramePrediction(
                t,
                _box(center, sz, p.plus_one_offsets),
                time.perf_counter() - t0,
                float(up[best].max()),  # confidence: the up-sampled response peak
            )


@dataclass
class DCFParams:
    """UniTrack's CFNet test tracker (DCFNet's closed form) by default; every place where the
    tracker UniBench ran before differed is a field (``head.preset=unibench`` sets them all)."""

    preset: Literal["unitrack", "corrected", "unibench"] = "unitrack"
    crop_sz: int = 520
    padding: float = 3.5
    lambda0: float = 1e-4
    output_sigma: float = 0.1
    lr: float = 0.01
    update: bool = True
    scale_num: int = 3
    scale_step: float = 1.0275
    scale_penalty: float = 0.985
    min_scale: float = 0.2
    max_scale: float = 5.0
    min_size: float = 4.0
    normalize: bool = False  # L2-normalise every feature cell
    template_window: Literal["box", "cosine"] = "box"  # box: ones over the inner 14 × 14 cells
    crop_geometry: Literal["corners", "centres"] = "corners"
    truncated_irfft: bool = True  # torch.irfft without signal_sizes: a 65 × 64 response
    plus_one_offsets: bool = True
    size_clamp: SizeClamp = "hw"

    def __post_init__(self) -> None:
        if self.scale_num < 1 or self.scale_num % 2 == 0:
            raise ValueError(f"scale_num must be odd and >= 1, got {self.scale_num}")
        if not (math.isfinite(self.lambda0) and self.lambda0 > 0):
            raise ValueError("lambda0 must be a finite number > 0")


# named presets: unitrack (the default), corrected, unibench; each value with its reference file:line
DCF_PRESETS = load_presets(preset_file(__file__, "dcf"), DCFParams).presets


def gaussian_label(sigma: float, h: int, w: int) -> torch.Tensor:
    """UniTrack's ``gaussian_shaped_labels``: a Gaussian over ``arange(1, n + 1) − n // 2``, rolled by
    ``−n // 2 + 1`` so that its peak sits at index 0."""
    ys = torch.arange(1, h + 1, dtype=torch.float64) - h // 2
    xs = torch.arange(1, w + 1, dtype=torch.float64) - w // 2
    g = torch.exp(-0.5 / sigma**2 * (ys[:, None] ** 2 + xs[None, :] ** 2))
    return torch.roll(g, (-(h // 2) + 1, -(w // 2) + 1), (0, 1)).float()


@register_head("dcf")
class DCFHead(Head):
    task = "sot"
    version = 1  # behaviour version: bump with any change of output (tests/golden)
    Params = DCFParams
    presets = DCF_PRESETS

    p: DCFParams

    def _feat(self, extractor, img, center, window, win):
        p = self.p
        x = _features(extractor, _crop(img, center, window, p.crop_sz, p.crop_geometry))
        if p.normalize:
            x = F.normalize(x, dim=1)
        return x[0] * win

    def _train(self, xf: torch.Tensor, yf: torch.Tensor) -> torch.Tensor:
        kzz = (xf * xf.conj()).real.sum(0)
        return yf / (kzz + self.p.lambda0)

    def _response(self, spec: torch.Tensor) -> torch.Tensor:
        """The inverse FFT of the response spectrum (``g_h × g_w``). ``truncated_irfft``: old
        ``torch.irfft(signal_ndim=2)`` on the one-sided half without ``signal_sizes``, whose last
        dimension comes back as ``2 (g_w // 2)`` (64 for 65)."""
        g_w = spec.shape[-1]
        if self.p.truncated_irfft:
            half = spec[..., : g_w // 2 + 1]
            return torch.fft.irfft2(half, s=(spec.shape[-2], 2 * (g_w // 2)))
        return torch.fft.ifft2(spec).real

    def track(self, seq: VideoSequence, extractor) -> Iterator[BoxFramePrediction]:
        p = self.p
        x, y, w, h = seq.init.box
        t0 = time.perf_counter()
        center = [x + w / 2, y + h / 2]
        init_sz = (w, h)
        sz = (w, h)
        img = extractor.preprocess(seq.clip.frame(0))
        image_hw = tuple(img.shape[-2:])
        window = (sz[0] * (1 + p.padding), sz[1] * (1 + p.padding))
        probe = _features(extractor, torch.zeros(1, 3, p.crop_sz, p.crop_sz))
        g_h, g_w = probe.shape[-2:]
        cos = torch.outer(
            torch.hann_window(g_h, periodic=False), torch.hann_window(g_w, periodic=False)
        )
        if p.template_window == "box":  # cfnet's inner_window
            line_h, line_w = torch.zeros(g_h), torch.zeros(g_w)
            line_h[slice(*_inner(g_h, p.padding))] = 1
            line_w[slice(*_inner(g_w, p.padding))] = 1
            zwin = torch.outer(line_h, line_w)
        else:
            zwin = cos
        sigma = math.sqrt(g_h * g_w) / (1 + p.padding) * p.output_sigma
        yf = torch.fft.fft2(gaussian_label(sigma, g_h, g_w))
        zf = torch.fft.fft2(self._feat(extractor, img, center, window, zwin))
        alphaf = self._train(zf, yf)
        n = p.scale_num
        factors = (p.scale_step ** torch.linspace(-(n // 2), n // 2, n)).tolist()
        yield BoxFramePrediction(0, _box(center, sz, p.plus_one_offsets), time.perf_counter() - t0)
        for t in range(1, len(seq.clip)):
            t0 = time.perf_counter()
            img = extractor.preprocess(seq.clip.frame(t))
            best, best_val, best_resp = 0, -math.inf, None
            for i, f in enumerate(factors):
                xf = torch.fft.fft2(
                    self._feat(extractor, img, center, (window[0] * f, window[1] * f), cos)
                )
                resp = self._response((xf * zf.conj()).sum(0) * alphaf)
                val = float(resp.max()) * p.scale_penalty ** abs(i - n // 2)
                if val > best_val:
                    best, best_val, best_resp = i, val, resp
            # unravelled on the g_h × g_w grid whatever the response's width (UniTrack's
            # np.unravel_index(idx, net_output_size))
            dy, dx = divmod(int(best_resp.argmax()), g_w)
            dy = dy - g_h if dy > g_h / 2 else dy
            dx = dx - g_w if dx > g_w / 2 else dx
            f = factors[best]
            center = [center[0] + dx * window[0] * f / g_w, center[1] + dy * window[1] * f / g_h]
            sz = _clamp_size((sz[0] * f, sz[1] * f), init_sz, p, image_hw)
            window = (sz[0] * (1 + p.padding), sz[1] * (1 + p.padding))
            if p.update:
                xf = torch.fft.fft2(self._feat(extractor, img, center, window, zwin))
                zf = (1 - p.lr) * zf + p.lr * xf
                alphaf = (1 - p.lr) * alphaf + p.lr * self._train(xf, yf)
            yield BoxFramePrediction(
                t,
                _box(center, sz, p.plus_one_offsets),
                time.perf_counter() - t0,
                float(best_resp.max()),  # confidence: the correlation filter's peak
            )


@dataclass
class RidgeParams(XCorrParams):
    """XCorr's SiamFC-3s search and scale machinery with a ridge-regressed kernel."""

    preset: Literal["siamfc"] = "siamfc"
    protocol: Literal["siamfc"] = "siamfc"
    scale_step: float = 1.0375
    scale_penalty: float = 0.9745
    min_size: float = 10.0
    crop_geometry: Literal["corners", "centres"] = "centres"
    plus_one_offsets: bool = False
    size_clamp: SizeClamp = "none"
    normalize: bool = True
    lambda0: float = 0.1  # ridge weight, relative to the mean sample energy
    label_sigma: float = 1.0  # Gaussian label width in feature cells

    def __post_init__(self) -> None:
        super().__post_init__()
        if not all(math.isfinite(v) and v > 0 for v in (self.lambda0, self.label_sigma)):
            raise ValueError("lambda0 and label_sigma must be finite numbers > 0")


@register_head("ridge")
class RidgeHead(XCorrHead):
    """A training-free template learned in closed form on the first frame ("Learning to Track Any
    Object"): every exemplar-sized window of the first frame's search crop is a sample, labelled
    by a Gaussian of its offset from the target (1 at the target, → 0 on background); the kernel is
    the ridge-regression solution ``w = Xᵀ (X Xᵀ + λI)⁻¹ y`` (dual form, one solve per sequence),
    then correlated like XCorr on every frame. Unlike DCF, negatives are real windows, not circular
    shifts."""

    version = 1  # its own behaviour version (not XCorr's)

    Params = RidgeParams
    presets = MappingProxyType({})  # RidgeParams' own defaults are its protocol
    p: RidgeParams

    def _kernel(self, extractor, img, center, z_sz, x_sz) -> torch.Tensor:
        p = self.p
        z = _features(extractor, torch.zeros(1, 3, p.exemplar_sz, p.exemplar_sz))
        kh, kw = z.shape[-2:]
        xf = _features(
            extractor, _crop(img, tuple(center), (x_sz, x_sz), p.instance_sz, p.crop_geometry)
        )
        if p.normalize:
            xf = F.normalize(xf, dim=1)
        C = xf.shape[1]
        cols = F.unfold(xf, (kh, kw))[0].t().double()  # windows × (C·kh·kw)
        n_y = xf.shape[-2] - kh + 1
        n_x = xf.shape[-1] - kw + 1
        oy = torch.arange(n_y, dtype=torch.float64) - (n_y - 1) / 2
        ox = torch.arange(n_x, dtype=torch.float64) - (n_x - 1) / 2
        label = torch.exp(-(oy[:, None] ** 2 + ox[None, :] ** 2) / (2 * p.label_sigma**2))
        K = cols @ cols.t()
        lam = p.lambda0 * float(K.diagonal().mean())
        alpha = torch.linalg.solve(K + lam * torch.eye(len(K), dtype=K.dtype), label.flatten())
        w = (cols.t() @ alpha).float().view(1, C, kh, kw)
        # scale so that responses are comparable with XCorr's cosine (cells-averaged) responses
        return w * (kh * kw) / w.norm().clamp_min(1e-12)
