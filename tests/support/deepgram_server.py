"""A stand-in for Deepgram's Management API: a real HTTP/1.1 server on 127.0.0.1, port 0.

It answers the documented shapes (`/v1/projects`, `/v1/projects/{id}/balances[/{balance_id}]`),
refuses unknown keys with the old error shape, Member keys with the new one, unknown paths with
plain text, and can be told to misbehave on any path (`fail`): any status and body, hang, drop the
connection, truncate, trickle, redirect or send a huge body. Every request is recorded, so tests can
count calls, check headers and see which connection carried them.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OWNER = "owner"
MEMBER = "member"


@dataclass
class Fault:
    """How to misbehave on matching requests. `times=None` keeps failing until cleared."""

    status: int = 500
    body: bytes | str | dict[str, Any] = b""
    headers: dict[str, str] = field(default_factory=dict)
    action: str = "respond"
    """respond | hang | close | truncate | trickle | redirect | huge"""
    times: int | None = None
    trickle_delay: float = 0.2
    huge_bytes: int = 50_000_000
    redirect_to: str = "http://127.0.0.1:9/elsewhere"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    authorization: str | None
    user_agent: str | None
    connection: int
    """A number per TCP connection: equal numbers mean keep-alive reused it."""


def old_error(code: str, message: str) -> dict[str, Any]:
    return {"err_code": code, "err_msg": message, "request_id": str(uuid.uuid4())}


def new_error(category: str, message: str, details: str = "") -> dict[str, Any]:
    return {
        "category": category,
        "message": message,
        "details": details,
        "request_id": str(uuid.uuid4()),
    }


class FakeDeepgram:
    def __init__(self, *, latency: float = 0.0) -> None:
        self.keys: dict[str, str] = {}
        self.projects: list[dict[str, Any]] = []
        self.balances: dict[str, list[Any]] = {}
        self.requests: list[RecordedRequest] = []
        self.daily_spend: dict[str, dict[str, Any]] = {}
        """project id -> {"YYYY-MM-DD": dollars} for billing/breakdown."""
        self.orders: dict[str, list[dict[str, Any]]] = {}
        """project id -> orders for purchases."""
        self.latency = latency
        self.max_in_flight = 0
        self._in_flight = 0
        self._faults: list[tuple[re.Pattern[str], Fault]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connection_ids = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- set-up ---------------------------------------------------------------------------------

    def add_key(self, key: str, role: str = OWNER) -> None:
        self.keys[key] = role

    def add_project(self, project_id: str, name: str, balances: list[Any]) -> None:
        self.projects.append({"project_id": project_id, "name": name})
        self.balances[project_id] = balances

    def set_balances(self, project_id: str, balances: list[Any]) -> None:
        with self._lock:
            self.balances[project_id] = balances

    def fail(self, path_pattern: str, fault: Fault) -> None:
        """Misbehave on requests whose path matches `path_pattern` (a regex, searched)."""
        with self._lock:
            self._faults.append((re.compile(path_pattern), fault))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def requests_to(self, path_pattern: str) -> list[RecordedRequest]:
        pattern = re.compile(path_pattern)
        with self._lock:
            return [r for r in self.requests if pattern.search(r.path)]

    # --- life cycle -----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeDeepgram:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="fake-deepgram"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release hung handlers, close kept-alive connections, join every thread."""
        self._stopping.set()
        if self._server is None:
            return
        self._server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._server.server_close()  # joins handler threads (block_on_close)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None

    def __enter__(self) -> FakeDeepgram:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- used by the handler ----------------------------------------------------------------------

    def _register(self, conn: socket.socket) -> int:
        with self._lock:
            self._connections.add(conn)
            self._connection_ids += 1
            return self._connection_ids

    def _unregister(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for pattern, fault in self._faults:
                if pattern.search(path) and (fault.times is None or fault.times > 0):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    fake: FakeDeepgram


def _enter_in_flight(fake: FakeDeepgram) -> None:
    with fake._lock:
        fake._in_flight += 1
        fake.max_in_flight = max(fake.max_in_flight, fake._in_flight)


def _leave_in_flight(fake: FakeDeepgram) -> None:
    with fake._lock:
        fake._in_flight -= 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this, Nagle's algorithm and the client's
    # delayed ACK add ~20-40 ms to every answer, which real servers do not.
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection_id = self.server.fake._register(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._unregister(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        fake = self.server.fake
        path = self.path.split("?", 1)[0]
        with fake._lock:
            fake.requests.append(
                RecordedRequest(
                    method="GET",
                    path=self.path,
                    authorization=self.headers.get("Authorization"),
                    user_agent=self.headers.get("User-Agent"),
                    connection=self.connection_id,
                )
            )
        _enter_in_flight(fake)
        try:
            if fake.latency:
                fake._stopping.wait(fake.latency)
            fault = fake._take_fault(path)
            if fault is not None:
                self._misbehave(fault)
            else:
                self._route(path)
        finally:
            _leave_in_flight(fake)

    # --- the documented behaviour ---------------------------------------------------------------

    def _route(self, path: str) -> None:
        fake = self.server.fake
        auth = self.headers.get("Authorization", "")
        key = auth[len("Token ") :] if auth.startswith("Token ") else None
        role = fake.keys.get(key) if key else None
        if role is None:
            self._send_json(401, old_error("INVALID_AUTH", "Invalid credentials."))
            return
        if path == "/v1/projects":
            with fake._lock:
                projects = list(fake.projects)
            self._send_json(200, {"projects": projects})
            return
        billing = re.fullmatch(r"/v1/projects/([^/]+)/(billing/breakdown|purchases)", path)
        if billing is not None:
            self._billing(role, *billing.groups())
            return
        match = re.fullmatch(r"/v1/projects/([^/]+)/balances(?:/([^/]+))?", path)
        if match is None:
            self._send(404, b"Not Found", "text/plain")
            return
        project_id, balance_id = match.groups()
        with fake._lock:
            balances = fake.balances.get(project_id)
        if balances is None:
            self._send_json(
                404,
                new_error("PROJECT_NOT_FOUND", "Project not found.", f"No project {project_id}."),
            )
            return
        if role == MEMBER:
            self._send_json(
                403,
                new_error(
                    "INSUFFICIENT_PERMISSIONS",
                    "You do not have sufficient permissions to access this resource.",
                    "Requires the billing:read scope.",
                ),
            )
            return
        if balance_id is None:
            self._send_json(200, {"balances": balances})
            return
        for balance in balances:
            if isinstance(balance, dict) and balance.get("balance_id") == balance_id:
                self._send_json(200, balance)
                return
        self._send(404, b"Balance not found", "text/plain")

    def _billing(self, role: str, project_id: str, what: str) -> None:
        """Spend per day (`billing/breakdown?start&end`) and orders (`purchases`), as documented."""
        fake = self.server.fake
        if project_id not in fake.balances:
            self._send_json(404, new_error("PROJECT_NOT_FOUND", "Project not found."))
            return
        if role == MEMBER:
            self._send_json(
                403, new_error("INSUFFICIENT_PERMISSIONS", "Requires the billing:read scope.")
            )
            return
        if what == "purchases":
            self._send_json(200, {"orders": fake.orders.get(project_id, [])})
            return
        query = dict(p.split("=", 1) for p in self.path.partition("?")[2].split("&") if "=" in p)
        start, end = query.get("start", ""), query.get("end", "")
        results = [
            {"dollars": dollars, "grouping": {"start": day, "end": day}}
            for day, dollars in sorted(fake.daily_spend.get(project_id, {}).items())
            if start <= day <= end
        ]
        self._send_json(
            200,
            {
                "start": start,
                "end": end,
                "resolution": {"units": "day", "amount": 1},
                "results": results,
            },
        )

    # --- misbehaviour -----------------------------------------------------------------------------

    def _misbehave(self, fault: Fault) -> None:
        fake = self.server.fake
        body = fault.body
        if isinstance(body, dict):
            data = json.dumps(body).encode()
            content_type = "application/json"
        else:
            data = body.encode() if isinstance(body, str) else body
            content_type = fault.headers.get("Content-Type", "text/plain; charset=utf-8")
        if fault.action == "respond":
            self._send(fault.status, data, content_type, fault.headers)
        elif fault.action == "hang":
            fake._stopping.wait(120)
            self.close_connection = True
        elif fault.action == "close":
            self.close_connection = True  # no answer at all: the client sees the connection drop
        elif fault.action == "truncate":
            self.send_response(fault.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data) * 2))
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True
        elif fault.action == "trickle":
            self.send_response(fault.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            for index in range(len(data)):
                if fake._stopping.wait(fault.trickle_delay) or not self._write(
                    data[index : index + 1]
                ):
                    break
            self.close_connection = True
        elif fault.action == "redirect":
            self._send(fault.status, b"", "text/plain", {"Location": fault.redirect_to})
        elif fault.action == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(fault.huge_bytes))
            self.end_headers()
            chunk = b" " * 65_536
            sent = 0
            while sent < fault.huge_bytes and not fake._stopping.is_set():
                piece = chunk[: fault.huge_bytes - sent]
                if not self._write(piece):
                    break
                sent += len(piece)
            self.close_connection = True
        else:
            raise ValueError(f"unknown fault action {fault.action!r}")

    # --- plumbing -----------------------------------------------------------------------------

    def _send_json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _send(
        self,
        status: int,
        data: bytes,
        content_type: str,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("dg-request-id", str(uuid.uuid4()))
        for name, value in (extra_headers or {}).items():
            if name.lower() != "content-type":
                self.send_header(name, value)
        self.end_headers()
        self._write(data)

    def _write(self, data: bytes) -> bool:
        try:
            self.wfile.write(data)
            self.wfile.flush()
            return True
        except OSError:  # the client gave up (timeouts, size caps): that is what tests provoke
            self.close_connection = True
            return False
