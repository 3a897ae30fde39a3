"""Whether an XEmbed system tray (trayer, stalonetray, i3bar...) runs on this X screen.

Such a tray owns the X selection `_NET_SYSTEM_TRAY_S<screen>` (the freedesktop System Tray
Protocol). The tray asks before choosing between pystray's AppIndicator and GTK backends.
"""

from __future__ import annotations

import os


def xembed_tray_present() -> bool:
    """Whether the X display's default screen has a system tray; False without X or Xlib."""
    if not os.environ.get("DISPLAY"):
        return False
    try:
        from Xlib import X
        from Xlib.display import Display
    except ImportError:
        return False
    try:
        display = Display()
    except Exception:  # no X server there, refused, bad display name...
        return False
    try:
        selection = display.intern_atom(f"_NET_SYSTEM_TRAY_S{display.get_default_screen()}")
        owner = display.get_selection_owner(selection)  # a window, or X.NONE
        owner_id: int = int(getattr(owner, "id", owner))
        return owner_id != int(X.NONE)
    except Exception:
        return False
    finally:
        display.close()
