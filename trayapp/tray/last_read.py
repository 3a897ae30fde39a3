"""The last complete read of the balances, saved on this machine for `balance --max-age`.

Bars run their command every few seconds to minutes; each run reading Deepgram would be a request
storm. The tray, `serve` and `balance` save every complete read (every watched project answered)
here, and `balance --max-age SECONDS` answers from it while it is young enough.

A saved read answers a request only when it was read from the same API base URL, covers the
projects asked for (all of them, when all were asked for), and carries a forecast when one is
asked for. It does not name the key it was read with (nothing about the key is written to disk):
`key set` and `key delete` remove it, so a new key never answers with another's figures.

Reading it never fails a command: a missing, unreadable or foreign file is no saved read.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from trayapp.deepgram.models import BalanceSnapshot
from trayapp.outlook.forecast import Forecast

log = logging.getLogger(__name__)

FORMAT = 1
"""The file's version: a file of another version is no saved read (it is simply replaced)."""
MOST_BYTES = 4 * 1024 * 1024
"""A saved read is a few kilobytes; anything much larger is not one of ours."""


class SavedRead(NamedTuple):
    snapshot: BalanceSnapshot
    forecast: Forecast | None
    api_url: str
    asked: tuple[str, ...]
    """The project ids that were asked for; empty: every project the key sees."""


def usable(
    saved: SavedRead,
    *,
    api_url: str,
    asked: Sequence[str],
    forecast: bool,
    max_age: float,
    now: datetime,
) -> BalanceSnapshot | None:
    """The saved snapshot narrowed to the projects `asked` (empty: all), or None when the saved
    read cannot answer: another URL, other projects, no forecast when one is wanted, too old, or
    from the future (a clock set back: its age is unknown)."""
    age = (now - saved.snapshot.fetched_at).total_seconds()
    if saved.api_url != api_url or not 0 <= age <= max_age:
        return None
    if forecast and saved.forecast is None:
        return None
    if not asked:
        return saved.snapshot if not saved.asked else None
    by_id = {p.project.project_id: p for p in saved.snapshot.projects}
    if not set(asked) <= set(by_id):
        return None
    return saved.snapshot._replace(projects=tuple(by_id[i] for i in dict.fromkeys(asked)))


def is_complete(snapshot: BalanceSnapshot) -> bool:
    """Worth saving: every watched project answered, so the read says the whole truth."""
    return bool(snapshot.projects) and not snapshot.errors


class ReadSaver:
    """Saves each new complete read a poller publishes: once per read, and again when its
    forecast follows (the tray and `serve` publish the same read several times: refreshing,
    aged, with the forecast)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._saved: tuple[datetime, Forecast | None] | None = None

    def offer(
        self,
        snapshot: BalanceSnapshot | None,
        forecast: Forecast | None,
        *,
        failed: bool,
        api_url: str,
        asked: tuple[str, ...],
    ) -> None:
        """`failed`: the latest read failed, so `snapshot` is an older one kept on show."""
        if snapshot is None or failed or not is_complete(snapshot):
            return
        if self._saved == (snapshot.fetched_at, forecast):
            return
        self._saved = (snapshot.fetched_at, forecast)
        save(self._path, SavedRead(snapshot, forecast, api_url, asked))


# --- the file ----------------------------------------------------------------------------------


def save(path: Path, read: SavedRead) -> None:
    """Write `read` atomically and privately (0600); a failure is logged, never raised: saving
    is a courtesy to later commands, not part of the read."""
    from trayapp.atomic import write_atomically

    try:
        write_atomically(path, _encode(read), private=True)
    except OSError as exc:
        log.warning("Could not save the last read to %s: %s", path, exc)


def load(path: Path) -> SavedRead | None:
    """The saved read, or None when there is none this version can read (logged at debug)."""
    from trayapp.atomic import read_regular_file

    try:
        data = read_regular_file(path, MOST_BYTES)
    except FileNotFoundError:
        return None
    except OSError as exc:  # not a regular file, too big, unreadable
        log.debug("No saved read: %s", exc)
        return None
    try:
        return _decode(data)
    except (KeyError, TypeError, ValueError, ArithmeticError, RecursionError) as exc:
        log.debug("The saved read is not one this version reads: %r", exc)
        return None


def forget(path: Path) -> None:
    """Remove the saved read (a new key, or none): it must not answer for the next key."""
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("Could not remove the saved read %s: %s", path, exc)


def _encode(read: SavedRead) -> bytes:
    from trayapp.tray.worker_protocol import forecast_document, snapshot_document

    document = {
        "format": FORMAT,
        "api_url": read.api_url,
        "asked": list(read.asked),
        "snapshot": snapshot_document(read.snapshot),
        "forecast": None if read.forecast is None else forecast_document(read.forecast),
    }
    return json.dumps(document, indent=1).encode("utf-8")


def _decode(data: bytes) -> SavedRead:
    from trayapp.tray.worker_protocol import forecast_from_document, snapshot_from_document

    document: Any = json.loads(data.decode("utf-8"))
    if document["format"] != FORMAT:
        raise ValueError(f"format {document['format']!r}")
    api_url, asked = document["api_url"], document["asked"]
    if not isinstance(api_url, str) or not all(isinstance(i, str) for i in asked):
        raise TypeError("api_url or asked is not text")
    snapshot = snapshot_from_document(document["snapshot"])
    if snapshot.fetched_at.tzinfo is None:  # its age could not be told
        raise ValueError("fetched_at has no time zone")
    forecast = document["forecast"]
    return SavedRead(
        snapshot=snapshot,
        forecast=None if forecast is None else forecast_from_document(forecast),
        api_url=api_url,
        asked=tuple(asked),
    )
