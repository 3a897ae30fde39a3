"""High-DPI screens on Windows: a process says it draws for the real DPI, or Windows blurs it."""

from __future__ import annotations

import logging
import sys

log = logging.getLogger(__name__)

PROCESS_SYSTEM_DPI_AWARE = 1
"""Windows' name for drawing at the screen's DPI as it was at start-up (Tk 8.6 cannot follow a
window to a monitor of another DPI, so it declares no more than that; IDLE declares the same)."""


def declare_dpi_awareness() -> None:
    """On Windows, say that the process draws for the screen's real DPI, before its first window.

    Without it, Windows takes the process for a program from before high-DPI screens: it lays the
    windows (Tk's, the tray's menu) out at 96 DPI and stretches the bitmap, so at the 125-200 %
    scaling most laptops use, every word is blurred. Declared, Tk sizes its fonts (given in
    points) for the real DPI, and menus are drawn sharp.
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
