"""`deepgram-tray settings`: the settings window, in a process of its own."""

from __future__ import annotations

import argparse

from trayapp.cli import print_out
from trayapp.commands.window_guard import run_tk_window


def run_settings(args: argparse.Namespace) -> int:
    def show() -> bool:
        from trayapp.tk.settings_window import run_window

        return run_window()

    saved = run_tk_window(
        "settings", show, instead="`deepgram-tray key set` and `deepgram-tray config set`"
    )
    print_out("Settings saved.\n" if saved else "Nothing was changed.\n")
    return 0
