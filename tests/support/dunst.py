"""dunst, a real desktop notification daemon, for end-to-end tests on the Xvfb desktop.

It owns org.freedesktop.Notifications on the session bus it is given and draws each notification
on the X display; `dunstctl` reads what it received (its history holds a notification once it is
closed). Notifications never time out here, so none leaves before a test has read it.

Every process started here is stopped by `stop()`, and every wait has a deadline.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.desktop import VirtualDesktop, stop_process_group
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


@dataclass(frozen=True)
class Notification:
    """A notification as dunst received it."""

    app: str
    summary: str
    body: str
    icon_path: str


class Dunst:
    def __init__(self, desktop: VirtualDesktop, bus_address: str, folder: Path) -> None:
        self._env = desktop.env(DBUS_SESSION_BUS_ADDRESS=bus_address)
        self._folder = folder
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> Dunst:
        config = self._folder / "dunstrc"
        config.write_text(CONFIG)
        with open(self._folder / "dunst.log", "wb") as log:
            self._process = subprocess.Popen(
                ["dunst", "-config", str(config)],
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._answers, what="dunst on the session bus")
        return self

    def stop(self) -> None:
        if self._process is not None:
            stop_process_group(self._process)
            self._process = None

    def _answers(self) -> bool:
        assert self._process is not None
        assert self._process.poll() is None, self.log()
        return self._ctl("is-paused").returncode == 0

    def _ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["dunstctl", *args],
            env=self._env,
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )

    def log(self) -> str:
        return (self._folder / "dunst.log").read_text(errors="replace")

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
        return [
            Notification(
                app=entry["appname"]["data"],
                summary=entry["summary"]["data"],
                body=entry["body"]["data"],
                icon_path=entry["icon_path"]["data"],
            )
            for entry in sorted(entries, key=lambda e: int(e["id"]["data"]))
        ]
