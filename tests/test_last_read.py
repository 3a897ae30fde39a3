"""The saved last read: which requests it may answer, and a file that never fails a command."""

from __future__ import annotations

import json
import os
import stat
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from trayapp.deepgram.models import Balance, BalanceSnapshot, Project, ProjectBalances
from trayapp.errors import NetworkError
from trayapp.outlook.forecast import Expiry, Forecast, SpendRate
from trayapp.tray.last_read import ReadSaver, SavedRead, forget, is_complete, load, save, usable

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
URL = "https://api.deepgram.com"
A = ProjectBalances(Project("a", "Prod"), (Balance("b1", Decimal("104.56822227"), "usd", "po"),))
B = ProjectBalances(Project("b", "Staging"), (Balance("b2", Decimal("3.25"), "usd", None),))
SNAPSHOT = BalanceSnapshot(NOW - timedelta(seconds=100), (A, B))
FORECAST = Forecast(
    SpendRate("billing", Decimal("4.25"), Decimal("1")),
    Decimal("25.4"),
    Expiry(date(2027, 1, 9), Decimal("150"), "usd", "a", "po", "promotional", Decimal("40")),
)


def saved(**changes: object) -> SavedRead:
    return SavedRead(SNAPSHOT, None, URL, ())._replace(**changes)


def answer(read: SavedRead, **asked: object) -> BalanceSnapshot | None:
    request: dict[str, object] = {
        "api_url": URL,
        "asked": (),
        "forecast": False,
        "max_age": 300,
        "now": NOW,
    }
    request.update(asked)
    return usable(read, **request)  # type: ignore[arg-type]


def test_a_young_read_of_every_project_answers() -> None:
    assert answer(saved()) == SNAPSHOT


@pytest.mark.parametrize(
    ("read", "asked"),
    [
        (saved(), {"max_age": 99}),  # older than asked
        (saved(), {"max_age": 0}),  # the default: always read
        (saved(snapshot=SNAPSHOT._replace(fetched_at=NOW + timedelta(seconds=5))), {}),  # future
        (saved(), {"api_url": "http://127.0.0.1:8080"}),  # another server
        (saved(), {"forecast": True}),  # no forecast saved
        (saved(asked=("a",)), {}),  # only some projects were read: not "every project"
        (saved(), {"asked": ("a", "c")}),  # a project it did not read
    ],
    ids=["too-old", "max-age-0", "future", "other-url", "no-forecast", "some-for-all", "missing"],
)
def test_what_a_saved_read_cannot_answer(read: SavedRead, asked: dict[str, object]) -> None:
    assert answer(read, **asked) is None


def test_it_answers_for_some_projects_with_just_those_in_the_order_asked() -> None:
    narrowed = answer(saved(), asked=("b", "a", "b"))
    assert narrowed is not None and [p.project.project_id for p in narrowed.projects] == ["b", "a"]
    assert answer(saved(forecast=FORECAST), forecast=True) == SNAPSHOT


def test_only_a_complete_read_is_worth_saving() -> None:
    failed = ProjectBalances(Project("c", "Broken"), error=NetworkError("down"))
    assert is_complete(SNAPSHOT)
    assert not is_complete(SNAPSHOT._replace(projects=(A, failed)))
    assert not is_complete(SNAPSHOT._replace(projects=()))


def test_saved_and_loaded_exactly_and_privately(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "last-read.json"
    read = saved(forecast=FORECAST, asked=("a", "b"))
    save(path, read)
    assert load(path) == read
    if sys.platform != "win32":
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    forget(path)
    assert not path.exists() and load(path) is None
    forget(path)  # nothing there: nothing to say


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"[]",
        b'{"format": 2}',
        b"\xff\xfe",
        json.dumps({"format": 1, "api_url": URL, "asked": [], "forecast": None}).encode(),
    ],
    ids=["empty", "garbage", "list", "other-version", "not-utf8", "no-snapshot"],
)
def test_an_unreadable_file_is_no_saved_read(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "last-read.json"
    path.write_bytes(content)
    assert load(path) is None


def test_a_naive_time_is_no_saved_read(tmp_path: Path) -> None:
    path = tmp_path / "last-read.json"
    save(path, saved())
    document = json.loads(path.read_text())
    document["snapshot"]["fetched_at"] = "2026-12-02T11:58:20"
    path.write_text(json.dumps(document))
    assert load(path) is None


def test_a_folder_where_the_file_should_be_is_no_saved_read(tmp_path: Path) -> None:
    (tmp_path / "last-read.json").mkdir()
    assert load(tmp_path / "last-read.json") is None
    save(tmp_path / "last-read.json", saved())  # logged, not raised


def test_the_saver_writes_each_read_once_and_again_with_its_forecast(tmp_path: Path) -> None:
    path = tmp_path / "last-read.json"
    saver = ReadSaver(path)

    def offer(snapshot: BalanceSnapshot, forecast: Forecast | None, failed: bool = False) -> None:
        saver.offer(snapshot, forecast, failed=failed, api_url=URL, asked=())

    offer(SNAPSHOT, None)
    first = path.stat().st_mtime_ns
    path.unlink()
    offer(SNAPSHOT, None)  # the same read published again (refreshing, aged): not rewritten
    assert not path.exists()
    offer(SNAPSHOT, FORECAST)  # its forecast followed
    loaded = load(path)
    assert first and loaded is not None and loaded.forecast == FORECAST
    path.unlink()
    offer(SNAPSHOT._replace(fetched_at=NOW), FORECAST, failed=True)  # an old read kept on show
    broken = ProjectBalances(B.project, error=NetworkError("x"))
    offer(SNAPSHOT._replace(projects=(A, broken)), None)
    assert not path.exists()


def test_the_age_limits_are_inclusive_at_both_ends() -> None:
    fetched = SNAPSHOT.fetched_at
    assert answer(saved(), now=fetched) == SNAPSHOT  # read this very moment
    assert answer(saved(), now=fetched + timedelta(seconds=300)) == SNAPSHOT  # exactly max_age
    assert answer(saved(), now=fetched - timedelta(microseconds=1)) is None


def test_the_file_is_version_1_and_another_version_is_no_saved_read(tmp_path: Path) -> None:
    path = tmp_path / "last-read.json"
    save(path, saved())
    document = json.loads(path.read_text())
    assert document["format"] == 1  # what later versions read: raise it only with a new shape
    for change in ({"format": 2}, {"api_url": 5}, {"asked": ["a", 5]}):
        path.write_text(json.dumps({**document, **change}))
        assert load(path) is None, change


def test_a_file_too_large_to_be_a_saved_read_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "last-read.json"
    save(path, saved())
    path.write_text(path.read_text() + " " * (4 * 1024 * 1024))  # still valid JSON
    assert load(path) is None
