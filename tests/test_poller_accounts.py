"""The poller with several accounts, on a fake clock: one fetch per poll for all of them, each
account's own project list, failures, keyring and notifications, and the view the tray draws."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from tests.support.clock import FakeClock, step_poller_for
from tests.support.tray_states import snapshot
from trayapp.accounts import Account
from trayapp.config import Settings
from trayapp.deepgram.models import BalanceSnapshot, Project
from trayapp.errors import (
    AuthError,
    DeepgramTrayError,
    KeyringUnavailableError,
    MissingKeyError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    WorkerProtocolError,
)
from trayapp.outlook.forecast import NO_DATA, ForecastInputs, SpendRate
from trayapp.tray.notifications import Alert
from trayapp.tray.poller import AccountRead, FetchAnswer, FetchResult, ForecastRead, Poller
from trayapp.tray.scheduler import PollScheduler
from trayapp.tray.state import Level
from trayapp.tray.view import TrayView

INTERVAL = 300
TOP = Settings(poll_interval=INTERVAL)
DEFAULT = Account("default", "default", TOP)
CLIENT_A = Account("client-a", "Client A", TOP)
CLIENT_B = Account("client-b", "Client B", TOP)
PROJECTS = {name: [Project(f"{name}-p", f"{name} project")] for name in ("default", "client-a")}


@dataclass
class FakeAccountsApi:
    """Answers each poll's one fetch: an amount (text) or an error per account."""

    clock: FakeClock
    answers: dict[str, str | DeepgramTrayError] = field(default_factory=dict)
    fetches: list[list[AccountRead]] = field(default_factory=list)
    forecast_reads: list[list[ForecastRead]] = field(default_factory=list)
    whole_failure: DeepgramTrayError | None = None

    def fetch(self, reads: list[AccountRead]) -> list[FetchAnswer]:
        self.fetches.append(reads)
        if self.whole_failure is not None:
            raise self.whole_failure
        answers: list[FetchAnswer] = []
        for read in reads:
            answer = self.answers.get(read.account, MissingKeyError("No key."))
            if isinstance(answer, DeepgramTrayError):
                answers.append(answer)
            else:
                projects = PROJECTS.get(read.account, [Project("x", "X")])
                answers.append(FetchResult(snapshot(answer), projects))
        return answers

    def forecast_inputs(self, reads: list[ForecastRead]) -> list[ForecastInputs]:
        self.forecast_reads.append(reads)
        return [
            ForecastInputs(SpendRate("billing", Decimal(r.account == "client-a") + 1, None), None)
            for r in reads
        ]

    def listed(self, poll: int) -> dict[str, bool]:
        """Which accounts' projects the `poll`th fetch listed."""
        return {read.account: read.known is None for read in self.fetches[poll]}


@dataclass
class Harness:
    clock: FakeClock
    api: FakeAccountsApi
    poller: Poller
    views: list[TrayView]
    alerts: list[Alert]
    accounts: list[tuple[Account, ...]]
    recorded: list[tuple[str, BalanceSnapshot]]

    def run_for(self, seconds: float) -> None:
        step_poller_for(self.poller, self.clock, seconds)

    def level_of(self, name: str) -> Level:
        (entry,) = [e for e in self.poller.view.accounts if e.name == name]
        return entry.state.level


def make_harness(
    *accounts: Account, answers: dict[str, str | DeepgramTrayError], forecasts: bool = False
) -> Harness:
    clock = FakeClock()
    api = FakeAccountsApi(clock, dict(answers))
    views: list[TrayView] = []
    alerts: list[Alert] = []
    loaded = [accounts or (DEFAULT, CLIENT_A)]
    recorded: list[tuple[str, BalanceSnapshot]] = []

    def record(name: str, read: BalanceSnapshot) -> SpendRate:
        recorded.append((name, read))
        return NO_DATA

    poller = Poller(
        load_accounts=lambda: loaded[-1],
        fetch_accounts=api.fetch,
        on_view=views.append,
        on_alert=alerts.append,
        clock=clock.clock,
        scheduler=PollScheduler(INTERVAL, clock.clock, jitter=lambda: 1.0),
        record_account_history=record,
        fetch_forecast_inputs_accounts=api.forecast_inputs if forecasts else None,
    )
    return Harness(clock, api, poller, views, alerts, loaded, recorded)


def total_of(view: TrayView, name: str) -> Decimal | None:
    (entry,) = [e for e in view.accounts if e.name == name]
    return entry.state.total


def test_one_fetch_per_poll_reads_every_account() -> None:
    h = make_harness(answers={"default": "128.00", "client-a": "40.00"})
    h.run_for(3 * INTERVAL - 1)

    assert len(h.api.fetches) == 3  # one per poll, not one per account
    assert [[r.account for r in reads] for reads in h.api.fetches] == [["default", "client-a"]] * 3
    view = h.poller.view
    assert total_of(view, "default") == Decimal("128.00")
    assert total_of(view, "client-a") == Decimal("40.00")
    assert [name for name, _ in h.recorded] == ["default", "client-a"] * 3


def test_the_icon_speaks_for_the_account_that_needs_money() -> None:
    h = make_harness(answers={"default": "128.00", "client-a": "4.00"})
    h.run_for(1)
    view = h.poller.view
    assert view.headline.name == "client-a"
    assert view.state.level is Level.CRITICAL and view.state.total == Decimal("4.00")
    assert h.poller.state is view.state


def test_each_account_has_its_own_thresholds() -> None:
    strict = Account(
        "client-a", "Client A", Settings(poll_interval=INTERVAL, warn_below=Decimal(50))
    )
    h = make_harness(DEFAULT, strict, answers={"default": "40.00", "client-a": "40.00"})
    h.run_for(1)
    assert h.level_of("default") is Level.OK
    assert h.level_of("client-a") is Level.WARN


def test_a_bad_key_greys_only_its_account_and_the_schedule_keeps_its_pace() -> None:
    refused = AuthError("Deepgram refused the API key.", status=401)
    h = make_harness(answers={"default": "128.00", "client-a": refused})
    h.run_for(2 * INTERVAL - 1)

    assert len(h.api.fetches) == 2  # no backoff: an account was read
    assert h.level_of("default") is Level.OK
    assert h.level_of("client-a") is Level.PROBLEM
    assert h.poller.view.headline.name == "client-a"  # the one that needs a look
    assert [a.title for a in h.alerts] == ["Client A: Deepgram refused the API key"]


def test_the_schedule_backs_off_only_when_no_account_could_be_read() -> None:
    offline = NetworkError("No connection.")
    h = make_harness(answers={"default": offline, "client-a": offline})
    h.run_for(INTERVAL)
    assert len(h.api.fetches) > 2  # retries sooner than the interval, backing off
    assert h.level_of("default") is Level.PROBLEM


def test_a_fetch_that_failed_as_a_whole_fails_every_account() -> None:
    h = make_harness(answers={"default": "128.00", "client-a": "40.00"})
    h.api.whole_failure = WorkerProtocolError("The balance check failed unexpectedly.")
    h.run_for(1)
    assert {e.name: e.state.error for e in h.poller.view.accounts} == {
        "default": h.api.whole_failure,
        "client-a": h.api.whole_failure,
    }


def test_the_longest_wait_any_account_was_asked_for_is_kept() -> None:
    slow_down = RateLimitedError("Too many requests.", retry_after=900)
    h = make_harness(answers={"default": "128.00", "client-a": slow_down})
    h.run_for(900 - 1)
    assert len(h.api.fetches) == 1
    h.run_for(2)
    assert len(h.api.fetches) == 2


def test_each_account_keeps_its_project_list_for_an_hour() -> None:
    h = make_harness(answers={"default": "128.00", "client-a": "40.00"})
    h.run_for(3 * INTERVAL - 1)
    assert h.api.listed(0) == {"default": True, "client-a": True}
    assert h.api.listed(1) == h.api.listed(2) == {"default": False, "client-a": False}
    assert h.api.fetches[1][1].known == PROJECTS["client-a"]  # its own, not the default's


def test_a_project_gone_from_one_account_relists_only_that_one() -> None:
    h = make_harness(answers={"default": "128.00", "client-a": "40.00"})
    h.run_for(1)
    h.api.answers["client-a"] = NotFoundError("That project is gone.")
    h.run_for(INTERVAL)
    h.run_for(INTERVAL)
    assert h.api.listed(2) == {"default": False, "client-a": True}


def test_a_keyring_that_failed_for_one_account_waits_for_the_user_the_other_goes_on() -> None:
    locked = KeyringUnavailableError("The keyring is locked: unlock it and choose Refresh.")
    h = make_harness(answers={"default": "128.00", "client-a": locked})
    h.run_for(3 * INTERVAL - 1)
    asked = [[r.account for r in reads] for reads in h.api.fetches]
    assert asked == [["default", "client-a"], ["default"], ["default"]]

    h.poller.refresh()
    h.run_for(1)
    assert [r.account for r in h.api.fetches[-1]] == ["default", "client-a"]


def test_the_top_level_account_without_a_key_is_left_out_when_named_ones_exist() -> None:
    h = make_harness(answers={"client-a": "40.00"})  # the default has no key
    h.run_for(1)
    assert [e.name for e in h.poller.view.accounts] == ["client-a"]
    assert not h.poller.view.single


def test_one_account_without_a_key_still_shows_it() -> None:
    h = make_harness(DEFAULT, answers={})
    h.run_for(1)
    (entry,) = h.poller.view.accounts
    assert h.poller.view.single and not entry.state.has_key


def test_notifications_name_the_account_only_when_there_are_several() -> None:
    several = make_harness(answers={"default": "128.00", "client-a": "4.00"})
    several.run_for(1)
    assert [a.title for a in several.alerts] == ["Client A: Deepgram balance critical: $4.00"]

    alone = make_harness(DEFAULT, answers={"default": "4.00"})
    alone.run_for(1)
    assert [a.title for a in alone.alerts] == ["Deepgram balance critical: $4.00"]


def test_each_account_is_announced_once() -> None:
    h = make_harness(answers={"default": "4.00", "client-a": "4.00"})
    h.run_for(3 * INTERVAL)
    assert sorted(a.title for a in h.alerts) == [
        "Client A: Deepgram balance critical: $4.00",
        "Default: Deepgram balance critical: $4.00",
    ]


def test_accounts_added_renamed_and_removed_in_the_config_follow() -> None:
    h = make_harness(answers={"default": "128.00", "client-a": "40.00", "client-b": "9.00"})
    h.run_for(1)
    h.accounts.append((DEFAULT, CLIENT_A._replace(label="Acme"), CLIENT_B))
    h.poller.refresh()
    h.run_for(1)
    assert [e.label for e in h.poller.view.accounts] == ["Default", "Acme", "Client B"]
    assert total_of(h.poller.view, "client-b") == Decimal("9.00")

    h.accounts.append((DEFAULT,))
    h.poller.refresh()
    h.run_for(60)  # manual refreshes are spaced out
    assert h.poller.view.single
    assert [r.account for r in h.api.fetches[-1]] == ["default"]


def test_spend_and_expiry_of_every_account_are_read_in_one_go() -> None:
    h = make_harness(answers={"default": "128.00", "client-a": "40.00"}, forecasts=True)
    h.run_for(3 * INTERVAL - 1)
    assert len(h.api.forecast_reads) == 1  # hourly, for both at once
    assert [r.account for r in h.api.forecast_reads[0]] == ["default", "client-a"]
    rates = {
        e.name: e.state.forecast.rate.per_day for e in h.poller.view.accounts if e.state.forecast
    }
    assert rates == {"default": Decimal(1), "client-a": Decimal(2)}


def test_the_tray_is_redrawn_once_per_step_of_a_poll_not_once_per_account() -> None:
    h = make_harness(
        DEFAULT, CLIENT_A, CLIENT_B, answers={"default": "1", "client-a": "2", "client-b": "3"}
    )
    h.run_for(1)
    assert [[e.state.refreshing for e in view.accounts] for view in h.views] == [
        [True, True, True],  # every account's fetch started
        [False, False, False],  # every account's answer
    ]


# --- what the schedule and the wiring owe each account (found by mutation testing) ---------------


def test_it_is_given_one_way_to_read_the_accounts_and_one_to_fetch() -> None:
    clock = FakeClock()
    api = FakeAccountsApi(clock)
    with pytest.raises(TypeError, match="load_settings or load_accounts"):
        Poller(fetch_accounts=api.fetch, on_alert=print, clock=clock.clock)
    with pytest.raises(TypeError, match="load_settings or load_accounts"):
        Poller(
            load_settings=Settings,
            load_accounts=lambda: (DEFAULT,),
            fetch_accounts=api.fetch,
            on_alert=print,
            clock=clock.clock,
        )
    with pytest.raises(TypeError, match="fetch or fetch_accounts"):
        Poller(load_accounts=lambda: (DEFAULT,), on_alert=print, clock=clock.clock)


def test_when_every_keyring_failed_nothing_is_fetched_until_the_user_asks() -> None:
    locked = KeyringUnavailableError("The keyring is locked: unlock it and choose Refresh.")
    h = make_harness(answers={"default": locked, "client-a": locked})
    h.run_for(5 * INTERVAL)
    assert len(h.api.fetches) == 1


def test_an_account_without_a_key_is_looked_at_again_each_interval_not_sooner() -> None:
    h = make_harness(DEFAULT, answers={})
    h.run_for(2 * INTERVAL - 1)
    assert len(h.api.fetches) == 2


def test_a_failing_account_does_not_put_off_the_others_hourly_project_list() -> None:
    h = make_harness(answers={"default": "128.00", "client-a": NetworkError("No connection.")})
    h.run_for(3600 + INTERVAL)
    listings = [poll for poll in range(len(h.api.fetches)) if h.api.listed(poll)["default"]]
    assert listings == [0, 12]  # the first poll, and the first after the hour


def test_the_forecast_follows_each_reads_history() -> None:
    rates = iter(Decimal(n) for n in range(1, 100))
    h = make_harness(DEFAULT, answers={"default": "128.00"})
    h.poller._record_account_history = lambda name, read: SpendRate("history", next(rates), None)
    h.run_for(2 * INTERVAL - 1)
    forecast = h.poller.state.forecast
    assert forecast is not None and forecast.rate.per_day == Decimal(2)  # the second read's


def test_without_a_per_account_history_only_the_top_level_account_is_recorded() -> None:
    clock = FakeClock()
    api = FakeAccountsApi(clock, {"default": "128.00", "client-a": "40.00"})
    recorded: list[BalanceSnapshot] = []

    def record(read: BalanceSnapshot) -> SpendRate:
        recorded.append(read)
        return SpendRate("history", Decimal(5), None)

    poller = Poller(
        load_accounts=lambda: (DEFAULT, CLIENT_A),
        fetch_accounts=api.fetch,
        on_alert=print,
        clock=clock.clock,
        record_history=record,
    )
    poller.step()
    assert [r.totals for r in recorded] == [{"usd": Decimal("128.00")}]
    rates = {e.name: e.state.forecast.rate for e in poller.view.accounts if e.state.forecast}
    assert rates["default"].per_day == Decimal(5)
    assert rates["client-a"] == NO_DATA


def test_a_history_that_cannot_be_written_leaves_the_forecast_without_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = make_harness(DEFAULT, answers={"default": "128.00"})

    def broken(name: str, read: BalanceSnapshot) -> SpendRate:
        raise OSError("disk full")

    h.poller._record_account_history = broken
    h.run_for(1)
    forecast = h.poller.state.forecast
    assert forecast is not None and forecast.rate == NO_DATA
    assert "Could not record or read the balance history" in caplog.text


def test_one_accounts_spend_and_expiry_through_the_single_account_fetch() -> None:
    clock = FakeClock()
    asked: list[list[str]] = []

    def inputs(settings: Settings, ids: list[str]) -> ForecastInputs:
        asked.append(ids)
        if len(asked) > 1:
            raise NetworkError("No connection.")
        return ForecastInputs(SpendRate("billing", Decimal(7), None), None)

    poller = Poller(
        load_settings=lambda: TOP,
        fetch=lambda settings, known: FetchResult(snapshot("128"), PROJECTS["default"]),
        on_alert=print,
        clock=clock.clock,
        fetch_forecast_inputs=inputs,
    )
    poller.step()
    forecast = poller.state.forecast
    assert asked == [["p0"]] and forecast is not None and forecast.rate.per_day == Decimal(7)
    clock.advance(3600)
    poller.refresh()
    poller.step()  # the hourly read fails: the last reading stays
    forecast = poller.state.forecast
    assert len(asked) == 2 and forecast is not None and forecast.rate.per_day == Decimal(7)


def test_a_forecast_read_that_failed_as_a_whole_keeps_the_amounts() -> None:
    h = make_harness(answers={"default": "128.00", "client-a": "40.00"}, forecasts=True)

    def down(reads: list[ForecastRead]) -> list[ForecastInputs]:
        raise WorkerProtocolError("The balance check failed unexpectedly.")

    h.poller._fetch_forecast_inputs_accounts = down
    h.run_for(1)
    assert total_of(h.poller.view, "client-a") == Decimal("40.00")
    assert all(e.state.forecast is not None for e in h.poller.view.accounts)


def test_the_first_forecast_is_shown_from_the_hourly_read() -> None:
    h = make_harness(answers={"default": "128.00", "client-a": "40.00"}, forecasts=True)
    h.run_for(1)
    rates = {
        e.name: e.state.forecast.rate.per_day for e in h.views[-1].accounts if e.state.forecast
    }
    assert rates == {"default": Decimal(1), "client-a": Decimal(2)}


def test_a_new_label_alone_is_shown() -> None:
    h = make_harness(answers={"default": "128.00", "client-a": "40.00"})
    h.run_for(1)
    shown = len(h.views)
    h.accounts.append((DEFAULT, CLIENT_A._replace(label="Acme")))
    h.poller._reload_accounts()
    h.poller._apply_accounts(h.accounts[-1])
    assert len(h.views) == shown + 1
    assert [e.label for e in h.views[-1].accounts] == ["Default", "Acme"]


def test_other_projects_forget_the_accounts_spend_and_expiry() -> None:
    h = make_harness(answers={"default": "128.00", "client-a": "40.00"}, forecasts=True)
    h.run_for(1)
    watching = CLIENT_A._replace(settings=TOP._replace(projects=("client-a-p",)))
    h.accounts.append((DEFAULT, watching))
    h.run_for(INTERVAL)
    assert [[r.account for r in reads] for reads in h.api.forecast_reads] == [
        ["default", "client-a"],
        ["client-a"],  # read again within the hour: its projects changed
    ]
