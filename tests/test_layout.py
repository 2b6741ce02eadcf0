"""The layout is the map: imports run one way, funds → townships → wanyuan, and nothing
but the dev-only demo app imports demo (docs/architecture.md)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: package → the packages of ours it must never import
FORBIDDEN = {
    "wanyuan": {"townships", "funds", "demo"},
    "townships": {"funds", "demo"},
    "funds": {"demo"},
}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("package", list(FORBIDDEN))
def test_imports_run_one_way(package):
    offending = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[package]):
                offending.append(f"{path.relative_to(ROOT)}: {name}")
    assert offending == []


#: The layers of funds, lowest first. A module imports its own subpackage and the layers
#: below its own, never a layer above it nor a sibling of its own layer.
FUNDS_LAYERS = [
    {"funds.models", "funds.templatetags", "funds.migrations"},
    {"funds.signals", "funds.scope", "funds.workdays"},
    {"funds.budget"},
    {"funds.spending", "funds.yearly", "funds.planning"},
    {"funds.documents"},
    {"funds.inspection", "funds.performance"},
    # upward reporting: the county's figures and flags as its API and data value sets
    {"funds.exchange"},
    # the top: the app's wiring, its routes and the pages composed from every subpackage
    {"funds.views", "funds.urls", "funds.context_processors", "funds.admin",
     "funds.management", "funds.apps"},
]
TOP = len(FUNDS_LAYERS) - 1


def _unit(module: str) -> str:
    """The layer unit a dotted module name belongs to: ``funds.budget.views`` → ``funds.budget``."""
    parts = module.split(".")
    return ".".join(parts[:2])


def _rank(unit: str) -> int:
    return next(i for i, layer in enumerate(FUNDS_LAYERS) if unit in layer)


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _app_modules():
    for package in ("wanyuan", "townships", "funds", "demo"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_every_funds_module_has_a_layer():
    units = {_unit(_module_name(path)) for path in (ROOT / "funds").rglob("*.py")}
    units.discard("funds.__init__")
    assert sorted(u for u in units if not any(u in layer for layer in FUNDS_LAYERS)) == []


def test_no_funds_module_imports_a_layer_above_its_own_or_a_sibling():
    offending = []
    for path in sorted((ROOT / "funds").rglob("*.py")):
        unit = _unit(_module_name(path))
        if unit == "funds.__init__":
            continue
        for name in _imports(path):
            if not name.startswith("funds.") or _unit(name) == unit:
                continue
            if _rank(_unit(name)) > _rank(unit) or _rank(_unit(name)) == _rank(unit) < TOP:
                offending.append(f"{path.relative_to(ROOT)}: {name}")
    assert offending == []


def test_only_url_confs_import_a_views_module():
    """Helpers live outside views (funds.scope, wanyuan.years, wanyuan.printing); a view
    module is imported by its URL conf and nothing else of ours."""
    ours = ("wanyuan", "townships", "funds", "demo")
    offending = []
    for path in _app_modules():
        if path.name == "urls.py":
            continue
        for name in _imports(path):
            module = name if name.startswith(ours) else ""
            if any(part == "views" or part.endswith("_views") for part in module.split(".")):
                offending.append(f"{path.relative_to(ROOT)}: {name}")
    assert offending == []


def test_the_layer_rules_catch_an_upward_import(tmp_path):
    """The rules above are not vacuous: a budget module importing the spending loop, and a
    spending module importing a view, are what they report."""
    assert _rank(_unit("funds.spending.selectors")) > _rank(_unit("funds.budget.views"))
    assert _rank(_unit("funds.budget.tables")) < _rank(_unit("funds.views"))
    module = tmp_path / "m.py"
    module.write_text("from funds.spending.views import ledger\nimport funds.budget.views\n")
    assert {"funds.spending.views", "funds.budget.views"} <= _imports(module)


def test_funds_top_level_is_its_foundation_and_what_sits_above_the_subpackages():
    modules = {p.name for p in (ROOT / "funds").glob("*.py")}
    assert modules == {"__init__.py", "admin.py", "apps.py", "context_processors.py",
                       "models.py", "scope.py", "signals.py", "urls.py", "views.py",
                       "workdays.py"}
    assert {p.name for p in (ROOT / "funds").iterdir() if (p / "__init__.py").exists()} == {
        "budget", "yearly", "spending", "planning", "documents", "inspection", "performance",
        "exchange", "management", "migrations", "templatetags"}


def test_only_the_command_imports_the_documents():
    """The documents read budget, spending and yearly; nothing outside them reads the
    documents but the ``documents`` command (their routes are included by name), and,
    for the house layout of their short documents alone (``short_document``), the
    inspection desk's 承诺书 and the 绩效 reports above them."""
    allowed = {ROOT / "funds" / "management" / "commands" / "documents.py"}
    house_layout = {"funds.documents.layout", "funds.documents.layout.short_document"}
    above = (ROOT / "funds" / "inspection", ROOT / "funds" / "performance")
    importers = sorted(
        str(path.relative_to(ROOT)) for package in ("funds", "townships", "wanyuan", "demo")
        for path in (ROOT / package).rglob("*.py")
        if not path.is_relative_to(ROOT / "funds" / "documents")
        and path not in allowed
        and any((n == "funds.documents" or n.startswith("funds.documents."))
                and not (n in house_layout and any(path.is_relative_to(a) for a in above))
                for n in _imports(path)))
    assert importers == []
