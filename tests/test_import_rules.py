"""The wings of trayapp/ and what each may import, held over the real import graph.

Lazy imports inside functions and imports under TYPE_CHECKING count too: a window that imports the
tray, even late, would pull pystray into the settings process, and a type-only import is still a
dependency a reader has to follow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "trayapp"

BASE = {"trayapp", "trayapp.errors", "trayapp.redaction", "trayapp.atomic"}
"""Leaf modules everything may use: the app's name and version, errors, redaction, atomic writes."""
SHARED = {
    "trayapp.config",
    "trayapp.setting_fields",
    "trayapp.credentials",
    "trayapp.formats",
    "trayapp.formats_accounts",
    "trayapp.accounts",
    "trayapp.account_advice",
}
"""Top-level services the tray, the windows and the commands share."""
ENTRY = {"trayapp.cli", "trayapp.console", "trayapp.__main__", "trayapp.commands"}
"""The command line: the only code that may import anything."""

WINGS = ("deepgram", "outlook", "desktop", "tray", "tk", "exporter", "updates")

ALLOWED: dict[str, set[str]] = {
    "base": BASE,
    "deepgram": BASE | {"trayapp.deepgram"},
    "outlook": BASE | {"trayapp.deepgram", "trayapp.outlook"},
    "desktop": BASE | {"trayapp.desktop"},
    "shared": BASE | SHARED | {"trayapp.deepgram", "trayapp.outlook", "trayapp.desktop"},
    # The update notice: a plain GET through the Deepgram client's TLS and deadline (no key).
    "updates": BASE | {"trayapp.deepgram", "trayapp.updates"},
    "tray": BASE
    | SHARED
    | {f"trayapp.{w}" for w in ("deepgram", "outlook", "desktop", "tray", "updates")},
    "tk": BASE | SHARED | {f"trayapp.{w}" for w in ("deepgram", "outlook", "desktop", "tk")},
    # `serve` runs the tray's poller headless: the tray's logic, never its UI (no pystray).
    "exporter": BASE
    | SHARED
    | {f"trayapp.{w}" for w in ("deepgram", "outlook", "desktop", "tray", "exporter")},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def wing_of(module: str) -> str:
    """Which rule a module follows; one that fits none fails the test: decide where it goes."""
    if module in BASE:
        return "base"
    if module in SHARED:
        return "shared"
    if any(module == e or module.startswith(e + ".") for e in ENTRY):
        return "entry"
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in WINGS:
        return parts[1]
    raise AssertionError(f"{module} belongs to no wing: add it to one, or to BASE/SHARED")


def imports_of(path: Path) -> set[str]:
    """Every trayapp module a file imports, anywhere in it (`from trayapp.x import y` may import
    the module trayapp.x.y: both are checked by their package prefix, so either form is held)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "trayapp"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found |= {node.module} if node.module.split(".")[0] == "trayapp" else set()
    return found


def allowed(importer_wing: str, imported: str) -> bool:
    if importer_wing == "entry":
        return True
    rules = ALLOWED[importer_wing]
    return imported in rules or any(imported.startswith(r + ".") for r in rules - {"trayapp"})


def all_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_belongs_to_a_wing() -> None:
    for path in all_modules():
        wing_of(module_name(path))


@pytest.mark.parametrize("path", all_modules(), ids=lambda p: module_name(p))
def test_module_imports_only_what_its_wing_may(path: Path) -> None:
    wing = wing_of(module_name(path))
    broken = sorted(i for i in imports_of(path) if not allowed(wing, i))
    assert not broken, f"{module_name(path)} ({wing}) may not import {broken}"


def test_no_relative_imports() -> None:
    """The rules above read absolute names; a relative import would slip past them."""
    for path in all_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            assert not (isinstance(node, ast.ImportFrom) and node.level), module_name(path)


@pytest.mark.parametrize("wing", WINGS)
def test_each_wing_says_what_it_is_for_and_may_import(wing: str) -> None:
    doc = ast.get_docstring(ast.parse((PACKAGE / wing / "__init__.py").read_text("utf-8")))
    assert doc and ("May import" in doc or "Same imports as" in doc)


def test_wing_packages_import_nothing() -> None:
    """`import trayapp.tray.state` runs every parent __init__: they stay docstrings only, so
    reaching one module never loads its neighbours (the lean start-up depends on it)."""
    for init in PACKAGE.rglob("__init__.py"):
        body = ast.parse(init.read_text("utf-8")).body
        assert all(isinstance(n, (ast.Expr, ast.Assign)) for n in body), init


def test_the_rules_catch_a_window_importing_the_tray() -> None:
    """The checker itself: a made-up edge that breaks a rule is refused, a fine one is not."""
    assert not allowed("tk", "trayapp.tray.state")
    assert not allowed("deepgram", "trayapp.config")
    assert not allowed("desktop", "trayapp.deepgram.client")
    assert not allowed("tray", "trayapp.cli")
    assert allowed("tray", "trayapp.deepgram.models")
    assert allowed("entry", "trayapp.tk.settings_window")
    assert not allowed("base", "trayapp.tray")
