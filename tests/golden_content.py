"""Golden checks by content, within stated tolerances (not by bytes).

A run's prediction folder is reduced to its *content* (:func:`digest_folder`): masks as one COCO
RLE per object and frame, boxes and keypoints as their coordinates, scores as numbers, everything
else (frame numbers, ids, classes, file names) as written. :func:`compare_predictions` holds two
such digests against :data:`TOLERANCES` and returns one line per difference beyond them, each
naming the cell, the file, the item and the size of the difference; :func:`compare_summary` does
the same for a scored summary.

Why tolerances at all: floating-point results are not bitwise equal across processors (SIMD width,
the kernels BLAS/oneDNN pick, the order of a sum over threads), so a near tie can flip one pixel's
label or one keypoint's arg-max. The tolerances were measured (the numbers are in docs/testing.md,
"Golden checks" section) and are tight enough that a change of a head parameter or a scorer option
fails (``tests/unibench/test_golden_teeth.py``).

What stays exact: the set of files, every integer and string a file holds (frames, ids, classes,
visibility flags), the scored summary when the predictions are the same content, and integer
counts whenever the predictions are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

# UNIBENCH_UPDATE_GOLDEN=1: the golden tests write their files instead of checking them
UPDATE = os.environ.get("UNIBENCH_UPDATE_GOLDEN") == "1"
BEHAVIOUR = Path(__file__).parent / "golden" / "behaviour.json"


@dataclass(frozen=True)
class Tolerances:
    """The tolerances of every golden check (measured; see the module docstring)."""

    # a mask: differing pixels / the larger of the two areas, per object and frame ...
    mask_fraction: float = 0.02
    # ... or, for a small object, at most this many differing pixels
    mask_pixels: int = 16
    # a box corner or a keypoint: coordinate distance in pixels (files write 2-4 decimals)
    px: float = 0.02
    # a score (confidence, keypoint score): absolute difference
    score: float = 1e-3
    # a flipped arg-max: a keypoint may move up to ``tie_px`` where its score (the peak value)
    # ties within ``tie_score``, for at most ``tie_fraction`` of a file's keypoints
    tie_px: float = 12.0
    tie_score: float = 1e-3
    tie_fraction: float = 0.02
    # a summary over predictions that differ within the tolerances above: relative difference of a
    # figure, or absolute difference of a fraction / a count
    summary_rel: float = 2e-3
    summary_abs: float = 2e-3
    summary_count: int = 1


TOLERANCES = Tolerances()

# per task: how the columns of its text result files are read. 'i' exact integer, 'x' a coordinate
# (pixels), 's' a score, 'e' exact text, 'rle' a MOTS mask (height and width are columns 3 and 4)
TEXT_COLUMNS: dict[str, str] = {
    "sot": "x*",  # every column a box coordinate (OTB, GOT-10k, LaSOT, ...)
    "mot": "iixxxxs*",  # MOTChallenge: frame, id, x, y, w, h, conf, then -1 fillers
    "mots": "iiiii" + "r",  # frame, id, class, height, width, RLE
    "poseprop": "iixxs",  # frame, joint, x, y, score
}


# ---------------------------------------------------------------------------------------- digest


def _only(line: str | None) -> list[str]:
    """A comparison's one line, if any, for ``yield from``."""
    return [line] if line else []


def _rle(mask: np.ndarray) -> str:
    return mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))["counts"].decode("ascii")


def _label_map(path: Path) -> dict:
    arr = np.asarray(Image.open(path))
    if arr.ndim != 2:
        raise ValueError(
            f"{path}: expected a label map (palette or grey PNG), got shape {arr.shape}"
        )
    labels = [int(v) for v in np.unique(arr) if v != 0]
    return {"size": list(arr.shape), "objects": {str(v): _rle(arr == v) for v in labels}}


def _token(tok: str):
    try:
        return int(tok)
    except ValueError:
        pass
    try:
        return float(tok)
    except ValueError:
        return tok


def _table(path: Path) -> dict:
    rows = []
    for line in path.read_text().splitlines():
        if line.strip():
            rows.append([_token(t) for t in line.replace(",", " ").replace("\t", " ").split()])
    return {"rows": rows}


def digest_file(path: Path) -> dict:
    """The content of one prediction file, in a JSON-ready form."""
    if path.suffix == ".png":
        return _label_map(path)
    if path.suffix == ".json":
        return {"json": json.loads(path.read_text())}
    if path.suffix == ".txt":
        return _table(path)
    return {"sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def digest_folder(folder: Path) -> dict[str, dict]:
    """Every prediction file's content, by its path relative to ``folder``. Per-frame timings
    (GOT-10k's ``<seq>_time.txt``) are measurements, not behaviour, and are left out."""
    folder = Path(folder)
    files = [q for q in folder.rglob("*") if q.is_file() and not q.name.endswith("_time.txt")]
    return {str(q.relative_to(folder)): digest_file(q) for q in sorted(files)}


# ------------------------------------------------------------------------------------- compare


@dataclass
class _Flips:
    """Keypoints accepted as flipped arg-maxes in one file, and how many keypoints it holds."""

    moved: int = 0
    total: int = 0
    worst: float = 0.0


def _mask_diff(was: np.ndarray | None, now: np.ndarray | None, shape) -> tuple[int, int]:
    a = np.zeros(shape, bool) if was is None else was.astype(bool)
    b = np.zeros(shape, bool) if now is None else now.astype(bool)
    return int((a ^ b).sum()), int(max(a.sum(), b.sum()))


def _mask_line(tol: Tolerances, where: str, diff: int, area: int) -> str | None:
    if diff <= tol.mask_pixels or diff <= tol.mask_fraction * area:
        return None
    return (
        f"{where}: {diff} of {area} pixels differ ({100 * diff / max(area, 1):.2f} %; "
        f"tolerance {100 * tol.mask_fraction:g} % or {tol.mask_pixels} pixels)"
    )


def _decode(h: int, w: int, counts: str) -> np.ndarray:
    return mask_utils.decode({"size": [h, w], "counts": counts.encode("ascii")})


def _compare_label_maps(where: str, was: dict, now: dict, tol: Tolerances) -> Iterator[str]:
    if was["size"] != now["size"]:
        yield f"{where}: size {was['size']} became {now['size']}"
        return
    h, w = was["size"]
    for obj in sorted(set(was["objects"]) | set(now["objects"]), key=int):
        a, b = was["objects"].get(obj), now["objects"].get(obj)
        if a == b:
            continue
        diff, area = _mask_diff(
            None if a is None else _decode(h, w, a), None if b is None else _decode(h, w, b), (h, w)
        )
        yield from _only(_mask_line(tol, f"{where} object {obj}", diff, area))


def _number_line(where: str, kind: str, a, b, tol: Tolerances) -> str | None:
    if isinstance(a, float) or isinstance(b, float):
        if not (isinstance(a, int | float) and isinstance(b, int | float)):
            return f"{where}: {a!r} became {b!r}"
        if math.isnan(a) and math.isnan(b):
            return None
        limit = tol.px if kind == "x" else tol.score if kind == "s" else 0.0
        d = abs(a - b)
        if not d <= limit:
            name = {"x": "pixels", "s": "score"}.get(kind, "value")
            return f"{where}: {a!r} became {b!r} ({name} difference {d:.4g}; tolerance {limit:g})"
        return None
    return None if a == b else f"{where}: {a!r} became {b!r}"


def _keypoint(where, xa, ya, sa, xb, yb, sb, tol: Tolerances, flips: _Flips) -> str | None:
    """One keypoint: within ``px``, or a flipped arg-max (``tie_px`` with tied scores)."""
    flips.total += 1
    d = math.hypot(xa - xb, ya - yb)
    if d <= tol.px:
        return None
    if d <= tol.tie_px and abs(sa - sb) <= tol.tie_score:
        flips.moved += 1
        flips.worst = max(flips.worst, d)
        return None
    return (
        f"{where}: moved {d:.3g} px, score {sa!r} -> {sb!r} (tolerance {tol.px:g} px, or "
        f"{tol.tie_px:g} px where the scores tie within {tol.tie_score:g})"
    )


def _flip_line(where: str, flips: _Flips, tol: Tolerances) -> str | None:
    if flips.moved <= tol.tie_fraction * flips.total:
        return None
    return (
        f"{where}: {flips.moved} of {flips.total} keypoints moved as tied arg-maxes (up to "
        f"{flips.worst:.3g} px); at most {100 * tol.tie_fraction:g} % may"
    )


def _compare_rows(where: str, task: str, was: dict, now: dict, tol: Tolerances) -> Iterator[str]:
    cols = TEXT_COLUMNS.get(task, "e*")
    ra, rb = was["rows"], now["rows"]
    if len(ra) != len(rb):
        yield f"{where}: {len(ra)} rows became {len(rb)}"
        return
    flips = _Flips()
    for n, (a, b) in enumerate(zip(ra, rb, strict=True), 1):
        row = f"{where} line {n}"
        if len(a) != len(b):
            yield f"{row}: {len(a)} columns became {len(b)}"
            continue
        kinds = [
            cols[min(i, len(cols) - 2)] if cols.endswith("*") else cols[i] for i in range(len(a))
        ]
        if task == "poseprop" and a[:2] == b[:2]:
            yield from _only(
                _keypoint(f"{row} (frame {a[0]}, joint {a[1]})", *a[2:5], *b[2:5], tol, flips)
            )
            continue
        for i, (k, va, vb) in enumerate(zip(kinds, a, b, strict=True)):
            if k == "r":
                if va != vb:
                    diff, area = _mask_diff(
                        _decode(a[3], a[4], va), _decode(b[3], b[4], vb), (a[3], a[4])
                    )
                    yield from _only(
                        _mask_line(tol, f"{row} (frame {a[0]}, id {a[1]}) mask", diff, area)
                    )
                continue
            yield from _only(_number_line(f"{row} column {i + 1}", k, va, vb, tol))
    yield from _only(_flip_line(where, flips, tol))


def _compare_posetrack(where: str, was, now, tol: Tolerances) -> Iterator[str]:
    """PoseTrack18 json: keypoints (x, y, visibility) with per-joint scores; the rest as written,
    boxes and scores within their tolerances."""
    ja, jb = dict(was), dict(now)
    aa, ab = ja.pop("annotations", []), jb.pop("annotations", [])
    if ja != jb:
        yield f"{where}: the images or categories differ"
    if len(aa) != len(ab):
        yield f"{where}: {len(aa)} annotations became {len(ab)}"
        return
    flips = _Flips()
    for n, (a, b) in enumerate(zip(aa, ab, strict=True)):
        ann = f"{where} annotation {n} (image {a.get('image_id')}, track {a.get('track_id')})"
        keys = set(a) | set(b)
        for k in sorted(keys - {"keypoints", "scores", "score", "bbox"}):
            if a.get(k) != b.get(k):
                yield f"{ann}: {k} {a.get(k)!r} became {b.get(k)!r}"
        for k, kind in (("score", "s"), ("bbox", "x")):
            va, vb = a.get(k), b.get(k)
            if isinstance(va, list) and isinstance(vb, list) and len(va) == len(vb):
                for i, (p, q) in enumerate(zip(va, vb, strict=True)):
                    yield from _only(_number_line(f"{ann} {k}[{i}]", kind, float(p), float(q), tol))
            elif isinstance(va, int | float) and isinstance(vb, int | float):
                yield from _only(_number_line(f"{ann} {k}", kind, float(va), float(vb), tol))
            elif va != vb:
                yield f"{ann}: {k} {va!r} became {vb!r}"
        ka, kb = a.get("keypoints") or [], b.get("keypoints") or []
        sa, sb = (
            a.get("scores") or [0.0] * (len(ka) // 3),
            b.get("scores") or [0.0] * (len(kb) // 3),
        )
        if len(ka) != len(kb) or len(sa) != len(sb):
            yield f"{ann}: {len(ka) // 3} keypoints became {len(kb) // 3}"
            continue
        for j in range(len(ka) // 3):
            if ka[3 * j + 2] != kb[3 * j + 2]:
                yield f"{ann} joint {j}: visibility {ka[3 * j + 2]!r} became {kb[3 * j + 2]!r}"
            was_j, now_j = (ka[3 * j], ka[3 * j + 1], sa[j]), (kb[3 * j], kb[3 * j + 1], sb[j])
            yield from _only(_keypoint(f"{ann} joint {j}", *was_j, *now_j, tol, flips))
    yield from _only(_flip_line(where, flips, tol))


def _compare_vis(where: str, was, now, tol: Tolerances) -> Iterator[str]:
    """YouTube-VIS results: one entry per track, masks per frame (RLE or null), a score."""
    if len(was) != len(now):
        yield f"{where}: {len(was)} tracks became {len(now)}"
        return
    for n, (a, b) in enumerate(zip(was, now, strict=True)):
        trk = f"{where} track {n}"
        for k in sorted((set(a) | set(b)) - {"score", "segmentations"}):
            if a.get(k) != b.get(k):
                yield f"{trk}: {k} {a.get(k)!r} became {b.get(k)!r}"
        yield from _only(
            _number_line(f"{trk} score", "s", float(a["score"]), float(b["score"]), tol)
        )
        sa, sb = a.get("segmentations") or [], b.get("segmentations") or []
        if len(sa) != len(sb):
            yield f"{trk}: {len(sa)} frames became {len(sb)}"
            continue
        for t, (ma, mb) in enumerate(zip(sa, sb, strict=True)):
            if ma == mb:
                continue
            shape = tuple((ma or mb)["size"])
            da = None if ma is None else mask_utils.decode({**ma, "counts": ma["counts"].encode()})
            db = None if mb is None else mask_utils.decode({**mb, "counts": mb["counts"].encode()})
            diff, area = _mask_diff(da, db, shape)
            yield from _only(_mask_line(tol, f"{trk} frame {t} mask", diff, area))


def compare_predictions(
    cell: str, task: str, was: dict[str, dict], now: dict[str, dict], tol: Tolerances = TOLERANCES
) -> list[str]:
    """Differences of two prediction digests beyond the tolerances, one line each, naming the
    cell, the file, the item and its size. Empty: the same behaviour."""
    out: list[str] = []
    if was.keys() != now.keys():
        gone, new = sorted(was.keys() - now.keys()), sorted(now.keys() - was.keys())
        out.append(f"{cell}: prediction files differ (missing {gone[:3]}, new {new[:3]})")
    for name in sorted(was.keys() & now.keys()):
        a, b = was[name], now[name]
        if a == b:
            continue
        where = f"{cell}: {name}"
        if "objects" in a and "objects" in b:
            out += _compare_label_maps(where, a, b, tol)
        elif "rows" in a and "rows" in b:
            out += _compare_rows(where, task, a, b, tol)
        elif "json" in a and "json" in b and isinstance(a["json"], dict):
            out += _compare_posetrack(where, a["json"], b["json"], tol)
        elif "json" in a and "json" in b and isinstance(a["json"], list):
            out += _compare_vis(where, a["json"], b["json"], tol)
        else:
            out.append(f"{where}: content differs")
    return out


def compare_summary(
    cell: str, was: dict, now: dict, same_predictions: bool, tol: Tolerances = TOLERANCES
) -> list[str]:
    """A scored summary against its golden one: exact (to 1e-9 relative, a count exactly) on the
    same predictions, within the summary tolerances on predictions that differ within theirs."""
    out = []
    if was.keys() != now.keys():
        return [f"{cell}: summary fields {sorted(was)} became {sorted(now)}"]
    for k, v in was.items():
        w = now[k]
        if v == w or (
            isinstance(v, float) and isinstance(w, float) and math.isnan(v) and math.isnan(w)
        ):
            continue
        if isinstance(v, int) and isinstance(w, int):
            if same_predictions or abs(v - w) > tol.summary_count:
                out.append(f"{cell}: summary {k} {v} became {w} (count; tolerance "
                           f"{0 if same_predictions else tol.summary_count})")  # fmt: skip
            continue
        if not (isinstance(v, int | float) and isinstance(w, int | float)) or type(v) is not type(
            w
        ):
            out.append(f"{cell}: summary {k} {v!r} became {w!r}")
            continue
        d = abs(w - v)
        rel = d / abs(v) if v else math.inf
        if same_predictions:
            ok = rel <= 1e-9 or d <= 1e-12
            limit = "1e-9 relative, same predictions"
        else:
            ok = rel <= tol.summary_rel or d <= tol.summary_abs
            limit = f"{tol.summary_rel:g} relative or {tol.summary_abs:g} absolute"
        if not ok:
            out.append(f"{cell}: summary {k} {v!r} became {w!r} (difference {d:.3g}, "
                       f"relative {rel:.3g}; tolerance {limit})")  # fmt: skip
    return out


def check(cell: str, task: str, was: dict, now: dict, tol: Tolerances = TOLERANCES) -> list[str]:
    """A golden entry (``predictions`` digest and ``summary``) against a fresh one."""
    same = was["predictions"] == now["predictions"]
    return compare_predictions(cell, task, was["predictions"], now["predictions"], tol) + (
        compare_summary(cell, was["summary"], now["summary"], same, tol)
    )


def clean_summary(summary: dict) -> dict:
    """A summary in JSON: NaN and infinities kept distinguishable as their repr."""
    return {
        k: (repr(v) if isinstance(v, float) and not math.isfinite(v) else v)
        for k, v in sorted(summary.items())
    }


def written_at() -> dict:
    """Where a golden file was written: enough to tell a reader why numbers may differ."""
    import torch  # lazily, like unibench below: conftest sets the environment torch reads first

    return {
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "machine": platform.machine(),
    }


# ------------------------------------------------------------------- the behaviour cells


def run_cell(task: str, head: str, bench: str, out: Path, overrides: dict | None = None) -> dict:
    """One golden cell: ``pixels`` × ``head`` on the first sequence of ``bench``; ``overrides``
    (dotted keys, e.g. ``{"head": {"topk": 5}}``) merge into the config layer."""
    # imported here, not at the top: tests/conftest.py imports this module before it sets the
    # environment (TRITON_INTERPRET) that importing unibench's kernels reads
    from unibench.benchmarks.base import build_benchmark

    from unibench.app.pipeline import resolve_config, run_matrix
    from unibench.executors.inline import InlineExecutor

    first = build_benchmark(bench, None, None, None).sequence_names()[0]
    layer = {
        "task": task,
        "model": {"name": "pixels"},
        "head": {"name": head},
        "benchmark": {"name": bench, "sequences": [first]},
        "output": {"dir": str(out)},
    }
    for section, values in (overrides or {}).items():
        layer[section] = {**layer.get(section, {}), **values}
    (res,) = run_matrix([resolve_config(layer)], InlineExecutor(), progress=False)
    rec = res.record
    return {
        "sequence": first,
        "behaviour": rec.behaviour,
        "predictions": digest_folder(Path(rec.predictions)),
        "summary": clean_summary(rec.metrics),
    }


def load_golden() -> dict:
    return (
        json.loads(BEHAVIOUR.read_text()) if BEHAVIOUR.is_file() else {"cells": {}, "features": {}}
    )


def cell_key(task, head, bench) -> str:
    return f"{task}/{head}/{bench}"
