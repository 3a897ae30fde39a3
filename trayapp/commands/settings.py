"""`deepgram-tray settings`: the settings window, in a process of its own."""

from __future__ import annotations

import argparse

from trayapp.cli import print_out
from trayapp.errors import ConfigError


def run_settings(args: argparse.Namespace) -> int:
    try:
        import tkinter
    except ImportError:
        raise ConfigError(
            "The settings window needs Tk: install python3-tk (Debian/Ubuntu) or a Python with "
            "Tk, or use `deepgram-tray key set` and `deepgram-tray config set` instead."
        ) from None
    from trayapp.settings_window import run_window

    try:
        saved = run_window()
    except tkinter.TclError as exc:
        if "display" in str(exc).lower():
            raise ConfigError(
                "The settings window needs a graphical session (no display was found): use "
                "`deepgram-tray key set` and `deepgram-tray config set` instead."
            ) from exc
        raise
    print_out("Settings saved.\n" if saved else "Nothing was changed.\n")
    return 0
