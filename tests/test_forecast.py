"""Spend rate and days left (pure): synthetic histories and billing breakdowns."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from trayapp.deepgram.models import Order
from trayapp.outlook.forecast import (
    NO_DATA,
    Expiry,
    Forecast,
    Sample,
    SpendRate,
    combine,
    daily_spend,
    days_left,
    days_until,
    describe_days_left,
    describe_when,
    nearest_expiry,
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
            [Sample(NOW - timedelta(hours=23, minutes=59), Decimal(10)), Sample(NOW, Decimal(9))],
            [  # a day and more, but a top-up hides all but the last twenty hours of it
                Sample(NOW - timedelta(hours=30), Decimal(100)),
                Sample(NOW - timedelta(hours=20), Decimal(600)),
                Sample(NOW, Decimal(590)),
            ],
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

    def test_exactly_one_day_of_history_is_enough(self) -> None:
        two = [Sample(NOW - timedelta(days=1), Decimal(10)), Sample(NOW, Decimal("7.5"))]
        assert spend_from_history(two, NOW).per_day == Decimal("2.5")
        rate = spend_from_history(history(1, "10", "2.4"), NOW)
        assert rate.per_day == pytest.approx(Decimal("2.4"))

    def test_a_reading_exactly_a_week_old_counts_and_so_does_one_taken_now(self) -> None:
        week = [Sample(NOW - timedelta(days=7), Decimal(107)), Sample(NOW, Decimal(100))]
        assert spend_from_history(week, NOW).per_day == 1

    def test_a_small_refund_is_not_negative_spend_either(self) -> None:
        refund_at = NOW - timedelta(hours=10)
        samples = [
            Sample(s.at, s.total + (Decimal("0.5") if s.at >= refund_at else 0))
            for s in history(2, "100", "2.4")
        ]
        rate = spend_from_history(samples, NOW)
        assert rate.per_day == pytest.approx(Decimal("2.4"))
        assert rate.today == pytest.approx(Decimal("0.1") * 14)  # fifteen hours, one refunded


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

    def test_an_empty_breakdown_is_no_spend(self) -> None:
        # Deepgram billed nothing in the window: that is $0 a day, not too little data.
        rate = spend_from_billing([], date(2026, 11, 25))
        assert rate == SpendRate("billing", Decimal(0), Decimal(0)) and rate != NO_DATA

    def test_the_window_is_the_seven_days_before_today(self) -> None:
        today = date(2026, 11, 25)
        daily = [
            (today, Decimal(100)),  # not over yet: spend today, not in the average
            (today - timedelta(days=1), Decimal(1)),
            (today - timedelta(days=7), Decimal(6)),
            (today - timedelta(days=8), Decimal(50)),  # before the window
        ]
        assert spend_from_billing(daily, today) == SpendRate("billing", Decimal(1), Decimal(100))

    def test_lines_for_the_same_day_add_up(self) -> None:
        today = date(2026, 11, 25)
        yesterday = today - timedelta(days=1)
        daily = [(yesterday, Decimal(3)), (today, Decimal(2)), (yesterday, Decimal(4))]
        daily.append((today, Decimal("0.5")))
        assert spend_from_billing(daily, today) == SpendRate("billing", Decimal(1), Decimal("2.5"))


@pytest.mark.parametrize(
    ("total", "per_day", "words"),
    [
        ("128.32", "4.25", "about 30 days left"),
        ("4.25", "4.25", "about 1 day left"),
        ("1", "4.25", "less than a day left"),
        ("5000", "1", "more than a year left"),
        ("365", "1", "about 365 days left"),  # a year is not more than a year
        ("365.5", "1", "more than a year left"),
        ("1", "1", "about 1 day left"),
        ("1.999", "1", "about 1 day left"),
        ("2", "1", "about 2 days left"),
        ("0.999", "1", "less than a day left"),
        ("10", "0.5", "about 20 days left"),
    ],
)
def test_days_left_in_words(total: str, per_day: str, words: str) -> None:
    rate = SpendRate("billing", Decimal(per_day))
    assert describe_days_left(Decimal(total), rate) == words


def test_the_nearest_expiry_skips_expired_spent_and_undated_credit() -> None:
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
    assert nearest_expiry(orders, today) == Expiry(
        date(2026, 11, 25), Decimal(5), "usd", "b", order_id="o5"
    )
    assert nearest_expiry({"a": orders["a"][:3]}, today) is None


def test_a_few_cents_left_to_expire_still_count() -> None:
    today = date(2026, 11, 25)
    orders = {"a": [Order("o1", Decimal("0.40"), "usd", date(2026, 12, 1))]}
    assert nearest_expiry(orders, today) == Expiry(
        date(2026, 12, 1), Decimal("0.40"), "usd", "a", order_id="o1"
    )


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (date(2026, 11, 25), "today"),
        (date(2026, 11, 26), "tomorrow"),
        (date(2026, 12, 1), "in 6 days"),
    ],
)
def test_when_credit_expires_in_words(day: date, words: str) -> None:
    expiry = Expiry(day, Decimal(5), "usd", "a")
    assert describe_when(days_until(expiry, date(2026, 11, 25))) == words


class TestCombine:
    BILLING = SpendRate("billing", Decimal(4), Decimal(1))
    HISTORY = SpendRate("history", Decimal(2), Decimal(3))
    EXPIRY = Expiry(date(2026, 12, 1), Decimal(5), "usd", "a")

    def test_deepgrams_billing_figures_win_over_the_history(self) -> None:
        forecast = combine(Decimal(100), self.BILLING, self.HISTORY, self.EXPIRY)
        assert forecast == Forecast(self.BILLING, Decimal(25), self.EXPIRY)

    def test_without_billing_figures_the_history_is_used(self) -> None:
        forecast = combine(Decimal(100), None, self.HISTORY, None)
        assert forecast == Forecast(self.HISTORY, Decimal(50), None)

    def test_days_left_is_unknown_without_a_total_or_a_rate(self) -> None:
        assert combine(None, self.BILLING, self.HISTORY, None).days_left is None
        assert combine(Decimal(100), None, NO_DATA, None).days_left is None


class TestDailySpend:
    @staticmethod
    def at(day: int, hour: int) -> datetime:
        return datetime(2026, 11, day, hour, tzinfo=timezone.utc)

    def test_each_fall_counts_on_the_day_it_was_seen_and_top_ups_are_left_out(self) -> None:
        samples = [
            Sample(self.at(24, 12), Decimal(597)),  # a top-up of 500
            Sample(self.at(22, 23), Decimal(100)),
            Sample(self.at(25, 9), Decimal(590)),
            Sample(self.at(24, 1), Decimal(97)),  # the fall since the 22nd, seen on the 24th
        ]
        assert daily_spend(samples, lambda at: at.date()) == [
            (date(2026, 11, 22), Decimal(0)),
            (date(2026, 11, 24), Decimal(3)),
            (date(2026, 11, 25), Decimal(7)),
        ]

    def test_no_samples_no_days(self) -> None:
        assert daily_spend([], lambda at: at.date()) == []
