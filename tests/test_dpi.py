"""High-DPI on Windows: the tray and the windows declare DPI awareness before their first window.

The Wine lane cannot show the blur (Wine counts every program DPI aware), so the call and its
order are what is checked, here for the tray and in tests/windows/ for the Tk windows.
"""

from __future__ import annotations

import ctypes
import sys

import pytest

# What run._run imports, imported here while sys.platform is still this machine's (on "win32"
# some would reach for Windows-only modules).
import trayapp.desktop.autostart
import trayapp.tk.launcher
import trayapp.tray.app
import trayapp.tray.fetch_process  # noqa: F401
from trayapp.commands import run
from trayapp.desktop.dpi import PROCESS_SYSTEM_DPI_AWARE, declare_dpi_awareness


class Stop(Exception):
    pass


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    recorded: list[object] = []

    class Shcore:
        def SetProcessDpiAwareness(self, value: int) -> None:
            recorded.append(("declared", value))

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(ctypes, "OleDLL", lambda name: Shcore(), raising=False)
    return recorded


def test_the_tray_declares_it_before_pystray_makes_a_window(
    calls: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    def load_backend() -> None:
        calls.append("backend loaded")
        raise Stop

    monkeypatch.setattr("trayapp.tray.app.load_backend", load_backend)
    with pytest.raises(Stop):
        run._run()
    assert calls == [("declared", PROCESS_SYSTEM_DPI_AWARE), "backend loaded"]


def test_a_refusal_is_taken_in_its_stride(monkeypatch: pytest.MonkeyPatch) -> None:
    # Refused when a manifest (or Wine) declared it already: the process is DPI aware anyway.
    class Refusing:
        def SetProcessDpiAwareness(self, value: int) -> None:
            raise OSError("access denied")

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(ctypes, "OleDLL", lambda name: Refusing(), raising=False)
    declare_dpi_awareness()


def test_elsewhere_nothing_is_declared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(ctypes, "OleDLL", None, raising=False)  # would fail if called
    declare_dpi_awareness()
