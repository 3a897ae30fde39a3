"""What a StatusNotifierItem host reads and sends, from the test process, over jeepney.

Any session bus: the headless one of test_sni_backend.py or the Sway desktop's. Items are named
as watchers list them: "bus.name/object/path", or a bare bus name meaning /StatusNotifierItem.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from jeepney import DBusAddress, HeaderFields, MatchRule, Message, MessageType, new_method_call
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection
from jeepney.wrappers import Properties

from tests.support.waiting import wait_until

WATCHER = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
ITEM_INTERFACE = "org.kde.StatusNotifierItem"
DEFAULT_ITEM_PATH = "/StatusNotifierItem"
DBUSMENU = "com.canonical.dbusmenu"
# What com.canonical.dbusmenu says an item's properties are when the layout leaves them out.
MENU_DEFAULTS: dict[str, Any] = {
    "label": "",
    "enabled": True,
    "type": "standard",
    "toggle-type": "",
    "toggle-state": -1,
    "visible": True,
}


@dataclass(frozen=True)
class SessionBus:
    address: str
    daemon: subprocess.Popen[bytes]


def start_session_bus() -> tuple[subprocess.Popen[bytes], str]:
    """A private session bus (its own process group): the process and its address."""
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert daemon.stdout is not None
    address = daemon.stdout.readline().decode().strip()
    daemon.stdout.close()  # it prints nothing more
    assert address, "dbus-daemon printed no address"
    return daemon, address


class SniClient:
    def __init__(self, address: str) -> None:
        self.address = address
        self.connection: DBusConnection = open_dbus_connection(address)
        self.signals: deque[Any] = deque()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.close()

    def call(self, message: Message, timeout: float = 5.0) -> tuple[Any, ...]:
        """Send a method call; the reply's body, or AssertionError with the D-Bus error."""
        reply = self.connection.send_and_get_reply(message, timeout=timeout)
        if reply.header.message_type == MessageType.error:
            raise AssertionError(f"D-Bus error calling {message.header.fields}: {reply.body}")
        return tuple(reply.body)

    def name_has_owner(self, name: str) -> bool:
        (owned,) = self.call(message_bus.NameHasOwner(name))
        return bool(owned)

    def owner(self, name: str) -> str:
        """The unique name behind a well-known one: signals carry it as their sender."""
        (unique,) = self.call(message_bus.GetNameOwner(name))
        return str(unique)

    def owner_pid(self, item: str) -> int:
        """The process id behind an item (as watchers list it)."""
        bus_name = item_address(item).bus_name
        (pid,) = self.call(message_bus.GetConnectionUnixProcessID(bus_name))
        return int(pid)

    def owner_uid(self, name: str) -> int:
        """The uid of the process that owns a bus name (e.g. the watcher, or an item's)."""
        (uid,) = self.call(message_bus.GetConnectionUnixUser(name))
        return int(uid)

    # --- the watcher ----------------------------------------------------------------------------

    def registered_items(self) -> list[str]:
        """The watcher's RegisteredStatusNotifierItems ([] while no watcher runs)."""
        if not self.name_has_owner(WATCHER):
            return []
        watcher = DBusAddress(WATCHER_PATH, bus_name=WATCHER, interface=WATCHER)
        ((_signature, items),) = self.call(Properties(watcher).get("RegisteredStatusNotifierItems"))
        return list(items)

    def wait_for_item(self, *, timeout: float = 20.0, excluding: Collection[str] = ()) -> str:
        """Wait until an item not in `excluding` is registered, and return it. (Waybar lists the
        newest first, other watchers the oldest: hence no "the last one".)"""

        def new_item() -> str | None:
            return next((i for i in self.registered_items() if i not in excluding), None)

        found = wait_until(new_item, timeout=timeout, what="a StatusNotifierItem to register")
        assert found is not None  # wait_until returns only what is truthy
        return found

    def wait_for_no_items(self, *, timeout: float = 20.0) -> None:
        wait_until(lambda: not self.registered_items(), timeout=timeout, what="no items left")

    # --- an item --------------------------------------------------------------------------------

    def item_properties(self, item: str) -> dict[str, Any]:
        """GetAll on the item's org.kde.StatusNotifierItem (what hosts read), values unwrapped."""
        (properties,) = self.call(Properties(item_address(item)).get_all())
        return {name: unwrap_variant(value) for name, value in properties.items()}

    def activate(self, item: str, x: int = 0, y: int = 0) -> None:
        """What a host sends on a left click on the icon."""
        self.call(new_method_call(item_address(item), "Activate", "ii", (x, y)))

    def introspect(self, bus_name: str, path: str) -> str:
        address = DBusAddress(
            path, bus_name=bus_name, interface="org.freedesktop.DBus.Introspectable"
        )
        (xml,) = self.call(new_method_call(address, "Introspect"))
        return str(xml)

    # --- its menu -------------------------------------------------------------------------------

    def menu_address(self, item: str) -> DBusAddress:
        """The item's com.canonical.dbusmenu object, from its Menu property."""
        menu_path = self.item_properties(item).get("Menu")
        if not menu_path or menu_path == "/":
            raise AssertionError(f"{item} has no Menu")
        return DBusAddress(menu_path, bus_name=item_address(item).bus_name, interface=DBUSMENU)

    def menu_layout(self, item: str) -> list[dict[str, Any]]:
        """The item's whole menu (GetLayout(0, -1, [])): the root's children, each a dict of its
        dbusmenu properties (the spec's defaults filled in) with "id" and "children"."""
        return self.menu_revision_and_layout(item)[1]

    def menu_revision_and_layout(self, item: str) -> tuple[int, list[dict[str, Any]]]:
        menu = self.menu_address(item)
        revision, (_root_id, _root_properties, children) = self.call(
            new_method_call(menu, "GetLayout", "iias", (0, -1, []))
        )
        return int(revision), [menu_entry(unwrap_variant(child)) for child in children]

    def menu_event(self, item: str, item_id: int, event_id: str = "clicked") -> None:
        """Event(id, event_id, int32 0, 0), as a host sends it: "clicked", "opened", "closed"."""
        menu = self.menu_address(item)
        self.call(new_method_call(menu, "Event", "isvu", (item_id, event_id, ("i", 0), 0)))

    def menu_click(self, item: str, item_id: int) -> None:
        """What a host sends when the menu entry `item_id` is clicked."""
        self.menu_event(item, item_id, "clicked")

    def menu_click_label(self, item: str, label: str) -> None:
        """Click the top-level entry whose label (mnemonic marks removed) is `label`."""
        entries = self.menu_layout(item)
        found = [e["id"] for e in entries if e["label"].replace("__", "_") == label]
        assert found, f"no menu entry {label!r} in {[e['label'] for e in entries]}"
        self.menu_click(item, found[0])

    # --- signals --------------------------------------------------------------------------------

    def listen(self, **rule: str) -> None:
        """Keep the signals matching `rule` (MatchRule's keywords) from now on, even those that
        arrive while a call waits for its reply."""
        match = MatchRule(type="signal", **rule)
        self.call(message_bus.AddMatch(match))
        self.connection.filter(match, queue=self.signals, bufsize=10_000)

    def signal_names(self, timeout: float = 0.5) -> list[str]:
        """The members of the signals kept so far, after waiting up to `timeout` for more."""
        with contextlib.suppress(TimeoutError):
            while True:
                self.connection.recv_messages(timeout=timeout)
        return [str(m.header.fields.get(HeaderFields.member)) for m in self.signals]


def item_address(item: str) -> DBusAddress:
    bus_name, slash, path = item.partition("/")
    return DBusAddress(
        f"/{path}" if slash else DEFAULT_ITEM_PATH, bus_name=bus_name, interface=ITEM_INTERFACE
    )


def unwrap_variant(value: Any) -> Any:
    """jeepney gives a variant as a (signature, value) pair: the value, with the values of a
    nested a{sv} or v unwrapped too."""
    signature, inner = value
    if signature == "v":
        return unwrap_variant(inner)
    if signature == "a{sv}":
        return {name: unwrap_variant(v) for name, v in inner.items()}
    return inner


def menu_entry(node: tuple[int, dict[str, Any], list[Any]]) -> dict[str, Any]:
    """One (ia{sv}av) dbusmenu layout node as a dict; its children likewise."""
    item_id, properties, children = node
    entry: dict[str, Any] = {"id": item_id, **MENU_DEFAULTS}
    entry.update({name: unwrap_variant(value) for name, value in properties.items()})
    entry["children"] = [menu_entry(unwrap_variant(child)) for child in children]
    return entry
