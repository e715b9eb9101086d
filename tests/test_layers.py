"""Layers stay clean, visible in the folders, and free of cycles.

    faces     credit.cli, web, (workers)          may import everything below
    domain    credit.domain                       the credit domain: operations, gate, workflows
    engines   ingest, matching, credit.demodata   files -> records, records -> enterprises; demo files
    kernel    credit.kernel                       catalog, identifiers, record storage, errors, keys

Each layer imports only layers below it (and itself); no product package imports flask except
the web face, or bench/ at all; matching never sees the catalog, ingest never sees matching.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LAYERS = {  # package prefix -> layer rank
    "credit.kernel": 0, "ingest": 1, "matching": 1, "credit.demodata": 1, "credit.domain": 2,
    "credit.cli": 3, "credit.jobs": 3, "web": 3,
}
FACES = ("credit.cli", "credit.jobs", "web")


def module_of(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str | None:
    best = None
    for prefix in LAYERS:
        if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > len(best)):
            best = prefix
    return best


def imports_of(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield path, alias.name
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield path, node.module


PACKAGES = ["credit", "ingest", "matching", "web"]


def test_every_product_module_has_a_layer():
    loose = [module_of(p) for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
             if layer_of(module_of(p)) is None and module_of(p) not in ("credit", "credit.__main__")]
    assert not loose, f"modules outside every layer: {loose}"


@pytest.mark.parametrize("package", PACKAGES)
def test_layers_import_only_downwards(package):
    offenders = []
    for path, imported in imports_of(package):
        here, there = layer_of(module_of(path)), layer_of(imported)
        if here is None or there is None or here == there:
            continue
        if LAYERS[there] > LAYERS[here] or (LAYERS[there] == LAYERS[here] and here not in FACES):
            offenders.append(f"{path.relative_to(ROOT)} ({here}) imports {imported} ({there})")
    assert not offenders


@pytest.mark.parametrize("package", ["credit", "ingest", "matching"])
def test_only_the_web_face_imports_flask(package):
    offenders = [f"{p.relative_to(ROOT)}: {m}" for p, m in imports_of(package)
                 if m.split(".")[0] in ("flask", "werkzeug", "flask_login", "flask_wtf", "flask_smorest")]
    assert not offenders


@pytest.mark.parametrize("package", PACKAGES)
def test_product_never_imports_bench(package):
    assert not [f"{p.relative_to(ROOT)}: {m}" for p, m in imports_of(package) if m.split(".")[0] == "bench"]


def test_matching_does_not_know_the_catalog():
    offenders = [f"{p.relative_to(ROOT)}: {m}" for p, m in imports_of("matching")
                 if m.startswith("credit.kernel.catalog") or m.startswith("ingest")]
    assert not offenders


def test_ingest_knows_nothing_of_matching():
    assert not [m for _, m in imports_of("ingest") if m.startswith("matching")]
