"""`deepgram-tray autostart enable | disable | status`: start the tray at login, or not."""

from __future__ import annotations

import argparse

from trayapp.cli import print_out
from trayapp.desktop import autostart
from trayapp.errors import ConfigError, os_reason


def run_autostart(args: argparse.Namespace) -> int:
    try:
        if args.action == "enable":
            where = autostart.enable()
            print_out(f"The tray will start at login ({where}).\n")
        elif args.action == "disable":
            was_enabled = autostart.disable()
            print_out(
                "The tray will no longer start at login.\n"
                if was_enabled
                else "Start at login was not enabled; nothing to change.\n"
            )
        else:
            state = "enabled" if autostart.is_enabled() else "disabled"
            print_out(f"Start at login is {state}.\n")
    except OSError as exc:
        reason = os_reason(exc)
        raise ConfigError(
            f"Could not change start at login ({reason}): check the permissions of your "
            "autostart folder."
        ) from exc
    return 0
