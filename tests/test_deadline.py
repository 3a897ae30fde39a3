"""One deadline per HTTP call: when it passes, the call's sockets are shut down under it.

Sockets here are real loopback TCP connections; the HTTP cases go through `DeadlineAdapter` to a
raw-socket server that accepts a request and never answers (or to the keep-alive test server),
with a read timeout far beyond the deadline, so only the deadline can end the wait in time.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from tests.conftest import REPO_ROOT
from tests.support.deepgram_server import FakeDeepgram, Fault
from tests.support.hostile_server import HostileServer, Reply
from trayapp.deepgram import deadline as deadline_module
from trayapp.deepgram.deadline import Deadline, DeadlineAdapter, deadline

SLACK = 3.0
"""How late a cut may come on a loaded machine; without the deadline a wait takes 30 s."""
PATIENT = (5.0, 30.0)
"""requests' connect and read timeouts in the HTTP cases: far longer than any deadline here."""

proc_fds = pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="counts open descriptors in /proc"
)


@contextlib.contextmanager
def connection() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A connected loopback TCP pair: (ours, the peer's)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        ours = socket.create_connection(listener.getsockname())
        peer, _ = listener.accept()
    with ours, peer:
        yield ours, peer


@contextlib.contextmanager
def running(watch: Deadline) -> Iterator[Deadline]:
    """The deadline's timer running for the block, and ended after it whatever happens."""
    watch.start()
    try:
        yield watch
    finally:
        watch.end()


def seconds_until_cut(sock: socket.socket, limit: float = 5.0) -> float:
    """Block reading `sock` until it is shut down; fail if data comes or `limit` passes first."""
    sock.settimeout(limit)
    started = time.monotonic()
    assert sock.recv(1) == b"", "the socket was not shut down but sent data"
    return time.monotonic() - started


def is_cut(sock: socket.socket) -> bool:
    """Whether a read on `sock` returns at once with the end of the stream."""
    sock.settimeout(0.0)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def wait_until(condition: object, limit: float = 5.0) -> bool:
    assert callable(condition)
    ends = time.monotonic() + limit
    while not condition():
        if time.monotonic() > ends:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.trust_env = False
        adapter = DeadlineAdapter()
        s.mount("http://", adapter)
        yield s


@pytest.fixture
def silent_server() -> Iterator[HostileServer]:
    """Takes each request and never answers."""
    with HostileServer(lambda request: Reply(hang=True)) as server:
        yield server


# --- the Deadline itself --------------------------------------------------------------------------


def test_a_read_blocked_on_a_guarded_socket_returns_at_the_deadline() -> None:
    watch = Deadline(0.3)
    with connection() as (ours, _peer):
        watch.guard(ours)
        with running(watch):
            waited = seconds_until_cut(ours)
    assert 0.25 <= waited < 0.3 + SLACK
    assert watch.expired


def test_a_deadline_of_zero_or_less_cuts_at_once() -> None:
    """A refresh with no time left gives its last call no grace second."""
    for seconds in (0.0, -2.0):
        watch = Deadline(seconds)
        assert watch.expired
        with connection() as (ours, _peer):
            watch.guard(ours)
            with running(watch):
                waited = seconds_until_cut(ours)
        assert waited < 0.9  # well before a second


def test_a_deadline_is_expired_from_the_instant_it_is_reached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """By the clock alone, before its timer has run (the client asks right after a failure)."""
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(deadline_module, "time", SimpleNamespace(monotonic=lambda: clock.now))
    assert Deadline(0.0).expired
    assert Deadline(-1.0).expired
    watch = Deadline(5.0)
    assert not watch.expired
    clock.now = 1004.999
    assert not watch.expired
    clock.now = 1005.0
    assert watch.expired


def test_a_socket_guarded_after_the_deadline_is_cut_at_once() -> None:
    """A connection made (or reused) after the time is up must not wait for anything."""
    watch = Deadline(0.0)
    with connection() as (first, _peer), connection() as (late, _late_peer):
        watch.guard(first)
        with running(watch):
            seconds_until_cut(first)  # the timer has run
            watch.guard(late)
            assert is_cut(late)


def test_a_socket_the_server_reset_does_not_stop_the_others_being_cut() -> None:
    """Shutting down a reset connection fails (not connected); the cut goes on regardless."""
    watch = Deadline(0.2)
    with connection() as (reset, peer), connection() as (ours, _peer):
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        peer.close()  # an RST, not a FIN
        with contextlib.suppress(OSError):
            reset.recv(1)
        watch.guard(reset)
        watch.guard(ours)
        with running(watch):
            seconds_until_cut(ours)
            watch.guard(reset)  # after the deadline: cut at once, which fails quietly


def test_a_sockets_own_timeout_is_left_to_it() -> None:
    """Before the deadline, a guarded socket carries data as usual."""
    watch = Deadline(30.0)
    with connection() as (ours, peer):
        watch.guard(ours)
        with running(watch):
            peer.sendall(b"hi")
            ours.settimeout(5)
            assert ours.recv(2) == b"hi"
            assert not watch.expired


@proc_fds
def test_ending_lets_go_of_the_duplicates_and_the_timer_but_not_the_socket() -> None:
    threads = threading.active_count()
    with connection() as (ours, peer):
        descriptors = open_descriptors()
        watch = Deadline(30.0)
        watch.guard(ours)
        watch.guard(ours)
        watch.start()
        watch.end()
        assert open_descriptors() <= descriptors
        assert wait_until(lambda: threading.active_count() <= threads)
        peer.sendall(b"still open")
        ours.settimeout(5)
        assert ours.recv(10) == b"still open"


def test_a_pending_deadline_does_not_keep_the_process_alive() -> None:
    """The timer is a daemon thread: a process that ends mid-call ends now, not at the deadline."""
    code = "from trayapp.deepgram.deadline import Deadline; Deadline(20).start()"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    started = time.monotonic()
    completed = subprocess.run([sys.executable, "-c", code], env=env, timeout=15, check=False)
    assert completed.returncode == 0
    assert time.monotonic() - started < 10


# --- deadline() and the adapter -------------------------------------------------------------------


def test_a_call_inside_a_deadline_ends_when_it_passes(
    session: requests.Session, silent_server: HostileServer
) -> None:
    started = time.monotonic()
    with deadline(0.5) as call, pytest.raises(requests.RequestException):
        session.get(silent_server.base_url + "/v1/projects", timeout=PATIENT)
    assert time.monotonic() - started < 0.5 + SLACK
    assert call.expired
    assert len(silent_server.requests) == 1


def test_a_call_through_an_http_proxy_ends_at_the_deadline(
    session: requests.Session, silent_server: HostileServer
) -> None:
    """A proxy that takes the request and sits on it holds the call no longer than a server."""
    proxies = {"http": silent_server.base_url}
    started = time.monotonic()
    with deadline(0.5), pytest.raises(requests.RequestException):
        session.get("http://api.example.test/v1/projects", timeout=PATIENT, proxies=proxies)
    assert time.monotonic() - started < 0.5 + SLACK
    assert [r.path for r in silent_server.requests] == ["http://api.example.test/v1/projects"]


def test_a_kept_alive_connection_is_cut_on_its_next_call() -> None:
    """The second call reuses the first one's connection, which no new socket guards."""
    with FakeDeepgram() as server, requests.Session() as session:
        session.trust_env = False
        session.mount("http://", DeadlineAdapter())
        with deadline(30):
            assert session.get(server.base_url + "/v1/projects", timeout=PATIENT).status_code
        server.fail("^/v1/projects$", Fault(action="hang"))
        started = time.monotonic()
        with deadline(0.5), pytest.raises(requests.RequestException):
            session.get(server.base_url + "/v1/projects", timeout=PATIENT)
        assert time.monotonic() - started < 0.5 + SLACK
        first, second = server.requests
        assert first.connection == second.connection


def test_a_call_after_a_deadline_passed_is_not_cut_by_it(
    session: requests.Session,
) -> None:
    ok = HostileServer(lambda request: Reply(body=b"{}"))
    with ok, connection() as (ours, _peer):
        with deadline(0.0) as old:
            old.guard(ours)
            seconds_until_cut(ours)  # its timer has run: it would cut anything now
        response = session.get(ok.base_url + "/v1/projects", timeout=PATIENT)
    assert response.content == b"{}"


@proc_fds
def test_a_call_leaves_no_descriptor_or_thread_behind(session: requests.Session) -> None:
    threads = threading.active_count()
    with HostileServer(lambda request: Reply(body=b"{}")) as ok:
        session.get(ok.base_url, timeout=PATIENT)  # the pool and its imports, made once
        descriptors = open_descriptors()
        for _ in range(3):
            with deadline(30):
                assert session.get(ok.base_url, timeout=PATIENT).content == b"{}"
        session.close()
        assert open_descriptors() <= descriptors
    assert wait_until(lambda: threading.active_count() <= threads)
