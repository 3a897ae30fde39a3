"""The size pystray's backends show their one icon image at, as the tray reads it (headless)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from trayapp.tray.backends.shown_size import follow_size_changes, shown_icon_size


class FakeStatusIcon:
    """A Gtk.StatusIcon as far as the tray uses it."""

    def __init__(self, size: int, *, embedded: bool = True) -> None:
        self.size, self.embedded = size, embedded
        self.handlers: dict[str, Callable[..., bool]] = {}

    def is_embedded(self) -> bool:
        return self.embedded

    def get_size(self) -> int:
        return self.size

    def connect(self, signal: str, handler: Callable[..., bool]) -> int:
        self.handlers[signal] = handler
        return len(self.handlers)


class GtkIcon:
    """pystray's gtk Icon, which keeps its status icon in `_status_icon`."""

    def __init__(self, status: FakeStatusIcon | None) -> None:
        self._status_icon = status


def test_gtk_shows_the_image_a_pixel_in_from_each_side_of_its_size() -> None:
    assert shown_icon_size("gtk", GtkIcon(FakeStatusIcon(24))) == 22
    assert shown_icon_size("gtk", GtkIcon(FakeStatusIcon(18))) == 16


def test_no_size_until_a_tray_has_taken_the_icon() -> None:
    assert shown_icon_size("gtk", GtkIcon(FakeStatusIcon(24, embedded=False))) is None
    assert shown_icon_size("gtk", GtkIcon(FakeStatusIcon(0))) is None
    assert shown_icon_size("gtk", GtkIcon(None)) is None  # a pystray without the hook


def test_backends_that_do_not_say() -> None:
    for backend in ("xorg", "appindicator", "darwin", "sni", "dummy"):
        assert shown_icon_size(backend, GtkIcon(FakeStatusIcon(24))) is None
    if sys.platform != "win32":
        assert shown_icon_size("win32", object()) is None


def test_gtk_says_when_the_size_changes_or_a_tray_takes_the_icon() -> None:
    status, calls = FakeStatusIcon(24), []
    follow_size_changes("gtk", GtkIcon(status), lambda: calls.append("changed"))
    assert set(status.handlers) == {"size-changed", "notify::embedded"}
    # False: GTK goes on to scale the image it has until the tray sets the new one.
    assert status.handlers["size-changed"](status, 32) is False
    assert status.handlers["notify::embedded"](status, None) is False
    assert calls == ["changed", "changed"]


def test_other_backends_are_not_followed() -> None:
    status = FakeStatusIcon(24)
    follow_size_changes("xorg", GtkIcon(status), lambda: None)
    follow_size_changes("gtk", GtkIcon(None), lambda: None)
    assert status.handlers == {}
