"""Desktop notifications through org.freedesktop.Notifications, on the tray's own connection.

Each notification gets its own id (replaces_id 0): several alerts raised together must all be
seen, not each replace the one before. The body is escaped only for servers that say they read
markup, since the others would show `&amp;` as it is written.
"""

from __future__ import annotations

import html
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from jeepney import DBusAddress, HeaderFields, Message, MessageType, new_method_call

from trayapp.tray.backends.sni.bus import BusLoop

log = logging.getLogger(__name__)

NOTIFICATIONS = DBusAddress(
    "/org/freedesktop/Notifications",
    bus_name="org.freedesktop.Notifications",
    interface="org.freedesktop.Notifications",
)


class Notifier:
    def __init__(self, bus: BusLoop, *, app_name: str, desktop_entry: str) -> None:
        self._bus = bus
        self._app_name = app_name
        self._desktop_entry = desktop_entry
        self._reads_markup: bool | None = None
        self._waiting: list[tuple[str, str]] = []
        self.shown: deque[int] = deque(maxlen=32)
        """The ids of recent notifications, to close them (bounded: a tray runs for months)."""

    def notify(self, summary: str, body: str) -> None:
        """Show a notification (on the loop's thread); a server's failure is logged."""
        self._waiting.append((summary, body))
        if self._reads_markup is None:
            if len(self._waiting) == 1:  # the first asks; the others wait with it
                self._bus.call(
                    new_method_call(NOTIFICATIONS, "GetCapabilities"), self._on_capabilities
                )
            return
        self._send_waiting()

    def close_all(self) -> None:
        for notification_id in self.shown:
            close = new_method_call(NOTIFICATIONS, "CloseNotification", "u", (notification_id,))
            self._bus.call(close)
        self.shown.clear()

    def _on_capabilities(self, reply: Message) -> None:
        (capabilities,) = reply.body if _succeeded(reply) else ([],)  # signature "as"
        self._reads_markup = "body-markup" in capabilities
        self._send_waiting()

    def _send_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        for summary, body in waiting:
            text = html.escape(body, quote=False) if self._reads_markup else body
            hints: dict[str, tuple[str, Any]] = {
                "desktop-entry": ("s", self._desktop_entry),
                "urgency": ("y", 1),
            }
            message = new_method_call(
                NOTIFICATIONS,
                "Notify",
                "susssasa{sv}i",
                (self._app_name, 0, "", summary, text, [], hints, -1),
            )
            self._bus.call(message, self._on_shown(summary))

    def _on_shown(self, summary: str) -> Callable[[Message], None]:
        def record(reply: Message) -> None:
            if _succeeded(reply):
                (notification_id,) = reply.body  # signature "u"
                self.shown.append(int(notification_id))
            else:
                log.warning(
                    "Could not show a notification (%s): %s",
                    reply.header.fields.get(HeaderFields.error_name, "no answer"),
                    summary,
                )

        return record


def _succeeded(reply: Message) -> bool:
    return bool(reply.header.message_type is MessageType.method_return)
