"""A desktop notification daemon for end-to-end tests: it owns org.freedesktop.Notifications on
the session bus it is started on and writes each notification it receives as a JSON line.

    python -m tests.support.notification_daemon LOG_FILE

It creates LOG_FILE (empty) once it owns the name, so a starter can wait for that. It runs until
it is killed, which the test's process-group clean-up does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from gi.repository import Gio, GLib

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
INTERFACE = f"""
<node>
  <interface name="{NAME}">
    <method name="Notify">
      <arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
      <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
      <arg type="a{{sv}}" direction="in"/><arg type="i" direction="in"/>
      <arg type="u" direction="out"/>
    </method>
    <method name="CloseNotification"><arg type="u" direction="in"/></method>
    <method name="GetCapabilities"><arg type="as" direction="out"/></method>
    <method name="GetServerInformation">
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
    </method>
  </interface>
</node>
"""


def main() -> None:
    log = Path(sys.argv[1])
    loop = GLib.MainLoop()
    next_id = [0]

    def on_call(
        connection: Gio.DBusConnection,
        sender: str,
        path: str,
        interface: str,
        method: str,
        parameters: GLib.Variant,
        invocation: Gio.DBusMethodInvocation,
    ) -> None:
        args: Any = parameters.unpack()
        if method == "Notify":
            app, replaces, _icon, summary, body = args[:5]
            with log.open("a", encoding="utf-8") as out:
                out.write(json.dumps({"app": app, "summary": summary, "body": body}) + "\n")
            next_id[0] += 1
            invocation.return_value(GLib.Variant("(u)", (replaces or next_id[0],)))
        elif method == "GetCapabilities":
            invocation.return_value(GLib.Variant("(as)", (["body"],)))
        elif method == "GetServerInformation":
            invocation.return_value(GLib.Variant("(ssss)", ("test", "test", "1", "1.2")))
        else:  # CloseNotification
            with log.open("a", encoding="utf-8") as out:
                out.write(json.dumps({"closed": args[0]}) + "\n")
            invocation.return_value(None)

    def on_bus(connection: Gio.DBusConnection, name: str) -> None:
        info = Gio.DBusNodeInfo.new_for_xml(INTERFACE).interfaces[0]
        connection.register_object(PATH, info, on_call, None, None)

    def on_name(connection: Gio.DBusConnection, name: str) -> None:
        log.touch()  # ready

    Gio.bus_own_name(
        Gio.BusType.SESSION,
        NAME,
        Gio.BusNameOwnerFlags.NONE,
        on_bus,
        on_name,
        lambda *a: loop.quit(),
    )
    loop.run()


if __name__ == "__main__":
    main()
