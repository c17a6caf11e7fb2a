"""The docs cannot drift from the code: the reference tables are rendered from the registries
(:mod:`unibench.app.catalog`), the README's generated blocks equal them, every test an adapter names
exists, the site builds with ``mkdocs build --strict``, and the set-up commands are the same in the
README, the getting-started page and ``.ci/run``."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from unibench.app import catalog
from unibench.errors import RegistryError

ROOT = Path(__file__).resolve().parents[3]


def test_the_readme_blocks_are_what_the_registries_say(tmp_path):
    # in a fresh interpreter: other tests of this worker register cards and benchmarks of their own
    code = f"from unibench.app.catalog import sync_readme; print(sync_readme({str(ROOT / 'README.md')!r}))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr[-2000:]
    # a stale block is found and rewritten
    stale = tmp_path / "README.md"
    stale.write_text("x\n<!-- catalog:readme-tasks -->\n| old |\n<!-- /catalog -->\ny\n")
    before = stale.read_text()
    assert catalog.sync_readme(stale) == ["readme-tasks"]
    assert stale.read_text() == before  # checking writes nothing
    assert catalog.sync_readme(stale, write=True) == ["readme-tasks"]
    after = stale.read_text()
    assert after.startswith("x\n<!-- catalog:readme-tasks -->\n| task |") and after.endswith("y\n")
    assert catalog.sync_readme(stale) == []


def test_every_registration_is_in_its_table():
    from unibench.appearance_models import MODELS
    from unibench.benchmarks import BENCHMARKS
    from unibench.heads import HEADS

    from unibench.metrics import METRICS
    from unibench.tasks import TASKS

    for table, names in (
        ("benchmarks", BENCHMARKS.names()),
        ("metrics", METRICS.names()),
        ("heads", HEADS.names()),
        ("models", MODELS.names()),
        ("tasks", TASKS.names()),
        ("layouts", BENCHMARKS.names()),
    ):
        text = catalog.render(table)
        # a name as a table cell shows it: pipes escaped (another test may register a hostile one)
        missing = [n for n in names if n not in text and catalog._cell(n) not in text]
        assert not missing, f"{table}: {missing}"
    commands = catalog.render("commands")
    for cmd in ("run", "eval", "report", "package", "list", "models", "bench", "export"):
        assert f"## `unibench {cmd}`" in commands
    # RST roles of the module docstrings become code spans
    assert ":func:`" not in catalog.render("layouts")


def test_an_unknown_table_lists_the_known_ones():
    with pytest.raises(RegistryError, match="unknown catalog table 'nope'; known: .*benchmarks"):
        catalog.render("nope")


def _defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_each_real_benchmark_names_its_official_code_and_existing_tests():
    from unibench.benchmarks import BENCHMARKS

    for name, spec in BENCHMARKS.items():
        a = spec.adapter
        if name.startswith("synthetic-"):
            continue
        assert a.toolkit, f"{name}: {a.__name__}.toolkit is empty"
        assert a.checked_by, f"{name}: {a.__name__}.checked_by names no test"
        for node in a.checked_by:
            file, _, test = node.partition("::")
            assert (ROOT / file).is_file(), f"{name}: {file} does not exist"
            assert test in _defined_tests(ROOT / file), f"{name}: {node} is not defined"


def _first_bash_block(text: str, after: str) -> list[str]:
    section = text[text.index(after) :]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1).strip().splitlines()


def test_the_setup_and_test_commands_are_one_text_in_readme_docs_and_ci():
    readme = (ROOT / "README.md").read_text()
    page = (ROOT / "docs" / "getting-started.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    for marker in ("**1. Install", "**2. Run the tests"):
        assert _first_bash_block(readme, marker) == _first_bash_block(page, marker)
    install = _first_bash_block(readme, "**1. Install")[1]
    assert install in ci
    for line in _first_bash_block(readme, "**2. Run the tests"):
        assert line in ci


def test_every_python_block_of_the_docs_is_marked_runnable_and_executed():
    """A Python example in the docs is executed by a test (the block's marker names it), so an
    example cannot rot; the marker's test reads that page."""
    for page in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]:
        text = page.read_text()
        for m in re.finditer(r"(?:<!-- runnable: (\S+)[^>]*-->\n)?```python\n", text):
            assert m.group(1), f"{page.relative_to(ROOT)}: a Python block without a runnable marker"
            test = ROOT / m.group(1)
            assert test.is_file() and page.name in test.read_text(), (page, m.group(1))


def test_the_site_builds_strict_and_its_tables_are_generated(tmp_path):
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
         "-d", str(site)],
        capture_output=True, text=True, cwd=tmp_path, env={"NO_MKDOCS_2_WARNING": "1",
                                                        **__import__("os").environ},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    bench = (site / "reference" / "benchmarks" / "index.html").read_text()
    assert "catalog:" not in bench and "davis2017-evaluation" in bench
    for page in site.rglob("*.html"):
        assert "<!-- catalog:" not in page.read_text(), page
    api = (site / "reference" / "api" / "index.html").read_text()
    assert "BenchmarkBase" in api and "check_sequence" in api and "Tapped" in api
    # nothing left behind: the installed-layout copy lives in a temporary folder, removed
    assert not list(Path(__import__("tempfile").gettempdir()).glob("unibench-docs-*/unibench"))
