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
