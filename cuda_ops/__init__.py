"""Dense-correspondence operators: top-k affinity, label propagation, RSM.

CPU: a fused C++ kernel built on first use (:mod:`unibench.cuda_ops.cpu_topk`), or where it
cannot be built the exact, bounded-memory chunked path (:func:`topk_affinity`); CUDA: fused Triton
kernel (:mod:`unibench.cuda_ops.triton_topk`); all checked against the reference implementation.
"""

from unibench.cuda_ops.propagation import (
    l2_normalize,
    propagate,
    propagate_reference,
    resolve_impl,
    topk,
    topk_affinity,
    topk_reference,
)
from unibench.cuda_ops.rsm import rsm, rsm_direct

__all__ = [
    "l2_normalize",
    "propagate",
    "propagate_reference",
    "resolve_impl",
    "topk",
    "topk_affinity",
    "topk_reference",
    "rsm",
    "rsm_direct",
]
