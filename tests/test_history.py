"""The balance history: SQLite across restarts, thinning, export, and the poller feeding it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.support.clock import FakeClock
from tests.support.tray_states import snapshot
from trayapp.config import Settings
from trayapp.deepgram.models import BalanceSnapshot, Project
from trayapp.errors import ServerError
from trayapp.outlook.forecast import NO_DATA, SpendRate, describe_days_left
from trayapp.outlook.history import THIN_AFTER, read, record
from trayapp.tray.poller import FetchResult, Poller

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def test_samples_survive_a_restart_with_every_digit(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    record(db, NOW - timedelta(hours=1), {"usd": Decimal("128.31822227")})
    record(db, NOW, {"usd": Decimal("127.00000001"), "eur": Decimal(3)})  # a later session
    rows = read(db)
    assert [(r.at, r.units, r.total) for r in rows] == [
        (NOW - timedelta(hours=1), "usd", Decimal("128.31822227")),
        (NOW, "eur", Decimal(3)),
        (NOW, "usd", Decimal("127.00000001")),
    ]
    assert read(db, since=NOW - timedelta(minutes=30))[0].at == NOW


def test_old_samples_are_thinned_to_one_a_day(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    start = NOW - timedelta(days=120)
    hours = 120 * 24
    for hour in range(hours + 1):  # a sample every hour for 120 days
        record(db, start + timedelta(hours=hour), {"usd": Decimal(1000 - hour / 100)})
    rows = read(db)
    old = [r for r in rows if r.at < NOW - THIN_AFTER]
    recent = [r for r in rows if r.at >= NOW - THIN_AFTER]
    assert len(recent) == 90 * 24 + 1  # untouched
    assert len(old) == len({r.at.date() for r in old}) <= 31  # one per day
    # Each day keeps its last sample; the cutoff day only what lies before the cutoff.
    assert all(r.at.hour == 23 for r in old[:-1]) and old[-1].at.hour == 11


def test_a_missing_history_reads_as_empty(tmp_path: Path) -> None:
    assert read(tmp_path / "none.sqlite3") == []
    assert not (tmp_path / "none.sqlite3").exists()


def test_export_csv_json_and_days(cli_env: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "data"
    cli_env["XDG_DATA_HOME"] = str(data)
    db = data / "deepgram-balance-tray" / "history.sqlite3"
    now = datetime.now(timezone.utc).replace(microsecond=0)
    record(db, now - timedelta(days=3), {"usd": Decimal("130.5")})
    record(db, now, {"usd": Decimal("128.31822227")})

    csv = run_cli(["history"], cli_env)
    assert csv.returncode == 0, csv.stderr
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert csv.stdout.splitlines()[0] == "time,units,total"
    assert csv.stdout.splitlines()[-1] == f"{stamp},usd,128.31822227"
    assert len(csv.stdout.splitlines()) == 3

    recent = run_cli(["history", "--format", "json", "--days", "1"], cli_env)
    assert json.loads(recent.stdout, parse_float=Decimal) == {
        "samples": [{"time": stamp, "units": "usd", "total": Decimal("128.31822227")}]
    }
    refused = run_cli(["history", "--days", "0"], cli_env)
    assert refused.returncode == 2 and "--days must be 1 or more" in refused.stderr


def test_no_history_yet_is_said(cli_env: dict[str, str], tmp_path: Path) -> None:
    cli_env["XDG_DATA_HOME"] = str(tmp_path / "empty")
    result = run_cli(["history"], cli_env)
    assert result.returncode == 0
    assert result.stdout == "time,units,total\n"
    assert "No history yet" in result.stderr


def test_the_poller_records_complete_reads_only() -> None:
    clock = FakeClock()
    answers = iter([snapshot("100", "28"), snapshot("90", "0", errors={1: ServerError("busy.")})])
    recorded: list[BalanceSnapshot] = []

    def record_history(snapshot: BalanceSnapshot) -> SpendRate:
        recorded.append(snapshot)
        return NO_DATA

    def fetch(settings: Settings, known: list[Project] | None) -> FetchResult:
        return FetchResult(next(answers), [])

    poller = Poller(
        load_settings=Settings,
        fetch=fetch,
        on_state=lambda state: None,
        on_alert=lambda alert: None,
        clock=clock.clock,
        record_history=record_history,
    )
    poller.step()
    clock.advance(300)
    poller.step()
    assert [s.main_total for s in recorded] == [Decimal(128)]  # the partial read is not history


def test_a_failing_history_never_stops_the_polls() -> None:
    clock = FakeClock()

    def broken(snapshot: BalanceSnapshot) -> SpendRate:
        raise OSError("disk full")

    poller = Poller(
        load_settings=Settings,
        fetch=lambda settings, known: FetchResult(snapshot("5"), []),
        on_state=lambda state: None,
        on_alert=lambda alert: None,
        clock=clock.clock,
        record_history=broken,
    )
    poller.step()
    assert poller.state.snapshot is not None and poller.state.error is None


def test_the_poller_forecasts_from_complete_reads_only() -> None:
    clock = FakeClock()
    answers = iter([snapshot("100", "28"), snapshot("90", "0", errors={1: ServerError("busy.")})])
    rates = iter([SpendRate("history", Decimal("4.25")), SpendRate("history", Decimal(1))])
    poller = Poller(
        load_settings=Settings,
        fetch=lambda settings, known: FetchResult(next(answers), []),
        on_state=lambda state: None,
        on_alert=lambda alert: None,
        clock=clock.clock,
        record_history=lambda snap: next(rates),
    )
    poller.step()
    assert poller.state.forecast is not None
    assert describe_days_left(Decimal(128), poller.state.forecast.rate) == "about 30 days left"
    clock.advance(300)
    poller.step()
    assert poller.state.forecast.rate.per_day == Decimal("4.25")  # kept through a partial read


def test_the_tray_reads_its_spend_rate_from_the_history(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from trayapp.commands.run import record_history

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    db = tmp_path / "deepgram-balance-tray" / "history.sqlite3"
    latest = snapshot("60")
    assert record_history("default", latest) == NO_DATA
    assert [r.total for r in read(db)] == [Decimal(60)]  # and it was recorded
    for hours in range(72, -1, -6):  # $3 a day for three days
        record(db, latest.fetched_at - timedelta(hours=hours), {"usd": Decimal(60 + hours / 8)})
    rate = record_history("default", latest)
    assert rate.basis == "history" and rate.per_day == 3
    assert describe_days_left(Decimal(60), rate) == "about 20 days left"
    # Another account's reads are its own: none of the default's samples make its rate.
    assert record_history("client-a", snapshot("9")) == NO_DATA
    assert [r.total for r in read(db, account="client-a")] == [Decimal(9)]
    assert Decimal(9) not in [r.total for r in read(db)]


def test_a_damaged_history_is_reported_in_one_sentence_and_kept(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    db = Path(cli_env["XDG_DATA_HOME"]) / "deepgram-balance-tray" / "history.sqlite3"
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"not a database, but someone's file" * 100)
    result = run_cli(["history"], cli_env)
    assert result.returncode == 2
    assert "cannot be used" in result.stderr and "move it away" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert db.read_bytes().startswith(b"not a database")
