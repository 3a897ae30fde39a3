"""Immutable value types for what the API returns. Amounts are Decimal: sums must not drift.

Value types on the CLI's path are NamedTuples rather than frozen dataclasses: generating a dataclass
costs ~0.7 ms at import, and `deepgram-tray balance` is measured against a bare `requests` script
(see BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from trayapp.errors import ApiError

MAIN_UNIT = "usd"


class Project(NamedTuple):
    project_id: str
    name: str


class Balance(NamedTuple):
    balance_id: str
    amount: Decimal
    """Full precision as the API sent it; round only for display."""
    units: str
    """Lower-cased; never converted between units."""
    purchase_order_id: str | None = None
    """The order this credit came from (`purchase_order_id`, or `purchase` in older answers)."""


def sum_by_units(balances: Iterable[Balance]) -> Mapping[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for balance in balances:
        totals[balance.units] = totals.get(balance.units, Decimal(0)) + balance.amount
    return MappingProxyType(totals)


class ProjectBalances(NamedTuple):
    """One watched project: its balances, or the error that kept us from reading them."""

    project: Project
    balances: tuple[Balance, ...] = ()
    error: ApiError | None = None

    @property
    def totals(self) -> Mapping[str, Decimal]:
        return sum_by_units(self.balances)


class BalanceSnapshot(NamedTuple):
    """The result of one fetch over all watched projects."""

    fetched_at: datetime
    projects: tuple[ProjectBalances, ...] = ()

    @property
    def totals(self) -> Mapping[str, Decimal]:
        return sum_by_units(b for p in self.projects for b in p.balances)

    @property
    def main_total(self) -> Decimal | None:
        """The total in the account's main unit, or None when no project reported it."""
        return self.totals.get(MAIN_UNIT)

    @property
    def errors(self) -> tuple[ApiError, ...]:
        return tuple(p.error for p in self.projects if p.error is not None)


class Timeouts(NamedTuple):
    connect: float = 5.0
    read: float = 15.0
    """Longest wait for the next bytes of an answer."""
    total: float = 30.0
    """Longest a whole call may take, headers included: a server trickling bytes never trips
    `read` on its own."""
    refresh: float = 60.0
    """Longest one refresh (the listing and every watched project's calls) may take: slow
    projects must not add up, however many there are."""


DEFAULT_TIMEOUTS = Timeouts()


class Order(NamedTuple):
    """A credit purchase (`/purchases`); promotional credit has an expiry date."""

    order_id: str
    amount: Decimal
    """What was purchased, not what is left of it: that is the balance of the same order."""
    units: str
    expiration: date | None = None
    order_type: str | None = None
    """e.g. `promotional`, as Deepgram writes it."""
