"""The background poller: fetch on schedule, build the next TrayState, hand it to the UI.

`Poller.step()` does one turn (wake check, staleness, maybe a fetch) and is what tests drive with a
fake clock; `Poller.run()` is the thread loop around it, waiting on an Event between turns, so an
idle tray costs no CPU. What each next state is, the transitions module decides; the poller does
the fetching, the scheduling and the publishing. A keyring that failed (a dismissed or impossible
prompt, or none at all) is not asked again on the schedule, only when the user acts (`refresh`).

Every account (`[accounts.NAME]` in the config, and the top level's `default`) has a TrayState of
its own, its own project list (re-read at most hourly) and its own notifications; a poll reads all
of them in one fetch (one worker run), and one account failing changes nothing for the others.
The schedule is shared: it backs off only when no account could be read.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import NamedTuple, TypeVar

from trayapp.accounts import Account
from trayapp.config import Settings
from trayapp.credentials import DEFAULT_ACCOUNT
from trayapp.deepgram.models import BalanceSnapshot, Project
from trayapp.errors import (
    DeepgramTrayError,
    KeyringUnavailableError,
    MissingKeyError,
    NotFoundError,
    RateLimitedError,
)
from trayapp.outlook.forecast import (
    NO_DATA,
    Forecast,
    SpendRate,
    combine,
    with_what_is_left,
)
from trayapp.tray.carry_forward import headline_error, read_nothing
from trayapp.tray.forecast_schedule import (
    FetchForecastInputs,
    ForecastInputsAnswer,
    ForecastInputsSchedule,
)
from trayapp.tray.notifications import Alert, AlertMemory, alerts_for, naming_the_account
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
from trayapp.tray.view import AccountState, TrayView

log = logging.getLogger(__name__)

MAX_IDLE_WAIT = 60.0
"""The loop wakes at least this often, so a sleep/resume is noticed within a minute."""


@dataclass(frozen=True)
class FetchResult:
    snapshot: BalanceSnapshot
    projects: list[Project]


class AccountRead(NamedTuple):
    """One account's part of a poll."""

    account: str
    settings: Settings
    """The account's settings: its API URL and watched projects."""
    known: list[Project] | None
    """The account's projects as last listed; None: list them first."""


class ForecastRead(NamedTuple):
    """One account's part of a read of spend and expiry."""

    account: str
    settings: Settings
    project_ids: list[str]


FetchAnswer = FetchResult | DeepgramTrayError

LoadSettings = Callable[[], Settings]
LoadAccounts = Callable[[], "tuple[Account, ...]"]
"""Every account, `default` (the top level) first; DeepgramTrayError when the config is broken."""
Fetch = Callable[[Settings, "list[Project] | None"], FetchResult]
"""fetch(settings, known_projects): finds the key itself; known_projects None means list them.

Raises MissingKeyError when no key is set, which the tray shows as such, and
KeyringUnavailableError when the key had to come from a keyring that could not give it."""
FetchAccounts = Callable[["list[AccountRead]"], "list[FetchAnswer]"]
"""One fetch for several accounts (the tray's one worker run per poll): an answer per read, in
order, each a FetchResult or the error Fetch would raise for it. Raises DeepgramTrayError when
the fetch failed as a whole (every account then failed with it)."""
FetchForecastInputsAccounts = Callable[["list[ForecastRead]"], "list[ForecastInputsAnswer]"]
RecordAccountHistory = Callable[[str, BalanceSnapshot], SpendRate]


class _Outcome(NamedTuple):
    """What one account's part of a poll means for the shared schedule."""

    failed: bool
    listed: bool = False
    retry_after: float | None = None


@dataclass(eq=False)
class _Track:
    """One account as the poller follows it."""

    account: Account
    state: TrayState
    forecast_inputs: ForecastInputsSchedule
    alerts: AlertMemory = field(default_factory=AlertMemory)
    projects: list[Project] | None = None
    """The account's projects as last listed; None: list them at the next poll."""
    last_success_at: float | None = None
    keyring_failed: bool = False
    """The last fetch found no key in the environment and the keyring could not give one (no
    keyring, or its prompt dismissed or impossible to show). Asking again on the schedule could
    put the keyring's dialog up every interval and every retry, so only the user asks again
    (Refresh, the settings window closing): see `Poller._held_for_the_user`."""


@dataclass
class _Pending:
    """A complete read whose forecast waits for spend and expiry to be read."""

    track: _Track
    snapshot: BalanceSnapshot
    history: SpendRate


class Poller:
    def __init__(
        self,
        *,
        on_alert: Callable[[Alert], None],
        clock: Clock,
        load_settings: LoadSettings | None = None,
        load_accounts: LoadAccounts | None = None,
        fetch: Fetch | None = None,
        fetch_accounts: FetchAccounts | None = None,
        on_state: Callable[[TrayState], None] | None = None,
        on_view: Callable[[TrayView], None] | None = None,
        wall_now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        scheduler: PollScheduler | None = None,
        record_history: Callable[[BalanceSnapshot], SpendRate] = lambda snapshot: NO_DATA,
        record_account_history: RecordAccountHistory | None = None,
        fetch_forecast_inputs: FetchForecastInputs | None = None,
        fetch_forecast_inputs_accounts: FetchForecastInputsAccounts | None = None,
        after_poll: Callable[[], None] = lambda: None,
    ) -> None:
        """One account (`load_settings`, `fetch`, `on_state`: the exporter, one per account) or
        every account (`load_accounts`, `fetch_accounts`, `on_view`: the tray).

        `on_state` gets the state of the account that most needs a look (with one account, its
        state); `on_view` every account's. `record_history` adds the default account's complete
        reads to the history, `record_account_history` any account's; each returns the spend
        rate the history shows up to it. `after_poll` runs as each poll ends (the tray's update
        check waits for it)."""
        if (load_settings is None) == (load_accounts is None):
            raise TypeError("give the Poller load_settings or load_accounts")
        if (fetch is None) == (fetch_accounts is None):
            raise TypeError("give the Poller fetch or fetch_accounts")
        self._load_settings = load_settings
        self._load_accounts_from = load_accounts
        self._fetch = fetch
        self._fetch_accounts = fetch_accounts or self._fetch_each
        self._fetch_forecast_inputs = fetch_forecast_inputs
        self._fetch_forecast_inputs_accounts = fetch_forecast_inputs_accounts or (
            self._fetch_forecast_inputs_each if fetch_forecast_inputs is not None else None
        )
        self._record_history = record_history
        self._record_account_history = record_account_history
        self._on_state = on_state
        self._on_view = on_view
        self._on_alert = on_alert
        self._after_poll = after_poll
        self._clock = clock
        self._wall_now = wall_now
        self._settings_error: DeepgramTrayError | None = None
        """Why the settings could not be read last time; shown until they can be."""
        self._settings_loaded = False
        try:
            accounts = self._load_accounts()
            self._settings_loaded = True
        except DeepgramTrayError as exc:
            # Start, show why, and fetch nothing until the settings can be read: the defaults are
            # not what the user chose (their api_url, their projects).
            accounts, self._settings_error = _default_only(Settings()), exc
        self._accounts = accounts
        self._settings = accounts[0].settings
        """The top level's: the poll interval and notifications are the same for every account."""
        self.scheduler = scheduler or PollScheduler(self._settings.poll_interval, clock)
        self._tracks = {a.name: self._new_track(a) for a in accounts}
        self._user_asked = False
        """A refresh was asked for since the last fetch started (set under the lock)."""
        self._unshown = False
        """A state changed in this `_one_update`, to be shown as it ends."""
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()

    def _new_track(self, account: Account) -> _Track:
        thresholds = Thresholds.from_settings(account.settings)
        return _Track(
            account,
            TrayState(thresholds, error=self._settings_error),
            ForecastInputsSchedule(
                self._clock, enabled=self._fetch_forecast_inputs_accounts is not None
            ),
        )

    # --- what is on show ------------------------------------------------------------------------

    @property
    def view(self) -> TrayView:
        """Every account shown: the top-level account is left out when it has no key and named
        accounts exist (it exists when it has a key)."""
        tracks = list(self._tracks.values())
        shown = [t for t in tracks if t.state.has_key or not t.account.is_default]
        return TrayView(tuple(AccountState(t.account, t.state) for t in (shown or tracks[:1])))

    @property
    def state(self) -> TrayState:
        """The state of the account that most needs a look; with one account, its state."""
        return self.view.state

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
            if due and self._user_asked:
                self._user_asked = False
                for track in self._tracks.values():
                    track.keyring_failed = False
        self._update_staleness()
        if due and not self._stopping.is_set():
            self._poll()
            self._after_poll()

    def _held_for_the_user(self) -> bool:
        """No fetch on the schedule (call under the lock): the keyring failed for every account
        and the user has not asked since. The tray keeps showing why, so the menu and the settings
        window still say what to do."""
        keyring_failed = all(t.keyring_failed for t in self._tracks.values())
        return keyring_failed and not self._user_asked

    # --- one poll ---------------------------------------------------------------------------

    def _poll(self) -> None:
        accounts = self._reload_accounts()
        if accounts is None:
            return
        self._apply_accounts(accounts)
        # An account whose keyring failed waits for the user; the others are read as usual.
        tracks = [t for t in self._tracks.values() if not t.keyring_failed]
        with self._lock:
            list_all = self.scheduler.should_list_projects()
            reads = [
                AccountRead(
                    t.account.name,
                    t.account.settings,
                    None if list_all or t.projects is None else t.projects,
                )
                for t in tracks
            ]
            self.scheduler.fetch_started(any(r.known is None for r in reads))
        with self._one_update():
            for track in tracks:
                self._publish(track, refresh_started(track.state))
        try:
            answers = self._fetch_accounts(reads)
        except DeepgramTrayError as exc:  # the fetch failed as a whole: so did every account
            answers = [exc] * len(reads)
        pending: list[_Pending] = []
        with self._one_update():
            outcomes = [
                self._take(track, read, answer, pending)
                for track, read, answer in zip(tracks, reads, answers, strict=True)
            ]
        self._schedule(outcomes)
        self._read_forecast_inputs(pending)
        self._update_staleness()

    def _reload_accounts(self) -> tuple[Account, ...] | None:
        """The accounts as the config has them now; None when it has never been readable."""
        try:
            accounts = self._load_accounts()
        except DeepgramTrayError as exc:
            # A config broken while running keeps the last good settings polling, and says so
            # until it is fixed; one broken from the start fetches nothing (see __init__).
            log.warning("Settings could not be loaded: %s", exc.message)
            self._settings_error = exc
            if not self._settings_loaded:
                with self._lock:
                    self.scheduler.fetch_started(False)
                    self.scheduler.fetch_succeeded(listed_projects=False)  # look again later
                with self._one_update():
                    for track in self._tracks.values():
                        self._publish(track, settings_unreadable(track.state, exc))
                return None
            return self._accounts
        self._settings_error, self._settings_loaded = None, True
        return accounts

    def _load_accounts(self) -> tuple[Account, ...]:
        if self._load_accounts_from is not None:
            return self._load_accounts_from()
        assert self._load_settings is not None
        return _default_only(self._load_settings())

    def _take(
        self, track: _Track, read: AccountRead, answer: FetchAnswer, pending: list[_Pending]
    ) -> _Outcome:
        """Show what one account's fetch found; what it means for the schedule."""
        if isinstance(answer, MissingKeyError):
            # Nothing to fetch with: check again each interval (or at once on Refresh).
            self._publish(track, after_no_key(track.state, settings_error=self._settings_error))
            return _Outcome(failed=False)
        if isinstance(answer, KeyringUnavailableError):
            with self._lock:
                track.keyring_failed = True
            outcome = self._failed(track, answer)
            log.info("The keyring is asked again on Refresh now or when the settings window closes")
            return outcome
        if isinstance(answer, DeepgramTrayError):
            return self._failed(track, answer)
        track.projects = answer.projects
        snapshot = answer.snapshot
        if read_nothing(snapshot):
            return self._failed(track, headline_error(snapshot.errors))
        complete = not snapshot.errors
        history = self._record(track, snapshot) if complete else NO_DATA
        track.last_success_at = self._clock.monotonic()
        # A project that was there and is now not found (deleted, moved to another account):
        # list the projects again at the next poll rather than an hour later. One still not found
        # since the last read is not listed for again at every poll.
        if read.known is not None and _newly_not_found(snapshot, track.state.snapshot):
            track.projects = None
        shown = after_read(
            track.state, snapshot, settings_error=self._settings_error, at=self._wall_now()
        )
        # Two steps when spend and expiry are due too: the amount is shown first, with the last
        # forecast still on show, because their read (a worker process, two calls per project)
        # must not hold it back; the new forecast follows once they are read.
        if complete and track.forecast_inputs.due():
            pending.append(_Pending(track, snapshot, history))
        elif complete:
            shown = forecast_made(shown, self._forecast(track, snapshot, history))
        self._publish(track, shown)
        return _Outcome(failed=False, listed=read.known is None, retry_after=_retry_after(snapshot))

    def _schedule(self, outcomes: list[_Outcome]) -> None:
        """The next poll: backing off only when no account could be read, and never sooner than
        any account was asked to wait."""
        waits = [o.retry_after for o in outcomes if o.retry_after is not None]
        retry_after = max(waits, default=None)
        with self._lock:
            if outcomes and all(o.failed for o in outcomes):
                self.scheduler.fetch_failed(retry_after)
                return
            listed = any(o.listed for o in outcomes)
            if retry_after is not None:
                self.scheduler.fetch_failed(retry_after, listed_projects=listed)
            else:
                self.scheduler.fetch_succeeded(listed)

    def _read_forecast_inputs(self, pending: list[_Pending]) -> None:
        """Read spend and expiry for every account whose hour has come, in one go, and show the
        new forecasts."""
        if not pending or self._fetch_forecast_inputs_accounts is None:
            return
        reads = [
            ForecastRead(
                p.track.account.name,
                p.track.account.settings,
                [entry.project.project_id for entry in p.snapshot.projects],
            )
            for p in pending
        ]
        answers: list[ForecastInputsAnswer]
        try:
            answers = self._fetch_forecast_inputs_accounts(reads)
        except DeepgramTrayError as exc:
            answers = [exc] * len(reads)
        with self._one_update():
            for each, answer in zip(pending, answers, strict=True):
                each.track.forecast_inputs.take(answer)
                forecast = self._forecast(each.track, each.snapshot, each.history)
                self._publish(each.track, forecast_made(each.track.state, forecast))

    def _record(self, track: _Track, snapshot: BalanceSnapshot) -> SpendRate:
        """Add a complete read to the history; the spend rate the history shows up to it."""
        try:
            if self._record_account_history is not None:
                return self._record_account_history(track.account.name, snapshot)
            if track.account.is_default:
                return self._record_history(snapshot)
            return NO_DATA
        except Exception:  # the history is a nice-to-have: never let it stop the polls
            log.exception("Could not record or read the balance history")
            return NO_DATA

    def _forecast(self, track: _Track, snapshot: BalanceSnapshot, history: SpendRate) -> Forecast:
        """Deepgram's own spend rate when the key may read it, else the history's."""
        reading = track.forecast_inputs.last
        # What is left of the expiring order comes from this read's balances, not the hourly one.
        expiry = with_what_is_left(reading.expiry, snapshot)
        return combine(snapshot.main_total, reading.billing, history, expiry)

    def _failed(self, track: _Track, error: DeepgramTrayError) -> _Outcome:
        log.warning("Refresh failed%s: %s", _of(track), error.user_message())
        if isinstance(error, NotFoundError):
            track.projects = None  # list the projects again at the next poll
        self._publish(
            track,
            after_failure(
                track.state, error, settings_error=self._settings_error, at=self._wall_now()
            ),
        )
        retry_after = error.retry_after if isinstance(error, RateLimitedError) else None
        return _Outcome(failed=True, retry_after=retry_after)

    # --- the single-account callers' fetches, as the many-account kind ---------------------------

    def _fetch_each(self, reads: list[AccountRead]) -> list[FetchAnswer]:
        fetch = self._fetch
        assert fetch is not None
        return _each(lambda read: fetch(read.settings, read.known), reads)

    def _fetch_forecast_inputs_each(self, reads: list[ForecastRead]) -> list[ForecastInputsAnswer]:
        fetch = self._fetch_forecast_inputs
        assert fetch is not None
        return _each(lambda read: fetch(read.settings, read.project_ids), reads)

    # --- state plumbing -------------------------------------------------------------------------

    def _apply_accounts(self, accounts: tuple[Account, ...]) -> None:
        if accounts == self._accounts:
            return
        self._accounts, self._settings = accounts, accounts[0].settings
        with self._lock:
            self.scheduler.interval = self._settings.poll_interval
        previous = self._tracks
        changed: list[tuple[_Track, bool]] = []
        """Each account whose settings changed, and whether its label did."""
        tracks: dict[str, _Track] = {}
        for account in accounts:
            track = previous.get(account.name)
            if track is None:
                track = self._new_track(account)
            elif track.account != account:
                old, relabelled = track.account.settings, track.account.label != account.label
                track.account = account
                if account.settings.projects != old.projects or account.settings.api_url != (
                    old.api_url
                ):
                    track.projects = None  # another account or other projects: list them again
                    track.forecast_inputs.forget()
                changed.append((track, relabelled))
            tracks[account.name] = track
        self._tracks = tracks
        with self._one_update():
            for track, relabelled in changed:
                thresholds = Thresholds.from_settings(track.account.settings)
                self._publish(track, settings_changed(track.state, thresholds), always=relabelled)
            if set(tracks) != set(previous):
                self._unshown = True  # an account came or went

    def _seconds_until_stale(self) -> float | None:
        limit = STALE_AFTER_INTERVALS * self._settings.poll_interval
        waits = [
            max(0.0, t.last_success_at + limit - self._clock.monotonic())
            for t in self._tracks.values()
            if t.last_success_at is not None and not t.state.stale
        ]
        return min(waits, default=None)

    def _update_staleness(self) -> None:
        with self._one_update():
            for track in list(self._tracks.values()):
                if track.last_success_at is None:
                    continue
                since_read = self._clock.monotonic() - track.last_success_at
                self._publish(track, aged(track.state, since_read, self._settings.poll_interval))

    def _publish(self, track: _Track, state: TrayState, *, always: bool = False) -> None:
        """`track`'s new state, shown as the `_one_update` it is made in ends (every change is
        made in one), and the notifications it deserves. `always`: show the view even when the
        state is the same (the account's label changed, say)."""
        if state == track.state and not always:
            return
        track.state = state
        track.alerts, alerts = alerts_for(track.alerts, state)
        self._unshown = True
        if self._settings.notify:
            single = self.view.single
            for alert in alerts:
                self._on_alert(alert if single else naming_the_account(alert, _label(track)))

    @contextmanager
    def _one_update(self) -> Iterator[None]:
        """The accounts' changes made inside are shown together, once, as it ends: the tray is
        redrawn once per step of a poll, not once per account."""
        self._unshown = False
        yield
        if self._unshown:
            self._show()

    def _show(self) -> None:
        view = self.view
        if self._on_state is not None:
            self._on_state(view.state)
        if self._on_view is not None:
            self._on_view(view)


Read = TypeVar("Read")
Answer = TypeVar("Answer")


def _each(call: Callable[[Read], Answer], reads: list[Read]) -> list[Answer | DeepgramTrayError]:
    """`call` for each read in turn, an error it raises being that read's answer."""
    answers: list[Answer | DeepgramTrayError] = []
    for read in reads:
        try:
            answers.append(call(read))
        except DeepgramTrayError as exc:
            answers.append(exc)
    return answers


def _default_only(settings: Settings) -> tuple[Account, ...]:
    return (Account(DEFAULT_ACCOUNT, DEFAULT_ACCOUNT, settings),)


def _label(track: _Track) -> str:
    return AccountState(track.account, track.state).label


def _of(track: _Track) -> str:
    """Who a log line is about: nothing for the top level, the name of any other account."""
    return "" if track.account.is_default else f" for the account {track.account.name!r}"


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
