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
PROCESS_SYSTEM_DPI_AWARE = 1
"""Windows' name for drawing at the screen's DPI as it was at start-up (Tk 8.6 cannot follow a
window to a monitor of another DPI, so it declares no more than that; IDLE declares the same)."""


def new_root() -> tk.Tk:
    """The Tk root of one of the app's windows."""
    declare_dpi_awareness()
    return tk.Tk(className=WINDOW_CLASS)


def declare_dpi_awareness() -> None:
    """On Windows, say that the process draws for the screen's real DPI, before Tk makes a window.

    Without it, Windows takes Tk for a program from before high-DPI screens: it lays the window
    out at 96 DPI and stretches the bitmap, so at the 125-200 % scaling most laptops use, every
    word is blurred. Declared, Tk sizes its fonts (given in points) for the real DPI.
    """
    if sys.platform != "win32":
        return
    import ctypes

    try:
        ctypes.OleDLL("shcore").SetProcessDpiAwareness(PROCESS_SYSTEM_DPI_AWARE)
    except OSError:
        # Refused (E_ACCESSDENIED) when awareness was declared already, by a program's manifest
        # or by Wine: the process is DPI aware either way.
        log.debug("DPI awareness was not declared", exc_info=True)


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
