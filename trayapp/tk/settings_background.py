"""Work the settings window runs on worker threads (network calls), its results applied on Tk's
thread: Tk itself is only ever touched from its own thread, so each result comes back through a
queue that Tk polls."""

from __future__ import annotations

import queue
import threading
import tkinter as tk
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

POLL_MS = 50
"""How often Tk's thread looks for results: quick enough to feel immediate, idle otherwise."""


class Background:
    """Starts polling `root` for results as soon as it exists."""

    def __init__(self, root: tk.Misc) -> None:
        self._root = root
        self._results: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._poll()

    def run(self, name: str, work: Callable[[], T], then: Callable[[T], None]) -> None:
        """Run `work` on a worker thread (named `name`), then `then(result)` on Tk's thread."""

        def run() -> None:
            result = work()
            self._results.put(lambda: then(result))

        threading.Thread(target=run, name=name, daemon=True).start()

    def _poll(self) -> None:
        while True:
            try:
                action = self._results.get_nowait()
            except queue.Empty:
                break
            action()
        self._root.after(POLL_MS, self._poll)
