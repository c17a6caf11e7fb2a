"""OxUvA prediction csv (the official ``predictions/<video>_<object>.csv``): one line per predicted
frame, ``video,object,frame_num,present,score,xmin,xmax,ymin,ymax`` with the box normalised by the
image size and ``present`` the literal ``true`` / ``false``."""

from __future__ import annotations


def oxuva_line(
    video: str, obj: str, frame: int, present: bool, score: float, box, size: tuple[int, int]
) -> str:
    """One prediction line; ``box`` is ``(x, y, w, h)`` in pixels, ``size`` the image ``(h, w)``."""
    x, y, bw, bh = box
    h, w = size
    return (
        f"{video},{obj},{frame},{'true' if present else 'false'},"
        f"{score:.6g},{x / w:.6f},{(x + bw) / w:.6f},{y / h:.6f},{(y + bh) / h:.6f}\n"
    )
