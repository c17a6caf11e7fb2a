"""PCK of propagated keypoints (JHMDB, CRW's ``code/eval/eval_pck.py``): the fields.

The computation lives with its adapter (:mod:`unibench.benchmarks.jhmdb`), which follows
``eval_pck.py`` line by line; this module declares what it emits.
"""

from __future__ import annotations

from unibench.metrics import register_metric

ALPHAS = (0.1, 0.2, 0.3, 0.4, 0.5)
for _a in ALPHAS:
    register_metric(f"PCK@{_a:g}", "percent", True, "PCK (CRW eval_pck.py)")
