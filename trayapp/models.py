"""Frozen value types for what the API returns. Amounts are Decimal: sums must not drift."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trayapp.errors import ApiError

MAIN_UNIT = "usd"


@dataclass(frozen=True)
class Project:
    project_id: str
    name: str


@dataclass(frozen=True)
class Balance:
    balance_id: str
    amount: Decimal
    """Full precision as the API sent it; round only for display."""
    units: str
    """Lower-cased; never converted between units."""
    purchase_order_id: str | None = None


def sum_by_units(balances: Iterable[Balance]) -> Mapping[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for balance in balances:
        totals[balance.units] = totals.get(balance.units, Decimal(0)) + balance.amount
    return MappingProxyType(totals)


@dataclass(frozen=True)
class ProjectBalances:
    """One watched project: its balances, or the error that kept us from reading them."""

    project: Project
    balances: tuple[Balance, ...] = ()
    error: ApiError | None = None

    @property
    def totals(self) -> Mapping[str, Decimal]:
        return sum_by_units(self.balances)


@dataclass(frozen=True)
class BalanceSnapshot:
    """The result of one fetch over all watched projects."""

    fetched_at: datetime
    projects: tuple[ProjectBalances, ...] = field(default=())

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
