"""The StatusNotifierWatcher: the panel-side service an item registers with.

A panel with an SNI tray (Plasma, GNOME's extension, Waybar...) owns its name on the session bus.
The tray asks before choosing this backend, and watches the name to register again whenever a
panel (re)starts.
"""

from __future__ import annotations

import contextlib

WATCHER_NAME = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
WATCHER_INTERFACE = "org.kde.StatusNotifierWatcher"

PROBE_TIMEOUT = 2.0
"""Seconds to connect and ask: a session bus answers in milliseconds, a hung one must not stall
the tray's start."""


def watcher_present() -> bool:
    """Whether a StatusNotifierWatcher is on the session bus; False without a session bus."""
    try:
        from jeepney import new_method_call
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection
    except ImportError:  # jeepney comes with the app on Linux; elsewhere there is no SNI
        return False
    try:
        connection = open_dbus_connection(bus="SESSION", auth_timeout=PROBE_TIMEOUT)
    except Exception:  # no DBUS_SESSION_BUS_ADDRESS, refused, timed out...
        return False
    with contextlib.closing(connection):
        try:
            reply = connection.send_and_get_reply(
                new_method_call(message_bus, "NameHasOwner", "s", (WATCHER_NAME,)),
                timeout=PROBE_TIMEOUT,
            )
        except Exception:
            return False
        return bool(reply.body and reply.body[0] is True)
