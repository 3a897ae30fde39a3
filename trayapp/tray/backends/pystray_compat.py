"""Every place the tray reaches into pystray's private attributes, and why.

pystray's public API cannot run code on the win32 or xorg UI thread, set a gtk tooltip that trays
show, ask a gtk tray whether it took the icon, or change the icon without a GLib idle source per
change.
The hooks below do these through private names of pystray 0.19. HOOKS lists every name used here;
a test checks each one against the installed pystray, and pyproject.toml keeps pystray below its
next minor release, so a pystray that renames one fails the tests rather than the tray. Without a
hook the tray still runs: each function says what it does instead.
"""

from __future__ import annotations

import importlib
import os
import threading
import types
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from trayapp.tray.backends.interface import GLIB_BACKENDS, BackendName


class HookKind(Enum):
    ASSIGNED = "assigned"
    """An attribute the backend's Icon sets on itself."""
    WRAPPED = "wrapped"
    """A method of the backend's Icon that a decorator wraps; `__wrapped__` is the plain one."""
    DEFINED = "defined"
    """A method the backend's Icon defines (replaced on the instance, or called)."""
    ASSIGNED_AT_RUN = "assigned at run"
    """An attribute the backend's Icon sets on itself only once its loop runs."""


@dataclass(frozen=True)
class Hook:
    """A private name of a backend's Icon that the tray uses."""

    name: str
    backends: tuple[BackendName, ...]
    kind: HookKind


WIN32_MESSAGE_HANDLERS = Hook("_message_handlers", ("win32",), HookKind.ASSIGNED)
"""win32: the Icon's table from window message to handler, which its window procedure reads."""
WIN32_WINDOW = Hook("_hwnd", ("win32",), HookKind.ASSIGNED)
"""win32: the Icon's hidden window, which receives the tray's messages."""
XORG_MESSAGE_HANDLERS = Hook("_message_handlers", ("xorg",), HookKind.ASSIGNED)
"""xorg: the Icon's table from X event type to handler, which its main loop reads."""
XORG_WINDOW = Hook("_window", ("xorg",), HookKind.ASSIGNED)
"""xorg: the Icon's X window, which its own X connection made and so receives our messages."""
XORG_UPDATE_ICON = Hook("_update_icon", ("xorg",), HookKind.DEFINED)
"""xorg: the method that applies a new image, and asks the tray to dock the icon again."""
XORG_DRAW = Hook("_draw", ("xorg",), HookKind.DEFINED)
"""xorg: the method that paints the image into the icon's window."""
XORG_ICON_DATA = Hook("_icon_data", ("xorg",), HookKind.ASSIGNED)
"""xorg: the image scaled to the window; None makes the next draw scale the new image."""
XORG_ICON_VALID = Hook("_icon_valid", ("xorg",), HookKind.ASSIGNED)
"""xorg: whether the image shown is the current one, which the base Icon reads."""
XORG_LOOP_THREAD = Hook("_thread", ("xorg",), HookKind.ASSIGNED_AT_RUN)
"""xorg: the thread of the Icon's X loop."""
GTK_STATUS_ICON = Hook("_status_icon", ("gtk",), HookKind.ASSIGNED)
"""gtk: the Gtk.StatusIcon that is the icon."""
GLIB_UPDATES = tuple(
    Hook(name, tuple(sorted(GLIB_BACKENDS)), HookKind.WRAPPED)
    for name in ("_update_icon", "_update_title", "_update_menu")
)
"""gtk and appindicator: the methods that apply a new icon, title or menu, each wrapped by
pystray's `mainloop` decorator, which calls it later from a GLib idle source."""

HOOKS: tuple[Hook, ...] = (
    WIN32_MESSAGE_HANDLERS,
    WIN32_WINDOW,
    XORG_MESSAGE_HANDLERS,
    XORG_WINDOW,
    XORG_UPDATE_ICON,
    XORG_DRAW,
    XORG_ICON_DATA,
    XORG_ICON_VALID,
    XORG_LOOP_THREAD,
    GTK_STATUS_ICON,
    *GLIB_UPDATES,
)
"""Every hook this module uses: the test of the installed pystray checks each one."""


def import_pystray() -> types.ModuleType:
    """Import the pystray package without letting it choose (and fail on) a backend.

    Importing the package makes pystray pick a backend itself and raise whatever that backend
    raises (Xlib's DisplayNameError, GI's ValueError...). Let it pick the harmless dummy; the real
    backends are then tried one by one, catching everything.
    """
    saved = os.environ.get("PYSTRAY_BACKEND")
    os.environ["PYSTRAY_BACKEND"] = "dummy"
    try:
        import pystray
    finally:
        if saved is None:
            del os.environ["PYSTRAY_BACKEND"]
        else:
            os.environ["PYSTRAY_BACKEND"] = saved
    module: types.ModuleType = pystray  # untyped: mypy sees Any
    return module


# --- writing a backend --------------------------------------------------------------------------

BASE_MODULE = "pystray._base"
"""Where pystray's base Icon lives, which each of its backends extends."""
BACKEND_INTERFACE = (
    "_show", "_hide", "_update_icon", "_update_title", "_update_menu", "_notify",
    "_remove_notification", "_run", "_stop", "_mark_ready", "_icon_valid",
    "_visible",
)  # fmt: skip
"""What a backend overrides (the methods) and uses (`_mark_ready`, `_icon_valid`, `_visible`) of
the base Icon: pystray's documented way to write a backend, but private names all the same."""


def icon_base_class() -> Any:
    """pystray's base Icon, for a backend of the app's own (the SNI one).

    Why: extending it keeps one API for the app (run, stop, icon, title, menu, notify) whichever
    backend runs, and its menu classes stay the menu's model.
    Without it: there is no other way; the installed pystray is checked by the tests.
    """
    import_pystray()  # the package first, kept from choosing a backend of its own
    return importlib.import_module(BASE_MODULE).Icon


def _read(icon: object, hook: Hook) -> Any:
    return getattr(icon, hook.name, None)


def _write(icon: object, hook: Hook, value: object) -> None:
    setattr(icon, hook.name, value)


# --- win32: running code on the UI thread -------------------------------------------------------

MessageHandler = Callable[[int, int], int]
"""Called with a message's wParam and lParam on the UI thread; returns the message's result."""


def win32_message_handlers(icon: object) -> MutableMapping[int, MessageHandler] | None:
    """The table to add a handler for our own window message to; None without the hook.

    Why: win32 is not thread-safe and pystray has no way to run code on its UI thread. A message
    posted to its window is handled there, by whatever handler this table holds for it.
    Without it: the tray makes each change from the thread that asks for it, as on xorg.
    """
    handlers: MutableMapping[int, MessageHandler] | None = _read(icon, WIN32_MESSAGE_HANDLERS)
    return handlers


def win32_window(icon: object) -> int | None:
    """The window to post our message to; None before the icon's loop has made it.

    Why: see `win32_message_handlers`; the window exists only once the loop runs, so it is read
    for each message. Without it, or before the loop: the message reaches no window and its change
    is lost (the tray changes nothing before its icon is shown, which the loop does).
    """
    window: int | None = _read(icon, WIN32_WINDOW)
    return window


# --- xorg: running code on the UI thread --------------------------------------------------------

XEventHandler = Callable[[Any], None]
"""Called with an Xlib event on the xorg backend's main loop thread."""


def xorg_event_handlers(icon: object) -> MutableMapping[int, XEventHandler] | None:
    """The table to wrap the ClientMessage handler of; None without the hook.

    Why: pystray's xorg backend shares one X connection between its loop and every thread that
    changes the icon, and python-xlib loses a wake-up when one thread sends while the loop waits
    for a reply (the loop then never runs again). Changes are made on the loop's thread instead,
    woken by a message of our own that the wrapped handler recognises.
    Without it: the tray makes each change from the thread that asks for it.
    """
    handlers: MutableMapping[int, XEventHandler] | None = _read(icon, XORG_MESSAGE_HANDLERS)
    return handlers


def xorg_window_id(icon: object) -> int | None:
    """The X id of the xorg backend's window, which our wake-up messages go to; None without it.

    Why: see `xorg_event_handlers`; an event sent with no event mask goes to the client that
    made the window, which is the icon's loop.
    """
    window = _read(icon, XORG_WINDOW)
    return None if window is None else int(window.id)


def xorg_draw_new_images_in_place(icon: object) -> bool:
    """Make the xorg icon draw a new image where it is once a tray embeds it; False without
    the hooks.

    Why: pystray's xorg Icon sends the tray a dock request with every new image, embedded or
    not. Given a few such requests milliseconds apart, as a poll's "refreshing" image and its
    result make against a quick server, trayer (GTK 2 sockets) is left holding the window in a
    socket 1 px wide: its panel shrinks to 3 px and the icon is never seen again. Once embedded,
    a new image needs only drawing; the tray's own resizes and exposes redraw it as before.
    Not embedded (yet, or a request was lost), and off the X loop, it docks as pystray would.
    Without them: the icon docks again with each new image, as before.
    """
    dock_again = _read(icon, XORG_UPDATE_ICON)
    draw = _read(icon, XORG_DRAW)
    if not callable(dock_again) or not callable(draw) or _read(icon, XORG_WINDOW) is None:
        return False

    def update_icon() -> None:
        on_loop = threading.current_thread() is _read(icon, XORG_LOOP_THREAD)
        if not on_loop or not _embedded(icon):
            dock_again()
            return
        _write(icon, XORG_ICON_DATA, None)  # pystray scales the new image at the next draw
        draw()
        _write(icon, XORG_ICON_VALID, True)

    _write(icon, XORG_UPDATE_ICON, update_icon)
    return True


def _embedded(icon: object) -> bool:
    """Whether a tray has taken the icon's window: its parent is then no longer the root."""
    try:
        tree = _read(icon, XORG_WINDOW).query_tree()
        return bool(tree.parent.id != tree.root.id)
    except Exception:  # an X error: let pystray dock as it would
        return False


# --- gtk: the status icon -----------------------------------------------------------------------


class StatusIcon(Protocol):
    """What the tray uses of a Gtk.StatusIcon."""

    def set_tooltip_text(self, text: str) -> None: ...

    def is_embedded(self) -> bool: ...


def gtk_status_icon(icon: object) -> StatusIcon | None:
    """The gtk backend's Gtk.StatusIcon; None on other backends, or without the hook.

    Why: pystray sets only the status icon's title, which most trays do not show, so the tray
    sets its tooltip too; and only the status icon knows whether a tray has taken it.
    Without it: the tooltip is whatever pystray shows, and nobody warns that no tray took the icon.
    """
    status_icon: StatusIcon | None = _read(icon, GTK_STATUS_ICON)
    return status_icon


# --- gtk and appindicator: changes without an idle source ---------------------------------------


def apply_glib_updates_at_once(icon: object) -> None:
    """Make the icon apply a new icon, title and menu at once instead of from a GLib idle source.

    Why: pystray hops each change onto the GLib loop with `GLib.idle_add`, which leaks on
    PyGObject before 3.44.2 (see glib_dispatch). The tray makes every change on that loop's
    thread already, so the hop is not needed: the undecorated method is set on the instance.
    Call it from the loop's thread, once the icon is shown.
    Without it (a method with no `__wrapped__`): that change keeps its hop, and its small leak.
    """
    for hook in GLIB_UPDATES:
        direct = getattr(getattr(type(icon), hook.name, None), "__wrapped__", None)
        if callable(direct):
            setattr(icon, hook.name, types.MethodType(direct, icon))
