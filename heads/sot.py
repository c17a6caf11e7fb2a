"""Box propagation heads for single-object tracking on the appearance model's feature maps.

* ``xcorr``: SiamFC-style cross-correlation. The exemplar (the first-frame target with context,
  resized to ``exemplar_sz``) is correlated with search crops (``instance_sz``) at ``scale_num``
  scales; the response is up-sampled ``response_up``×, non-central scales are penalised, the best
  scale's map is normalised and blended with a cosine (Hann) window, and the peak moves the target;
  the size follows the best scale with damping ``scale_lr`` and is clamped to 0.2–5× the initial size
  and at least ``min_size`` px. Defaults are UniTrack's SiamFC configuration.
* ``dcf``: a closed-form discriminative correlation filter in the Fourier domain (DCFNet style) on the
  same features: ridge regression of a Gaussian label (σ = ``output_sigma`` × target size in cells)
  with a linear kernel, ``λ``, cosine window, 3 scales; ``update`` switches the running model update
  (rate ``lr``) on or off (the UniTrack paper describes none).

Crops are sampled bilinearly from the normalised frame, padded with the frame's mean colour; boxes
are ``x, y, w, h`` with ``x + w/2`` the centre (continuous pixel coordinates).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from unibench.heads.base import HEADS

from unibench.types import BoxFramePrediction, VideoSequence


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


def _features(extractor, x: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return extractor.model(x, [extractor.tap])[extractor.tap].float()


def _clamp_size(sz, init, p) -> tuple[float, float]:
    w = min(max(sz[0], p.min_scale * init[0], p.min_size), p.max_scale * init[0])
    h = min(max(sz[1], p.min_scale * init[1], p.min_size), p.max_scale * init[1])
    return w, h


@dataclass
class XCorrParams:
    """UniTrack's SiamFC configuration."""

    scale_num: int = 3
    scale_step: float = 1.0375
    scale_penalty: float = 0.9745
    scale_lr: float = 0.59
    response_up: int = 16
    window_influence: float = 0.35
    exemplar_sz: int = 128
    instance_sz: int = 256
    context: float = 0.5
    min_scale: float = 0.2
    max_scale: float = 5.0
    min_size: float = 10.0
    normalize: bool = True  # cosine response: L2-normalise every feature cell

    def __post_init__(self) -> None:
        if self.scale_num < 1 or self.scale_num % 2 == 0:
            raise ValueError(f"scale_num must be odd and >= 1, got {self.scale_num}")
        if self.instance_sz <= self.exemplar_sz:
            raise ValueError("instance_sz must exceed exemplar_sz")


@HEADS.register("xcorr")
class XCorrHead:
    task = "sot"
    Params = XCorrParams

    def __init__(self, params: XCorrParams) -> None:
        self.p = params

    def _kernel(self, extractor, img, center, z_sz, x_sz) -> torch.Tensor:
        """The correlation kernel: the exemplar's features (1×C×h×w)."""
        p = self.p
        zf = _features(
            extractor, crop(img, tuple(center), (z_sz, z_sz), (p.exemplar_sz, p.exemplar_sz))
        )
        return F.normalize(zf, dim=1) if p.normalize else zf

    def track(self, seq: VideoSequence, extractor) -> Iterator[BoxFramePrediction]:
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
        zf = self._kernel(extractor, img, center, z_sz, x_sz)
        n = p.scale_num
        factors = p.scale_step ** torch.linspace(-(n // 2), n // 2, n)
        stride = extractor.info.stride
        hann = None
        yield BoxFramePrediction(0, (x, y, w, h), time.perf_counter() - t0)
        for t in range(1, len(seq.clip)):
            t0 = time.perf_counter()
            img = extractor.preprocess(seq.clip.frame(t))
            crops = torch.cat(
                [
                    crop(img, tuple(center), (x_sz * f, x_sz * f), (p.instance_sz, p.instance_sz))
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
            sz = _clamp_size((sz[0] * scale, sz[1] * scale), init_sz, p)
            z_sz, x_sz = sizes(sz)
            box = (center[0] - sz[0] / 2, center[1] - sz[1] / 2, sz[0], sz[1])
            yield BoxFramePrediction(t, box, time.perf_counter() - t0)


@dataclass
class DCFParams:
    """UniTrack's DCF configuration (DCFNet style)."""

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
    min_size: float = 10.0
    normalize: bool = True

    def __post_init__(self) -> None:
        if self.scale_num < 1 or self.scale_num % 2 == 0:
            raise ValueError(f"scale_num must be odd and >= 1, got {self.scale_num}")
        if self.lambda0 <= 0:
            raise ValueError("lambda0 must be > 0")


@HEADS.register("dcf")
class DCFHead:
    task = "sot"
    Params = DCFParams

    def __init__(self, params: DCFParams) -> None:
        self.p = params

    def _feat(self, extractor, img, center, window, cos):
        x = _features(extractor, crop(img, tuple(center), window, (self.p.crop_sz, self.p.crop_sz)))
        if self.p.normalize:
            x = F.normalize(x, dim=1)
        return x[0] * cos

    def _train(self, xf: torch.Tensor, yf: torch.Tensor) -> torch.Tensor:
        kzz = (xf * xf.conj()).real.sum(0)
        return yf / (kzz + self.p.lambda0)

    def track(self, seq: VideoSequence, extractor) -> Iterator[BoxFramePrediction]:
        p = self.p
        x, y, w, h = seq.init.box
        t0 = time.perf_counter()
        center = [x + w / 2, y + h / 2]
        init_sz = (w, h)
        sz = (w, h)
        img = extractor.preprocess(seq.clip.frame(0))
        window = (sz[0] * (1 + p.padding), sz[1] * (1 + p.padding))
        probe = _features(extractor, torch.zeros(1, 3, p.crop_sz, p.crop_sz))
        g_h, g_w = probe.shape[-2:]
        cos = torch.outer(
            torch.hann_window(g_h, periodic=False), torch.hann_window(g_w, periodic=False)
        )
        sigma = math.sqrt(g_h * g_w) / (1 + p.padding) * p.output_sigma
        iy = torch.arange(g_h, dtype=torch.float32)
        ix = torch.arange(g_w, dtype=torch.float32)
        iy = torch.where(iy < g_h / 2, iy, iy - g_h)
        ix = torch.where(ix < g_w / 2, ix, ix - g_w)
        label = torch.exp(-(iy[:, None] ** 2 + ix[None, :] ** 2) / (2 * sigma**2))
        yf = torch.fft.fft2(label)
        zf = torch.fft.fft2(self._feat(extractor, img, center, window, cos))
        alphaf = self._train(zf, yf)
        n = p.scale_num
        factors = (p.scale_step ** torch.linspace(-(n // 2), n // 2, n)).tolist()
        yield BoxFramePrediction(0, (x, y, w, h), time.perf_counter() - t0)
        for t in range(1, len(seq.clip)):
            t0 = time.perf_counter()
            img = extractor.preprocess(seq.clip.frame(t))
            best, best_val, best_resp = 0, -math.inf, None
            for i, f in enumerate(factors):
                xf = torch.fft.fft2(
                    self._feat(extractor, img, center, (window[0] * f, window[1] * f), cos)
                )
                resp = torch.fft.ifft2((xf * zf.conj()).sum(0) * alphaf).real
                val = float(resp.max()) * (1.0 if i == n // 2 else p.scale_penalty)
                if val > best_val:
                    best, best_val, best_resp = i, val, resp
            loc = int(best_resp.argmax())
            dy, dx = divmod(loc, g_w)
            dy = dy - g_h if dy > g_h / 2 else dy
            dx = dx - g_w if dx > g_w / 2 else dx
            f = factors[best]
            center = [center[0] + dx * window[0] * f / g_w, center[1] + dy * window[1] * f / g_h]
            sz = _clamp_size((sz[0] * f, sz[1] * f), init_sz, p)
            window = (sz[0] * (1 + p.padding), sz[1] * (1 + p.padding))
            if p.update:
                xf = torch.fft.fft2(self._feat(extractor, img, center, window, cos))
                zf = (1 - p.lr) * zf + p.lr * xf
                alphaf = (1 - p.lr) * alphaf + p.lr * self._train(xf, yf)
            box = (center[0] - sz[0] / 2, center[1] - sz[1] / 2, sz[0], sz[1])
            yield BoxFramePrediction(t, box, time.perf_counter() - t0)


@dataclass
class RidgeParams(XCorrParams):
    """XCorr's search and scale machinery with a ridge-regressed kernel."""

    lambda0: float = 0.1  # ridge weight, relative to the mean sample energy
    label_sigma: float = 1.0  # Gaussian label width in feature cells

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.lambda0 <= 0 or self.label_sigma <= 0:
            raise ValueError("lambda0 and label_sigma must be > 0")


@HEADS.register("ridge")
class RidgeHead(XCorrHead):
    """A training-free template learned in closed form on the first frame ("Learning to Track Any
    Object"): every exemplar-sized window of the first frame's search crop is a sample, labelled
    by a Gaussian of its offset from the target (1 at the target, → 0 on background); the kernel is
    the ridge-regression solution ``w = Xᵀ (X Xᵀ + λI)⁻¹ y`` (dual form, one solve per sequence),
    then correlated like XCorr on every frame. Unlike DCF, negatives are real windows, not circular
    shifts."""

    Params = RidgeParams

    def _kernel(self, extractor, img, center, z_sz, x_sz) -> torch.Tensor:
        p = self.p
        z = _features(extractor, torch.zeros(1, 3, p.exemplar_sz, p.exemplar_sz))
        kh, kw = z.shape[-2:]
        xf = _features(
            extractor, crop(img, tuple(center), (x_sz, x_sz), (p.instance_sz, p.instance_sz))
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
