"""Apps point one way (STYLE.md): siteconfig <- audit <- cadres <- postings <- records
<- obligations <- assessment <- portal. A lower app never imports a higher one, not even inside a
function; the `guazhi` modules the apps use import no app; the `guazhi`
modules that compose the apps (URL policy middleware, navbar, URLs, home
page) are imported by no app. Read from the source, every import statement
included."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = [
    "siteconfig",
    "audit",
    "cadres",
    "postings",
    "imports",
    "records",
    "obligations",
    "assessment",
    "notifications",
    "portal",
    "analytics",
    "exports",
    "ops",
]
# guazhi modules an app may use: they import no app.
GUAZHI_HELPERS = {"dates", "excel", "forms", "http", "listing", "queries", "uploads"}


def _modules(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        yield path


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in the file, nested ones too."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if node.module is None or node.level and not node.module:
                # `from . import x` / `from pkg import x`: each name may be a module
                found += [(node.lineno, f"{module}.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, module))
                found += [(node.lineno, f"{module}.{a.name}") for a in node.names]
    return found


def _edges():
    """(importing file, line, imported top-level package, imported module)."""
    for package in [*LAYERS, "guazhi"]:
        for path in _modules(package):
            for line, module in _imports(path):
                top = module.split(".")[0]
                if top in LAYERS or top == "guazhi":
                    yield path.relative_to(ROOT), line, top, module


def test_no_app_imports_a_higher_app():
    wrong = [
        f"{path}:{line} imports {module}"
        for path, line, top, module in _edges()
        if path.parts[0] in LAYERS
        and top in LAYERS
        and LAYERS.index(top) > LAYERS.index(path.parts[0])
    ]
    assert wrong == []


def test_apps_use_only_the_guazhi_helpers():
    wrong = []
    for path, line, top, module in _edges():
        if path.parts[0] in LAYERS and top == "guazhi":
            name = module.split(".")[1] if "." in module else ""
            if name not in GUAZHI_HELPERS:
                wrong.append(f"{path}:{line} imports {module}")
    assert wrong == []


def test_the_guazhi_helpers_import_no_app():
    wrong = [
        f"{path}:{line} imports {module}"
        for path, line, top, module in _edges()
        if path.parts[0] == "guazhi" and path.stem in GUAZHI_HELPERS and top in LAYERS
    ]
    assert wrong == []


def test_no_import_cycle_between_apps():
    graph = {app: set() for app in LAYERS}
    for path, _line, top, _module in _edges():
        if path.parts[0] in LAYERS and top in LAYERS and top != path.parts[0]:
            graph[path.parts[0]].add(top)
    seen, stack = set(), []

    def visit(app):
        if app in stack:
            pytest.fail("import cycle: " + " -> ".join([*stack, app]))
        if app in seen:
            return
        stack.append(app)
        for other in sorted(graph[app]):
            visit(other)
        stack.pop()
        seen.add(app)

    for app in LAYERS:
        visit(app)


def test_the_checker_sees_nested_and_relative_imports(tmp_path):
    """The reader above finds what the rules are about (a check that finds
    nothing proves nothing)."""
    source = (
        "from . import services\n"
        "from .models import Unit\n"
        "def f():\n"
        "    from assessment.models import Round\n"
        "    import portal.views\n"
    )
    path = ROOT / "cadres" / "_layers_probe.py"
    path.write_text(source)
    try:
        found = {module for _line, module in _imports(path)}
    finally:
        path.unlink()
    assert {"cadres.services", "cadres.models", "assessment.models"} <= found
    assert "portal.views" in found
