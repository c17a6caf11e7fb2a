"""Shared fixtures: an isolated cache, the real-data folder, tiny DAVIS layouts."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

REPO = Path(__file__).resolve().parents[1]

# Without a GPU, Triton kernels run under the CPU interpreter; Triton reads the switch when it is
# imported, so it is set here, before any test imports it.
if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Never read or write the user's caches (UniBench's, Hugging Face's, torch hub's) and never
    download: weights in tests are fabricated files."""
    root = tmp_path_factory.mktemp("cache")
    env = {
        "UNIBENCH_CACHE": str(root / "unibench"),
        "HF_HOME": str(root / "huggingface"),
        "HF_HUB_CACHE": str(root / "huggingface" / "hub"),
        "TORCH_HOME": str(root / "torch"),
        "UNIBENCH_OFFLINE": "1",
        "UNIBENCH_OUTPUT": str(root / "store"),
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def realdata() -> Path:
    root = Path(os.environ.get("UNIBENCH_REALDATA", REPO.parent / "shared" / "realdata"))
    if not root.is_dir():
        pytest.skip(f"real data not found at {root} (set UNIBENCH_REALDATA)")
    return root


def write_davis(
    root: Path, seq: str, frames: list[np.ndarray], masks: list[np.ndarray | None], mode: str = "P"
) -> Path:
    """A DAVIS-layout sequence; ``masks[i] is None`` leaves that annotation out."""
    from unibench.benchmarks.formats.palette import PALETTE

    img = root / "JPEGImages" / "480p" / seq
    ann = root / "Annotations" / "480p" / seq
    img.mkdir(parents=True, exist_ok=True)
    ann.mkdir(parents=True, exist_ok=True)
    for i, (f, m) in enumerate(zip(frames, masks, strict=True)):
        Image.fromarray(f).save(img / f"{i:05d}.jpg", quality=98)
        if m is None:
            continue
        im = Image.fromarray(m.astype(np.uint8), mode="P" if mode == "P" else "L")
        if mode == "P":
            im.putpalette(PALETTE)
        im.save(ann / f"{i:05d}.png")
    return root


@pytest.fixture
def davis_writer():
    """The :func:`write_davis` helper, as a fixture."""
    return write_davis


@pytest.fixture
def blob_sequence():
    """An 80 px square translating 3 px/frame over a noisy contrasting background, 10 frames.

    Stride-8 features quantise boundaries to about half a cell (≤ 4 px per side with the
    point-sampled labels of the UniTrack protocol), so the blob spans 10 cells for IoU > 0.9.
    """
    h, w, n = 160, 224, 10
    rng = np.random.default_rng(0)
    bg = (rng.uniform(0, 1, (h, w, 3)) * np.array([40, 90, 200])).astype(np.uint8)
    frames, masks = [], []
    for t in range(n):
        f = bg.copy()
        m = np.zeros((h, w), np.uint8)
        y0, x0 = 30, 20 + 3 * t
        f[y0 : y0 + 80, x0 : x0 + 80] = [230, 120, 30]
        m[y0 : y0 + 80, x0 : x0 + 80] = 1
        frames.append(f)
        masks.append(m)
    return frames, masks
