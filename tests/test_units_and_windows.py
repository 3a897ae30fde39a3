"""Hours shown as hours, and the billing breakdown read by its own resolution and window.

Deepgram documents two balance units, `usd` and `hour` (the Rust SDK's types; the .NET SDK's
Deepgram/Models/Billing.cs: "May use usd or hour, depending on the project billing settings"):
hours are shown as hours, never converted. The billing breakdown's `resolution` is one day in
every published example, but the app reads it rather than assume it, and an empty `results` list
is no billed spend in the window ($0 a day), not too little data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import OWNER_KEY, PROJECT_A, PROJECT_B, day, run_cli
from tests.support.deepgram_server import (
    PUBLISHED_BREAKDOWN,
    FakeDeepgram,
    billing_breakdown,
    breakdown_result,
)
from tests.support.tray_harness import TrayHarness
from tests.support.tray_states import FETCHED_AT, state_with
from trayapp.config import Settings
from trayapp.deepgram.models import Balance, BalanceSnapshot, Project, ProjectBalances
from trayapp.deepgram.parsing import decode_json, parse_billing_breakdown
from trayapp.errors import MalformedResponseError
from trayapp.formats import display_amount, display_totals
from trayapp.outlook.forecast import SpendRate, build_forecast
from trayapp.tray.fetch_process import fetch_forecast_inputs_in_child_process
from trayapp.tray.icon import icon_text
from trayapp.tray.render import (
    forecast_menu_texts,
    forecast_tooltip_parts,
    menu_lines,
    short_hours,
    tooltip_text,
)
from trayapp.tray.state import TrayState

# A balance in hours, in the shape of deepgram/deepgram-python-sdk wiremock/wiremock-mappings.json
# ("Get Project Balances - default"), with the unit the Rust and .NET SDKs document.
HOUR_BALANCE = {"balance_id": "bal-h", "amount": 12.5, "units": "hour", "purchase_order_id": "po-h"}


# --- hours, as text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("12.5", "12.5 hours"),
        ("1", "1 hour"),
        ("1.004", "1 hour"),  # shown as one, said as one
        ("12", "12 hours"),
        ("12.25", "12.25 hours"),
        ("0.333", "0.33 hours"),
        ("0.005", "0.01 hours"),  # half up, as dollars
        ("1234.5", "1,234.5 hours"),
        ("1000000", "1,000,000 hours"),
        ("0", "0 hours"),
        ("-0.004", "0 hours"),  # rounds to zero: no minus sign
        ("-1", "-1 hour"),
        ("-2.5", "-2.5 hours"),
    ],
)
def test_hours_read_as_hours(amount: str, text: str) -> None:
    assert display_amount(Decimal(amount), "hour") == text


def test_dollars_and_other_units_are_unchanged() -> None:
    assert display_amount(Decimal("12.5"), "usd") == "$12.50"
    assert display_amount(Decimal("12.5"), "zeta") == "12.50 zeta"  # undocumented: as it comes


def test_mixed_units_show_both_dollars_first() -> None:
    totals = {"hour": Decimal("12.5"), "usd": Decimal("3.25")}
    assert display_totals(totals) == "$3.25 + 12.5 hours"
    assert display_totals({"hour": Decimal(1)}) == "1 hour"


# --- hours on the icon, in the tooltip and the menu ------------------------------------------


@pytest.mark.parametrize(
    ("amount", "text"),
    [("12.5", "12h"), ("4.19", "4.1h"), ("0.04", "0h"), ("1234", "1.2kh"), ("-3.5", "-3.5h")],
)
def test_the_icon_shows_hours_rounded_down_like_dollars(amount: str, text: str) -> None:
    assert short_hours(Decimal(amount)) == text


def hour_state(*balances: Balance) -> TrayState:
    project = ProjectBalances(Project("p0", "Call Centre"), balances)
    return state_with(snapshot=BalanceSnapshot(fetched_at=FETCHED_AT, projects=(project,)))


def test_an_account_billed_by_the_hour_shows_hours_everywhere() -> None:
    state = hour_state(Balance("b", Decimal("12.5"), "hour"))
    assert icon_text(state) == "12h"
    assert tooltip_text(state).startswith("Deepgram 12.5 hours · ")
    texts = [line.text for line in menu_lines(state)]
    assert "Total: 12.5 hours" in texts
    assert "    Call Centre: 12.5 hours" in texts


def test_with_dollars_too_the_icon_shows_the_dollars_its_colour_is_about() -> None:
    state = hour_state(Balance("b", Decimal("12.5"), "hour"), Balance("c", Decimal(30), "usd"))
    assert icon_text(state) == "$30"
    assert "Total: $30.00 + 12.5 hours" in [line.text for line in menu_lines(state)]
    assert tooltip_text(state).startswith("Deepgram $30.00 + 12.5 hours · ")


# --- hours through the CLI and the test server ------------------------------------------------


@pytest.fixture
def by_the_hour(deepgram: FakeDeepgram) -> FakeDeepgram:
    """Project A keeps its dollars; project B is billed by the hour."""
    deepgram.set_balances(PROJECT_B, [HOUR_BALANCE])
    return deepgram


def test_balance_text_says_hours(by_the_hour: FakeDeepgram, cli_env: dict[str, str]) -> None:
    result = run_cli(["balance"], cli_env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split() == ["Staging", "12.5", "hours"]
    assert lines[-1].split() == ["Total", "$125.07", "+", "12.5", "hours"]


def test_balance_json_keeps_amounts_and_units(
    by_the_hour: FakeDeepgram, cli_env: dict[str, str]
) -> None:
    result = run_cli(["balance", "--json"], cli_env)
    document = json.loads(result.stdout, parse_float=Decimal)
    assert document["totals"] == {"usd": Decimal("125.06822227"), "hour": Decimal("12.5")}
    staging = document["projects"][1]
    assert staging["totals"] == {"hour": Decimal("12.5")}
    assert staging["balances"] == [
        {
            "balance_id": "bal-h",
            "amount": Decimal("12.5"),
            "units": "hour",
            "purchase_order_id": "po-h",
        }
    ]


def test_balance_prometheus_labels_hours_by_their_unit(
    by_the_hour: FakeDeepgram, cli_env: dict[str, str]
) -> None:
    result = run_cli(["balance", "--format", "prometheus"], cli_env)
    assert 'deepgram_balance_total{units="hour"} 12.5\n' in result.stdout
    assert 'deepgram_balance_total{units="usd"} 125.06822227\n' in result.stdout


def test_an_hours_only_account_says_hours(deepgram: FakeDeepgram, cli_env: dict[str, str]) -> None:
    deepgram.set_balances(PROJECT_A, [HOUR_BALANCE | {"amount": "1"}])
    deepgram.set_balances(PROJECT_B, [])
    result = run_cli(["balance"], cli_env)
    assert result.stdout.splitlines()[-1].split() == ["Total", "1", "hour"]


def test_an_hours_only_forecast_counts_no_days_in_dollars(
    billed: FakeDeepgram, cli_env: dict[str, str]
) -> None:
    billed.set_balances(PROJECT_A, [HOUR_BALANCE])
    billed.set_balances(PROJECT_B, [])
    text = run_cli(["balance", "--forecast"], cli_env).stdout
    assert "Spending $4.25 a day (last 7 days)\n" in text
    assert "No days left to count: the balance is in hours, the spend in dollars\n" in text
    assert "Less than a day left" not in text  # $0 of dollars is not what this account holds
    forecast = json.loads(run_cli(["balance", "--json", "--forecast"], cli_env).stdout)["forecast"]
    assert forecast["days_left"] is None


# --- resolution: parsing ------------------------------------------------------------------------


def parsed(answer: dict[str, Any]) -> list[tuple[date, Decimal]]:
    """The answer as it arrives: through JSON, numbers as exact decimals."""
    return parse_billing_breakdown(decode_json(json.dumps(answer).encode()))


def test_the_published_example_is_a_quarter_on_one_day() -> None:
    assert parsed(PUBLISHED_BREAKDOWN) == [(date(2025, 1, 16), Decimal("0.25"))]


def test_a_result_at_a_resolution_of_seven_days_is_spread_over_them() -> None:
    answer = billing_breakdown(
        "2026-11-01",
        "2026-11-30",
        [breakdown_result(7, "2026-11-02", "2026-11-08")],
        {"units": "day", "amount": 7},
    )
    days = parsed(answer)
    assert days == [(date(2026, 11, 2) + timedelta(days=n), Decimal(1)) for n in range(7)]


def test_the_resolution_unit_is_read_in_any_case() -> None:
    answer = billing_breakdown(
        "2026-11-01", "2026-11-30", [breakdown_result("6", "2026-11-02", "2026-11-02")]
    )
    answer["resolution"] = {"units": "Days", "amount": 2}
    assert parsed(answer) == [(date(2026, 11, 2), Decimal(3)), (date(2026, 11, 3), Decimal(3))]


def test_nothing_is_spread_past_the_breakdowns_own_end() -> None:
    # A week that has only begun: its spend so far belongs to its first three days.
    answer = billing_breakdown(
        "2026-11-01",
        "2026-11-04",
        [breakdown_result(6, "2026-11-02", "2026-11-08")],
        {"units": "day", "amount": 7},
    )
    assert [d.day for d, _ in parsed(answer)] == [2, 3, 4]
    assert sum(dollars for _, dollars in parsed(answer)) == 6


def test_another_unit_is_read_from_each_results_dates() -> None:
    month = breakdown_result(30, "2026-11-01", "2026-11-30")
    answer = billing_breakdown("2026-11-01", "2026-11-30", [month], {"units": "month", "amount": 1})
    days = parsed(answer)
    assert len(days) == 30 and {dollars for _, dollars in days} == {Decimal(1)}


def test_hourly_results_add_up_on_their_day() -> None:
    hours = [breakdown_result("0.5", "2026-11-02T10:00:00Z", "2026-11-02T11:00:00Z")] * 3
    answer = billing_breakdown("2026-11-01", "2026-11-30", hours, {"units": "hour", "amount": 1})
    assert parsed(answer) == [(date(2026, 11, 2), Decimal("0.5"))] * 3


def test_another_unit_without_end_dates_is_malformed_not_guessed() -> None:
    result = {"dollars": 30, "grouping": {"start": "2026-11-01"}}
    answer = billing_breakdown(
        "2026-11-01", "2026-11-30", [result], {"units": "month", "amount": 1}
    )
    with pytest.raises(MalformedResponseError, match="without an end date, at a resolution not in"):
        parsed(answer)


@pytest.mark.parametrize(
    "resolution",
    [
        "day",
        {"units": "day", "amount": 0},
        {"units": "day", "amount": 1.5},
        {"units": "day", "amount": "a week"},
        {"units": "day", "amount": True},
        {"units": "day", "amount": 400},
        {"units": "day", "amount": [1]},
    ],
)
def test_a_resolution_that_makes_no_sense_is_malformed(resolution: object) -> None:
    answer = billing_breakdown("2026-11-01", "2026-11-30", [])
    answer["resolution"] = resolution
    with pytest.raises(MalformedResponseError, match="billing resolution"):
        parsed(answer)


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        ("2026-11-08", "2026-11-02", "ends before it starts"),
        ("2025-01-01", "2026-01-02", "covers more than a year"),  # 367 days
    ],
)
def test_a_result_spanning_backwards_or_years_is_malformed(
    start: str, end: str, words: str
) -> None:
    result = breakdown_result(1, start, end)
    answer = billing_breakdown(start, end, [result], {"units": "month", "amount": 1})
    with pytest.raises(MalformedResponseError, match=words):
        parsed(answer)


def test_missing_resolution_and_amount_mean_one_day() -> None:
    answer = billing_breakdown("2026-11-01", "2026-11-30", [breakdown_result(2, "2026-11-02", "")])
    del answer["resolution"]
    assert parsed(answer) == [(date(2026, 11, 2), Decimal(2))]
    answer["resolution"] = {"units": "day"}
    assert parsed(answer) == [(date(2026, 11, 2), Decimal(2))]


def test_an_empty_results_list_is_no_spend_not_an_error() -> None:
    assert parsed(billing_breakdown("2026-11-01", "2026-11-08", [])) == []


# --- resolution and empty windows through the CLI ---------------------------------------------


def weekly(dollars: Any) -> dict[str, Any]:
    """One result for the seven days before today, at a resolution of seven days."""
    result = breakdown_result(dollars, day(7), day(1))
    return billing_breakdown(day(7), day(0), [result], {"units": "day", "amount": 7})


def forecast_of(cli_env: dict[str, str]) -> dict[str, Any]:
    result = run_cli(["balance", "--json", "--forecast"], cli_env)
    assert result.returncode == 0, result.stderr
    forecast: dict[str, Any] = json.loads(result.stdout, parse_float=Decimal)["forecast"]
    return forecast


def test_a_weekly_result_gives_the_same_rate_as_seven_days(
    billed: FakeDeepgram, cli_env: dict[str, str]
) -> None:
    billed.breakdown_answers[PROJECT_A] = weekly(21)  # $3 a day, as the daily figures say
    forecast = forecast_of(cli_env)
    assert forecast["basis"] == "billing"
    assert forecast["spend_per_day"] == {"usd": Decimal("4.25")}
    assert forecast["days_left"] == Decimal("30.2")


def test_a_monthly_result_is_spread_over_its_dates(
    billed: FakeDeepgram, cli_env: dict[str, str]
) -> None:
    month = breakdown_result(90, day(29), day(0))  # 30 days, today included: $3 a day
    billed.breakdown_answers[PROJECT_A] = billing_breakdown(
        day(7), day(0), [month], {"units": "month", "amount": 1}
    )
    assert forecast_of(cli_env)["spend_per_day"] == {"usd": Decimal("4.25")}


def test_a_resolution_without_dates_leaves_the_forecast_to_the_history(
    billed: FakeDeepgram, cli_env: dict[str, str]
) -> None:
    result = {"dollars": 90, "grouping": {"start": day(29)}}
    billed.breakdown_answers[PROJECT_A] = billing_breakdown(
        day(7), day(0), [result], {"units": "month", "amount": 1}
    )
    run = run_cli(["-v", "balance", "--json", "--forecast"], cli_env)
    assert run.returncode == 0, "the balances were read: the forecast is extra"
    assert json.loads(run.stdout)["forecast"]["basis"] == "none"  # no history here either
    assert "without an end date, at a resolution not in days" in run.stderr


@pytest.fixture
def unbilled(billed: FakeDeepgram) -> FakeDeepgram:
    """Deepgram billed nothing in the last week: `results` is an empty list for every project."""
    billed.daily_spend.clear()
    return billed


def test_no_billed_spend_is_zero_a_day_in_json(
    unbilled: FakeDeepgram, cli_env: dict[str, str]
) -> None:
    forecast = forecast_of(cli_env)
    assert forecast["basis"] == "billing"
    assert forecast["spend_per_day"] == {"usd": Decimal("0.00")}
    assert forecast["days_left"] is None  # the contract: null when spend is zero
    assert len(unbilled.requests_to("/billing/breakdown")) == 2  # asked, and answered: nothing


def test_no_billed_spend_in_words(unbilled: FakeDeepgram, cli_env: dict[str, str]) -> None:
    result = run_cli(["balance", "--forecast"], cli_env)
    assert "Spending $0.00 a day (last 7 days)\nNo spending lately\n" in result.stdout
    assert "too little data" not in result.stdout.lower()


def test_no_billed_spend_in_prometheus(unbilled: FakeDeepgram, cli_env: dict[str, str]) -> None:
    result = run_cli(["balance", "--format", "prometheus", "--forecast"], cli_env)
    assert 'deepgram_spend_dollars_per_day{basis="billing"} 0.00\n' in result.stdout
    assert "deepgram_balance_days_left" not in result.stdout  # no spend: no days to count


# --- the tray's fetch worker and menu -----------------------------------------------------------


@pytest.fixture
def worker_env(billed: FakeDeepgram, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("DEEPGRAM_API_KEY", OWNER_KEY)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return Settings(api_url=billed.base_url)


def test_the_worker_reads_no_billed_spend_as_zero(
    worker_env: Settings, unbilled: FakeDeepgram
) -> None:
    reading = fetch_forecast_inputs_in_child_process(worker_env, [PROJECT_A, PROJECT_B])
    assert reading.billing == SpendRate("billing", Decimal(0), Decimal(0))


def test_the_worker_reads_a_weekly_resolution(worker_env: Settings, billed: FakeDeepgram) -> None:
    billed.breakdown_answers[PROJECT_A] = weekly("21")
    reading = fetch_forecast_inputs_in_child_process(worker_env, [PROJECT_A, PROJECT_B])
    assert reading.billing is not None
    assert reading.billing.per_day == Decimal("4.25")
    assert reading.billing.today == 0  # the weekly result ends yesterday; B spent nothing today


def test_the_menu_says_no_spending_rather_than_too_little_data() -> None:
    rate = SpendRate("billing", Decimal(0), Decimal(0))
    state = state_with("128.32", forecast=build_forecast(Decimal("128.32"), rate, None))
    assert forecast_menu_texts(state) == [
        "Spent today: $0.00, $0.00 a day on average (Deepgram's billing, last 7 days)",
        "No spending lately",
    ]


def test_the_tooltip_says_no_spending_without_a_zero_rate() -> None:
    rate = SpendRate("billing", Decimal(0), Decimal(0))
    state = state_with("128.32", forecast=build_forecast(Decimal("128.32"), rate, None))
    assert forecast_tooltip_parts(state) == ["no spending lately"]
    spending = state_with(
        "128.32", forecast=build_forecast(Decimal("128.32"), SpendRate("billing", Decimal(4)), None)
    )
    assert forecast_tooltip_parts(spending) == ["about 32 days left at $4.00/day"]


@pytest.fixture
def unbilled_tray(unbilled: FakeDeepgram, monkeypatch: pytest.MonkeyPatch) -> Iterator[TrayHarness]:
    monkeypatch.setenv("DEEPGRAM_API_KEY", OWNER_KEY)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    tray = TrayHarness(Settings(api_url=unbilled.base_url), read_forecast_inputs=True)
    try:
        yield tray
    finally:
        tray.close()


def test_the_real_tray_says_no_spending_when_nothing_was_billed(
    unbilled: FakeDeepgram, unbilled_tray: TrayHarness
) -> None:
    unbilled.set_balances(PROJECT_B, [HOUR_BALANCE])
    unbilled_tray.run_for(60)
    menu = unbilled_tray.menu()
    assert "Total: $125.07 + 12.5 hours" in menu
    assert "No spending lately" in menu
    assert not any("too little data" in line.lower() for line in menu)
    assert unbilled_tray.tooltip().startswith("Deepgram $125.07 + 12.5 hours · ")
