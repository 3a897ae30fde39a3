"""The update notice in the tray: after a poll, at most once a day, ask which release is the
latest (in the fetch worker), and when it is newer than the one running, offer it in the menu and
say so once in a notification.

It runs on a thread of its own, woken after each poll (`poke`), so the check never holds up a
balance and the balance always comes first; however often the tray polls, PyPI is asked at most
once a day (`trayapp.updates.memory`). A failed check is logged and otherwise silent, and it
changes nothing but the notice. `check_updates = false` stops the checks and takes the line away.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from trayapp.atomic import read_regular_file, write_atomically
from trayapp.config import Settings
from trayapp.errors import DeepgramTrayError
from trayapp.tray.notifications import Alert, update_alert
from trayapp.updates.memory import (
    UpdateMemory,
    check_failed,
    checked,
    decode,
    due,
    encode,
    seconds_until_due,
)
from trayapp.updates.release import Release, newer_than

log = logging.getLogger(__name__)

MAX_IDLE_WAIT = 3600.0
"""With no poll to wake it (a tray whose key is missing, say), it still looks hourly."""
MEMORY_BYTES = 64 * 1024


class UpdateWatcher:
    def __init__(
        self,
        *,
        running: str,
        load_settings: Callable[[], Settings],
        check: Callable[[], Release | None],
        memory_path: Path,
        on_update: Callable[[Release | None], None],
        on_alert: Callable[[Alert], None],
        wall_now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        """`check` asks the update source (raising DeepgramTrayError when it cannot tell);
        `on_update` shows the newer release in the menu (None: no line)."""
        self._running = running
        self._load_settings = load_settings
        self._check = check
        self._path = memory_path
        self._on_update = on_update
        self._on_alert = on_alert
        self._wall_now = wall_now
        self._memory = read_memory(memory_path)
        self._offered: Release | None = None
        self._enabled, self._notify = False, True
        """check_updates and notify as the config last said."""
        self._poked = threading.Event()
        self._stopping = threading.Event()

    # --- from any thread ----------------------------------------------------------------------

    def poke(self) -> None:
        """A poll has ended: check now if a check is due."""
        self._poked.set()

    def stop(self) -> None:
        self._stopping.set()
        self._poked.set()

    # --- its thread ---------------------------------------------------------------------------

    def run(self) -> None:
        self.show_remembered()
        # The first check waits for the first poll to end: at start-up the balance comes first.
        self._poked.wait(MAX_IDLE_WAIT)
        while not self._stopping.is_set():
            self._poked.clear()
            try:
                self.step()
            except Exception:  # a bug here must never reach the balance: log it, go on
                log.exception("Unexpected error in the update check")
            self._poked.wait(self.seconds_until_next_turn())

    def show_remembered(self) -> None:
        """At start-up, the release the last check found, when it is newer than this one."""
        if self._settings_enabled():
            self._offer(newer_than(self._memory.latest, self._running))

    def seconds_until_next_turn(self) -> float:
        if not self._enabled:
            return MAX_IDLE_WAIT
        return min(MAX_IDLE_WAIT, seconds_until_due(self._memory, self._wall_now()))

    def step(self) -> None:
        """Check if it is due and allowed, and show what is known."""
        if not self._settings_enabled():
            self._offer(None)
            return
        now = self._wall_now()
        if due(self._memory, now):
            self._remember(self._checked_at(now))
        offer = newer_than(self._memory.latest, self._running)
        self._offer(offer)
        if offer is not None and self._memory.notified != offer.version:
            if self._notify:
                self._on_alert(update_alert(offer, self._running))
            self._remember(self._memory._replace(notified=offer.version))

    # --- its parts ----------------------------------------------------------------------------

    def _settings_enabled(self) -> bool:
        try:
            settings = self._load_settings()
        except DeepgramTrayError:
            return self._enabled  # the poller says what is wrong with the config
        self._enabled, self._notify = settings.check_updates, settings.notify
        return self._enabled

    def _checked_at(self, now: datetime) -> UpdateMemory:
        try:
            latest = self._check()
        except DeepgramTrayError as exc:
            log.info("The update check failed (asked again in a day): %s", exc.message)
            return check_failed(self._memory, now)
        except Exception:
            log.exception("The update check failed unexpectedly (asked again in a day)")
            return check_failed(self._memory, now)
        log.info("Update check: the latest release is %s", latest.version if latest else "none")
        return checked(self._memory, now, latest)

    def _offer(self, release: Release | None) -> None:
        if release != self._offered:
            self._on_update(release)
            self._offered = release  # after: a failed update of the menu is tried again

    def _remember(self, memory: UpdateMemory) -> None:
        """Kept for this run whatever happens; written for the next when the folder allows."""
        self._memory = memory
        try:
            write_atomically(self._path, encode(memory))
        except OSError as exc:
            log.warning("Could not save the update check's state in %s: %s", self._path, exc)


def read_memory(path: Path) -> UpdateMemory:
    """The saved memory; an empty one when there is none or it cannot be read."""
    try:
        return decode(read_regular_file(path, MEMORY_BYTES))
    except FileNotFoundError:
        return UpdateMemory()
    except OSError as exc:
        log.warning("Could not read the update check's state in %s: %s", path, exc)
        return UpdateMemory()
