"""Where the app's icons are, however it is installed.

- a PyInstaller bundle: `assets/` inside the bundle (packaging/deepgram-tray.spec puts it there);
- a wheel (pip, pipx): `trayapp/assets/` (pyproject.toml force-includes it);
- a source checkout or an editable install: the repository's `assets/`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from trayapp import APP_NAME

SOURCE_ICON = f"{APP_NAME}.svg"


def assets_dir() -> Path | None:
    package = Path(__file__).resolve().parent.parent  # trayapp/, from trayapp/desktop/
    candidates = [package / "assets", package.parent / "assets"]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.insert(0, Path(bundle) / "assets")
    for candidate in candidates:
        if (candidate / SOURCE_ICON).is_file():
            return candidate
    return None


def hicolor_dir() -> Path | None:
    """The freedesktop icon theme folder (hicolor/<size>/apps/…) that ships with the app."""
    assets = assets_dir()
    if assets is None:
        return None
    theme = assets / "linux" / "hicolor"
    return theme if theme.is_dir() else None


def app_icon_png(size: int = 64) -> Path | None:
    theme = hicolor_dir()
    if theme is None:
        return None
    path = theme / f"{size}x{size}" / "apps" / f"{APP_NAME}.png"
    return path if path.is_file() else None
