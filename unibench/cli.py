"""``unibench`` command line: run, eval, report, list, synth, bench.

Expected failures print one line (``unibench: error: …``) and exit with status 2; bugs keep their
traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from unibench.errors import UniBenchError

logger = logging.getLogger("unibench")


def _add_run(sub) -> None:
    p = sub.add_parser("run", help="run a model × head on a benchmark and store the scores")
    p.add_argument("--model", required=True, help="model name (see 'unibench list models')")
    p.add_argument("--task", default="vos", help="task (vos)")
    p.add_argument(
        "--benchmark", help="benchmark name; default: the task's embedded synthetic suite"
    )
    p.add_argument("--data-root", help="benchmark root folder (official layout)")
    p.add_argument("--split", help="benchmark split (default: the benchmark's, e.g. val)")
    p.add_argument("--sequences", help="comma-separated subset of sequences")
    p.add_argument("--head", help="head name (default: the task's default head)")
    p.add_argument("--tap", "--layer", dest="tap", help="feature tap, e.g. layer3 or layer4")
    p.add_argument(
        "--checkpoint", help="local checkpoint (.pth/.pt with weights only, or .safetensors)"
    )
    p.add_argument(
        "--allow-partial",
        action="store_true",
        help="accept a checkpoint that leaves backbone weights missing",
    )
    p.add_argument("--device", choices=["cpu", "cuda"], help="device (default cpu)")
    p.add_argument("--output", help="output folder (default $UNIBENCH_OUTPUT or ./unibench_output)")
    p.add_argument("--config", type=Path, help="YAML config file (safe-loaded)")
    p.add_argument(
        "--force", action="store_true", help="recompute sequences whose predictions exist"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("overrides", nargs="*", help="key=value overrides, e.g. head.topk=5")


def _cmd_run(a) -> int:
    from unibench import runner
    from unibench.reports import metric_table
    from unibench.store import default_output_dir

    cli: dict = {"task": a.task, "model": {"name": a.model}}
    if a.benchmark:
        cli.setdefault("benchmark", {})["name"] = a.benchmark
    if a.data_root:
        cli.setdefault("benchmark", {})["data_root"] = a.data_root
    if a.split:
        cli.setdefault("benchmark", {})["split"] = a.split
    if a.sequences:
        cli.setdefault("benchmark", {})["sequences"] = [s for s in a.sequences.split(",") if s]
    if a.head:
        cli["head"] = {"name": a.head}
    for key, val in (("tap", a.tap), ("checkpoint", a.checkpoint), ("device", a.device)):
        if val:
            cli["model"][key] = val
    if a.allow_partial:
        cli["model"]["allow_partial"] = True
    cli["output"] = {"dir": a.output or str(default_output_dir())}
    if a.force:
        cli["output"]["force"] = True
    resolved = runner.resolve_config(cli, a.config, a.overrides)
    out = runner.run(resolved, progress=not a.no_progress)
    r = out.record
    title = f"{r.model} [{r.tap}] · {r.head} · {r.benchmark}/{r.split}"
    print(metric_table(out.table, title))
    print(
        f"\nrun {r.run_id}: {len(out.computed)} sequences computed, {len(out.skipped)} reused; "
        f"{r.timing['seconds_per_frame']:.3f} s/frame; outputs in {out.run_dir}"
    )
    return 0


def _cmd_list(a) -> int:
    from unibench.appearance_models import MODELS
    from unibench.benchmarks import BENCHMARKS
    from unibench.heads import HEADS

    if a.what == "models":
        for n in MODELS.names():
            c = MODELS.get(n)
            print(f"{n:32s} {c.family:16s} {c.training_data}")
    elif a.what == "heads":
        for n, h in HEADS.items():
            print(f"{n:24s} task={h.task}")
    else:
        for n in BENCHMARKS.names():
            print(n)
    return 0


def _cmd_eval(a) -> int:
    from unibench import runner
    from unibench.reports import metric_table

    seqs = [s for s in a.sequences.split(",") if s] if a.sequences else None
    t = runner.evaluate_folder(a.task, a.benchmark, a.data_root, Path(a.predictions), a.split, seqs)
    print(metric_table(t, f"{a.predictions} · {a.benchmark}"))
    return 0


def _cmd_report(a) -> int:
    from unibench.reports import results_table
    from unibench.store import ResultStore, default_output_dir

    store = ResultStore(a.output or default_output_dir())
    records = list(store.latest().values())
    text = results_table(records)
    print(text)
    if a.out:
        from unibench.io import atomic_write_text

        atomic_write_text(Path(a.out) / "leaderboard.md", text + "\n")
    return 0


def _cmd_synth(a) -> int:
    from unibench.benchmarks.synthetic import generate

    root = generate(Path(a.out), seed=a.seed)
    print(f"synthetic suite (seed {a.seed}) written under {root}")
    return 0


def _cmd_bench(a) -> int:
    from unibench import bench

    return bench.main(a.what, a.args)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="unibench", description=__doc__.splitlines()[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = ap.add_subparsers(dest="cmd", required=True)
    _add_run(sub)
    p = sub.add_parser("list", help="list registered models, heads or benchmarks")
    p.add_argument("what", choices=["models", "heads", "benchmarks"])
    p = sub.add_parser("eval", help="score predictions on disk (official format) without a model")
    p.add_argument("--task", required=True)
    p.add_argument("--benchmark", required=True)
    p.add_argument("--data-root", help="benchmark root (ground truth)")
    p.add_argument("--predictions", required=True, help="folder with <sequence>/<frame>.png")
    p.add_argument("--split")
    p.add_argument("--sequences", help="comma-separated subset")
    p = sub.add_parser("report", help="tables of the stored results")
    p.add_argument("--output", help="the result store's folder (as given to run --output)")
    p.add_argument("--out", help="also write the report files into this folder")
    p = sub.add_parser("synth", help="write the embedded synthetic suite in official formats")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("bench", help="performance benchmarks (numbers, not tests)")
    p.add_argument("what", choices=["kernels"])
    p.add_argument("args", nargs="*", help="key=value options of the benchmark")
    return ap


COMMANDS = {
    "run": _cmd_run,
    "list": _cmd_list,
    "eval": _cmd_eval,
    "report": _cmd_report,
    "synth": _cmd_synth,
    "bench": _cmd_bench,
}


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if a.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return COMMANDS[a.cmd](a)
    except UniBenchError as exc:
        print(f"unibench: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
