"""How the tray hands its changes to pystray's win32 UI thread, with user32 stood in for.

On Windows, pystray shows the menu from its right-click handler, in a message loop of its own that
handles the tray's posted messages too; a change made there would replace the menu Windows is
showing. Wine's menu loop did not handle the posted change while the menu was open, so the desktop
tests cannot show this: it is checked here.
"""

from __future__ import annotations

import ctypes
from types import SimpleNamespace

import pytest

from trayapp.tray.app import make_dispatcher

WM_NOTIFY = 0x400 + 11  # pystray's message for clicks on the icon
APPLY = 0xC123


class FakeIcon:
    """What the dispatcher sees of pystray's win32 Icon: its window and its handler table."""

    def __init__(self) -> None:
        self._hwnd = 1
        self._message_handlers = {WM_NOTIFY: self._on_notify}
        self.while_menu_shows: list[object] = []

    def _on_notify(self, wparam: int, lparam: int) -> int:
        # The menu's own loop handles the posted message while the menu is shown.
        self._message_handlers[APPLY](0, 0)
        self.while_menu_shows.append(list(changes))
        return 0


changes: list[str] = []


@pytest.fixture
def posted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    messages: list[int] = []
    user32 = SimpleNamespace(
        RegisterWindowMessageW=lambda name: APPLY,
        PostMessageW=lambda window, message, wparam, lparam: messages.append(message) or 1,
    )
    monkeypatch.setattr(ctypes, "windll", SimpleNamespace(user32=user32), raising=False)
    changes.clear()
    return messages


def test_changes_wait_while_pystray_shows_the_menu(posted: list[int]) -> None:
    icon = FakeIcon()
    dispatch = make_dispatcher("win32", icon)  # type: ignore[arg-type]
    dispatch(lambda: changes.append("new balance"))
    assert posted == [APPLY]

    icon._message_handlers[WM_NOTIFY](0, 0)  # a right click: the menu shows, then closes

    assert icon.while_menu_shows == [[]], "the menu was changed while it was shown"
    assert changes == ["new balance"], "the change was lost"


def test_outside_a_pystray_handler_a_change_is_made_when_its_message_arrives(
    posted: list[int],
) -> None:
    icon = FakeIcon()
    dispatch = make_dispatcher("win32", icon)  # type: ignore[arg-type]
    dispatch(lambda: changes.append("first"))
    dispatch(lambda: changes.append("second"))
    icon._message_handlers[APPLY](0, 0)
    assert changes == ["first", "second"]
