"""A simulated week of the real tray against a test server that fails at random, on a fake clock:
it must end right, keep its log files bounded, and grow neither threads nor memory."""

from __future__ import annotations

import contextlib
import gc
import logging
import random
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import OWNER_KEY
from tests.support.deepgram_server import FakeDeepgram, Fault, new_error, old_error
from tests.support.recording_backend import RecordingIcon
from tests.support.tray_harness import QUICK_TIMEOUTS, TrayHarness
from tests.support.waiting import wait_until
from tests.test_faults import ALL_CALLS, INTERVAL, most_fetches_allowed
from trayapp.config import Settings
from trayapp.deepgram.client import DeepgramClient
from trayapp.deepgram.models import Project
from trayapp.desktop.logs import LOG_FILE_BACKUPS, LOG_FILE_BYTES, configure_tray_logging
from trayapp.tray.poller import FetchResult
from trayapp.tray.scheduler import MAX_BACKOFF

pytestmark = pytest.mark.faults

DAYS = 7
HOUR = 3600.0

# Each simulated hour the server is healthy or has one of these faults (quick ones: a week of
# hangs would take real days).
HOURLY_FAULTS: list[Fault | None] = [
    None,
    None,
    None,
    Fault(status=500, body=old_error("INTERNAL", "Oops.")),
    Fault(status=503, body="busy"),
    Fault(status=429, body=new_error("TOO_MANY_REQUESTS", "Slow."), headers={"Retry-After": "90"}),
    Fault(status=429, body=new_error("TOO_MANY_REQUESTS", "Slow.")),
    Fault(action="close"),
    Fault(status=200, body="<html>portal</html>", headers={"Content-Type": "text/html"}),
    Fault(status=200, action="truncate"),
    Fault(status=401, body=old_error("INVALID_AUTH", "Invalid credentials.")),
]


class BoundedIcon(RecordingIcon):
    max_calls = 200


def fetch_in_this_process(settings: Settings, known: list[Project] | None) -> FetchResult:
    """The fetch worker's own calls, made here rather than in a child: a week is ~2,000 polls."""
    with DeepgramClient(settings.api_url, OWNER_KEY, timeouts=QUICK_TIMEOUTS) as client:
        projects = client.list_projects() if known is None else known
        return FetchResult(client.fetch_snapshot(settings.projects, projects=projects), projects)


@pytest.fixture
def server(deepgram: FakeDeepgram) -> FakeDeepgram:
    """conftest's test server (the one cli_env points at), under the name these tests use."""
    return deepgram


@contextlib.contextmanager
def only_the_tray_log(folder: Path) -> Iterator[None]:
    """The tray's own rotating log file, and no other handler: pytest's log capture keeps every
    record in memory, which would read as the app growing."""
    from _pytest.logging import LogCaptureHandler

    root = logging.getLogger()
    capturing = [h for h in root.handlers if isinstance(h, LogCaptureHandler)]
    for handler in capturing:
        root.removeHandler(handler)
    before = list(root.handlers)
    configure_tray_logging(folder)
    try:
        yield
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)
            handler.close()
        for handler in capturing:
            root.addHandler(handler)


def app_threads() -> list[str]:
    """This process's threads, but for the test server's own (its listener and handlers)."""
    server_threads = ("fake-deepgram", "(process_request_thread)")
    return sorted(t.name for t in threading.enumerate() if not t.name.endswith(server_threads))


def app_allocations() -> int:
    """Bytes held by live allocations made in the app's own code.

    Collected first: a call's deadline and its timer refer to each other, and how many such
    finished cycles wait for the collector at the moment of the snapshot is chance, not growth.
    """
    gc.collect()
    snapshot = tracemalloc.take_snapshot()
    return sum(
        s.size
        for s in snapshot.filter_traces([tracemalloc.Filter(True, "*/trayapp/*")]).statistics(
            "filename"
        )
    )


def test_a_week_of_random_faults(server: FakeDeepgram, tmp_path: Path) -> None:
    tray_log = tmp_path / "log"
    with only_the_tray_log(tray_log):
        soak(server, tray_log)


def soak(server: FakeDeepgram, tray_log: Path) -> None:
    rng = random.Random(20261125)
    tray = TrayHarness(
        Settings(api_url=server.base_url, poll_interval=int(INTERVAL)),
        fetch=fetch_in_this_process,
        icon_class=BoundedIcon,
    )
    threads_before = app_threads()
    tracemalloc.start()
    try:
        for hour in range(DAYS * 24):
            server.clear_faults()
            fault = rng.choice(HOURLY_FAULTS)
            if fault is not None:
                server.fail(ALL_CALLS, fault)
            started = tray.clock.mono
            tray.run_for(HOUR)
            # Never a storm: in any hour, no more fetches than the backoff allows (+1 for a
            # retry scheduled in the hour before).
            assert len(tray.fetches_between(started, tray.clock.mono)) <= (
                most_fetches_allowed(HOUR, None) + 1
            )
            if hour == 23:  # after a day of warming up (caches, pools, first log file)
                memory_after_day_one = app_allocations()
        memory_at_the_end = app_allocations()
        # No thread of the app's outlives its work (each fetch's pool ends with it): the same
        # threads as before the week began.
        wait_until(lambda: app_threads() == threads_before, what=f"threads {threads_before}")

        server.clear_faults()
        tray.run_for(MAX_BACKOFF + 1)
        assert tray.poller.state.error is None and not tray.poller.state.stale
        assert tray.menu()[0] == "Total: $128.32" and tray.colour() == "green"
    finally:
        tracemalloc.stop()
        tray.close()

    assert len(tray.fetch_times) >= DAYS * 24 * 6  # it really polled all week
    growth = memory_at_the_end - memory_after_day_one
    assert growth < 64 * 1024, f"the app's own allocations grew by {growth} bytes in six days"
    logs = sorted(tray_log.iterdir())
    assert 1 <= len(logs) <= 1 + LOG_FILE_BACKUPS
    assert all(p.stat().st_size <= LOG_FILE_BYTES + 4096 for p in logs)
    assert OWNER_KEY not in "".join(p.read_text() for p in logs)
