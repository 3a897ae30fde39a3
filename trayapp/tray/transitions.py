"""The next TrayState after each thing that happens to the poller. Pure.

A fetch starts with `refresh_started` and ends with one of `after_read`, `after_failure` or
`after_no_key`; `settings_unreadable` is the poll that could not fetch at all. All four answer two
questions the same way, in `_refresh_ended`: nothing is refreshing any more, and a settings problem
is the error shown, ahead of whatever the fetch said.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from trayapp.deepgram.models import BalanceSnapshot
from trayapp.errors import DeepgramTrayError
from trayapp.outlook.forecast import Forecast
from trayapp.tray.carry_forward import carry_forward
from trayapp.tray.state import Thresholds, TrayState

STALE_AFTER_INTERVALS = 2
"""The data goes stale this many poll intervals after the last good read: one missed poll is a
blip, two are an outage."""


def refresh_started(state: TrayState) -> TrayState:
    """A fetch is out. The last error stays on show until it ends."""
    return replace(state, refreshing=True)


def after_read(
    state: TrayState,
    read: BalanceSnapshot,
    *,
    settings_error: DeepgramTrayError | None,
    at: datetime,
) -> TrayState:
    """A fetch read at least one project. A project that failed keeps its last good balances;
    the forecast stays as it was until `forecast_made` (it needs a complete read)."""
    return replace(
        _refresh_ended(state, None, settings_error),
        snapshot=carry_forward(read, state.snapshot),
        stale=False,
        has_key=True,
        checked_at=at,
    )


def forecast_made(state: TrayState, forecast: Forecast) -> TrayState:
    """A new forecast, from a complete read and the spend figures known by then."""
    return replace(state, forecast=forecast)


def after_failure(
    state: TrayState,
    error: DeepgramTrayError,
    *,
    settings_error: DeepgramTrayError | None,
    at: datetime,
) -> TrayState:
    """A fetch that read nothing: the last good data stays on show, with the error, and goes
    stale on schedule."""
    return replace(_refresh_ended(state, error, settings_error), has_key=True, checked_at=at)


def after_no_key(state: TrayState, *, settings_error: DeepgramTrayError | None) -> TrayState:
    """No key to fetch with: nothing was checked, and the missing key is the problem shown."""
    return replace(_refresh_ended(state, None, settings_error), has_key=False, checked_at=None)


def settings_unreadable(state: TrayState, error: DeepgramTrayError) -> TrayState:
    """The settings have never been readable, so nothing was fetched: say why."""
    return _refresh_ended(state, None, error)


def settings_changed(state: TrayState, thresholds: Thresholds) -> TrayState:
    """New limits apply to the amount already on show, without waiting for the next read."""
    return replace(state, thresholds=thresholds)


def aged(state: TrayState, since_read: float, poll_interval: float) -> TrayState:
    """The state `since_read` seconds after its last good read: stale once that is past
    STALE_AFTER_INTERVALS poll intervals (and fresh again if a longer interval was set)."""
    return replace(state, stale=since_read > STALE_AFTER_INTERVALS * poll_interval)


def _refresh_ended(
    state: TrayState,
    error: DeepgramTrayError | None,
    settings_error: DeepgramTrayError | None,
) -> TrayState:
    # The settings problem first: the user can fix it, and it may be the cause.
    return replace(state, error=settings_error or error, refreshing=False)
