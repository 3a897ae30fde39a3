"""Run callables on the main loop of pystray's xorg backend (basic X11 trays) from any thread.

pystray's xorg Icon makes each change (show, icon, title, stop) by sending an X message to its own
window on its loop's connection from the calling thread, then waiting for the loop to carry it
out. python-xlib cannot share a connection that way: when the loop waits for a reply (redrawing
after an Expose) while another thread flushes, the loop is never woken and both threads wait
forever; the icon is never docked and the poller never gets past its first change. So every change
is made on the loop's thread, where pystray carries it out at once, and the loop is woken by a
message of our own, sent on a connection that only this dispatcher uses.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from trayapp import APP_NAME
from trayapp.tray.backends import pystray_compat
from trayapp.tray.backends.interface import Action, Dispatch

log = logging.getLogger(__name__)

WAKE_UP_ATOM = "_" + APP_NAME.upper().replace("-", "_") + "_APPLY"


def xorg_dispatcher(icon: object, run: Callable[[Action], None]) -> Dispatch | None:
    """A function that queues an action for the icon's X loop; `run(action)` carries it out there.

    Call it before the loop starts. None when the icon lacks the hooks it needs.
    """
    handlers = pystray_compat.xorg_event_handlers(icon)
    window_id = pystray_compat.xorg_window_id(icon)
    if handlers is None or window_id is None:
        return None
    from Xlib import X
    from Xlib.display import Display
    from Xlib.protocol.event import ClientMessage

    display = Display()  # ours alone, and used by one thread at a time (`sending`)
    # Messages sent after Quit find the window gone: the loop has ended, nothing is lost.
    display.set_error_handler(lambda error, request: log.debug("X error: %s", error))
    wake_up = display.intern_atom(WAKE_UP_ATOM)
    window = display.create_resource_object("window", window_id)
    actions: queue.SimpleQueue[Action] = queue.SimpleQueue()
    sending = threading.Lock()
    pystrays_own = handlers.get(X.ClientMessage, lambda event: None)

    def on_client_message(event: Any) -> None:
        if event.client_type != wake_up:
            pystrays_own(event)
            return
        while True:
            try:
                action = actions.get_nowait()
            except queue.Empty:
                return
            run(action)

    handlers[X.ClientMessage] = on_client_message

    def dispatch(action: Action) -> None:
        actions.put(action)
        message = ClientMessage(
            window=window_id, client_type=wake_up, data=(32, (X.CurrentTime, 0, 0, 0, 0))
        )
        try:
            with sending:
                # No event mask: the event goes to the client that made the window, the loop.
                display.send_event(window, message, event_mask=X.NoEventMask)
                display.flush()
        except Exception:  # the X server has gone: a failed UI update must not take the tray down
            log.exception("Could not wake the tray's X loop")

    return dispatch
