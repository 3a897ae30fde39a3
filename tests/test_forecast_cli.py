"""`balance --forecast` against the test server's billing breakdown and purchases endpoints."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import PROJECT_B, day, run_cli, today
from tests.support.deepgram_server import FakeDeepgram, Fault, new_error
from trayapp.deepgram.parsing import parse_billing_breakdown, parse_purchases
from trayapp.errors import MalformedResponseError
from trayapp.formats import display_date
from trayapp.outlook.history import record


def test_json_gains_a_forecast_from_deepgrams_billing(
    billed: FakeDeepgram, cli_env: dict[str, str]
) -> None:
    result = run_cli(["balance", "--json", "--forecast"], cli_env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout, parse_float=Decimal)
    # 128.31822227 / 4.25 a day = 30.19…
    assert document["forecast"] == {
        "basis": "billing",
        "spend_per_day": {"usd": Decimal("4.25")},
        "days_left": Decimal("30.2"),
        "nearest_expiry": {
            "date": day(-20),
            "amount": 25,
            "units": "usd",
            "project_id": PROJECT_B,
            "order_id": "o4",
            "order_type": None,
            "purchased": 25,
            "remaining": None,
        },
    }
    assert document["totals"] == {"usd": Decimal("128.31822227")}  # the contract's part unchanged


def test_prometheus_gains_spend_and_days_left(
    billed: FakeDeepgram, cli_env: dict[str, str]
) -> None:
    result = run_cli(["balance", "--format", "prometheus", "--forecast"], cli_env)
    assert result.returncode == 0, result.stderr
    assert 'deepgram_spend_dollars_per_day{basis="billing"} 4.25\n' in result.stdout
    assert 'deepgram_balance_days_left{units="usd"} 30.2\n' in result.stdout
    assert "# TYPE deepgram_balance_days_left gauge\n" in result.stdout


def test_text_says_it_in_words(billed: FakeDeepgram, cli_env: dict[str, str]) -> None:
    result = run_cli(["balance", "--forecast"], cli_env)
    assert "Spending $4.25 a day (last 7 days)\nAbout 30 days left\n" in result.stdout
    expires = display_date(today() + timedelta(days=20))
    assert f"Credit expiring: $25.00 purchased on {expires} (in 20 days)\n" in result.stdout


def test_a_key_that_may_not_read_billing_gets_no_guess(
    billed: FakeDeepgram, cli_env: dict[str, str]
) -> None:
    billed.fail(
        "/billing/breakdown", Fault(status=403, body=new_error("INSUFFICIENT_PERMISSIONS", "No."))
    )
    result = run_cli(["balance", "--json", "--forecast"], cli_env)
    assert result.returncode == 0, "the balances were read: the forecast is extra"
    forecast = json.loads(result.stdout)["forecast"]
    assert forecast["basis"] == "none"
    assert forecast["spend_per_day"] == {} and forecast["days_left"] is None
    assert forecast["nearest_expiry"]["project_id"] == PROJECT_B  # purchases still readable


def test_without_the_flag_nothing_more_is_asked(
    billed: FakeDeepgram, cli_env: dict[str, str]
) -> None:
    result = run_cli(["balance", "--json"], cli_env)
    assert "forecast" not in json.loads(result.stdout)
    assert not billed.requests_to("/billing|/purchases")


class TestParsing:
    def test_breakdown_days_and_dollars(self) -> None:
        payload = {
            "results": [
                {"dollars": "0.25", "grouping": {"start": "2026-11-24T00:00:00Z"}},
                {"dollars": 1, "grouping": {"start": "2026-11-23"}, "extra": True},
            ]
        }
        days = parse_billing_breakdown(payload)
        assert [(d.isoformat(), a) for d, a in days] == [
            ("2026-11-24", Decimal("0.25")),
            ("2026-11-23", Decimal(1)),
        ]

    @pytest.mark.parametrize(
        "payload",
        [
            {"results": [{"dollars": 1}]},
            {"results": "none"},
            {"results": [{"dollars": "x", "grouping": {"start": "2026-01-01"}}]},
        ],
    )
    def test_breakdown_that_makes_no_sense_is_malformed(self, payload: object) -> None:
        with pytest.raises(MalformedResponseError):
            parse_billing_breakdown(payload)

    def test_purchases_tolerate_missing_and_odd_expiry(self) -> None:
        orders = parse_purchases(
            {
                "orders": [
                    {"order_id": "a", "amount": "5", "units": "USD"},
                    {"amount": 1, "expiration": "soon"},
                ]
            }
        )
        assert [(o.order_id, o.amount, o.units, o.expiration) for o in orders] == [
            ("a", Decimal(5), "usd", None),
            ("", Decimal(1), "usd", None),
        ]


def test_without_billing_the_tray_s_own_history_gives_the_rate(
    billed: FakeDeepgram, cli_env: dict[str, str], tmp_path: Path
) -> None:
    billed.fail(
        "/billing/breakdown", Fault(status=403, body=new_error("INSUFFICIENT_PERMISSIONS", "No."))
    )
    cli_env["XDG_DATA_HOME"] = str(tmp_path / "data")
    db = tmp_path / "data" / "deepgram-balance-tray" / "history.sqlite3"
    now = datetime.now(timezone.utc)
    for hours in range(48, -1, -6):  # $2 a day for two days, with a top-up in between
        topped_up = Decimal(100) if hours < 24 else Decimal(0)
        spent = (48 - hours) / Decimal(12)
        record(db, now - timedelta(hours=hours), {"usd": Decimal(300) - spent + topped_up})
    exported = run_cli(["history"], cli_env)
    assert len(exported.stdout.splitlines()) == 10, exported.stdout + exported.stderr
    result = run_cli(["-v", "balance", "--json", "--forecast"], cli_env)
    forecast = json.loads(result.stdout)["forecast"]
    assert forecast["basis"] == "history", result.stderr
    assert forecast["spend_per_day"] == {"usd": 2.0}
    assert forecast["days_left"] == pytest.approx(128.31822227 / 2, abs=0.05)
