"""Benchmark adapters (one module per benchmark) and their official metrics."""

from unibench.benchmarks import davis, got10k, otb, synthetic  # noqa: F401  (registrations)
from unibench.benchmarks.base import BENCHMARKS, Benchmark
from unibench.benchmarks.synthetic import DEFAULT_SYNTHETIC

__all__ = ["BENCHMARKS", "DEFAULT_SYNTHETIC", "Benchmark"]
