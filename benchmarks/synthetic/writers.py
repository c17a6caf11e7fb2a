"""Writers of the synthetic scenes in the official on-disk layouts (DAVIS-2017, OTB, GOT-10k,
MOTChallenge, MOTS, PoseTrack18, JHMDB, YouTube-VIS, YouTube-VOS, Ref-YouTube-VOS, the VOT
short-term, VOT2020 and VOT-LT layouts), through :mod:`unibench.benchmarks.formats` as the adapters
read them. ``WRITERS``: format name -> writer.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image
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
from unibench.benchmarks.jhmdb import JHMDB_JOINTS
from unibench.benchmarks.synthetic.scene import (
    EARS,
    POSE_TEMPLATE,
    VOT_LENGTH,
    RenderedFrame,
    Scene,
    mot_scenes,
    render,
    vot_scene,
)

from unibench.io import atomic_write_text
from unibench.keypoints import POSETRACK18_KEYPOINTS


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
