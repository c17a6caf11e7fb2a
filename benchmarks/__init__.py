"""Benchmark adapters (one module per benchmark) and their official metrics."""

from unibench.benchmarks import (  # noqa: F401  (registrations)
    bdd100k,
    davis,
    got10k,
    jhmdb,
    lasot,
    mot,
    mots,
    otb,
    oxuva,
    posetrack,
    refvos,
    synthetic,
    tnl2k,
    trackingnet,
    vot,
    youtubevis,
    youtubevos,
)
from unibench.benchmarks.base import BENCHMARKS

__all__ = ["BENCHMARKS"]
