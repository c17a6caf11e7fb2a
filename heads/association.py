"""JDE-style association for MOT, MOTS, PoseTrack and VIS (observations given every frame; the
appearance model decides identities), equal by default to UniTrack's own tracker (its ``tracker/mot/``:
``multitracker.py`` ``AssociationTracker.update``, ``basetrack.py``, ``box.py``/``mask.py``/``pose.py``,
and ``core/association/matching.py``, ``core/motion/kalman_filter.py``).

Per frame, as UniTrack's ``AssociationTracker.update``:

0. detections scoring ``<= det_thresh`` are dropped (``drop_low_score``; box.py ``prepare_obs``);
   object features: boxes by RoIAlign (``roi_hw`` = 4 high × 10 wide, unaligned, adaptive sampling:
   ``ops.roi_align(feat, boxes, [4, 10])``), masks by the feature cells they cover, poses drawn as a
   mask on the feature grid;
1. tracked + lost (confirmed) tracks are predicted by a Kalman filter on ``(x, y, aspect, height)``
   (deep-sort noise model); a lost track's height velocity is zeroed first
   (``lost_zero_height_velocity``: basetrack ``multi_predict``), unconfirmed tracks are not predicted
   (``predict_unconfirmed``). Appearance cost ``1 − similarity`` of the track's latest detection
   features (``track_feature=latest``: ``reconsdot_distance`` reads ``curr_feat``) and the detections'
   (``rsm``, ``cosine-pool`` or ``cosine-flat``), fused with motion: cost = λ·appearance + (1 − λ)·
   Mahalanobis, pairs beyond the χ²(4) 95% gate (9.4877) forbidden (``fuse_motion``); Hungarian
   (``lap.lapjv``) with cost limit ``match_thresh``;
2. the remaining tracked tracks and detections are matched on IoU distance (``iou_thresh``), with the
   +1-pixel IoU of ``cython_bbox`` (``iou_plus_one``);
3. unconfirmed (one-frame) tracks are matched on IoU distance (``unconfirmed_thresh``), else removed;
4. unmatched detections above ``det_thresh`` start tracks (confirmed at birth in frame 1, or always
   with ``activate_immediately``: UniTrack's MOTS/PoseTrack trackers build detections with
   ``ac=True``); lost tracks past ``track_buffer × frame_rate / 30`` frames are removed, but stay
   matchable one more frame (``removed_grace_frame``: step 5 subtracts the removed list before adding
   this frame's removals); a tracked/lost pair closer than ``duplicate_thresh`` IoU distance loses its
   younger member (``duplicate_rule``);
5. the output: confirmed tracked tracks, boxes of area ``> min_box_area`` and not wider than
   ``max_aspect`` × height (test_mot.py's ``w / h > 1.6`` filter).

``head.preset=unibench`` is the tracker UniBench ran before (EMA features, continuous IoU, low scores
kept for matching, all tracks predicted, no grace frame, ages at the current frame, no aspect filter,
RoIAlign 10 × 4 aligned with 2 samples, unconfirmed MOTS/PoseTrack births); docs/protocols/association.md lists each
option's measured effect. ``motion=False`` (the paper's representation study) sets λ = 1 and removes
the gate; ``gate=False`` keeps the motion cost but removes the gate (UniTrack's MOTS/PoseTrack setting).
``class_gate=True`` forbids matching a track to a detection of another class in every stage
(multi-class benchmarks: KITTI-MOTS, BDD100K; UniTrack adds the class difference to the cost instead).
Track ids are counted per tracker instance (one per sequence; UniTrack counts across sequences, which
changes no metric).

Mask and pose features have a variable number of points, so their tracks always take the features of
the latest detection and ``cosine-flat`` is refused for them. Per-task defaults (UniTrack's
configurations) live in ``TASK_DEFAULTS``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from unibench.heads.base import Head, load_presets, preset_file, register_head
from unibench.heads.object_features import masked_features, object_features, pose_features
from unibench.heads.tracker import AssociationParams, JDETracker

from unibench.datatypes import TrackFramePrediction, VideoSequence
from unibench.errors import ConfigError

# Presets (unitrack: UniTrack's tracker, the default; unibench: UniBench's refinements, each a named
# option) and per-task defaults (UniTrack's MOTS and PoseTrack trackers give every detection score 1
# and build it activated; VIS: MOTS's mask tracker with the class gate), every value with its
# reference file:line, in association_presets.yaml.
_TABLES = load_presets(preset_file(__file__, "association"), AssociationParams)
PRESETS = _TABLES.presets
TASK_DEFAULTS = _TABLES.task_defaults


def _decode_masks(rles: list[dict]) -> list[np.ndarray]:
    if not rles:
        return []
    from pycocotools import mask as mask_utils

    return [mask_utils.decode(r).astype(bool) for r in rles]


def _object_kind(p: AssociationParams, seq: VideoSequence) -> str:
    obs = seq.init
    if p.objects != "auto":
        if p.objects == "mask" and obs.masks is None:
            raise ConfigError(f"{seq.name}: head.objects=mask but the observations carry no masks")
        if p.objects == "pose" and obs.keypoints is None:
            raise ConfigError(f"{seq.name}: head.objects=pose but the observations carry no poses")
        return p.objects
    if obs.masks is not None:
        return "mask"
    if obs.keypoints is not None:
        return "pose"
    return "box"


@register_head("association")
class AssociationHead(Head):
    """JDE-style association of given observations (boxes, masks or poses) for MOT, MOTS,
    PoseTrack and VIS; per-task defaults in ``TASK_DEFAULTS``."""

    task = "mot"
    tasks = ("mot", "mots", "posetrack", "vis")
    version = 1  # behaviour version: bump with any change of output (tests/golden)
    task_defaults = TASK_DEFAULTS
    presets = PRESETS
    Params = AssociationParams
    p: AssociationParams

    def track(self, seq: VideoSequence, extractor) -> Iterator[TrackFramePrediction]:
        p = self.p
        kind = _object_kind(p, seq)
        if kind != "box" and p.similarity == "cosine-flat":
            raise ConfigError(
                f"similarity cosine-flat needs box features (corresponding points); the {kind} "
                "observations give variable point sets: use rsm or cosine-pool"
            )
        obs = seq.init
        tracker = JDETracker(p, float(seq.meta.get("frame_rate", 30.0)), ema=kind == "box")
        for t in range(len(seq.clip)):
            all_dets = np.asarray(obs.boxes[t], float).reshape(-1, 5)
            # the detections the tracker sees (UniTrack drops low scores before any feature)
            keep = np.arange(len(all_dets))
            if p.drop_low_score:
                keep = keep[all_dets[:, 4] > p.det_thresh]
            dets = all_dets[keep]
            classes = None if obs.classes is None else np.asarray(obs.classes[t], int)[keep]
            feats: list[torch.Tensor] = []
            if len(dets):
                fmap = extractor.features(seq, t).data.cpu()
                if kind == "box":
                    feats = list(
                        object_features(
                            fmap,
                            dets,
                            extractor.info.stride,
                            p.roi_hw,
                            p.roi_aligned,
                            p.roi_sampling_ratio,
                        )  # fmt: skip
                    )
                elif kind == "mask":
                    masks = _decode_masks([obs.masks[t][i] for i in keep])
                    feats = masked_features(fmap, masks, p.max_mask_area)
                else:
                    kps = np.asarray(obs.keypoints[t])[keep]
                    feats = pose_features(fmap, kps, seq.clip.size, p.max_mask_area, p.limb_width)
            tracks = tracker.step(dets, feats, classes)
            # the output box: the track's Kalman box (boxes) or its matched observation's
            shown = [tr.tlwh if kind == "box" else dets[tr.det, :4] for tr in tracks]
            out = [  # test_mot.py:43-44: area > min_box_area and not w / h > 1.6
                (tr, b)
                for tr, b in zip(tracks, shown, strict=True)
                if b[2] * b[3] > p.min_box_area
                and not (p.max_aspect and b[2] > p.max_aspect * b[3])
            ]
            src = [int(keep[tr.det]) for tr, _ in out]  # index among the sequence's observations
            yield TrackFramePrediction(
                t,
                np.array([tr.track_id for tr, _ in out], int),
                np.array([b for _, b in out], float).reshape(-1, 4),
                np.array([tr.score for tr, _ in out], float),
                classes=None if obs.classes is None else np.asarray(obs.classes[t], int)[src],
                masks=[obs.masks[t][i] for i in src] if kind == "mask" else None,
                keypoints=(
                    np.asarray(obs.keypoints[t])[src].reshape(len(out), -1, 3)
                    if kind == "pose"
                    else None
                ),
            )
