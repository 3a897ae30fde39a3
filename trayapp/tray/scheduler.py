"""When to poll: the interval, backoff with jitter, Retry-After, refresh bursts and wake-ups. Pure.

Times are seconds on an injected monotonic clock; the wall clock is read only to notice that the
machine slept (monotonic time stands still during suspend on most systems, wall time does not).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

FIRST_RETRY = 30.0
"""Seconds before the first retry after a failure; doubles on each further failure."""
MAX_BACKOFF = 900.0
"""Retries never wait longer than this (or the poll interval, if that is longer)."""
PROJECT_LIST_MAX_AGE = 3600.0
"""The project list is re-read at most this often, or on a manual refresh."""
REFRESH_DEBOUNCE = 2.0
"""Manual refreshes within this many seconds of a fetch's start are folded into it."""
WAKE_JUMP = 60.0
"""Wall time running this much ahead of monotonic time means the machine was asleep."""


@dataclass
class Clock:
    monotonic: Callable[[], float]
    wall: Callable[[], float]


@dataclass
class PollScheduler:
    """Decides when the next fetch is due. Feed it what happened; ask it what to do."""

    interval: float
    clock: Clock
    jitter: Callable[[], float] = field(default=random.random)
    """Returns a number in [0, 1); tests pass a constant."""

    next_poll_at: float = field(init=False)
    not_before: float = field(init=False)
    """A Retry-After deadline: nothing is sent earlier, manual refreshes included."""
    failures: int = 0
    fetch_started_at: float | None = None
    in_flight: bool = False
    refresh_pending: bool = False
    projects_read_at: float | None = None
    force_project_list: bool = True
    _last_seen: tuple[float, float] | None = None
    """(wall, monotonic) at the last check_for_wake."""

    def __post_init__(self) -> None:
        self.next_poll_at = self.not_before = self.clock.monotonic()  # poll at once on start

    # --- questions ---------------------------------------------------------------------------

    def due(self) -> bool:
        now = self.clock.monotonic()
        return not self.in_flight and now >= max(self.next_poll_at, self.not_before)

    def seconds_until_due(self) -> float:
        return max(0.0, max(self.next_poll_at, self.not_before) - self.clock.monotonic())

    def should_list_projects(self) -> bool:
        if self.force_project_list or self.projects_read_at is None:
            return True
        return self.clock.monotonic() - self.projects_read_at >= PROJECT_LIST_MAX_AGE

    # --- events ------------------------------------------------------------------------------

    def request_refresh(self) -> None:
        """A user asked for fresh data: one cycle soon, however many times they click.

        During a fetch the request waits for it to end (its data may predate the click); right
        after one it waits out REFRESH_DEBOUNCE; Retry-After still holds (see `not_before`).
        """
        self.force_project_list = True
        if self.in_flight:
            self.refresh_pending = True
            return
        self.next_poll_at = min(self.next_poll_at, self._earliest_manual_refresh())

    def _earliest_manual_refresh(self) -> float:
        now = self.clock.monotonic()
        if self.fetch_started_at is None:
            return now
        return max(now, self.fetch_started_at + REFRESH_DEBOUNCE)

    def check_for_wake(self) -> bool:
        """Call on every loop turn; after a sleep, pulls the next poll forward to now."""
        wall, mono = self.clock.wall(), self.clock.monotonic()
        woke = False
        if self._last_seen is not None:
            last_wall, last_mono = self._last_seen
            woke = (wall - last_wall) - (mono - last_mono) > WAKE_JUMP
        self._last_seen = wall, mono
        if woke:  # during a fetch, its end sets the next poll anyway
            self.next_poll_at = mono
        return woke

    def fetch_started(self, listed_projects: bool) -> None:
        now = self.clock.monotonic()
        self.in_flight = True
        self.fetch_started_at = now
        if listed_projects:
            self.force_project_list = False

    def fetch_succeeded(self, listed_projects: bool, *, relist: bool = False) -> None:
        """`relist`: the next fetch lists the projects again (the list read may be out of date)."""
        now = self.clock.monotonic()
        self.in_flight = False
        self.failures = 0
        if listed_projects:
            self.projects_read_at = now
        if relist:
            self.force_project_list = True
        self.next_poll_at = now + self.interval
        self._run_pending_refresh()

    def fetch_failed(
        self,
        retry_after: float | None = None,
        *,
        relist: bool = False,
        listed_projects: bool = False,
    ) -> None:
        """Back off exponentially with jitter; never sooner than Retry-After says.

        `listed_projects`: the project list was read before the failure (some projects were
        rate-limited, say), so it is not read again for an hour.
        """
        now = self.clock.monotonic()
        self.in_flight = False
        self.failures += 1
        if listed_projects:
            self.projects_read_at = now
        ceiling = max(MAX_BACKOFF, self.interval)
        delay = min(ceiling, FIRST_RETRY * 2 ** (self.failures - 1))
        # "Equal jitter": between half and all of the delay, so clients spread out but still retry.
        delay *= 0.5 + 0.5 * self.jitter()
        if retry_after is not None:
            self.not_before = now + retry_after
        self.next_poll_at = now + delay
        if relist:
            self.force_project_list = True
        self._run_pending_refresh()

    def _run_pending_refresh(self) -> None:
        if self.refresh_pending:
            self.refresh_pending = False
            self.next_poll_at = min(self.next_poll_at, self._earliest_manual_refresh())
