"""`deepgram-tray stop` against the real tray, started as users start it, on Xvfb with a trayer
panel: the tray quits as its Quit item does (exit 0, lock released, icon gone).

Started without PYSTRAY_BACKEND, the tray chooses its backend as it would on such a desktop, and
its start must be quiet: no GTK/GDK CRITICAL on stderr.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import OWNER_KEY
from tests.support.deepgram_server import FakeDeepgram
from tests.support.desktop import TrayProcess, VirtualDesktop
from tests.support.waiting import wait_until
from trayapp.desktop.single_instance import InstanceLock

pytestmark = pytest.mark.display

CONSOLE_SCRIPT = [str(Path(sys.executable).parent / "deepgram-tray")]
"""The `deepgram-tray` command pip made in the environment, as a user's shell runs it."""
MODULE = [sys.executable, "-m", "trayapp"]


@pytest.fixture
def env(tmp_path: Path, deepgram: FakeDeepgram) -> dict[str, str]:
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DEEPGRAM_", "PYSTRAY_"))
    }
    environment.update(
        HOME=str(home),
        XDG_RUNTIME_DIR=str(runtime),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        DEEPGRAM_TRAY_CONFIG=str(tmp_path / "config.toml"),
        DEEPGRAM_TRAY_API_URL=deepgram.base_url,
        DEEPGRAM_API_KEY=OWNER_KEY,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return environment


@pytest.fixture
def trays(desktop: VirtualDesktop) -> Iterator[list[TrayProcess]]:
    started: list[TrayProcess] = []
    try:
        yield started
    finally:
        for tray in started:
            tray.stop()
        wait_until(lambda: desktop.tray_icon_colour() is None, what="the icon to go away")


def lock_of(env: dict[str, str]) -> InstanceLock:
    return InstanceLock(Path(env["XDG_RUNTIME_DIR"]) / "deepgram-balance-tray" / "tray.lock")


def start(
    desktop: VirtualDesktop,
    env: dict[str, str],
    tmp_path: Path,
    program: list[str],
    trays: list[TrayProcess],
) -> TrayProcess:
    """Start the tray (stopped by the `trays` fixture whatever happens) and see its icon."""
    tray = TrayProcess(desktop, env, tmp_path, program=program)
    trays.append(tray)
    wait_until(lambda: desktop.tray_icon_colour() == "green", what="a green icon")
    assert lock_of(env).is_held()
    return tray


def stop(desktop: VirtualDesktop, env: dict[str, str], program: list[str]) -> tuple[int, str]:
    completed = subprocess.run(
        [*program, "stop"],
        env=desktop.env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return completed.returncode, completed.stdout + completed.stderr


@pytest.mark.parametrize("program", [CONSOLE_SCRIPT, MODULE], ids=["deepgram-tray", "python-m"])
def test_stop_quits_the_running_tray_and_then_finds_none(
    desktop: VirtualDesktop,
    env: dict[str, str],
    trays: list[TrayProcess],
    tmp_path: Path,
    program: list[str],
) -> None:
    tray = start(desktop, env, tmp_path, program, trays)
    pid = lock_of(env).holder_pid()

    code, said = stop(desktop, env, program)
    assert (code, said) == (0, f"Stopped the tray (process {pid}).\n")
    assert not lock_of(env).is_held()
    assert tray.wait(timeout=20) == 0
    wait_until(lambda: desktop.tray_icon_colour() is None, what="the icon to go away")
    log = (Path(env["XDG_STATE_HOME"]) / "deepgram-balance-tray" / "log" / "tray.log").read_text()
    assert "Quitting: received SIGTERM" in log and log.rstrip().endswith("Stopped")

    assert stop(desktop, env, program) == (0, "No tray was running.\n")


def test_the_tray_starts_without_a_gdk_critical(
    desktop: VirtualDesktop, env: dict[str, str], trays: list[TrayProcess], tmp_path: Path
) -> None:
    tray = start(desktop, env, tmp_path, CONSOLE_SCRIPT, trays)
    assert "CRITICAL" not in tray.stderr(), tray.stderr()
    # Through to the end: the icon was drawn again with the first balance, the menu made again.
    code, _ = stop(desktop, env, CONSOLE_SCRIPT)
    assert code == 0 and tray.wait(timeout=20) == 0
    # GLib's "(program:pid): Gdk-CRITICAL **: ..." lines. (A notification daemon the bus started
    # for the tray may say CRITICAL too as its bus goes away: that line is not the tray's.)
    ours = [line for line in tray.stderr().splitlines() if "-CRITICAL **" in line]
    assert ours == []


@pytest.mark.parametrize("name", ["SIGHUP", "SIGINT"])
def test_a_hang_up_or_ctrl_c_quits_cleanly_too(
    desktop: VirtualDesktop,
    env: dict[str, str],
    trays: list[TrayProcess],
    tmp_path: Path,
    name: str,
) -> None:
    """SIGHUP: the terminal the tray was started from closed, or the session ended. SIGINT:
    Ctrl+C there (which pystray's GTK backends would make end the tray at once)."""
    tray = start(desktop, env, tmp_path, CONSOLE_SCRIPT, trays)
    pid = lock_of(env).holder_pid()
    assert pid is not None
    os.kill(pid, getattr(signal, name))
    assert tray.wait(timeout=20) == 0
    assert not lock_of(env).is_held()
    log = (Path(env["XDG_STATE_HOME"]) / "deepgram-balance-tray" / "log" / "tray.log").read_text()
    assert f"Quitting: received {name}" in log
