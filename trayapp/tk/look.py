"""What every window of the app shares: its icon, its theme and its window class."""

from __future__ import annotations

import logging
import sys
import tkinter as tk
from tkinter import ttk

log = logging.getLogger(__name__)

WINDOW_CLASS = "deepgram-balance-tray"
"""WM_CLASS: how desktops group the app's windows under one icon."""
ERROR_COLOUR = "#b00020"
OK_COLOUR = "#1b7f3b"


def new_root() -> tk.Tk:
    """The Tk root of one of the app's windows."""
    from trayapp.desktop.dpi import declare_dpi_awareness

    declare_dpi_awareness()
    return tk.Tk(className=WINDOW_CLASS)


def set_window_icon(root: tk.Tk) -> list[tk.PhotoImage]:
    """The app's icon in the title bar, task switcher and taskbar, where the desktop shows one."""
    from trayapp.desktop.resources import app_icon_png

    icons = [path for size in (32, 64, 128) if (path := app_icon_png(size)) is not None]
    try:
        images = [tk.PhotoImage(master=root, file=str(path)) for path in icons]
        if images:
            root.iconphoto(True, *images)
    except tk.TclError:
        log.debug("The window icon could not be loaded", exc_info=True)
        return []
    return images


def use_platform_theme(root: tk.Tk) -> None:
    """Follow the platform's look where Tk has one; 'clam' is the tidiest elsewhere (X11)."""
    style = ttk.Style(root)
    preferred = {"win32": "vista", "darwin": "aqua"}.get(sys.platform, "clam")
    if preferred in style.theme_names():
        style.theme_use(preferred)
    # HiDPI: Tk sizes fonts in points from the screen's DPI; keep its scaling at least 1.0.
    scaling = float(root.tk.call("tk", "scaling"))
    if scaling < 1.0:
        root.tk.call("tk", "scaling", 1.0)
