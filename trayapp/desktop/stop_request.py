"""How `deepgram-tray stop` asks the running tray to quit, and how the tray listens for it.

POSIX: `stop` sends SIGTERM to the process that holds the single-instance lock; the tray quits on
SIGTERM as on its Quit item (and on SIGHUP, its terminal closing, and SIGINT, Ctrl+C).
Windows has no SIGTERM a windowed program can catch: the tray makes a named event, and `stop`
sets it. "Local\\" names are per login session, so `stop` reaches only this user's tray.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

STOP_EVENT_NAME = "Local\\deepgram-balance-tray-stop"
"""The Win32 event the tray waits on; setting it asks the tray to quit."""

Undo = Callable[[], None]


def listen_for_stop(quit_tray: Callable[[], None]) -> Undo:
    """Quit through `quit_tray` (thread-safe) when asked to stop; returns what stops listening.

    Call it from the main thread (where Python handles signals), before the UI loop runs.
    """
    if sys.platform == "win32":
        return _listen_for_event(quit_tray)
    return _listen_for_signals(quit_tray)


def request_stop(pid: int | None) -> bool:
    """Ask the tray (the lock holder, `pid`) to quit; False when there was nobody to ask."""
    if sys.platform == "win32":
        return _set_event()
    if pid is None or pid <= 1:
        return False  # never 0 or -1: kill() would signal a whole process group, or everyone
    import os
    import signal

    try:
        os.kill(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return False
    return True


# --- POSIX ----------------------------------------------------------------------------------


def _listen_for_signals(quit_tray: Callable[[], None]) -> Undo:
    import signal

    def quit_on(name: str) -> None:
        log.info("Quitting: received %s", name)
        quit_tray()

    def on_signal(number: int, frame: object) -> None:
        # The handler runs on the main thread between two bytecodes, maybe inside the UI loop's
        # own code holding its locks: quitting (and logging) from a thread of its own cannot
        # deadlock there.
        name = signal.Signals(number).name
        threading.Thread(target=quit_on, args=(name,), name="quit-on-signal", daemon=True).start()

    # pystray's gtk and appindicator backends set SIGINT back to the default (end at once) as
    # their loop starts: `quit_on_interrupt_in_glib` takes it back once it runs.
    numbers = [signal.SIGTERM, signal.SIGINT]
    if sys.platform != "win32":  # always so here; says so to the type checker
        numbers.append(signal.SIGHUP)
    previous = {number: signal.signal(number, on_signal) for number in numbers}

    def undo() -> None:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)

    return undo


def quit_on_interrupt_in_glib(quit_tray: Callable[[], None]) -> None:
    """On pystray's GLib backends (gtk, appindicator), once their loop runs: Ctrl+C quits cleanly.

    Their loop start makes SIGINT end the process at once (so that Ctrl+C is never ignored);
    GLib can deliver it to the loop instead, from any thread. Python's own SIGTERM and SIGHUP
    handlers (above) keep working there: PyGObject wakes the loop for them.
    """
    import signal

    from gi.repository import GLib

    def on_interrupt() -> bool:
        log.info("Quitting: received SIGINT")
        quit_tray()  # a plain loop callback here, not a signal handler: safe to call directly
        return True  # keep the source: another Ctrl+C while quitting changes nothing

    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, on_interrupt)


# --- Windows --------------------------------------------------------------------------------

_INFINITE = 0xFFFFFFFF
_EVENT_MODIFY_STATE = 0x0002


def _listen_for_event(quit_tray: Callable[[], None]) -> Undo:
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
    kernel32.CreateEventW.restype = ctypes.c_void_p
    kernel32.ResetEvent.argtypes = [ctypes.c_void_p]
    kernel32.SetEvent.argtypes = [ctypes.c_void_p]
    kernel32.CloseHandle.argtypes = [ctypes.c_void_p]
    kernel32.WaitForSingleObject.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
    kernel32.WaitForSingleObject.restype = ctypes.c_uint32
    # Manual reset: once set it stays set, so a stop that races the thread's start is not lost.
    event = kernel32.CreateEventW(None, True, False, STOP_EVENT_NAME)
    if not event:
        log.warning("`deepgram-tray stop` cannot reach this tray (no stop event)")
        return lambda: None
    # A `stop` that is still running holds the event of the tray it stopped, set: not for us.
    kernel32.ResetEvent(event)
    closing = threading.Event()

    def wait() -> None:
        kernel32.WaitForSingleObject(event, _INFINITE)
        if not closing.is_set():
            log.info("Quitting: `deepgram-tray stop` asked")
            quit_tray()

    waiter = threading.Thread(target=wait, name="stop-event", daemon=True)
    waiter.start()

    def undo() -> None:
        closing.set()
        kernel32.SetEvent(event)  # wakes the waiting thread, which then ends
        waiter.join(timeout=5)
        kernel32.CloseHandle(event)

    return undo


def _set_event() -> bool:
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
    kernel32.OpenEventW.restype = ctypes.c_void_p
    kernel32.SetEvent.argtypes = [ctypes.c_void_p]
    kernel32.CloseHandle.argtypes = [ctypes.c_void_p]
    event = kernel32.OpenEventW(_EVENT_MODIFY_STATE, False, STOP_EVENT_NAME)
    if not event:
        return False  # the tray made no event (it is gone, or from a version without `stop`)
    try:
        return bool(kernel32.SetEvent(event))
    finally:
        kernel32.CloseHandle(event)
