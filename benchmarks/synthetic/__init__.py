"""The embedded synthetic suite: one scene model (:mod:`.scene`), written in the official formats
(:mod:`.writers`) and read back through the same adapters as real data (:mod:`.suite`, which
registers the ``synthetic-*`` benchmarks)."""

from unibench.benchmarks.synthetic.scene import Scene, default_scenes, make_scene, render
from unibench.benchmarks.synthetic.suite import VERSION, cache_dir, ensure_suite, generate
from unibench.benchmarks.synthetic.writers import WRITERS

__all__ = [
    "VERSION",
    "WRITERS",
    "Scene",
    "cache_dir",
    "default_scenes",
    "ensure_suite",
    "generate",
    "make_scene",
    "render",
]
