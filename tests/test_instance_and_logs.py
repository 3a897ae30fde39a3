"""One tray per user, and the tray's rotating log file (which never holds the key)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import OWNER_KEY
from trayapp.desktop.logs import LOG_FILE_BACKUPS, LOG_FILE_BYTES, configure_tray_logging
from trayapp.desktop.single_instance import InstanceLock
from trayapp.redaction import remember_secret


def test_a_second_lock_is_refused_until_the_first_is_released(tmp_path: Path) -> None:
    first, second = InstanceLock(tmp_path / "tray.lock"), InstanceLock(tmp_path / "tray.lock")
    assert first.acquire()
    try:
        assert not second.acquire()
        assert second.holder_pid() == first.holder_pid() is not None
    finally:
        first.release()
    assert second.acquire()
    second.release()


def test_on_windows_the_lock_leaves_the_pid_readable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows' byte-range locks are mandatory: were the pid's bytes locked, a second tray could
    not read them to say which process runs (Wine does not enforce this, so it is checked here)."""
    locked: list[tuple[int, int]] = []

    class Msvcrt:
        LK_NBLCK = 2

        @staticmethod
        def locking(fd: int, mode: int, size: int) -> None:
            locked.append((os.lseek(fd, 0, os.SEEK_CUR), size))

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setitem(sys.modules, "msvcrt", Msvcrt)
    lock = InstanceLock(tmp_path / "tray.lock")
    assert lock.acquire()
    lock.release()
    [(start, size)] = locked
    assert start >= len(str(2**32))  # past any Windows pid (a 32-bit number)
    assert size >= 1  # a lock of no bytes would hold nothing


def test_the_holder_writes_its_own_pid_over_a_longer_stale_one(tmp_path: Path) -> None:
    path = tmp_path / "tray.lock"
    path.write_text("4000000000\n")  # left by a tray that crashed
    lock = InstanceLock(path)
    assert lock.acquire() is True
    try:
        assert path.read_text() == str(os.getpid())
        assert InstanceLock(path).acquire() is False
    finally:
        lock.release()


def test_the_lock_lives_in_the_users_runtime_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Per user and per session: XDG_RUNTIME_DIR on Linux (cleared at logout).
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    assert InstanceLock().path == runtime / "deepgram-balance-tray" / "tray.lock"
    assert InstanceLock(tmp_path / "mine.lock").path == tmp_path / "mine.lock"


def test_without_a_usable_runtime_folder_the_lock_goes_to_the_state_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # platformdirs 4.14 raises rather than fall back to a /tmp folder another user could replace
    # (seen with XDG_RUNTIME_DIR below another user's folder): the tray must still start.
    import platformdirs

    def refused(*args: object, **kwargs: object) -> str:
        raise PermissionError("runtime directory /tmp/x is below /tmp, owned by uid 1001")

    monkeypatch.setattr(platformdirs, "user_runtime_dir", refused)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    lock = InstanceLock()
    assert lock.path == tmp_path / "state" / "deepgram-balance-tray" / "tray.lock"
    assert lock.acquire()
    lock.release()


def test_the_lock_folder_is_created(tmp_path: Path) -> None:
    lock = InstanceLock(tmp_path / "deep" / "er" / "tray.lock")
    assert lock.acquire()
    lock.release()


@pytest.fixture
def tray_log(tmp_path: Path) -> Iterator[Path]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield configure_tray_logging(tmp_path / "log")
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)


def test_log_file_scrubs_the_key(tray_log: Path) -> None:
    remember_secret(OWNER_KEY)
    logging.getLogger("some.library").warning("sending Token %s", OWNER_KEY)
    text = tray_log.read_text()
    assert "sending Token <key …" in text
    assert OWNER_KEY not in text


def test_log_file_rotates_and_stays_bounded(tray_log: Path) -> None:
    log = logging.getLogger("trayapp.test")
    line = "x" * 1000
    for _ in range(6 * LOG_FILE_BYTES // 1000):
        log.info(line)
    files = sorted(tray_log.parent.iterdir())
    assert len(files) == 1 + LOG_FILE_BACKUPS
    assert sum(f.stat().st_size for f in files) <= (1 + LOG_FILE_BACKUPS) * (LOG_FILE_BYTES + 2000)
