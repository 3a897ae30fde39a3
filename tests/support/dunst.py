"""dunst, a real desktop notification daemon, for end-to-end tests on the Xvfb desktop.

It owns org.freedesktop.Notifications on the session bus it is given and draws each notification
on the X display; `dunstctl` reads what it received (its history holds a notification once it is
closed). Notifications never time out here, so none leaves before a test has read it.

Every process started here is stopped by `stop()`, and every wait has a deadline.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.support.daemon_process import DaemonProcess, Notification
from tests.support.desktop import VirtualDesktop
from tests.support.waiting import wait_until

TOOLS = ("dunst", "dunstctl", "dbus-daemon")

CONFIG = """\
[global]
    font = DejaVu Sans 9
    width = 420
    origin = top-left
    offset = 10x60
    max_icon_size = 64
    # Notifications stay until closed: a test reads them before they go.
    idle_threshold = 0
[urgency_low]
    timeout = 0
[urgency_normal]
    timeout = 0
[urgency_critical]
    timeout = 0
"""


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


class Dunst(DaemonProcess):
    PROGRAM, CONTROL, CONFIG_OPTION, CONFIG_NAME = "dunst", "dunstctl", "-config", "dunstrc"
    CONFIG = CONFIG
    READY_QUERY = ("is-paused",)

    def __init__(self, desktop: VirtualDesktop, bus_address: str, folder: Path) -> None:
        super().__init__(desktop.env(DBUS_SESSION_BUS_ADDRESS=bus_address), folder)

    def displayed(self) -> int:
        """How many notifications dunst shows now."""
        return int(self._ctl("count", "displayed").stdout.strip() or 0)

    def received(self) -> list[Notification]:
        """Every notification dunst received, oldest first: the ones shown are closed to read
        them (dunstctl tells only those in its history). One replaced by a later one is gone."""
        self._ctl("close-all")
        wait_until(lambda: self.displayed() == 0, what="dunst to close its notifications")
        history = json.loads(self._ctl("history").stdout)
        entries: list[dict[str, Any]] = history["data"][0]
        return self._notifications(entries, app="appname", icon="icon_path")
