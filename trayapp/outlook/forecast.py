"""When will the credit run out? Spend rate and days left, from Deepgram's billing figures or from
the app's own balance history. Pure: no I/O, no clock of its own.

From history, spend is what the balance went down by: an upward jump is a top-up (or a refund),
never negative spend, so it is left out rather than netted against the spending around it. With
too little history the answer is "don't know" rather than a guess.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Literal, NamedTuple

from trayapp.deepgram.models import BalanceSnapshot, Order

WINDOW_DAYS = 7
"""days_left divides by the average daily spend over this many days (the contract says 7)."""
MIN_HISTORY = timedelta(hours=24)
"""Less history than this says too little about a daily rate."""
MORE_THAN_A_YEAR = 365


class Sample(NamedTuple):
    at: datetime
    total: Decimal


SpendBasis = Literal["billing", "history", "none"]
"""Where a spend rate comes from: Deepgram's billing breakdown, the app's own balance samples, or
nowhere (too little data). The JSON and Prometheus output carry these words as they are."""


class SpendRate(NamedTuple):
    basis: SpendBasis
    per_day: Decimal | None
    """Average spend per day over the window; None when there is too little data."""
    today: Decimal | None = None


NO_DATA = SpendRate("none", None)


def spend_from_billing(daily: Sequence[tuple[date, Decimal]], today: date) -> SpendRate:
    """Deepgram's own dollars per day: the average over the last WINDOW_DAYS full days.

    Days the breakdown leaves out had no spend, so an empty breakdown is $0 a day: Deepgram
    billed nothing in the window, which is an answer, not too little data. Today is excluded
    from the average (it is not over yet) but reported as spend today.
    """
    by_day: dict[date, Decimal] = {}
    for day, dollars in daily:
        by_day[day] = by_day.get(day, Decimal(0)) + dollars
    window = [today - timedelta(days=n) for n in range(1, WINDOW_DAYS + 1)]
    total = sum((by_day.get(day, Decimal(0)) for day in window), Decimal(0))
    return SpendRate("billing", total / WINDOW_DAYS, by_day.get(today, Decimal(0)))


def spend_from_history(samples: Sequence[Sample], now: datetime) -> SpendRate:
    """The balance's own fall over up to WINDOW_DAYS, top-ups left out."""
    start = now - timedelta(days=WINDOW_DAYS)
    recent = sorted(s for s in samples if start <= s.at <= now)
    spent = spent_today = Decimal(0)
    observed = timedelta()  # the time in which the spend could be seen
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for earlier, later in itertools.pairwise(recent):
        fall = earlier.total - later.total
        if fall < 0:
            # A top-up (or refund) hides whatever was spent in the same interval: leave the
            # whole interval out, rather than count its time as spending nothing.
            continue
        spent += fall
        observed += later.at - earlier.at
        if earlier.at >= midnight:
            spent_today += fall
    if observed < MIN_HISTORY:  # too few samples, too short a span, or hidden by top-ups
        return NO_DATA
    return SpendRate("history", spent / (Decimal(observed.total_seconds()) / 86400), spent_today)


def days_left(total: Decimal, rate: SpendRate) -> Decimal | None:
    """Days until `total` runs out at `rate`; None when unknown or when nothing is being spent."""
    if rate.per_day is None or rate.per_day <= 0:
        return None
    return total / rate.per_day


def describe_days_left(total: Decimal, rate: SpendRate) -> str:
    """The words for the tooltip and menu."""
    if rate.per_day is None:
        return "too little data to say when it runs out"
    left = days_left(total, rate)
    if left is None:
        return "no spending lately"
    return f"{describe_days(left)} left"


def describe_days(days: Decimal) -> str:
    """A duration in days, as a person would round it: "about 12 days", "more than a year"."""
    if days > MORE_THAN_A_YEAR:
        return "more than a year"
    whole = int(days)
    if whole < 1:
        return "less than a day"
    return f"about {whole} day{'s' if whole != 1 else ''}"


# --- the whole forecast --------------------------------------------------------------------------


class Expiry(NamedTuple):
    """Credit that expires on `day`: one order (`/purchases`), and what is left of it if known."""

    day: date
    amount: Decimal
    """The order's amount: what was purchased, not what is left of it."""
    units: str
    project_id: str
    order_id: str | None = None
    order_type: str | None = None
    """e.g. `promotional`; None when Deepgram did not say."""
    remaining: Decimal | None = None
    """What is left: the balance of the same order (see `with_what_is_left`); None when unknown."""


class Forecast(NamedTuple):
    rate: SpendRate
    days_left: Decimal | None
    nearest_expiry: Expiry | None


def nearest_expiry(orders: Mapping[str, Sequence[Order]], today: date) -> Expiry | None:
    """The soonest credit still to expire, today included, across the projects' orders."""
    coming = [
        Expiry(
            order.expiration,
            order.amount,
            order.units,
            project_id,
            order.order_id or None,
            order.order_type,
        )
        for project_id, project_orders in orders.items()
        for order in project_orders
        if order.expiration is not None and order.expiration >= today and order.amount > 0
    ]
    return min(coming, key=_soonest_first, default=None)


def _soonest_first(expiry: Expiry) -> tuple[date, Decimal, str, str, str]:
    return (expiry.day, expiry.amount, expiry.units, expiry.project_id, expiry.order_id or "")


def with_what_is_left(expiry: Expiry | None, snapshot: BalanceSnapshot) -> Expiry | None:
    """The expiry with what is left of its order: the balances of its project whose
    `purchase_order_id` is the order's id (Deepgram does not document this link; it is the only
    one its answers offer).

    Made at each balance read, so what is left is as fresh as the balance beside it, while the
    orders are read at most hourly. No matching balance: what is left stays unknown (None) and
    the words say the amount is what was purchased. A matching balance of zero or less: nothing
    of that credit is left to lose, so there is no expiry to show (None).
    """
    if expiry is None or expiry.order_id is None:
        return expiry
    matching = [
        balance.amount
        for project in snapshot.projects
        if project.project.project_id == expiry.project_id
        for balance in project.balances
        if balance.purchase_order_id == expiry.order_id and balance.units == expiry.units
    ]
    if not matching:
        return expiry
    remaining = sum(matching, Decimal(0))
    return expiry._replace(remaining=remaining) if remaining > 0 else None


def build_forecast(total: Decimal | None, rate: SpendRate, expiry: Expiry | None) -> Forecast:
    left = days_left(total, rate) if total is not None else None
    return Forecast(rate, left, expiry)


class ForecastInputs(NamedTuple):
    """What the tray reads from Deepgram at most hourly for its forecast."""

    billing: SpendRate | None
    """Deepgram's own spend rate; None when the key may not read the billing breakdown."""
    expiry: Expiry | None
    """The soonest credit to expire (None: nothing expires, or the purchases were unreadable)."""
    expiry_read: bool = True
    """False when no project's purchases could be read: keep whatever expiry was known."""
    billing_by_project: Mapping[str, SpendRate] = MappingProxyType({})
    """Each project's own spend rate from its billing breakdown (what `serve` exports per
    project); empty when the billing breakdown was not readable."""


def combine(
    total: Decimal | None, billing: SpendRate | None, history: SpendRate, expiry: Expiry | None
) -> Forecast:
    """The tray's forecast: Deepgram's billing figures when readable, else its own history."""
    return build_forecast(total, billing if billing is not None else history, expiry)


# --- words ---------------------------------------------------------------------------------------


EXPIRY_HORIZON_DAYS = 365
"""Credit expiring further off than this is not reported as expiring (see `worth_announcing`)."""
COUNT_DAYS_WITHIN = 90
"""Beyond this many days the date alone is given, without "(in N days)"."""


def days_until(expiry: Expiry, today: date) -> int:
    return (expiry.day - today).days


def worth_announcing(days: int) -> bool:
    """Whether credit that expires in `days` is shown as expiring: in the menu, the tooltip (also
    within warn_expiry_days), `balance --forecast`'s text and the notification (also within
    warn_expiry_days).

    Credit that expires more than a year away is, for a balance widget, credit that does not
    expire: Deepgram sets far-off dates (2099) on credit that effectively never does, and a line
    "Credit expiring … (in 26329 days)" would be noise that hides the one that matters. Within the
    year the date is shown; the day count only within COUNT_DAYS_WITHIN ("in 400 days" says less
    than the date). The JSON output keeps whatever date Deepgram gave: scripts decide for
    themselves.
    """
    return days <= EXPIRY_HORIZON_DAYS


def describe_when(days: int) -> str:
    if days <= 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"in {days} days"


def describe_when_after_date(days: int) -> str:
    """The day count after a date, e.g. `" (in 12 days)"`, within COUNT_DAYS_WITHIN only."""
    return f" ({describe_when(days)})" if days <= COUNT_DAYS_WITHIN else ""


# --- the history chart's daily spend -------------------------------------------------------------


def daily_spend(
    samples: Sequence[Sample], to_day: Callable[[datetime], date]
) -> list[tuple[date, Decimal]]:
    """Spend per calendar day from the balance's falls (top-ups left out), oldest first.

    A fall between two samples counts on the day of the later one; `to_day` maps a moment to the
    user's calendar day (local time in the window, a fixed zone in tests).
    """
    by_day: dict[date, Decimal] = {}
    ordered = sorted(samples)
    if ordered:
        by_day[to_day(ordered[0].at)] = Decimal(0)
    for earlier, later in itertools.pairwise(ordered):
        day = to_day(later.at)
        fall = earlier.total - later.total
        by_day[day] = by_day.get(day, Decimal(0)) + max(fall, Decimal(0))
    return sorted(by_day.items())
