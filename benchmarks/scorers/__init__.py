"""The scorers, one module per protocol family, each declaring the metrics it emits.

Importing this package registers every built-in metric in :data:`unibench.metrics.METRICS` (the
registry imports it by name on first use). Fields shared by several families (the per-sequence
bookkeeping columns, CLEAR's counts that OxUvA also reports) are declared once in
:mod:`.common`, with the official name each task's toolkit gives them.
"""

from unibench.benchmarks.scorers import common, mot, pck, posetrack, sot, vis, vos, vot

__all__ = ["common", "mot", "pck", "posetrack", "sot", "vis", "vos", "vot"]
