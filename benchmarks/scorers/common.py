"""Fields several scorer families emit: bookkeeping columns and the shared error counts.

A name is declared once; where the toolkits of different tasks name the same figure differently,
``official`` maps task → name (MOT's ``FN`` is TrackEval's ``CLR_FN``, PoseTrack's is
py-motmetrics' ``num_misses``, OxUvA's is its own ``FN``).
"""

from __future__ import annotations

from unibench.metrics import register_metric

# CLEAR counts (TrackEval CLEAR: CLR_FP, CLR_FN, IDSW; poseval through py-motmetrics; OxUvA's
# confusion counts over present/absent frames)
register_metric(
    "FN", "count", False,
    {"mot": "CLR_FN", "mots": "CLR_FN", "posetrack": "num_misses"},
)  # fmt: skip
register_metric(
    "FP", "count", False,
    {"mot": "CLR_FP", "mots": "CLR_FP", "posetrack": "num_false_positives"},
)  # fmt: skip
register_metric(
    "IDs", "count", False,
    {"mot": "IDSW", "mots": "IDSW", "posetrack": "num_switches (py-motmetrics), summed over joints"},
)  # fmt: skip

# per-sequence / per-object bookkeeping columns
for _name in (
    "frames", "objects", "object", "sequences", "runs", "GT tracks", "tracks", "invalid boxes",
):  # fmt: skip
    register_metric(_name, "count")
register_metric("seconds_per_frame", "seconds", False)
