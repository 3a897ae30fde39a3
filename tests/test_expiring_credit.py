"""Expiring credit as Deepgram publishes it: purchases paged by `limit`, what is left of an order
(its balance), the older `purchase` name of a balance's order field, and dates so far off that the
credit does not really expire. Through the test server, the CLI and the tray's fetch worker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
import requests

from tests.conftest import OWNER_KEY, PROJECT_B, run_cli, today
from tests.support.deepgram_server import (
    PURCHASES_DEFAULT_LIMIT,
    FakeDeepgram,
    documented_balance,
    documented_order,
    older_balance,
)
from tests.support.tray_harness import TrayHarness
from tests.support.tray_states import FETCHED_AT, said, state_with
from trayapp.config import Settings
from trayapp.deepgram.client import DeepgramClient
from trayapp.deepgram.models import Balance, BalanceSnapshot, Project, ProjectBalances
from trayapp.deepgram.parsing import parse_balance
from trayapp.errors import NetworkError
from trayapp.formats import display_date, expiry_sentence
from trayapp.outlook.forecast import (
    COUNT_DAYS_WITHIN,
    EXPIRY_HORIZON_DAYS,
    NO_DATA,
    Expiry,
    ForecastInputs,
    build_forecast,
    with_what_is_left,
    worth_announcing,
)
from trayapp.tray.fetch_process import (
    fetch_forecast_inputs_in_child_process,
    fetch_in_child_process,
)
from trayapp.tray.notifications import AlertMemory, alerts_for
from trayapp.tray.render import menu_lines, tooltip_text
from trayapp.tray.worker_protocol import decode_forecast_inputs, encode_forecast_inputs

SOONEST = "9d1e3f7a-0b6c-4e2d-8a51-3c7f0e9b2d64"
"""The order that expires first: bought long ago, so newest-first pages put it last."""


def in_days(days: int) -> date:
    return today() + timedelta(days=days)


def expiration(days: int) -> str:
    """As Deepgram writes it (the documented example: "2026-03-04T00:00:00Z")."""
    return f"{in_days(days).isoformat()}T00:00:00Z"


def eleven_newer_orders() -> list[dict[str, object]]:
    """Orders bought this year, each expiring later than SOONEST (or never)."""
    return [
        documented_order(
            order_id=f"0000000{n:x}-0000-4000-8000-000000000000",
            created=f"2026-{n:02d}-01T12:00:00Z",
            expiration=expiration(200 + n) if n % 2 else None,
            amount=10,
        )
        for n in range(1, 12)
    ]


def promotional(days: int = 31) -> dict[str, object]:
    return documented_order(
        order_id=SOONEST, created="2024-05-01T09:30:00Z", expiration=expiration(days), amount=200
    )


@pytest.fixture
def twelve_orders(deepgram: FakeDeepgram) -> FakeDeepgram:
    """Project B: twelve orders, the soonest to expire the oldest one (beyond the first ten),
    and a balance of $40 left of it, tied to it by its order id."""
    deepgram.orders[PROJECT_B] = [*eleven_newer_orders(), promotional()]
    deepgram.set_balances(
        PROJECT_B,
        [documented_balance(balance_id="bal-3", amount=40, units="usd", purchase_order_id=SOONEST)],
    )
    return deepgram


def orders_page(server: FakeDeepgram, query: str = "") -> requests.Response:
    return requests.get(
        f"{server.base_url}/v1/projects/{PROJECT_B}/purchases{query}",
        headers={"Authorization": f"Token {OWNER_KEY}"},
        timeout=10,
    )


# --- 1. purchases come in pages of `limit` ------------------------------------------------------


class TestTheServersPages:
    """What the test server does, per Deepgram's reference: default 10, range 1 to 1000."""

    def test_without_limit_only_ten_come_and_the_soonest_is_not_among_them(
        self, twelve_orders: FakeDeepgram
    ) -> None:
        orders = orders_page(twelve_orders).json()["orders"]
        assert len(orders) == PURCHASES_DEFAULT_LIMIT == 10
        assert SOONEST not in [o["order_id"] for o in orders]

    def test_the_most_a_page_holds_brings_them_all(self, twelve_orders: FakeDeepgram) -> None:
        orders = orders_page(twelve_orders, "?limit=1000").json()["orders"]
        assert len(orders) == 12 and orders[-1]["order_id"] == SOONEST  # newest first

    def test_a_fractional_limit_counts_its_whole_part(self, twelve_orders: FakeDeepgram) -> None:
        # The SDKs' wire tests send limit=1.1: the spec types it a double.
        assert len(orders_page(twelve_orders, "?limit=1.1").json()["orders"]) == 1

    @pytest.mark.parametrize("limit", ["1001", "0", "ten", "inf"])
    def test_a_limit_outside_the_range_is_refused(
        self, twelve_orders: FakeDeepgram, limit: str
    ) -> None:
        answer = orders_page(twelve_orders, f"?limit={limit}")
        assert answer.status_code == 400
        assert answer.json()["category"] == "INVALID_QUERY_PARAMETER"


def test_the_client_asks_for_the_largest_page(twelve_orders: FakeDeepgram) -> None:
    with DeepgramClient(twelve_orders.base_url, OWNER_KEY) as client:
        orders = client.purchases(PROJECT_B)
    assert len(orders) == 12 and orders[-1].order_type == "promotional"
    assert [r.path for r in twelve_orders.requests_to("/purchases")] == [
        f"/v1/projects/{PROJECT_B}/purchases?limit=1000"
    ]


def forecast_json(env: dict[str, str]) -> dict[str, object]:
    result = run_cli(["balance", "--json", "--forecast"], env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout, parse_float=Decimal)
    forecast: dict[str, object] = document["forecast"]
    return forecast


def test_the_cli_finds_the_soonest_order_beyond_the_tenth(
    twelve_orders: FakeDeepgram, cli_env: dict[str, str]
) -> None:
    assert forecast_json(cli_env)["nearest_expiry"] == {
        "date": in_days(31).isoformat(),
        "amount": 200,
        "units": "usd",
        "project_id": PROJECT_B,
        "order_id": SOONEST,
        "order_type": "promotional",
        "purchased": 200,
        "remaining": 40,
    }


def test_the_fetch_worker_finds_it_too_and_the_balances_say_what_is_left(
    twelve_orders: FakeDeepgram, worker_env: Settings
) -> None:
    reading = fetch_forecast_inputs_in_child_process(worker_env, [PROJECT_B])
    assert reading.expiry == Expiry(
        in_days(31), Decimal(200), "usd", PROJECT_B, SOONEST, "promotional"
    )
    snapshot = fetch_in_child_process(worker_env, None).snapshot
    assert with_what_is_left(reading.expiry, snapshot) == reading.expiry._replace(
        remaining=Decimal(40)
    )


# --- 2. what is left of the expiring order ------------------------------------------------------


def test_the_cli_text_says_what_is_left(
    twelve_orders: FakeDeepgram, cli_env: dict[str, str]
) -> None:
    result = run_cli(["balance", "--forecast"], cli_env)
    assert (
        f"Credit expiring: $40.00 left of $200.00 promotional credit on "
        f"{display_date(in_days(31))} (in 31 days)\n"
    ) in result.stdout


def test_without_a_matching_balance_the_amount_is_called_purchased(
    twelve_orders: FakeDeepgram, cli_env: dict[str, str]
) -> None:
    twelve_orders.set_balances(PROJECT_B, [documented_balance(amount=3.25, units="usd")])
    expiry = forecast_json(cli_env)["nearest_expiry"]
    assert isinstance(expiry, dict)
    assert expiry["remaining"] is None and expiry["purchased"] == expiry["amount"] == 200
    text = run_cli(["balance", "--forecast"], cli_env).stdout
    assert "Credit expiring: $200.00 purchased as promotional credit on " in text


def test_an_older_balance_naming_its_order_purchase_matches_too(
    twelve_orders: FakeDeepgram, cli_env: dict[str, str]
) -> None:
    twelve_orders.set_balances(
        PROJECT_B,
        [older_balance(balance_id="bal-3", amount=40, units="usd", purchase_order_id=SOONEST)],
    )
    expiry = forecast_json(cli_env)["nearest_expiry"]
    assert isinstance(expiry, dict) and expiry["remaining"] == 40


def snapshot_of(*balances: Balance, project_id: str = "p0") -> BalanceSnapshot:
    return BalanceSnapshot(FETCHED_AT, (ProjectBalances(Project(project_id, "P"), balances),))


class TestWhatIsLeft:
    EXPIRY = Expiry(date(2026, 12, 25), Decimal(200), "usd", "p0", "po-1", "promotional")

    def test_the_balances_of_the_same_order_in_the_same_project(self) -> None:
        shot = snapshot_of(
            Balance("b1", Decimal("30.5"), "usd", "po-1"),
            Balance("b2", Decimal("9.5"), "usd", "po-1"),
            Balance("b3", Decimal(500), "usd", "po-2"),
        )
        assert with_what_is_left(self.EXPIRY, shot) == self.EXPIRY._replace(remaining=Decimal(40))

    def test_another_project_another_unit_or_no_order_id_says_nothing(self) -> None:
        elsewhere = snapshot_of(Balance("b1", Decimal(40), "usd", "po-1"), project_id="p9")
        hours = snapshot_of(Balance("b1", Decimal(40), "hour", "po-1"))
        assert with_what_is_left(self.EXPIRY, elsewhere) == self.EXPIRY
        assert with_what_is_left(self.EXPIRY, hours) == self.EXPIRY
        no_id = self.EXPIRY._replace(order_id=None)
        assert with_what_is_left(no_id, snapshot_of(Balance("b", Decimal(1), "usd", None))) == no_id

    def test_an_unreadable_project_leaves_it_unknown(self) -> None:
        shot = BalanceSnapshot(
            FETCHED_AT, (ProjectBalances(Project("p0", "P"), error=NetworkError("x.")),)
        )
        assert with_what_is_left(self.EXPIRY, shot) == self.EXPIRY
        assert with_what_is_left(None, shot) is None

    def test_nothing_left_is_nothing_to_lose(self) -> None:
        shot = snapshot_of(Balance("b1", Decimal(0), "usd", "po-1"))
        assert with_what_is_left(self.EXPIRY, shot) is None

    def test_menu_tooltip_and_notification_agree(self) -> None:
        expiry = self.EXPIRY._replace(remaining=Decimal(40))  # 31 days after FETCHED_AT
        state = state_with("40", forecast=build_forecast(Decimal(40), NO_DATA, expiry))
        menu = [line.text.strip() for line in menu_lines(state)]
        said_in_words = "$40.00 left of $200.00 promotional credit"
        assert f"Credit expiring: {said_in_words} on 25 Dec 2026 (in 31 days)" in menu
        near = state_with(
            "40", forecast=build_forecast(Decimal(40), NO_DATA, expiry), warn_expiry_days=31
        )
        assert "$40.00 left of $200.00 expires in 31 days" in tooltip_text(near)
        _, (alert,) = alerts_for(AlertMemory(), near)
        assert alert.title == "Deepgram credit expires in 31 days"
        assert alert.message.startswith(
            f"Deepgram credit expires on 25 Dec 2026: {said_in_words}. Whatever is left"
        )

    def test_the_worker_protocol_carries_every_field(self) -> None:
        reading = ForecastInputs(None, self.EXPIRY._replace(remaining=Decimal("0.123456789")))
        assert decode_forecast_inputs(encode_forecast_inputs(reading)) == reading


@pytest.fixture
def promo_tray(
    twelve_orders: FakeDeepgram, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TrayHarness]:
    monkeypatch.setenv("DEEPGRAM_API_KEY", OWNER_KEY)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    settings = Settings(
        api_url=twelve_orders.base_url,
        poll_interval=300,
        warn_days_left=Decimal(0),
        warn_expiry_days=31,
    )
    tray = TrayHarness(settings, read_forecast_inputs=True)
    try:
        yield tray
    finally:
        tray.close()


def test_the_tray_says_what_is_left_and_follows_the_balance(
    twelve_orders: FakeDeepgram, promo_tray: TrayHarness
) -> None:
    promo_tray.run_for(600)
    sentence = (
        f"Credit expiring: $40.00 left of $200.00 promotional credit on "
        f"{display_date(in_days(31))} (in 31 days)"
    )
    assert sentence in promo_tray.menu()
    assert "$40.00 left of $200.00 expires in 31 days" in promo_tray.tooltip()
    (title, message), *_ = promo_tray.icon.recorded("notify")
    assert title == "Deepgram credit expires in 31 days"
    assert "$40.00 left of $200.00 promotional credit" in str(message)
    # Spent down at the next poll: what is left follows the balance, not the hourly purchases.
    twelve_orders.set_balances(
        PROJECT_B,
        [documented_balance(balance_id="bal-3", amount=12, units="usd", purchase_order_id=SOONEST)],
    )
    promo_tray.run_for(300)
    assert sentence.replace("$40.00", "$12.00") in promo_tray.menu()
    assert len(twelve_orders.requests_to(f"{PROJECT_B}/purchases")) == 1  # read hourly


# --- 3. the older `purchase` field --------------------------------------------------------------


class TestPurchaseAlias:
    def test_purchase_is_the_order_id(self) -> None:
        balance = parse_balance({"balance_id": "b", "amount": 1, "units": "usd", "purchase": "o"})
        assert balance.purchase_order_id == "o"

    def test_the_spec_name_wins(self) -> None:
        entry = {"amount": 1, "purchase_order_id": "spec", "purchase": "old"}
        assert parse_balance(entry).purchase_order_id == "spec"

    def test_anything_but_text_is_no_order(self) -> None:
        assert parse_balance({"amount": 1, "purchase": 7}).purchase_order_id is None
        entry = {"amount": 1, "purchase_order_id": None, "purchase": "old"}
        assert parse_balance(entry).purchase_order_id == "old"

    def test_the_server_fixture_is_the_dotnet_shape(self) -> None:
        assert set(older_balance()) == {"balance_id", "amount", "units", "purchase"}


# --- 4. far-off dates ---------------------------------------------------------------------------


class TestFarOff:
    EXPIRY = Expiry(date(2099, 1, 1), Decimal(50), "usd", "p0")

    def test_the_horizon_and_the_day_count(self) -> None:
        assert worth_announcing(EXPIRY_HORIZON_DAYS) and not worth_announcing(366)
        on_the_day = Expiry(date(2027, 1, 1), Decimal(50), "usd", "p0")
        assert expiry_sentence(on_the_day, COUNT_DAYS_WITHIN) == (
            "Credit expiring: $50.00 purchased on 1 Jan 2027 (in 90 days)"
        )
        assert expiry_sentence(on_the_day, 91) == "Credit expiring: $50.00 purchased on 1 Jan 2027"
        assert expiry_sentence(on_the_day, 365) == "Credit expiring: $50.00 purchased on 1 Jan 2027"
        assert expiry_sentence(on_the_day, 366) is None

    def test_menu_tooltip_and_notifications_leave_it_out(self) -> None:
        state = state_with(
            "100",
            forecast=build_forecast(Decimal(100), NO_DATA, self.EXPIRY),
            warn_expiry_days=100_000,  # even someone who asks to hear decades ahead
        )
        assert not any("expir" in line.text.lower() for line in menu_lines(state))
        assert "expires" not in tooltip_text(state)
        assert said(state) == []

    def test_a_few_months_off_gives_the_date_without_a_count(self) -> None:
        expiry = self.EXPIRY._replace(day=FETCHED_AT.date() + timedelta(days=200))
        state = state_with("100", forecast=build_forecast(Decimal(100), NO_DATA, expiry))
        expiring = [line.text for line in menu_lines(state) if "expiring" in line.text]
        assert [text.strip() for text in expiring] == [
            f"Credit expiring: $50.00 purchased on {display_date(expiry.day)}"
        ]

    def test_the_cli_text_leaves_it_out_and_the_json_keeps_the_date(
        self, deepgram: FakeDeepgram, cli_env: dict[str, str]
    ) -> None:
        deepgram.orders[PROJECT_B] = [
            documented_order(expiration="2099-01-01T00:00:00Z", amount=50, order_type=None)
        ]
        text = run_cli(["balance", "--forecast"], cli_env).stdout
        assert "expir" not in text.lower()
        expiry = forecast_json(cli_env)["nearest_expiry"]
        assert isinstance(expiry, dict) and expiry["date"] == "2099-01-01"
