"""`deepgram-tray settings`: the settings window, in a process of its own."""

from __future__ import annotations

import argparse

from trayapp.cli import print_out
from trayapp.commands.window_guard import run_tk_window


def run_settings(args: argparse.Namespace) -> int:
    account: str = args.account
    if account != "default":
        # An account the config does not name is said before any window opens (exit 2, as the
        # other --account flags); the default account's window opens even on a broken config,
        # which it then explains.
        from trayapp.accounts import account_named, load_accounts

        account = account_named(load_accounts(), account).name

    def show() -> bool:
        from trayapp.tk.settings_window import run_window

        return run_window(account)

    saved = run_tk_window(
        "settings", show, instead="`deepgram-tray key set` and `deepgram-tray config set`"
    )
    print_out("Settings saved.\n" if saved else "Nothing was changed.\n")
    return 0
