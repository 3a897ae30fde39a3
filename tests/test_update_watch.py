"""The tray's update notice on a fake clock: once a day however often the tray polls, one
notification per new version, silent failures, `check_updates = false`, and a restart."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.support.clock import FakeClock, step_poller_for
from tests.support.tray_states import snapshot
from tests.support.waiting import wait_until
from trayapp.config import Settings
from trayapp.errors import ConfigError, NetworkError
from trayapp.tray.notifications import Alert
from trayapp.tray.poller import FetchResult, Poller
from trayapp.tray.scheduler import PollScheduler
from trayapp.tray.update_watch import UpdateWatcher, read_memory
from trayapp.updates.memory import UpdateMemory, encode
from trayapp.updates.release import Release

RUNNING = "0.1.0"
V020 = Release("0.2.0", "https://pypi.org/project/deepgram-balance-tray/0.2.0/")
V030 = Release("0.3.0", "https://pypi.org/project/deepgram-balance-tray/0.3.0/")
DAY = 86400.0


@dataclass
class Harness:
    clock: FakeClock
    path: Path
    answers: list[Release | Exception | None] = field(default_factory=lambda: [V020])
    """What the update source says (the last answer stays)."""
    settings: list[Settings | ConfigError] = field(default_factory=lambda: [Settings()])
    checks: list[float] = field(default_factory=list)
    """The wall time of each check."""
    shown: list[Release | None] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    running: str = RUNNING

    def check(self) -> Release | None:
        self.checks.append(self.clock.wall)
        answer = self.answers[min(len(self.checks), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def load_settings(self) -> Settings:
        if isinstance(self.settings[-1], ConfigError):
            raise self.settings[-1]
        return self.settings[-1]

    def watcher(self) -> UpdateWatcher:
        return UpdateWatcher(
            running=self.running,
            load_settings=self.load_settings,
            check=self.check,
            memory_path=self.path,
            on_update=self.shown.append,
            on_alert=self.alerts.append,
            wall_now=lambda: datetime.fromtimestamp(self.clock.wall, timezone.utc),
        )

    @property
    def offered(self) -> Release | None:
        return self.shown[-1] if self.shown else None


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    return Harness(FakeClock(), tmp_path / "cache" / "update-check.json")


def poll_for(h: Harness, watcher: UpdateWatcher, seconds: float, interval: int = 60) -> int:
    """A real poller on the fake clock, its every poll followed by the watcher's turn (as the
    tray's thread would take it when poked); how many polls there were."""
    polls: list[float] = []

    def fetch(settings: Settings, known: object) -> FetchResult:
        polls.append(h.clock.mono)
        return FetchResult(snapshot("128.32"), [])

    poller = Poller(
        load_settings=lambda: Settings(poll_interval=interval),
        fetch=fetch,
        on_alert=lambda alert: None,
        clock=h.clock.clock,
        scheduler=PollScheduler(interval, h.clock.clock, jitter=lambda: 1.0),
        after_poll=watcher.step,
    )
    step_poller_for(poller, h.clock, seconds)
    return len(polls)


def test_once_a_day_however_often_the_tray_polls(h: Harness) -> None:
    watcher = h.watcher()
    polls = poll_for(h, watcher, 3 * DAY - 1, interval=10)
    assert polls > 25_000
    start = h.checks[0]
    assert [t - start for t in h.checks] == [0, DAY, 2 * DAY]


def test_a_newer_release_is_a_menu_line_and_one_notification(h: Harness) -> None:
    watcher = h.watcher()
    poll_for(h, watcher, 2 * DAY)
    assert h.shown == [V020]  # offered once, not redrawn at every poll
    assert len(h.alerts) == 1
    assert h.alerts[0].title == "Deepgram Balance 0.2.0 is out"
    assert "You have 0.1.0" in h.alerts[0].message
    assert "Version 0.2.0 available" in h.alerts[0].message


def test_each_new_version_is_told_once(h: Harness) -> None:
    h.answers = [V020, V020, V030]
    watcher = h.watcher()
    poll_for(h, watcher, 3 * DAY)
    assert len(h.checks) == 4
    assert h.shown == [V020, V030]
    assert [a.title for a in h.alerts] == [
        "Deepgram Balance 0.2.0 is out",
        "Deepgram Balance 0.3.0 is out",
    ]


@pytest.mark.parametrize(
    "latest",
    [None, Release("0.1.0", "https://pypi.org/x/"), Release("0.0.9", "https://pypi.org/x/")],
    ids=["pre-release only", "same", "older"],
)
def test_nothing_is_offered_unless_it_is_newer(h: Harness, latest: Release | None) -> None:
    h.answers = [latest]
    watcher = h.watcher()
    watcher.step()
    assert len(h.checks) == 1
    assert h.shown == [] and h.alerts == []


def test_a_failed_check_is_silent_and_waits_a_day(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h.answers = [NetworkError("pypi.org did not answer within 20 s."), V020]
    caplog.set_level(logging.INFO)
    watcher = h.watcher()
    poll_for(h, watcher, DAY - 60)
    assert len(h.checks) == 1
    assert h.shown == [] and h.alerts == []
    assert "The update check failed (asked again in a day): pypi.org did not" in caplog.text
    poll_for(h, watcher, 120)
    assert len(h.checks) == 2 and h.shown == [V020]


def test_a_failure_keeps_what_was_known(h: Harness) -> None:
    h.answers = [V020, NetworkError("no network")]
    watcher = h.watcher()
    watcher.step()
    h.clock.advance(DAY)
    watcher.step()
    assert len(h.checks) == 2
    assert h.shown == [V020] and len(h.alerts) == 1
    assert read_memory(h.path).latest == V020


def test_a_bug_in_the_check_is_logged_and_waits_a_day_too(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h.answers = [RuntimeError("a bug")]
    watcher = h.watcher()
    watcher.step()
    watcher.step()
    assert len(h.checks) == 1
    assert "The update check failed unexpectedly" in caplog.text


def test_a_restart_within_the_day_asks_nothing_and_tells_nothing_again(h: Harness) -> None:
    h.watcher().step()
    assert len(h.checks) == 1 and len(h.alerts) == 1
    h.clock.advance(3600)
    again = h.watcher()
    again.show_remembered()  # at start-up, before any poll
    assert h.shown == [V020, V020]  # the line is back at once
    poll_for(h, again, DAY - 2 * 3600)
    assert len(h.checks) == 1 and len(h.alerts) == 1


def test_after_upgrading_the_line_is_gone(h: Harness) -> None:
    h.watcher().step()
    h.running = "0.2.0"
    upgraded = h.watcher()
    upgraded.show_remembered()
    upgraded.step()
    assert h.shown == [V020]  # nothing offered by the new version
    assert len(h.alerts) == 1


def test_check_updates_false_asks_nothing_and_takes_the_line_away(h: Harness) -> None:
    watcher = h.watcher()
    watcher.step()
    assert h.offered == V020
    h.settings.append(Settings(check_updates=False))
    h.clock.advance(2 * DAY)
    poll_for(h, watcher, DAY)
    assert len(h.checks) == 1
    assert h.offered is None


def test_off_from_the_start_asks_nothing_ever(h: Harness) -> None:
    h.settings = [Settings(check_updates=False)]
    watcher = h.watcher()
    watcher.show_remembered()
    poll_for(h, watcher, 3 * DAY)
    assert h.checks == [] and h.shown == [] and h.alerts == []
    assert not h.path.exists()


def test_notify_false_keeps_the_line_but_sends_nothing(h: Harness) -> None:
    h.settings = [Settings(notify=False)]
    watcher = h.watcher()
    watcher.step()
    assert h.shown == [V020] and h.alerts == []
    h.settings.append(Settings(notify=True))
    watcher.step()
    assert h.alerts == []  # the version was already on show


def test_a_broken_config_changes_nothing(h: Harness) -> None:
    watcher = h.watcher()
    watcher.step()
    h.settings.append(ConfigError("The config file is not valid TOML: fix it."))
    h.clock.advance(DAY)
    watcher.step()
    assert len(h.checks) == 2 and h.shown == [V020]


def test_a_cache_folder_that_cannot_be_written_still_checks_once(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h.path.mkdir(parents=True)  # a folder where the file should be
    watcher = h.watcher()
    poll_for(h, watcher, DAY - 60)
    assert len(h.checks) == 1 and len(h.alerts) == 1
    assert "Could not save the update check's state" in caplog.text


def test_the_memory_file_is_what_the_next_run_reads(h: Harness) -> None:
    h.watcher().step()
    memory = read_memory(h.path)
    assert memory.latest == V020 and memory.notified == "0.2.0"
    assert memory.checked_at == datetime.fromtimestamp(h.clock.wall, timezone.utc)


def test_a_broken_memory_file_means_a_check(h: Harness) -> None:
    h.path.parent.mkdir(parents=True)
    h.path.write_bytes(b"{not json")
    h.watcher().step()
    assert len(h.checks) == 1


def test_a_day_old_memory_means_a_check_at_the_first_poll(h: Harness) -> None:
    h.path.parent.mkdir(parents=True)
    then = datetime.fromtimestamp(h.clock.wall, timezone.utc) - timedelta(days=1)
    h.path.write_bytes(encode(UpdateMemory(then, V020, "0.2.0")))
    watcher = h.watcher()
    watcher.step()
    assert len(h.checks) == 1 and h.alerts == []


def test_the_thread_checks_after_a_poll_once_and_stops(h: Harness) -> None:
    """The real loop: nothing before the first poke, one check however many pokes."""
    checked = threading.Event()
    original: Callable[[], Release | None] = h.check

    def check() -> Release | None:
        checked.set()
        return original()

    watcher = UpdateWatcher(
        running=RUNNING,
        load_settings=h.load_settings,
        check=check,
        memory_path=h.path,
        on_update=h.shown.append,
        on_alert=h.alerts.append,
    )
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        assert not checked.wait(0.3)  # waits for the first poll to end
        for _ in range(20):
            watcher.poke()
        wait_until(lambda: h.alerts, timeout=10, what="the notification")
        for _ in range(20):
            watcher.poke()
    finally:
        watcher.stop()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert len(h.checks) == 1 and len(h.alerts) == 1 and h.shown == [V020]


def test_when_the_thread_wakes_by_itself(h: Harness) -> None:
    """With no poll to poke it: hourly at most, sooner when the day is up sooner."""
    watcher = h.watcher()
    assert watcher.seconds_until_next_turn() == 3600  # nothing known yet
    watcher.step()
    assert watcher.seconds_until_next_turn() == 3600
    h.clock.advance(DAY - 1800)
    assert watcher.seconds_until_next_turn() == 1800
    h.settings.append(Settings(check_updates=False))
    watcher.step()
    assert watcher.seconds_until_next_turn() == 3600


def test_a_config_broken_from_the_start_asks_nothing(h: Harness) -> None:
    h.settings = [ConfigError("The config file is not valid TOML: fix it.")]
    watcher = h.watcher()
    watcher.show_remembered()
    watcher.step()
    assert h.checks == [] and h.shown == []


@pytest.mark.parametrize(("size", "read"), [(64 * 1024, True), (64 * 1024 + 1, False)])
def test_a_memory_file_larger_than_64_kib_is_not_read(h: Harness, size: int, read: bool) -> None:
    h.path.parent.mkdir(parents=True)
    now = datetime.fromtimestamp(h.clock.wall, timezone.utc)
    data = encode(UpdateMemory(now, V020, "0.2.0"))
    h.path.write_bytes(data + b" " * (size - len(data)))
    h.watcher().step()
    assert len(h.checks) == (0 if read else 1)


def test_what_the_log_says(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h.path.mkdir(parents=True)  # a folder where the file should be: it cannot be read
    h.watcher().step()
    assert "Could not read the update check's state in" in caplog.text
    assert "Update check: the latest release is 0.2.0" in caplog.text


class Running:
    """The watcher's own thread, started and always stopped."""

    def __init__(self, h: Harness) -> None:
        self.loads = 0
        self.watcher = UpdateWatcher(
            running=RUNNING,
            load_settings=self.load_settings,
            check=h.check,
            memory_path=h.path,
            on_update=h.shown.append,
            on_alert=h.alerts.append,
        )
        self.h = h
        self.thread = threading.Thread(target=self.watcher.run, daemon=True)

    def load_settings(self) -> Settings:
        self.loads += 1
        return self.h.load_settings()

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.watcher.stop()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "stop() did not wake the thread"


def test_the_thread_shows_what_it_remembers_at_once(h: Harness) -> None:
    h.watcher().step()
    with Running(h):
        wait_until(lambda: len(h.shown) == 2, what="the remembered release")
    assert h.shown == [V020, V020] and len(h.checks) == 1


def test_the_thread_idles_between_pokes(h: Harness) -> None:
    """One turn per poke: it does not spin (the wake-up cleared, then a wait)."""
    with Running(h) as running:
        running.watcher.poke()
        wait_until(lambda: h.alerts, what="the check")
        wait_until(lambda: not running.watcher._poked.is_set(), what="the poke taken")
        loads = running.loads
        assert not wait_until_or_none(lambda: running.loads > loads + 2, timeout=0.5)


def test_a_bug_in_a_turn_is_logged_and_the_thread_goes_on(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    failures = [RuntimeError("a bug")]

    def on_alert(alert: Alert) -> None:
        if failures:
            raise failures.pop()
        h.alerts.append(alert)

    with Running(h) as running:
        running.watcher._on_alert = on_alert
        running.watcher.poke()
        wait_until(lambda: "Unexpected error in the update check" in caplog.text, what="the log")
        running.watcher.poke()
        wait_until(lambda: h.alerts, what="the next turn's notification")
    assert len(h.checks) == 1


def wait_until_or_none(condition: Callable[[], bool], timeout: float) -> bool:
    """Whether `condition` came true within `timeout` (a bounded wait for what must not happen)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return False
