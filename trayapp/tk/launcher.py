"""Open a window (settings, history) from the tray, each in a process of its own: one window of each
kind at a time, and a callback when it closes (the settings: refresh at once)."""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Callable

from trayapp.desktop.self_command import own_command

log = logging.getLogger(__name__)


class WindowLauncher:
    def __init__(self, *args: str, name: str, on_closed: Callable[[], None] = lambda: None) -> None:
        self._args = args
        """The `deepgram-tray` subcommand that opens the window."""
        self._name = name
        """The window's name in log messages."""
        self._on_closed = on_closed
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self.opened_for_first_run = False

    def open(self, *extra: str) -> bool:
        """Start the window unless one is open already; False when it was. `extra` are more
        arguments for this opening (`--account NAME`)."""
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                return False
            flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
            try:
                self._process = subprocess.Popen(
                    own_command(*self._args, *extra),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    creationflags=flags,
                )
            except OSError:
                log.exception("Could not open the %s window", self._name)
                return False
            process = self._process
        threading.Thread(target=self._wait, args=(process,), name=self._name, daemon=True).start()
        return True

    def open_once_for_first_run(self) -> None:
        """With no key anywhere, lead the user to the window, once per run of the tray."""
        if not self.opened_for_first_run:
            self.opened_for_first_run = True
            self.open()

    def _wait(self, process: subprocess.Popen[bytes]) -> None:
        _, errors = process.communicate()
        if process.returncode != 0:
            log.warning(
                "The %s window exited with %s: %s",
                self._name,
                process.returncode,
                errors.decode(errors="replace")[-1000:],
            )
        self._on_closed()

    def close(self) -> None:
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                self._process.terminate()
