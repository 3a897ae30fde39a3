"""The StatusNotifierItem tray icon, as a pystray Icon: what the app drives on SNI desktops.

The item owns a name of its own on the session bus (`org.kde.StatusNotifierItem-PID-1`), exports
the item and its menu, registers with the panel's watcher, and registers again whenever a panel
takes the watcher's name (a panel restart, or a panel started after the tray). Its UI thread is
the bus loop: pystray calls `_run` on the thread that runs the tray, and every change the app makes
arrives there through `run_on_ui_thread`.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import Any

from jeepney import DBusAddress, HeaderFields, MatchRule, Message, MessageType, new_method_call
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

from trayapp import APP_NAME
from trayapp.errors import TrayUnavailableError
from trayapp.tray.backends.interface import Action, IconDetails
from trayapp.tray.backends.pystray_compat import icon_base_class, import_pystray
from trayapp.tray.backends.sni.bus import BusLoop
from trayapp.tray.backends.sni.interfaces import (
    ITEM_INTERFACE,
    ITEM_PATH,
    MENU_INTERFACE,
    MENU_PATH,
    DBusMenuInterface,
    StatusNotifierItem,
    changed_signals,
)
from trayapp.tray.backends.sni.menu import DBusMenu, LayoutChanged, PropertiesChanged
from trayapp.tray.backends.sni.notifier import Notifier
from trayapp.tray.backends.sni.pixmaps import pixmaps
from trayapp.tray.backends.sni.watcher import WATCHER_INTERFACE, WATCHER_NAME, WATCHER_PATH

log = logging.getLogger(__name__)

_pystray = import_pystray()
IconBase: Any = icon_base_class()
WATCHER = DBusAddress(WATCHER_PATH, bus_name=WATCHER_NAME, interface=WATCHER_INTERFACE)
DO_NOT_QUEUE = 4
"""RequestName's flag: fail at once rather than wait in line for a name another process owns."""
PRIMARY_OWNER = 1


class Icon(IconBase):  # type: ignore[misc]  # pystray is untyped
    """Everything pystray's base Icon says a backend may have (default action, menu, radio
    items, notifications), which is what its HAS_* flags already say."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._visible = False  # pystray's __del__ reads it, even when connecting fails below
        self._details: IconDetails | None = None
        self._registered = False
        self._bus = BusLoop(_connect())
        self.bus_name = f"org.kde.StatusNotifierItem-{os.getpid()}-1"
        self._item = StatusNotifierItem(APP_NAME, activate=self._on_activate)
        self._dbusmenu = DBusMenu(separator=_pystray.Menu.SEPARATOR)
        self._bus.export(ITEM_PATH, self._item)
        self._bus.export(MENU_PATH, DBusMenuInterface(self._dbusmenu, clicked=self._on_clicked))
        self._notifier = Notifier(self._bus, app_name="Deepgram Balance", desktop_entry=APP_NAME)
        try:
            self._claim_name()
            self._bus.add_match(_owner_changes(WATCHER_NAME), self._on_watcher_changed)
            (owned,) = self._bus.call_blocking(
                new_method_call(message_bus, "NameHasOwner", "s", (WATCHER_NAME,))
            )
        except BaseException:
            self._bus.close()  # it will never run: nothing else would close it
            raise
        self._watcher_present = bool(owned)
        super().__init__(*args, **kwargs)

    def _claim_name(self) -> None:
        reply = self._bus.call_blocking(
            new_method_call(message_bus, "RequestName", "su", (self.bus_name, DO_NOT_QUEUE))
        )
        (answer,) = reply
        if answer != PRIMARY_OWNER:
            raise TrayUnavailableError(
                f"Another program holds the tray's D-Bus name {self.bus_name}: quit it and "
                "start the tray again."
            )

    # --- what the app uses beyond pystray ---------------------------------------------------------

    def run_on_ui_thread(self, action: Action) -> None:
        self._bus.call_soon(action)

    def show_details(self, details: IconDetails) -> None:
        """The tooltip's heading and body, and whether the state asks for attention."""
        self._details = details
        self._set_look(
            status=self._status(),
            tooltip_heading=details.heading,
            tooltip_body=details.body,
        )

    def tray_host_found(self) -> bool:
        """Whether a panel has taken the icon (a watcher owns its name and accepted ours)."""
        return self._registered

    # --- pystray's backend interface --------------------------------------------------------------

    def _show(self) -> None:
        self._set_look(
            status=self._status(visible=True), title=self.title, tooltip_heading=self._heading()
        )
        self._register()

    def _hide(self) -> None:
        self._set_look(status="Passive")

    def _update_icon(self) -> None:
        draw = self._details.draw if self._details is not None else None
        self._set_look(pixmaps=pixmaps(self.icon, draw))
        self._icon_valid = True

    def _update_title(self) -> None:
        self._set_look(title=self.title, tooltip_heading=self._heading())

    def _update_menu(self) -> None:
        change = self._dbusmenu.set_menu(self.menu.items if self.menu else [])
        if isinstance(change, LayoutChanged):
            self._bus.emit(MENU_PATH, MENU_INTERFACE, "LayoutUpdated", "ui", change.revision, 0)
        elif isinstance(change, PropertiesChanged):
            self._bus.emit(
                MENU_PATH,
                MENU_INTERFACE,
                "ItemsPropertiesUpdated",
                "a(ia{sv})a(ias)",
                change.updated,
                [],
            )

    def _notify(self, message: str, title: str | None = None) -> None:
        self._notifier.notify(title or self.title, message)

    def _remove_notification(self) -> None:
        self._notifier.close_all()

    def _run(self) -> None:
        self._mark_ready()
        self._bus.run()

    def _stop(self) -> None:
        self._bus.stop()

    # --- the look ---------------------------------------------------------------------------------

    def _heading(self) -> str:
        """The tooltip's heading: the app's, or pystray's title where no app gave details."""
        return self._details.heading if self._details is not None else str(self.title)

    def _status(self, visible: bool | None = None) -> str:
        if not (self.visible if visible is None else visible):
            return "Passive"
        attention = self._details is not None and self._details.needs_attention
        return "NeedsAttention" if attention else "Active"

    def _set_look(self, **changes: Any) -> None:
        before = self._item.look
        after = dataclasses.replace(before, **changes)
        self._item.look = after
        for signal in changed_signals(before, after):
            if signal == "NewStatus":
                self._bus.emit(ITEM_PATH, ITEM_INTERFACE, signal, "s", after.status)
            else:
                self._bus.emit(ITEM_PATH, ITEM_INTERFACE, signal)

    # --- the panel -----------------------------------------------------------------------------

    def _register(self) -> None:
        if not self._watcher_present:
            log.info("No StatusNotifierWatcher yet: the icon registers when a panel starts one")
            return
        message = new_method_call(WATCHER, "RegisterStatusNotifierItem", "s", (self.bus_name,))
        self._bus.call(message, self._on_registered)

    def _on_registered(self, reply: Message) -> None:
        self._registered = reply.header.message_type is MessageType.method_return
        if self._registered:
            log.info("The panel's StatusNotifierWatcher took the icon")
        else:
            error = reply.header.fields.get(HeaderFields.error_name, "")
            log.warning(
                "The panel's StatusNotifierWatcher refused the icon: %s %s", error, reply.body
            )

    def _on_watcher_changed(self, signal: Message) -> None:
        _name, _old, new = signal.body
        self._watcher_present = bool(new)
        self._registered = False
        if new and self.visible:
            log.info("A panel took the StatusNotifierWatcher name: registering the icon there")
            self._register()
        elif not new:
            log.info("The panel's StatusNotifierWatcher went away: waiting for it to come back")

    # --- what hosts ask -------------------------------------------------------------------------

    def _on_activate(self) -> None:
        """A left click: what the menu's default item does (pystray's way; here Refresh now)."""
        self()

    def _on_clicked(self, item: Any) -> None:
        try:
            item(self)
        finally:
            self.update_menu()


def _connect() -> Any:
    try:
        return open_dbus_connection(bus="SESSION")
    except Exception as exc:
        raise TrayUnavailableError(
            f"Could not reach the session D-Bus for the tray ({type(exc).__name__}): start the "
            "tray from your desktop session."
        ) from None


def _owner_changes(name: str) -> MatchRule:
    rule = MatchRule(
        type="signal",
        sender="org.freedesktop.DBus",
        interface="org.freedesktop.DBus",
        member="NameOwnerChanged",
        path="/org/freedesktop/DBus",
    )
    rule.add_arg_condition(0, name)
    return rule
