"""The two interfaces the tray exports: org.kde.StatusNotifierItem and com.canonical.dbusmenu.

Each holds what hosts read (properties, layout) and turns their calls into the icon's callbacks;
the bus loop sends and receives. Specs: freedesktop.org's StatusNotifierItem and libdbusmenu's
com.canonical.dbusmenu.xml (version 3).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trayapp.tray.backends.sni.bus import INVALID_ARGS, DBusError, Method, Variant
from trayapp.tray.backends.sni.menu import DBusMenu
from trayapp.tray.backends.sni.pixmaps import Pixmap

ITEM_PATH = "/StatusNotifierItem"
MENU_PATH = "/MenuBar"
ITEM_INTERFACE = "org.kde.StatusNotifierItem"
MENU_INTERFACE = "com.canonical.dbusmenu"


@dataclass
class ItemLook:
    """What the item shows; each field has a signal that tells hosts it changed."""

    title: str = ""
    status: str = "Active"
    """Passive (hidden), Active, or NeedsAttention (hosts show it prominently)."""
    pixmaps: list[Pixmap] = field(default_factory=list)
    tooltip_heading: str = ""
    tooltip_body: str = ""


LOOK_SIGNALS: dict[str, tuple[str, ...]] = {
    "title": ("NewTitle",),
    "status": ("NewStatus",),
    "pixmaps": ("NewIcon", "NewAttentionIcon"),
    "tooltip_heading": ("NewToolTip",),
    "tooltip_body": ("NewToolTip",),
}
"""For each field of ItemLook: the signals a change to it sends."""


def changed_signals(before: ItemLook, after: ItemLook) -> list[str]:
    """The signals that announce the difference, each once, in a stable order."""
    names: list[str] = []
    for name, signals in LOOK_SIGNALS.items():
        if getattr(before, name) != getattr(after, name):
            names += [s for s in signals if s not in names]
    return names


class StatusNotifierItem:
    interface = ITEM_INTERFACE

    def __init__(self, item_id: str, activate: Callable[[], None]) -> None:
        self.item_id = item_id
        self.look = ItemLook()
        self._activate = activate

    def properties(self) -> dict[str, Variant]:
        look = self.look
        return {
            "Category": ("s", "ApplicationStatus"),
            "Id": ("s", self.item_id),
            "Title": ("s", look.title),
            "Status": ("s", look.status),
            "WindowId": ("i", 0),
            "IconThemePath": ("s", ""),
            "IconName": ("s", ""),
            "IconPixmap": ("a(iiay)", look.pixmaps),
            "OverlayIconName": ("s", ""),
            "OverlayIconPixmap": ("a(iiay)", []),
            "AttentionIconName": ("s", ""),
            # The same picture: hosts that swap in the attention icon keep showing the amount.
            "AttentionIconPixmap": ("a(iiay)", look.pixmaps),
            "AttentionMovieName": ("s", ""),
            "ToolTip": ("(sa(iiay)ss)", ("", [], look.tooltip_heading, tooltip_markup(look))),
            "ItemIsMenu": ("b", False),
            "Menu": ("o", MENU_PATH),
        }

    def methods(self) -> dict[str, Method]:
        def activate(x: int, y: int) -> tuple[()]:
            self._activate()
            return ()

        def ignore(*args: object) -> tuple[()]:
            return ()

        return {
            "Activate": Method("ii", "", activate),
            "SecondaryActivate": Method("ii", "", ignore),
            # Hosts open the exported menu themselves; ContextMenu is for items without one.
            "ContextMenu": Method("ii", "", ignore),
            "Scroll": Method("is", "", ignore),
            # Plasma 6 hands a token before Activate, for windows the click opens.
            "ProvideXdgActivationToken": Method("s", "", ignore),
        }

    def introspection(self) -> str:
        return ITEM_INTROSPECTION


def tooltip_markup(look: ItemLook) -> str:
    """The spec lets hosts read the body as markup: text from the server must not become tags."""
    return html.escape(look.tooltip_body, quote=False)


class DBusMenuInterface:
    interface = MENU_INTERFACE

    def __init__(self, menu: DBusMenu, clicked: Callable[[Any], None]) -> None:
        self.menu = menu
        self._clicked = clicked

    def properties(self) -> dict[str, Variant]:
        return {
            "Version": ("u", 3),
            "TextDirection": ("s", "ltr"),
            "Status": ("s", "normal"),
            "IconThemePath": ("as", []),
        }

    def methods(self) -> dict[str, Method]:
        menu = self.menu

        def get_layout(parent: int, depth: int, names: list[str]) -> tuple[Any, ...]:
            layout = menu.layout(parent, depth, names)
            if layout is None:
                raise DBusError(INVALID_ARGS, f"No menu item {parent}")
            return layout

        def get_group_properties(ids: list[int], names: list[str]) -> tuple[Any, ...]:
            return (menu.group_properties(ids, names),)

        def get_property(node_id: int, name: str) -> tuple[Any, ...]:
            node = menu.node(node_id)
            if node is None or name not in node.properties:
                raise DBusError(INVALID_ARGS, f"No property {name} on menu item {node_id}")
            return (node.properties[name],)

        def event(node_id: int, event_id: str, data: object, timestamp: int) -> tuple[()]:
            if event_id == "clicked":
                item = menu.item(node_id)
                if item is None:
                    raise DBusError(INVALID_ARGS, f"No menu item {node_id}")
                self._clicked(item)
            return ()

        def event_group(events: list[tuple[int, str, object, int]]) -> tuple[Any, ...]:
            missing = [e[0] for e in events if menu.item(e[0]) is None and e[0] != 0]
            for node_id, event_id, data, timestamp in events:
                if node_id not in missing:
                    event(node_id, event_id, data, timestamp)
            return (missing,)

        def about_to_show(node_id: int) -> tuple[bool]:
            return (False,)  # the menu is kept current as states arrive: nothing to rebuild

        def about_to_show_group(ids: list[int]) -> tuple[list[int], list[int]]:
            return [], [i for i in ids if menu.node(i) is None]

        return {
            "GetLayout": Method("iias", "u(ia{sv}av)", get_layout),
            "GetGroupProperties": Method("aias", "a(ia{sv})", get_group_properties),
            "GetProperty": Method("is", "v", get_property),
            "Event": Method("isvu", "", event),
            "EventGroup": Method("a(isvu)", "ai", event_group),
            "AboutToShow": Method("i", "b", about_to_show),
            "AboutToShowGroup": Method("ai", "aiai", about_to_show_group),
        }

    def introspection(self) -> str:
        return MENU_INTROSPECTION


ITEM_INTROSPECTION = """<interface name="org.kde.StatusNotifierItem">
<property name="Category" type="s" access="read"/>
<property name="Id" type="s" access="read"/>
<property name="Title" type="s" access="read"/>
<property name="Status" type="s" access="read"/>
<property name="WindowId" type="i" access="read"/>
<property name="IconThemePath" type="s" access="read"/>
<property name="IconName" type="s" access="read"/>
<property name="IconPixmap" type="a(iiay)" access="read"/>
<property name="OverlayIconName" type="s" access="read"/>
<property name="OverlayIconPixmap" type="a(iiay)" access="read"/>
<property name="AttentionIconName" type="s" access="read"/>
<property name="AttentionIconPixmap" type="a(iiay)" access="read"/>
<property name="AttentionMovieName" type="s" access="read"/>
<property name="ToolTip" type="(sa(iiay)ss)" access="read"/>
<property name="ItemIsMenu" type="b" access="read"/>
<property name="Menu" type="o" access="read"/>
<method name="ContextMenu"><arg name="x" type="i" direction="in"/>
<arg name="y" type="i" direction="in"/></method>
<method name="Activate"><arg name="x" type="i" direction="in"/>
<arg name="y" type="i" direction="in"/></method>
<method name="SecondaryActivate"><arg name="x" type="i" direction="in"/>
<arg name="y" type="i" direction="in"/></method>
<method name="Scroll"><arg name="delta" type="i" direction="in"/>
<arg name="orientation" type="s" direction="in"/></method>
<method name="ProvideXdgActivationToken"><arg name="token" type="s" direction="in"/></method>
<signal name="NewTitle"/>
<signal name="NewIcon"/>
<signal name="NewAttentionIcon"/>
<signal name="NewOverlayIcon"/>
<signal name="NewToolTip"/>
<signal name="NewStatus"><arg name="status" type="s"/></signal>
</interface>"""

MENU_INTROSPECTION = """<interface name="com.canonical.dbusmenu">
<property name="Version" type="u" access="read"/>
<property name="TextDirection" type="s" access="read"/>
<property name="Status" type="s" access="read"/>
<property name="IconThemePath" type="as" access="read"/>
<method name="GetLayout"><arg type="i" name="parentId" direction="in"/>
<arg type="i" name="recursionDepth" direction="in"/>
<arg type="as" name="propertyNames" direction="in"/>
<arg type="u" name="revision" direction="out"/>
<arg type="(ia{sv}av)" name="layout" direction="out"/></method>
<method name="GetGroupProperties"><arg type="ai" name="ids" direction="in"/>
<arg type="as" name="propertyNames" direction="in"/>
<arg type="a(ia{sv})" name="properties" direction="out"/></method>
<method name="GetProperty"><arg type="i" name="id" direction="in"/>
<arg type="s" name="name" direction="in"/><arg type="v" name="value" direction="out"/></method>
<method name="Event"><arg type="i" name="id" direction="in"/>
<arg type="s" name="eventId" direction="in"/><arg type="v" name="data" direction="in"/>
<arg type="u" name="timestamp" direction="in"/></method>
<method name="EventGroup"><arg type="a(isvu)" name="events" direction="in"/>
<arg type="ai" name="idErrors" direction="out"/></method>
<method name="AboutToShow"><arg type="i" name="id" direction="in"/>
<arg type="b" name="needUpdate" direction="out"/></method>
<method name="AboutToShowGroup"><arg type="ai" name="ids" direction="in"/>
<arg type="ai" name="updatesNeeded" direction="out"/>
<arg type="ai" name="idErrors" direction="out"/></method>
<signal name="ItemsPropertiesUpdated"><arg type="a(ia{sv})" name="updatedProps"/>
<arg type="a(ias)" name="removedProps"/></signal>
<signal name="LayoutUpdated"><arg type="u" name="revision"/><arg type="i" name="parent"/></signal>
<signal name="ItemActivationRequested"><arg type="i" name="id"/>
<arg type="u" name="timestamp"/></signal>
</interface>"""
