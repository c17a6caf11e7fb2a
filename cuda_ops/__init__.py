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

from unibench.cuda_ops.propagation import topk_affinity  # noqa: E402
from unibench.cuda_ops.rsm import rsm, rsm_direct  # noqa: E402

__all__ += ["topk_affinity", "rsm", "rsm_direct"]
