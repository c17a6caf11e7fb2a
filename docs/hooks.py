"""MkDocs hooks.

* Each ``<!-- catalog:NAME -->`` marker becomes the table :mod:`unibench.app.catalog` renders from the
  registries and the argument parser, at build time (nothing retyped).
* The API reference (mkdocstrings/griffe) reads the source as it is installed: ``unibench`` with
  the folders ``pyproject.toml`` maps into it (``appearance_models/`` as
  ``unibench.appearance_models``, …). Griffe finds packages by their folders, so the build reads a
  temporary copy of the modules laid out as installed, removed when the build ends.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import tomllib
from mkdocs.plugins import event_priority

from unibench.app.catalog import render

MARKER = re.compile(r"<!-- catalog:([a-z-]+) -->")
ROOT = Path(__file__).resolve().parents[1]
_tree: list[Path] = []


def installed_tree(dest: Path) -> Path:
    """``dest/unibench``: the package as installed, its modules copied from the folders that
    ``[tool.setuptools] package-dir`` maps to each ``unibench.<name>``."""
    mapping = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-dir"
    ]
    for name, folder in sorted(mapping.items()):  # parents first
        # copies: griffe resolves links and would scan the source folder, which lacks the
        # mapped subpackages
        for src in sorted((ROOT / folder).rglob("*.py")):
            rel = src.relative_to(ROOT / folder)
            if "__pycache__" in rel.parts:
                continue
            link = dest.joinpath(*name.split("."), rel)
            if not link.exists():
                link.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, link)
    return dest


@event_priority(100)  # before mkdocstrings' own on_config, which builds its handlers
def on_config(config, **_: object):
    dest = Path(tempfile.mkdtemp(prefix="unibench-docs-"))
    _tree.append(dest)
    handlers = config.plugins["mkdocstrings"].config.handlers
    handlers.setdefault("python", {})["paths"] = [str(installed_tree(dest))]
    return config


def on_page_markdown(markdown: str, **_: object) -> str:
    return MARKER.sub(lambda m: render(m.group(1)), markdown)


def on_shutdown(**_: object) -> None:
    while _tree:
        shutil.rmtree(_tree.pop(), ignore_errors=True)
