"""What the tray shows, as one immutable value, and the threshold logic that colours it. Pure."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from trayapp.config import Settings
from trayapp.deepgram.models import MAIN_UNIT, BalanceSnapshot
from trayapp.errors import AuthError, DeepgramTrayError, PermissionDeniedError
from trayapp.outlook.forecast import Forecast, days_until


class Level(enum.Enum):
    """What a glance at the icon means (colours in the contract)."""

    OK = "ok"
    """Total at or above warn_below: green."""
    WARN = "warn"
    """critical_below <= total < warn_below: amber."""
    CRITICAL = "critical"
    """Total below critical_below: red."""
    WAITING = "waiting"
    """No data yet (first fetch running): grey, no mark."""
    PROBLEM = "problem"
    """No key, key refused, permission missing, or stale data: grey with a mark."""


class Thresholds(NamedTuple):
    """The limits the user chose: where the icon turns amber and red, and when to warn ahead."""

    warn_below: Decimal
    """Total (main unit) below which the icon turns amber."""
    critical_below: Decimal
    """Total (main unit) below which the icon turns red."""
    warn_days_left: Decimal
    """Notify when the projection drops below this many days (0: never)."""
    warn_expiry_days: int
    """Notify this many days before credit expires (0: never)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        return cls(
            warn_below=settings.warn_below,
            critical_below=settings.critical_below,
            warn_days_left=settings.warn_days_left,
            warn_expiry_days=settings.warn_expiry_days,
        )


@dataclass(frozen=True)
class TrayState:
    thresholds: Thresholds
    """The settings' limits this state is coloured and announced by."""
    snapshot: BalanceSnapshot | None = None
    """The last good fetch, kept through later failures."""
    error: DeepgramTrayError | None = None
    """Why the latest refresh failed as a whole; None after a success."""
    has_key: bool = True
    stale: bool = False
    """The snapshot is older than two poll intervals."""
    refreshing: bool = False
    checked_at: datetime | None = None
    """Wall-clock time of the latest attempt, successful or not."""
    forecast: Forecast | None = None
    """Spend rate, days left and the nearest expiry, as of the last complete read."""

    @property
    def total(self) -> Decimal | None:
        """The main-unit total of the last good data; zero when the projects hold no balance.

        None before the first read, and for an account whose balances are all in other units
        (hours): the thresholds are in dollars and say nothing about those.
        """
        if self.snapshot is None:
            return None
        totals = self.snapshot.totals
        return totals.get(MAIN_UNIT) if totals else Decimal(0)

    @property
    def days_to_expiry(self) -> int | None:
        """Days from the last read to the nearest credit expiry; None when none is known."""
        if self.forecast is None or self.forecast.nearest_expiry is None or self.snapshot is None:
            return None
        return days_until(self.forecast.nearest_expiry, self.snapshot.fetched_at.date())

    @property
    def blocking_error(self) -> DeepgramTrayError | None:
        """An error that makes the amount untrustworthy until the user acts (key or permission)."""
        if isinstance(self.error, (AuthError, PermissionDeniedError)):
            return self.error
        if self.snapshot is not None and self.error is None:
            for error in self.snapshot.errors:
                if isinstance(error, (AuthError, PermissionDeniedError)):
                    return error
        return None

    @property
    def level(self) -> Level:
        if not self.has_key or self.blocking_error is not None or self.stale:
            return Level.PROBLEM
        if self.snapshot is None:
            return Level.PROBLEM if self.error is not None else Level.WAITING
        total = self.total
        if total is None:
            return Level.OK  # billed in hours only: no dollar threshold applies
        return level_for_total(total, self.thresholds.warn_below, self.thresholds.critical_below)


def level_for_total(total: Decimal, warn_below: Decimal, critical_below: Decimal) -> Level:
    if total < critical_below:
        return Level.CRITICAL
    if total < warn_below:
        return Level.WARN
    return Level.OK
