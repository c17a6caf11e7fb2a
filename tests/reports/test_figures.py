"""The report's figures keyed to their sections (reports/figures.py) and drawn by reports/plots.py:
per-sequence J&F bars, HOTA/DetA/AssA against α, PCK curves, the SOT plots; every value in
display units; the rendered worst sequences found by run id, never outside their folder."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from unibench.reports.figures import (
    SequenceClips,
    clips_folder,
    read_clips,
    section_figures,
    write_clips_index,
)

from unibench.datatypes import ResultRecord


def _record(tmp: Path, rid: str, task: str, bench: str, metrics: dict, per=(), curves=None,
            model="pixels") -> ResultRecord:  # fmt: skip
    folder = tmp / rid
    (folder / "predictions").mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps({"curves": curves or {}}))
    return ResultRecord(
        run_id=rid, task=task, model=model, tap="lab", head="h", head_params={}, benchmark=bench,
        split="val", metrics=metrics, per_sequence=list(per), timing={}, git_sha="x",
        environment={}, created="2026-01-01T00:00:00", predictions=str(folder / "predictions"),
    )  # fmt: skip


def _svg_text(path: Path) -> str:
    """The texts of an SVG matplotlib wrote (glyphs are paths; each text is in a comment)."""
    return "\n".join(re.findall(r"<!-- (.*?) -->", path.read_text())).replace("&amp;", "&")


def test_vos_bars_sorted_lowest_first_in_display_units(tmp_path):
    per = [{"sequence": "b", "object": 1, "J&F-Mean": 0.9},
           {"sequence": "a", "object": 1, "J&F-Mean": 0.2},
           {"sequence": "a", "object": 2, "J&F-Mean": 0.4},
           {"sequence": "c", "object": 1, "J&F-Mean": 0.6}]  # fmt: skip
    r1 = _record(tmp_path, "r1", "vos", "synthetic-davis", {"J&F-Mean": 0.55}, per)
    r2 = _record(tmp_path, "r2", "vos", "synthetic-davis", {"J&F-Mean": 0.5}, per[:1],
                 model="resnet18")  # fmt: skip
    figs = section_figures([r1, r2], tmp_path / "out")
    (bars,) = figs
    assert bars.task == "vos" and bars.benchmark == r1.benchmark_label
    assert {p.suffix for p in bars.files} == {".png", ".svg", ".pdf"}
    assert "lowest of the first run: a" in bars.alt and "2 run(s)" in bars.alt
    svg = _svg_text(bars.svg)
    # sequence a is the mean of its objects (30), first on the axis; the legend carries the
    # run's summary as the table prints it (55.0), not a mean of the bars
    assert "J&F 55.0" in svg and "J&F 50.0" in svg
    ticks = [t for t in svg.splitlines() if t in ("a", "b", "c")]
    assert ticks == ["a", "c", "b"]


def test_youtube_vos_rows_give_j_and_f_mean(tmp_path):
    from unibench.reports.figures import _per_sequence

    r = _record(tmp_path, "y", "vos", "synthetic-youtube-vos", {},
                [{"sequence": "s", "J-Mean": 0.5, "F-Mean": 0.7, "seen": True}])  # fmt: skip
    assert _per_sequence(r, "J&F-Mean") == {"s": pytest.approx(60.0)}


def test_alpha_and_pck_figures_per_section(tmp_path):
    alpha = [round(0.05 * k, 2) for k in range(1, 20)]
    curves = {"alpha": alpha, "HOTA": [0.5] * 19, "DetA": [0.6] * 19, "AssA": [0.4] * 19}
    mot = _record(tmp_path, "m", "mot", "synthetic-mot", {"HOTA": 0.5}, curves=curves)
    pose = _record(tmp_path, "p", "poseprop", "synthetic-jhmdb",
                   {"PCK@0.1": 0.2, "PCK@0.2": 0.45, "J&F-Mean": 0.1})  # fmt: skip
    figs = {f.task: f for f in section_figures([mot, pose], tmp_path / "out")}
    assert set(figs) == {"mot", "poseprop"}
    assert "alpha" in figs["mot"].alt and figs["mot"].benchmark == mot.benchmark_label
    svg = _svg_text(figs["mot"].svg)
    assert "[50.0]" in svg and "[60.0]" in svg and "[40.0]" in svg  # α means, display units
    assert figs["poseprop"].svg.is_file() and "PCK" in figs["poseprop"].alt


def test_a_record_without_curves_draws_nothing(tmp_path):
    r = _record(tmp_path, "m", "mot", "synthetic-mot", {"HOTA": 0.5})
    r = dataclasses.replace(r, predictions=None)
    assert section_figures([r], tmp_path / "out") == []


def test_clips_are_found_by_run_id_and_stay_in_their_folder(tmp_path):
    r = _record(tmp_path, "abc", "vos", "synthetic-davis", {})
    out = tmp_path / "report"
    folder = clips_folder(out, r.run_id)
    folder.mkdir(parents=True)
    (folder / "s.jpg").write_bytes(b"x")
    (folder / "s.mp4").write_bytes(b"x")
    write_clips_index(
        out, r.run_id, [SequenceClips("s", folder / "s.jpg", folder / "s.mp4", "J 1")]
    )
    (found,) = read_clips(out, [r])[r.run_id]
    assert found.sequence == "s" and found.video == folder / "s.mp4"
    # an index naming files outside its folder, or missing ones, shows nothing
    (tmp_path / "secret.jpg").write_bytes(b"x")
    (folder / "index.json").write_text(json.dumps(
        [{"sequence": "t", "sheet": "../../secret.jpg", "video": "s.mp4"},
         {"sequence": "u", "sheet": "gone.jpg", "video": "s.mp4"}]))  # fmt: skip
    assert read_clips(out, [r]) == {}
    other = dataclasses.replace(r, run_id="zzz")  # another identity: not shown
    assert read_clips(out, [other]) == {}


def test_attribute_figures_and_tables_ope_and_vot(tmp_path):
    """OPE: success AUC per attribute (an attribute no run scored left out, the sequence count
    in the label); VOT: accuracy per tag with the failures as the second figure."""
    from unibench.reports.figures import attribute_tables

    ope = [{"code": "IV", "name": "Illumination Variation", "sequences": 2, "AUC": 0.662},
           {"code": "OCC", "name": "Occlusion", "sequences": 3, "AUC": 0.4},
           {"code": "LR", "name": "Low Resolution", "sequences": 1}]  # fmt: skip
    a = _record(tmp_path, "a", "sot", "synthetic-otb", {"AUC": 0.6}, curves={"attributes": ope})
    b = _record(tmp_path, "b", "sot", "synthetic-otb", {"AUC": 0.5}, model="resnet18",
                curves={"attributes": [dict(x, AUC=0.3) if "AUC" in x else x for x in ope]})  # fmt: skip
    vot = [{"code": "occlusion", "name": "occlusion", "Accuracy": 0.71, "Failures": 3.0,
            "frames": 59, "sequences": 3}, {"code": "camera_motion", "frames": 0, "sequences": 0}]  # fmt: skip
    v = _record(tmp_path, "v", "sot", "vot2019", {"EAO": 0.3}, curves={"attributes": vot})
    tables = attribute_tables([a, b, v])
    t = tables[("synthetic-otb", "val")]
    assert t.metric == "AUC" and [c for c, _, _ in t.labels] == ["IV", "OCC"]
    assert t.labels[0] == ("IV", "Illumination Variation", 2)
    assert t.values[next(iter(t.values))]["IV"] == pytest.approx(0.662)
    tv = tables[("vot2019", "val")]
    assert (tv.metric, tv.second, tv.count) == ("Accuracy", "Failures", "tagged frames")
    assert [c for c, _, _ in tv.labels] == ["occlusion"]
    figs = [f for f in section_figures([a, b, v], tmp_path / "out") if f.table is not None]
    assert len(figs) == 2 and all(f.svg.is_file() for f in figs)
    svg = _svg_text(next(f for f in figs if f.benchmark == "synthetic-otb").svg)
    # the count beside the code; the axis in display units (percent: ticks to 60, not 0.6)
    assert "IV\n(2)" in svg and "60" in svg.splitlines() and "0.6" not in svg.splitlines()
    from unibench.reports.formats.html import _attribute_table

    page = _attribute_table(t)
    assert '<th title="Illumination Variation: 2 sequences">IV (2)</th>' in page
    assert "66.2" in page and "30.0" in page and "LR" not in page
