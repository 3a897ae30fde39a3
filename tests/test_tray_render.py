"""State -> icon pixels, tooltip and menu, without any display."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.support.tray_states import CRITICAL, THRESHOLDS, WARN, snapshot, state_with
from trayapp.deepgram.models import Balance, Project, ProjectBalances
from trayapp.errors import (
    AuthError,
    DeepgramTrayError,
    NetworkError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
)
from trayapp.outlook.forecast import NO_DATA, Expiry, Forecast, SpendRate, build_forecast
from trayapp.tray.icon import icon_text
from trayapp.tray.render import (
    SEPARATOR,
    TOOLTIP_LIMIT,
    MenuAction,
    MenuLine,
    menu_lines,
    short_amount,
    status_line,
    tooltip_text,
)
from trayapp.tray.state import Level, TrayState, level_for_total


def test_a_transient_error_keeps_the_last_amount_and_colour() -> None:
    state = state_with("12", error=NetworkError("offline"))
    assert state.level is Level.WARN
    assert icon_text(state) == "$12"


def test_member_key_errors_inside_a_snapshot_make_it_a_problem() -> None:
    state = TrayState(
        THRESHOLDS,
        snapshot=snapshot("0", errors={0: PermissionDeniedError("member")}),
    )
    assert state.level is Level.PROBLEM


def test_project_without_balances_counts_as_zero_not_unlimited() -> None:
    state = TrayState(THRESHOLDS, snapshot=snapshot("1")._replace(projects=()))
    assert state.total == Decimal(0)
    assert state.level is Level.CRITICAL


def test_level_boundaries() -> None:
    assert level_for_total(Decimal("20.00"), WARN, CRITICAL) is Level.OK
    assert level_for_total(Decimal("19.999999"), WARN, CRITICAL) is Level.WARN
    assert level_for_total(Decimal("4.999999"), WARN, CRITICAL) is Level.CRITICAL


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("0", "$0"),
        ("0.04", "$0"),
        ("4.19", "$4.1"),
        ("9.99", "$9.9"),
        ("10", "$10"),
        ("128.32", "$128"),
        ("999.99", "$999"),
        ("1234", "1.2k"),
        ("99999", "99k"),
        ("999999", "999k"),
        ("3456789", "3.4M"),
        ("-12", "-$12"),
        ("0.99", "$0.9"),
        ("0.1", "$0.1"),
        ("1", "$1.0"),
        ("9.999", "$9.9"),
        ("1000", "1.0k"),
        ("9999.99", "9.9k"),
        ("10000", "10k"),
        ("1000000", "1.0M"),
        ("9999999", "9.9M"),
        ("10000000", "10M"),
        ("999999999", "999M"),
        ("1000000000", "1B+"),
        ("-0.5", "$0"),
        ("-1", "-$1.0"),
        ("-1500", "-$1.5k"),
    ],
)
def test_short_amounts_never_overstate(amount: str, text: str) -> None:
    assert short_amount(Decimal(amount)) == text
    assert len(text) <= 4 or text.startswith("-")


class TestTooltip:
    def test_amount_and_time(self) -> None:
        text = tooltip_text(state_with("104.56822227", "23.75"))
        assert text.startswith("Deepgram $128.32 · updated ")

    def test_problem_in_a_few_words(self) -> None:
        assert "API key refused" in tooltip_text(state_with("1", error=AuthError("x")))
        assert "rate-limited" in tooltip_text(state_with("1", error=RateLimitedError("x")))
        assert tooltip_text(state_with(has_key=False)) == "Deepgram balance: no API key set"

    def test_stale(self) -> None:
        assert "stale since" in tooltip_text(state_with("1", stale=True))

    def test_first_check(self) -> None:
        assert tooltip_text(state_with()) == "Deepgram · checking…"
        forecast = build_forecast(None, SpendRate("billing", Decimal(4)), None)
        assert tooltip_text(state_with(forecast=forecast)) == "Deepgram · checking…"
        assert tooltip_text(state_with(error=NetworkError("x."))) == "Deepgram · offline"

    def test_an_unforeseen_error_in_plain_words(self) -> None:
        unforeseen = DeepgramTrayError("Something broke.")
        assert tooltip_text(state_with(error=unforeseen)) == "Deepgram · something went wrong"

    @pytest.mark.parametrize(("extra", "shown"), [(89, 127), (90, 127), (91, 127)])
    def test_cut_to_windows_limit_only_when_longer(self, extra: int, shown: int) -> None:
        # "Deepgram $1.00 + 1.00 xxx… · updated 18:03": 38 characters plus the unit's name.
        odd = ProjectBalances(Project("h", "H"), (Balance("b", Decimal(1), "x" * extra),))
        state = state_with(snapshot=snapshot("1")._replace(projects=(odd, *snapshot("1").projects)))
        text = tooltip_text(state)
        assert len(text) == min(38 + extra, TOOLTIP_LIMIT) == shown
        assert text.endswith("…") == (38 + extra > TOOLTIP_LIMIT)

    def test_fits_windows_limit(self) -> None:
        state = state_with("1", error=NetworkError("x" * 500))
        many = state_with(*["1"] * 3)
        assert len(tooltip_text(state)) <= TOOLTIP_LIMIT
        assert len(tooltip_text(many)) <= TOOLTIP_LIMIT


class TestMenu:
    def test_total_projects_status_and_actions(self) -> None:
        lines = menu_lines(state_with("125.07", "3.25"))
        texts = [line.text for line in lines]
        assert texts[0] == "Total: $128.32"
        assert texts[1].strip() == "Project 0: $125.07"
        assert texts[2].strip() == "Project 1: $3.25"
        assert texts[3].startswith("Updated ")
        assert lines[4].is_separator
        actions = [(line.text, line.action, line.default) for line in lines[5:] if line.action]
        assert actions == [
            ("Refresh now", MenuAction.REFRESH, True),
            ("Show history…", MenuAction.HISTORY, False),
            ("Settings…", MenuAction.SETTINGS, False),
            ("Set API key…", MenuAction.SETTINGS, False),
            ("Open Deepgram Console", MenuAction.CONSOLE, False),
            ("Quit", MenuAction.QUIT, False),
        ]

    def test_start_at_login_check_box_when_offered(self) -> None:
        def box(lines: list[MenuLine]) -> list[tuple[str, bool | None]]:
            return [(x.text, x.checked) for x in lines if x.action is MenuAction.AUTOSTART]

        assert box(menu_lines(state_with("1"))) == []
        assert box(menu_lines(state_with("1"), start_at_login=True)) == [("Start at login", True)]
        assert box(menu_lines(state_with("1"), start_at_login=False)) == [("Start at login", False)]

    def test_failed_project_says_why(self) -> None:
        state = TrayState(
            THRESHOLDS, snapshot=snapshot("1", "2", errors={1: PermissionDeniedError("m")})
        )
        assert "Project 1: unavailable (key may not read balances)" in [
            line.text.strip() for line in menu_lines(state)
        ]

    def test_error_sentence_in_the_status_line(self) -> None:
        error = AuthError("Deepgram refused the API key: set a valid key.")
        assert status_line(state_with("3", error=error)) == error.message
        offline = NetworkError("Could not reach Deepgram: check the network.")
        assert status_line(state_with("3", error=offline)) == offline.message

    def test_status_while_refreshing_and_before_the_first_read(self) -> None:
        assert status_line(state_with("3", refreshing=True)) == "Refreshing…"
        assert status_line(state_with()) == "Waiting for the first update"
        assert status_line(state_with("3", stale=True)) == "Stale: last update 18:03"
        assert status_line(state_with("3")) == "Updated 18:03"

    def test_the_first_line_before_the_first_read(self) -> None:
        assert menu_lines(state_with())[0].text == "Balance: checking…"
        failed = state_with(error=NetworkError("offline."))
        assert menu_lines(failed)[0].text == "Balance: unknown"

    def test_a_carried_amount_says_it_was_not_updated(self) -> None:
        state = state_with(snapshot=snapshot("1", "5")._replace(projects=(
            snapshot("1").projects[0],
            snapshot("1", "5").projects[1]._replace(error=ServerError("busy.")),
        )))  # fmt: skip
        texts = [line.text.strip() for line in menu_lines(state)]
        assert "Project 1: $5.00, not updated (Deepgram server error)" in texts

    def test_separators_around_the_actions(self) -> None:
        lines = menu_lines(state_with("1"))
        assert [line.is_separator for line in lines].count(True) == 2
        assert SEPARATOR.is_separator and not lines[0].is_separator

    @pytest.mark.parametrize("name_length", [79, 80, 81])
    def test_lines_cut_to_the_menu_limit_only_when_longer(self, name_length: int) -> None:
        # "    <name>: $1.00": 11 characters plus the name; at most 90 (the advice must still fit).
        project = ProjectBalances(
            Project("p", "n" * name_length), (Balance("b", Decimal(1), "usd"),)
        )
        state = state_with(snapshot=snapshot()._replace(projects=(project,)))
        line = menu_lines(state)[1].text
        assert len(line) == min(11 + name_length, 90)
        assert line.endswith("…") == (11 + name_length > 90)

    def test_no_key(self) -> None:
        texts = [line.text for line in menu_lines(state_with(has_key=False))]
        assert texts[0] == "No API key set"
        assert "Set API key…" in texts[1]


class TestOutlook:
    RATE = SpendRate("billing", Decimal("4.25"), Decimal("1.20"))
    EXPIRY = Expiry(date(2026, 12, 4), Decimal(150), "usd", "p0")  # 10 days after FETCHED_AT

    def forecast(self, rate: SpendRate = RATE, expiry: Expiry | None = None) -> Forecast:
        return build_forecast(Decimal("128.32"), rate, expiry)

    def test_spend_and_days_left_in_the_menu_and_tooltip(self) -> None:
        state = state_with("128.32", forecast=self.forecast())
        texts = [line.text.strip() for line in menu_lines(state)]
        assert (
            "Spent today: $1.20, $4.25 a day on average (Deepgram's billing, last 7 days)" in texts
        )
        assert "About 30 days left" in texts
        tooltip = tooltip_text(state)
        assert "about 30 days left at $4.25/day ($1.20 today)" in tooltip
        assert tooltip.startswith("Deepgram $128.32 · ") and tooltip.endswith("updated 18:03")

    def test_history_rates_have_no_spend_today_line_of_their_own(self) -> None:
        state = state_with("128.32", forecast=self.forecast(SpendRate("history", Decimal(2))))
        texts = [line.text.strip() for line in menu_lines(state)]
        assert "Spending $2.00 a day on average (from the balances this app recorded)" in texts
        assert "More than a year left" not in texts and "About 64 days left" in texts

    def test_too_little_data_is_said_in_the_menu_only(self) -> None:
        state = state_with("128.32", forecast=self.forecast(NO_DATA))
        texts = [line.text.strip() for line in menu_lines(state)]
        assert "Too little data to say when it runs out" in texts
        assert not any(t.startswith("Spen") for t in texts)
        assert tooltip_text(state) == "Deepgram $128.32 · updated 18:03"

    def test_the_nearest_expiry_is_in_the_menu_and_in_the_tooltip_once_it_is_near(self) -> None:
        state = state_with("128.32", forecast=self.forecast(expiry=self.EXPIRY))
        texts = [line.text.strip() for line in menu_lines(state)]
        assert "Credit expiring: $150.00 purchased on 4 Dec 2026 (in 10 days)" in texts
        assert "$150.00 purchased credit expires in 10 days" in tooltip_text(state)
        at_the_limit = state_with(
            "128.32", forecast=self.forecast(expiry=self.EXPIRY), warn_expiry_days=10
        )
        assert "$150.00 purchased credit expires in 10 days" in tooltip_text(at_the_limit)
        far = state_with("128.32", forecast=self.forecast(expiry=self.EXPIRY), warn_expiry_days=9)
        assert "expires" not in tooltip_text(far)
        assert "Credit expiring: $150.00 purchased on 4 Dec 2026 (in 10 days)" in [
            line.text.strip() for line in menu_lines(far)
        ]

    def test_the_longest_tooltip_fits_windows(self) -> None:
        rate = SpendRate("billing", Decimal("123456.78"), Decimal("99999.99"))
        expiry = Expiry(date(2026, 11, 25), Decimal("1234567.89"), "usd", "p0")
        state = state_with("9999999.99", "8888888.88", forecast=self.forecast(rate, expiry))
        assert len(tooltip_text(state)) <= TOOLTIP_LIMIT

    def test_a_problem_or_stale_data_comes_before_the_forecast_in_the_tooltip(self) -> None:
        from trayapp.errors import NetworkError

        failing = state_with("128.32", forecast=self.forecast(), error=NetworkError("x."))
        assert "days left" not in tooltip_text(failing)
        assert "offline" in tooltip_text(failing)
        stale = state_with("128.32", forecast=self.forecast(), stale=True)
        assert "days left" not in tooltip_text(stale)
