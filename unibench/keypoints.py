"""Keypoint layouts: the PoseTrack18 joints and the skeleton drawn from them.

A dataset fact used by both sides of the contract (the PoseTrack adapters and poseval scoring read
and score these joints; the association head draws a pose into a mask with the trunk polygon and
the limb segments), so it lives in the foundation, once.
"""

from __future__ import annotations

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

# the skeleton drawn over a PoseTrack18 pose (``unibench show``): the limbs and head segments, the
# trunk's four sides, and the neck (head bottom to each shoulder)
POSE_SKELETON: tuple[tuple[int, int], ...] = (
    *POSE_SEGMENTS,
    *((POSE_TRUNK[i], POSE_TRUNK[(i + 1) % 4]) for i in range(4)),
    (_K["head_bottom"], _K["left_shoulder"]),
    (_K["head_bottom"], _K["right_shoulder"]),
)
