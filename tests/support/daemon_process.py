"""A notification daemon run for a test, with the control tool that reads it (dunst and dunstctl,
mako and makoctl): started with a config file of its own, waited for with a deadline, stopped
with its whole process group. Subclasses say which program, config and readiness query."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tests.support.desktop import stop_process_group
from tests.support.waiting import wait_until

D = TypeVar("D", bound="DaemonProcess")


@dataclass(frozen=True)
class Notification:
    """A notification as the daemon received it."""

    app: str
    summary: str
    body: str
    icon_path: str


class DaemonProcess:
    PROGRAM = ""
    CONTROL = ""
    CONFIG_OPTION = ""
    CONFIG_NAME = ""
    CONFIG = ""
    READY_QUERY: tuple[str, ...] = ()
    """A control command that succeeds once the daemon answers on the bus."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self._env = env
        self._folder = folder
        self._process: subprocess.Popen[bytes] | None = None

    def start(self: D) -> D:
        config = self._folder / self.CONFIG_NAME
        config.write_text(self.CONFIG)
        with open(self._log_path(), "wb") as log:
            self._process = subprocess.Popen(
                [self.PROGRAM, self.CONFIG_OPTION, str(config)],
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._answers, what=f"{self.PROGRAM} on the session bus")
        return self

    def stop(self) -> None:
        if self._process is not None:
            stop_process_group(self._process)
            self._process = None

    def log(self) -> str:
        return self._log_path().read_text(errors="replace")

    def _log_path(self) -> Path:
        return self._folder / f"{self.PROGRAM}.log"

    def _answers(self) -> bool:
        assert self._process is not None
        assert self._process.poll() is None, self.log()
        return self._ctl(*self.READY_QUERY).returncode == 0

    def _ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.CONTROL, *args],
            env=self._env,
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )

    @staticmethod
    def _notifications(entries: list[dict[str, Any]], *, app: str, icon: str) -> list[Notification]:
        """The control tool's JSON entries as Notifications, oldest first; the two tools name
        the app and icon fields differently."""
        return [
            Notification(
                app=entry[app]["data"],
                summary=entry["summary"]["data"],
                body=entry["body"]["data"],
                icon_path=entry[icon]["data"],
            )
            for entry in sorted(entries, key=lambda e: int(e["id"]["data"]))
        ]
