"""The embedded suite: every format written once into ``$UNIBENCH_CACHE/synthetic/<version>-seed
<seed>/`` (default ``~/.cache/unibench``), atomically per format and under a file lock, and the
``synthetic-*`` benchmarks that read it back through the real adapters.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from unibench.benchmarks.base import parse_options, register_benchmark
from unibench.benchmarks.davis import Davis
from unibench.benchmarks.got10k import GOT10k
from unibench.benchmarks.jhmdb import JHMDB
from unibench.benchmarks.mot import MOTChallenge
from unibench.benchmarks.mots import MOTS20
from unibench.benchmarks.otb import OTB
from unibench.benchmarks.posetrack import PoseTrack18
from unibench.benchmarks.refvos import RefVOSOptions, RefYouTubeVOS
from unibench.benchmarks.scorers.posetrack import PoseEvalOptions
from unibench.benchmarks.synthetic.scene import default_scenes
from unibench.benchmarks.synthetic.writers import WRITERS
from unibench.benchmarks.vot import VOTChallenge
from unibench.benchmarks.youtubevis import VISBenchmark, VISOptions
from unibench.benchmarks.youtubevos import YouTubeVOS, YTVOSOptions

from unibench.errors import UniBenchError
from unibench.io import atomic_write_text, file_lock, staging_dir
from unibench.paths import MARKER, owned

logger = logging.getLogger(__name__)


VERSION = "v1"


def cache_dir() -> Path:
    return Path(os.environ.get("UNIBENCH_CACHE", Path.home() / ".cache" / "unibench"))


def generate(out: Path, seed: int = 0, formats: tuple[str, ...] = tuple(WRITERS)) -> Path:
    """Write the suite under ``out/<format>/``; atomic per format, skipped where complete."""
    out = Path(out)
    for fmt in formats:  # every refusal before anything (a lock file included) is written
        final = out / fmt
        if final.exists() and not (final / "SYNTH_VERSION").is_file() and not owned(final):
            raise UniBenchError(
                f"refusing to replace {final}: it was not created by unibench (no "
                f"{MARKER} marker); move it away or choose another output folder"
            )
    scenes = default_scenes(seed)
    for fmt in formats:
        final = out / fmt
        if (final / "SYNTH_VERSION").is_file():
            continue
        # processes sharing the cache (xdist workers, executors, two shells) write one at a time;
        # the one that waited finds the folder complete
        with file_lock(out / f".{fmt}.lock"):
            if (final / "SYNTH_VERSION").is_file():
                continue
            logger.info("generating synthetic %s suite (seed %d) in %s", fmt, seed, final)
            with staging_dir(final) as tmp:
                WRITERS[fmt](scenes, tmp)
                atomic_write_text(tmp / "SYNTH_VERSION", f"{VERSION} seed={seed}\n")
    return out


def ensure_suite(seed: int = 0) -> Path:
    return generate(cache_dir() / "synthetic" / f"{VERSION}-seed{seed}", seed)


def _root(data_root, fmt: str) -> Path:
    """The folder of one format: ``data_root`` (a suite or the format's own folder) or the cache."""
    root = Path(data_root) if data_root else ensure_suite()
    return root / fmt if (root / fmt).is_dir() else root


def _synthetic_davis(data_root, split, sequences):
    root = _root(data_root, "davis2017")
    return Davis(root, year=2017, split=split or "val", sequences=sequences, name="synthetic-davis")


def _synthetic_otb(data_root, split, sequences, options=None):
    return OTB(_root(data_root, "otb"), split, sequences, name="synthetic-otb", options=options)


def _synthetic_got10k(data_root, split, sequences):

    return GOT10k(_root(data_root, "got10k"), split, sequences, name="synthetic-got10k")


def _synthetic_mot(data_root, split, sequences, detections=None, truncate=False):

    root = _root(data_root, "mot")
    return MOTChallenge(
        root, split, sequences, det_dir=detections, benchmark="MOT17", name="synthetic-mot",
        truncate=truncate,
    )  # fmt: skip


def _synthetic_mots(data_root, split, sequences, detections=None):

    return MOTS20(_root(data_root, "mots"), split, sequences, detections, name="synthetic-mots")


def _synthetic_posetrack(data_root, split, sequences, detections=None, options=None,
                         truncate=False):  # fmt: skip

    root = _root(data_root, "posetrack")
    return PoseTrack18(
        root,
        split,
        sequences,
        detections,
        truncate=truncate,
        name="synthetic-posetrack",
        options=parse_options(PoseEvalOptions, options),
    )


def _synthetic_jhmdb(data_root, split, sequences):

    return JHMDB(_root(data_root, "jhmdb"), split, sequences, name="synthetic-jhmdb")


def _synthetic_youtubevis(data_root, split, sequences, detections=None, options=None):

    root = _root(data_root, "youtubevis")
    split = split or "train"
    vis = VISBenchmark(
        root / split / "instances.json",
        root / split / "JPEGImages",
        split,
        sequences,
        detections or root / "detections" / split,
        name="synthetic-youtubevis",
        options=parse_options(VISOptions, options),
    )
    return vis


def _synthetic_youtubevos(data_root, split, sequences, options=None):

    # the suite has no separate training split: ellipses and boxes count as seen, diamonds unseen
    opts = {"seen_categories": "ellipse,box", **dict(options or {})}
    return YouTubeVOS(
        _root(data_root, "youtubevos"),
        split or "train",
        sequences,
        name="synthetic-youtubevos",
        options=parse_options(YTVOSOptions, opts),
    )


def _synthetic_vot(fmt: str, name: str):
    def make(data_root, split, sequences):
        return VOTChallenge(_root(data_root, fmt), split, sequences, name=name)

    return make


register_benchmark("synthetic-vot", _synthetic_vot("vot", "synthetic-vot"), VOTChallenge)
register_benchmark(
    "synthetic-vot2020", _synthetic_vot("vot2020", "synthetic-vot2020"), VOTChallenge
)
register_benchmark("synthetic-vot-lt", _synthetic_vot("vot-lt", "synthetic-vot-lt"), VOTChallenge)


def _synthetic_ref_youtubevos(data_root, split, sequences, options=None):
    root = _root(data_root, "ref-youtubevos")
    opts = parse_options(RefVOSOptions, options)
    return RefYouTubeVOS(root, split or "train", sequences, "synthetic-ref-youtube-vos", opts)


register_benchmark("synthetic-ref-youtube-vos", _synthetic_ref_youtubevos, RefYouTubeVOS)
register_benchmark("synthetic-youtubevos", _synthetic_youtubevos, YouTubeVOS)
register_benchmark("synthetic-youtubevis", _synthetic_youtubevis, VISBenchmark)
register_benchmark("synthetic-jhmdb", _synthetic_jhmdb, JHMDB)
register_benchmark("synthetic-davis", _synthetic_davis, Davis)
register_benchmark("synthetic-posetrack", _synthetic_posetrack, PoseTrack18)
register_benchmark("synthetic-mots", _synthetic_mots, MOTS20)
register_benchmark("synthetic-mot", _synthetic_mot, MOTChallenge)
register_benchmark("synthetic-otb", _synthetic_otb, OTB)
register_benchmark("synthetic-got10k", _synthetic_got10k, GOT10k)
