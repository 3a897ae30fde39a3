"""Whether the desktop prefers dark windows, asked the way each platform answers it.

- Linux and other free desktops: the XDG desktop portal's `color-scheme` setting (GNOME 42+,
  KDE Plasma 5.24+, and any desktop running xdg-desktop-portal), read over D-Bus with jeepney
  (already needed for the tray and the keyring); else a GTK_THEME such as `Adwaita:dark`.
- Windows: the "app mode" in the registry (Settings > Personalisation > Colours).
- macOS: Tk's aqua theme follows dark mode itself; asked only to pick readable text colours.

Any failure means light: a window that cannot ask is still a working window.
"""

from __future__ import annotations

import logging
import os
import sys
import tkinter as tk

log = logging.getLogger(__name__)

PORTAL_TIMEOUT = 1.0
"""Seconds to wait for the portal: a desktop that answers at all answers in milliseconds."""


def prefers_dark(root: tk.Misc) -> bool:
    try:
        if sys.platform == "darwin":
            return bool(root.tk.call("::tk::unsupported::MacWindowStyle", "isdark", root))
        if sys.platform == "win32":
            return _windows_prefers_dark()
        portal = _portal_colour_scheme()
    except Exception:  # a look, not a function: never let it keep the window from opening
        log.debug("Could not tell whether the desktop prefers dark windows", exc_info=True)
        return False
    if portal is not None:
        return portal
    return dark_gtk_theme(os.environ.get("GTK_THEME", ""))


def dark_from_portal_value(value: object) -> bool | None:
    """The portal's `color-scheme`: 1 prefers dark, 2 prefers light, 0 says nothing (None).

    `Read` wraps the number in one variant more than `ReadOne` does (some portals in two);
    jeepney gives a variant as a (signature, value) pair.
    """
    while isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        value = value[1]
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return {1: True, 2: False}.get(value)


def dark_gtk_theme(name: str) -> bool:
    """GTK_THEME=Adwaita:dark, or a theme named for its dark form (Adwaita-dark)."""
    lowered = name.strip().lower()
    return lowered.endswith((":dark", "-dark"))


def _portal_colour_scheme() -> bool | None:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return None
    from jeepney import DBusAddress, MessageType, new_method_call
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    name = "org.freedesktop.portal.Desktop"
    settings = "org.freedesktop.portal.Settings"
    portal = DBusAddress("/org/freedesktop/portal/desktop", bus_name=name, interface=settings)
    with open_dbus_connection(bus="SESSION") as connection:
        # Only a portal already running: starting one on demand can take many seconds.
        (running,) = connection.send_and_get_reply(
            message_bus.NameHasOwner(name), timeout=PORTAL_TIMEOUT
        ).body
        if not running:
            return None
        read = new_method_call(portal, "Read", "ss", ("org.freedesktop.appearance", "color-scheme"))
        reply = connection.send_and_get_reply(read, timeout=PORTAL_TIMEOUT)
    if reply.header.message_type == MessageType.error:
        return None  # an older portal without the appearance namespace
    return dark_from_portal_value(reply.body[0] if reply.body else None)


def _windows_prefers_dark() -> bool:
    if sys.platform != "win32":
        return False
    import winreg

    key = r"Software\Microsoft\Windows\CurrentVersion\Themes\Personalize"
    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as personalize:
            value, _ = winreg.QueryValueEx(personalize, "AppsUseLightTheme")
    except OSError:
        return False  # before Windows 10 1809: no dark mode for apps
    return bool(value == 0)
