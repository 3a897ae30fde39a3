"""The balance's history: every complete read's totals, in a small SQLite file in the user data
folder, for the spend rate when Deepgram's billing cannot be read, and for export.

Bounded: samples older than THIN_AFTER are thinned to the last one of each day, so a year is a
few thousand rows. Writes are short transactions; a second process (the CLI) reads safely.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from trayapp.deepgram.models import MAIN_UNIT
from trayapp.errors import HistoryUnreadableError
from trayapp.outlook.forecast import WINDOW_DAYS, Sample

THIN_AFTER = timedelta(days=90)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (
    at INTEGER NOT NULL,      -- seconds since the epoch, UTC
    units TEXT NOT NULL,
    total TEXT NOT NULL,      -- exact decimal text
    PRIMARY KEY (at, units)
);
"""


class HistoryRow(NamedTuple):
    at: datetime
    units: str
    total: Decimal


@contextmanager
def _open(path: Path) -> Iterator[sqlite3.Connection]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(path, timeout=5)) as connection:
            connection.execute(_SCHEMA)
            with connection:  # one transaction
                yield connection
    except (sqlite3.DatabaseError, OSError) as exc:
        # Never deleted here: it is the user's data, and the message says how to start afresh.
        raise HistoryUnreadableError(
            f"The balance history {path} cannot be used ({exc}): move it away, and the tray "
            "starts a new one."
        ) from exc


def record(path: Path, at: datetime, totals: Mapping[str, Decimal]) -> list[Sample]:
    """Add a complete read's totals. Returns the forecast window's main-unit samples up to it,
    read in the same transaction: the tray wants them at once for the spend rate."""
    seconds = int(at.timestamp())
    with _open(path) as db:
        db.executemany(
            "INSERT OR REPLACE INTO samples (at, units, total) VALUES (?, ?, ?)",
            [(seconds, units, str(total)) for units, total in totals.items()],
        )
        _thin(db, at)
        return main_unit_samples(_rows(db, at - timedelta(days=WINDOW_DAYS)))


def _thin(db: sqlite3.Connection, now: datetime) -> None:
    """Past THIN_AFTER, keep only each day's last sample per unit."""
    cutoff = int((now - THIN_AFTER).timestamp())
    db.execute(
        """
        DELETE FROM samples
        WHERE at < :cutoff AND at NOT IN (
            SELECT MAX(at) FROM samples WHERE at < :cutoff GROUP BY units, at / 86400
        )
        """,
        {"cutoff": cutoff},
    )


def read(path: Path, since: datetime | None = None) -> list[HistoryRow]:
    if not path.exists():
        return []
    with _open(path) as db:
        return _rows(db, since)


def _rows(db: sqlite3.Connection, since: datetime | None) -> list[HistoryRow]:
    start = int(since.timestamp()) if since is not None else 0
    rows = db.execute(
        "SELECT at, units, total FROM samples WHERE at >= ? ORDER BY at, units", (start,)
    ).fetchall()
    return [
        HistoryRow(datetime.fromtimestamp(at, timezone.utc), units, Decimal(total))
        for at, units, total in rows
    ]


def recent_samples(path: Path, now: datetime) -> list[Sample]:
    """The main-unit totals of the forecast window (WINDOW_DAYS up to `now`), for the spend rate."""
    return main_unit_samples(read(path, now - timedelta(days=WINDOW_DAYS)))


def main_unit_samples(rows: Sequence[HistoryRow]) -> list[Sample]:
    """The rows in the main unit (the one thresholds and forecasts use), as forecast Samples."""
    return [Sample(r.at, r.total) for r in rows if r.units == MAIN_UNIT]
