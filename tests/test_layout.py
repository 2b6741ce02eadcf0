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
#: inside funds, the money's reads and writes import no other subpackage (its pages may)
BUDGET_CORE = ["selectors.py", "tables.py", "exports.py", "filters.py", "charts.py"]


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


@pytest.mark.parametrize("module", BUDGET_CORE)
def test_the_budget_core_imports_no_other_subpackage(module):
    names = _imports(ROOT / "funds" / "budget" / module)
    assert sorted(n for n in names if n.startswith(("funds.yearly", "funds.spending",
                                                    "funds.planning"))) == []


def test_the_budget_never_imports_the_planner():
    """The planner uses the budget's one definition of the allocation, not the reverse."""
    offending = [f"{path.name}: {name}" for path in sorted((ROOT / "funds" / "budget").glob("*.py"))
                 for name in _imports(path) if name.startswith("funds.planning")]
    assert offending == []


def test_funds_is_its_three_subpackages():
    modules = {p.name for p in (ROOT / "funds").glob("*.py")}
    assert modules == {"__init__.py", "admin.py", "apps.py", "context_processors.py",
                       "models.py", "signals.py", "urls.py"}
    assert {p.name for p in (ROOT / "funds").iterdir() if (p / "__init__.py").exists()} == {
        "budget", "yearly", "spending", "planning", "documents", "management", "migrations",
        "templatetags"}


def test_only_the_urls_and_the_command_import_the_documents():
    """The documents read budget, spending and yearly; nothing reads the documents but
    the routes and the ``documents`` command (docs/architecture.md)."""
    allowed = {ROOT / "funds" / "urls.py",
               ROOT / "funds" / "management" / "commands" / "documents.py"}
    importers = sorted(
        str(path.relative_to(ROOT)) for package in ("funds", "townships", "wanyuan", "demo")
        for path in (ROOT / package).rglob("*.py")
        if not path.is_relative_to(ROOT / "funds" / "documents")
        and path not in allowed
        and any(n == "funds.documents" or n.startswith("funds.documents.")
                for n in _imports(path)))
    assert importers == []
