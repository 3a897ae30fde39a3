"""`serve`'s HTTP side: /metrics through prometheus_client, /healthz, and nothing else.

A threading WSGI server from the standard library, as prometheus_client's own start_http_server
uses, so a slow scraper cannot hold up another; each request only reads what the reading thread
last published, so a scrape never waits for Deepgram.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

log = logging.getLogger(__name__)

Health = Callable[[], "tuple[bool, str]"]
StartResponse = Callable[..., Any]
Environ = dict[str, Any]


class QuietHandler(WSGIRequestHandler):
    """Requests go to the debug log, not to stderr line by line (a scrape every 15 s)."""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


def make_app(registry: CollectorRegistry, health: Health) -> Callable[..., Iterable[bytes]]:
    metrics = make_wsgi_app(registry)

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return metrics(environ, start_response)  # type: ignore[no-any-return]
        if path == "/healthz":
            healthy, status = health()
            body = json.dumps({"ok": healthy, "status": status}).encode("utf-8")
            code = "200 OK" if healthy else "503 Service Unavailable"
            start_response(code, [("Content-Type", "application/json")])
            return [body]
        if path == "/":
            page = b'<html><body><a href="/metrics">Metrics</a> <a href="/healthz">Health</a>'
            start_response("200 OK", [("Content-Type", "text/html")])
            return [page + b"</body></html>"]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not found: the exporter serves /metrics and /healthz.\n"]

    return app


class IPv6Server(ThreadingWSGIServer):
    address_family = socket.AF_INET6


def bind(host: str, port: int, app: Callable[..., Iterable[bytes]]) -> WSGIServer:
    """The server, bound and listening (OSError when the address is taken or not ours)."""
    server_class = IPv6Server if ":" in host else ThreadingWSGIServer  # ":": an IPv6 literal
    return make_server(host, port, app, server_class, handler_class=QuietHandler)
