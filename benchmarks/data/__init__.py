"""Benchmark folders on disk: what each registered benchmark's official layout is and which common
variants are recognised (:mod:`~unibench.benchmarks.data.folders`, declared beside each adapter's
registration), the official manifests of its splits (``manifests/*.json``, each naming its source),
the check that ``unibench data check``, ``run`` and ``eval`` share (:mod:`~.check`), the download of
openly published archives (:mod:`~.fetch`) and the rearrangements of variants (:mod:`~.repair`)."""
