"""The desktop portal's appearance setting, for tests: a desktop that prefers dark or light.

    python -m tests.support.appearance_portal READY_FILE SCHEME

It owns org.freedesktop.portal.Desktop on the session bus it is started on and answers the
Settings interface's Read and ReadOne for `org.freedesktop.appearance color-scheme` with SCHEME
(0 no preference, 1 dark, 2 light) as xdg-desktop-portal does (Read: the number in two variants);
anything else gets the portal's "not found" error. It creates READY_FILE once it owns the name,
and runs until killed. Written with jeepney directly, not with the app's code it tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

from jeepney import HeaderFields, MessageType, new_error, new_method_call, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

NAME = "org.freedesktop.portal.Desktop"
NOT_FOUND = "org.freedesktop.portal.Error.NotFound"


def main() -> None:
    ready, scheme = Path(sys.argv[1]), int(sys.argv[2])
    connection = open_dbus_connection(bus="SESSION")
    reply = connection.send_and_get_reply(
        new_method_call(message_bus, "RequestName", "su", (NAME, 4))
    )
    if reply.body[0] != 1:
        raise SystemExit(f"could not own {NAME}")
    ready.touch()
    while True:
        message = connection.receive()
        if message.header.message_type is not MessageType.method_call:
            continue
        member = message.header.fields.get(HeaderFields.member)
        asked = tuple(message.body[:2])
        if asked != ("org.freedesktop.appearance", "color-scheme"):
            connection.send(new_error(message, NOT_FOUND, "s", ("no such setting",)))
        elif member == "Read":
            connection.send(new_method_return(message, "v", (("v", ("u", scheme)),)))
        elif member == "ReadOne":
            connection.send(new_method_return(message, "v", (("u", scheme),)))
        else:
            error = "org.freedesktop.DBus.Error.UnknownMethod"
            connection.send(new_error(message, error, "s", (str(member),)))


if __name__ == "__main__":
    main()
