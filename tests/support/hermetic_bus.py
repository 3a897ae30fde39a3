"""A session bus configuration that starts no services: a test's private bus stays its own.

The standard session configuration lets the bus start any installed service on first use: with a
notification daemon installed (dunst, mako), the app's first notification would start one on the
test's display, drawn over the panel and menus the test reads. Tests that want one start it.
"""

from __future__ import annotations

from pathlib import Path

CONFIG_FILE = Path(__file__).with_name("session-bus.conf")
"""Also the bus `scripts/test` runs the whole suite on."""


def hermetic_bus_config() -> Path:
    """The configuration's file, for dbus-daemon's and dbus-run-session's --config-file."""
    return CONFIG_FILE
