"""The embedded synthetic suite: one scene model, rendered and written in official formats.

A :class:`Scene` holds a textured background that the camera pans over and several textured objects
(ellipse, box, diamond) that move, scale and occlude each other (fixed depth order). Rendering a frame
gives the RGB image, the visible label map, and per object the visible mask, its box and keypoints,
so every task's ground truth comes from the same scene. Everything is deterministic from the seed.

Writers turn scenes into official layouts (DAVIS-2017 here; the other formats reuse the same
scenes), and the suite is read back through the same adapters as real data. The suite is generated
once into ``$UNIBENCH_CACHE/synthetic/<version>-seed<seed>/`` (default ``~/.cache/unibench``).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from unibench.benchmarks.base import parse_options, register_benchmark
from unibench.benchmarks.davis import Davis
from unibench.benchmarks.formats.boxes import write_boxes
from unibench.benchmarks.formats.jsonfiles import (
    person_category,
    write_json,
    write_posetrack_video,
    write_vis_instances,
)
from unibench.benchmarks.formats.motchallenge import mot_line
from unibench.benchmarks.formats.mots import mots_line
from unibench.benchmarks.formats.palette import write_palette_png
from unibench.benchmarks.formats.regions import Region, format_region
from unibench.benchmarks.formats.rle import compressed_rle, encode_counts, uncompressed_rle
from unibench.benchmarks.got10k import GOT10k
from unibench.benchmarks.jhmdb import JHMDB, JHMDB_JOINTS
from unibench.benchmarks.metrics.posetrack import PoseEvalOptions
from unibench.benchmarks.mot import MOTChallenge
from unibench.benchmarks.mots import MOTS20
from unibench.benchmarks.otb import OTB
from unibench.benchmarks.posetrack import PoseTrack18
from unibench.benchmarks.refvos import RefVOSOptions, RefYouTubeVOS
from unibench.benchmarks.vot import VOTChallenge
from unibench.benchmarks.youtubevis import VISBenchmark, VISOptions
from unibench.benchmarks.youtubevos import YouTubeVOS, YTVOSOptions

from unibench.io import atomic_write_text, file_lock, staging_dir
from unibench.keypoints import POSETRACK18_KEYPOINTS

logger = logging.getLogger(__name__)
VERSION = "v1"


@dataclass
class SceneObject:
    oid: int
    shape: str  # ellipse | box | diamond
    half_size: tuple[float, float]  # (rx, ry) at scale 1
    texture: np.ndarray  # h×w×3 float in [0, 255], attached to the object
    centers: np.ndarray  # T×2 (x, y) in image coordinates
    scales: np.ndarray  # T
    keypoints: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # K×2 in object units


@dataclass
class Scene:
    name: str
    height: int
    width: int
    background: np.ndarray  # bigger than the frame; the camera pans over it
    pan: np.ndarray  # T×2 integer (x, y) offsets of the view into the background
    objects: list[SceneObject]  # back to front
    noise: float
    seed: int

    @property
    def length(self) -> int:
        return len(self.pan)


@dataclass
class RenderedFrame:
    rgb: np.ndarray
    labels: np.ndarray  # visible object id per pixel, 0 = background
    boxes: dict[int, tuple[float, float, float, float]]  # visible box x, y, w, h
    keypoints: dict[int, np.ndarray]  # K×3 (x, y, visible)
    amodal: dict[int, tuple[float, float, float, float]]  # full extent x, y, w, h (continuous)
    visible: dict[int, float]  # visible fraction of the object's in-frame area


def texture(rng: np.random.Generator, h: int, w: int, colors: np.ndarray) -> np.ndarray:
    """A smooth random texture: oriented sinusoids plus blurred noise mapped onto 3 colours."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    field_ = np.zeros((h, w), np.float32)
    for _ in range(4):
        theta = rng.uniform(0, np.pi)
        freq = rng.uniform(0.03, 0.15)
        field_ += np.sin(freq * (np.cos(theta) * xx + np.sin(theta) * yy) + rng.uniform(0, 6.28))
    noise = rng.normal(size=(h // 8 + 2, w // 8 + 2)).astype(np.float32)
    noise = np.asarray(Image.fromarray(noise).resize((w, h), Image.BICUBIC))
    field_ = field_ / 4 + 0.6 * noise
    t = (np.tanh(field_) + 1) / 2  # [0, 1]
    t2 = np.clip(t * 2, 0, 1)[..., None]
    t3 = np.clip(t * 2 - 1, 0, 1)[..., None]
    out = colors[0] * (1 - t2) + colors[1] * t2
    return out * (1 - t3) + colors[2] * t3


def _palette(rng: np.random.Generator, hue: float) -> np.ndarray:
    import colorsys

    cols = []
    for dh, dv in ((0.0, 0.9), (0.06, 0.6), (-0.05, 0.35)):
        r, g, b = colorsys.hsv_to_rgb((hue + dh) % 1.0, rng.uniform(0.55, 0.95), dv)
        cols.append([r * 255, g * 255, b * 255])
    return np.array(cols, np.float32)


# A PoseTrack18 skeleton (COCO keypoint order) in object units (u right, v down), inside every
# shape (ellipse, box, diamond), so that each object is also a "person" for the pose tasks.
POSE_TEMPLATE = np.array(
    [
        [0.0, -0.7],  # nose
        [0.0, -0.55],  # head_bottom
        [0.0, -0.9],  # head_top
        [0.15, -0.72],  # left_ear
        [-0.15, -0.72],  # right_ear
        [0.3, -0.4],  # left_shoulder
        [-0.3, -0.4],  # right_shoulder
        [0.45, -0.12],  # left_elbow
        [-0.45, -0.12],  # right_elbow
        [0.5, 0.15],  # left_wrist
        [-0.5, 0.15],  # right_wrist
        [0.2, 0.2],  # left_hip
        [-0.2, 0.2],  # right_hip
        [0.25, 0.5],  # left_knee
        [-0.25, 0.5],  # right_knee
        [0.25, 0.72],  # left_ankle
        [-0.25, 0.72],  # right_ankle
    ],
    np.float32,
)
EARS = (3, 4)  # never annotated in PoseTrack18


def make_scene(
    seed: int, name: str, length: int = 24, height: int = 240, width: int = 352, n_objects: int = 3
) -> Scene:
    rng = np.random.default_rng(seed)
    margin = 64
    bg_hue = rng.uniform(0, 1)
    bg = texture(rng, height + 2 * margin, width + 2 * margin, _palette(rng, bg_hue) * 0.8)
    pan_v = rng.uniform(-1.5, 1.5, size=2)
    pan = np.stack([margin + np.round(pan_v * (t - length / 2)) for t in range(length)])
    pan = np.clip(pan, 0, 2 * margin).astype(int)
    objs: list[SceneObject] = []
    slots = np.linspace(0.2, 0.8, n_objects)
    rng.shuffle(slots)
    for i in range(n_objects):
        hue = (bg_hue + 0.25 + 0.5 * i / max(1, n_objects)) % 1.0
        rx, ry = rng.uniform(22, 40), rng.uniform(18, 36)
        tex = texture(rng, 64, 64, _palette(rng, hue))
        x0 = slots[i] * width
        y0 = rng.uniform(0.3, 0.7) * height
        v = rng.uniform(1.5, 4.0, size=2) * rng.choice([-1, 1], size=2)
        centers = np.zeros((length, 2))
        pos = np.array([x0, y0])
        for t in range(length):
            centers[t] = pos
            pos = pos + v
            for d, lim in ((0, width), (1, height)):
                if not 30 <= pos[d] <= lim - 30:
                    v[d] = -v[d]
                    pos[d] = np.clip(pos[d], 30, lim - 30)
        phase, freq = rng.uniform(0, 6.28), rng.uniform(0.5, 1.5)
        scales = 1 + 0.25 * np.sin(2 * np.pi * freq * np.arange(length) / length + phase)
        kps = POSE_TEMPLATE
        objs.append(
            SceneObject(
                i + 1, ("ellipse", "box", "diamond")[i % 3], (rx, ry), tex, centers, scales, kps
            )
        )
    return Scene(name, height, width, bg, pan, objs, noise=3.0, seed=seed)


def _inside(shape: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    if shape == "ellipse":
        return u * u + v * v <= 1
    if shape == "box":
        return (np.abs(u) <= 1) & (np.abs(v) <= 1)
    return np.abs(u) + np.abs(v) <= 1


def render(scene: Scene, t: int) -> RenderedFrame:
    h, w = scene.height, scene.width
    px, py = scene.pan[t]
    rgb = scene.background[py : py + h, px : px + w].copy()
    labels = np.zeros((h, w), np.uint8)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    kps: dict[int, np.ndarray] = {}
    amodal: dict[int, tuple[float, float, float, float]] = {}
    full_area: dict[int, int] = {}
    for o in scene.objects:
        cx, cy = o.centers[t]
        rx, ry = o.half_size[0] * o.scales[t], o.half_size[1] * o.scales[t]
        u, v = (xx - cx) / rx, (yy - cy) / ry
        m = _inside(o.shape, u, v)
        amodal[o.oid] = (float(cx - rx), float(cy - ry), float(2 * rx), float(2 * ry))
        full_area[o.oid] = int(m.sum())
        th, tw = o.texture.shape[:2]
        ti = np.clip(((v[m] + 1) / 2 * (th - 1)).astype(int), 0, th - 1)
        tj = np.clip(((u[m] + 1) / 2 * (tw - 1)).astype(int), 0, tw - 1)
        rgb[m] = o.texture[ti, tj]
        labels[m] = o.oid
        kp = o.keypoints * np.array([rx, ry]) + np.array([cx, cy])
        kps[o.oid] = np.concatenate([kp, np.ones((len(kp), 1))], 1)
    boxes = {}
    for o in scene.objects:
        ys, xs = np.nonzero(labels == o.oid)
        if len(xs):
            boxes[o.oid] = (
                float(xs.min()),
                float(ys.min()),
                float(xs.max() - xs.min() + 1),
                float(ys.max() - ys.min() + 1),
            )
        k = kps[o.oid]
        xi = np.clip(k[:, 0].round().astype(int), 0, w - 1)
        yi = np.clip(k[:, 1].round().astype(int), 0, h - 1)
        inside = (k[:, 0] >= 0) & (k[:, 0] < w) & (k[:, 1] >= 0) & (k[:, 1] < h)
        k[:, 2] = (inside & (labels[yi, xi] == o.oid)).astype(float)
    noise = np.random.default_rng(scene.seed * 1000 + t).normal(0, scene.noise, rgb.shape)
    rgb = np.clip(rgb + noise, 0, 255).astype(np.uint8)
    visible = {
        o.oid: float((labels == o.oid).sum() / max(1, full_area[o.oid])) for o in scene.objects
    }
    return RenderedFrame(rgb, labels, boxes, kps, amodal, visible)


def default_scenes(seed: int = 0, n_sequences: int = 3, length: int = 24) -> list[Scene]:
    return [
        make_scene(seed * 100 + i, f"synth-{i:02d}", length=length, n_objects=2 + (i % 2))
        for i in range(n_sequences)
    ]


# ------------------------------------------------------------------------------------------ writers
def write_davis2017(scenes: list[Scene], root: Path, split: str = "val") -> None:
    """DAVIS-2017 layout: JPEG frames, palette annotations for every frame, ImageSets split file."""
    root = Path(root)
    for sc in scenes:
        img_dir = root / "JPEGImages" / "480p" / sc.name
        ann_dir = root / "Annotations" / "480p" / sc.name
        img_dir.mkdir(parents=True, exist_ok=True)
        ann_dir.mkdir(parents=True, exist_ok=True)
        for t in range(sc.length):
            fr = render(sc, t)
            Image.fromarray(fr.rgb).save(img_dir / f"{t:05d}.jpg", quality=95)
            write_palette_png(ann_dir / f"{t:05d}.png", fr.labels)
    (root / "ImageSets" / "2017").mkdir(parents=True, exist_ok=True)
    (root / "ImageSets" / "2017" / f"{split}.txt").write_text(
        "".join(sc.name + "\n" for sc in scenes)
    )


def write_otb(scenes: list[Scene], root: Path) -> None:
    """OTB-2015 layout: the first object of each scene is the target; 1-based amodal boxes."""
    root = Path(root)
    for sc in scenes:
        img_dir = root / sc.name / "img"
        img_dir.mkdir(parents=True, exist_ok=True)
        boxes = []
        for t in range(sc.length):
            fr = render(sc, t)
            Image.fromarray(fr.rgb).save(img_dir / f"{t + 1:04d}.jpg", quality=95)
            x, y, w, h = fr.amodal[1]
            boxes.append((x + 1, y + 1, w, h))  # OTB's boxes are 1-based
        write_boxes(root / sc.name / "groundtruth_rect.txt", boxes, decimals=2)


def cover_level(visible: float) -> int:
    """GOT-10k-style cover level: 0 = not visible, 1…8 = visible fraction in eighths (rounded up)."""
    return 0 if visible <= 0 else int(min(8, max(1, np.ceil(visible * 8))))


def write_got10k(scenes: list[Scene], root: Path, split: str = "val") -> None:
    """GOT-10k layout: frames, 0-based amodal boxes, absence/cover labels, meta_info.ini."""
    root = Path(root) / split
    for sc in scenes:
        d = root / sc.name
        d.mkdir(parents=True, exist_ok=True)
        gt, cover, absence = [], [], []
        for t in range(sc.length):
            fr = render(sc, t)
            Image.fromarray(fr.rgb).save(d / f"{t + 1:08d}.jpg", quality=95)
            gt.append(fr.amodal[1])
            level = cover_level(fr.visible[1])
            cover.append(f"{level}\n")
            absence.append(f"{int(level == 0)}\n")
        write_boxes(d / "groundtruth.txt", gt)
        (d / "cover.label").write_text("".join(cover))
        (d / "absence.label").write_text("".join(absence))
        (d / "meta_info.ini").write_text(
            f"[METAINFO]\nurl: synthetic\nresolution: ({sc.width}, {sc.height})\n"
            f"object_class: synthetic\nmotion_class: synthetic\n"
        )
    (root / "list.txt").write_text("".join(sc.name + "\n" for sc in scenes))


def mot_scenes(seed: int = 0, n_sequences: int = 2, length: int = 30) -> list[Scene]:
    """Busier scenes for association: 5 objects that cross and occlude each other."""
    return [
        make_scene(seed * 100 + 50 + i, f"SYNTH-{i + 1:02d}", length=length, n_objects=5)
        for i in range(n_sequences)
    ]


def write_mot(scenes: list[Scene], root: Path, split: str = "train") -> None:
    """MOTChallenge layout: img1/, seqinfo.ini, gt/gt.txt (all objects, amodal boxes, class 1,
    visibility) and det/det.txt with noisy detections: 10% of visible objects missed, boxes jittered
    by 5% of their size, ~0.5 false positives per frame with lower scores."""
    root = Path(root) / split
    for sc in mot_scenes(scenes[0].seed // 100 if scenes else 0):
        d = root / sc.name
        (d / "img1").mkdir(parents=True, exist_ok=True)
        (d / "gt").mkdir(exist_ok=True)
        (d / "det").mkdir(exist_ok=True)
        rng = np.random.default_rng(sc.seed + 7)
        gt, det = [], []
        for t in range(sc.length):
            fr = render(sc, t)
            Image.fromarray(fr.rgb).save(d / "img1" / f"{t + 1:06d}.jpg", quality=95)
            for oid, (x, y, w, h) in fr.amodal.items():
                vis = fr.visible[oid]
                if vis <= 0:
                    continue
                gt.append(mot_line(t + 1, oid, (x, y, w, h), f"1,1,{vis:.3f}"))
                if vis < 0.3 or rng.random() < 0.1:
                    continue
                jx, jy, jw, jh = rng.normal(0, 0.05, 4) * [w, h, w, h]
                box = (x + jx, y + jy, w + jw, h + jh)
                det.append(mot_line(t + 1, -1, box, f"{rng.uniform(0.6, 1.0):.3f},-1,-1,-1"))
            for _ in range(rng.poisson(0.5)):
                w, h = rng.uniform(20, 60, 2)
                x, y = rng.uniform(0, sc.width - w), rng.uniform(0, sc.height - h)
                det.append(
                    mot_line(t + 1, -1, (x, y, w, h), f"{rng.uniform(0.5, 0.8):.3f},-1,-1,-1")
                )
        (d / "gt" / "gt.txt").write_text("".join(gt))
        (d / "det" / "det.txt").write_text("".join(det))
        (d / "seqinfo.ini").write_text(_seqinfo(sc))


def _seqinfo(sc: Scene) -> str:
    return (
        f"[Sequence]\nname={sc.name}\nimDir=img1\nframeRate=30\nseqLength={sc.length}\n"
        f"imWidth={sc.width}\nimHeight={sc.height}\nimExt=.jpg\n"
    )


def write_mots(scenes: list[Scene], root: Path, split: str = "train") -> None:
    """MOTS20 layout from the MOT scenes: gt/gt.txt with the visible masks (class 2, id 2000 + object)
    and an ignore region (class 10: a bottom-left corner minus the objects over it), and
    det/det.txt with noisy mask detections and a score column: 10% of visible objects missed, masks
    grown or shrunk by 1–2 px and shifted by up to 2 px, ~0.5 false blobs per frame, some of them in
    the ignore region."""
    from scipy import ndimage

    root = Path(root) / split
    for sc in mot_scenes(scenes[0].seed // 100 if scenes else 0):
        d = root / sc.name
        (d / "img1").mkdir(parents=True, exist_ok=True)
        (d / "gt").mkdir(exist_ok=True)
        (d / "det").mkdir(exist_ok=True)
        rng = np.random.default_rng(sc.seed + 11)
        h, w = sc.height, sc.width
        corner = np.zeros((h, w), bool)
        corner[h - 48 :, :72] = True
        yy, xx = np.mgrid[0:h, 0:w]
        gt, det = [], []
        for t in range(sc.length):
            fr = render(sc, t)
            Image.fromarray(fr.rgb).save(d / "img1" / f"{t + 1:06d}.jpg", quality=95)
            for o in sc.objects:
                m = fr.labels == o.oid
                if not m.any():
                    continue
                gt.append(mots_line(t + 1, 2000 + o.oid, 2, (h, w), encode_counts(m)))
                if fr.visible[o.oid] < 0.3 or rng.random() < 0.1:
                    continue
                k = int(rng.integers(1, 3))
                m = (ndimage.binary_dilation if rng.random() < 0.5 else ndimage.binary_erosion)(
                    m, iterations=k
                )
                m = np.roll(m, tuple(rng.integers(-2, 3, 2)), axis=(0, 1))
                if m.any():
                    det.append(
                        mots_line(t + 1, -1, 2, (h, w), encode_counts(m), rng.uniform(0.6, 1.0))
                    )
            gt.append(mots_line(t + 1, 10000, 10, (h, w), encode_counts(corner & (fr.labels == 0))))
            for _ in range(rng.poisson(0.5)):
                rx, ry = rng.uniform(8, 24, 2)
                in_corner = rng.random() < 0.4
                cx = rng.uniform(rx, 72 - rx) if in_corner else rng.uniform(rx, w - rx)
                cy = rng.uniform(h - 48 + ry, h - ry) if in_corner else rng.uniform(ry, h - ry)
                blob = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1
                det.append(
                    mots_line(t + 1, -1, 2, (h, w), encode_counts(blob), rng.uniform(0.5, 0.8))
                )
        (d / "gt" / "gt.txt").write_text("".join(gt))
        (d / "det" / "det.txt").write_text("".join(det))
        (d / "seqinfo.ini").write_text(_seqinfo(sc))


def _head_box(k: np.ndarray) -> list[float]:
    """A head box around head_top and head_bottom: height 1.2 × their distance, width 0.8 × that."""
    top, bottom = k[2, :2], k[1, :2]
    h = 1.2 * float(np.hypot(*(top - bottom)))
    cx, cy = (top + bottom) / 2
    return [float(cx - 0.4 * h), float(cy - h / 2), 0.8 * h, h]


def write_posetrack(scenes: list[Scene], root: Path, split: str = "val") -> None:
    """PoseTrack18 layout from the MOT scenes (each object a "person" with the 17-point skeleton):
    images/<split>/<video>/000000.jpg, annotations/<split>/<video>.json (every frame labelled,
    visible keypoints only, ears never annotated, head boxes, an ignore region in the top-right
    corner) and detections/<split>/<video>.json: COCO-results pose detections with 10% of persons
    missed, keypoints jittered by 1.5 px and each dropped with probability 0.1, and ~0.3 false poses
    per frame with lower scores."""
    root = Path(root)
    cats = [person_category(skeleton=[])]
    for v, sc in enumerate(mot_scenes(scenes[0].seed // 100 if scenes else 0)):
        vid = f"{v + 1:06d}_synth"
        img_dir = root / "images" / split / vid
        img_dir.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(sc.seed + 13)
        h, w = sc.height, sc.width
        ign_x, ign_y = [w - 70, w - 1, w - 1, w - 70], [0, 0, 44, 44]
        images, anns, dets = [], [], []
        for t in range(sc.length):
            fr = render(sc, t)
            name = f"images/{split}/{vid}/{t:06d}.jpg"
            Image.fromarray(fr.rgb).save(root / name, quality=95)
            image_id = 10_000_000 + (v + 1) * 10_000 + t
            images.append(
                {
                    "id": image_id,
                    "frame_id": image_id,
                    "vid_id": f"{v + 1:06d}",
                    "file_name": name,
                    "nframes": sc.length,
                    "is_labeled": True,
                    "width": w,
                    "height": h,
                    "ignore_regions_x": [ign_x],
                    "ignore_regions_y": [ign_y],
                }
            )
            for o in sc.objects:
                k = fr.keypoints[o.oid].copy()
                k[list(EARS), 2] = 0
                vis = k[:, 2] > 0
                if not vis.any():
                    continue
                gt_k = np.where(vis[:, None], k, 0.0)
                anns.append(
                    {
                        "id": image_id * 100 + o.oid,
                        "image_id": image_id,
                        "track_id": o.oid - 1,
                        "category_id": 1,
                        "keypoints": [round(float(x), 2) for x in gt_k.ravel()],
                        "num_keypoints": int(vis.sum()),
                        "bbox": [round(float(x), 2) for x in fr.amodal[o.oid]],
                        "bbox_head": [round(x, 2) for x in _head_box(fr.keypoints[o.oid])],
                    }
                )
                if vis.sum() < 4 or rng.random() < 0.1:
                    continue
                dk = fr.keypoints[o.oid].copy()
                dk[:, :2] += rng.normal(0, 1.5, (len(dk), 2))
                dk[:, 2] = (dk[:, 2] > 0) & (rng.random(len(dk)) > 0.1)
                dk[:, 2] *= rng.uniform(0.5, 1.0, len(dk))
                dk[dk[:, 2] == 0, :2] = 0
                dets.append(
                    {
                        "image_id": image_id,
                        "category_id": 1,
                        "keypoints": [round(float(x), 3) for x in dk.ravel()],
                        "score": round(float(rng.uniform(0.6, 1.0)), 3),
                    }
                )
            for _ in range(rng.poisson(0.3)):
                s = rng.uniform(15, 30)
                c = rng.uniform([s, s], [w - s, h - s])
                dk = np.c_[POSE_TEMPLATE * s + c, rng.uniform(0.3, 0.8, len(POSE_TEMPLATE))]
                dets.append(
                    {
                        "image_id": image_id,
                        "category_id": 1,
                        "keypoints": [round(float(x), 3) for x in dk.ravel()],
                        "score": round(float(rng.uniform(0.3, 0.7)), 3),
                    }
                )
        for sub in ("annotations", "detections"):
            (root / sub / split).mkdir(parents=True, exist_ok=True)
        write_posetrack_video(root / "annotations" / split / f"{vid}.json", images, anns, cats)
        write_json(root / "detections" / split / f"{vid}.json", dets)


# PoseTrack18 (COCO-order) keypoint → JHMDB joint; the belly is the mean of shoulders and hips
_JHMDB_FROM_COCO = {
    "neck": ("head_bottom",),
    "belly": ("left_shoulder", "right_shoulder", "left_hip", "right_hip"),
    "face": ("nose",),
    "right_shoulder": ("right_shoulder",),
    "left_shoulder": ("left_shoulder",),
    "right_hip": ("right_hip",),
    "left_hip": ("left_hip",),
    "right_elbow": ("right_elbow",),
    "left_elbow": ("left_elbow",),
    "right_knee": ("right_knee",),
    "left_knee": ("left_knee",),
    "right_wrist": ("right_wrist",),
    "left_wrist": ("left_wrist",),
    "right_ankle": ("right_ankle",),
    "left_ankle": ("left_ankle",),
}


def write_jhmdb(scenes: list[Scene], root: Path) -> None:
    """JHMDB layout from the scenes: the first object of each is the person, its skeleton mapped to
    JHMDB's 15 joints: Rename_Images/synth/<video>/00001.png, joint_positions/synth/<video>/
    joint_positions.mat (pos_img 2 × 15 × T, 1-based) and splits/synth_test_split1..3.txt (every
    video in the test split)."""
    import scipy.io

    root = Path(root)
    idx = {n: i for i, n in enumerate(POSETRACK18_KEYPOINTS)}
    videos = []
    for v, sc in enumerate(scenes):
        video = f"synth_video_{v}"
        img_dir = root / "Rename_Images" / "synth" / video
        img_dir.mkdir(parents=True, exist_ok=True)
        pos = []
        person = sc.objects[0].oid
        for t in range(sc.length):
            fr = render(sc, t)
            Image.fromarray(fr.rgb).save(img_dir / f"{t + 1:05d}.png")
            k = fr.keypoints[person]
            pos.append([k[[idx[c] for c in _JHMDB_FROM_COCO[j]], :2].mean(0) for j in JHMDB_JOINTS])
        mat_dir = root / "joint_positions" / "synth" / video
        mat_dir.mkdir(parents=True, exist_ok=True)
        pos_img = np.asarray(pos).transpose(2, 1, 0) + 1.0  # 2 × 15 × T, 1-based as the release
        mat = mat_dir / "joint_positions.mat"
        scipy.io.savemat(mat, {"pos_img": pos_img})
        # the MAT-5 header's 116 text bytes carry a creation time: fix them (deterministic suite)
        raw = bytearray(mat.read_bytes())
        raw[:116] = b"MATLAB 5.0 MAT-file, written by unibench synth".ljust(116)
        mat.write_bytes(bytes(raw))
        videos.append(video)
    (root / "splits").mkdir(parents=True, exist_ok=True)
    for k in (1, 2, 3):
        (root / "splits" / f"synth_test_split{k}.txt").write_text(
            "".join(f"{v}.avi 2\n" for v in videos)
        )


VIS_CATEGORIES = (
    {"id": 1, "name": "ellipse"},
    {"id": 2, "name": "box"},
    {"id": 3, "name": "diamond"},
)


def write_youtubevis(scenes: list[Scene], root: Path, split: str = "train") -> None:
    """YouTube-VIS 2021 layout from the MOT scenes (20 frames each; an object's category is its
    shape: ellipse, box, diamond): <split>/JPEGImages/<video>/00000.jpg … (every 5th frame number,
    as the release), <split>/instances.json with uncompressed-RLE ground truth, areas, boxes, and
    detections/<split>/<video>.json: masks grown or shrunk by 1–2 px and shifted, 10% of visible
    objects missed, 15% given a wrong category, scores 0.6–1.0, ~0.3 false blobs per frame scored
    0.3–0.6. The first video's detections are COCO-style per-frame entries (by file_name), the
    others' VIS results entries (one per detection, null in its other frames)."""
    from scipy import ndimage

    root = Path(root)
    cat_of = {c["name"]: c["id"] for c in VIS_CATEGORIES}
    videos, anns = [], []
    for v, sc in enumerate(mot_scenes(scenes[0].seed // 100 if scenes else 0, length=20)):
        name = f"vis{v:02d}"
        img_dir = root / split / "JPEGImages" / name
        img_dir.mkdir(parents=True, exist_ok=True)
        det_dir = root / "detections" / split
        det_dir.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(sc.seed + 23)
        h, w = sc.height, sc.width
        n = sc.length
        files = [f"{name}/{5 * t:05d}.jpg" for t in range(n)]
        segs: dict[int, list] = {o.oid: [None] * n for o in sc.objects}
        dets: list[tuple[int, np.ndarray, float, int]] = []
        yy, xx = np.mgrid[0:h, 0:w]
        for t in range(n):
            fr = render(sc, t)
            Image.fromarray(fr.rgb).save(root / split / "JPEGImages" / files[t], quality=95)
            for o in sc.objects:
                m = fr.labels == o.oid
                if not m.any():
                    continue
                segs[o.oid][t] = m
                if fr.visible[o.oid] < 0.3 or rng.random() < 0.1:
                    continue
                k = int(rng.integers(1, 3))
                op = ndimage.binary_dilation if rng.random() < 0.5 else ndimage.binary_erosion
                dm = np.roll(op(m, iterations=k), tuple(rng.integers(-2, 3, 2)), axis=(0, 1))
                cat = cat_of[o.shape]
                if rng.random() < 0.15:
                    cat = int(rng.choice([c for c in cat_of.values() if c != cat]))
                if dm.any():
                    dets.append((t, dm, float(rng.uniform(0.6, 1.0)), cat))
            for _ in range(rng.poisson(0.3)):
                rx, ry = rng.uniform(8, 20, 2)
                cx, cy = rng.uniform(rx, w - rx), rng.uniform(ry, h - ry)
                blob = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1
                dets.append((t, blob, float(rng.uniform(0.3, 0.6)), int(rng.integers(1, 4))))
        vid = v + 1
        videos.append({"id": vid, "width": w, "height": h, "length": n, "file_names": files})
        for o in sc.objects:
            masks = segs[o.oid]
            if not any(m is not None for m in masks):
                continue
            anns.append(
                {
                    "id": len(anns) + 1,
                    "video_id": vid,
                    "category_id": cat_of[o.shape],
                    "iscrowd": 0,
                    "height": h,
                    "width": w,
                    "length": 1,
                    "segmentations": [None if m is None else uncompressed_rle(m) for m in masks],
                    "areas": [None if m is None else int(m.sum()) for m in masks],
                    "bboxes": [
                        None
                        if m is None
                        else [
                            float(np.nonzero(m.any(0))[0].min()),
                            float(np.nonzero(m.any(1))[0].min()),
                            float(np.ptp(np.nonzero(m.any(0))[0]) + 1),
                            float(np.ptp(np.nonzero(m.any(1))[0]) + 1),
                        ]
                        for m in masks
                    ],
                }
            )
        entries = []
        for t, m, score, cat in dets:
            rle = compressed_rle(m)
            if v == 0:
                entries.append(
                    {
                        "file_name": files[t],
                        "category_id": cat,
                        "score": round(score, 3),
                        "segmentation": rle,
                    }
                )
            else:
                frames = [None] * n
                frames[t] = rle
                entries.append(
                    {
                        "video_id": vid,
                        "category_id": cat,
                        "score": round(score, 3),
                        "segmentations": frames,
                    }
                )
        write_json(det_dir / f"{name}.json", entries)
    write_vis_instances(
        root / split / "instances.json",
        videos,
        [dict(c, supercategory="shape") for c in VIS_CATEGORIES],
        anns,
        info={"description": "UniBench synthetic YouTube-VIS"},
    )


def write_youtubevos(scenes: list[Scene], root: Path, split: str = "train") -> None:
    """YouTube-VOS layout: <split>/JPEGImages/<seq>/00000.jpg … (every 5th frame number),
    Annotations/<seq>/*.png on every sampled frame (palette) and meta.json (objects, categories =
    shapes, frames). In the first video the last object enters at frame 7: it is outside the
    picture before (not drawn, not annotated), so its first annotated frame is 00035."""

    root = Path(root) / split
    videos = {}
    for v, sc in enumerate(scenes):
        name = f"ytv{v:02d}"
        if v == 0:  # a copy of the scene: the other writers keep theirs
            from dataclasses import replace

            centers = sc.objects[-1].centers.copy()
            centers[:7] = -10_000.0  # far outside the frame: enters at frame 7
            sc = replace(sc, objects=[*sc.objects[:-1], replace(sc.objects[-1], centers=centers)])
        (root / "JPEGImages" / name).mkdir(parents=True, exist_ok=True)
        (root / "Annotations" / name).mkdir(parents=True, exist_ok=True)
        objects: dict[str, dict] = {}
        for t in range(sc.length):
            fr = render(sc, t)
            stem = f"{5 * t:05d}"
            Image.fromarray(fr.rgb).save(root / "JPEGImages" / name / f"{stem}.jpg", quality=95)
            write_palette_png(
                root / "Annotations" / name / f"{stem}.png", fr.labels.astype(np.uint8)
            )
            for o in sc.objects:
                if (fr.labels == o.oid).any():
                    objects.setdefault(str(o.oid), {"category": o.shape, "frames": []})
                    objects[str(o.oid)]["frames"].append(stem)
        videos[name] = {"objects": objects}
    (root / "meta.json").write_text(json.dumps({"videos": videos}, indent=1))


def write_ref_youtubevos(scenes: list[Scene], root: Path, split: str = "train") -> None:
    """Ref-YouTube-VOS layout: the YouTube-VOS suite plus
    ``meta_expressions/<split>/meta_expressions.json`` with two expressions per object (where it
    is in the first frame, which way it moves), each naming its ``obj_id``."""
    write_youtubevos(scenes, root, split)
    meta = json.loads((Path(root) / split / "meta.json").read_text())["videos"]
    videos = {}
    for v, sc in enumerate(scenes):
        name = f"ytv{v:02d}"
        exps: dict[str, dict] = {}
        for o in sc.objects:
            if str(o.oid) not in meta[name]["objects"]:
                continue
            t0 = int(meta[name]["objects"][str(o.oid)]["frames"][0]) // 5
            side = "left" if o.centers[t0, 0] < sc.width / 2 else "right"
            way = "right" if o.centers[-1, 0] >= o.centers[t0, 0] else "left"
            for text in (f"the {o.shape} on the {side}", f"a {o.shape} moving to the {way}"):
                exps[str(len(exps))] = {"exp": text, "obj_id": str(o.oid)}
        frames = sorted(p.stem for p in (Path(root) / split / "JPEGImages" / name).glob("*.jpg"))
        videos[name] = {"expressions": exps, "frames": frames}
    out = Path(root) / "meta_expressions" / split
    out.mkdir(parents=True, exist_ok=True)
    (out / "meta_expressions.json").write_text(json.dumps({"videos": videos}, indent=1))


# ------------------------------------------------------------------------------------------ VOT
VOT_LENGTH = 40


def vot_scene(
    sc: Scene, jump_at: int | None = None, absent: tuple[int, int] | None = None
) -> Scene:
    """A 40-frame scene of ``sc``'s seed whose target (object 1, drawn in front) jumps across the
    image at ``jump_at`` (a jump a local search cannot follow: the reset-based experiment's
    failure) or leaves the view for the frames ``absent`` (a long-term sequence's absence)."""
    s = make_scene(sc.seed + 500, sc.name, length=VOT_LENGTH, n_objects=2)
    target = s.objects[0]
    if jump_at is not None:
        x = target.centers[jump_at:, 0]
        target.centers[jump_at:, 0] = np.where(
            x < s.width / 2, x + s.width * 0.45, x - s.width * 0.45
        )
    if absent is not None:
        target.centers[absent[0] : absent[1]] = (-400.0, -400.0)
    s.objects = s.objects[1:] + [target]  # back to front: the target in front
    return s


def _vot_sequence(sc: Scene, root: Path, region, anchors=None) -> None:
    d = root / sc.name
    (d / "color").mkdir(parents=True, exist_ok=True)
    lines = []
    for t in range(sc.length):
        fr = render(sc, t)
        Image.fromarray(fr.rgb).save(d / "color" / f"{t + 1:08d}.jpg", quality=95)
        lines.append(region(fr))
    atomic_write_text(d / "groundtruth.txt", "".join(v + "\n" for v in lines))
    atomic_write_text(d / "sequence", "channels.color=color/%08d.jpg\nformat=default\nfps=30\n")
    if anchors is not None:
        atomic_write_text(d / "anchor.value", "".join(f"{a}\n" for a in anchors))


def _polygon(fr: RenderedFrame) -> str:
    """The target's amodal box as VOT's 8-value polygon (clockwise from the top-left corner)."""
    x, y, w, h = fr.amodal[1]
    return format_region(Region.polygon([(x, y), (x + w, y), (x + w, y + h), (x, y + h)]))


def write_vot(scenes: list[Scene], root: Path) -> None:
    """VOT2016-2019 layout (the reset-based experiment): polygon ground truth, a jump of the target
    halfway through each sequence."""
    root = Path(root)
    for sc in scenes:
        _vot_sequence(vot_scene(sc, jump_at=VOT_LENGTH // 2), root, _polygon)
    atomic_write_text(root / "list.txt", "".join(sc.name + "\n" for sc in scenes))


def write_vot2020(scenes: list[Scene], root: Path) -> None:
    """VOT2020+ layout (the anchor-based experiment): mask ground truth (the target's visible
    pixels, ``m``-encoded), forward anchors on frames 0 and 10, a backward anchor on the last."""
    root = Path(root)
    anchors = [0] * VOT_LENGTH
    anchors[0] = anchors[10] = 1
    anchors[-1] = -1
    for sc in scenes:
        _vot_sequence(
            vot_scene(sc, jump_at=VOT_LENGTH // 2),
            root,
            lambda fr: format_region(Region.mask(fr.labels == 1)),
            anchors,
        )
    atomic_write_text(root / "list.txt", "".join(sc.name + "\n" for sc in scenes))


def write_vot_lt(scenes: list[Scene], root: Path) -> None:
    """VOT-LT layout: rectangles, NaN where the target is absent (it leaves the view for frames
    15-24 of every sequence)."""
    root = Path(root)

    def rect(fr: RenderedFrame) -> str:
        if fr.visible[1] <= 0:
            return "nan,nan,nan,nan"
        return format_region(Region.rect(*fr.amodal[1]))

    for sc in scenes:
        _vot_sequence(vot_scene(sc, absent=(15, 25)), root, rect)
    atomic_write_text(root / "list.txt", "".join(sc.name + "\n" for sc in scenes))


WRITERS = {
    "davis2017": write_davis2017,
    "otb": write_otb,
    "got10k": write_got10k,
    "mot": write_mot,
    "mots": write_mots,
    "posetrack": write_posetrack,
    "jhmdb": write_jhmdb,
    "youtubevis": write_youtubevis,
    "youtubevos": write_youtubevos,
    "vot": write_vot,
    "vot2020": write_vot2020,
    "vot-lt": write_vot_lt,
    "ref-youtubevos": write_ref_youtubevos,
}


def cache_dir() -> Path:
    return Path(os.environ.get("UNIBENCH_CACHE", Path.home() / ".cache" / "unibench"))


def generate(out: Path, seed: int = 0, formats: tuple[str, ...] = tuple(WRITERS)) -> Path:
    """Write the suite under ``out/<format>/``; atomic per format, skipped where complete."""
    out = Path(out)
    scenes = default_scenes(seed)
    for fmt in formats:
        final = out / fmt
        if (final / "SYNTH_VERSION").is_file():
            continue
        # processes sharing the cache (xdist workers, executors, two shells) write one at a time;
        # the one that waited finds the folder complete
        with file_lock(out / f".{fmt}.lock"):
            if (final / "SYNTH_VERSION").is_file():
                continue
            logger.info("generating synthetic %s suite (seed %d) in %s", fmt, seed, final)
            with staging_dir(final) as tmp:
                WRITERS[fmt](scenes, tmp)
                atomic_write_text(tmp / "SYNTH_VERSION", f"{VERSION} seed={seed}\n")
    return out


def ensure_suite(seed: int = 0) -> Path:
    return generate(cache_dir() / "synthetic" / f"{VERSION}-seed{seed}", seed)


def _root(data_root, fmt: str) -> Path:
    """The folder of one format: ``data_root`` (a suite or the format's own folder) or the cache."""
    root = Path(data_root) if data_root else ensure_suite()
    return root / fmt if (root / fmt).is_dir() else root


def _synthetic_davis(data_root, split, sequences):
    root = _root(data_root, "davis2017")
    return Davis(root, year=2017, split=split or "val", sequences=sequences, name="synthetic-davis")


def _synthetic_otb(data_root, split, sequences):

    return OTB(_root(data_root, "otb"), split, sequences, name="synthetic-otb")


def _synthetic_got10k(data_root, split, sequences):

    return GOT10k(_root(data_root, "got10k"), split, sequences, name="synthetic-got10k")


def _synthetic_mot(data_root, split, sequences, detections=None, truncate=False):

    root = _root(data_root, "mot")
    return MOTChallenge(
        root, split, sequences, det_dir=detections, benchmark="MOT17", name="synthetic-mot",
        truncate=truncate,
    )  # fmt: skip


def _synthetic_mots(data_root, split, sequences, detections=None):

    return MOTS20(_root(data_root, "mots"), split, sequences, detections, name="synthetic-mots")


def _synthetic_posetrack(data_root, split, sequences, detections=None, options=None,
                         truncate=False):  # fmt: skip

    root = _root(data_root, "posetrack")
    return PoseTrack18(
        root,
        split,
        sequences,
        detections,
        truncate=truncate,
        name="synthetic-posetrack",
        options=parse_options(PoseEvalOptions, options),
    )


def _synthetic_jhmdb(data_root, split, sequences):

    return JHMDB(_root(data_root, "jhmdb"), split, sequences, name="synthetic-jhmdb")


def _synthetic_youtubevis(data_root, split, sequences, detections=None, options=None):

    root = _root(data_root, "youtubevis")
    split = split or "train"
    vis = VISBenchmark(
        root / split / "instances.json",
        root / split / "JPEGImages",
        split,
        sequences,
        detections or root / "detections" / split,
        name="synthetic-youtubevis",
        options=parse_options(VISOptions, options),
    )
    return vis


def _synthetic_youtubevos(data_root, split, sequences, options=None):

    # the suite has no separate training split: ellipses and boxes count as seen, diamonds unseen
    opts = {"seen_categories": "ellipse,box", **dict(options or {})}
    return YouTubeVOS(
        _root(data_root, "youtubevos"),
        split or "train",
        sequences,
        name="synthetic-youtubevos",
        options=parse_options(YTVOSOptions, opts),
    )


def _synthetic_vot(fmt: str, name: str):
    def make(data_root, split, sequences):
        return VOTChallenge(_root(data_root, fmt), split, sequences, name=name)

    return make


register_benchmark("synthetic-vot", _synthetic_vot("vot", "synthetic-vot"), VOTChallenge)
register_benchmark(
    "synthetic-vot2020", _synthetic_vot("vot2020", "synthetic-vot2020"), VOTChallenge
)
register_benchmark("synthetic-vot-lt", _synthetic_vot("vot-lt", "synthetic-vot-lt"), VOTChallenge)


def _synthetic_ref_youtubevos(data_root, split, sequences, options=None):
    root = _root(data_root, "ref-youtubevos")
    opts = parse_options(RefVOSOptions, options)
    return RefYouTubeVOS(root, split or "train", sequences, "synthetic-ref-youtube-vos", opts)


register_benchmark("synthetic-ref-youtube-vos", _synthetic_ref_youtubevos, RefYouTubeVOS)
register_benchmark("synthetic-youtubevos", _synthetic_youtubevos, YouTubeVOS)
register_benchmark("synthetic-youtubevis", _synthetic_youtubevis, VISBenchmark)
register_benchmark("synthetic-jhmdb", _synthetic_jhmdb, JHMDB)
register_benchmark("synthetic-davis", _synthetic_davis, Davis)
register_benchmark("synthetic-posetrack", _synthetic_posetrack, PoseTrack18)
register_benchmark("synthetic-mots", _synthetic_mots, MOTS20)
register_benchmark("synthetic-mot", _synthetic_mot, MOTChallenge)
register_benchmark("synthetic-otb", _synthetic_otb, OTB)
register_benchmark("synthetic-got10k", _synthetic_got10k, GOT10k)
