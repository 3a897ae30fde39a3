"""The balance history at its edges, in this process and fast: the size limit to the byte, the
thinning's 90-day cutoff to the hour, the calendar's first and last seconds, the largest total,
the smallest exponent, and which SQLite errors mean "busy" rather than "damaged".
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from trayapp.errors import HistoryUnreadableError
from trayapp.outlook.history import read, recent_samples, record, valid_rows

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
MIB = 1024 * 1024
FIRST_SECOND = int(datetime(1, 1, 1, tzinfo=timezone.utc).timestamp())
LAST_SECOND = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc).timestamp())
BUSY = "is busy (another deepgram-tray process is writing it): try again in a moment."
DAMAGED = "cannot be used"


def totals(path: Path) -> list[tuple[datetime, str, Decimal]]:
    return [(r.at, r.units, r.total) for r in read(path)]


def test_no_file_is_no_samples_and_reading_makes_none(tmp_path: Path) -> None:
    path = tmp_path / "data" / "history.sqlite3"
    assert read(path) == []
    assert read(path, since=NOW) == []
    assert recent_samples(path, NOW) == []
    assert not path.parent.exists()


def test_a_history_of_exactly_100_mib_is_used_one_byte_more_is_not(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    record(path, NOW - timedelta(hours=1), {"usd": Decimal(5)})
    with path.open("r+b") as handle:
        handle.truncate(100 * MIB)  # sparse: SQLite reads its pages and ignores the rest
    assert totals(path) == [(NOW - timedelta(hours=1), "usd", Decimal(5))]
    assert [s.total for s in record(path, NOW, {"usd": Decimal(4)})] == [Decimal(5), Decimal(4)]
    with path.open("r+b") as handle:
        handle.truncate(100 * MIB + 1)
    for use in (lambda: read(path), lambda: record(path, NOW, {"usd": Decimal(3)})):
        with pytest.raises(HistoryUnreadableError, match="is larger than 100 MiB"):
            use()


def test_thinning_starts_exactly_90_days_back(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    cutoff = NOW - timedelta(days=90)  # 27 August, 12:00 UTC: one day holds both sides
    hours = [-2, -1, 1, 2]
    for hour in hours:
        record(path, cutoff + timedelta(hours=hour), {"usd": Decimal(100 - hour)})
    record(path, cutoff - timedelta(hours=3), {"eur": Decimal(7)})
    record(path, NOW, {"usd": Decimal(50)})
    assert totals(path) == [
        (cutoff - timedelta(hours=3), "eur", Decimal(7)),  # the day's last in its unit
        (cutoff - timedelta(hours=1), "usd", Decimal(101)),  # the day's last before the cutoff
        (cutoff + timedelta(hours=1), "usd", Decimal(99)),  # inside 90 days: every sample
        (cutoff + timedelta(hours=2), "usd", Decimal(98)),
        (NOW, "usd", Decimal(50)),
    ]


def test_the_folders_are_made_and_a_second_write_reuses_them(tmp_path: Path) -> None:
    path = tmp_path / "data" / "deepgram-balance-tray" / "history.sqlite3"
    record(path, NOW - timedelta(hours=1), {"usd": Decimal(2)})
    samples = record(path, NOW, {"usd": Decimal(1), "eur": Decimal(9)})
    assert [(s.at, s.total) for s in samples] == [
        (NOW - timedelta(hours=1), Decimal(2)),
        (NOW, Decimal(1)),
    ]
    assert [s.total for s in recent_samples(path, NOW)] == [Decimal(2), Decimal(1)]
    assert [u for _, u, _ in totals(path)] == ["usd", "eur", "usd"]


def test_a_path_through_a_file_is_unusable_whatever_the_file_is_called(tmp_path: Path) -> None:
    # The OS error names the path; a file called "locked" must not make it read as busy.
    path = tmp_path / "locked" / "history.sqlite3"
    path.parent.write_text("notes")
    for use in (lambda: read(path), lambda: record(path, NOW, {"usd": Decimal(1)})):
        with pytest.raises(HistoryUnreadableError) as info:
            use()
        assert info.value.message.startswith(f"The balance history {path} {DAMAGED} (")
        assert info.value.message.endswith(": move it away, and the tray starts a new one.")


def test_history_before_1970_is_not_read_back(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    record(path, epoch - timedelta(seconds=1), {"usd": Decimal(2)})
    record(path, epoch, {"usd": Decimal(1)})
    assert totals(path) == [(epoch, "usd", Decimal(1))]


# SQLite's result codes: the low byte is the primary code, the rest says more.
SQLITE_BUSY_SNAPSHOT = 5 | (2 << 8)
SQLITE_BUSY_RECOVERY = 5 | (1 << 8)
SQLITE_LOCKED = 6
SQLITE_IOERR = 10


@pytest.mark.parametrize(
    ("words", "code", "says"),
    [
        ("database is locked", SQLITE_BUSY_SNAPSHOT, BUSY),
        ("database is locked", SQLITE_BUSY_RECOVERY, BUSY),
        ("database table is locked", SQLITE_LOCKED, BUSY),
        ("disk I/O error", SQLITE_IOERR, DAMAGED),
        # Python 3.10 gives no code: the words decide.
        ("database is locked", None, BUSY),
        ("unable to open database file", None, DAMAGED),
    ],
)
@pytest.mark.parametrize("use", ["read", "record"])
def test_sqlite_errors_are_busy_or_unusable_by_their_code(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    words: str,
    code: int | None,
    says: str,
    use: str,
) -> None:
    path = tmp_path / "history.sqlite3"
    record(path, NOW, {"usd": Decimal(1)})
    error = sqlite3.OperationalError(words)
    if code is not None:
        error.sqlite_errorcode = code  # as SQLite's own errors carry it

    def refuse(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        raise error

    monkeypatch.setattr(sqlite3, "connect", refuse)
    with pytest.raises(HistoryUnreadableError) as info:
        if use == "read":
            read(path)
        else:
            record(path, NOW, {"usd": Decimal(2)})
    assert info.value.message.startswith(f"The balance history {path} {says}")


def row(at: int, total: object = "1") -> tuple[object, object, object]:
    return (at, "usd", total)


def test_the_calendar_s_first_and_last_seconds_are_samples_beyond_them_not() -> None:
    rows, skipped = valid_rows(
        [row(FIRST_SECOND - 1), row(FIRST_SECOND), row(LAST_SECOND), row(LAST_SECOND + 1)]
    )
    assert [r.at for r in rows] == [
        datetime(1, 1, 1, tzinfo=timezone.utc),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
    ]
    assert skipped == 2


def test_totals_under_a_quadrillion_are_samples_from_it_on_not() -> None:
    at = int(NOW.timestamp())
    kept = ["999999999999999.99", "-999999999999999.99", "1E-1100", "0"]
    dropped = ["1E+15", "-1000000000000000", "1E-1101", "-1E-1101"]
    rows, skipped = valid_rows([row(at, total) for total in kept + dropped])
    assert [str(r.total) for r in rows] == kept
    assert skipped == len(dropped)


def test_a_time_that_is_true_or_false_is_no_sample() -> None:
    rows, skipped = valid_rows([(True, "usd", "1"), (False, "usd", "1"), (1, "usd", "1")])
    assert [r.at for r in rows] == [datetime(1970, 1, 1, 0, 0, 1, tzinfo=timezone.utc)]
    assert skipped == 2


def test_no_damaged_rows_count_none() -> None:
    assert valid_rows([]) == ([], 0)
    rows, skipped = valid_rows([row(0, "2.5")])
    assert [r.total for r in rows] == [Decimal("2.5")] and skipped == 0


def test_reads_ask_sqlite_for_a_read_only_uri_whatever_sqlite_was_built_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some SQLite builds take "file:" names as URIs on their own, others only when asked: a read
    that did not ask would, on those, make a new file named like the URI instead."""
    path = tmp_path / "history.sqlite3"
    record(path, NOW, {"usd": Decimal(1)})
    real_connect = sqlite3.connect
    opened: list[tuple[object, object]] = []

    def recorded(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append((database, kwargs.get("uri")))
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", recorded)
    assert [r.total for r in read(path)] == [Decimal(1)]
    [(database, uri)] = opened
    assert uri is True
    assert str(database).startswith("file:///") and str(database).endswith("?mode=ro")


def test_thinning_is_per_unit_when_units_are_read_at_different_times(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    day = NOW - timedelta(days=100)
    for hour in (1, 2, 3):
        record(path, day + timedelta(hours=hour), {"usd": Decimal(hour)})
    record(path, day + timedelta(hours=1), {"eur": Decimal(9)})  # eur read once that day
    record(path, NOW, {"usd": Decimal(0)})
    assert totals(path) == [
        (day + timedelta(hours=1), "eur", Decimal(9)),
        (day + timedelta(hours=3), "usd", Decimal(3)),
        (NOW, "usd", Decimal(0)),
    ]
