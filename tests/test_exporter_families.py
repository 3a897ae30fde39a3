"""What `serve` exports, built headless from a view and written by prometheus_client."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from trayapp.deepgram.models import Balance, BalanceSnapshot, Project, ProjectBalances
from trayapp.errors import NetworkError
from trayapp.exporter.collector import FamiliesCollector
from trayapp.exporter.families import METRIC_NAMES, ExporterView, families
from trayapp.formats import render_prometheus
from trayapp.outlook.forecast import Expiry, Forecast, SpendRate
from trayapp.tray.state import Thresholds

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
PROD = Project("a", 'Prod "EU"')
SNAPSHOT = BalanceSnapshot(
    NOW,
    (
        ProjectBalances(PROD, (Balance("b1", Decimal("100.5"), "usd", "po-1"),)),
        ProjectBalances(Project("b", "Hours"), (Balance("b2", Decimal("12"), "hour", None),)),
        ProjectBalances(Project("c", "Down"), error=NetworkError("down")),
    ),
)
FORECAST = Forecast(
    SpendRate("billing", Decimal("4.254"), Decimal("1")),
    Decimal("23.6"),
    Expiry(date(2027, 1, 9), Decimal("150"), "usd", "a", "po-1", "promotional", Decimal("40")),
)
THRESHOLDS = Thresholds(Decimal("50"), Decimal("10"), Decimal(7), 14)

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(view: ExporterView) -> Samples:
    """The exposition text prometheus_client writes for `view`, parsed back by its parser."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FamiliesCollector(lambda: families(view)))
    text = generate_latest(registry).decode("utf-8")
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = dict(s.labels)
            assert labels.pop("account") == view.account, s  # every series names its account
            samples[s.name, tuple(sorted(labels.items()))] = s.value
    return samples


def full_view(**changes: object) -> ExporterView:
    view = ExporterView(
        thresholds=THRESHOLDS,
        poll_interval=300,
        snapshot=SNAPSHOT,
        forecast=FORECAST,
        project_spend={"a": SpendRate("billing", Decimal("2.5")), "b": SpendRate("billing", None)},
        up=False,
        last_success=NOW,
        reads={"success": 3, "failure": 1},
    )
    return ExporterView(**{**view.__dict__, **changes})  # type: ignore[arg-type]


def test_the_contract_gauges_match_balance_format_prometheus() -> None:
    served = scrape(full_view())
    printed = text_string_to_metric_families(render_prometheus(SNAPSHOT, FORECAST))
    expected = {
        (s.name, tuple(sorted(s.labels.items()))): s.value for f in printed for s in f.samples
    }
    assert expected and {k: served.get(k) for k in expected} == expected


def test_every_series_is_a_named_one() -> None:
    names = {name for name, _ in scrape(full_view())}
    assert names == set(METRIC_NAMES)


def test_forecast_per_project_expiry_thresholds_and_health() -> None:
    served = scrape(full_view())
    prod = (("project_id", "a"), ("project_name", 'Prod "EU"'))
    assert served["deepgram_project_spend_dollars_per_day", prod] == 2.5
    assert served["deepgram_project_days_left", prod] == pytest.approx(40.2)  # 100.5 / 2.5
    # No rate for "b" (and its balance is in hours), none read for "c": no series for them.
    assert [k for k in served if k[0].startswith("deepgram_project_") and k[1] != prod] == []
    expiry = (("project_id", "a"), ("units", "usd"))
    end_of_day = datetime(2027, 1, 10, tzinfo=timezone.utc).timestamp()
    assert served["deepgram_credit_expiry_timestamp_seconds", expiry] == end_of_day
    assert served["deepgram_credit_expiring_amount", expiry] == 40  # what is left, not 150
    assert served["deepgram_balance_warn_below", (("units", "usd"),)] == 50
    assert served["deepgram_balance_critical_below", (("units", "usd"),)] == 10
    assert served["deepgram_up", ()] == 0
    assert served["deepgram_poll_interval_seconds", ()] == 300
    assert served["deepgram_last_success_timestamp_seconds", ()] == NOW.timestamp()
    assert served["deepgram_reads_total", (("result", "success"),)] == 3
    assert served["deepgram_reads_total", (("result", "failure"),)] == 1
    assert served["deepgram_balance_up", (("project_id", "c"),)] == 0


def test_an_expiry_of_unknown_remainder_exports_the_amount_bought() -> None:
    expiry = FORECAST.nearest_expiry
    assert expiry is not None
    forecast = FORECAST._replace(nearest_expiry=expiry._replace(remaining=None))
    served = scrape(full_view(forecast=forecast))
    assert served["deepgram_credit_expiring_amount", (("project_id", "a"), ("units", "usd"))] == 150


def test_before_the_first_read_only_the_settings_and_health_are_served() -> None:
    served = scrape(full_view(snapshot=None, forecast=None, last_success=None, reads={}))
    assert {name for name, _ in served} == {
        "deepgram_balance_warn_below",
        "deepgram_balance_critical_below",
        "deepgram_up",
        "deepgram_poll_interval_seconds",
        "deepgram_reads_total",
    }
    assert served["deepgram_reads_total", (("result", "success"),)] == 0


def test_a_forecast_without_a_rate_has_no_spend_or_days_series() -> None:
    forecast = Forecast(SpendRate("none", None), None, None)
    names = {name for name, _ in scrape(full_view(forecast=forecast, project_spend={}))}
    assert not names & {
        "deepgram_spend_dollars_per_day",
        "deepgram_balance_days_left",
        "deepgram_project_spend_dollars_per_day",
        "deepgram_credit_expiry_timestamp_seconds",
    }
    assert "deepgram_balance_total" in names


def test_up_is_one_only_after_a_complete_read() -> None:
    assert scrape(full_view(up=True))["deepgram_up", ()] == 1
    default = ExporterView(thresholds=THRESHOLDS, poll_interval=300)
    assert scrape(default)["deepgram_up", ()] == 0


def test_every_series_is_labelled_with_its_account() -> None:
    assert scrape(full_view(account="client-a"))["deepgram_up", ()] == 0
