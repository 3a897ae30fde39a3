"""A balance history as a tray would have recorded it, for the window and bundle tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from trayapp.outlook.history import record

SEEDED_DAYS = 60


def seed_history(data_home: Path) -> Path:
    """60 days of hourly samples under `data_home` (XDG_DATA_HOME): $2 a day for 30 days, then $4
    a day for the last 30. Returns the file."""
    db = data_home / "deepgram-balance-tray" / "history.sqlite3"
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    total = Decimal(500)
    for hours in range(SEEDED_DAYS * 24, -1, -1):
        total -= Decimal(4 if hours < 30 * 24 else 2) / 24
        record(db, now - timedelta(hours=hours), {"usd": total})
    return db


def seed_account_history(
    data_home: Path, account: str, *, days: int, start: Decimal, per_day: Decimal
) -> Path:
    """`days` of hourly samples of `account` under `data_home`, from `start` down by `per_day` a
    day, ending this hour, in the same file as seed_history's. Returns the file."""
    db = data_home / "deepgram-balance-tray" / "history.sqlite3"
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    for hours in range(days * 24, -1, -1):
        total = start - per_day * (days * 24 - hours) / 24
        record(db, now - timedelta(hours=hours), {"usd": total}, account=account)
    return db
