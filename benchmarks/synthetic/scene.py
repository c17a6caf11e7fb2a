"""The synthetic suite's scene model: a textured background the camera pans over and textured
objects (ellipse, box, diamond) that move, scale and occlude each other (fixed depth order);
rendering a frame gives the RGB image, the visible label map and, per object, its visible mask, box
and keypoints, so every task's ground truth comes from the same scene. Deterministic from the seed.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass, field

import numpy as np
from PIL import Image


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


def mot_scenes(seed: int = 0, n_sequences: int = 2, length: int = 30) -> list[Scene]:
    """Busier scenes for association: 5 objects that cross and occlude each other."""
    return [
        make_scene(seed * 100 + 50 + i, f"SYNTH-{i + 1:02d}", length=length, n_objects=5)
        for i in range(n_sequences)
    ]


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
