"""Desktop notifications for pystray's gtk and appindicator backends, over Gio on their GLib loop.

pystray's own notifier sends an empty app name, the tray icon's current file as the icon (a
refresh mark and all), and its previous notification's id as the one to replace, so of several
alerts in a row only the last is seen. This one sends `notify_request`'s arguments, as the SNI
backend does. Everything here runs on the GLib loop's thread; replies come back on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from trayapp.tray.backends.notify_request import NOTIFY_SIGNATURE, notify_request

log = logging.getLogger(__name__)

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"


class GioNotifier:
    def __init__(self) -> None:
        from gi.repository import Gio

        self._bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        self._reads_markup: bool | None = None
        self._waiting: list[tuple[str, str]] = []

    def notify(self, summary: str, body: str) -> None:
        """Show a notification; a server's failure is logged. The first asks the server whether
        it reads markup, and those sent before it answers wait for the answer."""
        self._waiting.append((summary, body))
        if self._reads_markup is not None:
            self._send_waiting()
        elif len(self._waiting) == 1:
            self._call("GetCapabilities", None, self._on_capabilities)

    def _on_capabilities(self, reply: Any) -> None:
        capabilities = reply.unpack()[0] if reply is not None else []
        self._reads_markup = "body-markup" in capabilities
        self._send_waiting()

    def _send_waiting(self) -> None:
        from gi.repository import GLib

        waiting, self._waiting = self._waiting, []
        for summary, body in waiting:
            request = notify_request(summary, body, reads_markup=bool(self._reads_markup))
            hints = {k: GLib.Variant(sig, value) for k, (sig, value) in request.hints.items()}
            arguments = GLib.Variant(f"({NOTIFY_SIGNATURE})", (*request[:6], hints, request[7]))
            self._call("Notify", arguments, lambda reply: None, what=summary)

    def _call(
        self, method: str, arguments: Any, on_reply: Callable[[Any], None], *, what: str = ""
    ) -> None:
        """Call `method` without waiting; `on_reply` gets the reply, or None when it failed."""
        from gi.repository import Gio

        def finished(bus: Any, result: Any) -> None:
            try:
                reply = bus.call_finish(result)
            except Exception as exc:  # GLib.Error: no server, or it refused
                log.warning("Could not show a notification (%s failed: %s) %s", method, exc, what)
                reply = None
            on_reply(reply)

        self._bus.call(
            NAME, PATH, NAME, method, arguments, None, Gio.DBusCallFlags.NONE, 10_000, None,
            finished,
        )  # fmt: skip
