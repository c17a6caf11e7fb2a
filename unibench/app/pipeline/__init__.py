"""The run pipeline: resolve → plan → work → record, driven by one loop.

* :mod:`.resolve`: the configuration layers of a cell; the matrix a command describes.
* :mod:`.plan`: a cell's run identity, folder and benchmark (no weights loaded).
* :mod:`.worker`: what a process builds to compute units (:class:`WorkerCache`), and the
  picklable :class:`Work` an executor (:mod:`unibench.executors`) runs.
* :mod:`.record`: scoring a finished cell, writing ``metrics.json`` and the record.
* :mod:`.driver`: ``run_matrix``, the loop that joins them (the store's only writer).
"""

from unibench.app.pipeline.driver import run, run_matrix
from unibench.app.pipeline.plan import behaviour, plan
from unibench.app.pipeline.record import RunOutcome, evaluate_folder
from unibench.app.pipeline.resolve import MatrixRequest, Suite, expand_matrix, resolve_config
from unibench.app.pipeline.worker import Work, WorkerCache, model_key

__all__ = [
    "MatrixRequest",
    "RunOutcome",
    "Suite",
    "Work",
    "WorkerCache",
    "behaviour",
    "evaluate_folder",
    "expand_matrix",
    "model_key",
    "plan",
    "resolve_config",
    "run",
    "run_matrix",
]
