"""A StatusNotifierItem tray in pure Python: what KDE Plasma, GNOME's AppIndicator extension and
Wayland bars (Waybar and others) show, spoken over the session D-Bus with jeepney.

It needs no PyGObject, so the full tray (icon, menu, tooltip, left click) works from any Python:
pipx, pyenv, uv and plain virtualenvs, as well as the distribution's. `icon.Icon` is a pystray
Icon, so the app drives it exactly as it drives pystray's own backends.
"""
