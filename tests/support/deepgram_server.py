"""A stand-in for Deepgram's Management API: a real HTTP/1.1 server on 127.0.0.1, port 0.

It answers the documented shapes (`/v1/projects`, `/v1/projects/{id}/balances[/{balance_id}]`),
refuses unknown keys with the old error shape, Member keys with the new one, unknown paths with
plain text, and can be told to misbehave on any path (`fail`): any status and body, hang, drop the
connection, truncate, trickle, redirect or send a huge body. Every request is recorded, so tests can
count calls, check headers and see which connection carried them.

Keys and projects may belong to an account (`add_key(..., account="b")`, `add_project(...,
account="b")`): a key of account B lists only B's projects and is refused another account's
(`foreign_project_refusal`). Keys added without an account see every project, as one account.
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
    """Deepgram's older error shape, e.g. 401 INVALID_AUTH (see DOCUMENTED_ERRORS)."""
    return {"err_code": code, "err_msg": message, "request_id": str(uuid.uuid4())}


def new_error(category: str, message: str, details: str = "") -> dict[str, Any]:
    """Deepgram's newer error shape, e.g. 403 UNAUTHORIZED (see DOCUMENTED_ERRORS)."""
    return {
        "category": category,
        "message": message,
        "details": details,
        "request_id": str(uuid.uuid4()),
    }


@dataclass(frozen=True)
class DocumentedError:
    """An error response exactly as Deepgram's published material shows it."""

    status: int
    body: bytes
    content_type: str = "application/json"

    def fault(self, **options: Any) -> Fault:
        """Serve this answer on the paths given to `FakeDeepgram.fail`."""
        return Fault(
            status=self.status,
            body=self.body,
            headers={"Content-Type": self.content_type},
            **options,
        )


def _documented_json(**fields: str) -> bytes:
    return json.dumps(fields).encode()


# The sources, quoted word for word (request ids too; "uuid" is what the docs page writes):
#   ERRORS_PAGE: deepgram/deepgram-docs fern/docs/errors.mdx (https://developers.deepgram.com/docs/errors)
#   SPEC: deepgram/deepgram-api-specs openapi.yml, components/responses, as of commit c9c07141 (the
#   newer versions dropped the examples); the paths name which calls may answer each one.
DOCUMENTED_ERRORS: dict[str, DocumentedError] = {
    # ERRORS_PAGE "401 Incorrect API key"; SPEC `unauthorized`.
    "invalid_auth": DocumentedError(
        401,
        _documented_json(
            err_code="INVALID_AUTH", err_msg="Invalid credentials.", request_id="uuid"
        ),
    ),
    # ERRORS_PAGE "401 Insufficient permissions".
    "insufficient_permissions": DocumentedError(
        401,
        _documented_json(
            err_code="INSUFFICIENT_PERMISSIONS",
            err_msg="User does not have sufficient permissions.",
            request_id="uuid",
        ),
    ),
    # ERRORS_PAGE "403 Insufficient permissions" (a model the project may not use); SPEC
    # `insufficient_permissions`.
    "model_access": DocumentedError(
        403,
        _documented_json(
            err_code="INSUFFICIENT_PERMISSIONS",
            err_msg="Project does not have access to the requested model.",
            request_id="uuid",
        ),
    ),
    # SPEC `authentication_failed`: the only 403 documented for /v1/projects and .../balances.
    "authentication_failed": DocumentedError(
        403,
        _documented_json(
            category="UNAUTHORIZED",
            message="Authentication failed.",
            details="Check that you are using the correct credentials.",
            request_id="123456-7890-1234-5678-901234",
        ),
    ),
    # SPEC `project_unauthorized`: the 401 documented for .../billing/breakdown and billing/fields.
    "project_unauthorized": DocumentedError(
        401, b"User does not have sufficient permissions.", "text/plain"
    ),
    # ERRORS_PAGE "404 Project not found" (no request_id there).
    "project_not_found": DocumentedError(
        404, _documented_json(err_code="PROJECT_NOT_FOUND", err_msg="Project not found.")
    ),
    # SPEC `project_not_found`: the 404 documented for .../balances.
    "not_found": DocumentedError(
        404,
        _documented_json(
            category="NOT_FOUND",
            message="A project with the submitted ID cannot be found.",
            details="Check that you have submitted the intended project ID and that the project "
            "has not been deleted.",
            request_id="123456-7890-1234-5678-901234",
        ),
    ),
    # ERRORS_PAGE "404 UUID parsing failed".
    "uuid_parsing_failed": DocumentedError(
        404,
        b"UUID parsing failed: invalid character: expected an optional prefix of `urn:uuid:` "
        b"followed by [0-9a-zA-Z], found `p` at 1",
        "text/plain",
    ),
    # ERRORS_PAGE "429 Rate limit exceeded".
    "too_many_requests": DocumentedError(
        429,
        _documented_json(
            err_code="TOO_MANY_REQUESTS",
            err_msg="Too many requests. Please try again later",
            request_id="uuid",
        ),
    ),
    # ERRORS_PAGE "503 Service Unavailable": note `error_code`, not `err_code`.
    "service_unavailable": DocumentedError(
        503,
        _documented_json(
            error_code="Service Unavailable",
            err_msg="Please try again later",
            request_id="[unique_request_id]",
        ),
    ),
}
# What a Member key gets is not documented; these are the documented permission refusals for each
# call (ERRORS_PAGE's general one where the SPEC lists none), so a Member key sees a real shape.
MEMBER_REFUSAL = DOCUMENTED_ERRORS["insufficient_permissions"]
MEMBER_BILLING_REFUSAL = DOCUMENTED_ERRORS["project_unauthorized"]


# --- orders and balances as Deepgram publishes them ----------------------------------------------

PURCHASES_DEFAULT_LIMIT = 10
PURCHASES_MAX_LIMIT = 1000
"""`limit` of `/purchases`: "Default 10. Range [1, 1000]" (developers.deepgram.com
reference/manage/billing/purchases/get); there is no page parameter."""

# deepgram/deepgram-python-sdk wiremock/wiremock-mappings.json, "List Project Purchases - default"
# (commit 00fd08f3); the reference page above shows the same order, `created` with microseconds.
DOCUMENTED_ORDER: dict[str, Any] = {
    "order_id": "025e19ba-b6d9-4a04-9f99-4fe715aca5f1",
    "expiration": "2026-03-04T00:00:00Z",
    "created": "2023-02-21T21:13:40Z",
    "amount": 150,
    "units": "usd",
    "order_type": "promotional",
}

# The same file, "Get Project Balances - default": placeholder values, so the ids and units here
# are replaced by each test (units "usd", ids that tie a balance to its order).
DOCUMENTED_BALANCE: dict[str, Any] = {
    "balance_id": "balance_id",
    "amount": 1.1,
    "units": "units",
    "purchase_order_id": "purchase_order_id",
}


def documented_order(**changes: Any) -> dict[str, Any]:
    """DOCUMENTED_ORDER with some fields changed (`expiration`, `amount`, `order_id` …)."""
    return DOCUMENTED_ORDER | changes


def documented_balance(**changes: Any) -> dict[str, Any]:
    """DOCUMENTED_BALANCE with some fields changed."""
    return DOCUMENTED_BALANCE | changes


def older_balance(**changes: Any) -> dict[str, Any]:
    """A balance naming its order `purchase`, as deepgram/deepgram-dotnet-sdk
    Deepgram/Records/GetProjectBalanceResponse.cs (JsonPropertyName "purchase") reads it."""
    balance = documented_balance(**changes)
    balance["purchase"] = balance.pop("purchase_order_id")
    return balance


def purchases_limit(text: str | None) -> int | None:
    """The page size a `limit` asks for; None when it is outside what Deepgram documents.

    The spec types it a double (the SDKs' wire tests send `1.1`): its whole part counts.
    """
    if text is None:
        return PURCHASES_DEFAULT_LIMIT
    try:
        limit = int(float(text))
    except (ValueError, OverflowError):  # not a number, nan, inf
        return None
    return limit if 1 <= limit <= PURCHASES_MAX_LIMIT else None


class FakeDeepgram:
    def __init__(self, *, latency: float = 0.0) -> None:
        self.keys: dict[str, str] = {}
        self.key_accounts: dict[str, str] = {}
        """key -> its account, for keys added with one (the others see every project)."""
        self.project_accounts: dict[str, str] = {}
        """project id -> its account, for projects added with one."""
        self.foreign_project_refusal: DocumentedError = DOCUMENTED_ERRORS["not_found"]
        """The answer to a key asking for another account's project: the documented 404 of
        .../balances (Deepgram does not say which it sends; DOCUMENTED_ERRORS'
        `authentication_failed` is the documented 403, to try the other)."""
        self.projects: list[dict[str, Any]] = []
        self.balances: dict[str, list[Any]] = {}
        self.requests: list[RecordedRequest] = []
        self.daily_spend: dict[str, dict[str, Any]] = {}
        """project id -> {"YYYY-MM-DD": dollars} for billing/breakdown."""
        self.breakdown_answers: dict[str, dict[str, Any]] = {}
        """project id -> a whole billing/breakdown answer (see `billing_breakdown`), served
        instead of the one built from `daily_spend`: another resolution, a multi-day result."""
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

    def add_key(self, key: str, role: str = OWNER, *, account: str | None = None) -> None:
        """`account`: the key sees only that account's projects (None: every project)."""
        self.keys[key] = role
        if account is not None:
            self.key_accounts[key] = account

    def add_project(
        self, project_id: str, name: str, balances: list[Any], *, account: str | None = None
    ) -> None:
        """`account`: only keys of that account (and keys of none) see it."""
        self.projects.append({"project_id": project_id, "name": name})
        self.balances[project_id] = balances
        if account is not None:
            self.project_accounts[project_id] = account

    def sees(self, key: str, project_id: str) -> bool:
        """Whether `key` may see the project: a key of an account sees only that account's."""
        account = self.key_accounts.get(key)
        return account is None or self.project_accounts.get(project_id) == account

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
        assert key is not None
        if path == "/v1/projects":
            with fake._lock:
                projects = [p for p in fake.projects if fake.sees(key, p["project_id"])]
            self._send_json(200, {"projects": projects})
            return
        # Another account's project: refused on every path under it, as a foreign id is.
        asked = re.match(r"/v1/projects/([^/]+)", path)
        if asked is not None and asked[1] in fake.balances and not fake.sees(key, asked[1]):
            refusal = fake.foreign_project_refusal
            self._send(refusal.status, refusal.body, refusal.content_type)
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
            self._send(MEMBER_REFUSAL.status, MEMBER_REFUSAL.body, MEMBER_REFUSAL.content_type)
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
            refusal = MEMBER_BILLING_REFUSAL if what == "billing/breakdown" else MEMBER_REFUSAL
            self._send(refusal.status, refusal.body, refusal.content_type)
            return
        if what == "purchases":
            self._purchases(project_id)
            return
        query = dict(p.split("=", 1) for p in self.path.partition("?")[2].split("&") if "=" in p)
        start, end = query.get("start", ""), query.get("end", "")
        with fake._lock:
            answer = fake.breakdown_answers.get(project_id)
            spend = sorted(fake.daily_spend.get(project_id, {}).items())
        if answer is None:
            days = [breakdown_result(dollars, day, day) for day, dollars in spend]
            answer = billing_breakdown(start, end, [r for r in days if start <= day_of(r) <= end])
        self._send_json(200, answer)

    def _purchases(self, project_id: str) -> None:
        """One page of orders, newest first: `limit` (default 10) within 1 to 1000, else a 400.

        Deepgram documents the range and the default, not the order: newest first is a plausible
        one that is not the order of the expiry dates, so a client that stops at a page misses
        an order. The reference page lists a 400 for this call without its body; the new error
        shape is used here.
        """
        query = dict(p.split("=", 1) for p in self.path.partition("?")[2].split("&") if "=" in p)
        limit = purchases_limit(query.get("limit"))
        if limit is None:
            self._send_json(
                400,
                new_error(
                    "INVALID_QUERY_PARAMETER",
                    "limit must be a number from 1 to 1000.",
                    f"limit={query.get('limit')}",
                ),
            )
            return
        with self.server.fake._lock:
            orders = list(self.server.fake.orders.get(project_id, []))
        newest_first = sorted(orders, key=lambda o: str(o.get("created") or ""), reverse=True)
        self._send_json(200, {"orders": newest_first[:limit]})

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


# --- billing/breakdown answers -------------------------------------------------------------------
# Shape from Deepgram's published examples, which agree with each other:
#   deepgram/deepgram-python-sdk wiremock/wiremock-mappings.json, mapping "Get Project Billing
#     Breakdown - default" (id 555b6751-587f-400c-bf5e-400e108ad6b4);
#   deepgram/deepgram-js-sdk tests/wire/manage/v1/projects/billing/breakdown.test.ts, "list (1)";
#   the reference page developers.deepgram.com/reference/manage/billing/breakdown/get.
# `start` and `end` echo the query, `resolution` is {"units": "day", "amount": 1} in every example
# ("billing data is always grouped by date"), each result is `dollars` (a number) and a `grouping`
# whose `start` == `end` for a one-day result. Its accessor, deployment, line_item and tags are
# filled in the examples because they asked for grouping=[deployment, line_item]; they are
# null-able in the spec (deepgram/deepgram-api-specs openapi.yml), and null here, where the app
# asks for no grouping. No billed spend is an empty `results` list.

DAY_RESOLUTION: dict[str, Any] = {"units": "day", "amount": 1}

PUBLISHED_BREAKDOWN: dict[str, Any] = {
    "start": "2025-01-16",
    "end": "2025-01-23",
    "resolution": {"units": "day", "amount": 1},
    "results": [
        {
            "dollars": 0.25,
            "grouping": {
                "start": "2025-01-16",
                "end": "2025-01-16",
                "accessor": "123456789012345678901234",
                "deployment": "hosted",
                "line_item": "streaming::nova-3",
                "tags": ["tag1", "tag2"],
            },
        }
    ],
}
"""The published example word for word (both SDK sources above carry the same body)."""


def breakdown_result(dollars: Any, start: str, end: str) -> dict[str, Any]:
    """One result in the published shape, not grouped by anything but its dates."""
    grouping = {
        "start": start,
        "end": end,
        "accessor": None,
        "deployment": None,
        "line_item": None,
        "tags": None,
    }
    return {"dollars": dollars, "grouping": grouping}


def billing_breakdown(
    start: str,
    end: str,
    results: list[dict[str, Any]],
    resolution: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A whole billing/breakdown answer in the published shape (day resolution unless given)."""
    return {
        "start": start,
        "end": end,
        "resolution": dict(DAY_RESOLUTION if resolution is None else resolution),
        "results": results,
    }


def day_of(result: dict[str, Any]) -> str:
    """The first day a result covers, as the API writes it."""
    return str(result["grouping"]["start"])
