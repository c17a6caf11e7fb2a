"""MOT metrics through the ``trackeval`` package (HOTA, CLEAR, Identity), on in-memory data.

The MOTChallenge preprocessing is TrackEval's own (``MotChallenge2DBox.get_preprocessed_seq_data``:
only pedestrians are scored; tracker boxes matched (IoU ≥ 0.5, Hungarian) to distractor classes —
person on vehicle, static person, distractor, reflection, and non-MOT vehicle on MOT20 — are removed;
zero-marked ground truth is removed; ids are relabelled). We call it on a dataset object created
without its file-reading constructor, so the numbers are TrackEval's, not a re-implementation.
"""

from __future__ import annotations

import numpy as np

from unibench.metrics import register_metric

# the fields this family emits (TrackEval HOTA, CLEAR, Identity; MOTS' mask variants renamed as
# the MOTS papers print them, with TrackEval's names as official)
_TE = ("mot", "mots")
register_metric("HOTA", "percent", True, {"mot": "HOTA", "mots": "HOTA",
                "vis": "HOTA (TrackEval YouTubeVIS, class-averaged)"})  # fmt: skip
register_metric("DetA", "percent", True, {t: "DetA" for t in (*_TE, "vis")})
register_metric("AssA", "percent", True, {t: "AssA" for t in (*_TE, "vis")})
register_metric("IDF1", "percent", True, {t: "IDF1" for t in _TE})
register_metric("MOTA", "percent", True, {"mot": "MOTA", "posetrack": "MOTA Total (poseval)"})
register_metric("MOTP", "percent", True, {"mot": "MOTP"})
register_metric("sMOTA", "percent", True, {"mot": "sMOTA"})
register_metric("MOTSA", "percent", True, {"mots": "MOTA"})
register_metric("MOTSP", "percent", True, {"mots": "MOTP"})
register_metric("sMOTSA", "percent", True, {"mots": "sMOTA"})
register_metric("MT", "count", True, {t: "MT" for t in _TE})
register_metric("ML", "count", False, {t: "ML" for t in _TE})
register_metric("Frag", "count", False, {t: "Frag" for t in _TE})

CLASSES = {
    "pedestrian": 1,
    "person_on_vehicle": 2,
    "car": 3,
    "bicycle": 4,
    "motorbike": 5,
    "non_mot_vehicle": 6,
    "static_person": 7,
    "distractor": 8,
    "occluder": 9,
    "occluder_on_ground": 10,
    "occluder_full": 11,
    "reflection": 12,
    "crowd": 13,
}


def _dataset(benchmark: str, preprocess: bool):
    from trackeval.datasets import MotChallenge2DBox

    ds = MotChallenge2DBox.__new__(MotChallenge2DBox)
    ds.benchmark = benchmark
    ds.do_preproc = preprocess
    ds.class_name_to_class_id = dict(CLASSES)
    ds.valid_class_numbers = list(CLASSES.values())
    return ds


def sequence_data(
    name: str,
    gt: np.ndarray,
    res: np.ndarray,
    n_frames: int,
    benchmark: str = "MOT17",
    preprocess: bool = True,
) -> dict:
    """TrackEval's preprocessed data of one sequence.

    Args:
        gt: rows ``frame, id, x, y, w, h, conf, class, visibility`` (frames 1-based, MOTChallenge).
        res: rows ``frame, id, x, y, w, h, conf`` (the tracker's file).
    """
    from trackeval.datasets._base_dataset import _BaseDataset

    raw = {"num_timesteps": n_frames, "seq": name}
    keys = (
        "gt_ids",
        "gt_dets",
        "gt_classes",
        "gt_extras",
        "tracker_ids",
        "tracker_dets",
        "tracker_classes",
        "tracker_confidences",
        "similarity_scores",
    )
    for k in keys:
        raw[k] = [None] * n_frames
    for t in range(n_frames):
        g = gt[gt[:, 0] == t + 1] if len(gt) else np.zeros((0, 9))
        r = res[res[:, 0] == t + 1] if len(res) else np.zeros((0, 7))
        raw["gt_ids"][t] = g[:, 1].astype(int)
        raw["gt_dets"][t] = g[:, 2:6].astype(float)
        raw["gt_classes"][t] = g[:, 7].astype(int)
        raw["gt_extras"][t] = {"zero_marked": g[:, 6].astype(int)}
        raw["tracker_ids"][t] = r[:, 1].astype(int)
        raw["tracker_dets"][t] = r[:, 2:6].astype(float)
        raw["tracker_classes"][t] = np.ones(len(r), int)
        raw["tracker_confidences"][t] = r[:, 6].astype(float)
        raw["similarity_scores"][t] = _BaseDataset._calculate_box_ious(
            raw["gt_dets"][t], raw["tracker_dets"][t], box_format="xywh"
        )
    return _dataset(benchmark, preprocess).get_preprocessed_seq_data(raw, "pedestrian")


ALPHAS = np.arange(0.05, 0.99, 0.05)  # HOTA's localisation thresholds (TrackEval's)


def class_mean_curves(by_class: dict[str, dict]) -> dict:
    """HOTA, DetA and AssA against α averaged over the classes (as the summaries are), from
    the ``curves`` each class's :func:`evaluate` filled; empty where none was."""
    curves = [c for c in by_class.values() if c]
    if not curves:
        return {}
    out = {"alpha": curves[0]["alpha"]}
    for k in ("HOTA", "DetA", "AssA"):
        out[k] = [float(v) for v in np.mean([c[k] for c in curves], axis=0)]
    return out


def evaluate(
    seqs: dict[str, dict], curves: dict | None = None
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """HOTA, CLEAR and Identity per sequence and combined (TrackEval's combine_sequences);
    ``curves`` (a dict) receives the combined HOTA, DetA and AssA at each localisation threshold
    α (``alpha``), the curves TrackEval plots."""
    from trackeval.metrics import CLEAR, HOTA, Identity

    metrics = [HOTA(), CLEAR({"PRINT_CONFIG": False}), Identity({"PRINT_CONFIG": False})]
    per: dict[str, dict] = {}
    for name, data in seqs.items():
        per[name] = {m.get_name(): m.eval_sequence(data) for m in metrics}
    combined = {
        m.get_name(): m.combine_sequences({n: per[n][m.get_name()] for n in per}) for m in metrics
    }

    if curves is not None:
        h = combined["HOTA"]
        curves.update({"alpha": [round(float(a), 2) for a in ALPHAS],
                       **{k: [float(v) for v in h[k]] for k in ("HOTA", "DetA", "AssA")}})  # fmt: skip

    def flat(res: dict) -> dict[str, float]:
        h, c, i = res["HOTA"], res["CLEAR"], res["Identity"]
        return {
            "HOTA": float(np.mean(h["HOTA"])),
            "DetA": float(np.mean(h["DetA"])),
            "AssA": float(np.mean(h["AssA"])),
            "MOTA": float(c["MOTA"]),
            "MOTP": float(c["MOTP"]),
            "sMOTA": float(c["sMOTA"]),
            "IDF1": float(i["IDF1"]),
            "IDs": float(c["IDSW"]),
            "FP": float(c["CLR_FP"]),
            "FN": float(c["CLR_FN"]),
            "MT": float(c["MT"]),
            "ML": float(c["ML"]),
            "Frag": float(c["Frag"]),
        }

    return flat(combined), {n: flat(r) for n, r in per.items()}
