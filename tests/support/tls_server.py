"""A real HTTPS server on 127.0.0.1, port 0, whose certificate a throwaway CA signed.

It answers `GET /v1/projects` with `{"projects": []}` and 404 to anything else: enough for a
client to prove that it verified the certificate and read an answer. The CA comes from trustme;
its PEM file is what a test puts in a trust store (SSL_CERT_FILE, REQUESTS_CA_BUNDLE).

`tunnel_proxy` is an HTTP proxy that answers CONNECT only, the way a company's proxy carries
https traffic, and counts the tunnels it opened.
"""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import socketserver
import ssl
import threading
import typing
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trustme

PROJECTS_BODY = json.dumps({"projects": []}).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        status, body = (200, PROJECTS_BODY) if self.path == "/v1/projects" else (404, b"{}")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.context = context
        self.failed_handshakes = 0

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The handshake runs in the request's own thread, so a client that refuses the
        # certificate (the point of several tests) never stalls the accept loop.
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            self.failed_handshakes += 1
            return
        with tls:
            super().finish_request(tls, client_address)

    def shutdown_request(self, request: Any) -> None:
        with contextlib.suppress(OSError):
            request.shutdown(socket.SHUT_RDWR)
        request.close()


def write_ca(ca: trustme.CA, path: Path) -> Path:
    """Write the CA's certificate as a PEM file at `path`, and return the path."""
    ca.cert_pem.write_to_path(str(path))
    return path


@contextlib.contextmanager
def https_server(ca: trustme.CA) -> Iterator[str]:
    """Serve over HTTPS with a certificate `ca` issued for 127.0.0.1 and localhost; yield its
    base URL (https://127.0.0.1:PORT). Stopped and closed on exit."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    server = _TLSServer(context)
    thread = threading.Thread(target=server.serve_forever, name="tls-server", daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class TunnelHandler(socketserver.StreamRequestHandler):
    """A CONNECT proxy's side of one connection (plain, or TLS when its server wraps it)."""

    server: TunnelServer

    def handle(self) -> None:
        request_line = self.rfile.readline(65_536).decode("latin-1")
        while self.rfile.readline(65_536) not in (b"\r\n", b"\n", b""):
            pass  # the proxy's headers: nothing in them matters here
        method, _, rest = request_line.partition(" ")
        if method != "CONNECT":
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        host, _, port = rest.split(" ")[0].rpartition(":")
        with socket.create_connection((host, int(port)), timeout=10) as upstream:
            self.server.tunnels += 1
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
            pipe(self.connection, upstream)


def pipe(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes. A TLS socket may hold bytes it has read
    and decrypted that `select` cannot see: they are taken with what was asked for."""
    with selectors.DefaultSelector() as selector:
        selector.register(client, selectors.EVENT_READ, upstream)
        selector.register(upstream, selectors.EVENT_READ, client)
        while True:
            for key, _ in selector.select(timeout=10):
                source = typing.cast(socket.socket, key.fileobj)
                try:
                    data = source.recv(65_536)
                    while isinstance(source, ssl.SSLSocket) and source.pending():
                        data += source.recv(65_536)
                except OSError:
                    return
                if not data:
                    return
                key.data.sendall(data)


class TunnelServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    tunnels = 0


@contextlib.contextmanager
def tunnel_proxy() -> Iterator[TunnelServer]:
    """An HTTP CONNECT proxy on 127.0.0.1, port 0; its URL is `proxy_url(server)`."""
    server = TunnelServer(("127.0.0.1", 0), TunnelHandler)
    thread = threading.Thread(target=server.serve_forever, name="tunnel-proxy", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def proxy_url(server: socketserver.TCPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"
