"""Run callables on the GLib main loop (the gtk and appindicator tray backends) from any thread.

One pipe and one watch on it, made once: each call queues its callable and writes a byte. The
obvious `GLib.idle_add` per call is what this avoids: PyGObject before 3.44.2 (Debian 12, Ubuntu
22.04, and so the Linux bundle built there) leaks about 100 bytes for every source it creates,
which in a tray that runs for months adds up to megabytes.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
from collections.abc import Callable

Action = Callable[[], None]


def glib_dispatcher(run: Callable[[Action], None]) -> Callable[[Action], None]:
    """A function that queues an action for the GLib loop; `run(action)` carries it out there."""
    from gi.repository import GLib

    actions: queue.SimpleQueue[Action] = queue.SimpleQueue()
    readable, writable = os.pipe()
    if sys.platform != "win32":  # always so: the GLib tray backends run on Linux and the BSDs
        os.set_blocking(readable, False)
        os.set_blocking(writable, False)

    def on_readable(fd: int, condition: object) -> bool:
        with contextlib.suppress(BlockingIOError):
            os.read(fd, 4096)  # the wake-up bytes; the queue holds the work
        while True:
            try:
                action = actions.get_nowait()
            except queue.Empty:
                return True  # keep watching
            run(action)

    GLib.unix_fd_add_full(GLib.PRIORITY_DEFAULT, readable, GLib.IOCondition.IN, on_readable)

    def dispatch(action: Action) -> None:
        actions.put(action)
        # A full pipe means unread wake-ups: the loop will drain the queue anyway.
        with contextlib.suppress(BlockingIOError):
            os.write(writable, b"!")

    return dispatch
