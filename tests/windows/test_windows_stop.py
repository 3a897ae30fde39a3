"""`deepgram-tray stop` under Windows (Wine): no signal reaches a windowed program there, so the
tray waits on a named event that `stop` sets (trayapp/desktop/stop_request.py).

The tray is started as the Start menu starts it (the windowed launcher, no console) and as a user
types it; `stop` quits it as its Quit item does, and then finds none running.
"""

# ruff: noqa: F811 - the tests take the tray tests' fixtures, imported below, as arguments
from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.deepgram_server import FakeDeepgram
from tests.support.waiting import wait_until
from tests.support.wine import WindowsPython
from tests.support.wine_desktop import WineShell
from tests.windows.test_windows_tray import (  # noqa: F401 - shell, start_tray: fixtures
    FIRST_START,
    FROM_THE_START_MENU,
    StartTray,
    shell,
    start_tray,
    tray_env,
)

pytestmark = pytest.mark.display


@pytest.mark.parametrize(
    "program", [FROM_THE_START_MENU, ["deepgram-tray.exe"]], ids=["start-menu", "typed"]
)
def test_stop_quits_the_windows_tray(
    shell: WineShell,
    windows: WindowsPython,
    deepgram: FakeDeepgram,
    start_tray: StartTray,
    tmp_path: Path,
    program: list[str],
) -> None:
    tray = start_tray(program=program)
    wait_until(lambda: shell.tray_icon_colour() == "green", timeout=FIRST_START, what="green")
    env = tray_env(windows, deepgram, tmp_path / "config.toml")

    stopped = windows.run(["stop"], env, program=["deepgram-tray.exe"])
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.startswith("Stopped the tray (process "), stopped.stdout
    assert tray.wait(timeout=30) == 0, tray.output.text()
    assert "Traceback" not in tray.output.text()
    wait_until(lambda: shell.tray_icon() is None, what="the icon to leave the taskbar")

    again = windows.run(["stop"], env, program=["deepgram-tray.exe"])
    assert (again.returncode, again.stdout) == (0, "No tray was running.\n"), again.stderr
