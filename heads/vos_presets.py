"""The VOS propagation head's presets: the whole protocol of each reference code, one table.

A model card names one as its VOS protocol (DINO's cards: ``dino``); ``head.preset=NAME`` applies it
whole. Every parameter's source is in the comment below.
"""

from __future__ import annotations

# Each preset sets every protocol parameter of its reference (the VOS head's PropagationParams);
# sources (files of the reference repositories, read for this table):
# - unitrack: UniTrack config/*.yaml `vos:` (temperature 0.05, topk 10, radius 12, videoLen 5,
#   long_mem [0], cropSize -1), test/test_vos.py + model/functional.py (context_index_bank,
#   MaskedAttention `D < radius` on the short-term keys only), data/vos.py (clip padded with videoLen
#   copies of frame 0; one-hot labels resized with cv2 INTER_LINEAR)
# - crw: videowalk README's DAVIS command (--topk 10 --videoLen 20 --radius 12 --temperature 0.05
#   --cropSize -1), code/test.py + code/utils/test_utils.py as UniTrack, code/data/vos.py padding
# - dino: dino eval_video_segmentation.py (n_last_frames 7, size_mask_neighborhood 12 → 25×25 window
#   applied to every context frame, topk 5, exp(aff / 0.1), NEAREST label resize, norm_mask min-max,
#   an empty queue: no padding)
# - vfs: VFS configs/r18_*_k400.py test_cfg (precede_frames 20, topk 10, temperature 0.07,
#   neighbor_range 24 → circle radius 12 (R50 configs: 36 → 18), with_first_neighbor: radius on frame
#   0 too), val_pipeline Resize(-1, 480), mmaction/models/trackers/vanilla_tracker.py (key_start =
#   max(0, t − precede_frames): frame 0 inside the window, with_first, nearest labels, min-max output)
_CRW_FAMILY = {  # UniTrack inherits CRW's propagation; they differ in the window length
    "temperature": 0.05,
    "topk": 10,
    "radius": 12.0,
    "radius_shape": "circle",
    "restrict_first": False,
    "label_downsample": "bilinear",
    "pad_memory": True,
    "first_in_window": False,
    "output_norm": "none",
    "input_height": None,
}
VOS_PROTOCOLS: dict[str, dict[str, object]] = {
    "unitrack": {"preset": "unitrack", **_CRW_FAMILY, "n_recent": 5},
    "crw": {"preset": "crw", **_CRW_FAMILY, "n_recent": 20},
    "dino": {
        "preset": "dino",
        "temperature": 0.1,
        "topk": 5,
        "n_recent": 7,
        "radius": 12.0,
        "radius_shape": "square",
        "restrict_first": True,
        "label_downsample": "nearest",
        "pad_memory": False,
        "first_in_window": False,
        "output_norm": "minmax",
        "input_height": None,
    },
    "vfs": {
        "preset": "vfs",
        "temperature": 0.07,
        "topk": 10,
        "n_recent": 20,
        "radius": 12.0,
        "radius_shape": "circle",
        "restrict_first": True,
        "label_downsample": "nearest",
        "pad_memory": False,
        "first_in_window": True,
        "output_norm": "minmax",
        "input_height": 480,
    },
}
