"""The balance's history: every complete read's totals, in a small SQLite file in the user data
folder, for the spend rate when Deepgram's billing cannot be read, and for export.

Bounded: samples older than THIN_AFTER are thinned to the last one of each day, so a year is a
few thousand rows. Writes are short transactions; a second process (the CLI) reads safely.

Each account's samples are kept apart (the `account` column). A file from before accounts has no
such column: it is read as all `default`, and gains the column on its first write, in the same
transaction as that write, so a crash leaves the old table as it was.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NamedTuple

from trayapp.deepgram.models import MAIN_UNIT
from trayapp.errors import HistoryUnreadableError
from trayapp.outlook.forecast import WINDOW_DAYS, Sample

log = logging.getLogger(__name__)

DEFAULT_ACCOUNT = "default"
"""The top-level account's name (trayapp.credentials, which this wing may not import): the
account every sample of a file from before accounts belongs to."""

THIN_AFTER = timedelta(days=90)
BUSY_TIMEOUT_SECONDS = 5.0
"""How long to wait for another process's write to finish before saying the file is busy."""
MAX_HISTORY_BYTES = 100 * 1024 * 1024
"""Thinned, a year of samples is well under a MiB: a file past this is not the tray's."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (
    account TEXT NOT NULL DEFAULT 'default',
    at INTEGER NOT NULL,      -- seconds since the epoch, UTC
    units TEXT NOT NULL,
    total TEXT NOT NULL,      -- exact decimal text
    PRIMARY KEY (account, at, units)
);
"""

# A file from before accounts: SQLite's way to change a primary key is a new table, the rows
# copied, the old one dropped and the new one renamed (https://sqlite.org/lang_altertable.html).
# Only the rows the tray could have written are copied (the typed columns would turn some damaged
# rows of a hand-made table into readable ones); any others are kept aside, never deleted.
_SAMPLE_TYPES = "typeof(at) = 'integer' AND typeof(units) = 'text' AND typeof(total) = 'text'"
SET_ASIDE_TABLE = "samples_before_accounts"
"""Where rows that are not samples go when an old file is migrated (a hand-edited file's)."""
_MIGRATION = (
    _SCHEMA.replace("EXISTS samples", "EXISTS samples_with_accounts"),
    "INSERT OR REPLACE INTO samples_with_accounts (account, at, units, total) "
    f"SELECT '{DEFAULT_ACCOUNT}', at, units, total FROM samples WHERE {_SAMPLE_TYPES}",
    "DROP TABLE samples",
    "ALTER TABLE samples_with_accounts RENAME TO samples",
)


class HistoryRow(NamedTuple):
    at: datetime
    units: str
    total: Decimal


def _check_file(path: Path) -> bool:
    """Whether a history file is there; HistoryUnreadableError when something else is.

    Looked at before SQLite opens it: opening a named pipe would wait for a writer forever.
    """
    from trayapp.atomic import kind_of_file

    try:
        status = os.stat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise _unusable(path, exc) from exc
    what = kind_of_file(status.st_mode)
    if what is not None:
        raise HistoryUnreadableError(
            f"The balance history {path} is {what}, not a file: move it away, and the tray starts "
            "a new one."
        )
    if status.st_size > MAX_HISTORY_BYTES:
        raise HistoryUnreadableError(
            f"The balance history {path} is larger than 100 MiB, far more than the tray writes: "
            "move it away, and the tray starts a new one."
        )
    return True


@contextmanager
def _open(path: Path) -> Iterator[sqlite3.Connection]:
    """The file for writing, made (with its table) when missing, migrated when from before
    accounts; one transaction, the table's making or migration included."""
    try:
        _check_file(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # The inner `with connection` commits at the end, and rolls back on any error.
        with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)) as connection, connection:
            # Explicit: Python's sqlite3 begins a transaction only before a row's change, and the
            # migration's CREATE, DROP and RENAME must be part of it too.
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(_SCHEMA)
            migrate(connection, where=path)
            yield connection
    except (sqlite3.DatabaseError, OSError) as exc:
        raise _unusable(path, exc) from exc


def migrate(db: sqlite3.Connection, *, where: Path | None = None) -> bool:
    """Give a table from before accounts its `account` column, its rows all `default`; whether
    it had to. A table that has the column is left alone. Runs in the caller's transaction."""
    if _has_account_column(db):
        return False
    not_samples = db.execute(f"SELECT count(*) FROM samples WHERE NOT ({_SAMPLE_TYPES})")
    if not_samples.fetchone()[0]:
        kept = f"SELECT * FROM samples WHERE NOT ({_SAMPLE_TYPES})"
        db.execute(f"CREATE TABLE IF NOT EXISTS {SET_ASIDE_TABLE} AS {kept} AND 0")
        db.execute(f"INSERT INTO {SET_ASIDE_TABLE} {kept}")
        log.warning(
            "Kept rows that are not samples aside in the table %s of the balance history %s",
            SET_ASIDE_TABLE,
            where,
        )
    for statement in _MIGRATION:
        db.execute(statement)
    return True


def _has_account_column(db: sqlite3.Connection) -> bool:
    columns = db.execute("SELECT name FROM pragma_table_info('samples')").fetchall()
    return ("account",) in columns


@contextmanager
def _open_for_reading(path: Path) -> Iterator[sqlite3.Connection]:
    """The file as it is: read-only, so reading never makes a table or writes a byte."""
    uri = read_only_uri(path.absolute().as_posix())
    try:
        with closing(sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS)) as connection:
            yield connection
    except (sqlite3.DatabaseError, OSError) as exc:
        raise _unusable(path, exc) from exc


def read_only_uri(absolute: str) -> str:
    """SQLite's read-only URI for an absolute path in forward slashes: "/home/…", "C:/Users/…"
    or a Windows share's "//server/share/…". The authority stays empty, as SQLite requires (Path's
    as_uri() would make the server one), and a drive letter gets the slash SQLite drops again."""
    from urllib.parse import quote

    lead = "" if absolute.startswith("/") else "/"
    return f"file://{lead}{quote(absolute, safe='/:')}?mode=ro"


# SQLite's primary result codes for "another connection holds a lock": SQLITE_BUSY, SQLITE_LOCKED.
_BUSY_CODES = (5, 6)


def _is_busy(exc: BaseException) -> bool:
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11 on; only the words before that
    if code is None:
        return "locked" in str(exc)
    return code & 0xFF in _BUSY_CODES


def _unusable(path: Path, exc: OSError | sqlite3.DatabaseError) -> HistoryUnreadableError:
    if _is_busy(exc):
        return HistoryUnreadableError(
            f"The balance history {path} is busy (another deepgram-tray process is writing it): "
            "try again in a moment."
        )
    # Never deleted here: it is the user's data, and the message says how to start afresh.
    return HistoryUnreadableError(
        f"The balance history {path} cannot be used ({exc}): move it away, and the tray "
        "starts a new one."
    )


def record(
    path: Path, at: datetime, totals: Mapping[str, Decimal], account: str = DEFAULT_ACCOUNT
) -> list[Sample]:
    """Add a complete read's totals for `account`. Returns that account's forecast-window
    main-unit samples up to it, read in the same transaction: the tray wants them at once for
    the spend rate."""
    seconds = int(at.timestamp())
    with _open(path) as db:
        db.executemany(
            "INSERT OR REPLACE INTO samples (account, at, units, total) VALUES (?, ?, ?, ?)",
            [(account, seconds, units, str(total)) for units, total in totals.items()],
        )
        _thin(db, at)
        since = at - timedelta(days=WINDOW_DAYS)
        return main_unit_samples(_rows(db, since, account, where=path))


def _thin(db: sqlite3.Connection, now: datetime) -> None:
    """Past THIN_AFTER, keep only each day's last sample per account and unit."""
    cutoff = int((now - THIN_AFTER).timestamp())
    db.execute(
        """
        DELETE FROM samples
        WHERE at < :cutoff AND EXISTS (
            SELECT 1 FROM samples AS later
            WHERE later.account = samples.account AND later.units = samples.units
                AND later.at < :cutoff
                AND later.at / 86400 = samples.at / 86400 AND later.at > samples.at
        )
        """,
        {"cutoff": cutoff},
    )


def read(
    path: Path, since: datetime | None = None, account: str = DEFAULT_ACCOUNT
) -> list[HistoryRow]:
    """`account`'s samples from `since` on (all without it); none when there is no file, or an
    empty one (no table yet). Rows that are not a sample (a hand-edited or damaged file) are left
    out. A file from before accounts is read as it is (never migrated here): all `default`."""
    if not _check_file(path):
        return []
    with _open_for_reading(path) as db:
        if not _has_samples_table(db):
            return []
        return _rows(db, since, account, where=path)


def _has_samples_table(db: sqlite3.Connection) -> bool:
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'samples'")
    return found.fetchone() is not None


# The seconds datetime can hold in UTC: from 1 Jan of year 1 to the last second of 9999.
_FIRST_SECOND = -62_135_596_800
_LAST_SECOND = 253_402_300_799
# A total outside these is not a balance, and formatting it in full (1E+999999999, 1E-999999999)
# would take gigabytes. A float's exact decimal has at most 1074 digits after the point.
_MAX_TOTAL = Decimal(10) ** 15
_MIN_EXPONENT = -1100


def _rows(
    db: sqlite3.Connection, since: datetime | None, account: str, *, where: Path | None = None
) -> list[HistoryRow]:
    start = int(since.timestamp()) if since is not None else 0
    if _has_account_column(db):
        found = db.execute(
            "SELECT at, units, total FROM samples WHERE account = ? AND at >= ? ORDER BY at, units",
            (account, start),
        )
    elif account == DEFAULT_ACCOUNT:  # a file from before accounts: every row is default's
        found = db.execute(
            "SELECT at, units, total FROM samples WHERE at >= ? ORDER BY at, units", (start,)
        )
    else:
        return []
    rows, skipped = valid_rows(found)
    if skipped:
        log.warning("Skipped %d damaged row(s) of the balance history %s", skipped, where)
    return rows


def valid_rows(raw: Iterable[Sequence[object]]) -> tuple[list[HistoryRow], int]:
    """The (at, units, total) rows that are a sample, and how many were not."""
    rows: list[HistoryRow] = []
    skipped = 0
    for at, units, total in raw:
        row = _sample_row(at, units, total)
        if row is None:
            skipped += 1
        else:
            rows.append(row)
    return rows, skipped


def _sample_row(at: object, units: object, total: object) -> HistoryRow | None:
    """A row as the tray writes it, or None: another type, NaN, a date past the calendar."""
    if isinstance(at, bool) or not isinstance(at, int) or not isinstance(units, str):
        return None
    if not _FIRST_SECOND <= at <= _LAST_SECOND or not isinstance(total, str):
        return None
    try:
        amount = Decimal(total)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount.copy_abs() >= _MAX_TOTAL:
        return None
    if int(amount.as_tuple().exponent) < _MIN_EXPONENT:
        return None
    return HistoryRow(datetime.fromtimestamp(at, timezone.utc), units, amount)


def recent_samples(path: Path, now: datetime, account: str = DEFAULT_ACCOUNT) -> list[Sample]:
    """`account`'s main-unit totals of the forecast window (WINDOW_DAYS up to `now`), for the
    spend rate."""
    return main_unit_samples(read(path, now - timedelta(days=WINDOW_DAYS), account))


def main_unit_samples(rows: Sequence[HistoryRow]) -> list[Sample]:
    """The rows in the main unit (the one thresholds and forecasts use), as forecast Samples."""
    return [Sample(r.at, r.total) for r in rows if r.units == MAIN_UNIT]
