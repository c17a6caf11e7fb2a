"""The tidy table's columns: a protocol (a head preset other than the head's default) is a column
of its own, so a model's value, its best tap and a correlation's point never mix protocols."""

from __future__ import annotations

from unibench.reports.table import measured_rows
from unibench.reports.tidy import head_variant

from unibench.datatypes import ResultRecord


def _rec(rid: str, preset: str | None, value: float, created: str, **params) -> ResultRecord:
    hp = {"preset": preset, **params} if preset else dict(params)
    return ResultRecord(
        run_id=rid, task="vos", model="pixels", tap="lab", head="propagation", head_params=hp,
        benchmark="davis2016", split="val", metrics={"J&F-Mean": value}, per_sequence=[],
        timing={}, git_sha="x", environment={}, created=created, predictions="",
    )  # fmt: skip


def test_a_non_default_preset_is_its_own_column():
    default = _rec("a", "unitrack", 0.5, "2026-01-01T00:00:00")
    crw = _rec("b", "crw", 0.9, "2026-01-02T00:00:00")  # newer and better: must not take a's place
    assert head_variant(default) == "propagation" == head_variant(_rec("c", None, 0.1, "x"))
    assert head_variant(crw) == "propagation[crw]"
    assert head_variant(_rec("d", None, 0.1, "x", init_from_box=True)) == "propagation+box-init"
    (row,) = measured_rows([default, crw])
    vals = {c.head: v for c, v in row.cells.items() if c.metric == "J&F-Mean"}
    assert vals == {"propagation": {"lab": 50.0}, "propagation[crw]": {"lab": 90.0}}
