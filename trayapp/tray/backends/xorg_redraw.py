"""New images for pystray's xorg icon are drawn in place, without asking the tray to dock it again.

pystray's xorg Icon sends the tray a dock request with every new image, embedded or not. Given a
few such requests milliseconds apart, as a poll's "refreshing" image and its result make against a
quick server, trayer (GTK 2 sockets) is left holding the window in a socket 1 px wide: its panel
shrinks to 3 px and the icon is never seen again. Once embedded, a new image needs only drawing;
the tray's own resizes and exposes redraw it as before. Not embedded, it docks as pystray would.
"""

from __future__ import annotations

import threading
from typing import Any


def draw_new_images_in_place(icon: Any) -> bool:
    """Make the xorg `icon` draw a new image where it is once embedded; False where this pystray
    lacks the parts that takes (the icon then docks again with each image, as before)."""
    original = getattr(icon, "_update_icon", None)
    if original is None or not all(
        hasattr(icon, name) for name in ("_window", "_icon_data", "_draw")
    ):
        return False

    def update_icon() -> None:
        on_loop = threading.current_thread() is getattr(icon, "_thread", None)  # set as it runs
        if not on_loop or not _embedded(icon):
            original()  # off the X loop, or not in a tray (yet, or a request was lost): docks
            return
        icon._icon_data = None  # pystray scales the new image to the window at the next draw
        icon._draw()
        icon._icon_valid = True

    icon._update_icon = update_icon
    return True


def _embedded(icon: Any) -> bool:
    """Whether a tray has taken the icon's window: its parent is then no longer the root."""
    try:
        window = icon._window
        tree = window.query_tree()
        return bool(tree.parent.id != tree.root.id)
    except Exception:  # an X error: let pystray dock as it would
        return False
