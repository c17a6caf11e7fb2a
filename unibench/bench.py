"""Performance benchmarks (numbers for the record, never assertions).

``unibench bench propagation [C=256,1024] [N=21] [repeats=3] [budget_mb=512]`` measures one DAVIS
480p frame (60×107 grid at stride 8) propagated from N memory frames: median seconds of

* ``gemm``: the bare score GEMM of the same shapes into a reused buffer (the floor),
* ``chunked``: :func:`unibench.cuda_ops.propagate_chunked` (what the VOS head runs on the CPU),
* ``naive``: the materialising torch code of the reference implementations (full ``s_q × s_m``
  scores, dense radius mask, ``topk``),

and the peak extra resident memory of each, measured in a fresh subprocess (``VmHWM`` after
resetting it through ``/proc/self/clear_refs``, minus the resident size before the call).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import statistics
import time

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


def _naive(q, m, lab, k, temperature, radius):
    import torch

    from unibench.cuda_ops.propagation import _window

    C, h, w = q.shape
    Fm = m.shape[0]
    qf = q.reshape(C, -1).t()
    mf = m.reshape(Fm, C, -1).permute(0, 2, 1).reshape(-1, C)
    A = qf @ mf.t()
    win = _window(torch.arange(h * w), (h, w), radius, "circle", q.device)
    mask = torch.cat([torch.ones_like(win)] + [win] * (Fm - 1), 1)
    A = A.masked_fill(~mask, float("-inf")) / temperature
    vals, idx = A.topk(k, dim=1)
    wts = torch.softmax(vals, 1)
    labf = lab.reshape(Fm, lab.shape[1], -1).permute(0, 2, 1).reshape(-1, lab.shape[1])
    return (wts[:, :, None] * labf[idx]).sum(1)


def _child(kind: str, C: int, N: int, budget_mb: int, repeats: int, threads: int, conn) -> None:
    import torch

    from unibench.cuda_ops import l2_normalize, propagate_chunked

    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    q = l2_normalize(torch.randn(C, H, W, generator=g))
    m = l2_normalize(torch.randn(N, C, H, W, generator=g), 1)
    lab = torch.rand(N, 4, H, W, generator=g)
    mt = m.reshape(N, C, -1).permute(0, 2, 1).reshape(-1, C).t().contiguous()
    qf = q.reshape(C, -1).t().contiguous()
    if kind == "gemm":
        block = 1024
        buf = torch.empty(block, mt.shape[1])

        def fn():
            for s in range(0, qf.shape[0], block):
                e = min(s + block, qf.shape[0])
                torch.mm(qf[s:e], mt, out=buf[: e - s])
    elif kind == "chunked":

        def fn():
            propagate_chunked(q, m, lab, 10, 0.05, 12.0, budget_bytes=budget_mb * 2**20)
    else:

        def fn():
            _naive(q, m, lab, 10, 0.05, 12.0)

    times = []
    peak = 0
    for _ in range(repeats):
        before = _rss_kb("VmRSS")
        _reset_peak()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        peak = max(peak, _rss_kb("VmHWM") - before)
    conn.send(
        {
            "kind": kind,
            "C": C,
            "N": N,
            "median_s": statistics.median(times),
            "peak_extra_mb": peak / 1024,
            "queries_per_s": H * W / statistics.median(times),
        }
    )


def measure(
    kind: str, C: int, N: int, budget_mb: int = 512, repeats: int = 3, threads: int = 0
) -> dict:
    import torch

    ctx = mp.get_context("spawn")
    a, b = ctx.Pipe()
    p = ctx.Process(
        target=_child, args=(kind, C, N, budget_mb, repeats, threads or torch.get_num_threads(), b)
    )
    p.start()
    res = a.recv() if a.poll(1800) else {"kind": kind, "C": C, "N": N, "error": "timeout"}
    p.join()
    return res


def main(what: str, args: list[str]) -> int:
    opts = dict(a.split("=", 1) for a in args)
    channels = [int(c) for c in opts.get("C", "256,1024").split(",")]
    frames = [int(n) for n in opts.get("N", "21").split(",")]
    kinds = opts.get("kinds", "gemm,chunked,naive").split(",")
    repeats = int(opts.get("repeats", "3"))
    budget = int(opts.get("budget_mb", "512"))
    rows = []
    for C in channels:
        for N in frames:
            res = {k: measure(k, C, N, budget, repeats) for k in kinds}
            base = res.get("gemm", {}).get("median_s")
            for k, r in res.items():
                r["ratio_to_gemm"] = r["median_s"] / base if base else float("nan")
                rows.append(r)
                print(
                    f"C={C:5d} N={N:3d} {k:8s} {r['median_s']:8.3f} s  "
                    f"{r['queries_per_s']:10.0f} q/s  peak +{r['peak_extra_mb']:8.1f} MB  "
                    f"x{r['ratio_to_gemm']:.2f} gemm",
                    flush=True,
                )
    if "json" in opts:
        with open(opts["json"], "w") as f:
            json.dump(rows, f, indent=1)
    return 0
