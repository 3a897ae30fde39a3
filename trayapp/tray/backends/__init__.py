"""What talks to a desktop's tray: pystray and the hooks into its internals, the GLib main loop.

Same imports as `tray/`; nothing else in the tray reaches into pystray's private attributes.
"""
