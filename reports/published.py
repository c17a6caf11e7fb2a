"""The shipped paper tables: UniTrack's leaderboard columns and the linear-probe accuracies.

One home for what the published rows are; :mod:`.frame` turns them into tidy rows and
:mod:`.table` into leaderboard rows.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources

from unibench.metrics import metric_meta


@dataclass(frozen=True, order=True)
class Column:
    task: str
    head: str
    benchmark: str
    metric: str

    @property
    def label(self) -> str:
        return f"{self.task.upper()} {self.metric} ({self.head}, {self.benchmark})"

    @property
    def higher_better(self) -> bool:
        return metric_meta(self.metric).higher_is_better


PAPER_COLUMNS = {
    "sot_auc_xcorr": Column("sot", "xcorr", "otb2015", "AUC"),
    "sot_auc_dcf": Column("sot", "dcf", "otb2015", "AUC"),
    "vos_j_mean": Column("vos", "propagation", "davis2017", "J-Mean"),
    "mot_idf1": Column("mot", "association", "mot16", "IDF1"),
    "mot_hota": Column("mot", "association", "mot16", "HOTA"),
    "mots_idf1": Column("mots", "association", "mots20", "IDF1"),
    "mots_hota": Column("mots", "association", "mots20", "HOTA"),
    "posetrack_idf1": Column("posetrack", "association", "posetrack18", "IDF1"),
    "posetrack_ids": Column("posetrack", "association", "posetrack18", "IDs"),
}
SOURCE = "UniTrack (NeurIPS 2021) Tables 1-2"


def _csv(name: str) -> list[dict[str, str]]:
    text = resources.files("unibench.reports").joinpath("data", name).read_text()
    return list(csv.DictReader(text.splitlines()))


def linear_probe() -> dict[str, float]:
    return {r["model"]: float(r["imagenet_linear_top1"]) for r in _csv("imagenet_linear_probe.csv")}
