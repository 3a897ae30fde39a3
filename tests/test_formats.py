"""Output formats: exact sums, the contract's JSON, Prometheus exposition, a readable table."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

from trayapp.deepgram.models import Balance, BalanceSnapshot, Project, ProjectBalances
from trayapp.errors import PermissionDeniedError, RateLimitedError
from trayapp.formats import (
    display_amount,
    display_date,
    display_totals,
    escape_label_value,
    render_history_csv,
    render_history_json,
    render_json,
    render_prometheus,
    render_text,
)
from trayapp.outlook.forecast import NO_DATA, Expiry, Forecast, SpendRate, build_forecast
from trayapp.outlook.history import HistoryRow

WHEN = datetime(2026, 11, 24, 18, 0, 0, tzinfo=timezone.utc)


def snapshot(*projects: ProjectBalances) -> BalanceSnapshot:
    return BalanceSnapshot(fetched_at=WHEN, projects=projects)


PROD = ProjectBalances(
    Project("p1", "Voice Bot Prod"),
    (
        Balance("b1", Decimal("104.56822227"), "usd", "po1"),
        Balance("b2", Decimal("20.5"), "usd", "po2"),
    ),
)
STAGING = ProjectBalances(Project("p2", "Staging"), (Balance("b3", Decimal("3.25"), "usd", None),))
REFUSED = ProjectBalances(
    Project("p3", 'Odd "name"\\x'), error=PermissionDeniedError("Member keys cannot read balances.")
)


def test_sum_is_exact() -> None:
    assert snapshot(PROD, STAGING).totals == {"usd": Decimal("128.31822227")}


def test_json_matches_the_contract() -> None:
    document = json.loads(render_json(snapshot(PROD, STAGING, REFUSED)), parse_float=Decimal)
    assert document["fetched_at"] == "2026-11-24T18:00:00Z"
    assert document["totals"] == {"usd": Decimal("128.31822227")}
    prod = document["projects"][0]
    assert prod == {
        "project_id": "p1",
        "name": "Voice Bot Prod",
        "totals": {"usd": Decimal("125.06822227")},
        "balances": [
            {
                "balance_id": "b1",
                "amount": Decimal("104.56822227"),
                "units": "usd",
                "purchase_order_id": "po1",
            },
            {
                "balance_id": "b2",
                "amount": Decimal("20.5"),
                "units": "usd",
                "purchase_order_id": "po2",
            },
        ],
        "error": None,
    }
    refused = document["projects"][2]
    assert refused["balances"] == [] and refused["totals"] == {}
    assert refused["error"] == {
        "kind": "permission",
        "message": "Member keys cannot read balances.",
    }


def test_json_keeps_digits_a_float_would_lose() -> None:
    precise = ProjectBalances(
        Project("p", "P"), (Balance("b", Decimal("12345678901234.123456789012"), "usd"),)
    )
    text = render_json(snapshot(precise))
    assert "12345678901234.123456789012" in text
    assert float(json.loads(text)["totals"]["usd"]) == 12345678901234.123456789012


def test_json_of_nothing() -> None:
    assert json.loads(render_json(snapshot())) == {
        "fetched_at": "2026-11-24T18:00:00Z",
        "totals": {},
        "projects": [],
    }


def test_prometheus_exposition() -> None:
    text = render_prometheus(snapshot(PROD, STAGING, REFUSED))
    assert "# TYPE deepgram_balance_amount gauge" in text
    assert (
        'deepgram_balance_amount{project_id="p1",project_name="Voice Bot Prod",balance_id="b1",'
        'units="usd"} 104.56822227' in text
    )
    assert 'deepgram_balance_total{units="usd"} 128.31822227' in text
    assert 'deepgram_balance_up{project_id="p1"} 1' in text
    assert 'deepgram_balance_up{project_id="p3"} 0' in text
    assert text.endswith("\n")
    for line in text.splitlines():
        assert line.startswith("#") or line.startswith("deepgram_balance_")


def test_prometheus_balances_without_ids_share_one_series() -> None:
    """A label set may appear once in the exposition: two id-less balances of a project in one
    unit become one series with their sum, and the total still counts both."""
    unnamed = ProjectBalances(
        Project("p1", "P"),
        (
            Balance("", Decimal("1.5"), "usd"),
            Balance("", Decimal(2), "usd"),
            Balance("", Decimal(3), "hour"),
        ),
    )
    text = render_prometheus(snapshot(unnamed))
    amounts = [line for line in text.splitlines() if line.startswith("deepgram_balance_amount{")]
    assert amounts == [
        'deepgram_balance_amount{project_id="p1",project_name="P",balance_id="",units="usd"} 3.5',
        'deepgram_balance_amount{project_id="p1",project_name="P",balance_id="",units="hour"} 3',
    ]
    assert 'deepgram_balance_total{units="usd"} 3.5' in text


def test_prometheus_label_escaping() -> None:
    assert escape_label_value('a"b\\c\nd') == 'a\\"b\\\\c\\nd'


def test_text_table_is_aligned_and_rounded() -> None:
    lines = render_text(snapshot(PROD, STAGING, REFUSED)).splitlines()
    assert lines[0].split() == ["Voice", "Bot", "Prod", "$125.07"]
    assert lines[1].split() == ["Staging", "$3.25"]
    assert "unavailable (permission)" in lines[2]
    assert set(lines[3]) == {"-", " "}
    assert lines[4].split() == ["Total", "$128.32"]
    assert len({len(line) for line in lines}) == 1  # every row as wide as the others


def test_text_without_projects() -> None:
    assert render_text(snapshot()) == "This API key sees no projects.\n"


def test_display_amounts() -> None:
    assert display_amount(Decimal("1234.565"), "usd") == "$1,234.57"
    assert display_amount(Decimal("-2.5"), "usd") == "-$2.50"
    assert display_amount(Decimal("12"), "hours") == "12.00 hours"


def test_display_amounts_under_a_dollar() -> None:
    assert display_amount(Decimal("0.5"), "usd") == "$0.50"
    assert display_amount(Decimal("-0.5"), "usd") == "-$0.50"
    assert display_amount(Decimal("0"), "usd") == "$0.00"
    assert display_amount(Decimal("-0.004"), "usd") == "$0.00"  # rounds to zero: no minus sign


def test_display_dates() -> None:
    assert display_date(date(2027, 1, 9)) == "9 Jan 2027"
    assert display_date(date(2026, 12, 31)) == "31 Dec 2026"


def test_display_totals_puts_dollars_first() -> None:
    assert display_totals({}) == "no balance"
    totals = {"hours": Decimal("2"), "usd": Decimal("1"), "zeta": Decimal("3")}
    assert display_totals(totals) == "$1.00 + 2.00 hours + 3.00 zeta"


EXPIRY = Expiry(date(2027, 1, 9), Decimal("150.0"), "usd", "p2")
BILLING = SpendRate("billing", Decimal("4.2543"))


def forecast_for(shot: BalanceSnapshot, expiry: Expiry | None = EXPIRY) -> Forecast:
    return build_forecast(shot.main_total, BILLING, expiry)


def test_text_forecast() -> None:
    shot = snapshot(PROD, STAGING)
    text = render_text(shot, forecast_for(shot))
    # 128.31822227 / 4.2543 a day = 30.16…
    assert text == render_text(shot) + (
        "\n"
        "Spending $4.25 a day (last 7 days)\n"
        "About 30 days left\n"
        "Credit expiring: $150.00 purchased on 9 Jan 2027 (in 46 days)\n"
    )


def test_text_forecast_with_too_little_data_and_nothing_expiring() -> None:
    shot = snapshot(STAGING)
    text = render_text(shot, build_forecast(shot.main_total, NO_DATA, None))
    assert text == render_text(shot) + "\nToo little data to say when it runs out\n"


def test_text_forecast_without_dollars_left() -> None:
    empty = snapshot(ProjectBalances(Project("p", "Empty")))
    rate = SpendRate("history", Decimal("0.5"))
    assert render_text(empty, build_forecast(empty.main_total, rate, None)) == (
        "Empty  no balance\n"
        "-----  ----------\n"
        "Total  no balance\n"
        "\n"
        "Spending $0.50 a day (last 7 days)\n"
        "Less than a day left\n"
    )


def test_json_forecast_matches_the_contract() -> None:
    shot = snapshot(PROD, STAGING)
    document = json.loads(render_json(shot, forecast_for(shot)), parse_float=Decimal)
    assert document["forecast"] == {
        "basis": "billing",
        "spend_per_day": {"usd": Decimal("4.25")},
        "days_left": Decimal("30.2"),
        "nearest_expiry": {
            "date": "2027-01-09",
            "amount": Decimal("150.0"),
            "units": "usd",
            "project_id": "p2",
            "order_id": None,
            "order_type": None,
            "purchased": Decimal("150.0"),
            "remaining": None,
        },
    }
    assert document["totals"] == {"usd": Decimal("128.31822227")}


def test_json_forecast_with_too_little_data() -> None:
    text = render_json(snapshot(STAGING), build_forecast(Decimal("3.25"), NO_DATA, None))
    assert text.endswith(
        '  "forecast": {\n'
        '    "basis": "none",\n'
        '    "spend_per_day": {},\n'
        '    "days_left": null,\n'
        '    "nearest_expiry": null\n'
        "  }\n"
        "}\n"
    )


def test_json_without_forecast_has_no_forecast_key() -> None:
    assert "forecast" not in json.loads(render_json(snapshot(STAGING)))


def test_json_layout() -> None:
    """Indented by two spaces per level, empty objects and lists on one line, text as written."""
    limited = ProjectBalances(
        Project("p4", "Café ☕"),
        error=RateLimitedError("Slow down.", request_id="req-7", retry_after=30.0),
    )
    assert render_json(snapshot(STAGING, limited)) == (
        "{\n"
        '  "fetched_at": "2026-11-24T18:00:00Z",\n'
        '  "totals": {\n'
        '    "usd": 3.25\n'
        "  },\n"
        '  "projects": [\n'
        "    {\n"
        '      "project_id": "p2",\n'
        '      "name": "Staging",\n'
        '      "totals": {\n'
        '        "usd": 3.25\n'
        "      },\n"
        '      "balances": [\n'
        "        {\n"
        '          "balance_id": "b3",\n'
        '          "amount": 3.25,\n'
        '          "units": "usd",\n'
        '          "purchase_order_id": null\n'
        "        }\n"
        "      ],\n"
        '      "error": null\n'
        "    },\n"
        "    {\n"
        '      "project_id": "p4",\n'
        '      "name": "Café ☕",\n'
        '      "totals": {},\n'
        '      "balances": [],\n'
        '      "error": {\n'
        '        "kind": "rate_limit",\n'
        '        "message": "Slow down.",\n'
        '        "request_id": "req-7",\n'
        '        "retry_after": 30.0\n'
        "      }\n"
        "    }\n"
        "  ]\n"
        "}\n"
    )


def test_prometheus_forecast_gauges() -> None:
    shot = snapshot(PROD, STAGING)
    text = render_prometheus(shot, forecast_for(shot))
    assert text == render_prometheus(shot) + (
        "# HELP deepgram_spend_dollars_per_day Average spend per day over the last 7 days.\n"
        "# TYPE deepgram_spend_dollars_per_day gauge\n"
        'deepgram_spend_dollars_per_day{basis="billing"} 4.25\n'
        "# HELP deepgram_balance_days_left "
        "Days until the total runs out at the recent spend rate.\n"
        "# TYPE deepgram_balance_days_left gauge\n"
        'deepgram_balance_days_left{units="usd"} 30.2\n'
    )


def test_prometheus_forecast_leaves_out_what_is_unknown() -> None:
    shot = snapshot(PROD, STAGING)
    unknown = build_forecast(shot.main_total, NO_DATA, EXPIRY)
    assert render_prometheus(shot, unknown) == render_prometheus(shot)
    nothing_spent = build_forecast(shot.main_total, SpendRate("billing", Decimal(0)), None)
    text = render_prometheus(shot, nothing_spent)
    assert 'deepgram_spend_dollars_per_day{basis="billing"} 0.00\n' in text
    assert "deepgram_balance_days_left" not in text


HISTORY = [
    HistoryRow(WHEN, "usd", Decimal("128.31822227")),
    HistoryRow(datetime(2026, 11, 25, 6, 30, tzinfo=timezone.utc), "usd", Decimal("120")),
]


def test_history_csv() -> None:
    assert render_history_csv(HISTORY).splitlines(keepends=True) == [
        "time,units,total\n",
        "2026-11-24T18:00:00Z,usd,128.31822227\n",
        "2026-11-25T06:30:00Z,usd,120\n",
    ]
    assert render_history_csv([]) == "time,units,total\n"


def test_history_json() -> None:
    assert json.loads(render_history_json(HISTORY), parse_float=Decimal) == {
        "samples": [
            {"time": "2026-11-24T18:00:00Z", "units": "usd", "total": Decimal("128.31822227")},
            {"time": "2026-11-25T06:30:00Z", "units": "usd", "total": 120},
        ]
    }
    assert render_history_json([]) == '{\n  "samples": []\n}\n'
