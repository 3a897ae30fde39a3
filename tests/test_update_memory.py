"""What the update notice remembers between checks, and when the next check is due."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from trayapp.updates.memory import (
    UpdateMemory,
    check_failed,
    checked,
    decode,
    due,
    encode,
    seconds_until_due,
)
from trayapp.updates.release import Release

NOON = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
RELEASE = Release("0.2.0", "https://pypi.org/project/deepgram-balance-tray/0.2.0/")


def test_never_checked_is_due() -> None:
    assert due(UpdateMemory(), NOON)
    assert seconds_until_due(UpdateMemory(), NOON) == 0


@pytest.mark.parametrize(
    ("since", "is_due"),
    [
        (timedelta(0), False),
        (timedelta(hours=23, minutes=59), False),
        (timedelta(days=1), True),
        (timedelta(days=40), True),
        (-timedelta(minutes=4, seconds=30), False),  # a clock corrected by a few minutes
        (-timedelta(minutes=5), False),
        (-timedelta(minutes=5, seconds=30), True),
        (-timedelta(hours=2), True),  # set back: how long ago is unknown
    ],
)
def test_due_once_a_day(since: timedelta, is_due: bool) -> None:
    memory = UpdateMemory(checked_at=NOON - since)
    assert due(memory, NOON) is is_due


def test_seconds_until_the_day_is_over() -> None:
    memory = UpdateMemory(checked_at=NOON - timedelta(hours=20))
    assert seconds_until_due(memory, NOON) == 4 * 3600


def test_a_check_remembers_what_it_found_and_a_failure_keeps_it() -> None:
    memory = checked(UpdateMemory(notified="0.1.5"), NOON, RELEASE)
    assert memory == UpdateMemory(NOON, RELEASE, "0.1.5")
    later = NOON + timedelta(days=1)
    assert check_failed(memory, later) == UpdateMemory(later, RELEASE, "0.1.5")
    assert checked(memory, later, None) == UpdateMemory(later, None, "0.1.5")


@pytest.mark.parametrize(
    "memory",
    [
        UpdateMemory(),
        UpdateMemory(NOON, RELEASE, "0.2.0"),
        UpdateMemory(NOON, None, None),
        UpdateMemory(None, RELEASE, "0.2.0"),
    ],
)
def test_written_and_read_back(memory: UpdateMemory) -> None:
    assert decode(encode(memory)) == memory


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xfe",
        b"[]",
        b"null",
        b'{"format": 2, "checked_at": null, "latest": null, "notified": "0.2.0"}',
        b'{"format": 1}',
        b'{"format": 1, "checked_at": "yesterday", "latest": null, "notified": null}',
        b'{"format": 1, "checked_at": "2026-12-02T12:00:00", "latest": null, "notified": null}',
        b'{"format": 1, "checked_at": null, "latest": {"version": 2}, "notified": null}',
        b'{"format": 1, "checked_at": null, "latest": null, "notified": 3}',
        b"[" * 100_000,
    ],
)
def test_a_broken_or_foreign_file_is_forgotten(data: bytes) -> None:
    assert decode(data) == UpdateMemory()


def test_a_check_overdue_is_due_now_not_in_the_past() -> None:
    assert seconds_until_due(UpdateMemory(checked_at=NOON - timedelta(days=2)), NOON) == 0


def test_the_file_as_an_earlier_run_wrote_it() -> None:
    """The format on disk: a tray after an upgrade reads what the one before it wrote."""
    written = (
        b'{"format": 1, "checked_at": "2026-12-02T12:00:00+00:00", "latest": {"version": '
        b'"0.2.0", "page": "https://pypi.org/project/deepgram-balance-tray/0.2.0/"}, '
        b'"notified": "0.2.0"}'
    )
    assert decode(written) == UpdateMemory(NOON, RELEASE, "0.2.0")
