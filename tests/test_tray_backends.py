"""Choosing a tray backend by name, and what the app asks of a backend's Icon."""

from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path

import pytest

from tests.support.recording_backend import RecordingIcon
from trayapp.tray.app import (
    BACKEND_MODULES,
    TrayUnavailableError,
    candidate_backends,
    import_pystray,
    load_backend,
    make_dispatcher,
)
from trayapp.tray.backends.interface import BACKEND_NAMES, TrayIcon, backend_named


def pystray_backends() -> set[str]:
    """The backends the installed pystray has: its modules other than the shared ones."""
    spec = importlib.util.find_spec("pystray")
    assert spec is not None and spec.origin is not None
    modules = {path.stem for path in Path(spec.origin).parent.glob("_*.py")}
    return {name[1:] for name in modules if not name.startswith("__")} - {"base", "info"}


def test_the_backend_names_are_pystrays_and_the_apps_own() -> None:
    assert set(BACKEND_NAMES) - set(BACKEND_MODULES) == pystray_backends()
    assert set(BACKEND_MODULES) == {"sni"}
    for module in BACKEND_MODULES.values():
        assert importlib.util.find_spec(module) is not None


@pytest.mark.parametrize("text", ["sni", "gtk", "appindicator", "xorg", "win32", "darwin", "dummy"])
def test_a_backend_is_found_by_its_name(text: str) -> None:
    assert backend_named(text) == text


@pytest.mark.parametrize("text", ["", "GTK", "base", "util", "test", "nonsense"])
def test_other_words_name_no_backend(text: str) -> None:
    assert backend_named(text) is None


# --- which to try -------------------------------------------------------------------------------


def test_linux_tries_sni_where_a_panel_offers_it_then_the_menu_backends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PYSTRAY_BACKEND", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert candidate_backends(sni_host=lambda: True) == ["sni", "appindicator", "gtk", "xorg"]
    assert candidate_backends(sni_host=lambda: False) == ["appindicator", "gtk", "xorg"]


def test_windows_and_macos_never_ask_for_a_panel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYSTRAY_BACKEND", raising=False)

    def asked() -> bool:
        raise AssertionError("asked for a StatusNotifierWatcher")

    for platform in ("win32", "darwin"):
        monkeypatch.setattr(sys, "platform", platform)
        assert candidate_backends(sni_host=asked) == [platform]
    monkeypatch.setenv("PYSTRAY_BACKEND", "gtk")
    monkeypatch.setattr(sys, "platform", "linux")
    assert candidate_backends(sni_host=asked) == ["gtk"]


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_windows_and_macos_have_one_backend(monkeypatch: pytest.MonkeyPatch, platform: str) -> None:
    monkeypatch.delenv("PYSTRAY_BACKEND", raising=False)
    monkeypatch.setattr(sys, "platform", platform)
    assert candidate_backends() == [platform]


def test_pystray_backend_chooses_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYSTRAY_BACKEND", " xorg ")
    assert candidate_backends() == ["xorg"]


def test_an_unknown_pystray_backend_is_said_plainly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYSTRAY_BACKEND", "util")  # a pystray module, but not a backend
    monkeypatch.setenv("DISPLAY", ":0")
    with pytest.raises(ValueError, match="util: there is no tray backend by that name"):
        candidate_backends()
    with pytest.raises(TrayUnavailableError) as raised:
        load_backend()
    assert raised.value.message == (
        "No system tray backend works here (util: there is no tray backend by that name): "
        "see Troubleshooting in the README."
    )


def test_the_dummy_backend_loads_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYSTRAY_BACKEND", "dummy")
    name, icon_class = load_backend()
    assert name == "dummy"
    assert icon_class is sys.modules["pystray._dummy"].Icon


# --- the UI thread ------------------------------------------------------------------------------


def test_a_backend_with_its_own_ui_thread_is_used_as_it_is() -> None:
    icon = RecordingIcon("probe")
    assert make_dispatcher("gtk", icon) == icon.run_on_ui_thread


@pytest.mark.parametrize("backend", ["xorg", "dummy"])
def test_dummy_and_an_xorg_icon_without_its_hooks_change_the_tray_at_once(
    backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The dummy backend has no loop to hand over to; an xorg Icon without the hooks the X loop's
    dispatcher needs (test_xorg_dispatch.py has the real one) falls back to the same. Either way
    a failing update is logged, not raised."""
    icon = import_pystray()._base.Icon("probe")
    dispatch = make_dispatcher(backend, icon)  # type: ignore[arg-type]
    ran: list[str] = []
    dispatch(lambda: ran.append("now"))

    def broken() -> None:
        raise RuntimeError("a broken update")

    with caplog.at_level(logging.ERROR):
        dispatch(broken)
    assert ran == ["now"]
    assert "Updating the tray failed" in caplog.text


# --- the Icon's part ----------------------------------------------------------------------------


def members(protocol: type) -> set[str]:
    """The attributes and methods a Protocol names."""
    public = {name for name in vars(protocol) if not name.startswith("_")}
    return public | set(protocol.__annotations__)


def test_the_protocol_names_what_the_app_uses() -> None:
    assert members(TrayIcon) == {
        "HAS_NOTIFICATION",
        "icon",
        "title",
        "menu",
        "visible",
        "run",
        "stop",
        "notify",
    }


@pytest.mark.parametrize("icon_class", ["recording", "pystray"])
def test_icons_have_everything_the_protocol_names(icon_class: str) -> None:
    """The tests' recording backend, and pystray's own Icon, which every backend extends."""
    made = RecordingIcon if icon_class == "recording" else import_pystray()._base.Icon
    icon = made("probe")
    assert {name for name in members(TrayIcon) if not hasattr(icon, name)} == set()
