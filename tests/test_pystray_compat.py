"""The tray's hooks into pystray's private attributes, held against the installed pystray.

Every hook pystray_compat uses is in its HOOKS, and every hook in HOOKS is checked here: in the
installed pystray's source for every backend it serves (win32 and darwin cannot be imported on
Linux), and on the real classes for the backends that import here (they need an X display).
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
import subprocess
import sys
import threading
import types
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from packaging.requirements import Requirement

from tests.conftest import REPO_ROOT
from trayapp.tray.app import make_dispatcher
from trayapp.tray.backends import pystray_compat
from trayapp.tray.backends.pystray_compat import (
    BACKEND_INTERFACE,
    HOOKS,
    Hook,
    HookKind,
    icon_base_class,
    import_pystray,
)

if TYPE_CHECKING:
    from tests.support.desktop import VirtualDesktop

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

NOT_IMPORTABLE_ON_LINUX = {"win32", "darwin"}
TRAY_PACKAGE = REPO_ROOT / "trayapp" / "tray"
COMPAT_MODULE = TRAY_PACKAGE / "backends" / "pystray_compat.py"


def pystray_folder() -> Path:
    spec = importlib.util.find_spec("pystray")  # finds it without importing it
    assert spec is not None and spec.origin is not None, "pystray is not installed"
    return Path(spec.origin).parent


def backend_sources(backend: str) -> list[ast.Module]:
    """The backend's module and pystray's shared backend helpers (`_util`), parsed."""
    folder = pystray_folder()
    paths = [folder / f"_{backend}.py", *sorted((folder / "_util").glob("*.py"))]
    return [ast.parse(path.read_text(encoding="utf-8")) for path in paths]


def assigned_on_self(tree: ast.Module) -> set[str]:
    """Every `self.NAME` a module assigns to."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        else:
            continue
        for target in targets:
            for part in ast.walk(target):  # `self.a, self.b = ...` too
                if (
                    isinstance(part, ast.Attribute)
                    and isinstance(part.value, ast.Name)
                    and part.value.id == "self"
                ):
                    names.add(part.attr)
    return names


def decorated_methods(tree: ast.Module) -> set[str]:
    """Every method a module's classes define under a decorator."""
    return {
        member.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        for member in node.body
        if isinstance(member, ast.FunctionDef) and member.decorator_list
    }


def defined_methods(tree: ast.Module) -> set[str]:
    """Every method a module's classes define."""
    return {
        member.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        for member in node.body
        if isinstance(member, ast.FunctionDef)
    }


FINDERS: dict[HookKind, Callable[[ast.Module], set[str]]] = {
    HookKind.ASSIGNED: assigned_on_self,
    HookKind.ASSIGNED_AT_RUN: assigned_on_self,
    HookKind.WRAPPED: decorated_methods,
    HookKind.DEFINED: defined_methods,
}


def in_source(hook: Hook, trees: list[ast.Module]) -> bool:
    return any(hook.name in FINDERS[hook.kind](tree) for tree in trees)


HOOK_BACKENDS = [
    pytest.param(hook, backend, id=f"{backend}-{hook.name}")
    for hook in HOOKS
    for backend in hook.backends
]


@pytest.mark.parametrize(("hook", "backend"), HOOK_BACKENDS)
def test_the_hook_is_in_the_installed_pystray_source(hook: Hook, backend: str) -> None:
    assert in_source(hook, backend_sources(backend)), (
        f"pystray {version('pystray')}'s {backend} backend has no {hook.name} "
        f"({hook.kind.value}): see trayapp/tray/backends/pystray_compat.py"
    )


def test_the_source_check_tells_a_hook_from_a_name_that_is_not_there() -> None:
    tree = ast.parse(
        "class Icon:\n"
        "    def __init__(self):\n"
        "        self._here, self.other = 1, 2\n"
        "    @mainloop\n"
        "    def _update(self): pass\n"
        "    def _plain(self): pass\n"
    )
    assert in_source(Hook("_here", ("gtk",), HookKind.ASSIGNED), [tree])
    assert not in_source(Hook("_gone", ("gtk",), HookKind.ASSIGNED), [tree])
    assert in_source(Hook("_update", ("gtk",), HookKind.WRAPPED), [tree])
    assert not in_source(Hook("_plain", ("gtk",), HookKind.WRAPPED), [tree])
    assert in_source(Hook("_plain", ("gtk",), HookKind.DEFINED), [tree])
    assert not in_source(Hook("_other", ("gtk",), HookKind.DEFINED), [tree])
    assert in_source(Hook("_here", ("gtk",), HookKind.ASSIGNED_AT_RUN), [tree])


# Imports the backend under the display it is given and prints, as JSON, which of its hooks the
# real class (WRAPPED, DEFINED), a real instance (ASSIGNED) or the class's code (ASSIGNED_AT_RUN:
# set only as the loop runs) has: python -c PROBE BACKEND
PROBE = """
import importlib, inspect, json, sys
from trayapp.tray.app import import_pystray
from trayapp.tray.backends.pystray_compat import HOOKS, HookKind

backend = sys.argv[1]
import_pystray()
icon_class = importlib.import_module("pystray._" + backend).Icon
hooks = [hook for hook in HOOKS if backend in hook.backends]
icon = icon_class("hook-probe") if any(h.kind is HookKind.ASSIGNED for h in hooks) else None
found = {}
for hook in hooks:
    if hook.kind is HookKind.WRAPPED:
        method = getattr(icon_class, hook.name, None)
        found[hook.name] = callable(getattr(method, "__wrapped__", None))
    elif hook.kind is HookKind.DEFINED:
        found[hook.name] = callable(getattr(icon_class, hook.name, None))
    elif hook.kind is HookKind.ASSIGNED_AT_RUN:
        found[hook.name] = f"self.{hook.name} =" in inspect.getsource(icon_class)
    else:
        found[hook.name] = hasattr(icon, hook.name)
print(json.dumps(found))
"""

IMPORTABLE_HERE = sorted({b for hook in HOOKS for b in hook.backends} - NOT_IMPORTABLE_ON_LINUX)


@pytest.mark.display
@pytest.mark.parametrize("backend", IMPORTABLE_HERE)
def test_the_real_backend_class_has_its_hooks(desktop: VirtualDesktop, backend: str) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, backend],
        env=desktop.env(PYTHONPATH=str(REPO_ROOT)),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    expected = {hook.name for hook in HOOKS if backend in hook.backends}
    assert found == dict.fromkeys(expected, True), f"pystray {version('pystray')}: {found}"


def test_the_base_icon_has_what_a_backend_of_our_own_uses() -> None:
    base = icon_base_class()
    icon = base("probe")
    missing = [name for name in BACKEND_INTERFACE if not hasattr(icon, name)]
    assert missing == [], f"pystray {version('pystray')} lacks {missing}"
    assert base is import_pystray()._base.Icon  # what pystray's own backends extend
    assert {"_show", "_run", "_stop", "_update_menu"} <= set(BACKEND_INTERFACE)


# --- the version bound --------------------------------------------------------------------------


def test_the_installed_pystray_is_inside_the_bound_pyproject_declares() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = [Requirement(line) for line in pyproject["project"]["dependencies"]]
    (pystray,) = [r for r in requirements if r.name == "pystray"]
    assert any(s.operator == "<" for s in pystray.specifier), "the hooks need an upper bound"
    assert version("pystray") in pystray.specifier


# --- nobody else reaches in ---------------------------------------------------------------------

NAMED_TUPLE_API = {"_replace", "_asdict", "_fields", "_make"}


def is_private(name: str) -> bool:
    """`_name` or `__wrapped__`: another object's insides (other dunders are Python's own)."""
    if name == "__wrapped__":
        return True
    return name.startswith("_") and not name.startswith("__") and name not in NAMED_TUPLE_API


def its_own(node: ast.Attribute) -> bool:
    return isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")


def named_in_getattr(node: ast.Call) -> str | None:
    """NAME in `getattr(x, "NAME", ...)` (or setattr, hasattr, delattr)."""
    if not isinstance(node.func, ast.Name):
        return None
    if node.func.id not in ("getattr", "setattr", "hasattr", "delattr") or len(node.args) < 2:
        return None
    name = node.args[1]
    return name.value if isinstance(name, ast.Constant) and isinstance(name.value, str) else None


def private_reaches(tree: ast.Module) -> list[str]:
    """Private names read off another object: `x._name`, `getattr(x, "_name")`, `__wrapped__`."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr) and not its_own(node):
            found.append((node.lineno, f".{node.attr}"))
        name = named_in_getattr(node) if isinstance(node, ast.Call) else None
        if isinstance(node, ast.Call) and name is not None and is_private(name):
            found.append((node.lineno, repr(name)))
    return [f"line {line}: {what}" for line, what in sorted(found)]


def tray_modules() -> list[Path]:
    return sorted(p for p in TRAY_PACKAGE.rglob("*.py") if p != COMPAT_MODULE)


@pytest.mark.parametrize("path", tray_modules(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_only_the_compat_module_reaches_into_pystray(path: Path) -> None:
    assert private_reaches(ast.parse(path.read_text(encoding="utf-8"))) == []


def test_the_compat_module_reaches_in_only_through_its_hooks() -> None:
    """Each private name it reads is a Hook's (`getattr(icon, hook.name)`), so HOOKS is complete;
    `__wrapped__` is how a WRAPPED hook is read."""
    reached = private_reaches(ast.parse(COMPAT_MODULE.read_text(encoding="utf-8")))
    assert [entry.split(": ", 1)[1] for entry in reached] == ["'__wrapped__'"]


def test_the_reach_check_sees_every_way_in() -> None:
    tree = ast.parse(
        "icon._hwnd\n"
        "getattr(icon, '_status_icon', None)\n"
        "method.__wrapped__\n"
        "self._own\n"
        "state._replace(x=1)\n"
        "'_a_string_that_reads_nothing'\n"
    )
    assert private_reaches(tree) == [
        "line 1: ._hwnd",
        "line 2: '_status_icon'",
        "line 3: .__wrapped__",
    ]


# --- what each hook does, and does without ------------------------------------------------------


class Plain:
    """An icon with none of the hooks."""


def test_each_hook_reads_the_attribute_it_names() -> None:
    class Win32Like:
        def __init__(self) -> None:
            self._message_handlers: dict[int, Callable[[int, int], int]] = {}
            self._hwnd = 42

    class GtkLike:
        def __init__(self) -> None:
            self._status_icon = object()

    win32, gtk = Win32Like(), GtkLike()
    assert pystray_compat.win32_message_handlers(win32) is win32._message_handlers
    assert pystray_compat.win32_window(win32) == 42
    assert pystray_compat.gtk_status_icon(gtk) is gtk._status_icon


def test_without_the_hooks_each_reads_none() -> None:
    assert pystray_compat.win32_message_handlers(Plain()) is None
    assert pystray_compat.win32_window(Plain()) is None
    assert pystray_compat.gtk_status_icon(Plain()) is None
    assert pystray_compat.xorg_draw_new_images_in_place(Plain()) is False


class XWindow:
    """An X window whose parent is the root until a tray embeds it."""

    def __init__(self, *, embedded: bool, broken: bool = False) -> None:
        self.embedded = embedded
        self.broken = broken

    def query_tree(self) -> types.SimpleNamespace:
        if self.broken:
            raise RuntimeError("BadWindow")
        parent = types.SimpleNamespace(id=7 if self.embedded else 1)
        return types.SimpleNamespace(parent=parent, root=types.SimpleNamespace(id=1))


class XorgLike:
    """pystray's xorg Icon as the hook sees it: docking again, drawing, its loop's thread."""

    def __init__(self, window: XWindow) -> None:
        self._window = window
        self._icon_data: object = "scaled old image"
        self._icon_valid = False
        self.calls: list[str] = []

    def _update_icon(self) -> None:
        self.calls.append("dock again")

    def _draw(self) -> None:
        self.calls.append(f"draw {self._icon_data}")

    def run_loop_once(self) -> None:
        """Apply a new image from the X loop's thread, as the tray does."""
        self._thread = threading.current_thread()
        self._update_icon()


def test_an_embedded_xorg_icon_draws_a_new_image_in_place() -> None:
    icon = XorgLike(XWindow(embedded=True))
    assert pystray_compat.xorg_draw_new_images_in_place(icon) is True
    icon.run_loop_once()
    assert icon.calls == ["draw None"], "the new image is scaled afresh and drawn, not docked"
    assert icon._icon_valid is True


@pytest.mark.parametrize(
    "window", [XWindow(embedded=False), XWindow(embedded=True, broken=True)], ids=["not", "x-error"]
)
def test_an_xorg_icon_not_embedded_docks_as_pystray_would(window: XWindow) -> None:
    icon = XorgLike(window)
    pystray_compat.xorg_draw_new_images_in_place(icon)
    icon.run_loop_once()
    assert icon.calls == ["dock again"]
    assert icon._icon_valid is False


def test_off_the_x_loop_an_xorg_icon_docks_as_pystray_would() -> None:
    icon = XorgLike(XWindow(embedded=True))
    pystray_compat.xorg_draw_new_images_in_place(icon)
    icon._thread = threading.Thread(target=lambda: None)  # the loop runs on another thread
    icon._update_icon()
    assert icon.calls == ["dock again"]


def hop(method: Callable[[GlibLike], None]) -> Callable[[GlibLike], None]:
    """Like pystray's `mainloop`: the call is only queued, and functools.wraps keeps the plain
    method as `__wrapped__`."""

    @functools.wraps(method)
    def queued(self: GlibLike) -> None:
        self.hops.append(method.__name__)

    return queued


class GlibLike:
    def __init__(self) -> None:
        self.hops: list[str] = []
        self.done: list[str] = []

    @hop
    def _update_icon(self) -> None:
        self.done.append("icon")

    @hop
    def _update_title(self) -> None:
        self.done.append("title")

    def _update_menu(self) -> None:  # not wrapped: left as it is
        self.done.append("menu")


def test_glib_updates_then_run_at_once() -> None:
    icon = GlibLike()
    icon._update_icon()
    assert (icon.hops, icon.done) == (["_update_icon"], [])
    pystray_compat.apply_glib_updates_at_once(icon)
    icon._update_icon()
    icon._update_title()
    icon._update_menu()
    assert (icon.hops, icon.done) == (["_update_icon"], ["icon", "title", "menu"])
    other = GlibLike()
    other._update_icon()
    assert other.hops == ["_update_icon"], "only the icon it was given changes"


def test_glib_updates_without_the_methods_change_nothing() -> None:
    icon = Plain()
    pystray_compat.apply_glib_updates_at_once(icon)
    assert vars(icon) == {}


def test_win32_without_the_message_hook_changes_the_tray_directly() -> None:
    ran: list[str] = []
    dispatch = make_dispatcher("win32", Plain())  # type: ignore[arg-type]
    dispatch(lambda: ran.append("now"))
    assert ran == ["now"]
