"""Taking turns at something a test run has only one of, across pytest-xdist's workers.

scripts/test runs the suite on several worker processes. Most tests bring everything they use
(their own server, display, bus, folders), but a few share one thing per run, such as the
Secret Service that scripts/with-test-keyring starts: those hold an OS file lock while they run,
so they run one at a time whichever worker has them. Without xdist the lock is always free.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from tests.support.waiting import wait_until

TURN_TIMEOUT = 900.0
"""Longer than every test of one shared thing takes, back to back."""


def _try_lock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def taking_turns(lock_file: Path, what: str) -> Iterator[None]:
    """Hold `lock_file`'s lock for the block; wait (with a deadline) while another worker does.

    The OS drops the lock when a worker dies, so a crashed worker never blocks the others."""
    with open(lock_file, "a", encoding="utf-8") as handle:
        wait_until(lambda: _try_lock(handle), timeout=TURN_TIMEOUT, interval=0.1, what=what)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
