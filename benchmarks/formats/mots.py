"""MOTS text files (MOTS20, KITTI-MOTS; TrackEval's ``MOTSChallenge`` / ``KittiMOTS`` readers), one
object per line, space-separated: ``time_frame object_id class_id img_height img_width rle`` where
``rle`` is pycocotools' compressed RLE text (detection files add a score column)."""

from __future__ import annotations

from pathlib import Path

from unibench.errors import DataError
from unibench.io import read_text


def read_mots_txt(path: Path, scores: bool = False) -> list[tuple]:
    """Rows ``(frame, id, class, h, w, rle, score)`` (score 1 where the file has none);
    malformed lines name the file and line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"missing {path}: expected a MOTS text file")
    rows = []
    for n, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) not in (6, 7) or (len(parts) == 7 and not scores):
            raise DataError(
                f"{path}:{n}: expected 'frame id class height width rle'"
                + (" [score]" if scores else "")
                + f", got {len(parts)} fields"
            )
        try:
            row = (int(parts[0]), int(parts[1]), int(parts[2]), int(parts[3]), int(parts[4]))
            score = float(parts[6]) if len(parts) == 7 else 1.0
        except ValueError:
            raise DataError(f"{path}:{n}: expected integers in the first five fields") from None
        rows.append((*row, parts[5], score))
    return rows


def row_rle(row: tuple) -> dict:
    """The pycocotools RLE of a row read by :func:`read_mots_txt`."""
    return {"size": [row[3], row[4]], "counts": row[5].encode()}


def mots_line(
    frame: int, object_id: int, class_id: int, size, counts: str | bytes, score: float | None = None
) -> str:
    """One line of a MOTS text file (``score`` written with three decimals, detection files only)."""
    text = counts.decode() if isinstance(counts, bytes) else counts
    line = f"{frame} {object_id} {class_id} {size[0]} {size[1]} {text}"
    return line + (f" {score:.3f}\n" if score is not None else "\n")
