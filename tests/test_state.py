"""What a glance at the icon means: the level a state shows, and the figures behind it (pure)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.support.tray_states import CRITICAL, THRESHOLDS, WARN, snapshot, state_with
from trayapp.config import Settings
from trayapp.deepgram.models import Balance, Project, ProjectBalances
from trayapp.errors import AuthError, NetworkError, PermissionDeniedError, ServerError
from trayapp.outlook.forecast import NO_DATA, Expiry, build_forecast
from trayapp.tray.state import Level, Thresholds, TrayState, level_for_total

MEMBER = PermissionDeniedError("Deepgram refused access: use an Owner or Admin key.")


def test_the_thresholds_are_the_settings_limits() -> None:
    chosen = Settings(
        warn_below=Decimal(50),
        critical_below=Decimal("7.5"),
        warn_days_left=Decimal("3.5"),
        warn_expiry_days=30,
        notify=False,
    )
    assert Thresholds.from_settings(chosen) == Thresholds(
        warn_below=Decimal(50),
        critical_below=Decimal("7.5"),
        warn_days_left=Decimal("3.5"),
        warn_expiry_days=30,
    )
    assert Thresholds.from_settings(Settings()) == THRESHOLDS  # the tests' limits are the defaults
    bare = TrayState(THRESHOLDS)
    assert (bare.has_key, bare.stale, bare.refreshing) == (True, False, False)


class TestLevel:
    @pytest.mark.parametrize(
        ("total", "level"),
        [
            ("20", Level.OK),
            ("19.99", Level.WARN),
            ("5", Level.WARN),
            ("4.99", Level.CRITICAL),
            ("-1", Level.CRITICAL),
        ],
    )
    def test_thresholds(self, total: str, level: Level) -> None:
        assert level_for_total(Decimal(total), WARN, CRITICAL) is level
        assert state_with(total).level is level

    def test_critical_equal_to_warn_has_no_amber_band(self) -> None:
        assert level_for_total(Decimal("19.99"), Decimal(20), Decimal(20)) is Level.CRITICAL
        assert level_for_total(Decimal(20), Decimal(20), Decimal(20)) is Level.OK

    def test_first_check_running_is_waiting_not_a_problem(self) -> None:
        assert state_with().level is Level.WAITING

    def test_first_check_failed_is_a_problem(self) -> None:
        assert state_with(error=NetworkError("offline.")).level is Level.PROBLEM

    def test_no_key_is_a_problem_whatever_the_amount(self) -> None:
        assert state_with("128", has_key=False).level is Level.PROBLEM

    def test_stale_data_is_a_problem_whatever_the_amount(self) -> None:
        assert state_with("128", stale=True).level is Level.PROBLEM
        assert state_with("1", stale=True).level is Level.PROBLEM

    def test_a_transient_failure_keeps_the_amounts_level(self) -> None:
        assert state_with("12", error=ServerError("busy.")).level is Level.WARN


class TestBlockingError:
    def test_a_refused_key_blocks(self) -> None:
        refused = AuthError("refused.")
        assert state_with("128", error=refused).blocking_error is refused
        assert state_with("128", error=refused).level is Level.PROBLEM

    def test_a_member_key_inside_the_last_read_blocks(self) -> None:
        state = state_with(snapshot=snapshot("50", "0", errors={1: MEMBER}))
        assert state.blocking_error is MEMBER
        assert state.level is Level.PROBLEM

    def test_other_project_errors_do_not_block(self) -> None:
        state = state_with(snapshot=snapshot("50", "0", errors={1: ServerError("busy.")}))
        assert state.blocking_error is None
        assert state.level is Level.OK

    def test_a_transient_error_does_not_block(self) -> None:
        assert state_with("50", error=NetworkError("offline.")).blocking_error is None


class TestTotal:
    def test_none_before_the_first_read(self) -> None:
        assert state_with().total is None

    def test_the_main_unit_only(self) -> None:
        hours = ProjectBalances(Project("p", "P"), (Balance("b", Decimal(3), "hours"),))
        with_hours = snapshot("10")._replace(projects=(*snapshot("10").projects, hours))
        assert state_with(snapshot=with_hours).total == Decimal(10)

    def test_balances_only_in_other_units_have_no_dollar_total(self) -> None:
        # Hours are not $0: the dollar thresholds do not apply to them (test_hours_only_tray.py).
        hours = ProjectBalances(Project("p", "P"), (Balance("b", Decimal(3), "hours"),))
        state = state_with(snapshot=snapshot()._replace(projects=(hours,)))
        assert state.total is None
        assert state.level is Level.OK


class TestDaysToExpiry:
    EXPIRY = Expiry(date(2026, 12, 4), Decimal(150), "usd", "p0")

    def test_counted_from_the_day_of_the_last_read(self) -> None:
        forecast = build_forecast(Decimal(100), NO_DATA, self.EXPIRY)
        assert state_with("100", forecast=forecast).days_to_expiry == 10  # read on 24 Nov 2026

    def test_unknown_without_an_expiry_a_forecast_or_a_read(self) -> None:
        assert state_with("100").days_to_expiry is None
        no_expiry = build_forecast(Decimal(100), NO_DATA, None)
        assert state_with("100", forecast=no_expiry).days_to_expiry is None
        with_expiry = build_forecast(Decimal(100), NO_DATA, self.EXPIRY)
        assert state_with(forecast=with_expiry).days_to_expiry is None
