"""The applications-menu entry and icons of a pip/pipx/venv or bundle install on Linux.

Written to the user's XDG data dir (`$XDG_DATA_HOME`, else ~/.local/share), where every
freedesktop desktop (GNOME, KDE, Xfce, …) finds menu entries and theme icons. Installing writes
each file atomically and records nothing else, so uninstalling is removing exactly those files.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from trayapp.desktop.entry import DESKTOP_FILE_NAME, ICON_NAME, desktop_entry

log = logging.getLogger(__name__)


class DesktopFiles(NamedTuple):
    entry: Path
    icons: list[Path]


class Removed(NamedTuple):
    entry: Path | None  # None: there was no menu entry
    icons: list[Path]


def data_home(env: Mapping[str, str] = os.environ) -> Path:
    return Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def menu_entry_path(home: Path) -> Path:
    return home / "applications" / DESKTOP_FILE_NAME


def planned_icons(source_theme: Path, home: Path) -> list[tuple[Path, Path]]:
    """(source, destination) for every icon of ours in the shipped hicolor theme."""
    pairs = []
    for source in sorted(source_theme.glob(f"*/apps/{ICON_NAME}.*")):
        relative = source.relative_to(source_theme)
        pairs.append((source, home / "icons" / "hicolor" / relative))
    return pairs


def installed_icons(home: Path) -> list[Path]:
    return sorted((home / "icons" / "hicolor").glob(f"*/apps/{ICON_NAME}.*"))


def install(command: list[str], source_theme: Path, home: Path) -> DesktopFiles:
    from trayapp.atomic import write_atomically

    icons = []
    for source, destination in planned_icons(source_theme, home):
        write_atomically(destination, source.read_bytes())
        icons.append(destination)
    entry = menu_entry_path(home)
    write_atomically(entry, desktop_entry(command).encode("utf-8"))
    _refresh_caches(home)
    return DesktopFiles(entry, icons)


def uninstall(home: Path) -> Removed:
    """Remove the menu entry and icons, those that are there."""
    icons = installed_icons(home)
    for icon in icons:
        icon.unlink()
    entry = menu_entry_path(home)
    removed_entry: Path | None = entry
    try:
        entry.unlink()
    except FileNotFoundError:
        removed_entry = None
    _refresh_caches(home)
    return Removed(removed_entry, icons)


def is_installed(home: Path) -> bool:
    return menu_entry_path(home).exists()


def _refresh_caches(home: Path) -> None:
    """Tell menus and icon lookups about the change now rather than at next login.

    Best effort: these tools are optional (desktop-file-utils, GTK), and most desktops also
    watch the folders; a failure here never fails the install.
    """
    applications = home / "applications"
    theme = home / "icons" / "hicolor"
    tools = [("update-desktop-database", ["-q", str(applications)], applications.is_dir())]
    # Only keep an existing icon cache current: creating one would be a file nobody removes.
    has_cache = (theme / "icon-theme.cache").exists()
    tools.append(("gtk-update-icon-cache", ["-q", "-t", "-f", str(theme)], has_cache))
    for tool, args, wanted in tools:
        executable = shutil.which(tool)
        if executable is None or not wanted:
            continue
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            result = subprocess.run(
                [executable, *args], capture_output=True, timeout=30, check=False
            )
            if result.returncode != 0:
                log.debug("%s exited with %s", tool, result.returncode)
