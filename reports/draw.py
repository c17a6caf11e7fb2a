"""Drawing a run's predictions over its frames (``unibench show``, the report's contact sheets):
masks as a palette overlay with contours, boxes, tracks with one colour per identity and short
trails, skeletons, a banner of text, a strip of per-frame scores, frames side by side and contact
sheets. Pure numpy and Pillow (no OpenCV, no display): a frame is an ``H×W×3`` uint8 array.

Colours: label ``k`` of a VOS map takes DAVIS's palette colour ``k`` (the colours of the official
PNGs), a track identity a colour from a fixed, well-separated cycle, so an identity keeps its colour
across frames, sequences and runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from unibench.benchmarks.formats.palette import PALETTE

from unibench.datatypes import Drawn, FrameView, SequenceView

_DAVIS = np.array(PALETTE[: 256 * 3], np.uint8).reshape(-1, 3)
# tab20's colours, reordered so neighbours differ (identities 1, 2, 3… stay apart)
_CYCLE = np.array(
    [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
     (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
     (174, 199, 232), (255, 187, 120), (152, 223, 138), (255, 152, 150), (197, 176, 213),
     (196, 156, 148), (247, 182, 210), (199, 199, 199), (219, 219, 141), (158, 218, 229)],
    np.uint8,
)  # fmt: skip
GT_COLOUR = (255, 255, 255)
FAIL_COLOUR = (230, 30, 30)


def label_colour(k: int) -> tuple[int, int, int]:
    """DAVIS's palette colour of label ``k`` (the official PNGs' colours)."""
    return tuple(int(v) for v in _DAVIS[int(k) % 256])


def ident_colour(ident: int) -> tuple[int, int, int]:
    """A track identity's colour (fixed per identity)."""
    return tuple(int(v) for v in _CYCLE[(int(ident) * 7) % len(_CYCLE)])


def _scale(img: np.ndarray) -> float:
    """How much larger than a 480p frame ``img`` is: line widths and text grow with it, so a
    1080p MOT frame reads like a DAVIS one once both are shown at the same size."""
    return max(1.0, min(img.shape[:2]) / 480)  # the short side: panels side by side stay at 1


def _font(size: int = 12) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: the bitmap font only
        return ImageFont.load_default()


def contours(mask: np.ndarray) -> np.ndarray:
    """The boundary pixels of a boolean mask (a pixel of the mask with a 4-neighbour outside)."""
    m = np.asarray(mask, bool)
    inner = m.copy()
    inner[1:, :] &= m[:-1, :]
    inner[:-1, :] &= m[1:, :]
    inner[:, 1:] &= m[:, :-1]
    inner[:, :-1] &= m[:, 1:]
    return m & ~inner


def overlay_labels(img: np.ndarray, labels: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """A VOS label map over the frame: each object tinted with its palette colour, its contour
    drawn solid; background (0) untouched."""
    out = np.array(img, np.uint8, copy=True)
    lab = np.asarray(labels)
    rows, cols = np.flatnonzero(lab.any(1)), np.flatnonzero(lab.any(0))
    if not len(rows):
        return out
    # only the objects' bounding box, grown by a pixel so that contours at its edge see the
    # background beyond it (the same pixels as over the whole frame)
    y0, y1 = max(rows[0] - 1, 0), min(rows[-1] + 2, lab.shape[0])
    x0, x1 = max(cols[0] - 1, 0), min(cols[-1] + 2, lab.shape[1])
    crop, lc = out[y0:y1, x0:x1], lab[y0:y1, x0:x1]
    fg = lc > 0
    a = int(round(alpha * 256))
    col = _DAVIS[(lc[fg].astype(np.int64) % 256)].astype(np.uint16)
    crop[fg] = ((crop[fg].astype(np.uint16) * (256 - a) + col * a + 128) >> 8).astype(np.uint8)
    present = np.flatnonzero(np.bincount(lc[fg].astype(np.int64).ravel()))
    for k in present:
        crop[contours(lc == k)] = _DAVIS[int(k) % 256]
    return out


def draw_objects(
    img: np.ndarray,
    objects: Sequence[Drawn],
    *,
    gt: bool = False,
    skeleton: Sequence[tuple[int, int]] = (),
    trails: dict[int, list[tuple[float, float]]] | None = None,
) -> np.ndarray:
    """Boxes, masks and points of ``objects`` over the frame, each in its identity's colour
    (ground truth: white, thin, no fill); ``trails``: recent centres per identity, drawn as a
    fading line."""
    out = img.copy()
    for o in objects:
        if o.mask is not None and not gt:
            m = np.asarray(o.mask, bool)
            c = np.array(ident_colour(o.ident), np.float32)
            out[m] = (0.55 * out[m] + 0.45 * c).astype(np.uint8)
            out[contours(m)] = c.astype(np.uint8)
    pil = Image.fromarray(out)
    d = ImageDraw.Draw(pil)
    s = _scale(img)
    font = _font(round(11 * s))
    thin, thick = max(1, round(s)), max(2, round(2 * s))
    for ident, pts in (trails or {}).items():
        if len(pts) > 1:
            d.line([tuple(map(float, p)) for p in pts], fill=ident_colour(ident), width=thick)
    for o in objects:
        col = GT_COLOUR if gt else ident_colour(o.ident)
        if o.box is not None and all(np.isfinite(o.box)):
            x, y, w, h = o.box
            d.rectangle([x, y, x + w, y + h], outline=col, width=thin if gt else thick)
        if o.points is not None:
            p = np.asarray(o.points, float)
            seen = p[:, 2] > 0 if p.shape[1] > 2 else np.ones(len(p), bool)
            for a, b in skeleton:
                if a < len(p) and b < len(p) and seen[a] and seen[b]:
                    d.line([tuple(p[a, :2]), tuple(p[b, :2])], fill=col,
                           width=thin if gt else thick)  # fmt: skip
            r = round((2 if gt else 3) * s)
            for (x, y), ok in zip(p[:, :2], seen, strict=True):
                if ok and np.isfinite(x) and np.isfinite(y):
                    d.ellipse([x - r, y - r, x + r, y + r], outline=col, fill=None if gt else col)
        if o.text and not gt:
            anchor = _anchor(o, round(12 * s))
            if anchor is not None:
                tb = d.textbbox(anchor, o.text, font=font)
                d.rectangle(tb, fill=col)
                d.text(anchor, o.text, fill=(0, 0, 0), font=font)
    return np.asarray(pil)


def _anchor(o: Drawn, lift: int = 12) -> tuple[float, float] | None:
    """Where an object's label goes: its box's top-left, else its mask's or points' top-left."""
    if o.box is not None and all(np.isfinite(o.box)):
        return float(o.box[0]), max(0.0, float(o.box[1]) - lift)
    if o.mask is not None and np.asarray(o.mask).any():
        ys, xs = np.nonzero(o.mask)
        return float(xs.min()), max(0.0, float(ys.min()) - lift)
    if o.points is not None and len(o.points):
        p = np.asarray(o.points, float)
        ok = np.isfinite(p[:, 0])
        if ok.any():
            return float(p[ok, 0].min()), max(0.0, float(p[ok, 1].min()) - lift)
    return None


def banner(
    img: np.ndarray, lines: Sequence[str], colour=(0, 0, 0), alert: bool = False,
    bottom: bool = False,
) -> np.ndarray:  # fmt: skip
    """Text lines on a strip at the top (``bottom``: the foot) of the frame, red where
    ``alert``."""
    font = _font(round(13 * _scale(img)))
    boxes = [font.getbbox(ln) for ln in lines]
    y = 2
    if bottom:
        y = img.shape[0] - 2 - sum(b[3] + 3 for b in boxes)
    # only the band the lines cover goes through PIL (a full frame's round trip per banner was
    # a tenth of a render's time)
    y0 = max(0, min(y, y + min((b[1] for b in boxes), default=0)) - 2)
    y1 = min(img.shape[0], y + sum(b[3] + 3 for b in boxes) + 2)
    if y1 <= y0:
        return img.copy()
    pil = Image.fromarray(np.ascontiguousarray(img[y0:y1]))
    d = ImageDraw.Draw(pil)
    y -= y0
    for line in lines:
        tb = d.textbbox((4, y), line, font=font)
        d.rectangle((tb[0] - 2, tb[1] - 1, tb[2] + 2, tb[3] + 1),
                    fill=FAIL_COLOUR if alert else colour)  # fmt: skip
        d.text((4, y), line, fill=(255, 255, 255), font=font)
        y = tb[3] + 3
    out = img.copy()
    out[y0:y1] = np.asarray(pil)
    return out


def legend(img: np.ndarray, items: Sequence[tuple[int, str]]) -> np.ndarray:
    """``(label, text)`` lines at the foot of the frame, each behind a swatch of the label's
    palette colour (R-VOS: which colour is which expression)."""
    if not items:
        return img
    pil = Image.fromarray(img)
    d = ImageDraw.Draw(pil)
    s = _scale(img)
    font = _font(round(12 * s))
    sw = round(10 * s)
    y = img.shape[0] - 2
    for k, text in reversed(items):
        h = font.getbbox(text)[3] + 4
        y -= h
        tb = d.textbbox((sw + 8, y), text, font=font)
        d.rectangle((2, tb[1] - 2, tb[2] + 3, tb[3] + 2), fill=(0, 0, 0))
        d.rectangle((4, tb[1], 4 + sw, tb[1] + sw), fill=label_colour(k))
        d.text((sw + 8, y), text, fill=(255, 255, 255), font=font)
    return np.asarray(pil)


def score_strip(
    scores: Sequence[float | None], t: int, width: int, height: int = 34, events=()
) -> np.ndarray:
    """Per-frame scores as a bar strip (0…1 bottom to top), frame ``t`` marked; frames with an
    event (failure, switch) marked red at the top."""
    img = np.full((height, width, 3), 32, np.uint8)
    n = max(1, len(scores))
    xs = np.linspace(0, width, n + 1).astype(int)
    for i, v in enumerate(scores):
        if v is None or not np.isfinite(v):
            continue
        h = int(round(min(max(v, 0.0), 1.0) * (height - 6)))
        img[height - 1 - h : height - 1, xs[i] : max(xs[i] + 1, xs[i + 1])] = (80, 170, 90)
    for i, ev in enumerate(events):
        if ev:
            img[0:4, xs[i] : max(xs[i] + 1, xs[i + 1])] = FAIL_COLOUR
    img[:, xs[min(t, n - 1)] : max(xs[min(t, n - 1)] + 1, xs[min(t, n - 1) + 1])] = (255, 255, 255)
    return img


def hstack(images: Sequence[np.ndarray], gap: int = 4) -> np.ndarray:
    """Frames side by side (heights padded to the tallest), ``gap`` pixels apart."""
    h = max(i.shape[0] for i in images)
    padded = [np.pad(i, ((0, h - i.shape[0]), (0, 0), (0, 0))) for i in images]
    sep = np.zeros((h, gap, 3), np.uint8)
    out = [padded[0]]
    for i in padded[1:]:
        out += [sep, i]
    return np.concatenate(out, 1)


def vstack(images: Sequence[np.ndarray]) -> np.ndarray:
    w = max(i.shape[1] for i in images)
    return np.concatenate([np.pad(i, ((0, 0), (0, w - i.shape[1]), (0, 0))) for i in images], 0)


def render_frame(
    img: np.ndarray,
    view: FrameView,
    seq: SequenceView,
    trails: dict[int, list[tuple[float, float]]] | None = None,
    gt_beside: bool = True,
) -> np.ndarray:
    """One frame of a run drawn: the prediction over the frame, and (VOS, where the split has
    it) the ground truth beside it; boxes, tracks and poses over the ground truth drawn thin."""
    if view.labels is not None:
        pred = legend(overlay_labels(img, view.labels), seq.legend)
        if gt_beside and view.gt_labels is not None:
            gt = banner(overlay_labels(img, view.gt_labels), ["ground truth"])
            return hstack([pred, gt])
        return pred
    out = draw_objects(img, view.gt_objects, gt=True, skeleton=seq.skeleton)
    return draw_objects(out, view.objects, skeleton=seq.skeleton, trails=trails)


def contact_sheet(
    tiles: Sequence[np.ndarray], captions: Sequence[str], columns: int = 4, width: int = 320
) -> np.ndarray:
    """Tiles (frames already drawn) resized to ``width`` and laid out in a grid, each captioned."""
    small = []
    for tile, cap in zip(tiles, captions, strict=True):
        h = max(1, round(tile.shape[0] * width / tile.shape[1]))
        im = np.asarray(Image.fromarray(tile).resize((width, h), Image.BILINEAR))
        small.append(banner(im, [cap], bottom=True))
    rows = [hstack(small[i : i + columns]) for i in range(0, len(small), columns)]
    return vstack(rows) if rows else np.zeros((10, width, 3), np.uint8)
