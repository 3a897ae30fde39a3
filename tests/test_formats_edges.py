"""Formats at their edges: the tooltip's few words on expiring credit, both ways, and a days-left
figure far past the default decimal context's 28 digits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from trayapp.formats import days_left_figure, expiring_credit_short
from trayapp.outlook.forecast import Expiry

ORDER = Expiry(date(2027, 1, 9), Decimal(200), "usd", "p1", "po-1", "promotional")


def test_the_tooltip_says_what_is_left_of_the_credit_when_known_else_what_was_bought() -> None:
    assert expiring_credit_short(ORDER._replace(remaining=Decimal(40))) == "$40.00 left of $200.00"
    assert expiring_credit_short(ORDER) == "$200.00 purchased credit"


def test_days_left_of_any_size_is_a_figure_to_a_tenth() -> None:
    huge = Decimal(10) ** 15 / Decimal("1e-30")  # a quadrillion dollars at a tiny spend
    assert days_left_figure(huge) == Decimal("1" + "0" * 45 + ".0")
    assert days_left_figure(Decimal("29.96")) == Decimal("30.0")
