"""The next TrayState after each thing that happens to the poller (pure): what each ending of a
refresh shows, which error wins, and when `refreshing` is on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.support.tray_states import FETCHED_AT, THRESHOLDS, snapshot, state_with
from trayapp.errors import ConfigError, DeepgramTrayError, NetworkError, ServerError
from trayapp.outlook.forecast import NO_DATA, build_forecast
from trayapp.tray.state import Level, TrayState
from trayapp.tray.transitions import (
    after_failure,
    after_no_key,
    after_read,
    aged,
    forecast_made,
    refresh_started,
    settings_changed,
    settings_unreadable,
)

BROKEN = ConfigError("The settings file cannot be read (line 3): fix it, or delete it.")
OFFLINE = NetworkError("Could not reach Deepgram: check the network.")
NOW = FETCHED_AT + timedelta(minutes=5)
FORECAST = build_forecast(Decimal(50), NO_DATA, None)

# A refresh under way, after an earlier failure, with an amount and a forecast on show.
RUNNING = state_with(
    "50", error=ServerError("busy."), refreshing=True, forecast=FORECAST, checked_at=FETCHED_AT
)

Ending = Callable[[TrayState, "DeepgramTrayError | None"], TrayState]
"""One way a refresh ends, given the settings problem (None: the settings were read)."""

ENDINGS: dict[str, Ending] = {
    "read": lambda state, settings_error: after_read(
        state, snapshot("60"), settings_error=settings_error, at=NOW
    ),
    "failure": lambda state, settings_error: after_failure(
        state, OFFLINE, settings_error=settings_error, at=NOW
    ),
    "no key": lambda state, settings_error: after_no_key(state, settings_error=settings_error),
}


class TestEveryEnding:
    @pytest.mark.parametrize("end", ENDINGS.values(), ids=ENDINGS.keys())
    def test_ends_the_refresh(self, end: Ending) -> None:
        assert end(RUNNING, None).refreshing is False
        assert end(RUNNING, BROKEN).refreshing is False

    @pytest.mark.parametrize("end", ENDINGS.values(), ids=ENDINGS.keys())
    def test_a_settings_problem_is_the_error_shown(self, end: Ending) -> None:
        assert end(RUNNING, BROKEN).error is BROKEN

    def test_settings_that_cannot_be_read_end_it_too(self) -> None:
        shown = settings_unreadable(RUNNING, BROKEN)
        assert shown.error is BROKEN and shown.refreshing is False
        assert replace(shown, error=RUNNING.error, refreshing=True) == RUNNING


class TestRefreshStarted:
    def test_shows_refreshing_and_keeps_the_rest_until_it_ends(self) -> None:
        idle = replace(RUNNING, refreshing=False)
        started = refresh_started(idle)
        assert started.refreshing is True
        assert started.error is idle.error and started.snapshot is idle.snapshot
        assert replace(started, refreshing=False) == idle


class TestAfterRead:
    def test_shows_the_new_amount_fresh_and_checked_now(self) -> None:
        stale = replace(RUNNING, stale=True, has_key=False)
        shown = after_read(stale, snapshot("60"), settings_error=None, at=NOW)
        assert shown.total == Decimal(60)
        assert (shown.stale, shown.has_key, shown.checked_at) == (False, True, NOW)

    def test_clears_the_last_error(self) -> None:
        shown = after_read(RUNNING, snapshot("60"), settings_error=None, at=NOW)
        assert shown.error is None

    def test_keeps_the_last_forecast_until_a_new_one_is_made(self) -> None:
        shown = after_read(RUNNING, snapshot("60"), settings_error=None, at=NOW)
        assert shown.forecast is FORECAST

    def test_a_project_that_failed_keeps_its_last_balances(self) -> None:
        two = state_with("10", "20")
        read = snapshot("15", "0", errors={1: OFFLINE})
        shown = after_read(two, read, settings_error=None, at=NOW)
        assert shown.total == Decimal(35)
        assert shown.snapshot is not None and shown.snapshot.projects[1].error is OFFLINE


class TestForecastMade:
    def test_replaces_the_forecast_only(self) -> None:
        new = build_forecast(Decimal(50), NO_DATA, None)._replace(days_left=Decimal(3))
        shown = forecast_made(RUNNING, new)
        assert shown.forecast is new
        assert replace(shown, forecast=FORECAST) == RUNNING


class TestAfterFailure:
    def test_shows_the_error_over_the_last_good_amount(self) -> None:
        shown = after_failure(RUNNING, OFFLINE, settings_error=None, at=NOW)
        assert shown.error is OFFLINE and shown.checked_at == NOW
        assert shown.total == Decimal(50) and shown.forecast is FORECAST
        assert shown.level is Level.OK  # a transient failure keeps the colour

    def test_a_key_that_was_missing_is_there_now(self) -> None:
        no_key = replace(RUNNING, has_key=False)
        assert after_failure(no_key, OFFLINE, settings_error=None, at=NOW).has_key is True

    def test_leaves_staleness_to_the_clock(self) -> None:
        stale = replace(RUNNING, stale=True)
        assert after_failure(stale, OFFLINE, settings_error=None, at=NOW).stale is True
        assert after_failure(RUNNING, OFFLINE, settings_error=None, at=NOW).stale is False


class TestAfterNoKey:
    def test_says_no_key_and_that_nothing_was_checked(self) -> None:
        shown = after_no_key(RUNNING, settings_error=None)
        assert shown.has_key is False and shown.checked_at is None
        assert shown.error is None  # the missing key is the problem, not the last failure
        assert shown.level is Level.PROBLEM

    def test_keeps_the_last_amount(self) -> None:
        assert after_no_key(RUNNING, settings_error=None).total == Decimal(50)


class TestSettingsChanged:
    def test_new_limits_recolour_the_amount_on_show(self) -> None:
        fifteen = state_with("15")
        assert fifteen.level is Level.WARN
        lower = THRESHOLDS._replace(warn_below=Decimal(10))
        shown = settings_changed(fifteen, lower)
        assert shown.thresholds == lower and shown.level is Level.OK
        assert replace(shown, thresholds=THRESHOLDS) == fifteen


class TestAged:
    INTERVAL = 300.0

    def test_stale_only_past_two_intervals(self) -> None:
        fresh = state_with("50")
        assert aged(fresh, 600, self.INTERVAL).stale is False
        assert aged(fresh, 600.001, self.INTERVAL).stale is True

    def test_fresh_again_when_a_longer_interval_is_set(self) -> None:
        stale = state_with("50", stale=True)
        assert aged(stale, 900, 600).stale is False

    def test_changes_nothing_else(self) -> None:
        assert replace(aged(RUNNING, 10_000, self.INTERVAL), stale=False) == RUNNING
