"""Bad flags, config values and names: one clear line, exit 2, nothing written outside --output."""

from __future__ import annotations

import pytest


def _davis(sb, *extra):
    return (
        "run", "--model", "pixels", "--task", "vos", "--benchmark", "davis2017",
        "--data-root", sb.fmt("davis2017"), "--output", sb.out, "--no-progress", *extra,
    )  # fmt: skip


CASES = [
    # (extra arguments, expected text in the error line)
    (("--model", "resnet51"), "unknown model 'resnet51'"),
    (("--head", "propagatoin"), "unknown head 'propagatoin'"),
    (("head.tempreature=1",), "unknown key 'head.tempreature'"),
    (("head.temperature=.nan",), "must be a finite number"),
    (("head.temperature=.inf",), "must be a finite number"),
    (("head.radius=-.inf",), "must be a finite number"),
    (("head.topk=abc",), "must be an integer"),
    (("head.topk=1.5",), "must be an integer"),
    (("head.topk=0",), "topk must be >= 1"),
    (("head.radius=0",), "radius must be a finite number > 0"),
    (("head.input_height=0",), "input_height must be > 0"),
    (("head.preset=nope",), "has no preset 'nope'"),
    (("head.pad_memory=true", "head.first_in_window=true"), "two memory layouts"),
    (("--workers", "-1"), "workers must be >= 0"),
    (("model.device=tpu",), "must be one of"),
    (("--split", "../../x"), "split name '../../x' contains a path separator"),
    (("--split", "a/b"), "contains a path separator"),
    (("--split", ".."), "is a relative folder reference"),
    (("--split", "tset"), "unknown split 'tset'; known splits"),
    (("--sequences", "../../etc"), "sequence name '../../etc' contains a path separator"),
    (("--sequences", "/tmp/victim"), "contains a path separator"),
    (("--sequences", "synth-00,synth-00"), "names synth-00 more than once"),
    (("--sequences", "bad\x01name"), "NUL or control character"),
    (("--tap", "../x"), "--tap '../x': model 'pixels' has no such tap"),
    (("model.tap=../x",), "tap name '../x' contains a path separator"),
    (("--head", "xcorr"), "serve"),
    (("--task", "sot", "--head", "xcorr"), "serves task(s) vos, not 'sot'"),
    (("benchmark.options.strict_visibility=true",), "takes no scoring options"),
    (("bogus",), "expected key=value"),
]


@pytest.mark.parametrize("extra,expect", CASES, ids=[c[1][:40] for c in CASES])
def test_bad_flags_and_values(sandbox, capsys, extra, expect):
    sandbox.fails(capsys, expect, *_davis(sandbox, *extra))
    assert not (sandbox.out / "runs").exists() or not any((sandbox.out / "runs").rglob("*.png"))


def test_unknown_task_lists_the_tasks(sandbox, capsys):
    line = sandbox.fails(
        capsys, "unknown task 'jhmdb'", "run", "--model", "pixels", "--task", "jhmdb",
        "--output", sandbox.out,
    )  # fmt: skip
    assert "posetrack" in line


@pytest.mark.parametrize(
    "text,expect",
    [
        ("head: [1, 2\n", "not valid YAML"),
        ("- a\n- b\n", "expected a mapping at the top level"),
        ("hed:\n  topk: 3\n", "unknown key 'hed'"),
        ("head:\n  temperature: .nan\n", "must be a finite number"),
    ],
)
def test_bad_config_files(sandbox, capsys, text, expect):
    cfg = sandbox.root / "c.yaml"
    cfg.write_text(text)
    sandbox.fails(capsys, expect, *_davis(sandbox, "--config", cfg))


def test_missing_config_file(sandbox, capsys):
    sandbox.fails(
        capsys, "cannot read config file", *_davis(sandbox, "--config", "/nonexistent.yaml")
    )


def test_posetrack_unknown_option(sandbox, capsys):
    sandbox.fails(
        capsys, "unknown key 'benchmark.options.strict'",
        "eval", "--task", "posetrack", "--benchmark", "posetrack18",
        "--data-root", sandbox.fmt("posetrack"), "--predictions", sandbox.out,
        "--option", "strict=true",
    )  # fmt: skip


def test_subset_run_is_recorded_as_such_and_never_ranked(sandbox, capsys):
    from unibench.reports.table import measured_rows, ranks

    from unibench.store import ResultStore

    rc, _, _ = sandbox.cli(capsys, *_davis(sandbox, "--sequences", "synth-01"))
    assert rc == 0
    rec = ResultStore(sandbox.out).records()[-1]
    assert rec.sequences == ["synth-01"] and rec.split_size == 3 and rec.whole_split is False
    assert rec.execution["device"] == "cpu" and rec.execution["impl"] in (
        "fused",
        "chunked",
        "reference",
    )
    rc, _, _ = sandbox.cli(capsys, *_davis(sandbox))
    assert rc == 0
    latest = list(ResultStore(sandbox.out).latest().values())
    assert len(latest) == 2  # the subset did not replace the whole split
    rows = measured_rows(latest)
    labels = sorted(r.label for r in rows)
    assert labels == ["pixels", "pixels [subset 1/3 seq]"]
    col = next(iter(rows[0].cells))
    rk = ranks(rows, col)
    assert len(rk) == 1 and rows[next(iter(rk))].subset is None
