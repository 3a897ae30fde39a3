"""Command lines that run this copy of the app, however it is installed: a PyInstaller bundle, a
pip/pipx/venv install, or a plain Python running the package.

Two different needs: `own_command` runs a subcommand as a child process (the fetch worker, the
settings window), `launch_command` is what a menu entry or start at login runs to start the tray.
On Windows they differ: children need the console program (a real stdout, and no window thanks to
CREATE_NO_WINDOW), people need the windowed one (no console window at all).
"""

from __future__ import annotations

import sys
from pathlib import Path

# The Windows bundle's two programs (packaging/deepgram-tray.spec), named like pip's launchers.
WINDOWS_CONSOLE_PROGRAM = "deepgram-tray.exe"
WINDOWS_WINDOWED_PROGRAM = "deepgram-tray-gui.exe"


def _is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))  # set by PyInstaller's bootloader


def own_command(
    *args: str,
    executable: str | None = None,
    frozen: bool | None = None,
    platform: str | None = None,
) -> list[str]:
    executable = executable or sys.executable
    frozen = _is_frozen() if frozen is None else frozen
    if frozen:  # the executable is the app
        if (platform or sys.platform) == "win32":
            console = Path(executable).with_name(WINDOWS_CONSOLE_PROGRAM)
            if console.exists():
                return [str(console), *args]
        return [executable, *args]
    return [executable, "-m", "trayapp", *args]


def launch_command(
    executable: str | None = None,
    *,
    frozen: bool | None = None,
    platform: str | None = None,
) -> list[str]:
    """The command that starts the tray, as this copy of the app is installed.

    A bundle starts itself (its windowed program on Windows); a pip/pipx/venv install has its own
    launcher next to its Python (the windowed one on Windows); otherwise the same Python runs the
    package (pythonw on Windows, for no console window).
    """
    executable = executable or sys.executable
    frozen = _is_frozen() if frozen is None else frozen
    windows = (platform or sys.platform) == "win32"
    if frozen:
        if windows:
            windowed = Path(executable).with_name(WINDOWS_WINDOWED_PROGRAM)
            if windowed.exists():
                return [str(windowed)]
        return [executable]
    scripts = Path(executable).parent
    windows_launchers = (WINDOWS_WINDOWED_PROGRAM, WINDOWS_CONSOLE_PROGRAM)
    for name in windows_launchers if windows else ("deepgram-tray",):
        launcher = scripts / name
        if launcher.exists():
            return [str(launcher)]
    if windows and Path(executable).name.lower() == "python.exe":
        pythonw = Path(executable).with_name("pythonw.exe")
        if pythonw.exists():
            executable = str(pythonw)
    return [executable, "-m", "trayapp"]
