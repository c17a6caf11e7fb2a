"""Tasks: the one home of every per-task fact (default head, embedded suite, metrics).

A :class:`Task` names its default head and default embedded synthetic suite, and lists the metrics
its benchmarks report with their unit, direction and official name in the toolkit that defines
them; ``leaderboard`` is the subset (in order) that reports print as columns. The runner, the CLI
help, the reports and ``unibench bench`` read the registry ``TASKS``; adding a task or a metric
touches this module only. Registration order is the paper's column order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from unibench.registry import Registry

Unit = Literal["percent", "count", "seconds", "ratio"]


@dataclass(frozen=True)
class Metric:
    name: str  # the key in a result's summary
    unit: Unit = "percent"  # stored as a fraction when "percent", printed ×100
    higher_is_better: bool = True
    official: str | None = None  # its name in the defining toolkit, where it differs

    @property
    def is_count(self) -> bool:
        return self.unit == "count"


@dataclass(frozen=True)
class Task:
    name: str
    title: str
    default_head: str
    default_suite: str  # the embedded synthetic benchmark
    metrics: tuple[Metric, ...]
    leaderboard: tuple[str, ...]  # the columns reports print, in order

    def __post_init__(self) -> None:
        known = {m.name for m in self.metrics}
        missing = [m for m in self.leaderboard if m not in known]
        if missing:
            raise ValueError(f"task {self.name}: leaderboard metrics {missing} are not declared")

    def metric(self, name: str) -> Metric | None:
        return next((m for m in self.metrics if m.name == name), None)

    def presets(self) -> tuple[str, ...]:
        """The protocol presets of the task's default head."""
        from unibench.heads import HEADS  # heads sit above the core: read on demand

        return tuple(getattr(HEADS.get(self.default_head), "presets", {}))


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


def all_metrics() -> dict[str, Metric]:
    """Every declared metric by name (the first declaration of a name wins: they agree)."""
    out: dict[str, Metric] = {}
    for name in task_order():
        for m in TASKS.get(name).metrics:
            out.setdefault(m.name, m)
    return out


_P, _C = "percent", "count"
_CLEAR_COUNTS = (
    Metric("IDs", _C, False, "IDSW"),
    Metric("FP", _C, False, "CLR_FP"),
    Metric("FN", _C, False, "CLR_FN"),
)

register(
    Task(
        "sot",
        "single-object tracking",
        "xcorr",
        "synthetic-otb",
        (
            Metric("AUC", _P, official="success AUC (got10k ope)"),
            Metric("Precision", _P, official="precision@20px"),
            Metric("NormPrecision", _P),
            Metric("NormPrecision@0.2", _P),
            Metric("SuccessRate", _P),
            Metric("AO", _P),
            Metric("SR0.5", _P),
            Metric("SR0.75", _P),
            Metric("MaxGM", _P, official="MaxGM (OxUvA)"),
            Metric("TPR", _P),
            Metric("TNR", _P),
            Metric("GM", _P),
            Metric("PosthocMaxGM", _P),
            Metric("TP", _C),
            Metric("FN", _C, False),
            Metric("FP", _C, False),
            Metric("TN", _C),
        ),
        ("AUC", "Precision", "NormPrecision", "AO", "SR0.5", "SR0.75", "MaxGM", "TPR", "TNR"),
    )
)
register(
    Task(
        "vos",
        "video object segmentation",
        "propagation",
        "synthetic-davis",
        (
            Metric("J&F-Mean", _P),
            Metric("J-Mean", _P),
            Metric("J-Recall", _P),
            Metric("J-Decay", _P, False),
            Metric("F-Mean", _P),
            Metric("F-Recall", _P),
            Metric("F-Decay", _P, False),
            Metric("Overall", _P, official="Overall (YouTube-VOS server)"),
            Metric("J-seen", _P),
            Metric("F-seen", _P),
            Metric("J-unseen", _P),
            Metric("F-unseen", _P),
        ),
        ("J&F-Mean", "J-Mean", "F-Mean"),
    )
)
register(
    Task(
        "mot",
        "multi-object tracking",
        "association",
        "synthetic-mot",
        (
            Metric("HOTA", _P),
            Metric("IDF1", _P),
            Metric("MOTA", _P),
            Metric("MOTP", _P),
            Metric("DetA", _P),
            Metric("AssA", _P),
            *_CLEAR_COUNTS,
        ),
        ("IDF1", "HOTA", "MOTA", "IDs"),
    )
)
register(
    Task(
        "mots",
        "multi-object tracking and segmentation",
        "association",
        "synthetic-mots",
        (
            Metric("HOTA", _P),
            Metric("sMOTSA", _P, official="sMOTA"),
            Metric("IDF1", _P),
            Metric("MOTSA", _P, official="MOTA"),
            Metric("MOTSP", _P, official="MOTP"),
            Metric("DetA", _P),
            Metric("AssA", _P),
            *_CLEAR_COUNTS,
        ),
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
            Metric("MOTA", _P, official="MOTA Total (poseval)"),
            Metric("IDF1", _P),
            Metric("MOTP", _P),
            Metric("MOTP-poseval", _P, official="MOTP Total (poseval)"),
            Metric("Prec", _P, official="Prec Total (poseval)"),
            Metric("Rec", _P, official="Rec Total (poseval)"),
            *(
                Metric(f"MOTA-{g}", _P)
                for g in ("Head", "Shou", "Elb", "Wri", "Hip", "Knee", "Ankl")
            ),
            Metric("IDs", _C, False, "num_switches (py-motmetrics), summed over joints"),
            Metric("FP", _C, False, "num_false_positives"),
            Metric("FN", _C, False, "num_misses"),
        ),
        ("IDF1", "MOTA", "IDs"),
    )
)
register(
    Task(
        "poseprop",
        "pose propagation (JHMDB)",
        "pose-propagation",
        "synthetic-jhmdb",
        tuple(
            Metric(f"PCK@{a:g}", _P, official="PCK (CRW eval_pck.py)")
            for a in (0.1, 0.2, 0.3, 0.4, 0.5)
        ),
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
            Metric("AP", _P, official="AP (ytvoseval, IoU .50:.05:.95)"),
            Metric("AP50", _P),
            Metric("AP75", _P),
            Metric("APs", _P),
            Metric("APm", _P),
            Metric("APl", _P),
            Metric("AR1", _P),
            Metric("AR10", _P),
            Metric("AR100", _P),
            Metric("HOTA", _P, official="HOTA (TrackEval YouTubeVIS, class-averaged)"),
            Metric("DetA", _P),
            Metric("AssA", _P),
        ),
        ("AP", "AP50", "AP75", "AR1", "AR10", "HOTA"),
    )
)
