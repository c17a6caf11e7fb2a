"""``unibench export tensorboard|mlflow`` and ``evaluate(log_to=...)``: every figure and every
identity parameter of each record, read back with the tools' own readers (TensorBoard's
``EventAccumulator``; ``mlflow.search_runs`` on a local file store)."""

from __future__ import annotations

import json
import math

import pytest
from unibench.reports.formats.mlflow import mlflow_key
from unibench.reports.logged_runs import identity_params, parse_log_to, run_name, summary_metrics

import unibench
from unibench.app.cli import main
from unibench.errors import ConfigError
from unibench.store import ResultStore

event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator", reason="extra [tensorboard]"
)
mlflow = pytest.importorskip("mlflow", reason="extra [mlflow]")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Two records: a VOS one (percent) and a SOT one (percent and seconds)."""
    root = tmp_path_factory.mktemp("store")
    unibench.evaluate("pixels", tasks="vos", benchmarks="synthetic-davis-quick", store=root)
    unibench.evaluate("pixels", tasks="sot", benchmarks="synthetic-otb-quick", store=root)
    records = ResultStore(root).records()
    assert len(records) == 2
    return root, records


def _close(a: float, b: float) -> bool:  # TensorBoard keeps scalars as float32
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)


def test_tensorboard_round_trips_every_figure_and_parameter(store, tmp_path, capsys):
    root, records = store
    assert main(["export", "tensorboard", "--store", str(root), "--out", str(tmp_path)]) == 0
    assert "exported 2 run(s) to tensorboard" in capsys.readouterr().out
    for rec in records:
        acc = event_accumulator.EventAccumulator(
            str(tmp_path / run_name(rec)), size_guidance={"scalars": 0, "tensors": 0}
        )
        acc.Reload()
        figures = summary_metrics(rec)
        assert figures and set(acc.Tags()["scalars"]) == {f"{rec.task}/{k}" for k in figures}
        for name, value in figures.items():
            (event,) = acc.Scalars(f"{rec.task}/{name}")
            assert _close(event.value, value), (name, event.value, value)
        (text,) = acc.Tensors("identity/text_summary")
        assert json.loads(text.tensor_proto.string_val[0].decode()) == identity_params(rec)
        assert (tmp_path / run_name(rec) / "per_sequence.csv").is_file()
        images = acc.Tags()["images"]
        # the record's figures as the report draws them: OPE success and precision plots for
        # SOT, J&F per sequence for VOS
        pngs = sorted((tmp_path / run_name(rec) / "figures").glob("*.png"))
        assert pngs and images == [f"figures/{p.stem}" for p in pngs]
        assert all(p.stem.startswith("ope_" if rec.task == "sot" else "sequences_") for p in pngs)


def test_mlflow_round_trips_every_figure_and_parameter(store, tmp_path, capsys):
    root, records = store
    uri = (tmp_path / "mlruns").as_uri()
    assert main(["export", "mlflow", "--store", str(root), "--out", uri]) == 0
    assert "exported 2 run(s) to mlflow" in capsys.readouterr().out
    monkey_env = {"MLFLOW_ALLOW_FILE_STORE": "true"}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in monkey_env.items():
            mp.setenv(k, v)
        mlflow.set_tracking_uri(uri)
        runs = mlflow.search_runs(experiment_names=["unibench"], output_format="list")
        client = mlflow.tracking.MlflowClient(tracking_uri=uri)
        by_id = {r.data.tags["unibench.run_id"]: r for r in runs}
        assert set(by_id) == {r.run_id for r in records}
        for rec in records:
            run = by_id[rec.run_id]
            keys = json.loads(run.data.tags["unibench.official_names"])
            figures = summary_metrics(rec)
            assert {keys[k] for k in run.data.metrics} == set(figures)
            for key, value in run.data.metrics.items():
                assert value == pytest.approx(float(figures[keys[key]]), rel=1e-12)
            assert run.data.params == identity_params(rec)
            arts = {a.path for a in client.list_artifacts(run.info.run_id)}
            assert arts == {"figures", "per_sequence.csv"}  # SOT curves, VOS J&F per sequence
            figs = [a.path for a in client.list_artifacts(run.info.run_id, "figures")]
            assert any(f.endswith(".png") for f in figs)
    assert mlflow_key("J&F-Mean (davis2017-evaluation)") == "J_F-Mean _davis2017-evaluation_"


def test_evaluate_logs_where_asked(tmp_path):
    out = tmp_path / "tb"
    df = unibench.evaluate(
        "pixels", benchmarks="synthetic-davis-quick", store=tmp_path, log_to=f"tensorboard:{out}"
    )
    (folder,) = out.iterdir()
    assert folder.name.endswith(df.run_id.iloc[0])
    with pytest.raises(
        ConfigError, match="expected LOGGER:TARGET with a logger among mlflow, tensorboard"
    ):
        parse_log_to("wandb:project")
