"""The package layering, read from the source: no import cycle, foundations import no plugin folder,
nothing outside ``unibench.app`` (the entry points) imports it, reports never import the model zoo.

Every ``import`` statement counts, those inside functions included (an import inside a function
that closes a circle is still a circle; hiding one that way is what this test refuses).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import tomllib

REPO = Path(__file__).resolve().parents[2]
FOLDERS = {  # installed name -> folder (pyproject's package-dir)
    "unibench": "unibench",
    "unibench.appearance_models": "appearance_models",
    "unibench.heads": "heads",
    "unibench.benchmarks": "benchmarks",
    "unibench.reports": "reports",
    "unibench.cuda_ops": "cuda_ops",
}
PLUGIN_FOLDERS = ("appearance_models", "heads", "benchmarks", "reports", "cuda_ops")
FOUNDATION = (
    "datatypes", "errors", "io", "paths", "registry", "config", "store", "tasks", "metrics", "keypoints",
)  # fmt: skip
# imports of the project's own modules inside functions: none (the layering has no cycle to dodge);
# the ceiling stays at zero
INNER_IMPORT_CEILING = 0


def _modules() -> dict[str, Path]:
    out = {}
    for pkg, folder in FOLDERS.items():
        for p in (REPO / folder).rglob("*.py"):
            parts = list(p.relative_to(REPO / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join([pkg, *parts])] = p
    return out


MODULES = _modules()


def _imports(path: Path, inner_only: bool = False) -> list[tuple[str, int]]:
    """(imported project module, line) of every import statement in ``path``."""
    tree = ast.parse(path.read_text())
    nodes = ast.walk(tree)
    if inner_only:
        nodes = (
            n
            for f in ast.walk(tree)
            if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
            for n in ast.walk(f)
        )
    out = []
    for node in nodes:
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        found = [n for n in names if n in MODULES]
        # "from pkg import submodule" names the submodule, not the package
        subs = [n for n in found if n != getattr(node, "module", None)]
        out += [(n, node.lineno) for n in (subs or found)]
    return out


def _graph() -> dict[str, set[str]]:
    return {m: {t for t, _ in _imports(p)} - {m} for m, p in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_anywhere():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _within(mod: str, package: str) -> bool:
    return mod == package or mod.startswith(package + ".")


def test_foundation_modules_import_no_plugin_folder_nor_the_pipeline():
    banned = [f"unibench.{f}" for f in PLUGIN_FOLDERS] + ["unibench.app", "unibench.executors"]
    for name in FOUNDATION:
        mod = f"unibench.{name}"
        bad = [
            (t, line) for t, line in _imports(MODULES[mod]) if any(_within(t, b) for b in banned)
        ]
        assert not bad, f"{mod} imports {bad}"


def test_only_the_entry_points_import_the_entry_points():
    """``unibench.app`` (CLI, API, hooks, perf, catalog, pipeline) stands on every package; no
    package, executor or foundation module stands on it."""
    assert "unibench.app.cli" in MODULES and "unibench.app.pipeline.driver" in MODULES
    for mod, path in MODULES.items():
        if _within(mod, "unibench.app"):
            continue
        bad = [(t, line) for t, line in _imports(path) if _within(t, "unibench.app")]
        assert not bad, f"{mod} imports {bad}"


def test_reports_never_import_the_model_zoo():
    for mod, path in MODULES.items():
        if mod.startswith("unibench.reports"):
            targets = [t for t, _ in _imports(path)]
            assert not [t for t in targets if t.startswith("unibench.appearance_models")], mod


def test_package_inits_hold_imports_only():
    """A package's ``__init__`` says what the package holds and re-exports it; the logic lives
    in modules named for what they hold."""
    for mod, path in MODULES.items():
        if path.name != "__init__.py":
            continue
        tree = ast.parse(path.read_text())
        defs = [
            n.name
            for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and not (mod == "unibench" and n.name == "__getattr__")  # lazy top-level names
        ]
        assert not defs, f"{mod} ({path}) defines {defs}"


def test_the_model_layer_imports_no_head_and_no_kernel():
    """Loading the model registry loads neither the heads nor ``cuda_ops``: a card's protocol
    meets the heads in the pipeline (``pipeline.resolve.check_protocol``)."""
    for mod, path in MODULES.items():
        if mod.startswith("unibench.appearance_models"):
            bad = [
                t
                for t, _ in _imports(path)
                if t.startswith(("unibench.heads", "unibench.cuda_ops"))
            ]
            assert not bad, f"{mod} imports {bad}"


def test_imports_inside_functions_do_not_grow():
    n = sum(len(_imports(p, inner_only=True)) for p in MODULES.values())
    assert n <= INNER_IMPORT_CEILING, (
        f"{n} imports of project modules inside functions (ceiling {INNER_IMPORT_CEILING}): "
        "import at module level (the layering has no cycle to dodge)"
    )


def test_the_installed_package_list_matches_the_folders_on_disk():
    """pyproject.toml's ``packages`` and ``package-dir`` name every folder with an
    ``__init__.py`` under the six code folders, and nothing else (a subpackage left out of the
    list is missing from a wheel)."""
    tool = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(tool["packages"])
    on_disk = set()
    for pkg, folder in FOLDERS.items():
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / folder).parts
            on_disk.add(".".join([pkg, *rel]))
    assert listed == on_disk, (sorted(listed - on_disk), sorted(on_disk - listed))
    for name, path in tool["package-dir"].items():
        assert (REPO / path / "__init__.py").is_file(), (name, path)
        assert name in listed, name


# the registries that import a module of another layer by name on first use (``builtins``): the
# foundation's metric registry is filled by the scorers that declare the metrics; every such edge
# is listed here, with its reason, and none other may exist
LAZY_EDGES = {
    ("unibench/metrics.py", "unibench.benchmarks.scorers"):
        "each scorer declares the metrics it emits beside its code; the store, the tables and the "
        "exports look a metric up by name, so the registry imports the scorers on first use",
    ("reports/formats/base.py", "unibench.reports.formats"):
        "the built-in report formats, one module each (same package)",
    ("unibench/executors/base.py", "unibench.executors.inline"): "the built-in executors",
    ("unibench/executors/base.py", "unibench.executors.process"): "the built-in executors",
    ("unibench/executors/base.py", "unibench.executors.ray"): "the built-in executors",
}  # fmt: skip


def test_every_registry_import_by_name_is_declared():
    found = set()
    for path in MODULES.values():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Registry":
                for kw in node.keywords:
                    if kw.arg == "builtins":
                        for elt in kw.value.elts:
                            found.add((str(path.relative_to(REPO)), elt.value))
    assert found == set(LAZY_EDGES), (
        sorted(found - set(LAZY_EDGES)),
        sorted(set(LAZY_EDGES) - found),
    )


def test_no_standard_library_import_hides_inside_a_function():
    std = set(sys.stdlib_module_names)
    hidden = []
    for path in MODULES.values():
        tree = ast.parse(path.read_text())
        for f in ast.walk(tree):
            if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef):
                for n in ast.walk(f):
                    mods = [a.name for a in n.names] if isinstance(n, ast.Import) else (
                        [n.module] if isinstance(n, ast.ImportFrom) and n.module and not n.level
                        else []
                    )  # fmt: skip
                    hidden += [f"{path.relative_to(REPO)}:{n.lineno} {m}" for m in mods
                               if m.split(".")[0] in std]  # fmt: skip
    assert not hidden, hidden
