"""The background poller: fetch on schedule, build the next TrayState, hand it to the UI.

`Poller.step()` does one turn (wake check, staleness, maybe a fetch) and is what tests drive with a
fake clock; `Poller.run()` is the thread loop around it, waiting on an Event between turns, so an
idle tray costs no CPU. What each next state is, the transitions module decides; the poller does
the fetching, the scheduling and the publishing. A keyring that failed (a dismissed or impossible
prompt, or none at all) is not asked again on the schedule, only when the user acts (`refresh`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from trayapp.config import Settings
from trayapp.deepgram.models import BalanceSnapshot, Project
from trayapp.errors import (
    DeepgramTrayError,
    KeyringUnavailableError,
    MissingKeyError,
    NotFoundError,
    RateLimitedError,
)
from trayapp.outlook.forecast import NO_DATA, Forecast, SpendRate, combine, with_what_is_left
from trayapp.tray.carry_forward import headline_error, read_nothing
from trayapp.tray.forecast_schedule import FetchForecastInputs, ForecastInputsSchedule
from trayapp.tray.notifications import Alert, AlertMemory, alerts_for
from trayapp.tray.scheduler import Clock, PollScheduler
from trayapp.tray.state import Thresholds, TrayState
from trayapp.tray.transitions import (
    STALE_AFTER_INTERVALS,
    after_failure,
    after_no_key,
    after_read,
    aged,
    forecast_made,
    refresh_started,
    settings_changed,
    settings_unreadable,
)

log = logging.getLogger(__name__)

MAX_IDLE_WAIT = 60.0
"""The loop wakes at least this often, so a sleep/resume is noticed within a minute."""


@dataclass(frozen=True)
class FetchResult:
    snapshot: BalanceSnapshot
    projects: list[Project]


LoadSettings = Callable[[], Settings]
Fetch = Callable[[Settings, "list[Project] | None"], FetchResult]
"""fetch(settings, known_projects): finds the key itself; known_projects None means list them.

Raises MissingKeyError when no key is set, which the tray shows as such, and
KeyringUnavailableError when the key had to come from a keyring that could not give it."""


class Poller:
    def __init__(
        self,
        *,
        load_settings: LoadSettings,
        fetch: Fetch,
        on_state: Callable[[TrayState], None],
        on_alert: Callable[[Alert], None],
        clock: Clock,
        wall_now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        scheduler: PollScheduler | None = None,
        record_history: Callable[[BalanceSnapshot], SpendRate] = lambda snapshot: NO_DATA,
        fetch_forecast_inputs: FetchForecastInputs | None = None,
    ) -> None:
        self._record_history = record_history
        """Given every read in which each watched project answered: adds it to the balance
        history and returns the spend rate the history shows up to it."""
        self._forecast_inputs = ForecastInputsSchedule(fetch_forecast_inputs, clock)
        self._load_settings = load_settings
        self._fetch = fetch
        self._on_state = on_state
        self._on_alert = on_alert
        self._clock = clock
        self._wall_now = wall_now
        self._settings_error: DeepgramTrayError | None = None
        """Why the settings could not be read last time; shown until they can be."""
        self._settings_loaded = False
        try:
            self._settings = load_settings()
            self._settings_loaded = True
        except DeepgramTrayError as exc:
            # Start, show why, and fetch nothing until the settings can be read: the defaults are
            # not what the user chose (their api_url, their projects).
            self._settings, self._settings_error = Settings(), exc
        self.scheduler = scheduler or PollScheduler(self._settings.poll_interval, clock)
        self.state = TrayState(Thresholds.from_settings(self._settings), error=self._settings_error)
        self._alerts = AlertMemory()
        self._projects: list[Project] | None = None
        self._last_success_at: float | None = None
        self._keyring_failed = False
        """The last fetch found no key in the environment and the keyring could not give one (no
        keyring, or its prompt dismissed or impossible to show). Asking again on the schedule
        could put the keyring's dialog up every interval and every retry, so only the user asks
        again (Refresh, the settings window closing): see `_held_for_the_user`."""
        self._user_asked = False
        """A refresh was asked for since the last fetch started (set under the lock)."""
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()

    # --- called from the UI thread ------------------------------------------------------------

    def refresh(self) -> None:
        """Fetch now (settings and key re-read); a burst of calls gives one fetch."""
        with self._lock:
            self.scheduler.request_refresh()
            self._user_asked = True
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    # --- the loop ------------------------------------------------------------------------------

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.step()
            except Exception:  # a bug must not kill the poller: log it and keep the schedule
                log.exception("Unexpected error in the poller")
            self._wake.wait(self.seconds_until_next_turn())
            self._wake.clear()

    def seconds_until_next_turn(self) -> float:
        with self._lock:
            # Held, the scheduler stays due: the user's refresh then fetches at once.
            held = self._held_for_the_user()
            wait = MAX_IDLE_WAIT if held else self.scheduler.seconds_until_due()
        stale_in = self._seconds_until_stale()
        if stale_in is not None:
            wait = min(wait, stale_in)
        return min(wait, MAX_IDLE_WAIT)

    def step(self) -> None:
        with self._lock:
            if self.scheduler.check_for_wake():
                log.info("The clock jumped (sleep/resume?): refreshing now")
            due = self.scheduler.due() and not self._held_for_the_user()
            if due:
                self._user_asked = self._keyring_failed = False
        self._update_staleness()
        if due and not self._stopping.is_set():
            self._poll()

    def _held_for_the_user(self) -> bool:
        """No fetch on the schedule (call under the lock): the keyring failed and the user has not
        asked since. The tray keeps showing why, so the menu and the settings window still say
        what to do."""
        return self._keyring_failed and not self._user_asked

    # --- one fetch --------------------------------------------------------------------------

    def _poll(self) -> None:
        try:
            settings = self._load_settings()
        except DeepgramTrayError as exc:
            # A config broken while running keeps the last good settings polling, and says so
            # until it is fixed; one broken from the start fetches nothing (see __init__).
            log.warning("Settings could not be loaded: %s", exc.message)
            settings, self._settings_error = self._settings, exc
            if not self._settings_loaded:
                with self._lock:
                    self.scheduler.fetch_started(False)
                    self.scheduler.fetch_succeeded(listed_projects=False)  # look again later
                self._publish(settings_unreadable(self.state, exc))
                return
        else:
            self._settings_error, self._settings_loaded = None, True
        self._apply_settings(settings)

        listed = self._projects is None
        with self._lock:
            listed = listed or self.scheduler.should_list_projects()
            self.scheduler.fetch_started(listed)
        self._publish(refresh_started(self.state))
        try:
            result = self._fetch(settings, None if listed else self._projects)
        except MissingKeyError:
            self._no_key()
            return
        except KeyringUnavailableError as exc:
            with self._lock:
                self._keyring_failed = True
            self._failed(exc)
            log.info("The keyring is asked again on Refresh now or when the settings window closes")
            return
        except DeepgramTrayError as exc:
            self._failed(exc)
            return
        self._succeeded(result, listed)

    def _no_key(self) -> None:
        """Nothing to fetch with: check again each interval (or at once on Refresh)."""
        with self._lock:
            self.scheduler.fetch_succeeded(listed_projects=False)
        self._publish(after_no_key(self.state, settings_error=self._settings_error))

    def _succeeded(self, result: FetchResult, listed: bool) -> None:
        self._projects = result.projects
        read = result.snapshot
        if read_nothing(read):
            self._failed(headline_error(read.errors))
            return
        complete = not read.errors
        history = self._record(read) if complete else NO_DATA
        self._last_success_at = self._clock.monotonic()
        self._schedule_after_read(read, listed)
        shown = after_read(
            self.state, read, settings_error=self._settings_error, at=self._wall_now()
        )
        # Two steps when spend and expiry are due too: the amount is shown first, with the last
        # forecast still on show, because their read (a worker process, two calls per project)
        # must not hold it back; the new forecast follows once they are read.
        read_forecast_inputs = complete and self._forecast_inputs.due()
        if complete and not read_forecast_inputs:
            shown = forecast_made(shown, self._forecast(read, history))
        self._publish(shown)
        if read_forecast_inputs:
            ids = [p.project.project_id for p in read.projects]
            self._forecast_inputs.refresh(self._settings, ids)
            self._publish(forecast_made(self.state, self._forecast(read, history)))

    def _schedule_after_read(self, read: BalanceSnapshot, listed: bool) -> None:
        """The next poll after a read of some projects: later if one was asked to wait."""
        retry_after = _retry_after(read)
        # A project that was there and is now not found (deleted, moved to another account):
        # list the projects again at the next poll rather than an hour later. One still not found
        # since the last read is not listed for again at every poll.
        relist = not listed and _newly_not_found(read, self.state.snapshot)
        with self._lock:
            if retry_after is not None:
                self.scheduler.fetch_failed(retry_after, relist=relist, listed_projects=listed)
            else:
                self.scheduler.fetch_succeeded(listed, relist=relist)

    def _record(self, snapshot: BalanceSnapshot) -> SpendRate:
        """Add a complete read to the history; the spend rate the history shows up to it."""
        try:
            return self._record_history(snapshot)
        except Exception:  # the history is a nice-to-have: never let it stop the polls
            log.exception("Could not record or read the balance history")
            return NO_DATA

    def _forecast(self, snapshot: BalanceSnapshot, history: SpendRate) -> Forecast:
        """Deepgram's own spend rate when the key may read it, else the history's."""
        reading = self._forecast_inputs.last
        # What is left of the expiring order comes from this read's balances, not the hourly one.
        expiry = with_what_is_left(reading.expiry, snapshot)
        return combine(snapshot.main_total, reading.billing, history, expiry)

    def _failed(self, error: DeepgramTrayError) -> None:
        log.warning("Refresh failed: %s", error.user_message())
        retry_after = error.retry_after if isinstance(error, RateLimitedError) else None
        with self._lock:
            self.scheduler.fetch_failed(retry_after, relist=isinstance(error, NotFoundError))
        self._publish(
            after_failure(
                self.state, error, settings_error=self._settings_error, at=self._wall_now()
            )
        )
        self._update_staleness()

    # --- state plumbing -------------------------------------------------------------------------

    def _apply_settings(self, settings: Settings) -> None:
        if settings == self._settings:
            return
        previous, self._settings = self._settings, settings
        with self._lock:
            self.scheduler.interval = settings.poll_interval
        if settings.projects != previous.projects or settings.api_url != previous.api_url:
            self._projects = None  # another account or other projects: list them again
            self._forecast_inputs.forget()
        self._publish(settings_changed(self.state, Thresholds.from_settings(settings)))

    def _seconds_until_stale(self) -> float | None:
        if self._last_success_at is None or self.state.stale:
            return None
        limit = STALE_AFTER_INTERVALS * self._settings.poll_interval
        return max(0.0, self._last_success_at + limit - self._clock.monotonic())

    def _update_staleness(self) -> None:
        if self._last_success_at is None:
            return
        since_read = self._clock.monotonic() - self._last_success_at
        self._publish(aged(self.state, since_read, self._settings.poll_interval))

    def _publish(self, state: TrayState) -> None:
        if state == self.state:
            return
        self.state = state
        self._alerts, alerts = alerts_for(self._alerts, state)
        self._on_state(state)
        if self._settings.notify:
            for alert in alerts:
                self._on_alert(alert)


def _newly_not_found(new: BalanceSnapshot, previous: BalanceSnapshot | None) -> bool:
    def not_found(snapshot: BalanceSnapshot) -> set[str]:
        return {
            p.project.project_id for p in snapshot.projects if isinstance(p.error, NotFoundError)
        }

    return bool(not_found(new) - (not_found(previous) if previous is not None else set()))


def _retry_after(snapshot: BalanceSnapshot) -> float | None:
    """The longest Retry-After any project's rate-limit error asked for."""
    waits = [
        e.retry_after
        for e in snapshot.errors
        if isinstance(e, RateLimitedError) and e.retry_after is not None
    ]
    return max(waits, default=None)
