"""The scheduler and poller on a fake clock: hours of polling, failures, backoff, Retry-After,
wake-ups and refresh bursts, all without sleeping."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from tests.support.clock import FakeClock, step_poller_for
from tests.support.tray_states import snapshot
from tests.support.waiting import wait_until
from trayapp.config import Settings
from trayapp.deepgram.models import Project
from trayapp.errors import (
    AuthError,
    ConfigError,
    DeepgramTrayError,
    KeyringUnavailableError,
    MissingKeyError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    ServerError,
)
from trayapp.tray.notifications import Alert
from trayapp.tray.poller import FetchResult, Poller
from trayapp.tray.scheduler import Clock, PollScheduler
from trayapp.tray.state import Level, TrayState

PROJECTS = [Project("p0", "Project 0")]
NO_KEYRING = KeyringUnavailableError(
    "The OS keyring has no default keyring to keep the key in: create one and try again."
)


@dataclass
class FakeKeySource:
    """Where the real fetch finds its key (`find_api_key`): DEEPGRAM_API_KEY, else the keyring,
    which counts how often it is asked (each time, gnome-keyring may put up its dialog)."""

    env: str | None = None
    keyring: str | KeyringUnavailableError | None = NO_KEYRING
    keyring_asked: int = 0

    def find(self) -> str | None:
        if self.env is not None:
            return self.env
        self.keyring_asked += 1
        if isinstance(self.keyring, KeyringUnavailableError):
            raise self.keyring
        return self.keyring


@dataclass
class FakeApi:
    """Answers fetches from a script: amounts as text, or errors to raise."""

    clock: FakeClock
    answer: str | DeepgramTrayError = "128.32"
    calls: list[tuple[float, bool]] = field(default_factory=list)
    """(monotonic time, whether projects were listed) per fetch that had a key."""
    key: str | None = "k" * 40
    keys: FakeKeySource | None = None
    """When set, each fetch finds its key there (and may fail as the keyring does)."""

    def fetch(self, settings: Settings, projects: list[Project] | None) -> FetchResult:
        if self.keys is not None:
            self.key = self.keys.find()
        if self.key is None:
            raise MissingKeyError("No Deepgram API key is set: run `deepgram-tray key set`.")
        self.calls.append((self.clock.mono, projects is None))
        if isinstance(self.answer, DeepgramTrayError):
            raise self.answer
        return FetchResult(snapshot=snapshot(self.answer), projects=PROJECTS)

    def gaps(self) -> list[float]:
        times = [t for t, _ in self.calls]
        return [round(b - a, 3) for a, b in itertools.pairwise(times)]


@dataclass
class Harness:
    clock: FakeClock
    api: FakeApi
    poller: Poller
    states: list[TrayState]
    alerts: list[Alert]
    settings: list[Settings | ConfigError]

    def run_for(self, seconds: float) -> None:
        """Step the poller the way its thread would, jumping the clock between turns."""
        step_poller_for(self.poller, self.clock, seconds)


def make_harness(
    *,
    interval: int = 300,
    key: str | None = "k" * 40,
    notify: bool = True,
    broken_config: ConfigError | None = None,
    keys: FakeKeySource | None = None,
) -> Harness:
    """`broken_config`: the settings cannot be read from the start (append Settings to fix)."""
    clock = FakeClock()
    api = FakeApi(clock, key=key, keys=keys)
    states: list[TrayState] = []
    alerts: list[Alert] = []
    settings: list[Settings | ConfigError] = [Settings(poll_interval=interval, notify=notify)]
    if broken_config is not None:
        settings.append(broken_config)

    def load_settings() -> Settings:
        if isinstance(settings[-1], ConfigError):
            raise settings[-1]
        return settings[-1]

    poller = Poller(
        load_settings=load_settings,
        fetch=api.fetch,
        on_state=states.append,
        on_alert=alerts.append,
        clock=clock.clock,
        scheduler=PollScheduler(interval, clock.clock, jitter=lambda: 1.0),
    )
    return Harness(clock, api, poller, states, alerts, settings)


def test_polls_at_the_interval_for_hours() -> None:
    h = make_harness(interval=300)
    h.run_for(6 * 3600)
    assert len(h.api.calls) == 6 * 12 + 1
    assert set(h.api.gaps()) == {300.0}
    assert h.poller.state.level is Level.OK
    assert h.poller.state.total == Decimal("128.32")


def test_project_list_is_reread_at_most_hourly() -> None:
    h = make_harness(interval=300)
    h.run_for(3 * 3600)
    listed_at = [t for t, listed in h.api.calls if listed]
    assert len(listed_at) == 4  # at start, then once an hour
    assert all(b - a >= 3600 for a, b in itertools.pairwise(listed_at))


def test_failures_back_off_exponentially_up_to_a_ceiling() -> None:
    h = make_harness(interval=300)
    h.api.answer = NetworkError("offline")
    h.run_for(2 * 3600)
    assert h.api.gaps()[:7] == [30.0, 60.0, 120.0, 240.0, 480.0, 900.0, 900.0]
    assert max(h.api.gaps()) == 900.0


def test_jitter_spreads_retries_between_half_and_all_of_the_delay() -> None:
    clock = FakeClock()
    for jitter, expected in ((0.0, 15.0), (0.5, 22.5), (0.999, 29.985)):
        scheduler = PollScheduler(300, clock.clock, jitter=lambda j=jitter: j)
        scheduler.fetch_started(listed_projects=True)
        scheduler.fetch_failed()
        assert scheduler.seconds_until_due() == pytest.approx(expected)


def test_success_resets_the_backoff() -> None:
    h = make_harness(interval=300)
    h.api.answer = ServerError("503")
    h.run_for(30 + 60 + 1)
    h.api.answer = "50"
    h.run_for(1000)
    assert h.api.gaps()[-2:] == [300.0, 300.0]
    assert h.poller.scheduler.failures == 0


def test_retry_after_is_obeyed_even_by_manual_refresh() -> None:
    h = make_harness(interval=300)
    h.api.answer = RateLimitedError("slow down", retry_after=600)
    h.poller.step()
    h.api.answer = "50"
    for _ in range(5):
        h.clock.advance(60)
        h.poller.refresh()
        h.poller.step()
    assert len(h.api.calls) == 1, "nothing may be sent before Retry-After passes"
    h.run_for(301)
    assert [round(t - h.api.calls[0][0]) for t, _ in h.api.calls][:2] == [0, 600]


def test_retry_after_from_one_project_delays_the_next_poll() -> None:
    h = make_harness(interval=300)

    def fetch(settings: Settings, projects: list[Project] | None) -> FetchResult:
        h.api.calls.append((h.clock.mono, projects is None))
        limited = snapshot("10", "1", errors={1: RateLimitedError("429", retry_after=1200)})
        return FetchResult(limited, PROJECTS)

    h.poller._fetch = fetch
    h.run_for(1500)
    assert h.api.gaps()[0] == 1200.0


def test_a_burst_of_refresh_clicks_gives_one_fetch() -> None:
    h = make_harness(interval=300)
    h.run_for(100)
    assert len(h.api.calls) == 1
    h.clock.advance(10)
    for _ in range(20):
        h.poller.refresh()
    h.poller.step()
    h.poller.step()
    assert len(h.api.calls) == 2
    assert h.api.calls[-1][1] is True, "a manual refresh re-reads the project list"


def test_a_click_right_after_a_fetch_is_deferred_not_dropped() -> None:
    h = make_harness(interval=300)
    h.poller.step()
    h.clock.advance(0.5)
    h.poller.refresh()
    h.poller.step()
    assert len(h.api.calls) == 1  # too soon after the last fetch started
    h.run_for(2)
    assert len(h.api.calls) == 2
    assert h.api.gaps() == [2.0]


def test_clicks_during_a_fetch_give_one_follow_up_fetch() -> None:
    h = make_harness(interval=300)
    h.run_for(10)

    def slow_fetch(settings: Settings, projects: list[Project] | None) -> FetchResult:
        h.api.calls.append((h.clock.mono, projects is None))
        if len(h.api.calls) == 2:
            for _ in range(10):  # the user clicks away while the request is out
                h.poller.refresh()
            h.clock.advance(5)
        return FetchResult(snapshot("1"), PROJECTS)

    h.poller._fetch = slow_fetch
    h.poller.refresh()
    h.run_for(100)
    assert len(h.api.calls) == 3


def test_a_click_during_a_failing_fetch_does_not_wait_for_the_backoff() -> None:
    h = make_harness(interval=300)
    h.run_for(10)

    def slow_failing_fetch(settings: Settings, projects: list[Project] | None) -> FetchResult:
        h.api.calls.append((h.clock.mono, projects is None))
        if len(h.api.calls) == 5:
            h.poller.refresh()  # the user clicks while the request is out
            h.clock.advance(5)
        raise NetworkError("offline")

    h.poller._fetch = slow_failing_fetch
    h.run_for(800)  # fails from 300 s on; after the 4th failure the retry would wait 240 s
    assert h.api.gaps()[:5] == pytest.approx([300, 30, 60, 120, 5], abs=0.01)
    assert h.api.calls[5][1] is True, "a manual refresh re-reads the project list"


def test_a_project_not_found_rereads_the_project_list_at_the_next_poll() -> None:
    h = make_harness(interval=300)
    h.run_for(10)
    h.api.answer = NotFoundError("Project p0 is not visible to this key.")
    h.run_for(300)
    h.api.answer = "50"
    h.run_for(30)
    assert [listed for _, listed in h.api.calls] == [True, False, True]
    assert h.api.gaps() == [300.0, 30.0]


def two_projects(*errors: DeepgramTrayError | None) -> FetchResult:
    """A read of p0 and p1, each with its amount or its error."""
    read = snapshot("10", "20", errors={i: e for i, e in enumerate(errors) if e is not None})
    return FetchResult(snapshot=read, projects=[p.project for p in read.projects])


def answer_with(h: Harness, answers: Iterator[FetchResult]) -> None:
    """The fetches get these results, one each, recorded like FakeApi's."""

    def fetch(settings: Settings, projects: list[Project] | None) -> FetchResult:
        h.api.calls.append((h.clock.mono, projects is None))
        return next(answers)

    h.poller._fetch = fetch


def test_one_project_not_found_in_an_old_list_rereads_it_at_the_next_poll() -> None:
    h = make_harness(interval=300)
    gone = two_projects(None, NotFoundError("p1 gone."))
    answer_with(h, itertools.chain([two_projects(), gone], itertools.repeat(two_projects())))
    h.run_for(900)
    assert [listed for _, listed in h.api.calls] == [True, False, True, False]


def test_one_project_not_found_in_a_fresh_list_is_not_listed_again_each_poll() -> None:
    h = make_harness(interval=300)
    answer_with(h, itertools.repeat(two_projects(None, NotFoundError("p1 is not visible."))))
    h.run_for(1200)
    assert [listed for _, listed in h.api.calls] == [True, False, False, False, False]


def test_a_rate_limited_project_does_not_make_the_list_read_again() -> None:
    h = make_harness(interval=300)
    limited = two_projects(None, RateLimitedError("slow down.", retry_after=60))
    answer_with(h, itertools.chain([limited], itertools.repeat(two_projects())))
    h.run_for(400)
    assert h.api.calls == [(1000.0, True), (1060.0, False), (1360.0, False)]


def test_a_read_in_which_every_project_failed_is_a_failed_read() -> None:
    h = make_harness(interval=300)
    answer_with(
        h,
        itertools.chain(
            [two_projects()], itertools.repeat(two_projects(ServerError("a."), ServerError("b.")))
        ),
    )
    h.run_for(340)
    assert h.poller.state.total == Decimal(30)  # the last good read, not $0
    assert isinstance(h.poller.state.error, ServerError)
    assert h.api.gaps() == [300.0, 30.0]  # and the backoff of a failure


def test_other_projects_or_another_api_url_are_listed_at_the_next_poll() -> None:
    h = make_harness(interval=300)
    h.run_for(10)
    h.settings.append(Settings(projects=("p0",)))
    h.run_for(300)
    h.run_for(300)
    h.settings.append(Settings(projects=("p0",), api_url="https://eu.example.com"))
    h.run_for(300)
    assert [listed for _, listed in h.api.calls] == [True, True, False, True]


def test_a_refresh_wakes_the_waiting_poller_thread() -> None:
    clock = Clock(monotonic=time.monotonic, wall=time.time)
    api = FakeApi(FakeClock())
    poller = Poller(
        load_settings=lambda: Settings(),
        fetch=api.fetch,
        on_state=lambda state: None,
        on_alert=lambda alert: None,
        clock=clock,
    )
    thread = threading.Thread(target=poller.run)
    thread.start()
    try:
        wait_until(lambda: len(api.calls) == 1, timeout=10, what="the first fetch")
        poller.refresh()  # the thread now waits 60 s at most; the click must not wait that long
        wait_until(lambda: len(api.calls) == 2, timeout=10, what="the refresh")
    finally:
        poller.stop()
        thread.join(timeout=5)
    assert not thread.is_alive()


def test_wake_from_sleep_refreshes_at_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="trayapp.tray.poller")
    h = make_harness(interval=300)
    h.run_for(100)
    h.clock.suspend(8 * 3600)
    h.clock.advance(1)
    h.poller.step()
    assert len(h.api.calls) == 2
    assert "The clock jumped (sleep/resume?): refreshing now" in caplog.text
    assert h.api.calls[-1][0] - h.api.calls[0][0] == pytest.approx(101)


def test_wall_clock_going_back_changes_nothing() -> None:
    h = make_harness(interval=300)
    h.run_for(100)
    h.clock.wall -= 3600
    h.run_for(500)
    assert set(h.api.gaps()) == {300.0}
    assert len(h.api.calls) == 3


def test_data_goes_stale_after_two_intervals_and_keeps_its_amount() -> None:
    h = make_harness(interval=300)
    h.run_for(10)
    h.api.answer = NetworkError("offline")
    h.run_for(590)
    assert not h.poller.state.stale
    assert h.poller.state.level is Level.OK  # a short outage keeps the colour
    h.run_for(15)
    assert h.poller.state.stale
    assert h.poller.state.level is Level.PROBLEM
    assert h.poller.state.total == Decimal("128.32")
    h.api.answer = "128.32"
    h.run_for(1000)
    assert not h.poller.state.stale and h.poller.state.level is Level.OK


def test_the_icon_goes_stale_on_time_between_two_retries() -> None:
    h = make_harness(interval=300)
    h.run_for(10)  # read at 1000 s; the retries after 1300 s come at 1330, 1390, 1510, 1750
    stale_at: list[float] = []
    show = h.poller._on_state

    def on_state(state: TrayState) -> None:
        show(state)
        if state.stale and not stale_at:
            stale_at.append(h.clock.mono)

    h.poller._on_state = on_state
    h.api.answer = NetworkError("offline")
    h.run_for(1000)
    assert stale_at == [pytest.approx(1600, abs=0.01)]  # two intervals after the read


def test_refreshing_is_shown_while_a_fetch_runs() -> None:
    h = make_harness()
    h.poller.step()
    assert [s.refreshing for s in h.states][:2] == [True, False]
    h.api.answer = NetworkError("offline")
    h.run_for(300)
    assert [s.refreshing for s in h.states][-2:] == [True, False]


BROKEN = ConfigError("The settings file cannot be read (line 3): fix it, or delete it.")


def test_a_config_broken_from_the_start_fetches_nothing_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = make_harness(broken_config=BROKEN)
    h.run_for(900)
    assert h.api.calls == []
    assert h.poller.state.error is BROKEN and not h.poller.state.refreshing
    assert h.poller.state.level is Level.PROBLEM
    assert h.states == []  # the first state said it already: nothing to redraw at each poll
    assert "Settings could not be loaded: The settings file cannot be read" in caplog.text
    other = ConfigError("warn_below must be a number: write e.g. warn_below = 20.")
    h.settings.append(other)
    h.run_for(300)
    assert h.poller.state.error is other
    h.settings.append(Settings())
    h.run_for(300)
    assert len(h.api.calls) == 1 and h.api.calls[0][1], "the first fetch lists the projects"
    assert h.poller.state.error is None and h.poller.state.level is Level.OK


def test_a_config_broken_before_the_first_poll_keeps_the_settings_read_at_start() -> None:
    h = make_harness(interval=300)
    h.settings.append(BROKEN)
    h.run_for(10)
    assert len(h.api.calls) == 1 and h.poller.state.total == Decimal("128.32")
    assert h.poller.state.error is BROKEN


def test_a_config_broken_while_running_keeps_the_last_good_settings() -> None:
    h = make_harness(interval=300)
    h.api.answer = "15"
    h.run_for(10)
    h.settings.append(BROKEN)
    h.run_for(300)
    assert len(h.api.calls) == 2  # still polling, with the settings read before
    assert h.poller.state.error is BROKEN and h.poller.state.total == Decimal(15)
    h.settings.append(Settings(warn_below=Decimal(10)))
    h.run_for(300)
    assert h.poller.state.error is None and h.poller.state.level is Level.OK


def test_threshold_notifications_once_per_crossing() -> None:
    h = make_harness(interval=300)
    for amount in ["30", "15", "14", "13", "4", "3", "25", "15", "2"]:
        h.api.answer = amount
        h.run_for(300)
    titles = [a.title for a in h.alerts]
    assert titles == [
        "Deepgram balance low: $15.00",
        "Deepgram balance critical: $4.00",
        "Deepgram balance low: $15.00",
        "Deepgram balance critical: $2.00",
    ]


def test_key_failure_notifies_once_and_rearms_after_success() -> None:
    h = make_harness(interval=300)
    h.run_for(10)
    h.api.answer = AuthError("Deepgram refused the API key: set a valid key.")
    h.run_for(3600)
    assert [a.title for a in h.alerts] == ["Deepgram key stopped working"]
    assert h.poller.state.level is Level.PROBLEM
    h.api.answer = "50"
    h.run_for(3600)
    h.api.answer = AuthError("refused again")
    h.run_for(3600)
    assert [a.title for a in h.alerts].count("Deepgram key stopped working") == 2


def test_notify_off_sends_nothing() -> None:
    h = make_harness(notify=False)
    h.api.answer = "1"
    h.run_for(1000)
    assert h.alerts == []
    assert h.poller.state.level is Level.CRITICAL


def test_no_key_means_no_requests_until_one_is_set() -> None:
    h = make_harness(key=None)
    h.run_for(3600)
    assert h.api.calls == []
    assert h.poller.state.has_key is False and h.poller.state.level is Level.PROBLEM
    assert not h.poller.state.refreshing
    h.api.key = "k" * 40
    h.poller.refresh()
    h.run_for(3)  # within the debounce after the last (key-less) attempt, then at once
    assert len(h.api.calls) == 1 and h.poller.state.level is Level.OK


def test_locked_keyring_is_shown_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    h = make_harness()
    h.api.answer = KeyringUnavailableError("The OS keyring is locked: unlock it and try again.")
    h.run_for(600)
    assert "Refresh failed: The OS keyring is locked" in caplog.text
    assert isinstance(h.poller.state.error, KeyringUnavailableError)
    assert h.poller.state.level is Level.PROBLEM
    assert len(h.api.calls) == 1  # not retried on the schedule: see the tests below


# --- a keyring that failed is asked again only when the user acts ------------------------------


def test_a_failed_keyring_is_asked_once_however_many_polls_follow(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="trayapp.tray.poller")
    keys = FakeKeySource()
    h = make_harness(interval=300, keys=keys)
    h.run_for(6 * 3600)  # 72 intervals, and the backoff retries a failure would have had
    assert keys.keyring_asked == 1
    # Still shown, so the menu, the tooltip and the first-run settings window say what to do.
    assert h.poller.state.error is NO_KEYRING
    assert h.poller.state.level is Level.PROBLEM and not h.poller.state.refreshing
    assert "asked again on Refresh now or when the settings window closes" in caplog.text


def test_waking_from_sleep_does_not_ask_a_failed_keyring_again() -> None:
    keys = FakeKeySource()
    h = make_harness(keys=keys)
    h.run_for(100)
    h.clock.suspend(8 * 3600)
    h.clock.advance(1)
    h.run_for(600)
    assert keys.keyring_asked == 1


def test_a_refresh_asks_a_failed_keyring_again_once() -> None:
    """Refresh now, the settings window closing and a key saved there all call refresh()."""
    keys = FakeKeySource()
    h = make_harness(keys=keys)
    h.run_for(3600)
    for _ in range(5):  # a burst of clicks is one question to the keyring
        h.poller.refresh()
    h.run_for(3)
    assert keys.keyring_asked == 2
    h.run_for(3600)
    assert keys.keyring_asked == 2
    assert h.poller.state.error is NO_KEYRING


def test_a_refresh_while_the_keyring_is_being_asked_asks_it_again() -> None:
    """The click came after the lookup began (the user may have just made a keyring)."""
    keys = FakeKeySource()
    h = make_harness(keys=keys)
    find = keys.find

    def slow_find() -> str | None:
        if keys.keyring_asked == 0:
            h.poller.refresh()
            h.clock.advance(5)
        return find()

    keys.find = slow_find  # type: ignore[method-assign]
    h.run_for(3600)
    assert keys.keyring_asked == 2


def test_the_env_key_is_used_at_every_poll_whatever_the_keyring() -> None:
    keys = FakeKeySource(env="e" * 40)
    h = make_harness(interval=300, keys=keys)
    h.run_for(3600)
    assert keys.keyring_asked == 0
    assert len(h.api.calls) == 13 and set(h.api.gaps()) == {300.0}
    assert h.poller.state.level is Level.OK


def test_a_keyring_that_recovers_on_refresh_resumes_the_polls() -> None:
    keys = FakeKeySource()
    h = make_harness(interval=300, keys=keys)
    h.run_for(3600)
    keys.keyring = "k" * 40  # the user made a keyring and saved the key in the settings window
    h.poller.refresh()
    h.run_for(3600)
    assert len(h.api.calls) == 13 and set(h.api.gaps()) == {300.0}  # each with the key
    assert keys.keyring_asked == 1 + 13
    assert h.poller.state.error is None and h.poller.state.level is Level.OK
    # Failing again later holds again, until the next refresh.
    keys.keyring, asked = NO_KEYRING, keys.keyring_asked
    h.run_for(3600)
    assert keys.keyring_asked == asked + 1
    assert h.poller.state.error is NO_KEYRING


def test_data_read_before_the_keyring_failed_still_goes_stale() -> None:
    keys = FakeKeySource(keyring="k" * 40)
    h = make_harness(interval=300, keys=keys)
    h.run_for(10)
    keys.keyring = NO_KEYRING
    h.run_for(600)
    assert h.poller.state.stale and h.poller.state.total == Decimal("128.32")
    assert keys.keyring_asked == 2


def test_changed_settings_apply_without_a_restart() -> None:
    h = make_harness(interval=300)
    h.api.answer = "15"
    h.run_for(10)
    assert h.poller.state.level is Level.WARN
    h.settings.append(Settings(poll_interval=60, warn_below=Decimal(10)))
    h.run_for(600)
    assert h.poller.state.level is Level.OK
    assert h.api.gaps()[-1] == 60.0


def test_stop_ends_the_thread_promptly() -> None:
    h = make_harness()
    thread = threading.Thread(target=h.poller.run)
    thread.start()
    h.poller.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_a_bug_in_a_step_does_not_kill_the_loop(caplog: pytest.LogCaptureFixture) -> None:
    h = make_harness()
    turns: list[int] = []
    original: Callable[[], None] = h.poller.step

    def flaky() -> None:
        turns.append(1)
        if len(turns) == 1:
            raise RuntimeError("planted")
        h.poller.stop()
        original()

    h.poller.step = flaky  # type: ignore[method-assign]
    h.poller.refresh()
    thread = threading.Thread(target=h.poller.run)
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive() and len(turns) == 2
    assert "planted" in caplog.text
