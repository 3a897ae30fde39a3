"""What the app sends org.freedesktop.Notifications' Notify, whichever connection sends it. Pure.

The SNI backend sends it over its jeepney connection (`sni/notifier.py`), the gtk and appindicator
backends over Gio (`glib_notify.py`); both send the same: the app's name (servers show it, and
group and silence notifications by it), a fresh id each time (replaces_id 0: alerts sent in a row
must not replace each other), the app's own icon by its path (not the tray icon's file, which
shows whatever the tray shows at that moment, a refresh mark included), and the desktop entry.
"""

from __future__ import annotations

import html
from typing import Any, NamedTuple

from trayapp import APP_NAME

SHOWN_NAME = "Deepgram Balance"
"""The name people see for the app (its desktop entry's Name)."""
NOTIFY_SIGNATURE = "susssasa{sv}i"
URGENCY_NORMAL = 1


class NotifyRequest(NamedTuple):
    """Notify's arguments; hints as (signature, value) pairs, for the sender to wrap."""

    app_name: str
    replaces_id: int
    app_icon: str
    summary: str
    body: str
    actions: list[str]
    hints: dict[str, tuple[str, Any]]
    expire_timeout: int


def notify_request(
    summary: str, body: str, *, reads_markup: bool, icon: str | None = None
) -> NotifyRequest:
    """Notify's arguments for one notification. The body is escaped only for a server that says
    it reads markup (the others would show `&amp;` as written); `icon`: a PNG's path, by default
    the app's own icon where it is installed ("" where none is: the server's default)."""
    text = html.escape(body, quote=False) if reads_markup else body
    hints = {"desktop-entry": ("s", APP_NAME), "urgency": ("y", URGENCY_NORMAL)}
    shown_icon = app_icon() if icon is None else icon
    return NotifyRequest(SHOWN_NAME, 0, shown_icon, summary, text, [], hints, -1)


def app_icon() -> str:
    """The app's icon file (64 px, what servers scale to their size), or "" when not installed."""
    from trayapp.desktop.resources import app_icon_png

    path = app_icon_png(64)
    return str(path) if path is not None else ""
