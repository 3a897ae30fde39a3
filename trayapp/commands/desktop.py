"""`deepgram-tray install-desktop | uninstall-desktop`: the applications-menu entry on Linux."""

from __future__ import annotations

import argparse
import sys

from trayapp.cli import print_out
from trayapp.errors import ConfigError, os_reason


def run_install_desktop(args: argparse.Namespace) -> int:
    from trayapp.desktop import install as desktop_install
    from trayapp.desktop.resources import hicolor_dir
    from trayapp.desktop.self_command import launch_command

    _require_freedesktop("install-desktop")
    theme = hicolor_dir()
    if theme is None:
        raise ConfigError(
            "This installation of the app is missing its icons: reinstall it, then run "
            "`deepgram-tray install-desktop` again."
        )
    try:
        installed = desktop_install.install(launch_command(), theme, desktop_install.data_home())
    except OSError as exc:
        raise _unwritable(exc) from exc
    print_out(
        f"Added Deepgram Balance to the applications menu ({installed.entry}), "
        f"with {len(installed.icons)} icon sizes.\n"
        "To start it at login too: deepgram-tray autostart enable\n"
    )
    return 0


def run_uninstall_desktop(args: argparse.Namespace) -> int:
    from trayapp.desktop import autostart
    from trayapp.desktop import install as desktop_install

    _require_freedesktop("uninstall-desktop")
    try:
        removed = desktop_install.uninstall(desktop_install.data_home())
    except OSError as exc:
        raise _unwritable(exc) from exc
    if removed.entry is None and not removed.icons:
        print_out("There was no menu entry to remove.\n")
    else:
        print_out(f"Removed the menu entry and {len(removed.icons)} icons.\n")
    if autostart.state():
        print_out("Start at login is still on: `deepgram-tray autostart disable` turns it off.\n")
    return 0


def _require_freedesktop(command: str) -> None:
    if sys.platform in ("win32", "darwin"):
        where = (
            "the installer adds the Start menu entry"
            if sys.platform == "win32"
            else "drag Deepgram Balance.app to Applications"
        )
        raise ConfigError(f"`{command}` is for Linux desktops; on this system {where}.")


def _unwritable(exc: OSError) -> ConfigError:
    reason = os_reason(exc)
    where = f" at {exc.filename}" if exc.filename else ""
    return ConfigError(
        f"Could not change the applications menu ({reason}{where}): check the permissions of "
        "your ~/.local/share folder."
    )
