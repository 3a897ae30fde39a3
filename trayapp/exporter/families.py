"""What `serve` exports, as plain metric families built from the last reads. Pure.

The names and labels of the `balance --format prometheus` gauges are the contract's, and the
same here; `serve` adds the forecast per project, the credit expiry, the user's thresholds (so
alert rules hold no numbers of their own) and its own health. prometheus_client turns these
families into the exposition text (trayapp.exporter.collector).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timezone
from typing import Literal

from trayapp.deepgram.models import MAIN_UNIT, BalanceSnapshot
from trayapp.formats import CENTS, days_left_figure, prometheus_families
from trayapp.outlook.forecast import Forecast, SpendRate, days_left
from trayapp.tray.state import Thresholds

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Family:
    name: str
    help: str
    kind: Literal["gauge", "counter"]
    samples: tuple[tuple[Labels, float], ...]


@dataclass(frozen=True)
class ExporterView:
    """What the exporter knows at a scrape."""

    thresholds: Thresholds
    poll_interval: int
    snapshot: BalanceSnapshot | None = None
    """The last good read, kept through failed reads (served between reads)."""
    forecast: Forecast | None = None
    project_spend: Mapping[str, SpendRate] = field(default_factory=dict)
    """Each project's spend rate from Deepgram's billing breakdown (empty when unreadable)."""
    up: bool = False
    """The last read of Deepgram read every watched project."""
    last_success: datetime | None = None
    """When the last complete read was made."""
    reads: Mapping[str, int] = field(default_factory=dict)
    """Reads of Deepgram since start, by result: success or failure."""
    account: str = "default"
    """The account these are of: the `account` label of every series."""


METRIC_NAMES = (
    "deepgram_balance_amount",
    "deepgram_balance_total",
    "deepgram_balance_up",
    "deepgram_spend_dollars_per_day",
    "deepgram_balance_days_left",
    "deepgram_project_spend_dollars_per_day",
    "deepgram_project_days_left",
    "deepgram_credit_expiry_timestamp_seconds",
    "deepgram_credit_expiring_amount",
    "deepgram_balance_warn_below",
    "deepgram_balance_critical_below",
    "deepgram_up",
    "deepgram_last_success_timestamp_seconds",
    "deepgram_poll_interval_seconds",
    "deepgram_reads_total",
)
"""Every series name `serve` exports besides prometheus_client's process_* (the dashboard and the
alert rules are checked against it)."""


def families(view: ExporterView) -> list[Family]:
    """Every series of `view`, each labelled with its account (`serve` always labels them, so
    a second account later adds series rather than changing the first one's)."""
    found = [
        *_contract_families(view),
        *_forecast_families(view),
        *_threshold_families(view.thresholds),
        *_health_families(view),
    ]
    account = (("account", view.account),)
    return [
        Family(f.name, f.help, f.kind, tuple((account + labels, v) for labels, v in f.samples))
        for f in found
    ]


def _contract_families(view: ExporterView) -> list[Family]:
    """The gauges of `balance --format prometheus`, built by the same code, as floats."""
    if view.snapshot is None:  # nothing read yet: no series rather than made-up zeros
        return []
    return [
        Family(
            f.name,
            f.help,
            "gauge",
            tuple((tuple(labels.items()), float(value)) for labels, value in f.samples),
        )
        for f in prometheus_families(view.snapshot, view.forecast)
    ]


def _forecast_families(view: ExporterView) -> list[Family]:
    found: list[Family] = []
    forecast, snapshot = view.forecast, view.snapshot
    if snapshot is not None and view.project_spend:
        found += _project_forecast_families(snapshot, view.project_spend)
    expiry = forecast.nearest_expiry if forecast is not None else None
    if expiry is not None:
        labels = (("project_id", expiry.project_id), ("units", expiry.units))
        # Credit expires at the end of its day, as the Console counts it (midnight UTC after).
        ends = datetime.combine(expiry.day, time.max, tzinfo=timezone.utc)
        left = expiry.remaining if expiry.remaining is not None else expiry.amount
        found += [
            Family(
                "deepgram_credit_expiry_timestamp_seconds",
                "When the soonest-expiring credit expires (Unix time).",
                "gauge",
                ((labels, float(round(ends.timestamp()))),),
            ),
            Family(
                "deepgram_credit_expiring_amount",
                "How much of that credit expires then (what is left of it, where known).",
                "gauge",
                ((labels, float(left)),),
            ),
        ]
    return found


def _project_forecast_families(
    snapshot: BalanceSnapshot, project_spend: Mapping[str, SpendRate]
) -> list[Family]:
    spend: list[tuple[Labels, float]] = []
    left: list[tuple[Labels, float]] = []
    for project in snapshot.projects:
        rate = project_spend.get(project.project.project_id)
        if rate is None or rate.per_day is None:
            continue
        labels = (
            ("project_id", project.project.project_id),
            ("project_name", project.project.name),
        )
        spend.append((labels, float(rate.per_day.quantize(CENTS))))
        total = project.totals.get(MAIN_UNIT)
        days = days_left(total, rate) if total is not None else None
        if days is not None:
            left.append((labels, float(days_left_figure(days))))
    return [
        Family(
            "deepgram_project_spend_dollars_per_day",
            "A project's average spend per day over the last 7 days (Deepgram's billing).",
            "gauge",
            tuple(spend),
        ),
        Family(
            "deepgram_project_days_left",
            "Days until a project's dollar balance runs out at its own recent spend rate.",
            "gauge",
            tuple(left),
        ),
    ]


def _threshold_families(thresholds: Thresholds) -> list[Family]:
    usd = (("units", MAIN_UNIT),)
    return [
        Family(
            "deepgram_balance_warn_below",
            "The configured warn_below: the total below which the tray turns amber.",
            "gauge",
            ((usd, float(thresholds.warn_below)),),
        ),
        Family(
            "deepgram_balance_critical_below",
            "The configured critical_below: the total below which the tray turns red.",
            "gauge",
            ((usd, float(thresholds.critical_below)),),
        ),
    ]


def _health_families(view: ExporterView) -> list[Family]:
    found = [
        Family(
            "deepgram_up",
            "1 if the last read of Deepgram read every watched project, 0 if not.",
            "gauge",
            (((), 1.0 if view.up else 0.0),),
        ),
        Family(
            "deepgram_poll_interval_seconds",
            "Seconds between reads of Deepgram (the poll_interval setting).",
            "gauge",
            (((), float(view.poll_interval)),),
        ),
        Family(
            "deepgram_reads",
            "Reads of Deepgram since the exporter started, by result.",
            "counter",
            tuple(
                ((("result", result),), float(view.reads.get(result, 0)))
                for result in ("success", "failure")
            ),
        ),
    ]
    if view.last_success is not None:
        found.append(
            Family(
                "deepgram_last_success_timestamp_seconds",
                "When the last complete read of Deepgram was made (Unix time).",
                "gauge",
                (((), view.last_success.timestamp()),),
            )
        )
    return found


def merged(per_account: list[list[Family]]) -> list[Family]:
    """Several accounts' families as one list with each metric once (the exposition format
    allows one HELP and TYPE per name), their samples side by side in the accounts' order."""
    by_name: dict[str, Family] = {}
    for found in per_account:
        for family in found:
            known = by_name.get(family.name)
            if known is None:
                by_name[family.name] = family
            else:
                by_name[family.name] = Family(
                    known.name, known.help, known.kind, known.samples + family.samples
                )
    return list(by_name.values())
