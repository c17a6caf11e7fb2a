"""The entry points, the layer that stands on every package: the command line (:mod:`~unibench.app.cli`),
the Python API (:mod:`~unibench.app.api`), training hooks (:mod:`~unibench.app.hooks`,
:mod:`~unibench.app.lightning`), performance benchmarks (:mod:`~unibench.app.perf`), the docs catalog
(:mod:`~unibench.app.catalog`) and the pipeline they share (:mod:`~unibench.app.pipeline`: resolve,
plan, run, record). Nothing outside this folder imports it (``tests/unibench/test_layers.py``)."""
