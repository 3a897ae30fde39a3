"""Which notifications a state deserves (pure): each crossing once, from the very first state on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.support.tray_states import said, snapshot, state_with
from trayapp.errors import AuthError, NetworkError, PermissionDeniedError
from trayapp.outlook.forecast import NO_DATA, Expiry, SpendRate, build_forecast
from trayapp.tray.notifications import Alert, AlertMemory, alerts_for
from trayapp.tray.state import TrayState

KEY_FAILED = "Deepgram key stopped working"
REFUSED = AuthError("Deepgram refused the API key: set a valid key with `deepgram-tray key set`.")


class TestAtStart:
    """The tray may start with the balance already low or the key already bad: say so at once."""

    def test_already_low(self) -> None:
        _, alerts = alerts_for(AlertMemory(), state_with("15"))
        assert alerts == [
            Alert(
                "Deepgram balance low: $15.00",
                "Your Deepgram credit is $15.00, below $20.00: consider topping up soon.",
            )
        ]

    def test_already_critical_says_critical_only(self) -> None:
        _, alerts = alerts_for(AlertMemory(), state_with("3"))
        assert alerts == [
            Alert(
                "Deepgram balance critical: $3.00",
                "Your Deepgram credit is $3.00, below $5.00: top up in the Deepgram Console "
                "before requests start failing.",
            )
        ]

    def test_already_healthy_says_nothing(self) -> None:
        assert said(state_with("128.32")) == []

    def test_key_already_refused(self) -> None:
        _, alerts = alerts_for(AlertMemory(), state_with(error=REFUSED))
        assert alerts == [Alert(KEY_FAILED, REFUSED.message)]

    def test_member_key_inside_the_first_read(self) -> None:
        member = PermissionDeniedError("Deepgram refused access: use an Owner or Admin key.")
        state = state_with(snapshot=snapshot("0", errors={0: member}))
        assert said(state) == [KEY_FAILED]

    def test_still_checking_says_nothing(self) -> None:
        assert said(state_with()) == []


class TestThresholds:
    def test_critical_implies_low_until_a_top_up_re_arms_both(self) -> None:
        states = [state_with(t) for t in ("3", "15", "25", "15", "4")]
        assert said(*states) == [
            "Deepgram balance critical: $3.00",
            "Deepgram balance low: $15.00",
            "Deepgram balance critical: $4.00",
        ]

    def test_a_rise_from_critical_to_low_re_arms_critical(self) -> None:
        states = [state_with(t) for t in ("3", "10", "4")]
        assert said(*states) == [
            "Deepgram balance critical: $3.00",
            "Deepgram balance critical: $4.00",
        ]

    def test_exactly_at_a_threshold_is_above_it(self) -> None:
        assert said(state_with("20")) == []
        assert said(state_with("5")) == ["Deepgram balance low: $5.00"]
        assert said(state_with("19.99")) == ["Deepgram balance low: $19.99"]
        assert said(state_with("4.99")) == ["Deepgram balance critical: $4.99"]

    def test_critical_equal_to_warn_gives_one_critical_alert(self) -> None:
        at_twenty = {"warn_below": Decimal(20), "critical_below": Decimal(20)}
        assert said(state_with("19", **at_twenty), state_with("18", **at_twenty)) == [
            "Deepgram balance critical: $19.00"
        ]

    def test_a_sub_dollar_balance_is_not_negative(self) -> None:
        _, alerts = alerts_for(AlertMemory(), state_with("0.5"))
        assert alerts[0].title == "Deepgram balance critical: $0.50"

    def test_failing_or_stale_reads_say_nothing_new_and_keep_what_was_said(self) -> None:
        states = [
            state_with("15"),
            state_with("30", error=NetworkError("offline.")),
            state_with("30", stale=True),
            state_with("15"),
        ]
        assert said(*states) == ["Deepgram balance low: $15.00"]


class TestKey:
    def test_once_while_it_stays_refused(self) -> None:
        assert said(*[state_with(error=REFUSED)] * 3) == [KEY_FAILED]

    def test_a_good_read_re_arms_it(self) -> None:
        states = [state_with(error=REFUSED), state_with("50"), state_with(error=REFUSED)]
        assert said(*states) == [KEY_FAILED, KEY_FAILED]

    def test_a_network_error_between_two_refusals_does_not_re_arm_it(self) -> None:
        offline = state_with("50", error=NetworkError("offline."))
        assert said(state_with(error=REFUSED), offline, state_with(error=REFUSED)) == [KEY_FAILED]

    def test_a_refused_key_hides_the_amount_alerts(self) -> None:
        member = PermissionDeniedError("Deepgram refused access.")
        assert said(state_with("1", error=member)) == [KEY_FAILED]


def days_left_state(total: str, per_day: str, limit: str = "7") -> TrayState:
    rate = SpendRate("billing", Decimal(per_day))
    forecast = build_forecast(Decimal(total), rate, None)
    return state_with(total, forecast=forecast, warn_days_left=Decimal(limit))


class TestDaysLeft:
    def test_exactly_at_the_limit_is_not_below_it(self) -> None:
        assert said(days_left_state("70", "10")) == []
        assert said(days_left_state("69.9", "10")) == ["Deepgram credit: about 6 days left"]

    def test_a_negative_limit_is_off_too(self) -> None:
        assert said(days_left_state("30", "10", limit="-1")) == []

    def test_zero_is_off_even_for_a_balance_below_zero(self) -> None:
        assert said(days_left_state("-5", "10", limit="0")) == ["Deepgram balance critical: -$5.00"]

    def test_a_one_day_limit_warns_with_less_than_a_day_left(self) -> None:
        assert said(days_left_state("5", "10", limit="1")) == [
            "Deepgram balance low: $5.00",
            "Deepgram credit: less than a day left",
        ]

    def test_said_at_start(self) -> None:
        assert said(days_left_state("30", "10")) == ["Deepgram credit: about 3 days left"]


EXPIRY = Expiry(date(2026, 12, 4), Decimal(150), "usd", "p0")  # the snapshots are of 24 Nov 2026


def expiry_state(day: date, **changes: object) -> TrayState:
    expiry = EXPIRY._replace(day=day)
    return state_with("100", forecast=build_forecast(Decimal(100), NO_DATA, expiry), **changes)


class TestExpiry:
    def test_exactly_the_warning_period_ahead_is_within_it(self) -> None:
        assert said(expiry_state(date(2026, 12, 8))) == ["Deepgram credit expires in 14 days"]
        assert said(expiry_state(date(2026, 12, 9))) == []

    def test_today_and_tomorrow_in_words(self) -> None:
        assert said(expiry_state(date(2026, 11, 24))) == ["Deepgram credit expires today"]
        assert said(expiry_state(date(2026, 11, 25))) == ["Deepgram credit expires tomorrow"]

    def test_a_one_day_period(self) -> None:
        assert said(expiry_state(date(2026, 11, 25), warn_expiry_days=1)) == [
            "Deepgram credit expires tomorrow"
        ]
        assert said(expiry_state(date(2026, 11, 26), warn_expiry_days=1)) == []

    def test_zero_is_off_even_on_the_day_it_expires(self) -> None:
        assert said(expiry_state(date(2026, 11, 24), warn_expiry_days=0)) == []

    def test_not_said_while_the_read_fails(self) -> None:
        failing = expiry_state(date(2026, 12, 4), error=NetworkError("offline."))
        assert said(failing) == []


@pytest.mark.parametrize(("units", "cut"), [(121, False), (122, True), (300, True)])
def test_messages_are_cut_to_the_256_characters_windows_shows(units: int, cut: bool) -> None:
    # "Deepgram credit expires on 4 Dec 2026: 150.00 ccc… purchased. …": 135 characters plus the
    # units.
    odd_units = Expiry(date(2026, 12, 4), Decimal(150), "c" * units, "p0")
    state = state_with("100", forecast=build_forecast(Decimal(100), NO_DATA, odd_units))
    _, (alert,) = alerts_for(AlertMemory(), state)
    assert len(alert.message) == min(135 + units, 256)
    assert alert.message.endswith("…") == cut
    long_refusal = AuthError("Deepgram refused the API key. " * 20)
    _, (key_alert,) = alerts_for(AlertMemory(), state_with(error=long_refusal))
    assert len(key_alert.message) == 256
