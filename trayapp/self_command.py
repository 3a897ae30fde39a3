"""How to run this app's own subcommands as child processes, installed or bundled."""

from __future__ import annotations

import sys


def own_command(*args: str) -> list[str]:
    if getattr(sys, "frozen", False):  # a PyInstaller bundle: the executable is the app
        return [sys.executable, *args]
    return [sys.executable, "-m", "trayapp", *args]
