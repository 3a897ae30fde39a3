"""The client against a hostile server, fast: each call's and each refresh's deadline, no proxy
for a loopback API, duplicates counted once, and the edges of what an answer may be.

Served by the raw-socket server of tests/support/hostile_server.py, which sends exactly the bytes
a case scripts (and records what it was asked), or by the keep-alive test server where a case
needs latency. The CLI-level suite (test_hostile_server.py) runs the same attacks end to end.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import OWNER_KEY
from tests.support.deepgram_server import FakeDeepgram
from tests.support.hostile_server import HostileServer, Reply, Request, json_reply
from trayapp.deepgram import client as client_module
from trayapp.deepgram.client import DeepgramClient, TokenAuth
from trayapp.deepgram.models import Balance, Project, Timeouts
from trayapp.errors import (
    ApiError,
    ConfigError,
    MalformedResponseError,
    NetworkError,
    ServerError,
)

KEY = OWNER_KEY
FAST = Timeouts(connect=1.0, read=1.0, total=2.0, refresh=3.0)
SLACK = 3.0
"""How late a deadline may be kept on a loaded machine; without it the cases take far longer."""
TIMED_OUT = "127.0.0.1 did not answer in time: check your internet connection and try again."


def balance(balance_id: str, amount: Any) -> dict[str, Any]:
    return {"balance_id": balance_id, "amount": amount, "units": "usd"}


def api(
    projects: Sequence[str | tuple[str, str]],
    balances: dict[str, Reply | list[dict[str, Any]]] | None = None,
    *,
    other: Callable[[Request], Reply] | None = None,
) -> Callable[[Request], Reply]:
    """`/v1/projects` lists `projects` (ids, or (id, name) pairs); each project's balances are its
    entry in `balances`, a list of balance objects or a Reply sent as it is."""
    listed = [
        {"project_id": p, "name": p} if isinstance(p, str) else {"project_id": p[0], "name": p[1]}
        for p in projects
    ]

    def script(request: Request) -> Reply:
        path = request.path.split("?")[0]
        if path == "/v1/projects":
            return json_reply({"projects": listed})
        match = re.fullmatch(r"/v1/projects/([^/]+)/balances", path)
        if match:
            answer = (balances or {}).get(match.group(1), [])
            return answer if isinstance(answer, Reply) else json_reply({"balances": answer})
        return other(request) if other else Reply(status_line=b"HTTP/1.1 404 Not Found")

    return script


def balance_paths(server: HostileServer) -> list[str]:
    return [r.path for r in server.requests if r.path.endswith("/balances")]


_SHARED: list[HostileServer] = []


@pytest.fixture(scope="module", autouse=True)
def shared_server() -> Iterator[None]:
    """One server for the cases that leave nothing running on it; each gives it its script."""
    with HostileServer(lambda request: Reply()) as server:
        _SHARED.append(server)
        yield
        _SHARED.clear()


@contextlib.contextmanager
def served(
    script: Callable[[Request], Reply], *, fresh: bool = False, **options: Any
) -> Iterator[tuple[HostileServer, DeepgramClient]]:
    """A client of a server running `script`: the shared one, or a `fresh` one for answers that
    keep its threads busy after the client has given up (trickles)."""
    options.setdefault("timeouts", FAST)
    with contextlib.ExitStack() as stack:
        if fresh:
            server = stack.enter_context(HostileServer(script))
        else:
            server = _SHARED[0]
            server.script, server.requests = script, []
        yield server, stack.enter_context(DeepgramClient(server.base_url, KEY, **options))


# --- each call's deadline -------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["status", "headers", "body"])
def test_a_trickled_answer_ends_at_the_calls_deadline(where: str) -> None:
    """A byte every 0.1 s never trips the 1 s read timeout; the whole answer would take a minute."""
    body = b'{"projects": []}' + b" " * 500
    reply = Reply(body=body, trickle=0.1, trickle_from=where)
    timeouts = Timeouts(connect=1.0, read=1.0, total=0.5, refresh=30.0)
    with served(lambda request: reply, fresh=True, timeouts=timeouts) as (_, client):
        started = time.monotonic()
        with pytest.raises(NetworkError) as info:
            client.list_projects()
    assert time.monotonic() - started < 0.5 + SLACK
    assert info.value.message == TIMED_OUT


def test_a_body_that_stops_coming_trips_the_read_timeout() -> None:
    """Headers, then silence: the read timeout (0.3 s) ends it long before the call's (30 s)."""
    reply = Reply(body=b'{"projects": []}', trickle=30, trickle_from="body")
    timeouts = Timeouts(connect=1.0, read=0.3, total=30.0, refresh=60.0)
    with served(lambda request: reply, fresh=True, timeouts=timeouts) as (_, client):
        started = time.monotonic()
        with pytest.raises(NetworkError) as info:
            client.list_projects()
    assert time.monotonic() - started < 0.3 + SLACK
    assert info.value.message == TIMED_OUT


# --- each refresh's deadline ----------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The client's clock (only the client's: the deadline's timer keeps real time)."""
    fake = FakeClock()
    monkeypatch.setattr(client_module, "time", fake)
    return fake


@pytest.fixture
def call_limits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The limit each call was started with. The cut itself is tested above; here the real
    deadline gets at least 5 s, so that a loaded machine cannot time a call out."""
    limits: list[float] = []
    real = client_module.deadline  # type: ignore[attr-defined]

    def recording(seconds: float) -> Any:
        limits.append(seconds)
        return real(max(seconds, 5.0))

    monkeypatch.setattr(client_module, "deadline", recording)
    return limits


def test_a_refresh_starts_no_call_once_its_time_is_up(
    clock: FakeClock, call_limits: list[float]
) -> None:
    """Each answer takes the time below on the client's clock; the refresh has 10 s. A call gets
    what is left of them when that is less than its own 30 s, and none starts with nothing left."""
    takes = {"p1": 4.5, "p2": 5.0, "p3": 0.5}
    script = api(["p1", "p2", "p3", "p4", "p5"])

    def timed(request: Request) -> Reply:
        project = request.path.split("/")[3] if request.path.endswith("/balances") else ""
        clock.advance(takes.get(project, 0.0))
        return script(request)

    timeouts = Timeouts(connect=1.0, read=1.0, total=30.0, refresh=10.0)
    with served(timed, timeouts=timeouts, max_workers=1) as (server, client):
        snapshot = client.fetch_snapshot()
        assert call_limits == [10.0, 10.0, 5.5, 0.5]
        assert balance_paths(server) == [f"/v1/projects/p{n}/balances" for n in (1, 2, 3)]
        errors = [p.error for p in snapshot.projects]
        assert errors[:3] == [None] * 3
        for error in errors[3:]:
            assert isinstance(error, NetworkError) and error.message == TIMED_OUT
        # A call outside any refresh has its own limit again, however long ago the refresh ended.
        clock.advance(100.0)
        assert client.list_projects()
        assert call_limits[-1] == 30.0


def test_a_refresh_inside_a_refresh_keeps_the_outer_deadline(
    clock: FakeClock, call_limits: list[float]
) -> None:
    """A command that reads balances and then the forecast in one refresh: the inner refresh
    neither extends the outer one nor ends it."""
    timeouts = Timeouts(connect=1.0, read=1.0, total=30.0, refresh=10.0)
    with served(api(["p1"]), timeouts=timeouts) as (_, client):
        with client.refresh():
            clock.advance(8.0)
            with client.refresh():
                client.list_projects()
            client.list_projects()
        client.list_projects()
    assert call_limits == [2.0, 2.0, 30.0]


def test_slow_projects_end_at_the_refreshs_deadline() -> None:
    """Six projects, two at a time, each held to its 2 s call limit: 6 s without a deadline for
    the whole refresh (1 s)."""
    slow = Reply(body=b'{"balances": []}' + b" " * 200, trickle=0.2, trickle_from="body")
    projects = [f"p{n}" for n in range(6)]
    timeouts = Timeouts(connect=1.0, read=1.0, total=2.0, refresh=1.0)
    script = api(projects, dict.fromkeys(projects, slow))
    with served(script, fresh=True, timeouts=timeouts, max_workers=2) as (_, client):
        started = time.monotonic()
        snapshot = client.fetch_snapshot()
    assert time.monotonic() - started < 1.0 + SLACK
    for project in snapshot.projects:
        assert isinstance(project.error, NetworkError) and project.error.message == TIMED_OUT


# --- proxies --------------------------------------------------------------------------------------


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    """A proxy that refuses everything, named by every proxy variable."""
    with HostileServer(lambda request: Reply(status_line=b"HTTP/1.1 502 Bad Gateway")) as server:
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
            monkeypatch.setenv(name, server.base_url)
        yield server


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_loopback_api_is_never_reached_through_a_proxy(proxy: HostileServer, host: str) -> None:
    """Through a proxy, a plain http:// call would hand it the key in clear text."""
    with HostileServer(api(["p1"], {"p1": [balance("b1", 5)]})) as server:
        url = server.base_url.replace("127.0.0.1", host)
        with DeepgramClient(url, KEY, timeouts=FAST) as client:
            snapshot = client.fetch_snapshot()
    assert snapshot.totals == {"usd": Decimal(5)}
    assert proxy.requests == []
    assert [r.headers["authorization"] for r in server.requests] == [f"Token {KEY}"] * 2


def test_the_real_api_is_reached_through_the_configured_proxy(proxy: HostileServer) -> None:
    """Only a tunnel is asked of the proxy: the key travels inside TLS."""
    with (
        DeepgramClient("https://api.example.test", KEY, timeouts=FAST) as client,
        pytest.raises(NetworkError) as info,
    ):
        client.list_projects()
    assert info.value.message == (
        "Could not reach api.example.test (the proxy failed): check your internet connection "
        "and api_url, then try again."
    )
    (tunnel,) = proxy.requests
    assert (tunnel.method, tunnel.path) == ("CONNECT", "api.example.test:443")
    assert "authorization" not in tunnel.headers


def test_an_https_api_is_called_with_the_trust_settings_it_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "company-ca.pem"))
    with pytest.raises(ConfigError, match=r"^REQUESTS_CA_BUNDLE is set to .*company-ca\.pem"):
        DeepgramClient("https://api.example.test", KEY)


# --- duplicates -----------------------------------------------------------------------------------


def test_a_project_listed_twice_is_listed_once_as_first_named() -> None:
    with served(api([("p1", "One"), ("p2", "Two"), ("p1", "Again")])) as (_, client):
        assert client.list_projects() == [Project("p1", "One"), Project("p2", "Two")]


def test_a_project_asked_for_twice_is_read_once() -> None:
    with served(api(["p1"], {"p1": [balance("b1", 10)]})) as (server, client):
        snapshot = client.fetch_snapshot(["p1", "p1"])
    assert [p.project.project_id for p in snapshot.projects] == ["p1"]
    assert snapshot.totals == {"usd": Decimal(10)}
    assert balance_paths(server) == ["/v1/projects/p1/balances"]


def test_projects_given_twice_are_read_once_without_a_listing() -> None:
    given = [Project("p1", "One"), Project("p2", "Two"), Project("p1", "Again")]
    balances: dict[str, Reply | list[dict[str, Any]]] = {
        "p1": [balance("b1", 10)],
        "p2": [balance("b2", 1)],
    }
    with served(api([], balances)) as (server, client):
        snapshot = client.fetch_snapshot(projects=given)
    assert [p.project for p in snapshot.projects] == given[:2]
    assert snapshot.totals == {"usd": Decimal(11)}
    assert [r.path for r in server.requests if r.path == "/v1/projects"] == []
    assert sorted(balance_paths(server)) == ["/v1/projects/p1/balances", "/v1/projects/p2/balances"]


def test_a_balance_listed_twice_counts_once_under_the_first_project(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Twice in one project and again in another; balances without an id cannot be told apart,
    so each of those counts."""
    balances: dict[str, Reply | list[dict[str, Any]]] = {
        "p1": [balance("b1", 10), balance("b1", 10), balance("b2", 2)],
        "p2": [balance("b1", 10), balance("", 1), balance("", 1)],
        "p3": [balance("b3", 4)],
    }
    with (
        caplog.at_level(logging.INFO, logger="trayapp.deepgram.client"),
        served(api(["p1", "p2", "p3"], balances)) as (_, client),
    ):
        snapshot = client.fetch_snapshot()
    p1, p2, p3 = snapshot.projects
    assert [b.balance_id for b in p1.balances] == ["b1", "b2"]
    assert [b.balance_id for b in p2.balances] == ["", ""]
    assert p3.balances == (Balance("b3", Decimal(4), "usd"),)
    assert snapshot.totals == {"usd": Decimal(18)}
    noted = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert noted == ["Balance b1 is listed more than once: counted once"] * 2


# --- how calls are made ---------------------------------------------------------------------------


def test_each_call_says_who_it_is_and_what_it_takes() -> None:
    with served(api(["p1"])) as (server, client):
        client.fetch_snapshot()
    for request in server.requests:
        assert request.headers["authorization"] == f"Token {KEY}"
        assert request.headers["accept"] == "application/json"
        assert request.headers["user-agent"].startswith("deepgram-balance-tray/")


def test_the_key_never_shows_in_the_auth_objects_repr() -> None:
    assert repr(TokenAuth(KEY)) == "TokenAuth(<hidden>)"


def test_a_key_the_server_echoes_is_hidden_in_the_error() -> None:
    refusal = Reply(
        status_line=b"HTTP/1.1 500 Internal Server Error",
        headers=[(b"dg-request-id", KEY.upper().encode())],
        body=json.dumps({"err_msg": f"Bad key {KEY}"}).encode(),
    )
    with served(lambda request: refusal) as (_, client), pytest.raises(ServerError) as info:
        client.list_projects()
    assert info.value.message == (
        'Deepgram\'s API had a server error (HTTP 500) ("Bad key <key …f53c>"): try again in a '
        "few minutes."
    )
    assert info.value.request_id == "<key …F53C>"


def test_purchases_and_billing_ask_for_what_they_need() -> None:
    """Purchases ask for the most one page gives (1000); ids are quoted into the path."""

    def other(request: Request) -> Reply:
        if "/purchases" in request.path:
            return json_reply({"orders": [{"order_id": "o1", "amount": 150, "units": "usd"}]})
        return json_reply({"results": [{"dollars": 2, "grouping": {"start": "2026-11-02"}}]})

    with served(api([], other=other)) as (server, client):
        orders = client.purchases("p 1/x")
        spend = client.billing_breakdown("p 1/x", date(2026, 11, 1), date(2026, 11, 3))
    assert [(o.order_id, o.amount) for o in orders] == [("o1", Decimal(150))]
    assert spend == [(date(2026, 11, 2), Decimal(2))]
    assert [r.path for r in server.requests] == [
        "/v1/projects/p%201%2Fx/purchases?limit=1000",
        "/v1/projects/p%201%2Fx/billing/breakdown?start=2026-11-01&end=2026-11-03",
    ]


def test_each_call_is_logged_with_its_status_time_and_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reply = Reply(headers=[(b"dg-request-id", b"r-7\x1b[2J")], body=b'{"projects": []}')
    with (
        caplog.at_level(logging.DEBUG, logger="trayapp.deepgram.client"),
        served(lambda request: reply) as (_, client),
    ):
        client.list_projects()
    (line,) = [r.getMessage() for r in caplog.records if r.name == "trayapp.deepgram.client"]
    assert re.fullmatch(r"GET /v1/projects -> 200 in \d+\.\d{3} s \(request id r-7 \[2J\)", line)


def test_one_project_is_read_on_the_callers_thread_and_several_on_the_pool(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No thread pool is started for the common one-project case."""

    def threads_reading(project_ids: list[str]) -> set[str]:
        caplog.clear()
        with served(api(project_ids)) as (_, client):
            client.fetch_snapshot()
        return {str(r.threadName) for r in caplog.records if "/balances" in r.getMessage()}

    with caplog.at_level(logging.DEBUG, logger="trayapp.deepgram.client"):
        assert threads_reading(["p1"]) == {threading.current_thread().name}
        several = threads_reading(["p1", "p2"])
    assert several and all(name.startswith("balances") for name in several)


def test_at_most_four_balance_calls_run_at_once_by_default() -> None:
    with FakeDeepgram(latency=0.1) as server:
        server.add_key(KEY)
        for n in range(8):
            server.add_project(f"p{n}", f"P{n}", [{"amount": 1, "units": "usd"}])
        with DeepgramClient(server.base_url, KEY, timeouts=FAST) as client:
            snapshot = client.fetch_snapshot()
    assert snapshot.totals == {"usd": Decimal(8)}
    assert server.max_in_flight == 4


@pytest.mark.parametrize("workers", [0, 1])
def test_fewer_than_one_worker_means_one(workers: int) -> None:
    with FakeDeepgram(latency=0.05) as server:
        server.add_key(KEY)
        for n in range(3):
            server.add_project(f"p{n}", f"P{n}", [{"amount": 1, "units": "usd"}])
        with DeepgramClient(server.base_url, KEY, timeouts=FAST, max_workers=workers) as client:
            snapshot = client.fetch_snapshot()
    assert snapshot.totals == {"usd": Decimal(3)}
    assert server.max_in_flight == 1


@contextlib.contextmanager
def keep_alive_server() -> Iterator[tuple[str, threading.Event]]:
    """Answers one request and keeps the connection open; the event is set when the client
    closes it."""
    closed = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    connections: list[socket.socket] = []

    def serve() -> None:
        conn, _ = listener.accept()
        connections.append(conn)
        with conn, contextlib.suppress(OSError):
            conn.settimeout(30)
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            body = b'{"projects": []}'
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            conn.sendall(head + body)
            if conn.recv(1) == b"":
                closed.set()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", closed
    finally:
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        thread.join(timeout=5)
        listener.close()


def test_leaving_the_client_closes_its_kept_alive_connection() -> None:
    with keep_alive_server() as (url, closed):
        with DeepgramClient(url, KEY, timeouts=FAST) as client:
            assert client.list_projects() == []
            assert not closed.wait(0.2)  # kept alive for the next call
        assert closed.wait(5)


# --- what an answer may be ------------------------------------------------------------------------

ANSWERS_WITHOUT_DATA = {
    199: (MalformedResponseError, "The API answered with HTTP 199 and no data: check api_url."),
    204: (MalformedResponseError, "The API answered with HTTP 204 and no data: check api_url."),
    299: (MalformedResponseError, "The API answered with HTTP 299 and no data: check api_url."),
    300: (NetworkError, "The API answered with a redirect (HTTP 300) instead of data"),
    399: (NetworkError, "The API answered with a redirect (HTTP 399) instead of data"),
    400: (ServerError, "Deepgram's API answered with an unexpected HTTP 400"),
}


@pytest.mark.parametrize("status", ANSWERS_WITHOUT_DATA)
def test_statuses_at_the_edges_of_success_redirect_and_error(status: int) -> None:
    reply = Reply(status_line=f"HTTP/1.1 {status} X".encode(), body=b'{"projects": []}')
    kind, message = ANSWERS_WITHOUT_DATA[status]
    with served(lambda request: reply) as (_, client), pytest.raises(ApiError) as info:
        client.list_projects()
    assert type(info.value) is kind
    assert info.value.message.startswith(message)


def test_an_answer_of_exactly_a_megabyte_is_read_and_one_byte_more_is_refused() -> None:
    body = b'{"projects": [{"project_id": "p1"}]}'
    exactly = body + b" " * (1_000_000 - len(body))
    with served(lambda request: Reply(body=exactly)) as (_, client):
        assert client.list_projects() == [Project("p1", "p1")]
    with (
        served(lambda request: Reply(body=exactly + b" ")) as (_, client),
        pytest.raises(MalformedResponseError) as info,
    ):
        client.list_projects()
    assert info.value.message == (
        "The API's answer was larger than 1000 kB, which no balance answer is: check api_url, "
        "or whether a proxy is answering."
    )


def test_a_compressed_answer_is_read_and_a_garbled_one_is_refused() -> None:
    packed = gzip.compress(b'{"projects": [{"project_id": "p1", "name": "Zipped"}]}')
    zipped = Reply(headers=[(b"Content-Encoding", b"gzip")], body=packed)
    with served(lambda request: zipped) as (_, client):
        assert client.list_projects() == [Project("p1", "Zipped")]
    garbled = Reply(headers=[(b"Content-Encoding", b"gzip")], body=b"not gzip at all")
    with (
        served(lambda request: garbled) as (_, client),
        pytest.raises(MalformedResponseError) as info,
    ):
        client.list_projects()
    assert info.value.message == (
        "The API's answer could not be decompressed: check api_url, or whether a proxy is "
        "answering."
    )


def test_an_answer_cut_short_is_a_broken_connection() -> None:
    short = Reply(headers=[(b"Content-Length", b"100")], body=b'{"projects"', content_length=False)
    with served(lambda request: short) as (_, client), pytest.raises(NetworkError) as info:
        client.list_projects()
    assert info.value.message == (
        "The connection to 127.0.0.1 broke while reading the answer (the answer was cut short): "
        "try again."
    )


def test_a_failure_of_no_known_kind_is_named_by_its_type_not_its_text() -> None:
    """The library's text would hold the URL and its internals."""
    garbage = Reply(status_line=b"HTTP/1.1 abc")
    with served(lambda request: garbage) as (_, client), pytest.raises(NetworkError) as info:
        client.list_projects()
    assert info.value.message == (
        "Could not reach 127.0.0.1 (ConnectionError): check your internet connection and "
        "api_url, then try again."
    )
