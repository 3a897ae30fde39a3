"""The forecast's slow inputs: Deepgram's spend rate and the credit expiry, read at most hourly.

Billing breakdown and purchases change slowly and cost two calls per project, so the poller asks
this schedule at each complete balance read and gets the last reading back until an hour has passed.
The poller reads them (for every due account in one go) and hands each answer to `take`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from trayapp.config import Settings
from trayapp.errors import DeepgramTrayError
from trayapp.outlook.forecast import ForecastInputs
from trayapp.tray.scheduler import Clock

log = logging.getLogger(__name__)

FetchForecastInputs = Callable[[Settings, "list[str]"], ForecastInputs]
"""fetch(settings, project_ids): Deepgram's spend rate and the nearest credit expiry."""

ForecastInputsAnswer = ForecastInputs | DeepgramTrayError

INPUTS_INTERVAL = 3600.0
"""Billing and purchases change slowly: read them at most hourly, not at every poll."""
INPUTS_RETRY = 900.0
"""After a failed read (network, server), try again sooner than an hour, but not every poll."""


class ForecastInputsSchedule:
    """The last ForecastInputs, read again from Deepgram when an hour has passed."""

    def __init__(self, clock: Clock, *, enabled: bool) -> None:
        """`enabled`: there is a way to read them (a tray without one shows the history's rate)."""
        self._enabled = enabled
        self._clock = clock
        self._last = ForecastInputs(billing=None, expiry=None)
        self._due_at: float | None = None
        """Monotonic time of the next read; None: at the next complete balance read."""

    def forget(self) -> None:
        """Other projects or another account: what was read says nothing about them."""
        self._last, self._due_at = ForecastInputs(billing=None, expiry=None), None

    @property
    def last(self) -> ForecastInputs:
        return self._last

    def due(self) -> bool:
        now = self._clock.monotonic()
        return self._enabled and (self._due_at is None or now >= self._due_at)

    def take(self, fresh: ForecastInputsAnswer) -> ForecastInputs:
        """What was just read from Deepgram (or why it could not be); on failure keep the last
        reading and try again sooner."""
        now = self._clock.monotonic()
        if isinstance(fresh, DeepgramTrayError):
            log.info("Spend and expiry not read (%s); keeping what was known", fresh.message)
            self._due_at = now + INPUTS_RETRY
            return self._last
        if not fresh.expiry_read:
            fresh = fresh._replace(expiry=self._last.expiry)
        self._last, self._due_at = fresh, now + INPUTS_INTERVAL
        return fresh
