"""What is registered, as Markdown tables: the one source of the manual's reference pages.

Every table the docs show of metrics, tasks, benchmarks (and their layouts), heads, model cards,
executors and commands is rendered here from the registries and the argument parser, at build
time (``docs/hooks.py`` replaces each ``<!-- catalog:NAME -->`` marker with :func:`render`), so a
page cannot drift from the code. Nothing here is retyped: a fact missing from a table is missing
from its registration.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from unibench.app.cli import build_parser
from unibench.appearance_models import MODELS
from unibench.appearance_models._weights import weight_source
from unibench.benchmarks import BENCHMARKS
from unibench.benchmarks.data.folders import Manifest
from unibench.benchmarks.quick import QUICK
from unibench.errors import RegistryError
from unibench.executors import EXECUTORS
from unibench.heads import HEADS
from unibench.metrics import METRICS
from unibench.reports.formats import REPORT_FORMATS, formats
from unibench.tasks import TASKS, task_order


def _cell(v: object) -> str:
    """One Markdown table cell: pipes escaped, newlines folded."""
    return " ".join(str(v).split()).replace("|", "\\|")


def _table(head: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _code(s: str) -> str:
    return f"`{s}`" if s else "–"


def metrics() -> str:
    """Every declared metric: unit, direction, the official name(s) and the tasks listing it."""

    rows = []
    for name, m in METRICS.items():
        official = m.official
        if isinstance(official, dict):
            official = "; ".join(f"{t}: {o}" for t, o in official.items())
        tasks = [t for t, task in TASKS.items() if name in task.metrics]
        rows.append((_code(name), m.unit, "↑" if m.higher_is_better else "↓", official or "–",
                     ", ".join(tasks) or "–", m.doc or ""))  # fmt: skip
    return _table(("metric", "unit", "better", "official name", "tasks", "meaning"), rows)


def tasks() -> str:
    """Each task: its default head, the head's presets, its embedded suite, its leaderboard."""

    rows = []
    for n in task_order():
        t = TASKS.get(n)
        presets = ", ".join(HEADS.get(t.default_head).presets) or "–"
        heads = ", ".join(h for h, cls in HEADS.items() if n in cls.serves())
        rows.append((_code(n), t.title, _code(t.default_head), heads, presets,
                     _code(t.default_suite), ", ".join(t.leaderboard)))  # fmt: skip
    return _table(("task", "what", "default head", "heads", "presets", "embedded suite",
                   "leaderboard"), rows)  # fmt: skip


def benchmarks() -> str:
    """Each registered benchmark: its tasks, adapter, what its factory takes, its scorer's
    version, the official code the scorer follows and the tests that check it."""

    rows = []
    for name, spec in BENCHMARKS.items():
        a = spec.adapter
        takes = [w for w, on in (("detections", a.takes_detections), ("frames", a.frame_subsets),
                                 ("truncate", a.truncates)) if on]  # fmt: skip
        if a.Options is not None:
            takes.append("options: " + ", ".join(f.name for f in dataclasses.fields(a.Options)))
        checked = "<br>".join(f"`{c}`" for c in a.checked_by) or "–"
        rows.append((_code(name), ", ".join(a.tasks),
                     f"`{a.__module__.rsplit('.', 1)[-1]}.{a.__name__}`", "; ".join(takes) or "–",
                     a.scorer_version, a.toolkit or "–", checked))  # fmt: skip
    head = ("benchmark", "tasks", "adapter", "takes", "scorer v.", "official code", "checked by")
    return _table(head, rows)


def quick() -> str:
    """The named quick suites: fixed subsets for use during training."""

    rows = [(_code(n), _code(q.benchmark), q.split or "–", ", ".join(q.sequences),
             q.frames or "all") for n, q in QUICK.items()]  # fmt: skip
    return _table(("quick suite", "benchmark", "split", "sequences", "frames"), rows)


def layouts() -> str:
    """The on-disk layout and protocol of each benchmark module, from its module docstring."""

    by_module: dict[str, list[str]] = {}
    for name, spec in BENCHMARKS.items():
        by_module.setdefault(spec.adapter.__module__, []).append(name)
    parts = []
    for mod, names in sorted(by_module.items()):
        doc = inspect.cleandoc(sys.modules[mod].__doc__ or "(no module docstring)")
        doc = re.sub(r":(?:func|class|mod|meth|attr|data):`~?([^`]+)`", r"`\1`", doc)
        short = mod.rsplit(".", 1)[-1]
        parts.append(f"## `{short}`: {', '.join(names)}\n\n{doc}\n")
    return "\n".join(parts)


def heads() -> str:
    """Each head: the tasks it runs, its behaviour version, presets and parameters (defaults)."""

    rows = []
    for name, h in HEADS.items():
        params = ", ".join(
            f"`{f.name}`={f.default!r}" if f.default is not dataclasses.MISSING else f"`{f.name}`"
            for f in dataclasses.fields(h.Params)
        )
        rows.append((_code(name), ", ".join(h.serves()), h.version,
                     ", ".join(h.presets) or "–", params))  # fmt: skip
    return _table(("head", "tasks", "version", "presets", "parameters (default)"), rows)


def models() -> str:
    """The zoo's cards: family, training data, ImageNet top-1 (and where it comes from), where
    the weights come from."""

    rows = []
    for name, c in MODELS.items():
        top1 = f"{c.imagenet_linear_top1:.1f}" if c.imagenet_linear_top1 else "–"
        rows.append((_code(name), _code(c.arch), c.family, c.training_data, top1,
                     c.top1_source or "–", weight_source(c)))  # fmt: skip
    return _table(("card", "architecture", "family", "data", "top-1", "top-1 from", "weights"),
                  rows)  # fmt: skip


def executors() -> str:

    rows = []
    for n, factory in EXECUTORS.items():
        built = inspect.signature(factory).return_annotation  # the executor class it builds
        cls = sys.modules[factory.__module__].__dict__.get(str(built), None) if built else None
        doc = (
            inspect.getdoc(cls)
            or inspect.getdoc(factory)
            or inspect.getdoc(sys.modules[factory.__module__])
        )
        rows.append((_code(n), (doc or "–").split("\n\n")[0]))
    return _table(("executor", "what"), rows)


def report_formats() -> str:
    """The registered report formats: what ``unibench report`` writes and the experiment loggers
    ``unibench export`` writes to (:mod:`unibench.reports.formats`)."""

    rows = [
        (_code(f.name), "report folder" if f.kind == "report" else "`unibench export`",
         f.description, f"`unibench[{f.extra}]`" if f.extra else "–",
         _code(REPORT_FORMATS.place(f.name).split(":")[0].rsplit("/reports/", 1)[-1]))
        for f in [*formats("report"), *formats("logger")]
    ]  # fmt: skip
    return _table(("format", "written by", "what", "needs", "module (reports/)"), rows)


def commands() -> str:
    """Every command's ``--help``, from the argument parser itself."""

    parts: list[str] = []

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:  # argparse exposes sub-parsers only here
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    sub.prog = f"{prefix} {name}"
                    parts.append(f"## `{sub.prog}`\n\n```text\n{sub.format_help().strip()}\n```\n")
                    walk(sub, sub.prog)

    walk(build_parser(), "unibench")
    return "\n".join(parts)


def data() -> str:
    """Each real benchmark's folder: how to obtain it, the layouts ``data check`` recognises
    (those ``data layout --from`` rearranges marked ↻) and the manifests it compares against."""

    rows = []
    for name, spec in BENCHMARKS.items():
        d = spec.data
        if d is None:
            continue
        variants = ", ".join(f"`{v.name}`" + (" ↻" if v.repair else "") for v in d.variants)
        how = (
            d.obtain.how.replace("unibench data fetch", "`unibench data fetch`")
            if d.obtain.fetchable
            else f"{d.obtain.gate or 'manual download'}: <{d.obtain.page}>"
        )
        manifests = ", ".join(f"{s}: {len(Manifest.load(f).sequences)} sequences"
                              for s, f in d.manifests.items()) or "– (no cited list)"  # fmt: skip
        rows.append((_code(name), f"[{d.family}](../data/{d.family}.md)", how, variants, manifests))
    return _table(("benchmark", "family", "obtain", "layouts recognised", "manifests"), rows)


def _data_family(family: str) -> Callable[[], str]:
    def render_family() -> str:
        parts = []
        for name, spec in BENCHMARKS.items():
            d = spec.data
            if d is None or d.family != family:
                continue
            lines = [f"## `{name}`", "", f"```text\n{d.tree}\n```", ""]
            lines.append(f"**Obtain**: {d.obtain.how.split(': ', 1)[0]}; <{d.obtain.page}>")
            if d.obtain.fetchable:
                lines.append(f"`unibench data fetch {name} --data-root DIR` downloads: "
                             + ", ".join(f"`{a.name}`" for a in d.obtain.archives[:6])
                             + (f" and {len(d.obtain.archives) - 6} more" if len(d.obtain.archives) > 6 else "")
                             + " (size and SHA-256 not published: computed and recorded).")  # fmt: skip
            else:
                lines += ["", *(f"{i}. {s}" for i, s in enumerate(d.obtain.steps, 1))]
            lines += ["", "**Layouts `data check` recognises**:", ""]
            for v in d.variants:
                fix = f" — `unibench data layout {name} --from {v.name}`" if v.repair else ""
                state = "read as is" if v.name == "official" or v.readable else "a problem"
                lines.append(f"- `{v.name}` ({state}): {v.note}{fix}")
            for glob, enables in d.optional:
                lines.append(f"- optional `{glob}`: {enables} (`data check` notes its absence)")
            for split, f in d.manifests.items():
                m = Manifest.load(f)
                lines += ["", f"**Manifest** `{split}`: {len(m.sequences)} sequences; {m.source}"]
            if d.unlisted:
                lines += ["", f"**Splits without a manifest**: {d.unlisted}"]
            parts.append("\n".join(lines) + "\n")
        return "\n".join(parts)

    return render_family


def _real(name: str) -> bool:
    return not name.startswith("synthetic-")


def readme_tasks() -> str:
    """The README's task table: what each task is, its default head, the real benchmarks it
    scores and its embedded suite."""

    rows = []
    for n in task_order():
        t = TASKS.get(n)
        real = [b for b, spec in BENCHMARKS.items() if n in spec.adapter.tasks and _real(b)]
        rows.append((f"`{n}`", t.title, f"`{t.default_head}`", ", ".join(real) or "–",
                     f"`{t.default_suite}`"))  # fmt: skip
    return _table(("task", "what", "default head", "real benchmarks", "embedded suite"), rows)


def readme_benchmarks() -> str:
    """The README's benchmark table: one row per adapter module, with its official code."""

    by: dict[type, list[str]] = {}
    for name, spec in BENCHMARKS.items():
        if _real(name):
            by.setdefault(spec.adapter, []).append(name)
    rows = [(", ".join(names), ", ".join(a.tasks), a.toolkit or "–")
            for a, names in by.items()]  # fmt: skip
    return _table(("benchmarks", "tasks", "scored as"), rows)


def readme_models() -> str:
    """The README's model-family table: each family of the zoo, how many cards, examples."""

    fams: dict[str, list[str]] = {}
    for name, c in MODELS.items():
        fams.setdefault(c.family, []).append(name)
    rows = [(fam, len(names), ", ".join(f"`{n}`" for n in names[:4]) + (", …" if len(names) > 4
             else "")) for fam, names in fams.items()]  # fmt: skip
    return _table(("family", "cards", "examples"), rows)


TABLES: dict[str, Callable[[], str]] = {
    "readme-tasks": readme_tasks,
    "readme-benchmarks": readme_benchmarks,
    "readme-models": readme_models,
    "metrics": metrics,
    "tasks": tasks,
    "benchmarks": benchmarks,
    "quick": quick,
    "layouts": layouts,
    "data": data,
    "data-vos": _data_family("vos"),
    "data-sot": _data_family("sot"),
    "data-association": _data_family("association"),
    "data-pose": _data_family("pose"),
    "heads": heads,
    "models": models,
    "executors": executors,
    "report-formats": report_formats,
    "commands": commands,
}


def render(name: str) -> str:
    """The table ``name`` as Markdown; an unknown name lists the known ones."""
    if name not in TABLES:
        raise RegistryError(f"unknown catalog table {name!r}; known: {', '.join(TABLES)}")
    return TABLES[name]()


README_BLOCK = re.compile(r"(<!-- catalog:([a-z-]+) -->\n)(.*?)(<!-- /catalog -->)", re.S)


def sync_readme(path: Path | str, write: bool = False) -> list[str]:
    """The README's generated blocks (``<!-- catalog:NAME -->`` … ``<!-- /catalog -->``) compared
    with :func:`render`; returns the names of the blocks that differ and, with ``write``,
    rewrites them (``python -m unibench.app.catalog README.md``)."""
    path = Path(path)
    text = path.read_text()
    stale: list[str] = []

    def sub(m: re.Match) -> str:
        fresh = render(m.group(2)) + "\n"
        if m.group(3) != fresh:
            stale.append(m.group(2))
        return m.group(1) + fresh + m.group(4)

    new = README_BLOCK.sub(sub, text)
    if write and stale:
        path.write_text(new)
    return stale


if __name__ == "__main__":
    for _name in sync_readme(sys.argv[1] if len(sys.argv) > 1 else "README.md", write=True):
        print(f"rewrote the {_name} block")
