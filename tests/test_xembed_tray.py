"""Choosing between pystray's AppIndicator and GTK backends where no StatusNotifierItem host runs.

AppIndicator's own fallback on an XEmbed tray makes GDK log a CRITICAL at every start, so where
such a tray runs the GTK backend comes first; where none runs, AppIndicator stays first (it moves
to a StatusNotifierItem host once one starts, e.g. GNOME's extension switched on).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT
from tests.support.desktop import VirtualDesktop
from trayapp.tray.app import candidate_backends

PROBE = "from trayapp.tray.backends.xembed_tray import xembed_tray_present as p; print(p())"


@pytest.fixture
def linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYSTRAY_BACKEND", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")


@pytest.mark.usefixtures("linux")
def test_an_xembed_tray_puts_gtk_first() -> None:
    no_sni = lambda: False  # noqa: E731
    assert candidate_backends(sni_host=no_sni, xembed_tray=lambda: True) == [
        "gtk",
        "appindicator",
        "xorg",
    ]
    assert candidate_backends(sni_host=no_sni, xembed_tray=lambda: False) == [
        "appindicator",
        "gtk",
        "xorg",
    ]


@pytest.mark.usefixtures("linux")
def test_a_statusnotifieritem_host_is_not_followed_by_an_xembed_probe() -> None:
    def asked() -> bool:
        raise AssertionError("looked for an XEmbed tray")

    assert candidate_backends(sni_host=lambda: True, xembed_tray=asked)[0] == "sni"


def probe(env: dict[str, str]) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
        check=True,
    )
    return completed.stdout.strip()


def test_without_x_there_is_no_xembed_tray() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    assert probe(env) == "False"
    assert probe({**env, "DISPLAY": ":9999"}) == "False"  # no X server there


@pytest.mark.display
def test_trayer_is_seen_and_a_bare_x_server_is_not(desktop: VirtualDesktop) -> None:
    assert probe(desktop.env()) == "True"
    bare = VirtualDesktop(with_tray_panel=False).start()
    try:
        assert probe(bare.env()) == "False"
    finally:
        bare.stop()
