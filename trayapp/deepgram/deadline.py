"""One deadline for a whole HTTP call: connecting, TLS, the status line, the headers and the body.

`requests`' read timeout bounds each wait for the next bytes, so a server that sends its status
line or headers a byte every few seconds holds a call for as long as it likes. Here a timer shuts
the call's socket down when the deadline passes: the read blocked on it returns at once, and the
client, seeing the deadline expired, reports a timeout.

The socket is shut down through a duplicate of its descriptor taken when it was made: the TLS
layer takes the original socket object over (detaching it) before its handshake, and a shutdown
acts on the connection, whichever descriptor names it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import urllib3.connection
import urllib3.connectionpool
from requests.adapters import HTTPAdapter

_current = threading.local()


class Deadline:
    """Shuts down every socket a call uses once `seconds` have passed, unless cancelled first."""

    def __init__(self, seconds: float) -> None:
        self.expires_at = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._handles: list[socket.socket] = []
        self._expired = False
        self._timer = threading.Timer(max(0.0, seconds), self._expire)
        self._timer.daemon = True

    @property
    def expired(self) -> bool:
        with self._lock:
            return self._expired or time.monotonic() >= self.expires_at

    def guard(self, sock: socket.socket) -> None:
        """Cut `sock` off at the deadline, through a duplicate of its descriptor.

        The duplicate is the deadline's own: the TLS layer detaches the original object, and
        http.client closes its connection's socket when an answer says `Connection: close`, while
        the answer's body is still read from it.
        """
        handle = socket.fromfd(sock.fileno(), sock.family, sock.type)
        with self._lock:
            self._handles.append(handle)
            expired = self._expired
        if expired:
            _shut_down(handle)

    def _expire(self) -> None:
        with self._lock:
            self._expired = True
            handles = list(self._handles)
        for handle in handles:
            _shut_down(handle)

    def start(self) -> None:
        self._timer.start()

    def end(self) -> None:
        """Stop the timer and let go of the duplicates (the sockets themselves stay open)."""
        self._timer.cancel()
        with self._lock:
            handles, self._handles = self._handles, []
        for handle in handles:
            handle.close()


def _shut_down(handle: socket.socket) -> None:
    with contextlib.suppress(OSError):
        handle.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[Deadline]:
    """Every socket this thread uses inside the block is cut off after `seconds`."""
    watch = Deadline(seconds)
    previous = getattr(_current, "deadline", None)
    _current.deadline = watch
    watch.start()
    try:
        yield watch
    finally:
        _current.deadline = previous
        watch.end()


def _guard(sock: socket.socket) -> None:
    current: Deadline | None = getattr(_current, "deadline", None)
    if current is not None:
        current.guard(sock)


class _DeadlineConnection(urllib3.connection.HTTPConnection):
    """A connection whose sockets the current thread's deadline cuts off (see the docstring)."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _guard(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        if self.sock is not None:  # kept alive from an earlier call: not made again
            _guard(self.sock)
        super().request(*args, **kwargs)


class _DeadlineHTTPSConnection(_DeadlineConnection, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _DeadlineConnection


class _HTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


_POOLS_BY_SCHEME = {"http": _HTTPPool, "https": _HTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections honour `deadline()`, directly and through HTTP proxies."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS_BY_SCHEME

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS pools have connections of their own
            manager.pool_classes_by_scheme = _POOLS_BY_SCHEME
        return manager
