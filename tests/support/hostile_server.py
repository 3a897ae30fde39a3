"""A deliberately hostile HTTP server on 127.0.0.1 (port 0), written on raw sockets.

`http.server` keeps its answers well-formed; this one sends exactly the bytes a test scripts:
any status line, header bytes that are not ASCII or not valid, bodies that echo the key, and any of
them a byte at a time. Each connection carries one request and is closed after its answer.

A test gives a `script(request) -> Reply`; the request's path and headers are recorded (the
Authorization header included, so a test can see where the key went).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Reply:
    status_line: bytes = b"HTTP/1.1 200 OK"
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    trickle: float = 0.0
    """Seconds between bytes of the answer from `trickle_from` on (0: all at once)."""
    trickle_from: str = "status"
    """Where the trickle starts: `status` (the first byte), `headers` or `body`."""
    content_length: bool = True
    """Add a Content-Length header for the body."""
    hang: bool = False
    """Accept the request and send nothing until the client gives up."""


def json_reply(document: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(document).encode()
    extra = [(name.encode(), value.encode()) for name, value in (headers or {}).items()]
    return Reply(
        status_line=f"HTTP/1.1 {status} X".encode(),
        headers=[(b"Content-Type", b"application/json"), *extra],
        body=body,
    )


Script = Callable[[Request], Reply]


class HostileServer:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[Request] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> HostileServer:
        self._accepting.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._accepting.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            request = _read_request(connection)
            if request is None:
                return
            self.requests.append(request)
            reply = self.script(request)
            with contextlib.suppress(OSError):
                self._send(connection, reply)

    def _send(self, connection: socket.socket, reply: Reply) -> None:
        if reply.hang:
            self._stop.wait(60)
            return
        headers = list(reply.headers)
        if reply.content_length:
            headers.append((b"Content-Length", str(len(reply.body)).encode()))
        headers.append((b"Connection", b"close"))
        head = reply.status_line + b"\r\n"
        head += b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        data = head + b"\r\n" + reply.body
        start = {
            "status": 0,
            "headers": len(reply.status_line) + 2,
            "body": len(head) + 2,
        }[reply.trickle_from]
        if reply.trickle <= 0:
            start = len(data)
        connection.sendall(data[:start])
        for index in range(start, len(data)):
            if self._stop.wait(reply.trickle):
                return
            connection.sendall(data[index : index + 1])


def _read_request(connection: socket.socket) -> Request | None:
    data = b""
    with contextlib.suppress(OSError):
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                return None
            data += chunk
    if b"\r\n\r\n" not in data:
        return None
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    request_line, *header_lines = head.split("\r\n")
    method, path, _ = request_line.split(" ", 2)
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Request(method, path, headers)


@contextlib.contextmanager
def hostile_server(script: Script) -> Iterator[HostileServer]:
    with HostileServer(script) as server:
        yield server
