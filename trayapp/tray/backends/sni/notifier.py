"""Desktop notifications through org.freedesktop.Notifications, on the tray's own connection.

What is sent is `notify_request`'s: the app's name and icon, a new id each time (several alerts
must all be seen, not each replace the one before), and the body escaped only for servers that
say they read markup, since the others would show `&amp;` as it is written.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

from jeepney import DBusAddress, HeaderFields, Message, MessageType, new_method_call

from trayapp.tray.backends.notify_request import NOTIFY_SIGNATURE, notify_request
from trayapp.tray.backends.sni.bus import BusLoop

log = logging.getLogger(__name__)

NOTIFICATIONS = DBusAddress(
    "/org/freedesktop/Notifications",
    bus_name="org.freedesktop.Notifications",
    interface="org.freedesktop.Notifications",
)


class Notifier:
    def __init__(
        self, bus: BusLoop, *, app_name: str, desktop_entry: str, icon: str | None = None
    ) -> None:
        """`app_name` and `desktop_entry` are `notify_request`'s (the SNI icon says them too);
        `icon`: a PNG's path, by default the app's own icon."""
        self._bus = bus
        self._app_name = app_name
        self._desktop_entry = desktop_entry
        self._icon = icon
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
            request = notify_request(
                summary, body, reads_markup=bool(self._reads_markup), icon=self._icon
            )
            request = request._replace(app_name=self._app_name)
            request.hints["desktop-entry"] = ("s", self._desktop_entry)
            message = new_method_call(NOTIFICATIONS, "Notify", NOTIFY_SIGNATURE, tuple(request))
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
