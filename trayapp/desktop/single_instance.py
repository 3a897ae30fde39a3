"""One tray per user: an OS lock on a file in the user's runtime folder.

The OS drops the lock when the process ends, however it ends, so a crash never leaves a stale
lock behind (unlike a pid file).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import IO


def lock_path() -> Path:
    import warnings

    import platformdirs

    from trayapp import APP_NAME

    with warnings.catch_warnings():
        # platformdirs warns (and falls back to a private folder in /tmp) when XDG_RUNTIME_DIR
        # has loose permissions: the fallback is fine for a lock file, the warning is noise.
        warnings.simplefilter("ignore")
        try:
            runtime = platformdirs.user_runtime_dir(APP_NAME, appauthor=False)
        except OSError:
            # Newer platformdirs refuse a fallback in /tmp that another user could replace: the
            # user's own state folder is private too, and a lock needs nothing more.
            runtime = platformdirs.user_state_dir(APP_NAME, appauthor=False)
    return Path(runtime) / "tray.lock"


class InstanceLock:
    """Held for the life of the tray; `acquire()` is False when another tray holds it."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or lock_path()
        self._handle: IO[str] | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        try:
            _lock(handle)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle
        return True

    def holder_pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError):
            return int(self.path.read_text(encoding="utf-8").strip())
        return None

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing releases the lock
            self._handle = None

    def is_held(self) -> bool:
        """Whether a tray holds the lock now: a probe that takes the lock and lets it go at once.

        The pid in the file is only a hint (a crashed tray leaves its pid behind, and the OS may
        give that number to another program): only a held lock says a tray is running.
        """
        if not self.path.is_file():
            return False  # no tray has run in this session
        try:
            handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - closed below
        except OSError:
            return False
        with handle:
            try:
                _lock(handle)
            except OSError:
                return True
            _unlock(handle)
            return False


WINDOWS_LOCKED_BYTE = 1 << 20
"""Where the lock is on Windows: far past the pid. Windows' locks are mandatory, so a lock on
the pid's bytes would stop the second tray from reading it to say which process holds the lock."""


def _lock(handle: IO[str]) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(WINDOWS_LOCKED_BYTE)  # a lock may lie past the end; the file stays small
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock(handle: IO[str]) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(WINDOWS_LOCKED_BYTE)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
