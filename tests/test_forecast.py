"""Spend rate and days left (pure): synthetic histories and billing breakdowns."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from trayapp.forecast import (
    NO_DATA,
    Sample,
    SpendRate,
    days_left,
    describe_days_left,
    spend_from_billing,
    spend_from_history,
)

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)


def history(days: float, start: str, per_day: str, *, every_hours: float = 1.0) -> list[Sample]:
    """A balance falling steadily by `per_day`, sampled every `every_hours`, ending now."""
    samples = []
    steps = int(days * 24 / every_hours)
    for step in range(steps + 1):
        at = NOW - timedelta(hours=every_hours * (steps - step))
        spent = Decimal(per_day) * Decimal(step * every_hours) / 24
        samples.append(Sample(at, Decimal(start) - spent))
    return samples


class TestHistory:
    def test_steady_spend(self) -> None:
        rate = spend_from_history(history(7, "100", "4.25"), NOW)
        assert rate.basis == "history"
        assert rate.per_day == pytest.approx(Decimal("4.25"))
        assert rate.today == pytest.approx(Decimal("4.25") * 15 / 24)

    def test_a_top_up_is_not_negative_spend(self) -> None:
        samples = history(7, "100", "4", every_hours=6)
        topped_up = [
            Sample(s.at, s.total + (Decimal(500) if s.at >= NOW - timedelta(days=3) else 0))
            for s in samples
        ]
        rate = spend_from_history(topped_up, NOW)
        assert rate.per_day == pytest.approx(Decimal(4))

    def test_zero_spend(self) -> None:
        rate = spend_from_history(history(3, "50", "0"), NOW)
        assert rate.per_day == 0
        assert days_left(Decimal(50), rate) is None
        assert describe_days_left(Decimal(50), rate) == "no spending lately"

    def test_noisy_spend_averages_out(self) -> None:
        rng = random.Random(7)
        samples, total = [], Decimal(1000)
        for hour in range(7 * 24, -1, -1):
            samples.append(Sample(NOW - timedelta(hours=hour), total))
            total -= Decimal(rng.choice(["0", "0", "0.1", "0.3", "0.6"]))  # bursts and quiet hours
        rate = spend_from_history(samples, NOW)
        expected = (samples[0].total - samples[-1].total) / 7
        assert rate.per_day == pytest.approx(expected)

    @pytest.mark.parametrize(
        "samples",
        [
            [],
            [Sample(NOW, Decimal(10))],
            history(0.5, "10", "1"),  # twelve hours: too little to call it a daily rate
        ],
    )
    def test_too_little_data_is_said_not_guessed(self, samples: list[Sample]) -> None:
        rate = spend_from_history(samples, NOW)
        assert rate == NO_DATA
        assert describe_days_left(Decimal(10), rate) == "too little data to say when it runs out"

    def test_only_the_last_week_counts(self) -> None:
        old_fast = [Sample(s.at - timedelta(days=30), s.total) for s in history(7, "900", "100")]
        rate = spend_from_history(old_fast + history(7, "100", "2"), NOW)
        assert rate.per_day == pytest.approx(Decimal(2))


class TestBilling:
    def test_average_of_the_last_seven_full_days(self) -> None:
        today = NOW.date()
        daily = [(today - timedelta(days=n), Decimal("3.5")) for n in range(0, 30)]
        rate = spend_from_billing(daily, today)
        assert rate == SpendRate("billing", Decimal("3.5"), Decimal("3.5"))

    def test_days_missing_from_the_breakdown_had_no_spend(self) -> None:
        today = date(2026, 11, 25)
        rate = spend_from_billing([(date(2026, 11, 24), Decimal(7))], today)
        assert rate.per_day == Decimal(1) and rate.today == 0

    def test_an_empty_breakdown_is_no_data(self) -> None:
        assert spend_from_billing([], date(2026, 11, 25)) == NO_DATA


@pytest.mark.parametrize(
    ("total", "per_day", "words"),
    [
        ("128.32", "4.25", "about 30 days left"),
        ("4.25", "4.25", "about 1 day left"),
        ("1", "4.25", "less than a day left"),
        ("5000", "1", "more than a year left"),
    ],
)
def test_days_left_in_words(total: str, per_day: str, words: str) -> None:
    rate = SpendRate("billing", Decimal(per_day))
    assert describe_days_left(Decimal(total), rate) == words


def test_the_nearest_expiry_skips_expired_spent_and_undated_credit() -> None:
    from trayapp.forecast import Expiry, nearest_expiry
    from trayapp.models import Order

    today = date(2026, 11, 25)
    orders = {
        "a": [
            Order("o1", Decimal(10), "usd", date(2026, 11, 24)),  # expired yesterday
            Order("o2", Decimal(0), "usd", date(2026, 11, 26)),  # nothing left to expire
            Order("o3", Decimal(100), "usd", None),  # never expires
            Order("o4", Decimal(50), "usd", date(2027, 1, 9)),
        ],
        "b": [Order("o5", Decimal(5), "usd", date(2026, 11, 25))],  # today still counts
    }
    assert nearest_expiry(orders, today) == Expiry(date(2026, 11, 25), Decimal(5), "usd", "b")
    assert nearest_expiry({"a": orders["a"][:3]}, today) is None
