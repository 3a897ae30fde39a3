"""What the tray remembers between update checks, and when the next one is due. Pure.

Kept in a small JSON file (the tray's `update-check.json`), so that the check stays at most daily
and the notification once per version across restarts, and the menu line shows from the start.
Losing the file costs one request and, at most, one repeated notification.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from trayapp.updates.release import Release

CHECK_EVERY = timedelta(days=1)
FORMAT = 1
"""The file's version: a file of another version is forgotten (and replaced at the next check)."""


class UpdateMemory(NamedTuple):
    checked_at: datetime | None = None
    """When PyPI was last asked (answered or not); None: never."""
    latest: Release | None = None
    """The latest final release PyPI named at the last check that it answered."""
    notified: str | None = None
    """The version the user was last told about in a notification."""


def due(memory: UpdateMemory, now: datetime) -> bool:
    """A day has passed since the last check (or there was none). A last check in the future
    means the clock was set back: how long ago it was is unknown, so it is due."""
    if memory.checked_at is None:
        return True
    age = now - memory.checked_at
    return age >= CHECK_EVERY or age < -timedelta(minutes=5)


def seconds_until_due(memory: UpdateMemory, now: datetime) -> float:
    if memory.checked_at is None or due(memory, now):
        return 0.0
    return (memory.checked_at + CHECK_EVERY - now).total_seconds()


def checked(memory: UpdateMemory, now: datetime, latest: Release | None) -> UpdateMemory:
    """After a check PyPI answered: `latest` is what it named (None: no final release)."""
    return memory._replace(checked_at=now, latest=latest)


def check_failed(memory: UpdateMemory, now: datetime) -> UpdateMemory:
    """After a check that failed: the next is tomorrow all the same (a PyPI that cannot be
    reached is not asked again at every poll), and what was known stays known."""
    return memory._replace(checked_at=now)


def encode(memory: UpdateMemory) -> bytes:
    latest = memory.latest
    return json.dumps(
        {
            "format": FORMAT,
            "checked_at": None if memory.checked_at is None else memory.checked_at.isoformat(),
            "latest": None if latest is None else {"version": latest.version, "page": latest.page},
            "notified": memory.notified,
        }
    ).encode()


def decode(data: bytes) -> UpdateMemory:
    """The memory `encode` wrote; an empty memory for anything else (a broken or foreign file
    is forgotten: the next check writes a good one)."""
    try:
        document = json.loads(data)
        if document["format"] != FORMAT:
            return UpdateMemory()
        return UpdateMemory(
            _moment(document["checked_at"]),
            _release(document["latest"]),
            _text(document["notified"]),
        )
    except (ValueError, KeyError, TypeError, RecursionError):
        return UpdateMemory()


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(_required_text(value))
    if moment.tzinfo is None:
        raise ValueError("a time without its zone")
    return moment


def _release(value: Any) -> Release | None:
    if value is None:
        return None
    return Release(_required_text(value["version"]), _required_text(value["page"]))


def _text(value: Any) -> str | None:
    return None if value is None else _required_text(value)


def _required_text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not text")
    return value
