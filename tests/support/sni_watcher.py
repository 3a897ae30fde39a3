"""A StatusNotifierWatcher for headless tests: what a panel's tray registers items with.

    python -m tests.support.sni_watcher LOG_FILE [refuse]

It owns org.kde.StatusNotifierWatcher on the session bus it is started on, answers as Plasma's
and Waybar's watchers do (RegisterStatusNotifierItem, RegisteredStatusNotifierItems), writes each
registration to LOG_FILE as a line (`SENDER SERVICE`), and creates LOG_FILE once it owns the name;
with `refuse`, it answers every registration with an error, as a broken panel might. It runs until
killed. Written with jeepney directly, not with the app's bus code it tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

from jeepney import HeaderFields, MessageType, new_error, new_method_call, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

NAME = "org.kde.StatusNotifierWatcher"


def main() -> None:
    log = Path(sys.argv[1])
    refuse = sys.argv[2:] == ["refuse"]
    connection = open_dbus_connection(bus="SESSION")
    reply = connection.send_and_get_reply(
        new_method_call(message_bus, "RequestName", "su", (NAME, 4))
    )
    if reply.body[0] != 1:
        raise SystemExit(f"could not own {NAME}")
    items: list[str] = []
    log.touch()
    while True:
        message = connection.receive()
        fields = message.header.fields
        if message.header.message_type is not MessageType.method_call:
            continue
        member = fields.get(HeaderFields.member)
        if member == "RegisterStatusNotifierItem":
            service = message.body[0]
            sender = fields.get(HeaderFields.sender, "")
            with log.open("a", encoding="utf-8") as out:
                out.write(f"{sender} {service}\n")
            if refuse:
                error = "org.freedesktop.DBus.Error.InvalidArgs"
                connection.send(new_error(message, error, "s", ("refused",)))
            else:
                items.append(service)
                connection.send(new_method_return(message))
        elif member == "Get" and message.body[1] == "RegisteredStatusNotifierItems":
            connection.send(new_method_return(message, "v", (("as", items),)))
        elif member == "Get" and message.body[1] == "IsStatusNotifierHostRegistered":
            connection.send(new_method_return(message, "v", (("b", True),)))
        else:
            connection.send(
                new_error(message, "org.freedesktop.DBus.Error.UnknownMethod", "s", (member,))
            )


if __name__ == "__main__":
    main()
