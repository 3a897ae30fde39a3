"""How large a pystray backend shows the one image it is given, where it can tell.

pystray's backends take a single image and scale it to the panel's size themselves, which blurs
an icon drawn for whole pixels. Where the backend can say the size it shows (gtk's status icon
once a tray has embedded it; Windows' small-icon size), the tray draws its icon at that size
instead (`icon.pystray_image_size`), and redraws when the tray gives it another.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Protocol, cast

from trayapp.tray.backends import pystray_compat

log = logging.getLogger(__name__)

GTK_IMAGE_PADDING = 1
"""The pixels GTK keeps clear around a status icon's image in its window, a side."""
SM_CXSMICON = 49
"""GetSystemMetrics: the width of a small icon (the notification area's), in pixels at the
process's DPI (the app is DPI-aware: trayapp/desktop/dpi.py)."""


class SizedStatusIcon(Protocol):
    """What is used here of a Gtk.StatusIcon beyond pystray_compat.StatusIcon."""

    def is_embedded(self) -> bool: ...

    def get_size(self) -> int: ...

    def connect(self, signal: str, handler: Callable[..., bool]) -> int: ...


def shown_icon_size(backend: str, icon: object) -> int | None:
    """The size in pixels the backend shows its icon image at; None where it does not say."""
    if backend == "gtk":
        status = _status_icon(icon)
        if status is None or not status.is_embedded():
            return None  # no tray has taken it yet: it will say when one does
        # The status icon is `get_size()` px; GTK shrinks a larger image to that less a pixel of
        # padding a side, and shows a smaller one as it is.
        size = status.get_size() - 2 * GTK_IMAGE_PADDING
        return size if size > 0 else None
    if backend == "win32" and sys.platform == "win32":
        import ctypes

        size = int(ctypes.windll.user32.GetSystemMetrics(SM_CXSMICON))
        return size if size > 0 else None
    return None


def follow_size_changes(backend: str, icon: object, changed: Callable[[], None]) -> None:
    """Call `changed` (on the UI thread) whenever the tray shows the icon at another size: gtk
    only; elsewhere the size is read again at each redraw."""
    if backend != "gtk":
        return
    status = _status_icon(icon)
    if status is None:
        return

    def on_size_changed(_icon: object, _size: int) -> bool:
        changed()
        return False  # let GTK scale the image it has until the new one is set

    def on_embedded(_icon: object, _property: object) -> bool:
        changed()  # a tray that gives the size it first asked for says no size-changed
        return False

    status.connect("size-changed", on_size_changed)
    status.connect("notify::embedded", on_embedded)


def _status_icon(icon: object) -> SizedStatusIcon | None:
    status = pystray_compat.gtk_status_icon(icon)
    return None if status is None else cast(SizedStatusIcon, status)
