"""Output formats: exact sums, the contract's JSON, Prometheus exposition, a readable table."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

from trayapp.errors import PermissionDeniedError
from trayapp.formats import (
    display_amount,
    escape_label_value,
    render_json,
    render_prometheus,
    render_text,
)
from trayapp.models import Balance, BalanceSnapshot, Project, ProjectBalances

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
