"""Writing drawn frames as a video or an animation, chosen by the file's suffix.

* ``.mp4``: H.264 (libx264, yuv420p, ``+faststart``: plays in a browser's ``<video>`` and in common
  players) through PyAV, whose wheels ship FFmpeg with its codecs (the ``video`` extra:
  ``pip install 'unibench[video]'``; no system FFmpeg). Sizes are padded to even numbers, as
  yuv420p needs. ``crf`` 31 (:data:`DEFAULT_CRF`) keeps a 480p minute at a few MB.
* ``.webp`` (animated, lossy) and ``.gif`` (palette): Pillow, no extra.
* ``.png``: one still image (a contact sheet).

Every file is written beside its target and renamed over it when complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from unibench.errors import ConfigError

VIDEO_SUFFIXES = (".mp4", ".webp", ".gif")


def require_av():
    """PyAV, or one clear error naming the extra that installs it."""
    try:
        import av
    except ImportError:
        raise ConfigError(
            "writing .mp4 needs PyAV (its wheels carry FFmpeg and H.264): pip install "
            "'unibench[video]' (or write .webp / .gif, which need nothing more)"
        ) from None
    return av


@contextlib.contextmanager
def _atomic(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _even(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)))


# H.264's constant rate factor: 31 keeps a 480p minute of DAVIS frames (parkour, 12 fps) at
# about 5 MB (28: 8 MB, 32: 4 MB, measured); lower is better quality, larger files
DEFAULT_CRF = 31


def write_video(path: Path | str, frames: Iterable[np.ndarray], fps: float = 12.0,
                crf: int = DEFAULT_CRF) -> Path:  # fmt: skip
    """Write ``frames`` (``H×W×3`` uint8, one size) to ``path`` by its suffix (see the module
    docstring); returns the path."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        raise ConfigError(f"{path}: expected one of {', '.join(VIDEO_SUFFIXES)}")
    if suffix == ".mp4":
        av = require_av()
        with _atomic(path) as tmp:
            out = av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"})
            try:
                stream = None
                for f in frames:
                    f = _even(np.ascontiguousarray(f))
                    if stream is None:
                        stream = out.add_stream("libx264", rate=round(fps))
                        stream.height, stream.width = f.shape[:2]
                        stream.pix_fmt = "yuv420p"
                        stream.options = {"crf": str(crf), "preset": "veryfast"}
                    for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                        out.mux(packet)
                if stream is not None:
                    for packet in stream.encode():
                        out.mux(packet)
            finally:
                out.close()
        return path
    images = [Image.fromarray(np.ascontiguousarray(f)) for f in frames]
    if not images:
        raise ConfigError(f"{path}: no frame to write")
    with _atomic(path) as tmp:
        kw = {"quality": 70} if suffix == ".webp" else {"optimize": True}
        images[0].save(tmp, save_all=True, append_images=images[1:],
                       duration=round(1000 / fps), loop=0, **kw)  # fmt: skip
    return path


IMAGE_FORMATS = {".png": ("PNG", {"optimize": True}), ".jpg": ("JPEG", {"quality": 82}),
                 ".jpeg": ("JPEG", {"quality": 82}), ".webp": ("WEBP", {"quality": 80})}  # fmt: skip


def write_image(path: Path | str, frame: np.ndarray) -> Path:
    """One still image (a contact sheet), written atomically: PNG (lossless, for papers), or
    JPEG / WebP by the suffix (the report's thumbnails: a tenth of the size)."""
    path = Path(path)
    fmt, kw = IMAGE_FORMATS.get(path.suffix.lower(), IMAGE_FORMATS[".png"])
    with _atomic(path) as tmp:
        Image.fromarray(np.ascontiguousarray(frame)).save(tmp, format=fmt, **kw)
    return path


def read_video(path: Path | str) -> list[np.ndarray]:
    """Every frame of a video or animation as ``H×W×3`` uint8 (the tests decode what they
    wrote)."""
    path = Path(path)
    if path.suffix.lower() == ".mp4":
        av = require_av()
        with av.open(str(path)) as f:
            return [fr.to_ndarray(format="rgb24") for fr in f.decode(video=0)]
    out = []
    with Image.open(path) as im:
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            out.append(np.asarray(im.convert("RGB")))
    return out
