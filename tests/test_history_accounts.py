"""The balance history per account: a file written before accounts is read as it is, migrated in
place on its first write without losing a row, and exported exactly as before; each account's
samples are kept, thinned and exported apart."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import run_cli
from trayapp.errors import HistoryUnreadableError
from trayapp.outlook import history
from trayapp.outlook.forecast import Sample
from trayapp.outlook.history import THIN_AFTER, migrate, read, recent_samples, record

# The table exactly as the release before accounts made it.
PRE_ACCOUNTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (
    at INTEGER NOT NULL,      -- seconds since the epoch, UTC
    units TEXT NOT NULL,
    total TEXT NOT NULL,      -- exact decimal text
    PRIMARY KEY (at, units)
);
"""

NOW = datetime.now(timezone.utc).replace(microsecond=0)
OLD_ROWS = [
    (NOW - timedelta(days=3), "usd", "130.5"),
    (NOW - timedelta(days=2), "eur", "7"),
    (NOW - timedelta(days=2), "usd", "129.00000001"),
    (NOW - timedelta(hours=1), "usd", "128.31822227"),
]


def pre_accounts_file(path: Path, rows: list[tuple[datetime, str, str]] = OLD_ROWS) -> Path:
    """A history as the release before accounts wrote it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(PRE_ACCOUNTS_SCHEMA)
        db.executemany(
            "INSERT INTO samples (at, units, total) VALUES (?, ?, ?)",
            [(int(at.timestamp()), units, total) for at, units, total in rows],
        )
    return path


def as_read(rows: list[tuple[datetime, str, str]]) -> list[tuple[datetime, str, Decimal]]:
    return [(at, units, Decimal(total)) for at, units, total in rows]


def plain(path: Path, account: str = "default") -> list[tuple[datetime, str, Decimal]]:
    return [(r.at, r.units, r.total) for r in read(path, account=account)]


def tables(path: Path) -> dict[str, str]:
    with closing(sqlite3.connect(path)) as db:
        return dict(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))


def stored(path: Path) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(
            "SELECT account, at, units, total FROM samples ORDER BY 1, 2, 3"
        ).fetchall()


def schema_version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as db:
        version: int = db.execute("PRAGMA schema_version").fetchone()[0]
        return version


def test_a_pre_accounts_file_is_read_as_default_s_without_a_byte_changed(tmp_path: Path) -> None:
    path = pre_accounts_file(tmp_path / "history.sqlite3")
    before = path.read_bytes()
    assert plain(path) == as_read(OLD_ROWS)
    assert read(path, account="client-a") == []
    assert recent_samples(path, NOW) == [
        Sample(at, Decimal(total)) for at, units, total in OLD_ROWS if units == "usd"
    ]
    assert recent_samples(path, NOW, "client-a") == []
    assert path.read_bytes() == before  # reading never migrates


def test_the_first_write_migrates_in_place_and_keeps_every_row_as_default_s(
    tmp_path: Path,
) -> None:
    path = pre_accounts_file(tmp_path / "history.sqlite3")
    recorded = record(path, NOW, {"usd": Decimal("55.5")}, account="client-a")

    assert recorded == [Sample(NOW, Decimal("55.5"))]  # client-a's window, not default's
    assert plain(path) == as_read(OLD_ROWS)
    assert plain(path, "client-a") == [(NOW, "usd", Decimal("55.5"))]
    assert stored(path) == sorted(
        [("default", int(at.timestamp()), units, total) for at, units, total in OLD_ROWS]
        + [("client-a", int(NOW.timestamp()), "usd", "55.5")]
    )
    assert list(tables(path)) == ["samples"]
    assert "PRIMARY KEY (account, at, units)" in tables(path)["samples"]


def test_accounts_with_a_sample_at_the_same_moment_keep_both(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    record(path, NOW, {"usd": Decimal(1)})
    record(path, NOW, {"usd": Decimal(2)}, account="client-a")
    assert plain(path) == [(NOW, "usd", Decimal(1))]
    assert plain(path, "client-a") == [(NOW, "usd", Decimal(2))]


def test_a_migrated_file_is_left_alone(tmp_path: Path) -> None:
    path = pre_accounts_file(tmp_path / "history.sqlite3")
    record(path, NOW, {"usd": Decimal(1)}, account="client-a")
    version = schema_version(path)
    record(path, NOW + timedelta(minutes=1), {"usd": Decimal(2)})
    assert schema_version(path) == version  # no table made, dropped or renamed
    with closing(sqlite3.connect(path)) as db:
        assert migrate(db) is False
    assert plain(path) == [*as_read(OLD_ROWS), (NOW + timedelta(minutes=1), "usd", Decimal(2))]


def test_a_write_failing_mid_migration_leaves_the_old_table_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = pre_accounts_file(tmp_path / "history.sqlite3")
    old_tables = tables(path)
    # A crash after the last step of the migration, before the write's commit.
    monkeypatch.setattr(history, "_MIGRATION", (*history._MIGRATION, "SELECT * FROM crash_here"))
    with pytest.raises(HistoryUnreadableError, match="cannot be used"):
        record(path, NOW, {"usd": Decimal(1)}, account="client-a")
    assert tables(path) == old_tables
    assert plain(path) == as_read(OLD_ROWS)


def test_thinning_keeps_each_account_s_last_sample_of_a_day(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    old_day = (NOW - THIN_AFTER - timedelta(days=5)).replace(hour=0, minute=0, second=0)
    record(path, old_day + timedelta(hours=8), {"usd": Decimal(3)})
    record(path, old_day + timedelta(hours=10), {"usd": Decimal(2)})
    record(path, old_day + timedelta(hours=12), {"usd": Decimal(9)}, account="client-a")
    record(path, NOW, {"usd": Decimal(1)})  # thins everything past THIN_AFTER
    # Default's 10:00 is its day's last even though client-a has a later one that day.
    assert plain(path) == [
        (old_day + timedelta(hours=10), "usd", Decimal(2)),
        (NOW, "usd", Decimal(1)),
    ]
    assert plain(path, "client-a") == [(old_day + timedelta(hours=12), "usd", Decimal(9))]


def test_rows_that_are_no_samples_are_kept_aside_by_the_migration(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    good = (int((NOW - timedelta(hours=2)).timestamp()), "usd", "128.5")
    odd = [(good[0] + 1, 42, "1"), (good[0] + 2, "usd", 5), (None, "usd", "1")]
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE samples (at, units, total)")  # hand-made: no types
        db.executemany("INSERT INTO samples VALUES (?, ?, ?)", [good, *odd])
    assert [s.total for s in record(path, NOW, {"usd": Decimal(127)})] == [
        Decimal("128.5"),
        Decimal(127),
    ]
    with closing(sqlite3.connect(path)) as db:
        aside = db.execute(f"SELECT * FROM {history.SET_ASIDE_TABLE} ORDER BY rowid").fetchall()
    assert aside == odd


# --- the command --------------------------------------------------------------------------------


def history_in(env: dict[str, str]) -> Path:
    return Path(env["XDG_DATA_HOME"]) / "deepgram-balance-tray" / "history.sqlite3"


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


# What the release before accounts printed for OLD_ROWS.
OLD_CSV = "time,units,total\n" + "".join(
    f"{stamp(at)},{units},{total}\n" for at, units, total in OLD_ROWS
)


def with_client_a(env: dict[str, str]) -> None:
    config = Path(env["DEEPGRAM_TRAY_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[accounts.client-a]\nlabel = "Client A"\n')


def test_history_prints_the_same_bytes_before_and_after_the_migration(
    cli_env: dict[str, str],
) -> None:
    path = pre_accounts_file(history_in(cli_env))
    before = path.read_bytes()
    csv = run_cli(["history"], cli_env)
    as_json = run_cli(["history", "--format", "json"], cli_env)
    assert (csv.returncode, csv.stdout, csv.stderr) == (0, OLD_CSV, "")
    assert json.loads(as_json.stdout)["samples"][-1] == {
        "time": stamp(OLD_ROWS[-1][0]),
        "units": "usd",
        "total": 128.31822227,
    }
    assert path.read_bytes() == before

    record(path, NOW, {"usd": Decimal("55.5")}, account="client-a")  # migrates
    assert run_cli(["history"], cli_env).stdout == OLD_CSV
    assert run_cli(["history", "--format", "json"], cli_env).stdout == as_json.stdout
    assert run_cli(["history", "--account", "default"], cli_env).stdout == OLD_CSV


def test_history_account_prints_that_account_s_samples_only(cli_env: dict[str, str]) -> None:
    with_client_a(cli_env)
    path = pre_accounts_file(history_in(cli_env))
    record(path, NOW, {"usd": Decimal("55.5")}, account="client-a")

    csv = run_cli(["history", "--account", "client-a"], cli_env)
    assert (csv.returncode, csv.stderr) == (0, "")
    assert csv.stdout == f"time,units,total\n{stamp(NOW)},usd,55.5\n"
    as_json = run_cli(["history", "--account", "client-a", "--format", "json"], cli_env)
    assert json.loads(as_json.stdout, parse_float=Decimal) == {
        "samples": [{"time": stamp(NOW), "units": "usd", "total": Decimal("55.5")}]
    }


def test_history_of_an_account_with_no_samples_says_so(cli_env: dict[str, str]) -> None:
    with_client_a(cli_env)
    pre_accounts_file(history_in(cli_env))  # never migrated: read as all default's
    result = run_cli(["history", "--account", "client-a"], cli_env)
    assert (result.returncode, result.stdout) == (0, "time,units,total\n")
    assert "No history of the account 'client-a' yet" in result.stderr


def test_history_of_an_account_not_in_the_config_is_one_sentence(
    cli_env: dict[str, str],
) -> None:
    with_client_a(cli_env)
    pre_accounts_file(history_in(cli_env))
    result = run_cli(["history", "--account", "client-b"], cli_env)
    assert result.returncode == 2 and result.stdout == ""
    assert "There is no account called 'client-b' in the config" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_history_without_account_reads_no_config(cli_env: dict[str, str]) -> None:
    config = Path(cli_env["DEEPGRAM_TRAY_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("this is = = not toml")
    pre_accounts_file(history_in(cli_env))
    assert run_cli(["history"], cli_env).stdout == OLD_CSV
    refused = run_cli(["history", "--account", "client-a"], cli_env)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr


def without_display(env: dict[str, str]) -> dict[str, str]:
    """The environment with no graphical session: the window command gets as far as opening the
    window, then says it needs one (the window itself is tested in test_history_desktop)."""
    return {k: v for k, v in env.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}


NEEDS_A_DISPLAY = "The history window needs a graphical session"


def test_the_chart_window_of_a_named_account_gets_to_opening(cli_env: dict[str, str]) -> None:
    with_client_a(cli_env)
    result = run_cli(["history", "--window", "--account", "client-a"], without_display(cli_env))
    assert result.returncode == 2
    assert NEEDS_A_DISPLAY in result.stderr and result.stderr.count("\n") == 1


def test_the_chart_window_of_an_account_not_in_the_config_is_one_sentence(
    cli_env: dict[str, str],
) -> None:
    with_client_a(cli_env)
    result = run_cli(["history", "--window", "--account", "client-b"], without_display(cli_env))
    assert result.returncode == 2 and result.stdout == ""
    assert "There is no account called 'client-b' in the config" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_a_broken_config_still_opens_the_default_chart_but_not_another(
    cli_env: dict[str, str],
) -> None:
    config = Path(cli_env["DEEPGRAM_TRAY_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("this is = = not toml")
    env = without_display(cli_env)

    default = run_cli(["history", "--window"], env)
    assert default.returncode == 2 and "Traceback" not in default.stderr
    # A warning names the config's problem; the command goes on to open the window.
    warning, last = default.stderr.splitlines()
    assert warning.startswith("WARNING") and "offers only the top-level account" in warning
    assert NEEDS_A_DISPLAY in last

    named = run_cli(["history", "--window", "--account", "client-a"], env)
    assert named.returncode == 2 and NEEDS_A_DISPLAY not in named.stderr
    assert str(config) in named.stderr  # the config's own error, naming the file
    assert "Traceback" not in named.stderr and named.stderr.count("\n") == 1


def test_no_history_of_an_account_says_the_tray_records_every_account(
    cli_env: dict[str, str],
) -> None:
    with_client_a(cli_env)
    result = run_cli(["history", "--account", "client-a"], cli_env)
    assert "the tray records each account's balance" in result.stderr
    assert "only the top-level" not in result.stderr
