"""`deepgram-tray stop`: the decisions (pure), the tray's side (signals) and the command itself."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli
from trayapp.commands.stop import STOP_TIMEOUT, Outcome, TrayLock, report, run_stop, stop_tray
from trayapp.desktop.single_instance import InstanceLock
from trayapp.desktop.stop_request import listen_for_stop, request_stop

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


class FakeTray:
    """A lock held until the tray has been asked and `quits_after` more looks have passed."""

    def __init__(self, *, running: bool = True, pid: int | None = 4242, quits_after: int = 0):
        self.running = running
        self.pid = pid
        self.quits_after = quits_after
        self.asked: list[int | None] = []
        self.now = 0.0

    def is_held(self) -> bool:
        if self.asked and self.quits_after <= 0:
            self.running = False
        self.quits_after -= 1 if self.asked else 0
        return self.running

    def ask(self, pid: int | None) -> bool:
        self.asked.append(pid)
        return True

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def stop(self, **kwargs: object) -> tuple[Outcome, int | None]:
        return stop_tray(
            TrayLock(is_held=self.is_held, holder_pid=lambda: self.pid),
            ask=kwargs.pop("ask", self.ask),  # type: ignore[arg-type]
            monotonic=lambda: self.now,
            sleep=self.sleep,
        )


def test_with_no_tray_nobody_is_asked() -> None:
    tray = FakeTray(running=False)
    assert tray.stop() == (Outcome.NONE_RUNNING, None)
    assert tray.asked == []


def test_the_lock_holder_is_asked_and_the_lock_is_awaited() -> None:
    tray = FakeTray(quits_after=5)
    assert tray.stop() == (Outcome.STOPPED, 4242)
    assert tray.asked == [4242]
    assert tray.now == pytest.approx(0.5)  # a look every tenth of a second: done soon after


def test_the_look_at_the_deadline_is_the_last() -> None:
    tray = FakeTray(quits_after=10**9)
    sleeps: list[float] = []

    def sleep_to_the_deadline(seconds: float) -> None:
        sleeps.append(seconds)
        tray.now = STOP_TIMEOUT  # exactly

    outcome = stop_tray(
        TrayLock(is_held=tray.is_held, holder_pid=lambda: tray.pid),
        ask=tray.ask,
        monotonic=lambda: tray.now,
        sleep=sleep_to_the_deadline,
    )
    assert outcome == (Outcome.STILL_RUNNING, 4242)
    assert len(sleeps) == 1


def test_a_tray_that_does_not_quit_is_reported_at_the_deadline() -> None:
    tray = FakeTray(quits_after=10**9)
    assert tray.stop() == (Outcome.STILL_RUNNING, 4242)
    assert STOP_TIMEOUT <= tray.now < STOP_TIMEOUT + 0.2


def test_a_holder_that_cannot_be_asked_is_reported() -> None:
    tray = FakeTray(pid=None)
    assert tray.stop(ask=lambda pid: False) == (Outcome.NOT_ASKED, None)


def test_a_tray_that_quit_before_it_was_asked_counts_as_stopped() -> None:
    tray = FakeTray()

    def gone(pid: int | None) -> bool:
        tray.running = False
        return False

    assert tray.stop(ask=gone) == (Outcome.STOPPED, 4242)


def test_what_each_outcome_says_and_exits_with() -> None:
    assert report(Outcome.NONE_RUNNING, None, windows=False) == (0, "No tray was running.")
    assert report(Outcome.STOPPED, 7, windows=False) == (0, "Stopped the tray (process 7).")
    code, message = report(Outcome.STILL_RUNNING, 7, windows=False)
    assert code == 1
    assert message == (  # the README says 15 seconds too
        "The tray (process 7) did not quit within 15 seconds: choose Quit in its menu, or end it "
        "with `kill 7`."
    )
    code, message = report(Outcome.NOT_ASKED, None, windows=False)
    assert code == 1 and message.endswith("end it from its menu.")
    assert "(process" not in message
    assert report(Outcome.STILL_RUNNING, 7, windows=True)[1].endswith("end it in Task Manager.")


@posix_only
@pytest.mark.parametrize("pid", [None, 0, 1, -1])
def test_no_signal_goes_to_a_process_group_or_to_everyone(pid: int | None) -> None:
    assert request_stop(pid) is False


@posix_only
@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_the_tray_quits_on_termination_signals(name: str) -> None:
    quit_called = threading.Event()
    undo = listen_for_stop(quit_called.set)
    try:
        os.kill(os.getpid(), getattr(signal, name))
        assert quit_called.wait(10)
    finally:
        undo()
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


@posix_only
def test_a_stale_pid_in_a_free_lock_file_is_never_signalled(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    """A crashed tray leaves its pid in the file; the number may now belong to anything."""
    runtime = tmp_path / "run"
    (runtime / "deepgram-balance-tray").mkdir(parents=True, mode=0o700)
    cli_env["XDG_RUNTIME_DIR"] = str(runtime)
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        (runtime / "deepgram-balance-tray" / "tray.lock").write_text(str(bystander.pid))
        result = run_cli(["stop"], cli_env)
        assert result.returncode == 0
        assert (result.stdout, result.stderr) == ("No tray was running.\n", "")
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_stop_with_no_lock_file_at_all(tmp_path: Path, cli_env: dict[str, str]) -> None:
    cli_env["XDG_RUNTIME_DIR"] = str(tmp_path / "nowhere")
    result = run_cli(["stop"], cli_env)
    assert (result.returncode, result.stdout) == (0, "No tray was running.\n")
    assert not (tmp_path / "nowhere").exists(), "stop creates nothing"


def test_a_held_lock_is_seen_as_held_and_a_released_one_as_free(tmp_path: Path) -> None:
    path = tmp_path / "tray.lock"
    holder, probe = InstanceLock(path), InstanceLock(path)
    assert probe.is_held() is False
    assert holder.acquire()
    try:
        assert probe.is_held() is True
        assert holder.is_held() is True  # the probe of the holder itself does not steal the lock
        assert not InstanceLock(path).acquire()
    finally:
        holder.release()
    assert probe.is_held() is False
    assert probe.acquire(), "the probe left no lock behind"
    probe.release()


class TestTheCommandInProcess:
    """run_stop itself, with the tray's lock held by this test and the asking faked."""

    @pytest.fixture
    def lock(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InstanceLock]:
        runtime = tmp_path / "run"
        runtime.mkdir(mode=0o700)
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
        monkeypatch.setattr(sys, "platform", "linux")
        held = InstanceLock()
        yield held
        held.release()

    def test_none_running(self, lock: InstanceLock, capsys: pytest.CaptureFixture[str]) -> None:
        assert run_stop(argparse.Namespace()) == 0
        assert capsys.readouterr() == ("No tray was running.\n", "")

    def test_the_holder_is_asked_and_quits(
        self,
        lock: InstanceLock,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        assert lock.acquire()
        asked: list[int | None] = []

        def quits(pid: int | None) -> bool:
            asked.append(pid)
            lock.release()  # as the tray does, last, when it has quit
            return True

        monkeypatch.setattr("trayapp.desktop.stop_request.request_stop", quits)
        assert run_stop(argparse.Namespace()) == 0
        assert asked == [os.getpid()]
        assert capsys.readouterr() == (f"Stopped the tray (process {os.getpid()}).\n", "")

    def test_a_holder_that_cannot_be_asked_fails_with_a_sentence(
        self,
        lock: InstanceLock,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        assert lock.acquire()
        monkeypatch.setattr("trayapp.desktop.stop_request.request_stop", lambda pid: False)
        assert run_stop(argparse.Namespace()) == 1
        out, err = capsys.readouterr()
        assert out == ""
        assert err == (
            f"deepgram-tray: The tray (process {os.getpid()}) is running but could not be asked "
            f"to quit: choose Quit in its menu, or end it with `kill {os.getpid()}`.\n"
        )
