"""The fused CPU top-k search (``csrc/topk_cpu.cpp``): built on first use, or absent.

The C++ source is compiled once per machine by PyTorch's extension builder (a C++ compiler and
ninja; the build lands in PyTorch's extension cache, ``$TORCH_EXTENSIONS_DIR`` or
``~/.cache/torch_extensions``, under a name carrying the source's hash, so an edited source is never
served by a stale build). Where it cannot be built (no compiler, not x86-64, a CPU without AVX2 and
FMA) or ``UNIBENCH_FUSED_CPU=0`` is set, :func:`available` is false and the propagation keeps its
PyTorch path (``impl='chunked'``), which gives the same top-k. The reason is logged once.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import os
import platform
from pathlib import Path

import torch

log = logging.getLogger(__name__)

SOURCE = Path(__file__).parent / "csrc" / "topk_cpu.cpp"
KERNELS = ("avx512", "avx2")


@functools.cache
def _module():
    if os.environ.get("UNIBENCH_FUSED_CPU", "1") == "0":
        log.info("fused CPU top-k off (UNIBENCH_FUSED_CPU=0): the PyTorch path runs")
        return None
    if platform.machine().lower() not in ("x86_64", "amd64"):
        log.info("fused CPU top-k: %s is not x86-64; the PyTorch path runs", platform.machine())
        return None
    try:
        # importing the builder warns "No CUDA runtime is found" on every CPU-only machine (it
        # looks for a CUDA toolkit this CPU build does not use): kept out of the console
        builder_log = logging.getLogger("torch.utils.cpp_extension")
        level = builder_log.level
        builder_log.setLevel(logging.ERROR)
        try:
            from torch.utils.cpp_extension import load
        finally:
            builder_log.setLevel(level)

        digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:12]
        mod = load(
            name=f"unibench_topk_cpu_{digest}",
            sources=[str(SOURCE)],
            extra_cflags=["-O3", "-fopenmp"],
            extra_ldflags=["-fopenmp"],
            verbose=False,
        )
    except Exception as e:  # no compiler, no ninja, a failed build: the PyTorch path runs
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        log.warning("fused CPU top-k unavailable (%s); the PyTorch path runs", first)
        return None
    if not mod.isa():
        log.info(
            "fused CPU top-k: this CPU has neither AVX-512 nor AVX2+FMA; the PyTorch path runs"
        )
        return None
    return mod


def available() -> bool:
    """Whether the fused kernel is built and this CPU runs it (builds it on first call)."""
    return _module() is not None


def kernel() -> str:
    """The register kernel this CPU runs: ``avx512`` or ``avx2`` (``""`` when unavailable)."""
    mod = _module()
    return mod.isa() if mod is not None else ""


def reach(radius: float, shape: str) -> int:
    """Largest integer grid offset that can satisfy the radius test."""
    if shape == "circle":
        return max(0, math.ceil(radius) - 1)
    return int(math.floor(radius))


def topk_fused(
    query: torch.Tensor,
    memory: torch.Tensor,
    k: int,
    restricted: list[bool],
    radius: float | None,
    shape: str,
    kernel_name: str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-k of every query cell, ``query`` ``C×h×w``, ``memory`` ``F×C×h×w`` (cell-major
    storage, as the VOS head keeps it, is read without a copy); raw dot products (not divided by
    a temperature) and frame-major memory indices, ``h·w × k``. ``kernel_name`` forces one of
    :data:`KERNELS` (at most what the CPU allows; tests run both)."""
    mod = _module()
    if mod is None:
        raise RuntimeError("the fused CPU top-k is unavailable on this machine")
    C, h, w = query.shape
    Fm = memory.shape[0]
    q = query.permute(1, 2, 0).reshape(h * w, C).float().contiguous()
    m = memory.permute(0, 2, 3, 1).reshape(Fm, h * w, C).float().contiguous()
    return mod.topk_strips(
        q, m, list(restricted), h, w, k, float(radius or 0.0), shape == "circle",
        reach(radius, shape) if radius is not None else 0, kernel_name or mod.isa(),
    )  # fmt: skip
