"""Layers stay clean: domain packages never import flask; matching never sees the catalog."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imports_of(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield path, alias.name
            elif isinstance(node, ast.ImportFrom) and node.module:
                yield path, node.module


@pytest.mark.parametrize("package", ["credit", "ingest", "matching"])
def test_domain_never_imports_flask(package):
    offenders = [f"{p.relative_to(ROOT)}: {m}" for p, m in imports_of(package) if m.split(".")[0] in ("flask", "werkzeug")]
    assert not offenders


def test_matching_does_not_know_the_catalog():
    offenders = [f"{p.relative_to(ROOT)}: {m}" for p, m in imports_of("matching")
                 if m.startswith("credit.catalog") or m.startswith("ingest")]
    assert not offenders


def test_ingest_knows_nothing_of_matching():
    assert not [m for _, m in imports_of("ingest") if m.startswith("matching")]
