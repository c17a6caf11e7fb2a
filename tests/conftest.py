"""Shared fixtures: an isolated cache, the real-data folder, tiny DAVIS layouts."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from golden_content import UPDATE
from PIL import Image

REPO = Path(__file__).resolve().parents[1]

# Without a GPU, Triton kernels run under the CPU interpreter; Triton reads the switch when it is
# imported, so it is set here, before any test imports it.
if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

# Under pytest-xdist (``-n N``) each worker process computes on one thread, and so do the CLI
# processes it starts: N workers on N cores, not N × cores threads fighting for them.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)


# The golden files (tests/golden/) are written at GOLDEN_THREADS intra-op threads and checked at
# each of GUARD_THREADS, other counts, by content within tolerances (tests/golden_content.py): a
# float sum taken in another order, or another processor's kernels, may flip a near tie, and the
# checks must pass on any machine at any thread count.
GOLDEN_THREADS = 2
GUARD_THREADS = (1, 3)


@pytest.fixture(params=GUARD_THREADS, ids=lambda n: f"threads{n}")
def golden_threads(request):
    """Run a golden test at each of :data:`GUARD_THREADS` threads (when regenerating: once, at
    :data:`GOLDEN_THREADS`); yields the thread count."""
    if UPDATE and request.param != GUARD_THREADS[0]:
        pytest.skip("the golden file is written once")
    n = GOLDEN_THREADS if UPDATE else request.param
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    yield n
    torch.set_num_threads(before)


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


def tiny_open_clip(quick_gelu: bool = False, text_width: int = 64, seed: int = 0):
    """A small CLIP in OpenCLIP's own module (``open_clip.model.CLIP``): the image tower has
    timm's ``vit_xsmall_patch16_clip_224`` shapes (width 256, 10 blocks, 4 heads, patch 16, 224
    pixels, 512-d projection), the text tower 2 blocks of ``text_width`` over CLIP's 49408-token
    vocabulary. Its ``state_dict()`` is a full CLIP checkpoint in OpenAI's / OpenCLIP's layout."""
    open_clip_model = pytest.importorskip("open_clip.model")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        clip = open_clip_model.CLIP(
            embed_dim=512,
            vision_cfg=open_clip_model.CLIPVisionCfg(
                layers=10, width=256, head_width=64, patch_size=16, image_size=224
            ),
            text_cfg=open_clip_model.CLIPTextCfg(
                context_length=77, vocab_size=49408, width=text_width, heads=1, layers=2
            ),
            quick_gelu=quick_gelu,
        )
        with torch.no_grad():  # away from the initialisation's ones and zeros
            for p in clip.parameters():
                p.add_(0.02 * torch.randn_like(p))
    return clip.eval()


@pytest.fixture(scope="session")
def _tiny_clip_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny_clip")
    clip = tiny_open_clip()
    ckpt = root / "tiny_clip.pth"
    torch.save(clip.state_dict(), ckpt)
    other = tiny_open_clip(seed=1).state_dict()
    mixed = {k: (v if k.startswith("visual.") else other[k]) for k, v in clip.state_dict().items()}
    ckpt2 = root / "tiny_clip_other_text.pth"
    torch.save(mixed, ckpt2)
    card = root / "tiny_clip.yaml"
    card.write_text(
        "name: test.tiny_clip\narch: timm\narch_kwargs: {name: vit_xsmall_patch16_clip_224}\n"
        "mean: [0.48145466, 0.4578275, 0.40821073]\nstd: [0.26862954, 0.26130258, 0.27577711]\n"
        "family: image-text contrastive\ntraining_data: none (fabricated for tests)\n"
        "text_tower: {activation: gelu, hf_hub: nobody/tiny-clip}\n"
    )
    return clip, ckpt, ckpt2, card


@pytest.fixture
def tiny_clip(_tiny_clip_files, monkeypatch):
    """A card ``test.tiny_clip`` (timm ``vit_xsmall_patch16_clip_224`` with a text tower, read
    from a card file), registered for the test's duration, and the full CLIP checkpoint of
    :func:`tiny_open_clip` for it; a second checkpoint with the same image tower and another
    text tower."""
    from types import SimpleNamespace

    import yaml
    from unibench.appearance_models import MODELS
    from unibench.appearance_models._base import PretrainedCfg

    from unibench.config import from_dict

    clip, ckpt, ckpt2, card = _tiny_clip_files
    cfg = from_dict(PretrainedCfg, yaml.safe_load(card.read_text()), str(card))
    MODELS.names()  # the built-in cards first, so that they register where they always do
    monkeypatch.setitem(MODELS._objs, cfg.name, cfg)
    return SimpleNamespace(name=cfg.name, clip=clip, checkpoint=ckpt, other_text=ckpt2,
                           card=card)  # fmt: skip


@pytest.fixture(scope="session")
def make_open_clip():
    """:func:`tiny_open_clip`, as a fixture."""
    return tiny_open_clip
