"""The tray's forecast: what the poller reads hourly, how it combines billing and history, and the
days-left and expiry notifications (each once per crossing)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

import pytest

from tests.conftest import OWNER_KEY, PROJECT_A, day
from tests.support.clock import FakeClock
from tests.support.deepgram_server import FakeDeepgram, Fault, new_error
from tests.support.tray_harness import TrayHarness
from tests.support.tray_states import said, snapshot, state_with
from trayapp.config import Settings
from trayapp.deepgram.models import Project
from trayapp.errors import NetworkError, ServerError
from trayapp.outlook.forecast import NO_DATA, Expiry, ForecastInputs, SpendRate, build_forecast
from trayapp.tray.forecast_schedule import INPUTS_INTERVAL, INPUTS_RETRY, FetchForecastInputs
from trayapp.tray.notifications import Alert, AlertMemory, alerts_for
from trayapp.tray.poller import FetchResult, Poller
from trayapp.tray.state import TrayState

BILLING = SpendRate("billing", Decimal("4.25"), Decimal("1.20"))
HISTORY = SpendRate("history", Decimal(2))
EXPIRY = Expiry(date(2026, 12, 4), Decimal(150), "usd", "p0")  # 10 days after the snapshots


# --- notifications (pure) -----------------------------------------------------------------------


def with_days_left(total: str, per_day: str, **changes: object) -> TrayState:
    rate = SpendRate("billing", Decimal(per_day))
    return state_with(total, forecast=build_forecast(Decimal(total), rate, None), **changes)


class TestDaysLeftAlert:
    def test_once_as_the_projection_crosses_the_limit(self) -> None:
        # $100 at $10/day (10 days), then 6 days, 5 days, 4 days: one notification.
        states = [with_days_left(t, "10") for t in ("100", "60", "50", "40")]
        assert said(*states) == ["Deepgram credit: about 6 days left"]

    def test_the_message_says_the_rate_and_what_to_do(self) -> None:
        _, alerts = alerts_for(AlertMemory(), with_days_left("60", "10"))
        assert alerts == [
            Alert(
                "Deepgram credit: about 6 days left",
                "At $10.00 a day (the average of the last 7 days), your $60.00 of Deepgram credit "
                "lasts about 6 days: top up in the Deepgram Console.",
            )
        ]

    def test_a_top_up_re_arms_it(self) -> None:
        states = [with_days_left(t, "10") for t in ("60", "500", "50")]
        assert said(*states) == [
            "Deepgram credit: about 6 days left",
            "Deepgram credit: about 5 days left",
        ]

    def test_an_unknown_rate_neither_warns_nor_re_arms(self) -> None:
        unknown = state_with("60", forecast=build_forecast(Decimal(60), NO_DATA, None))
        states = [with_days_left("60", "10"), unknown, with_days_left("55", "10")]
        assert said(*states) == ["Deepgram credit: about 6 days left"]

    def test_the_limit_is_configurable_and_zero_turns_it_off(self) -> None:
        assert said(with_days_left("100", "10", warn_days_left=Decimal(14))) == [
            "Deepgram credit: about 10 days left"
        ]
        assert said(with_days_left("60", "10", warn_days_left=Decimal(0))) == []

    def test_failing_or_stale_data_says_nothing_new(self) -> None:
        assert said(with_days_left("60", "10", stale=True)) == []
        assert said(with_days_left("60", "10", error=ServerError("busy."))) == []


def with_expiry(expiry: Expiry | None, **changes: object) -> TrayState:
    return state_with("100", forecast=build_forecast(Decimal(100), NO_DATA, expiry), **changes)


class TestExpiryAlert:
    def test_once_per_expiry_date_within_the_warning_period(self) -> None:
        far = EXPIRY._replace(day=date(2026, 12, 20))  # 26 days away: not yet
        states = [with_expiry(far), with_expiry(EXPIRY), with_expiry(EXPIRY), with_expiry(EXPIRY)]
        assert said(*states) == ["Deepgram credit expires in 10 days"]

    def test_the_message_names_amount_and_date(self) -> None:
        _, alerts = alerts_for(AlertMemory(), with_expiry(EXPIRY))
        assert alerts[0].message.startswith(
            "Deepgram credit expires on 4 Dec 2026: $150.00 purchased. "
        )

    def test_a_different_expiry_is_announced_too(self) -> None:
        sooner = EXPIRY._replace(day=date(2026, 11, 25), amount=Decimal(20))
        assert said(with_expiry(EXPIRY), with_expiry(sooner)) == [
            "Deepgram credit expires in 10 days",
            "Deepgram credit expires tomorrow",
        ]

    def test_the_period_is_configurable_and_zero_turns_it_off(self) -> None:
        assert said(with_expiry(EXPIRY, warn_expiry_days=7)) == []
        assert said(with_expiry(EXPIRY, warn_expiry_days=0)) == []
        assert said(with_expiry(EXPIRY, warn_expiry_days=30)) == [
            "Deepgram credit expires in 10 days"
        ]


# --- the poller: billing at most hourly, history as the fallback --------------------------------


class ForecastInputsServer:
    """Stands in for the worker's hourly read; counts the reads."""

    def __init__(self, *readings: ForecastInputs | Exception) -> None:
        self.readings = list(readings)
        self.reads: list[list[str]] = []

    def __call__(self, settings: Settings, project_ids: list[str]) -> ForecastInputs:
        self.reads.append(project_ids)
        answer = self.readings.pop(0) if len(self.readings) > 1 else self.readings[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def make_poller(
    inputs: FetchForecastInputs,
    *,
    on_state: Callable[[TrayState], None] = lambda state: None,
    settings: list[Settings] | None = None,
    history: SpendRate = HISTORY,
    alerts: list[Alert] | None = None,
    amounts: tuple[str, ...] = ("100", "28"),
) -> tuple[Poller, FakeClock]:
    clock = FakeClock()
    current = settings or [Settings(poll_interval=60)]  # a test may edit it, as a user would

    def fetch(settings: Settings, known: list[Project] | None) -> FetchResult:
        return FetchResult(snapshot(*amounts), [])

    poller = Poller(
        load_settings=lambda: current[0],
        fetch=fetch,
        on_state=on_state,
        on_alert=(alerts if alerts is not None else []).append,
        clock=clock.clock,
        record_history=lambda snap: history,
        fetch_forecast_inputs=inputs,
    )
    return poller, clock


def poll_for(poller: Poller, clock: FakeClock, seconds: float) -> None:
    end = clock.mono + seconds
    while clock.mono < end:
        clock.advance(poller.seconds_until_next_turn())
        poller.step()


def test_billing_and_purchases_are_read_at_most_hourly() -> None:
    inputs = ForecastInputsServer(ForecastInputs(BILLING, EXPIRY))
    poller, clock = make_poller(inputs)
    poller.step()
    assert inputs.reads == [["p0", "p1"]]
    poll_for(poller, clock, INPUTS_INTERVAL - 61)  # a poll a minute for almost an hour
    assert len(inputs.reads) == 1
    poll_for(poller, clock, 120)
    assert len(inputs.reads) == 2


def test_the_amount_is_shown_before_spend_and_expiry_are_read() -> None:
    shown: list[TrayState] = []
    seen_when_reading: list[TrayState] = []
    inputs = ForecastInputsServer(ForecastInputs(BILLING, EXPIRY))

    def reading_later(settings: Settings, project_ids: list[str]) -> ForecastInputs:
        seen_when_reading.append(shown[-1])
        return inputs(settings, project_ids)

    poller, _ = make_poller(reading_later, on_state=shown.append)
    poller.step()
    assert seen_when_reading[0].total == 128 and seen_when_reading[0].forecast is None
    assert shown[-1].forecast is not None and shown[-1].forecast.rate == BILLING


def test_deepgrams_rate_wins_over_the_history_and_the_expiry_is_shown() -> None:
    poller, _ = make_poller(ForecastInputsServer(ForecastInputs(BILLING, EXPIRY)))
    poller.step()
    forecast = poller.state.forecast
    assert forecast is not None
    assert forecast.rate == BILLING and forecast.nearest_expiry == EXPIRY
    assert forecast.days_left == Decimal(128) / Decimal("4.25")


def test_a_key_that_may_not_read_billing_uses_the_history() -> None:
    poller, _ = make_poller(ForecastInputsServer(ForecastInputs(None, None, expiry_read=False)))
    poller.step()
    assert poller.state.forecast is not None
    assert poller.state.forecast.rate == HISTORY and poller.state.forecast.days_left == 64


def test_a_failed_read_keeps_what_was_known_and_retries_within_the_hour() -> None:
    inputs = ForecastInputsServer(
        ForecastInputs(BILLING, EXPIRY),
        NetworkError("offline."),
        ForecastInputs(BILLING, None, expiry_read=False),  # purchases unreadable this time
    )
    poller, clock = make_poller(inputs)
    poller.step()
    poll_for(poller, clock, INPUTS_INTERVAL + 1)
    assert len(inputs.reads) == 2  # failed: the last figures stay
    assert poller.state.forecast is not None and poller.state.forecast.rate == BILLING
    poll_for(poller, clock, INPUTS_RETRY + 1)
    assert len(inputs.reads) == 3
    assert poller.state.forecast.nearest_expiry == EXPIRY  # not forgotten for an unreadable read


def test_other_projects_forget_the_last_reading_and_read_at_once() -> None:
    inputs = ForecastInputsServer(ForecastInputs(BILLING, EXPIRY), ForecastInputs(None, None))
    settings = [Settings(poll_interval=60)]
    poller, clock = make_poller(inputs, settings=settings)
    poller.step()
    settings[0] = Settings(poll_interval=60, projects=("p0",))
    poll_for(poller, clock, 60)
    assert len(inputs.reads) == 2
    assert poller.state.forecast is not None and poller.state.forecast.nearest_expiry is None


def test_the_days_left_notification_fires_once_through_the_poller() -> None:
    alerts: list[Alert] = []
    fast = SpendRate("billing", Decimal(40), Decimal(3))  # $128 at $40 a day: 3 days
    poller, clock = make_poller(ForecastInputsServer(ForecastInputs(fast, None)), alerts=alerts)
    poll_for(poller, clock, 600)
    assert [a.title for a in alerts] == ["Deepgram credit: about 3 days left"]


def test_the_settings_carry_the_notification_limits_to_the_state() -> None:
    settings = Settings(warn_days_left=Decimal(3), warn_expiry_days=30)
    poller, _ = make_poller(ForecastInputsServer(ForecastInputs(None, None)), settings=[settings])
    limits = poller.state.thresholds
    assert limits.warn_days_left == 3 and limits.warn_expiry_days == 30


# --- the real tray, worker and HTTP server, on a simulated clock -------------------------------


@pytest.fixture
def billed_tray(billed: FakeDeepgram, monkeypatch: pytest.MonkeyPatch) -> Iterator[TrayHarness]:
    monkeypatch.setenv("DEEPGRAM_API_KEY", OWNER_KEY)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    settings = Settings(api_url=billed.base_url, poll_interval=300, warn_days_left=Decimal(40))
    tray = TrayHarness(settings, read_forecast_inputs=True)
    try:
        yield tray
    finally:
        tray.close()


def notifications(tray: TrayHarness) -> list[str]:
    return [str(title) for title, _ in tray.icon.recorded("notify")]


def test_one_notification_per_crossing_from_the_servers_spend(
    billed: FakeDeepgram, billed_tray: TrayHarness
) -> None:
    tray = billed_tray
    tray.run_for(3 * 3600 - 60)  # 36 polls; spend and purchases read at 0, 1 h and 2 h
    assert "About 30 days left" in tray.menu()
    assert notifications(tray) == ["Deepgram credit: about 30 days left"]
    assert len(billed.requests_to("/billing/breakdown")) == 3 * 2  # hourly, for each project
    assert len(billed.requests_to(r"/purchases\?limit=1000$")) == 3 * 2

    # Spending slows to $1.25 a day (about 102 days left): re-armed. Then it speeds up again.
    billed.daily_spend[PROJECT_A] = {}
    tray.run_for(3600)
    assert "About 102 days left" in tray.menu()
    billed.daily_spend[PROJECT_A] = {day(n): 3 for n in range(1, 12)}
    tray.run_for(3600)
    assert notifications(tray) == ["Deepgram credit: about 30 days left"] * 2


def test_an_expiry_within_the_warning_period_is_announced_once(
    billed: FakeDeepgram, billed_tray: TrayHarness
) -> None:
    tray = billed_tray
    tray.settings = tray.settings._replace(warn_days_left=Decimal(0), warn_expiry_days=30)
    tray.run_for(2 * 3600)
    assert notifications(tray) == ["Deepgram credit expires in 20 days"]
    assert "$25.00 purchased credit expires in 20 days" in tray.tooltip()


def test_a_key_that_may_not_read_billing_falls_back_to_the_history(
    billed: FakeDeepgram, billed_tray: TrayHarness
) -> None:
    refused = new_error("INSUFFICIENT_PERMISSIONS", "Requires the billing:read scope.")
    billed.fail("/billing/breakdown", Fault(status=403, body=refused))
    billed_tray.run_for(600)
    # The history has only minutes in it here: the tray says so rather than guess.
    menu = billed_tray.menu()
    assert "Too little data to say when it runs out" in menu
    assert not any(line.startswith("Spen") for line in menu)
    assert "Credit expiring: $25.00" in " ".join(menu)  # purchases were still readable
    assert billed_tray.poller.state.error is None and notifications(billed_tray) == []
