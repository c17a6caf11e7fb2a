"""Dense-correspondence operators (top-k affinity, label propagation) with CPU and GPU paths."""

from unibench.cuda_ops.propagation import (
    l2_normalize,
    propagate,
    propagate_chunked,
    propagate_reference,
    topk_reference,
)

__all__ = [
    "l2_normalize",
    "propagate",
    "propagate_chunked",
    "propagate_reference",
    "topk_reference",
]
