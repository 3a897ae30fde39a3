"""Which notifications a state deserves (pure): each crossing once, from the very first state on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.conftest import PROJECT_A
from tests.support.deepgram_server import DOCUMENTED_ERRORS
from tests.support.tray_states import said, snapshot, state_with
from trayapp.deepgram.parsing import error_for_status
from trayapp.errors import AuthError, NetworkError, PermissionDeniedError
from trayapp.outlook.forecast import NO_DATA, Expiry, SpendRate, build_forecast
from trayapp.tray.notifications import (
    MESSAGE_LIMIT,
    TITLE_LIMIT,
    Alert,
    AlertMemory,
    alerts_for,
    fit_words,
    no_browser_alert,
    update_alert,
)
from trayapp.tray.state import TrayState
from trayapp.updates.release import Release

REFUSED_TITLE = "Deepgram refused the API key"
STOPPED = "Deepgram key stopped working"
CANNOT_READ = "Deepgram key cannot read balances"
NO_LONGER_READS = "Deepgram key can no longer read balances"
REFUSED = AuthError("Deepgram refused the API key: set a valid key with `deepgram-tray key set`.")
MEMBER = PermissionDeniedError("Deepgram refused access: use an Owner or Admin key.")


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
        assert alerts == [Alert(REFUSED_TITLE, REFUSED.message)]

    def test_member_key_inside_the_first_read(self) -> None:
        # It never worked, so it did not "stop working": the title says what is wrong.
        state = state_with(snapshot=snapshot("0", errors={0: MEMBER}))
        _, alerts = alerts_for(AlertMemory(), state)
        assert alerts == [Alert(CANNOT_READ, MEMBER.message)]

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
        assert said(*[state_with(error=REFUSED)] * 3) == [REFUSED_TITLE]

    def test_a_good_read_re_arms_it_and_then_it_stopped_working(self) -> None:
        states = [state_with(error=REFUSED), state_with("50"), state_with(error=REFUSED)]
        assert said(*states) == [REFUSED_TITLE, STOPPED]

    def test_a_key_that_loses_its_permission_can_no_longer_read(self) -> None:
        assert said(state_with("50"), state_with(error=MEMBER)) == [NO_LONGER_READS]
        inside = state_with(snapshot=snapshot("0", errors={0: MEMBER}))
        assert said(state_with("50"), inside) == [NO_LONGER_READS]

    def test_a_failed_read_is_not_a_key_that_worked(self) -> None:
        offline = state_with(error=NetworkError("offline."))
        assert said(offline, state_with(error=REFUSED)) == [REFUSED_TITLE]
        carried = state_with("50", error=NetworkError("offline."))  # no read succeeded
        assert said(carried, state_with(error=MEMBER)) == [CANNOT_READ]

    def test_a_network_error_between_two_refusals_does_not_re_arm_it(self) -> None:
        offline = state_with("50", error=NetworkError("offline."))
        assert said(state_with(error=REFUSED), offline, state_with(error=REFUSED)) == [
            REFUSED_TITLE
        ]

    def test_a_refused_key_hides_the_amount_alerts(self) -> None:
        assert said(state_with("1", error=MEMBER)) == [CANNOT_READ]

    @pytest.mark.parametrize("name", sorted(DOCUMENTED_ERRORS))
    def test_every_refusal_deepgram_documents_is_said_whole(self, name: str) -> None:
        documented = DOCUMENTED_ERRORS[name]
        error = error_for_status(documented.status, documented.body, {}, project_id=PROJECT_A)
        _, alerts = alerts_for(AlertMemory(), state_with(error=error))
        if isinstance(error, (AuthError, PermissionDeniedError)):
            title = REFUSED_TITLE if isinstance(error, AuthError) else CANNOT_READ
            assert alerts == [Alert(title, error.message)]  # not cut: the advice is at its end
        else:
            assert alerts == []  # it says nothing about the key, nor anything new of the amount


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
        # The critical balance alone, said in full: no days-left line joined to it.
        _, alerts = alerts_for(AlertMemory(), days_left_state("-5", "10", limit="0"))
        assert alerts == [
            Alert(
                "Deepgram balance critical: -$5.00",
                "Your Deepgram credit is -$5.00, below $5.00: top up in the Deepgram Console "
                "before requests start failing.",
            )
        ]

    def test_a_one_day_limit_warns_with_less_than_a_day_left(self) -> None:
        _, alerts = alerts_for(AlertMemory(), days_left_state("5", "10", limit="1"))
        assert alerts == [
            Alert(
                "Deepgram balance low: $5.00",
                "Credit is $5.00, below $20.00: consider topping up soon.\n"
                "At $10.00 a day, it lasts less than a day.",
            )
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


class TestTogether:
    """Alerts raised by one read are one notification: sent one after another, each would hide
    the one before (many desktops replace an app's notification, or show only the latest)."""

    def state(self, total: str = "3") -> TrayState:
        rate = SpendRate("billing", Decimal("1.5"))
        expiry = EXPIRY._replace(day=date(2026, 11, 28))
        forecast = build_forecast(Decimal(total), rate, expiry)
        return state_with(total, forecast=forecast)

    def test_critical_days_left_and_expiry_in_one_notification(self) -> None:
        memory, alerts = alerts_for(AlertMemory(), self.state())
        assert alerts == [
            Alert(
                "Deepgram balance critical: $3.00",
                "Credit is $3.00, below $5.00: top up before requests start failing.\n"
                "At $1.50 a day, it lasts about 2 days.\n"
                "Credit expires on 28 Nov 2026: $150.00 purchased.",
            )
        ]
        # Each is remembered as said: the next read says none of them again.
        assert alerts_for(memory, self.state())[1] == []

    def test_one_alone_is_said_in_full(self) -> None:
        memory, _ = alerts_for(AlertMemory(), self.state())
        memory, alerts = alerts_for(memory, state_with("30"))  # a top-up re-arms the amount's
        assert alerts == []
        _, alerts = alerts_for(memory, self.state("4"))  # the others are still said
        assert alerts == [
            Alert(
                "Deepgram balance critical: $4.00",
                "Your Deepgram credit is $4.00, below $5.00: top up in the Deepgram Console "
                "before requests start failing.",
            )
        ]

    def test_the_largest_amounts_still_fit_windows(self) -> None:
        rate = SpendRate("billing", Decimal("123456789.12"))
        expiry = Expiry(date(2026, 11, 25), Decimal("9876543210.98"), "u" * 40, "p0")
        total = Decimal("-1234567890.12")
        state = state_with(str(total), forecast=build_forecast(total, rate, expiry))
        _, (alert,) = alerts_for(AlertMemory(), state)
        assert len(alert.message) <= MESSAGE_LIMIT and len(alert.title) <= TITLE_LIMIT
        assert alert.message.count("\n") == 2, alert.message


def test_no_browser_says_where_the_page_is() -> None:
    assert no_browser_alert("https://console.deepgram.com/project/p0") == Alert(
        "No web browser could be opened",
        "The Deepgram Console is at https://console.deepgram.com/project/p0",
    )


class TestFitWords:
    def test_short_enough_is_kept(self) -> None:
        assert fit_words("Top up soon.", 12) == "Top up soon."

    def test_whole_sentences_when_they_keep_at_least_half(self) -> None:
        text = "Credit is low now. Top up in the Deepgram Console."
        assert fit_words(text, 30) == "Credit is low now."
        assert fit_words(text, 36) == "Credit is low now."
        assert fit_words(text, 37) == "Credit is low now. Top up in the…"
        assert fit_words("Low. Top up in the Deepgram Console soon.", 30) == (
            "Low. Top up in the Deepgram…"
        )

    def test_a_sentence_that_ends_right_at_the_limit(self) -> None:
        assert fit_words("Credit is low now. Top up.", 18) == "Credit is low now."

    @pytest.mark.parametrize("limit", range(10, 40))
    def test_never_inside_a_word(self, limit: int) -> None:
        text = "Deepgram refused the API key: set a valid key with deepgram-tray key set now"
        cut = fit_words(text, limit)
        assert len(cut) <= limit and cut.endswith("…")
        kept = cut.removesuffix("…")
        assert text.startswith(kept) and text[len(kept)] == " ", (limit, cut)

    def test_the_limit_is_the_256_characters_windows_shows(self) -> None:
        exactly = AuthError("a" * 200 + " " + "b" * 54 + ".")
        _, (alert,) = alerts_for(AlertMemory(), state_with(error=exactly))
        assert alert.message == exactly.message
        over = AuthError("a" * 200 + " " + "b" * 55 + ".")
        _, (alert,) = alerts_for(AlertMemory(), state_with(error=over))
        assert alert.message == "a" * 200 + "…"

    def test_a_single_long_word_is_cut_since_nothing_else_can_be(self) -> None:
        assert fit_words("x" * 20, 10) == "x" * 9 + "…"

    def test_the_expiry_message_keeps_whole_words_with_long_units(self) -> None:
        odd_units = Expiry(date(2026, 12, 4), Decimal(150), "c" * 150, "p0")
        state = state_with("100", forecast=build_forecast(Decimal(100), NO_DATA, odd_units))
        _, (alert,) = alerts_for(AlertMemory(), state)
        assert len(alert.message) <= MESSAGE_LIMIT
        assert alert.message.endswith(("purchased.", "…")), alert.message
        long_refusal = AuthError("Deepgram refused the API key. " * 20)
        _, (key_alert,) = alerts_for(AlertMemory(), state_with(error=long_refusal))
        assert key_alert.message == ("Deepgram refused the API key. " * 8).strip()


def test_a_newer_release_is_told_with_both_versions_and_where_to_look() -> None:
    release = Release("0.2.0", "https://pypi.org/project/deepgram-balance-tray/0.2.0/")
    assert update_alert(release, "0.1.0") == Alert(
        "Deepgram Balance 0.2.0 is out",
        'You have 0.1.0. Choose "Version 0.2.0 available" in the tray\'s menu to see what is '
        "new and download it.",
    )


def test_an_absurd_version_still_fits_a_notification() -> None:
    alert = update_alert(Release("1." + "0" * 200, "https://pypi.org/"), "0.1.0")
    assert len(alert.title) <= TITLE_LIMIT and len(alert.message) <= MESSAGE_LIMIT
