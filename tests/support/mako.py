"""mako, a real Wayland notification daemon, for end-to-end tests on the Sway desktop.

It owns org.freedesktop.Notifications on the desktop's session bus and draws each notification
on Sway's output; `makoctl list` reads what it shows (mako keeps them until dismissed by default).
Run as a client of the desktop (`SwayDesktop.env()`), like the app under test.

Every process started here is stopped by `stop()`, and every wait has a deadline.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.support.desktop import stop_process_group
from tests.support.dunst import Notification
from tests.support.sni_desktop import SwayDesktop
from tests.support.waiting import wait_until

TOOLS = ("mako", "makoctl")

# Shown until dismissed (mako's default, said here so that a user's defaults cannot change it).
CONFIG = "default-timeout=0\nmax-visible=10\n"


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


class Mako:
    def __init__(self, sway: SwayDesktop, folder: Path) -> None:
        self._env = sway.env()
        self._folder = folder
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> Mako:
        config = self._folder / "mako.conf"
        config.write_text(CONFIG)
        with open(self._folder / "mako.log", "wb") as log:
            self._process = subprocess.Popen(
                ["mako", "--config", str(config)],
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._answers, what="mako on the session bus")
        return self

    def stop(self) -> None:
        if self._process is not None:
            stop_process_group(self._process)
            self._process = None

    def _answers(self) -> bool:
        assert self._process is not None
        assert self._process.poll() is None, self.log()
        return self._ctl("list").returncode == 0

    def _ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["makoctl", *args],
            env=self._env,
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )

    def log(self) -> str:
        return (self._folder / "mako.log").read_text(errors="replace")

    def shown(self) -> list[Notification]:
        """The notifications mako shows now, oldest first (one replaced by another is gone)."""
        listed = json.loads(self._ctl("list").stdout)
        entries: list[dict[str, Any]] = listed["data"][0]
        return [
            Notification(
                app=entry["app-name"]["data"],
                summary=entry["summary"]["data"],
                body=entry["body"]["data"],
                icon_path=entry["app-icon"]["data"],
            )
            for entry in sorted(entries, key=lambda e: int(e["id"]["data"]))
        ]
