"""Task heads (one module per task)."""

from unibench.heads import association, pose, sot, vos  # noqa: F401  (registrations)
from unibench.heads.base import HEADS

__all__ = ["HEADS"]
