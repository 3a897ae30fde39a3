"""mako, a real Wayland notification daemon, for end-to-end tests on the Sway desktop.

It owns org.freedesktop.Notifications on the desktop's session bus and draws each notification
on Sway's output; `makoctl list` reads what it shows (mako keeps them until dismissed by default).
Run as a client of the desktop (`SwayDesktop.env()`), like the app under test.

Every process started here is stopped by `stop()`, and every wait has a deadline.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.support.daemon_process import DaemonProcess, Notification
from tests.support.sni_desktop import SwayDesktop

TOOLS = ("mako", "makoctl")

# Shown until dismissed (mako's default, said here so that a user's defaults cannot change it).
CONFIG = "default-timeout=0\nmax-visible=10\n"


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


class Mako(DaemonProcess):
    PROGRAM, CONTROL, CONFIG_OPTION, CONFIG_NAME = "mako", "makoctl", "--config", "mako.conf"
    CONFIG = CONFIG
    READY_QUERY = ("list",)

    def __init__(self, sway: SwayDesktop, folder: Path) -> None:
        super().__init__(sway.env(), folder)

    def shown(self) -> list[Notification]:
        """The notifications mako shows now, oldest first (one replaced by another is gone)."""
        listed = json.loads(self._ctl("list").stdout)
        entries: list[dict[str, Any]] = listed["data"][0]
        return self._notifications(entries, app="app-name", icon="app-icon")
