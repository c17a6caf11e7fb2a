"""Performance benchmarks (numbers for the record, never assertions).

``unibench bench sot [models=pixels,resnet18] [heads=xcorr,dcf,mask-box] [repeats=3]``: frames per
second of each SOT head on the embedded OTB suite, with the bare feature extraction rate beside it.

``unibench bench association [models=pixels,resnet18] [tasks=mot,mots,posetrack]
[similarities=rsm,cosine-pool,cosine-flat]``: the representation study (RSM vs cosine, motion on/off)
on the embedded MOT, MOTS and PoseTrack suites, as markdown tables with seconds per frame.

``unibench bench features [models=pixels,resnet18] [repeats=3] [height=480] [width=854]``: seconds
per frame of each model's feature extraction: float32, float32 channels-last, and the opt-in
bfloat16 path, with their ratios to float32 measured in the same process.

``unibench bench kernels [C=256,1024] [N=1,5,21] [L=5,10] [repeats=3] [rsm=50,100] [json=F]``

One DAVIS 480p query frame (60×107 = 6420 cells at stride 8) against N memory frames, k = 10:

* ``gemm`` / ``gemm-frames``: the bare score GEMM of the same shapes into a reused output buffer,
  as one GEMM per query block against all memory, or one per memory frame; ratios are taken
  against the faster of the two (the floor every implementation pays);
* ``cpu-global`` / ``cpu-r12``: :func:`unibench.cuda_ops.propagate` on the CPU (chunked exact path),
  without and with the radius-12 restriction (first frame unrestricted), L label channels;
* ``naive-global`` / ``naive-r12``: what the reference codes do: full ``s_q × s_m`` scores, dense
  radius mask, ``topk``, softmax, gather (:func:`unibench.cuda_ops.propagate_reference` with
  ``stable=False``);
* RSM: ``rsm`` (Gram form) vs ``rsm-direct`` (materialised reconstructions) for M = N boxes of 40
  points, with ``rsm-gemm`` the bare affinity GEMM.

Each measurement runs in a fresh process; the time is the median over ``repeats``; the peak extra
memory is ``VmHWM`` (reset through ``/proc/self/clear_refs``) minus the resident size before the call.
On a CUDA machine (``device=cuda``) the same cases run with the Triton kernel and bf16 inputs, and
memory comes from ``torch.cuda.max_memory_allocated``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import multiprocessing as mp
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from unibench.app import pipeline
from unibench.app.pipeline import resolve_config
from unibench.app.show import Run, render
from unibench.appearance_models import FeatureExtractor, create_model
from unibench.benchmarks import BENCHMARKS
from unibench.benchmarks.base import build_benchmark, score
from unibench.benchmarks.formats.palette import read_label_map, write_palette_png
from unibench.cuda_ops import (
    cpu_topk,
    l2_normalize,
    propagate,
    propagate_reference,
    resolve_impl,
    rsm,
    rsm_direct,
)
from unibench.datatypes import Clip, MaskInit, VideoSequence
from unibench.executors.inline import InlineExecutor
from unibench.executors.process import ProcessExecutor
from unibench.executors.ray import RayExecutor
from unibench.heads import HEADS
from unibench.heads.vos import MaskPropagationHead, cell_major, one_hot
from unibench.reports import draw
from unibench.reports.video import DEFAULT_CRF, read_video, write_video
from unibench.tasks import TASKS

logger = logging.getLogger(__name__)

H, W = 60, 107  # DAVIS 480p at stride 8


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _case(kind: str, p: dict, device: str):
    import torch

    g = torch.Generator().manual_seed(0)
    dt = torch.bfloat16 if device == "cuda" else torch.float32
    if kind.startswith("rsm"):
        M, s, C = p["boxes"], 40, p["C"]
        t = l2_normalize(torch.randn(M, s, C, generator=g), -1).to(device)
        d = l2_normalize(torch.randn(M, s, C, generator=g), -1).to(device)
        if kind == "rsm":
            return lambda: rsm(t, d)
        if kind == "rsm-direct":
            return lambda: rsm_direct(t, d)
        tf, df = t.reshape(-1, C), d.reshape(-1, C).t().contiguous()
        out = torch.empty(tf.shape[0], df.shape[1], device=device)
        return lambda: torch.mm(tf, df, out=out)
    C, N, L = p["C"], p["N"], p.get("L", 5)
    q = l2_normalize(torch.randn(C, H, W, generator=g)).to(device, dt)
    m = l2_normalize(torch.randn(N, C, H, W, generator=g), 1).to(device, dt)
    lab = torch.rand(N, L, H, W, generator=g).to(device)
    if kind == "gemm":
        mt = m.reshape(N, C, -1).permute(1, 0, 2).reshape(C, -1).contiguous()
        qf = q.reshape(C, -1).t().contiguous()
        block = H * W if device == "cuda" else 540
        buf = torch.empty(block, mt.shape[1], device=device, dtype=dt)

        def gemm():
            for s0 in range(0, qf.shape[0], block):
                e = min(s0 + block, qf.shape[0])
                torch.mm(qf[s0:e], mt, out=buf[: e - s0])

        return gemm
    if kind == "gemm-frames":  # the same GEMM, one memory frame at a time (cache-friendlier)
        m3 = m.reshape(N, C, -1)
        qf = q.reshape(C, -1).t().contiguous()
        block = H * W if device == "cuda" else 540
        buf = torch.empty(block, H * W, device=device, dtype=dt)

        def gemm_frames():
            for s0 in range(0, qf.shape[0], block):
                e = min(s0 + block, qf.shape[0])
                for f in range(N):
                    torch.mm(qf[s0:e], m3[f], out=buf[: e - s0])

        return gemm_frames
    radius = 12.0 if kind.endswith("r12") else None
    if kind.startswith("naive"):
        return lambda: propagate_reference(q, m, lab, 10, 0.05, radius, stable=False)
    return lambda: propagate(q, m, lab, 10, 0.05, radius)


def _child(kind: str, p: dict, device: str, repeats: int, conn) -> None:
    import torch

    try:
        fn = _case(kind, p, device)
        fn()  # warm-up (and Triton compilation)
        times, peak = [], 0.0
        for _ in range(repeats):
            if device == "cuda":
                torch.cuda.synchronize()
                base = torch.cuda.memory_allocated()
                torch.cuda.reset_peak_memory_stats()
            else:
                base = _rss_kb("VmRSS") * 1024
                _reset_peak()
            t0 = time.perf_counter()
            fn()
            if device == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
            if device == "cuda":
                peak = max(peak, torch.cuda.max_memory_allocated() - base)
            else:
                peak = max(peak, _rss_kb("VmHWM") * 1024 - base)
        med = statistics.median(times)
        rows = p["boxes"] ** 2 if kind.startswith("rsm") else H * W
        conn.send(
            {"kind": kind, **p, "median_s": med, "per_s": rows / med, "peak_extra_mb": peak / 2**20}
        )
    except Exception as exc:  # noqa: BLE001 - reported as a row, the benchmark goes on
        conn.send({"kind": kind, **p, "error": f"{type(exc).__name__}: {exc}"})


def measure(kind: str, p: dict, device: str = "cpu", repeats: int = 3) -> dict:
    ctx = mp.get_context("spawn")
    a, b = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(kind, p, device, repeats, b))
    proc.start()
    res = a.recv() if a.poll(3600) else {"kind": kind, **p, "error": "timeout"}
    proc.join()
    return res


def _print(r: dict, base: float | None) -> None:
    tag = " ".join(f"{k}={r[k]}" for k in ("C", "N", "L", "boxes") if k in r)
    if "error" in r:
        print(f"{r['kind']:13s} {tag:22s} ERROR {r['error']}", flush=True)
        return
    r["ratio_to_gemm"] = r["median_s"] / base if base else float("nan")
    print(
        f"{r['kind']:13s} {tag:22s} {r['median_s']:9.4f} s {r['per_s']:12.0f}/s "
        f"peak +{r['peak_extra_mb']:9.1f} MB  x{r['ratio_to_gemm']:.2f} gemm",
        flush=True,
    )


def bench_sot(models: list[str], heads: list[str], repeats: int) -> list[dict]:
    """Frames per second of each SOT head on the embedded OTB suite, beside the rate of the bare
    full-frame feature extraction of the same model (measured in the same run)."""
    import torch

    bench = BENCHMARKS.get("synthetic-otb")(None, None, None)
    seqs = [bench.load_sequence(n) for n in bench.sequence_names()]
    rows = []
    for model in models:
        ex, _ = create_model(model)
        frames = [s.clip.frame(t) for s in seqs for t in range(len(s.clip))]
        t0 = time.perf_counter()
        for f in frames:
            ex(f)
        feat_fps = len(frames) / (time.perf_counter() - t0)
        for head in heads:
            cls = HEADS.get(head)
            rates = []
            for _ in range(repeats):
                n, t0 = 0, time.perf_counter()
                for s in seqs:
                    for _p in cls(cls.Params()).track(s, ex):
                        n += 1
                rates.append(n / (time.perf_counter() - t0))
            r = {
                "model": model,
                "head": head,
                "fps": statistics.median(rates),
                "feature_fps": feat_fps,
                "threads": torch.get_num_threads(),
            }
            rows.append(r)
            print(
                f"{model:10s} {head:9s} {r['fps']:8.1f} frames/s   (full-frame features "
                f"alone: {feat_fps:.1f} frames/s, {r['threads']} threads)",
                flush=True,
            )
    return rows


def bench_features(models: list[str], repeats: int, height: int = 480, width: int = 854) -> list:
    """Seconds per frame of each model's feature extraction (preprocessing and forward, as
    :class:`~unibench.appearance_models.FeatureExtractor` runs it) on one ``height × width`` frame
    (DAVIS 480p by default): float32 (the baseline, ratio 1.00), float32 on a channels-last input,
    and the opt-in bfloat16 path (``model.precision=bf16``: autocast on a channels-last input);
    each the median of ``repeats`` after one warm-up, all measured in the same process."""
    import numpy as np
    import torch

    frame = np.random.default_rng(0).integers(0, 255, (height, width, 3), dtype=np.uint8)
    rows = []
    for model in models:
        ex, _ = create_model(model)

        def channels_last(ex=ex):
            x = ex.preprocess(frame).contiguous(memory_format=torch.channels_last)
            with torch.inference_mode():
                ex.model(x, [ex.tap])

        def with_precision(precision, ex=ex):
            ex.precision = precision
            try:
                ex(frame)
            finally:
                ex.precision = "fp32"

        cases = (
            ("fp32", lambda: with_precision("fp32")),
            ("fp32 channels-last", channels_last),
            ("bf16", lambda: with_precision("bf16")),
        )
        base = None
        for kind, fn in cases:
            fn()
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
            med = statistics.median(times)
            base = base or med
            r = {"model": model, "kind": kind, "s_per_frame": med, "ratio": base / med,
                 "threads": torch.get_num_threads(), "size": [height, width]}  # fmt: skip
            rows.append(r)
            print(f"{model:28s} {kind:20s} {med:8.3f} s/frame  {base / med:5.2f}x vs fp32 "
                  f"({r['threads']} threads)", flush=True)  # fmt: skip
    return rows


def _timed_rounds(fns: dict, repeats: int) -> dict[str, float]:
    """Median seconds of each of ``fns`` over ``repeats`` rounds after one warm-up round; every
    round calls each once in turn, so a machine whose speed drifts (a shared host) shifts all of
    them alike and their ratios hold."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for r in range(repeats + 1):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            if r:
                times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def _vos_sequence(data_root: str | None, sequence: str | None, frames: int):
    """The sequence ``bench vos`` times: a DAVIS-2016-layout sequence (real 480p frames and
    masks) where ``data_root`` is given, else a synthetic 480 × 854 clip (a textured square
    moving over noise), cut to its first ``frames`` frames."""
    import numpy as np

    if data_root:
        bench = build_benchmark("davis2016", data_root, None, [sequence] if sequence else None)
        name = bench.sequence_names()[0]
        seq = bench.load_sequence(name)
        n = min(frames, len(seq.clip))
        clip = Clip(seq.clip.frame_names[:n], seq.clip.loader, seq.clip.size)
        return dataclasses.replace(seq, clip=clip), f"davis2016 {name} ({n} frames)"
    rng = np.random.default_rng(0)
    h, w = 480, 854
    bg = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    tex = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)

    def frame(t: int) -> np.ndarray:
        f = bg.copy()
        f[180:300, 100 + 6 * t : 260 + 6 * t] = tex
        return f

    mask = np.zeros((h, w), np.uint8)
    mask[180:300, 100:260] = 1
    clip = Clip(tuple(f"{t:05d}" for t in range(frames)), frame, (h, w))
    return VideoSequence(
        "synthetic-480p", clip, MaskInit(mask, (1,))
    ), f"synthetic 480x854 ({frames} frames)"


def bench_vos(
    models: list[str], data_root: str | None, sequence: str | None, frames: int, repeats: int,
    preset: str = "unitrack",
) -> list[dict]:  # fmt: skip
    """Where a VOS frame's time goes, per model, all in one process and against two baselines
    measured beside it: the network's bare eager forward to the tap (as built, no fusion), and
    the bare score GEMM of the propagation's shapes (the query against every memory cell).
    Stages: frame decoding, the feature path as run (batch norms folded, channels-last) and as
    built, the propagation, decoding the labels (upsampling, arg-max), writing the palette PNG,
    and the whole frame (the head over the sequence with read-ahead decoding and the PNG
    writes: seconds per frame after the first)."""
    import torch

    seq, what = _vos_sequence(data_root, sequence, frames)
    params = MaskPropagationHead.Params(**MaskPropagationHead.presets[preset].values)
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="unibench-bench-vos-"))
    impl = resolve_impl("cpu")
    print(
        f"{what}; preset {preset}; {torch.get_num_threads()} threads; "
        f"median of {repeats} rounds, each stage once per round; propagation: {impl}"
        + (f" ({cpu_topk.kernel()} kernel)" if impl == "fused" else "")
    )
    with ThreadPoolExecutor(1) as pool:
        for model in models:
            med = _vos_stages(model, seq, params, pool, tmp, repeats)
            fwd, gemm = med["bare forward (eager, as built)"], med["bare GEMM (query x memory)"]
            for k, v in med.items():
                r = {"model": model, "stage": k, "s_per_frame": v, "vs_forward": v / fwd,
                     "vs_gemm": v / gemm if k.startswith("propagation") else None,
                     "threads": torch.get_num_threads(), "sequence": what}  # fmt: skip
                rows.append(r)
                extra = f"  {v / gemm:5.2f}x the bare GEMM" if k.startswith("propagation") else ""
                print(f"{model:28s} {k:32s} {v:8.4f} s  {v / fwd:5.2f}x the bare forward{extra}",
                      flush=True)  # fmt: skip
    return rows


def _vos_stages(model: str, seq, params, pool, tmp: Path, repeats: int) -> dict[str, float]:
    """The medians of :func:`bench_vos`'s stages for one model."""
    import torch

    built, _ = create_model(model)
    as_built = FeatureExtractor(built.model, built.cfg, tap=built.tap, fuse=False)
    fused = FeatureExtractor(built.model, built.cfg, tap=built.tap, fuse=True)
    img = seq.clip.frame(1)
    x = built.preprocess(img)
    net, tap = built.model, built.tap
    n = len(seq.clip)
    # the head's layout: features stored cell-major, the memory stacked so
    feats = [cell_major(l2_normalize(fused(seq.clip.frame(min(t, n - 1))).data))
             for t in range(params.n_recent + 1)]  # fmt: skip
    q = feats[-1].permute(2, 0, 1)
    mem = torch.stack(feats[:1] + feats[: params.n_recent]).permute(0, 3, 1, 2)  # frame 0 + window
    ids = np.array((0, *seq.init.object_ids), dtype=np.uint8)
    head = MaskPropagationHead(params)
    lab = head._labels_to_grid(one_hot(seq.init.mask, seq.init.object_ids), tuple(q.shape[-2:]))
    labs = lab[None].expand(mem.shape[0], *lab.shape).contiguous()
    qf = q.reshape(q.shape[0], -1).t().contiguous()
    mf = mem.permute(1, 0, 2, 3).reshape(q.shape[0], -1).contiguous()
    buf = torch.empty(qf.shape[0], mf.shape[1])
    p = params

    def prop(impl="auto"):
        return propagate(q, mem, labs, p.topk, p.temperature, p.radius, p.restrict_first,
                         p.radius_shape, impl=impl)  # fmt: skip

    soft = prop()
    labels = head._decode(soft, seq.clip.size, ids)

    def whole() -> None:
        s = dataclasses.replace(seq, clip=seq.clip.read_ahead(pool))
        for pred in head.track(s, fused):
            write_palette_png(tmp / f"{pred.index:05d}.png", pred.labels)

    stages = {
        "bare forward (eager, as built)": lambda: net(x, [tap]),
        "bare GEMM (query x memory)": lambda: torch.mm(qf, mf, out=buf),
        "read frame (decode)": lambda: seq.clip.loader(1),
        "features, as built": lambda: as_built(img),
        "features, as run (fused)": lambda: fused(img),
        "propagation": prop,
        "decode labels": lambda: head._decode(soft, seq.clip.size, ids),
        "write PNG": lambda: write_palette_png(tmp / "x.png", labels),
    }
    if resolve_impl("cpu") == "fused":  # the PyTorch path it replaces, in the same rounds
        stages["propagation (PyTorch path)"] = lambda: prop("chunked")
    stages["whole frame (head + writes)"] = whole
    with torch.inference_mode():
        med = _timed_rounds(stages, repeats)
    med["whole frame (head + writes)"] /= n - 1
    return med


def _render_sequence(data_root: str | None, sequence: str | None, frames: int, tmp: Path):
    """The DAVIS-2016-layout sequence ``bench render`` draws, with a run's predictions beside it:
    ``sequence`` of the folder ``data_root`` (default parkour, 100 frames) cut to ``frames``, or a
    synthetic 480 × 854 sequence written in the layout; the predictions are the annotations moved
    8 px right (so contours and J differ from the ground truth). Returns the benchmark, the
    sequence's name, the predictions folder and a description."""
    if data_root:
        bench = build_benchmark("davis2016", data_root, None, [sequence or "parkour"])
        name = bench.sequence_names()[0]
    else:
        name, root = "synthetic-480p", tmp / "davis"
        seq, _ = _vos_sequence(None, None, frames)
        img, ann = root / "JPEGImages" / "480p" / name, root / "Annotations" / "480p" / name
        img.mkdir(parents=True)
        ann.mkdir(parents=True)
        from PIL import Image

        for t in range(frames):
            Image.fromarray(seq.clip.frame(t)).save(img / f"{t:05d}.jpg", quality=90)
            m = np.zeros((480, 854), np.uint8)
            m[180:300, 100 + 6 * t : 260 + 6 * t] = 1
            write_palette_png(ann / f"{t:05d}.png", m)
        for split in ("val", "trainval"):
            d = root / "ImageSets" / "480p"
            d.mkdir(parents=True, exist_ok=True)
            (d / f"{split}.txt").write_text("".join(
                f"/JPEGImages/480p/{name}/{t:05d}.jpg /Annotations/480p/{name}/{t:05d}.png\n"
                for t in range(frames)))  # fmt: skip
        bench = build_benchmark("davis2016", str(root), None, [name])
    seq = bench.load_sequence(name)
    n = min(frames, len(seq.clip))
    preds = tmp / "predictions"
    (preds / name).mkdir(parents=True)
    masks = bench._masks(name)  # the annotation of every frame (DAVIS-2016 labels them all)
    for s in list(seq.clip.frame_names)[:n]:
        write_palette_png(preds / name / f"{s}.png", np.roll(read_label_map(masks[s]), 8, axis=1))
    return bench, name, n, preds, f"davis2016 {name} ({n} frames)" if data_root else (
        f"synthetic 480x854 ({n} frames, DAVIS-2016 layout)")  # fmt: skip


def bench_render(data_root: str | None, sequence: str | None, frames: int, repeats: int,
                 fps: float = 12.0) -> list[dict]:  # fmt: skip
    """What ``unibench show`` costs over what any video of the sequence costs, in one process:
    the render (predictions read back through the benchmark's reader, drawn over the frames with
    the ground truth beside, banner and J strip, encoded as H.264) against two baselines timed
    beside it: decoding the frames and encoding them as they are (854 × 480), and decoding them
    and encoding a canvas of the rendered video's size (the frame twice, no drawing: the same
    encoder work). Also the size of a 480p minute at the render's settings."""
    tmp = Path(tempfile.mkdtemp(prefix="unibench-bench-render-"))
    bench, name, n, preds, what = _render_sequence(data_root, sequence, frames, tmp)
    (tmp / "run").mkdir()
    (tmp / "run" / "predictions").symlink_to(preds)
    cfg = {"task": "vos", "benchmark": {"name": "davis2016"},
           "model": {"name": "annotations moved 8 px"}, "head": {"name": "bench"}}  # fmt: skip
    run = Run(tmp / "run", cfg, {"tap": "-"}, [], bench)
    seq = bench.load_sequence(name)
    shape: list[tuple[int, int]] = []

    def rendered() -> None:
        out = tmp / "render.mp4"
        out.unlink(missing_ok=True)
        render([run], name, out, None, None, fps)

    def plain() -> None:
        write_video(tmp / "plain.mp4", (seq.clip.frame(t) for t in range(n)), fps)

    def canvas() -> None:
        def frames():
            for t in range(n):
                f = seq.clip.frame(t)
                yield (
                    np.zeros((*shape[0], 3), np.uint8)
                    if not shape
                    else _fit(draw.hstack([f, f], gap=6), shape[0])
                )

        write_video(tmp / "canvas.mp4", frames(), fps)

    rendered()
    shape.append(read_video(tmp / "render.mp4")[0].shape[:2])
    rows = []
    med = _timed_rounds({"decode + encode (frames as they are)": plain,
                         "decode + encode (canvas of the render's size)": canvas,
                         "render (show: read back, draw, encode)": rendered}, repeats)  # fmt: skip
    base = med["decode + encode (canvas of the render's size)"]
    plain_s = med["decode + encode (frames as they are)"]
    print(f"{what}; {fps:g} fps; H.264 (libx264 veryfast, crf {DEFAULT_CRF}); median of {repeats}")
    for k, v in med.items():
        rows.append({"stage": k, "seconds": v, "s_per_frame": v / n, "vs_canvas": v / base,
                     "vs_plain": v / plain_s, "frames": n, "sequence": what})  # fmt: skip
        print(f"{k:46s} {v:7.2f} s  {1000 * v / n:6.1f} ms/frame  {v / base:5.2f}x canvas  "
              f"{v / plain_s:5.2f}x plain", flush=True)  # fmt: skip
    size = (tmp / "render.mp4").stat().st_size
    minute = size / (n / fps) * 60
    h, w = shape[0]
    print(f"render.mp4: {size / 1e6:.2f} MB for {n} frames of {w}x{h} at {fps:g} fps: "
          f"{minute / 1e6:.1f} MB per minute")  # fmt: skip
    rows.append({"stage": "size", "bytes": size, "mb_per_minute": minute / 1e6, "width": w,
                 "height": h, "fps": fps, "frames": n, "sequence": what})  # fmt: skip
    return rows


def _fit(img: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """``img`` padded or cut to ``hw`` (the canvas baseline's frames at the render's size)."""
    out = np.zeros((*hw, 3), np.uint8)
    h, w = min(hw[0], img.shape[0]), min(hw[1], img.shape[1])
    out[:h, :w] = img[:h, :w]
    return out


def bench_association(models: list[str], tasks: list[str], similarities: list[str]) -> list[dict]:
    """The representation study on the embedded suites: each association task × model ×
    similarity, with motion on and off (λ = 1, no gate), through the task's default head
    configuration; scores and the head's seconds per frame (features included)."""
    rows = []
    for task in tasks:
        task_def = TASKS.get(task)
        bench = BENCHMARKS.get(task_def.default_suite)(None, None, None)
        seqs = [bench.load_sequence(n) for n in bench.sequence_names()]
        keys = task_def.leaderboard
        print(f"\n{task} ({bench.name}: {len(seqs)} sequences)", flush=True)
        print("| model | similarity | motion | " + " | ".join(keys) + " | s/frame |")
        print("|---" * (len(keys) + 4) + "|")
        for model in models:
            ex, _ = create_model(model)
            for sim in similarities:
                if sim == "cosine-flat" and task != "mot":
                    continue  # needs corresponding points: box features only
                for motion in (True, False):
                    resolved = resolve_config(
                        {"task": task, "model": {"name": model}},
                        overrides=[f"head.similarity={sim}", f"head.motion={str(motion).lower()}"],
                    )
                    head = HEADS.get(resolved.run.head.name)(resolved.head_params)
                    with tempfile.TemporaryDirectory() as tmp:
                        n, t0 = 0, time.perf_counter()
                        for seq in seqs:
                            target = bench.result_path(Path(tmp), seq.name)
                            n += bench.write_predictions(seq, head.track(seq, ex), target)
                        secs = (time.perf_counter() - t0) / n
                        m = score(bench, Path(tmp)).summary
                    r = {"task": task, "model": model, "similarity": sim, "motion": motion}
                    r.update({k: m[k] for k in keys} | {"seconds_per_frame": secs})
                    rows.append(r)
                    cells = [f"{m[k]:.0f}" if k == "IDs" else f"{100 * m[k]:.1f}" for k in keys]
                    print(
                        f"| {model} | {sim} | {'on' if motion else 'off'} | "
                        + " | ".join(cells)
                        + f" | {secs:.3f} |",
                        flush=True,
                    )
    return rows


def bench_scale(
    workers: int = 2, noop: int = 50, models: tuple[str, ...] = ("pixels", "resnet18")
) -> list[dict]:
    """The embedded matrix (pixels and ResNet-18 × two VOS head variants × three synthetic-DAVIS
    sequences = 12 CPU-bound units) under inline (one thread: the scaling baseline; and torch's
    default threads), process(N) and ray(N): wall time, units per minute, speed-up and scaling
    efficiency against the one-thread inline run measured in the same call; Ray's
    per-unit scheduling overhead from ``noop`` tasks that do nothing (wall time / tasks on N
    workers, minus nothing: the tasks are empty)."""

    def cells(out):
        return [
            pipeline.resolve_config(
                {
                    "task": "vos",
                    "model": {"name": m},
                    "head": {"params": {"topk": k}},
                    "output": {"dir": out},
                }
            )
            for m in models
            for k in (10, 5)
        ]

    import torch

    rows = []
    threads = torch.get_num_threads()

    class OneThread(InlineExecutor):  # the scaling baseline: one core, as each worker gets
        name = "inline-1t"

        def run(self, units, work):
            torch.set_num_threads(1)
            try:
                yield from super().run(units, work)
            finally:
                torch.set_num_threads(threads)

    executors = [
        ("inline, 1 thread", OneThread()),
        (f"inline, {threads} threads", InlineExecutor()),
        (f"process({workers})", ProcessExecutor(workers)),
    ]
    try:
        executors.append((f"ray({workers})", RayExecutor(num_cpus=workers)))
    except Exception as exc:  # noqa: BLE001 — Ray missing: say so, measure the rest
        logger.warning("ray not measured: %s", exc)
    base = None
    for name, ex in executors:
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            outs = pipeline.run_matrix(cells(d), ex, progress=False)
            wall = time.perf_counter() - t0
        n = sum(len(o.computed) for o in outs if o is not None)
        base = base or wall
        rows.append(
            {
                "executor": name,
                "units": n,
                "wall_s": round(wall, 2),
                "units_per_min": round(60 * n / wall, 1),
                "speedup": round(base / wall, 2),
                "efficiency": round(base / wall / (1 if name.startswith("inline") else workers), 2),
            }
        )
        print(rows[-1])
    if any(r["executor"].startswith("ray") for r in rows):
        import ray

        @ray.remote(num_cpus=1)
        def nothing():
            return None

        ray.get([nothing.remote() for _ in range(workers)])  # workers up
        t0 = time.perf_counter()
        ray.get([nothing.remote() for _ in range(noop)])
        per = (time.perf_counter() - t0) / noop * workers
        rows.append(
            {"executor": "ray no-op", "units": noop, "overhead_ms_per_unit": round(1e3 * per, 1)}
        )
        print(rows[-1])
        ray.shutdown()
    return rows


def main(what: str, args: list[str]) -> int:
    opts = dict(a.split("=", 1) for a in args)
    device = opts.get("device", "cpu")
    repeats = int(opts.get("repeats", "3"))
    rows = []
    if what == "kernels":
        kinds = opts.get(
            "kinds", "gemm,gemm-frames,cpu-global,cpu-r12,naive-global,naive-r12"
        ).split(",")
        labels = [int(x) for x in opts.get("L", "5,10").split(",")]
        for C in [int(c) for c in opts.get("C", "256,1024").split(",")]:
            for N in [int(n) for n in opts.get("N", "1,5,21").split(",") if n]:
                base = None
                for kind in kinds:
                    for L in labels if kind.startswith("cpu") else labels[:1]:
                        r = measure(kind, {"C": C, "N": N, "L": L}, device, repeats)
                        if kind.startswith("gemm") and "error" not in r:
                            base = min(base or r["median_s"], r["median_s"])
                        _print(r, base)
                        rows.append(r)
        for C in [int(c) for c in opts.get("C", "256,1024").split(",")]:
            for boxes in [int(b) for b in opts.get("rsm", "50,100").split(",") if b]:
                base = None
                for kind in ("rsm-gemm", "rsm", "rsm-direct"):
                    r = measure(kind, {"C": C, "boxes": boxes}, device, repeats)
                    if kind == "rsm-gemm" and "error" not in r:
                        base = r["median_s"]
                    _print(r, base)
                    rows.append(r)
    if what == "sot":
        rows = bench_sot(
            opts.get("models", "pixels,resnet18").split(","),
            opts.get("heads", "xcorr,dcf,mask-box").split(","),
            repeats,
        )
    if what == "features":
        rows = bench_features(
            opts.get("models", "pixels,resnet18").split(","), repeats,
            int(opts.get("height", "480")), int(opts.get("width", "854")),
        )  # fmt: skip
    if what == "vos":
        rows = bench_vos(
            opts.get("models", "mobilenet_v2.tv_in1k").split(","), opts.get("data"),
            opts.get("sequence"), int(opts.get("frames", "20")), repeats,
            opts.get("preset", "unitrack"),
        )  # fmt: skip
    if what == "render":
        rows = bench_render(
            opts.get("data"), opts.get("sequence"), int(opts.get("frames", "100")),
            int(opts.get("repeats", "1")), float(opts.get("fps", "12")),
        )  # fmt: skip
    if what == "scale":
        rows = bench_scale(
            int(opts.get("workers", "2")),
            int(opts.get("noop", "50")),
            tuple(opts.get("models", "pixels,resnet18").split(",")),
        )
    if what == "association":
        rows = bench_association(
            opts.get("models", "pixels,resnet18").split(","),
            opts.get("tasks", "mot,mots,posetrack").split(","),
            opts.get("similarities", "rsm,cosine-pool,cosine-flat").split(","),
        )
    if "json" in opts:
        with open(opts["json"], "w") as f:
            json.dump(rows, f, indent=1)
    return 0
