"""The README's install command and its undo, for real, into a throwaway home folder."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import OWNER_KEY, REPO_ROOT, stored_secret
from tests.support.desktop import TrayProcess, VirtualDesktop
from tests.support.required import require_tools
from tests.support.waiting import wait_until
from trayapp.desktop.single_instance import InstanceLock

PATH_LINE = '  export PATH="$HOME/.local/bin:$PATH"\n'


def run(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REPO_ROOT / "scripts" / script), *args],
        env=env,
        stdin=subprocess.DEVNULL,  # not a terminal: no key prompt
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture
def home_env(cli_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """cli_env with the app's folders where a user's would be (no DEEPGRAM_TRAY_CONFIG), and no
    graphical session unless a test adds one."""
    home = Path(cli_env["HOME"])
    cli_env["XDG_CONFIG_HOME"] = str(home / ".config")
    cli_env["XDG_STATE_HOME"] = str(home / ".local" / "state")
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    cli_env["XDG_RUNTIME_DIR"] = str(runtime)
    cli_env.pop("DEEPGRAM_TRAY_CONFIG", None)
    cli_env.pop("DISPLAY", None)
    cli_env.pop("WAYLAND_DISPLAY", None)
    # No session bus either, so no Secret Service: a test that wants one says so.
    cli_env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return cli_env


def on_path(env: dict[str, str]) -> dict[str, str]:
    """env whose PATH has ~/.local/bin, as most distributions' login shells set it up."""
    return {**env, "PATH": f"{env['HOME']}/.local/bin{os.pathsep}{env['PATH']}"}


def test_install_then_uninstall_then_purge_leaves_nothing_behind(
    home_env: dict[str, str],
) -> None:
    home = Path(home_env["HOME"])
    data = Path(home_env["XDG_DATA_HOME"])

    # With arguments the script installs, then runs `deepgram-tray ARGS` instead of the tray.
    installed = run("install-and-run", "balance", "--json", env=home_env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert '"usd": 128.31822227' in installed.stdout
    # ~/.local/bin is not on this PATH: the script says so, with the line to add.
    assert f"{home}/.local/bin is not on your PATH" in installed.stdout
    assert PATH_LINE in installed.stdout
    link = home / ".local" / "bin" / "deepgram-tray"
    assert link.is_symlink() and link.resolve().is_file()
    entry = data / "applications" / "deepgram-balance-tray.desktop"
    assert f"\nExec={data / 'deepgram-balance-tray' / 'venv' / 'bin' / 'deepgram-tray'}\n" in (
        entry.read_text()
    )
    assert (data / "icons" / "hicolor" / "48x48" / "apps" / "deepgram-balance-tray.png").is_file()

    tray = str(link)
    subprocess.run([tray, "autostart", "enable"], env=home_env, check=True, capture_output=True)
    subprocess.run([tray, "config", "set", "warn_below", "30"], env=home_env, check=True)
    config = home / ".config" / "deepgram-balance-tray" / "config.toml"
    assert config.is_file()
    history = data / "deepgram-balance-tray" / "history.sqlite3"
    history.write_bytes(b"")  # as the tray would have recorded
    logs = home / ".local" / "state" / "deepgram-balance-tray" / "log"
    logs.mkdir(parents=True)
    (logs / "tray.log").write_text("as the tray would have written\n")

    kept = run("uninstall", env=home_env)
    assert kept.returncode == 0, kept.stderr
    assert "No tray was running." in kept.stdout
    assert not link.exists() and not entry.exists()
    assert not (data / "deepgram-balance-tray" / "venv").exists()
    assert not (home / ".config" / "autostart" / "deepgram-balance-tray.desktop").exists()
    assert config.is_file(), "plain uninstall keeps the settings"
    assert history.exists(), "and the balance history"
    assert (logs / "tray.log").exists(), "and the logs"
    assert "Kept the API key" in kept.stdout

    # --purge after a plain uninstall: the app is gone, its settings, logs and history are not.
    purged = run("uninstall", "--purge", env=home_env)
    assert purged.returncode == 0, purged.stderr
    assert "not installed" not in purged.stdout
    assert "Removed the settings" in purged.stdout
    assert not config.exists() and not config.parent.exists()
    assert not (data / "deepgram-balance-tray").exists()
    assert not (home / ".local" / "state" / "deepgram-balance-tray").exists()
    # No Secret Service here (no session bus): the script says what may be left, and how to
    # remove it.
    assert "service deepgram-balance-tray, username api-key" in purged.stdout
    pip_cache = home / ".cache" / "pip"  # pip's own business (it may keep the wheel it built)
    leftovers = [
        p for p in home.rglob("*") if "deepgram" in p.name and not p.is_relative_to(pip_cache)
    ]
    assert leftovers == [], leftovers

    again = run("uninstall", env=home_env)
    assert (again.returncode, again.stderr) == (0, "")
    assert "is not installed" in again.stdout


def test_install_without_a_display_succeeds_and_says_how_to_start(
    home_env: dict[str, str],
) -> None:
    env = on_path(home_env)
    installed = run("install-and-run", env=env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "Installed: " in installed.stdout
    assert "No graphical session here (DISPLAY is not set), so the tray was not started" in (
        installed.stdout
    )
    assert "run 'deepgram-tray'" in installed.stdout
    assert "To start it at every login: deepgram-tray autostart enable" in installed.stdout
    assert "not on your PATH" not in installed.stdout
    lock = Path(env["XDG_RUNTIME_DIR"]) / "deepgram-balance-tray" / "tray.lock"
    assert not InstanceLock(lock).is_held(), "no tray was started"

    subprocess.run(["deepgram-tray", "autostart", "enable"], env=env, check=True)
    again = run("install-and-run", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "It also starts by itself when you log in" in again.stdout
    assert run("uninstall", "--purge", env=env).returncode == 0


# Stands in for rm while scripts/uninstall runs: notes whether the tray still ran when the script
# deleted the virtualenv it runs from, then does the deleting.
RM_WITNESS = """#!/bin/sh
for arg in "$@"; do
  case "$arg" in
    */venv) if kill -0 {pid} 2>/dev/null; then echo running; else echo gone; fi >>"{log}" ;;
  esac
done
exec /bin/rm "$@"
"""


@pytest.fixture
def started_trays() -> Iterator[list[TrayProcess]]:
    trays: list[TrayProcess] = []
    try:
        yield trays
    finally:
        for tray in trays:
            tray.stop()


def install_and_start_a_tray(
    env: dict[str, str], desktop: VirtualDesktop, trays: list[TrayProcess], tmp_path: Path
) -> tuple[TrayProcess, InstanceLock]:
    """Install, then start the tray as a user does (`deepgram-tray` from PATH, in the desktop
    session) and wait for its icon; the tray and its instance lock."""
    assert run("install-and-run", "--version", env=env).returncode == 0
    tray = TrayProcess(desktop, env, tmp_path, program=["deepgram-tray"])
    trays.append(tray)
    wait_until(lambda: desktop.tray_icon_colour() == "green", what="a green icon")
    return tray, InstanceLock(Path(env["XDG_RUNTIME_DIR"]) / "deepgram-balance-tray" / "tray.lock")


@pytest.mark.display
def test_uninstall_stops_a_tray_started_from_path_before_deleting_it(
    home_env: dict[str, str],
    desktop: VirtualDesktop,
    started_trays: list[TrayProcess],
    tmp_path: Path,
) -> None:
    env = on_path(home_env)
    tray, lock = install_and_start_a_tray(env, desktop, started_trays, tmp_path)
    pid = lock.holder_pid()
    assert lock.is_held() and pid is not None

    witness = tmp_path / "witness"
    witness.mkdir()
    (witness / "rm").write_text(RM_WITNESS.format(pid=pid, log=tmp_path / "venv-deleted"))
    (witness / "rm").chmod(0o755)
    uninstalled = run("uninstall", env={**env, "PATH": f"{witness}{os.pathsep}{env['PATH']}"})
    assert uninstalled.returncode == 0, uninstalled.stdout + uninstalled.stderr
    assert f"Stopped the tray (process {pid})." in uninstalled.stdout
    assert (tmp_path / "venv-deleted").read_text() == "gone\n"
    assert tray.wait(timeout=20) == 0
    assert not lock.is_held()
    wait_until(lambda: desktop.tray_icon_colour() is None, what="the icon to go away")


@pytest.mark.display
def test_purge_after_uninstall_stops_a_tray_whose_app_is_gone(
    home_env: dict[str, str],
    desktop: VirtualDesktop,
    started_trays: list[TrayProcess],
    tmp_path: Path,
) -> None:
    """A tray left running by an older uninstall (which missed it) runs from deleted files."""
    env = on_path(home_env)
    tray, lock = install_and_start_a_tray(env, desktop, started_trays, tmp_path)
    pid = lock.holder_pid()
    app_home = Path(env["XDG_DATA_HOME"]) / "deepgram-balance-tray"
    subprocess.run(["rm", "-rf", str(app_home / "venv")], check=True)  # the older uninstall

    purged = run("uninstall", "--purge", env=env)
    assert purged.returncode == 0, purged.stdout + purged.stderr
    assert f"Stopped the tray (process {pid})." in purged.stdout
    assert tray.wait(timeout=20) in (0, -signal.SIGTERM)
    assert not lock.is_held()


@pytest.mark.keyring_daemon
def test_purge_after_uninstall_removes_the_key_from_the_secret_service(
    secret_service: None, home_env: dict[str, str]
) -> None:
    """After a plain uninstall the app (and its keyring library) is gone: purge removes the key
    with secret-tool, which talks to the same Secret Service."""
    require_tools([] if shutil.which("secret-tool") else ["secret-tool (libsecret-tools)"])
    env = on_path(home_env)
    del env["DEEPGRAM_API_KEY"]
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.SecretService.Keyring"
    env["DBUS_SESSION_BUS_ADDRESS"] = os.environ["DBUS_SESSION_BUS_ADDRESS"]  # the test keyring's
    assert run("install-and-run", "--version", env=env).returncode == 0
    stored = subprocess.run(
        ["deepgram-tray", "key", "set", "--no-verify"],
        env=env,
        input=OWNER_KEY,
        capture_output=True,
        text=True,
        check=False,
    )
    assert stored.returncode == 0, stored.stderr
    assert stored_secret() == OWNER_KEY

    assert run("uninstall", env=env).returncode == 0
    assert stored_secret() == OWNER_KEY, "a plain uninstall keeps the key"
    purged = run("uninstall", "--purge", env=env)
    assert purged.returncode == 0, purged.stderr
    assert "Removed the API key from the OS keyring." in purged.stdout
    assert stored_secret() is None
