"""Named evaluation protocols shared by model cards and heads (facts, kept in one place).

The label-propagation settings of the reference codes (see the VOS head's presets); a model card may
name one as its default head configuration (DINO's cards use DINO's protocol).
"""

from __future__ import annotations

VOS_PROTOCOLS: dict[str, dict[str, object]] = {
    # UniTrack's VOS configuration is the default of the head's parameters.
    "unitrack": {},
    "crw": {"n_recent": 20},
    "dino": {
        "temperature": 0.1,
        "topk": 5,
        "n_recent": 7,
        "radius_shape": "square",
        "radius": 12.0,
        "restrict_first": True,
        "label_downsample": "nearest",
        "output_norm": "minmax",
    },
    "vfs": {
        "temperature": 0.07,
        "topk": 10,
        "n_recent": 20,
        "restrict_first": True,
        "label_downsample": "nearest",
        "output_norm": "minmax",
    },
}


# PoseTrack18 keypoints (COCO order; the ears are never annotated in PoseTrack18) and the parts the
# association head draws to turn a pose into a mask: the trunk polygon and the limb/head segments.
POSETRACK18_KEYPOINTS: tuple[str, ...] = (
    "nose",
    "head_bottom",
    "head_top",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
_K = {n: i for i, n in enumerate(POSETRACK18_KEYPOINTS)}
POSE_TRUNK: tuple[int, ...] = tuple(
    _K[n] for n in ("left_shoulder", "right_shoulder", "right_hip", "left_hip")
)
POSE_SEGMENTS: tuple[tuple[int, int], ...] = tuple(
    (_K[a], _K[b])
    for a, b in (
        ("left_shoulder", "left_elbow"),
        ("left_elbow", "left_wrist"),
        ("right_shoulder", "right_elbow"),
        ("right_elbow", "right_wrist"),
        ("left_hip", "left_knee"),
        ("left_knee", "left_ankle"),
        ("right_hip", "right_knee"),
        ("right_knee", "right_ankle"),
        ("head_top", "head_bottom"),
        ("nose", "head_bottom"),
    )
)
