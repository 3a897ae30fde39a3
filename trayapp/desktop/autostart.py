"""Start at login, per OS: an XDG autostart entry (Linux), the HKCU Run key (Windows), a LaunchAgent
(macOS), each pointing at how the app is actually installed (bundle, pipx or venv, plain Python).

What each writes is computed by pure functions (tested on every OS); only `enable`, `disable` and
`is_enabled` touch the system.
"""

from __future__ import annotations

import os
import plistlib
import sys
from collections.abc import Mapping
from pathlib import Path

from trayapp.desktop.entry import DESKTOP_FILE_NAME, desktop_entry
from trayapp.desktop.self_command import launch_command

LAUNCH_AGENT_LABEL = "com.github.deepgram-balance-tray"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE_NAME = "Deepgram Balance Tray"


# --- Linux: XDG autostart ---------------------------------------------------------------------


def xdg_autostart_path(env: Mapping[str, str] = os.environ) -> Path:
    config_home = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "autostart" / DESKTOP_FILE_NAME


# --- macOS: a LaunchAgent ---------------------------------------------------------------------


def launch_agent_path() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"


def launch_agent_plist(command: list[str]) -> bytes:
    return plistlib.dumps(
        {
            "Label": LAUNCH_AGENT_LABEL,
            "ProgramArguments": command,
            "RunAtLoad": True,
            "ProcessType": "Interactive",
        }
    )


# --- Windows: the HKCU Run key ------------------------------------------------------------------


def windows_run_value(command: list[str]) -> str:
    """The Run key's command line: every part quoted, as Windows expects for paths with spaces."""
    import subprocess

    return subprocess.list2cmdline(command) if len(command) > 1 else f'"{command[0]}"'


# --- acting on this system --------------------------------------------------------------------


def is_enabled() -> bool:
    if sys.platform == "win32":
        return _windows_run_value() is not None
    path = launch_agent_path() if sys.platform == "darwin" else xdg_autostart_path()
    return path.exists()


def state() -> bool | None:
    """Whether the tray starts at login; None when that cannot be read (then offer no tick)."""
    try:
        return is_enabled()
    except OSError:
        return None


def set_enabled(enabled: bool) -> None:
    if enabled:
        enable()
    else:
        disable()


def enable() -> str:
    """Start the tray at login from now on; returns where that was recorded."""
    from trayapp.atomic import write_atomically

    command = launch_command()
    if sys.platform == "win32":
        _set_windows_run_value(windows_run_value(command))
        return f"HKEY_CURRENT_USER\\{RUN_KEY}"
    if sys.platform == "darwin":
        path = launch_agent_path()
        write_atomically(path, launch_agent_plist(command))
        return str(path)
    path = xdg_autostart_path()
    write_atomically(path, desktop_entry(command, autostart=True).encode("utf-8"))
    return str(path)


def disable() -> bool:
    """Stop starting at login; False when it was not enabled."""
    if sys.platform == "win32":
        return _delete_windows_run_value()
    path = launch_agent_path() if sys.platform == "darwin" else xdg_autostart_path()
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


if sys.platform == "win32":  # mypy checks this branch only when checking for Windows
    import winreg

    def _windows_run_value() -> str | None:
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                value, _ = winreg.QueryValueEx(key, RUN_VALUE_NAME)
                return str(value)
        except FileNotFoundError:
            return None

    def _set_windows_run_value(value: str) -> None:
        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            winreg.SetValueEx(key, RUN_VALUE_NAME, 0, winreg.REG_SZ, value)

    def _delete_windows_run_value() -> bool:
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, RUN_VALUE_NAME)
        except FileNotFoundError:
            return False
        return True

else:

    def _windows_run_value() -> str | None:
        raise NotImplementedError("the Run key exists on Windows only")

    def _set_windows_run_value(value: str) -> None:
        raise NotImplementedError("the Run key exists on Windows only")

    def _delete_windows_run_value() -> bool:
        raise NotImplementedError("the Run key exists on Windows only")
