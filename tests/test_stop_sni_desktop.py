"""`deepgram-tray stop` on a StatusNotifierItem panel (Waybar on a headless Sway): the tray on the
app's own SNI backend quits on the command as on its Quit item, and the panel drops its item."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.deepgram_server import FakeDeepgram
from tests.support.sni_desktop import SwayDesktop
from tests.test_sni_desktop import Sni, plain_python, tray_command

pytestmark = pytest.mark.display


@pytest.fixture
def sni(sway: SwayDesktop, deepgram: FakeDeepgram, tmp_path: Path) -> Iterator[Sni]:
    starter = Sni(sway, deepgram, tmp_path)
    try:
        yield starter
    finally:
        starter.stop_all()


def test_stop_quits_the_sni_tray(sway: SwayDesktop, sni: Sni, tmp_path: Path) -> None:
    python = plain_python()
    item = sni.start(python)
    assert item.startswith("org.kde.StatusNotifierItem-"), item  # the app's own backend
    tray = sni.started[-1]
    home = tmp_path / "home"
    env = sway.env(HOME=str(home), XDG_STATE_HOME=str(home / "state"), PYTHONPATH="")

    # The installed command, from outside the checkout (where `-m trayapp` would run its source).
    command, folder = tray_command(python, tmp_path)
    stopped = subprocess.run(
        [*command, "stop"], env=env, cwd=folder, capture_output=True, text=True, timeout=60
    )
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout == f"Stopped the tray (process {tray.process.pid}).\n"
    assert tray.wait(timeout=20) == 0
    sway.sni.wait_for_no_items()
    assert "Traceback" not in tray.stderr()
