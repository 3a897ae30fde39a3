"""`deepgram-tray stop`: ask this user's running tray to quit, and wait until it has.

The tray is found through its single-instance lock: only a held lock says a tray runs, so the pid
a crashed tray left in the lock file is never signalled. The tray releases the lock as the very
last thing it does, so a free lock means it has finished quitting.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from trayapp.cli import print_error, print_out

STOP_TIMEOUT = 15.0
"""Seconds to wait for the tray to quit: it lets its windows and poller finish (up to 5 s)."""
POLL_INTERVAL = 0.1


class Outcome(Enum):
    NONE_RUNNING = "none running"
    STOPPED = "stopped"
    NOT_ASKED = "not asked"
    """The lock is held, but the holder could not be asked (no pid, or no way to reach it)."""
    STILL_RUNNING = "still running"
    """Asked, but the lock was still held when the time was up."""


@dataclass(frozen=True)
class TrayLock:
    """What `stop` needs of the single-instance lock (an InstanceLock, or a stand-in in tests)."""

    is_held: Callable[[], bool]
    holder_pid: Callable[[], int | None]


def stop_tray(
    lock: TrayLock,
    *,
    ask: Callable[[int | None], bool],
    monotonic: Callable[[], float],
    sleep: Callable[[float], None],
    timeout: float = STOP_TIMEOUT,
) -> tuple[Outcome, int | None]:
    """Ask the lock's holder to quit and wait, at most `timeout`, for the lock to be free."""
    if not lock.is_held():
        return Outcome.NONE_RUNNING, None
    pid = lock.holder_pid()
    if not ask(pid):
        # It may have quit between the look and the ask: then there is nothing left to do.
        return (Outcome.NOT_ASKED, pid) if lock.is_held() else (Outcome.STOPPED, pid)
    deadline = monotonic() + timeout
    while lock.is_held():
        if monotonic() >= deadline:
            return Outcome.STILL_RUNNING, pid
        sleep(POLL_INTERVAL)
    return Outcome.STOPPED, pid


def report(outcome: Outcome, pid: int | None, *, windows: bool) -> tuple[int, str]:
    """The exit code and the sentence for an outcome: 0 when no tray runs any more, else 1."""
    process = f" (process {pid})" if pid else ""
    end_it = "in Task Manager" if windows else (f"with `kill {pid}`" if pid else "from its menu")
    match outcome:
        case Outcome.NONE_RUNNING:
            return 0, "No tray was running."
        case Outcome.STOPPED:
            return 0, f"Stopped the tray{process}."
        case Outcome.NOT_ASKED:
            return 1, (
                f"The tray{process} is running but could not be asked to quit: choose Quit in "
                f"its menu, or end it {end_it}."
            )
        case Outcome.STILL_RUNNING:
            return 1, (
                f"The tray{process} did not quit within {STOP_TIMEOUT:.0f} seconds: choose Quit "
                f"in its menu, or end it {end_it}."
            )


def run_stop(args: argparse.Namespace) -> int:
    from trayapp.desktop.single_instance import InstanceLock
    from trayapp.desktop.stop_request import request_stop

    lock = InstanceLock()
    outcome, pid = stop_tray(
        TrayLock(is_held=lock.is_held, holder_pid=lock.holder_pid),
        ask=request_stop,
        monotonic=time.monotonic,
        sleep=time.sleep,
    )
    code, message = report(outcome, pid, windows=sys.platform == "win32")
    if code == 0:
        print_out(message + "\n")
    else:
        print_error(message)
    return code
