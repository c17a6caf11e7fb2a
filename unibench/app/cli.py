"""``unibench`` command line: run, eval, report, list, synth, bench.

Expected failures print one line (``unibench: error: …``) and exit with status 2; bugs keep their
traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from dataclasses import asdict
from pathlib import Path

from unibench import jsonout
from unibench.app import data, perf, pipeline, show
from unibench.app.api import run_request
from unibench.appearance_models import (
    MODELS,
    build_random,
    describe_model,
    get_cfg,
    list_models,
    load_card_file,
    load_env_cards,
    model_reference,
)
from unibench.appearance_models._key_layouts import layout_named
from unibench.appearance_models._weights import cached_path, fetch_card, verify, weight_source
from unibench.appearance_models.timm_adapter import weight_file
from unibench.benchmarks import BENCHMARKS
from unibench.benchmarks.base import build_benchmark
from unibench.benchmarks.quick import QUICK
from unibench.benchmarks.synthetic import generate
from unibench.config import overrides_to_dict
from unibench.errors import ConfigError, UniBenchError
from unibench.executors import executor_names, parse_shard
from unibench.heads import HEADS
from unibench.reports import metric_table, results_table
from unibench.reports.build import build_report, load_records
from unibench.reports.formats import formats, write_logger
from unibench.store import ResultStore, default_output_dir
from unibench.tasks import TASKS, task_order

logger = logging.getLogger("unibench")


TRUNCATE_HELP = (
    "a cut copy whose metadata describes the full sequences (MOTChallenge seqinfo.ini, PoseTrack "
    "nframes): run and score the frames present (a subset)"
)


def _add_run(sub) -> None:
    p = sub.add_parser("run", help="run a model × head on a benchmark and store the scores")
    p.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    p.add_argument("--model", help="model name(s), comma-separated (see 'unibench models list')")
    p.add_argument(
        "--task",
        help=f"task(s), comma-separated: {', '.join(task_order())} (default vos; "
        "'unibench list tasks' shows each task's head, suite, presets and metrics)",
    )
    p.add_argument(
        "--layers",
        help="feature taps to run, comma-separated (e.g. layer3,layer4), or 'all': every tap of "
        "each model at stride <= 16",
    )
    p.add_argument(
        "--suite", type=Path, help="YAML suite: models, tasks, layers, benchmarks, variants"
    )
    p.add_argument(
        "--feature-cache",
        action="store_true",
        help="cache frame features on disk (float16) for reuse across heads and reruns",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        help="worker processes over the units (cell × sequence): the process executor",
    )
    p.add_argument(
        "--executor",
        default="auto",
        choices=executor_names(),
        help="where units run (auto: process with --workers, else inline)",
    )
    p.add_argument("--ray-address", help="ray: join this cluster (default: a local instance)")
    p.add_argument("--cpus-per-unit", type=float, default=1.0, help="ray: CPUs per unit")
    p.add_argument("--gpus-per-unit", type=float, default=0.0, help="ray: GPUs per unit (0.25 …)")
    p.add_argument(
        "--shard",
        help="I/N: run a deterministic 1/N of the units (records to results.shard-I-of-N.jsonl)",
    )
    p.add_argument(
        "--benchmark", help="benchmark name; default: the task's embedded synthetic suite"
    )
    p.add_argument("--data-root", help="benchmark root folder (official layout)")
    p.add_argument("--split", help="benchmark split (default: the benchmark's, e.g. val)")
    p.add_argument("--sequences", help="comma-separated subset of sequences")
    p.add_argument(
        "--frames",
        type=int,
        help="run and score the first N frames of each sequence (a subset; DAVIS- and OTB-layout "
        "benchmarks)",
    )
    p.add_argument("--truncate", action="store_true", help=TRUNCATE_HELP)
    p.add_argument(
        "--detections",
        help="association tasks: folder of per-sequence detection files replacing the "
        "benchmark's own (e.g. FairMOT's <seq>.txt for MOTChallenge)",
    )
    p.add_argument("--head", help="head name (default: the task's default head)")
    p.add_argument("--tap", "--layer", dest="tap", help="feature tap, e.g. layer3 or layer4")
    p.add_argument(
        "--checkpoint", help="local checkpoint (.pth/.pt with weights only, or .safetensors)"
    )
    p.add_argument(
        "--model-card",
        action="append",
        default=[],
        help="register a model card (YAML/TOML) before running; repeatable",
    )
    p.add_argument(
        "--allow-partial",
        action="store_true",
        help="accept a checkpoint that leaves backbone weights missing",
    )
    p.add_argument(
        "--allow-nonfinite",
        action="store_true",
        help="load a checkpoint whose tensors hold NaN or infinite values (refused by default)",
    )
    p.add_argument("--device", choices=["cpu", "cuda"], help="device (default cpu)")
    p.add_argument(
        "--output",
        help="the result store and run folders (default $UNIBENCH_OUTPUT, else $XDG_DATA_HOME/unibench)",
    )
    p.add_argument("--config", type=Path, help="YAML config file (safe-loaded)")
    p.add_argument(
        "--force", action="store_true", help="recompute sequences whose predictions exist"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("overrides", nargs="*", help="key=value overrides, e.g. head.topk=5")


def _request(a) -> pipeline.MatrixRequest:
    """The matrix the arguments describe (what ``unibench.evaluate`` builds from its arguments)."""
    bench: dict = {}
    for key, value in (("detections", a.detections), ("name", a.benchmark),
                       ("data_root", a.data_root), ("split", a.split)):  # fmt: skip
        if value:
            bench[key] = value
    if a.sequences:
        bench["sequences"] = [x for x in a.sequences.split(",") if x]
    if a.frames is not None:
        bench["frames"] = a.frames
    if a.truncate:
        bench["truncate"] = True
    model: dict = {k: v for k, v in (("checkpoint", a.checkpoint), ("device", a.device)) if v}
    model.update({k: True for k in ("allow_partial", "allow_nonfinite") if getattr(a, k)})
    run_output: dict = {k: True for k in ("force", "feature_cache") if getattr(a, k)}
    if a.workers:
        run_output["workers"] = a.workers
    models = [m for m in (a.model or "").split(",") if m]
    if a.checkpoint and not models:  # a checkpoint that names its card stands for it
        models = [model_reference(a.checkpoint)[0]]
    req = pipeline.MatrixRequest(
        output=a.output or str(default_output_dir()),
        models=models,
        tasks=[t for t in (a.task or "").split(",") if t],
        layers=[x for x in (a.layers or "").split(",") if x],
        tap=a.tap,
        benchmark=bench,
        head=a.head,
        model=model,
        run_output=run_output,
        overrides=list(a.overrides),
        suite=a.suite,
    )
    return req


def _cmd_run(a) -> int:

    _load_cards(a.model_card)
    if a.tap and a.layers:
        raise UniBenchError(
            f"--tap {a.tap!r} and --layers {a.layers!r} both name taps: --layers runs each tap it "
            "lists, --tap runs one; give one of them"
        )
    # the API's one path: every cell resolved first (a misspelt key fails before hours of
    # compute), then planned and run on the executor
    resolved, outcomes = run_request(
        _request(a),
        a.config,
        a.executor,
        a.workers or 0,
        parse_shard(a.shard),
        progress=not a.no_progress,
        ray_address=a.ray_address,
        cpus_per_unit=a.cpus_per_unit,
        gpus_per_unit=a.gpus_per_unit,
    )
    records = []
    for res, out in zip(resolved, outcomes, strict=True):
        if out is None:
            print(
                f"cell {res.run.model.name} · {res.run.head.name} · {res.run.benchmark.name}: "
                f"this shard's sequences are done; the cell is scored by the shard that "
                "completes it"
            )
            continue
        records.append(out.record)
        r = out.record
        if len(resolved) == 1:
            title = f"{r.model_name} [{r.tap}] · {r.head} · {r.benchmark_label}/{r.split}"
            print(metric_table(out.table, title))
        spf = r.timing.get("seconds_per_frame", float("nan"))
        pace = f"{spf:.3f} s/frame" if spf == spf else "no frame computed"
        print(
            f"run {r.run_id}: {len(out.computed)} sequences computed, {len(out.skipped)} reused; "
            f"{pace}; outputs in {out.run_dir}"
        )
    if len(records) > 1:
        print()
        print(results_table(records))
    if a.json:
        entries = [
            jsonout.entry(
                o.record.task,
                o.record.benchmark,
                o.record.split,
                o.table,
                run_id=o.record.run_id,
                model=o.record.model,
                checkpoint=o.record.checkpoint,
                tap=o.record.tap,
                head=o.record.head,
                head_params=o.record.head_params,
                weights=o.record.weights,
                behaviour=o.record.behaviour,
                sequences=o.record.sequences,
                whole_split=o.record.whole_split,
                frames=o.record.frames,
                run_dir=str(o.run_dir),
            )  # fmt: skip
            for o in outcomes
            if o is not None
        ]
        print(f"wrote {jsonout.write(a.json, entries).resolve()}")
    return 0


def _load_cards(files: list[str]) -> None:

    load_env_cards()
    for f in files:
        load_card_file(f)


def _model_rows(pattern: str) -> list:
    """Cards to list: registered ones matching ``pattern``, or timm's pretrained names for a
    ``timm:<glob>`` pattern (built on demand, nothing loaded)."""

    if pattern.startswith("timm:"):
        import timm

        glob = pattern[len("timm:") :] or "*"
        glob = glob if any(c in glob for c in "*?[") else f"*{glob}*"
        return [get_cfg(f"timm:{n}") for n in timm.list_pretrained(glob)]
    return [MODELS.get(n) for n in list_models(pattern)]


def _add_models(sub) -> None:
    p = sub.add_parser("models", help="the model zoo: list, show a card, fetch weights")
    p.add_argument("action", choices=["list", "show", "fetch"])
    p.add_argument("pattern", nargs="?", help="list: substring or glob; show/fetch: model name")
    p.add_argument("--family", help="list: only this family (substring)")
    p.add_argument(
        "--source",
        choices=["zoo", "timm", "hf-hub", "card-file", "card file"],  # "card file": old spelling
        help="list: only cards from this source",
    )
    p.add_argument("--model-card", action="append", default=[], help="register a card file first")


def _cmd_models(a) -> int:
    _load_cards(a.model_card)
    if a.action == "list":
        rows = _model_rows(a.pattern or "")
        if a.family:
            rows = [c for c in rows if a.family.lower() in c.family.lower()]
        if a.source:
            want = a.source.replace("-", " ").split()[0:2]
            rows = [c for c in rows if c.source.split()[0:2] == want]
        table = []
        for c in rows:
            src = weight_source(c)
            top1 = f"{c.imagenet_linear_top1:.1f}" if c.imagenet_linear_top1 else "–"
            kind = "card-file" if c.source.startswith("card file") else c.source
            table.append((c.name, kind, c.family, c.training_data, top1, src))
        head = ("model", "source", "family", "data", "top-1", "weights")
        # columns as wide as their widest cell: nothing is cut
        w = [max(len(str(r[i])) for r in [head, *table]) for i in range(len(head))]
        for r in [head, *table]:
            print(
                f"{r[0]:{w[0]}s}  {r[1]:{w[1]}s}  {r[2]:{w[2]}s}  {r[3]:{w[3]}s}  "
                f"{r[4]:>{w[4]}s}  {r[5]}"
            )
        n = len(rows)
        print(
            f"\n{n} model{'' if n == 1 else 's'} (timm names: timm:<arch>[.<tag>], list them with "
            "'models list timm:<glob>'; Hub names: hf-hub:<org>/<repo>)"
        )
        return 0
    cfg = get_cfg(a.pattern)
    if a.action == "show":
        card = asdict(cfg)
        info = build_random(cfg).feature_info()
        card["taps"] = {t: f"{i.channels} channels, stride {i.stride}" for t, i in info.items()}
        layout = layout_named(cfg.layout)
        card["layout_prefixes"] = ", ".join(repr(x) for x in layout.prefixes)
        card["layout_notes"] = layout.notes
        if cfg.url or cfg.file:
            card["cache_path"] = str(cached_path(cfg.name, cfg.url, cfg.file))
        width = max(map(len, card))
        for k, v in card.items():
            if v not in (None, "", {}, ()):
                print(f"{k:{width}s}  {v}")
        return 0
    if cfg.arch == "timm" and not cfg.has_weights:
        path = weight_file(build_random(cfg), cfg)
        verify(path, cfg.sha256)
    else:
        path = fetch_card(cfg)
    print(f"{cfg.name}: {path} (verified)" if cfg.sha256 else f"{cfg.name}: {path}")
    return 0


def _add_list(sub) -> None:
    p = sub.add_parser("list", help="list registered models, heads, benchmarks or tasks")
    p.add_argument("what", choices=["models", "heads", "benchmarks", "tasks"])


def _cmd_list(a) -> int:
    if a.what == "models":
        for n in MODELS.names():
            c = MODELS.get(n)
            print(f"{n:32s} {c.family:16s} {c.training_data}")
    elif a.what == "heads":
        for n, h in HEADS.items():
            print(f"{n:24s} task={','.join(h.serves())}")
    elif a.what == "tasks":
        for n in task_order():
            t = TASKS.get(n)
            presets = HEADS.get(t.default_head).presets
            print(
                f"{n:10s} {t.title}: head {t.default_head} (presets "
                f"{', '.join(presets) or '–'}), suite {t.default_suite}, "
                f"leaderboard {', '.join(t.leaderboard)}"
            )
    else:
        names = BENCHMARKS.names()
        w = max(map(len, names))
        for n in names:
            data = BENCHMARKS.get(n).data
            how = data.how if data is not None else "synthetic: unibench synth writes it"
            print(f"{n:{w}s}  {how}")
        for n, q in QUICK.items():
            split = f"/{q.split}" if q.split else ""
            frames = f", their first {q.frames} frames" if q.frames else ""
            print(
                f"{n}  (quick suite: {len(q.sequences)} sequences of {q.benchmark}{split}"
                f"{frames}; a subset)"
            )
    return 0


def _add_eval(sub) -> None:
    p = sub.add_parser("eval", help="score predictions on disk (official format) without a model")
    p.add_argument(
        "--json", type=Path, help="also write summary, per-sequence rows and metric metadata"
    )
    p.add_argument("--task", required=True)
    p.add_argument("--benchmark", required=True)
    p.add_argument("--data-root", help="benchmark root (ground truth)")
    p.add_argument(
        "--predictions",
        required=True,
        help="result folder in the benchmark's official format (DAVIS <seq>/<frame>.png, "
        "MOTChallenge/MOTS <seq>.txt, PoseTrack <seq>.json, …)",
    )
    p.add_argument("--split")
    p.add_argument("--sequences", help="comma-separated subset")
    p.add_argument("--frames", type=int, help="score the first N frames of each sequence")
    p.add_argument("--truncate", action="store_true", help=TRUNCATE_HELP)
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="scoring option of the benchmark (posetrack18: strict_visibility=true, "
        "count_empty_frames=true)",
    )


def _cmd_eval(a) -> int:

    seqs = [s for s in a.sequences.split(",") if s] if a.sequences else None
    opts = overrides_to_dict(a.option) if a.option else None
    t = pipeline.evaluate_folder(
        a.task, a.benchmark, a.data_root, Path(a.predictions), a.split, seqs, opts, a.frames,
        a.truncate,
    )  # fmt: skip
    print(metric_table(t, f"{a.predictions} · {a.benchmark}"))
    if a.json:
        e = jsonout.entry(a.task, a.benchmark, a.split, t, predictions=str(a.predictions))
        print(f"wrote {jsonout.write(a.json, [e]).resolve()}")
    return 0


def _add_report(sub) -> None:
    p = sub.add_parser(
        "report", help="leaderboard, radar, correlation, comparison (from the store)"
    )
    p.add_argument("what", nargs="?", default="leaderboard", choices=["leaderboard", "correlation"])
    p.add_argument(
        "--store",
        help="the result store's folder (as given to run --output; default $UNIBENCH_OUTPUT or "
        "$XDG_DATA_HOME/unibench)",
    )
    p.add_argument("--output", help=argparse.SUPPRESS)  # deprecated alias of --store
    p.add_argument(
        "--out",
        help="the report folder (md/html/tex/csv, PNG/SVG/PDF figures); default <store>/report",
    )
    p.add_argument("--model-card", action="append", default=[], help="register a card file first")
    p.add_argument("--compare", help="one model against the others: deltas and ranks per column")
    p.add_argument(
        "--reduce",
        default="mean",
        choices=["mean", "best", "first"],
        help="radar: how a task's several metrics become one rank",
    )
    p.add_argument(
        "--source",
        default="reference",
        choices=["reference", "store"],
        help="correlation: the shipped paper tables or your measured store",
    )
    p.add_argument("--no-published", action="store_true", help="leave the paper's rows out")
    p.add_argument(
        "--videos",
        nargs="?",
        type=int,
        const=3,
        default=None,
        metavar="K",
        help="render each run's K worst sequences (default 3) as contact sheets and videos "
        "shown in the HTML page (needs the [video] extra; runs already rendered are kept)",
    )
    p.add_argument("--data-root", help="with --videos: the benchmarks' folder, if it moved")


def _cmd_report(a) -> int:
    if a.output:
        print(
            "unibench report: --output is deprecated here (it named the result store); use "
            "--store DIR for the store and --out DIR for the report folder",
            file=sys.stderr,
        )
    _load_cards(a.model_card)
    store_dir = Path(a.store or a.output or default_output_dir()).expanduser().resolve()
    out = Path(a.out).expanduser().resolve() if a.out else store_dir / "report"
    if a.videos is not None:
        if a.videos < 1 or a.what != "leaderboard":
            raise ConfigError("--videos K: K >= 1, with the leaderboard report")
        records, _ = load_records(store_dir, describe_model)
        made, notes = show.report_clips(records, out, a.videos, data_root=a.data_root)
        for note in notes:
            print(note, file=sys.stderr)
        _print_written(made)
    res = build_report(
        store_dir,
        out,
        what=a.what,
        source=a.source,
        compare_model=a.compare,
        reduce=a.reduce,
        no_published=a.no_published,
        describe=describe_model,
    )
    for note in res.notes:
        print(note, file=sys.stderr)
    for line in res.lines:
        print(line)
    _print_written(res.written)
    return 0


def _print_written(paths: list[Path]) -> None:
    if paths:
        print("\nwrote:\n" + "\n".join(f"  {p}" for p in paths))


def _add_synth(sub) -> None:
    p = sub.add_parser("synth", help="write the embedded synthetic suite in official formats")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)


def _cmd_synth(a) -> int:

    root = generate(Path(a.out), seed=a.seed)
    print(f"synthetic suite (seed {a.seed}) written under {root}")
    return 0


def _add_package(sub) -> None:
    p = sub.add_parser(
        "package",
        help="zip results for an evaluation server (GOT-10k, TrackingNet, LaSOT, YouTube-VIS, OVIS)",
    )
    p.add_argument("--benchmark", required=True)
    p.add_argument("--data-root", required=True)
    p.add_argument("--split", default="test")
    p.add_argument("--predictions", required=True)
    p.add_argument("--out", required=True, help="the .zip to write")


def _cmd_package(a) -> int:

    spec = BENCHMARKS.get(a.benchmark)  # an unknown name lists the registered ones
    if not hasattr(spec.adapter, "package"):
        takes = [n for n, s in BENCHMARKS.items() if hasattr(s.adapter, "package")]
        raise UniBenchError(
            f"benchmark {a.benchmark!r} has no server packaging; those that do: {', '.join(takes)}"
        )
    # built as on every other path: the checks of build_benchmark (sequence names from list
    # files stay inside the data root) apply here too
    bench = build_benchmark(a.benchmark, a.data_root, a.split, None)
    print(f"wrote {bench.package(Path(a.predictions), Path(a.out))}")
    return 0


def _add_bench(sub) -> None:
    p = sub.add_parser("bench", help="performance benchmarks (numbers, not tests)")
    p.add_argument(
        "what", choices=["kernels", "sot", "association", "scale", "features", "vos", "render"]
    )
    p.add_argument("args", nargs="*", help="key=value options of the benchmark")


def _cmd_bench(a) -> int:

    return perf.main(a.what, a.args)


def _add_store(sub) -> None:
    p = sub.add_parser("store", help="check the result store: list (and move aside) bad lines")
    p.add_argument("action", choices=["check"])
    p.add_argument(
        "--output", help="the store folder (default $UNIBENCH_OUTPUT, else $XDG_DATA_HOME/unibench)"
    )
    p.add_argument("--fix", action="store_true", help="move bad lines to results.rejected.jsonl")


def _cmd_store(a) -> int:

    store = ResultStore(a.output or default_output_dir())
    bad = store.check(fix=a.fix)
    if not bad:
        names = ", ".join(str(f) for f in store.files()) or str(store.path)
        print(f"{names}: every line is a valid record")
        return 0
    for f, n, why in bad:
        print(f"{f}:{n}: {why}")
    if a.fix:
        print(f"moved {len(bad)} bad line(s) to {store.root / 'results.rejected.jsonl'}")
        return 0
    return 1


def _add_export(sub) -> None:
    p = sub.add_parser("export", help="write every stored record as a run of TensorBoard or MLflow")
    p.add_argument("to", choices=[f.name for f in formats("logger")])
    p.add_argument("--store", help="the result store (default $UNIBENCH_OUTPUT, else the default)")
    p.add_argument(
        "--out",
        help="TensorBoard: the log folder (default <store>/tensorboard); MLflow: the tracking URI "
        "or folder (default <store>/mlruns)",
    )


def _cmd_export(a) -> int:
    store_dir = Path(a.store or default_output_dir()).expanduser().resolve()
    records, superseded = load_records(store_dir, describe_model)
    if not records:
        raise UniBenchError(f"{store_dir}: no records to export")
    target = a.out or str(store_dir / ("tensorboard" if a.to == "tensorboard" else "mlruns"))
    written = write_logger(a.to, records, target)
    print(f"exported {len(written)} run(s) to {a.to} at {target}"
          + (f" ({superseded} older version(s) of a cell left out)" if superseded else ""))  # fmt: skip
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="unibench", description=__doc__.splitlines()[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = ap.add_subparsers(dest="cmd", required=True)
    _add_run(sub)
    _add_models(sub)
    data.add_parser(sub)
    show.add_parser(sub)
    for add in (_add_list, _add_eval, _add_report, _add_synth, _add_package, _add_store,
                _add_export, _add_bench):  # fmt: skip
        add(sub)
    return ap


COMMANDS = {
    "export": _cmd_export,
    "store": _cmd_store,
    "run": _cmd_run,
    "models": _cmd_models,
    "package": _cmd_package,
    "list": _cmd_list,
    "eval": _cmd_eval,
    "report": _cmd_report,
    "synth": _cmd_synth,
    "bench": _cmd_bench,
    "data": data.run,
    "show": show.run,
}


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if a.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return COMMANDS[a.cmd](a)
    except BrokenPipeError:  # `unibench report | head`: the reader left; end quietly
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 — every expected failure becomes one line
        message = _expected_failure(exc)
        if message is None or a.verbose:
            raise
        print(f"unibench: error: {message}", file=sys.stderr)
        return 2


# third-party exceptions that mean bad input, not a bug in UniBench (matched by name so that
# their packages are not imported to look at them)
_THIRD_PARTY_INPUT_ERRORS = {
    "TrackEvalException": "TrackEval",
    "SafetensorError": "safetensors",
    "YAMLError": "YAML",
    "UnpicklingError": "checkpoint",
}


def _expected_failure(exc: BaseException) -> str | None:
    """The one-line message of an expected failure (``-v`` shows the traceback), or None."""
    if isinstance(exc, UniBenchError):
        return str(exc)
    if isinstance(exc, OSError):  # PermissionError, ENOSPC, EFBIG, a vanished file …
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc} (errno {exc.errno})"
    for cls in type(exc).__mro__:
        if cls.__name__ in _THIRD_PARTY_INPUT_ERRORS:
            text = " ".join(str(exc).split())
            return f"{_THIRD_PARTY_INPUT_ERRORS[cls.__name__]}: {text}"
    return None


if __name__ == "__main__":
    sys.exit(main())
