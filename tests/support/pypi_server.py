"""A stand-in for PyPI's JSON API (`GET /pypi/<name>/json`): a real HTTP/1.1 server on 127.0.0.1,
port 0, answering in PyPI's shape (`info.version`, `info.release_url`, `info.yanked`, `releases`,
`urls`), or misbehaving as told: any status and body, a hang, a trickle. Every request is recorded
whole (request line and headers), so tests can check exactly what the app sends.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROJECT = "deepgram-balance-tray"
PATH = f"/pypi/{PROJECT}/json"
NOWHERE = f"http://127.0.0.1:9{PATH}"
"""An update source nothing answers at (connections refused): the tests' default, so that no
tray a test starts ever asks the real PyPI."""


@dataclass(frozen=True)
class Seen:
    method: str
    target: str
    """The request line's target: path and query, as sent."""
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def project_document(base_url: str, version: str, *, yanked: bool = False) -> dict[str, Any]:
    """PyPI's answer for the project whose latest release is `version` (fields as PyPI sends
    them, trimmed to a few)."""
    return {
        "info": {
            "name": PROJECT,
            "version": version,
            "summary": "Your Deepgram prepaid balance in the system tray.",
            "release_url": f"{base_url}/project/{PROJECT}/{version}/",
            "package_url": f"{base_url}/project/{PROJECT}/",
            "project_urls": None,
            "requires_python": ">=3.10",
            "yanked": yanked,
            "yanked_reason": None,
        },
        "last_serial": 1,
        "releases": {"0.1.0": [], version: []},
        "urls": [
            {
                "filename": f"deepgram_balance_tray-{version}-py3-none-any.whl",
                "packagetype": "bdist_wheel",
                "yanked": yanked,
            }
        ],
        "vulnerabilities": [],
    }


class FakePyPI:
    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        not_found = b'{"message": "Not Found"}'
        self._answer: tuple[int, bytes, str] = (404, not_found, "application/json")
        self._behaviour = "respond"
        self._headers: dict[str, str] = {}
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """What DEEPGRAM_TRAY_UPDATES_URL is set to."""
        return self.base_url + PATH

    # --- what it answers ------------------------------------------------------------------------

    def latest(self, version: str, *, yanked: bool = False) -> None:
        """Answer as PyPI does for a project whose latest release is `version`."""
        self.answer(200, project_document(self.base_url, version, yanked=yanked))

    def answer(
        self,
        status: int,
        body: bytes | str | dict[str, Any],
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if isinstance(body, dict):
            data, kind = json.dumps(body).encode(), "application/json"
        elif isinstance(body, str):
            data, kind = body.encode(), "text/html; charset=utf-8"
        else:
            data, kind = body, "application/octet-stream"
        with self._lock:
            self._answer, self._behaviour = (status, data, content_type or kind), "respond"
            self._headers = dict(headers or {})

    def hang(self) -> None:
        """Take the request and never answer (until stopped)."""
        with self._lock:
            self._behaviour = "hang"

    def trickle(self) -> None:
        """Send the status line and headers, then a byte of the body every 0.3 s for ever."""
        with self._lock:
            self._behaviour = "trickle"

    def requests(self) -> list[Seen]:
        with self._lock:
            return list(self.seen)

    # --- running --------------------------------------------------------------------------------

    def start(self) -> FakePyPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakePyPI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with server._lock:
                    server.seen.append(
                        Seen(self.command, self.path, tuple(self.headers.items()), body)
                    )
                    status, data, kind = server._answer
                    behaviour, extra = server._behaviour, server._headers
                if behaviour == "hang":
                    server._stop.wait()
                    return
                self.send_response(status)
                self.send_header("Content-Type", kind)
                if behaviour == "trickle":
                    self.send_header("Content-Length", "1000000")
                    self.end_headers()
                    with contextlib.suppress(OSError):
                        while not server._stop.is_set():
                            self.wfile.write(b" ")
                            self.wfile.flush()
                            time.sleep(0.3)
                    return
                self.send_header("Content-Length", str(len(data)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_GET

        return Handler
