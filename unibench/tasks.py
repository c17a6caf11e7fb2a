"""Tasks: the one home of every per-task fact (default head, embedded suite, metrics).

A :class:`Task` names its default head and default embedded synthetic suite, and lists the *names*
of the metrics its benchmarks report; what a metric is (unit, direction, official name, stored
type) lives with the scorer that emits it, in :data:`unibench.metrics.METRICS`.
``leaderboard`` is the subset (in order) that reports print as columns. The runner, the CLI help,
the reports and ``unibench bench`` read the registry ``TASKS``. Registration order is the paper's
column order.
"""

from __future__ import annotations

from dataclasses import dataclass

from unibench.metrics import METRICS, Metric
from unibench.registry import Registry


@dataclass(frozen=True)
class Task:
    name: str
    title: str
    default_head: str
    default_suite: str  # the embedded synthetic benchmark
    metrics: tuple[str, ...]  # names in unibench.metrics.METRICS
    leaderboard: tuple[str, ...]  # the columns reports print, in order

    def __post_init__(self) -> None:
        missing = [m for m in self.leaderboard if m not in self.metrics]
        if missing:
            raise ValueError(f"task {self.name}: leaderboard metrics {missing} are not listed")

    def metric(self, name: str) -> Metric | None:
        """The registered metric ``name`` if this task reports it."""
        return METRICS.get(name) if name in self.metrics else None


TASKS: Registry[Task] = Registry(
    "task", doc="Task(name, title, default_head, default_suite, metrics, leaderboard)"
)
_ORDER: list[str] = []


def register(task: Task) -> Task:
    TASKS.register(task.name, task)
    _ORDER.append(task.name)
    return task


def task_order() -> tuple[str, ...]:
    """Task names in registration (the paper's) order."""
    TASKS.names()  # plugins register on first listing
    return tuple(_ORDER)


register(
    Task(
        "sot",
        "single-object tracking",
        "xcorr",
        "synthetic-otb",
        (
            "AUC", "Precision", "NormPrecision", "NormPrecision@0.2", "SuccessRate", "AO", "SR0.5",
            "SR0.75", "MaxGM", "TPR", "TNR", "GM", "PosthocMaxGM", "TP", "FN", "FP", "TN",
            "EAO", "Accuracy", "Failures", "Robustness", "F-score", "Pr", "Re",
        ),
        (
            "AUC", "Precision", "NormPrecision", "AO", "SR0.5", "SR0.75", "MaxGM", "TPR", "TNR",
            "EAO", "Accuracy", "Robustness", "F-score",
        ),
    )
)  # fmt: skip
register(
    Task(
        "vos",
        "video object segmentation",
        "propagation",
        "synthetic-davis",
        (
            "J&F-Mean", "J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay",
            "Overall", "J-seen", "F-seen", "J-unseen", "F-unseen",
            "J&F (R-VOS)", "J (R-VOS)", "F (R-VOS)", "Grounding acc. (R-VOS)",
        ),
        ("J&F-Mean", "J-Mean", "F-Mean", "J&F (R-VOS)", "Grounding acc. (R-VOS)"),
    )
)  # fmt: skip
_CLEAR = ("MT", "ML", "Frag", "IDs", "FP", "FN")
register(
    Task(
        "mot",
        "multi-object tracking",
        "association",
        "synthetic-mot",
        ("HOTA", "IDF1", "MOTA", "MOTP", "sMOTA", "DetA", "AssA", *_CLEAR),
        ("IDF1", "HOTA", "MOTA", "IDs"),
    )
)
register(
    Task(
        "mots",
        "multi-object tracking and segmentation",
        "association",
        "synthetic-mots",
        ("HOTA", "sMOTSA", "IDF1", "MOTSA", "MOTSP", "DetA", "AssA", *_CLEAR),
        ("IDF1", "HOTA", "sMOTSA", "IDs"),
    )
)
register(
    Task(
        "posetrack",
        "multi-person pose tracking",
        "association",
        "synthetic-posetrack",
        (
            "MOTA", "IDF1", "MOTP", "MOTP-poseval", "Prec", "Rec",
            *(f"MOTA-{g}" for g in ("Head", "Shou", "Elb", "Wri", "Hip", "Knee", "Ankl")),
            "IDs", "FP", "FN",
        ),
        ("IDF1", "MOTA", "IDs"),
    )
)  # fmt: skip
register(
    Task(
        "poseprop",
        "pose propagation (JHMDB)",
        "pose-propagation",
        "synthetic-jhmdb",
        tuple(f"PCK@{a:g}" for a in (0.1, 0.2, 0.3, 0.4, 0.5)),
        ("PCK@0.1", "PCK@0.2"),
    )
)
register(
    Task(
        "vis",
        "video instance segmentation",
        "association",
        "synthetic-youtubevis",
        (
            "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm",
            "ARl", "HOTA", "DetA", "AssA",
        ),
        ("AP", "AP50", "AP75", "AR1", "AR10", "HOTA"),
    )
)  # fmt: skip
