"""A pystray backend for tests: records every call, and runs a real UI loop on its own thread.

Updates reach it through `run_on_ui_thread` (the app's one dispatch path), and each recorded call
notes the thread it ran on, so tests can prove nothing touches the icon from the poller thread.
"""

from __future__ import annotations

import functools
import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trayapp.tray.app import import_pystray

IconBase: Any = import_pystray()._base.Icon  # a plain `import pystray` fails without a display
_STOP = object()


@dataclass(frozen=True)
class Call:
    name: str
    value: Any
    thread: str


class RecordingIcon(IconBase):  # type: ignore[misc]
    HAS_DEFAULT_ACTION = True
    HAS_MENU = True
    HAS_NOTIFICATION = True

    max_calls: int | None = None
    """Keep only this many recent calls (a long soak would otherwise grow without end)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.calls: deque[Call] = deque(maxlen=self.max_calls)
        self._ui_queue: queue.Queue[object] = queue.Queue()
        self.ui_thread: str | None = None
        super().__init__(*args, **kwargs)

    # --- the app's dispatch path ------------------------------------------------------------

    def run_on_ui_thread(self, action: Callable[[], None]) -> None:
        self._ui_queue.put(action)

    # --- pystray's backend interface ----------------------------------------------------------

    def _record(self, name: str, value: Any = None) -> None:
        self.calls.append(Call(name, value, threading.current_thread().name))

    def _show(self) -> None:
        self._record("show")

    def _hide(self) -> None:
        self._record("hide")

    def _update_icon(self) -> None:
        self._record("icon", self.icon.copy())

    def _update_title(self) -> None:
        self._record("title", self.title)

    def _update_menu(self) -> None:
        self._record("menu", self.menu_texts())

    def _notify(self, message: str, title: str | None = None) -> None:
        self._record("notify", (title, message))

    def _remove_notification(self) -> None:
        self._record("remove_notification")

    def _run(self) -> None:
        self.ui_thread = threading.current_thread().name
        self._mark_ready()
        while True:
            action = self._ui_queue.get()
            if action is _STOP:
                break
            action()  # type: ignore[operator]
        self._record("stopped")

    def _stop(self) -> None:
        self._ui_queue.put(_STOP)

    # --- what tests read and do ---------------------------------------------------------------

    def menu_texts(self) -> list[str]:
        return [str(item) for item in self.menu.items] if self.menu else []

    def click(self, text: str) -> None:
        """Choose a menu item, as the backend would on the UI thread."""
        for item in self.menu.items:
            if str(item) == text:
                self.run_on_ui_thread(functools.partial(item, self))
                return
        raise AssertionError(f"no menu item {text!r} in {self.menu_texts()}")

    def left_click(self) -> None:
        self.run_on_ui_thread(self)

    def recorded(self, name: str) -> list[Any]:
        return [c.value for c in list(self.calls) if c.name == name]
