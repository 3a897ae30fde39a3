"""The Deepgram Management API client: projects and their balances, over one keep-alive session.

Every `requests` exception is translated here into the error tree of `trayapp.errors`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests

from trayapp import __version__
from trayapp.deepgram.deadline import DeadlineAdapter, deadline
from trayapp.deepgram.models import (
    DEFAULT_TIMEOUTS,
    Balance,
    BalanceSnapshot,
    Order,
    Project,
    ProjectBalances,
    Timeouts,
)
from trayapp.deepgram.parsing import (
    clean_server_text,
    decode_json,
    error_for_status,
    parse_balances,
    parse_billing_breakdown,
    parse_projects,
    parse_purchases,
)
from trayapp.deepgram.tls import VerifyingAdapter, configure_tls
from trayapp.deepgram.urls import is_loopback_host, validate_api_url
from trayapp.errors import ApiError, MalformedResponseError, NetworkError, NotFoundError
from trayapp.redaction import remember_secret

log = logging.getLogger(__name__)

T = TypeVar("T")


MAX_BODY_BYTES = 1_000_000
"""Balance answers are a few hundred bytes; anything near this is not the API."""

PURCHASES_LIMIT = 1000
"""The most orders `/purchases` returns in one answer (its documented range is 1 to 1000)."""

MAX_CONCURRENT_REQUESTS = 4
"""Balance calls run in parallel up to this many, to stay gentle with undocumented rate limits."""

NO_PROXIES: dict[str, Any] = {"http": None, "https": None, "all": None}
"""Given per call, these take the environment's proxies away (requests drops None settings)."""


class TokenAuth(requests.auth.AuthBase):
    """Sends `Authorization: Token <key>`.

    As the session's auth it also keeps requests from putting ~/.netrc credentials in its place.
    """

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Token {self._api_key}"
        return request

    def __repr__(self) -> str:
        return "TokenAuth(<hidden>)"


class _ClientAdapter(VerifyingAdapter, DeadlineAdapter):
    """Checks TLS against the trust store `tls` chooses, and honours each call's deadline."""


class DeepgramClient:
    """Reads projects and balances. Use as a context manager, or call `close()`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        session: requests.Session | None = None,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        max_body_bytes: int = MAX_BODY_BYTES,
        max_workers: int = MAX_CONCURRENT_REQUESTS,
    ) -> None:
        self.base_url = validate_api_url(base_url)
        remember_secret(api_key)
        self._host = urlsplit(self.base_url).hostname or ""
        # A loopback API (a local test server or relay) is reached directly: through a proxy, a
        # plain http:// call would hand the key to the proxy in clear text.
        self._proxies = NO_PROXIES if is_loopback_host(self._host) else None
        self._timeouts = timeouts
        self._refresh_expires_at: float | None = None
        self._max_body_bytes = max_body_bytes
        self._max_workers = max(1, max_workers)
        self._session = session or requests.Session()
        self._session.auth = TokenAuth(api_key)
        self._session.headers["User-Agent"] = f"deepgram-balance-tray/{__version__}"
        self._session.headers["Accept"] = "application/json"
        # Every concurrent balance call keeps its own pooled connection.
        if self.base_url.startswith("https://"):
            # Raises ConfigError (exit 2) when REQUESTS_CA_BUNDLE names an unusable file.
            configure_tls(
                self._session, pool_maxsize=self._max_workers, adapter_class=_ClientAdapter
            )
        else:
            # Plain http is for loopback only: no certificates to load (a bundle costs ~50 ms).
            adapter = DeadlineAdapter(pool_maxsize=self._max_workers)
            self._session.mount("http://", adapter)

    def __enter__(self) -> DeepgramClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def list_projects(self) -> list[Project]:
        return _first_of_each(parse_projects(self._get_json("/v1/projects")))

    def list_balances(self, project_id: str) -> list[Balance]:
        path = f"/v1/projects/{quote(project_id, safe='')}/balances"
        return parse_balances(self._get_json(path, project_id=project_id))

    def billing_breakdown(
        self, project_id: str, start: date, end: date
    ) -> list[tuple[date, Decimal]]:
        """Dollars spent per day between `start` and `end` (inclusive)."""
        path = (
            f"/v1/projects/{quote(project_id, safe='')}/billing/breakdown"
            f"?start={start.isoformat()}&end={end.isoformat()}"
        )
        return parse_billing_breakdown(self._get_json(path, project_id=project_id))

    def purchases(self, project_id: str) -> list[Order]:
        """Every order, as far as one page goes: the API pages by `limit` alone (default 10, at
        most 1000, no page parameter, order not documented), so ask for the most it gives, or an
        expiring order past the tenth would go unseen."""
        path = f"/v1/projects/{quote(project_id, safe='')}/purchases?limit={PURCHASES_LIMIT}"
        return parse_purchases(self._get_json(path, project_id=project_id))

    def fetch_snapshot(
        self, project_ids: Sequence[str] = (), *, projects: Sequence[Project] | None = None
    ) -> BalanceSnapshot:
        """List the projects, then read the balances of the watched ones (all when none given).

        `projects` skips the listing when the caller knows them already (the tray re-lists at
        most hourly). A project that fails is reported in its entry; only listing raises. The
        whole refresh has one deadline (`Timeouts.refresh`): projects still unread when it passes
        fail as timed out, however many there are. A project or balance listed twice counts once.
        """
        with self.refresh():
            return self._fetch_snapshot(project_ids, projects)

    @contextlib.contextmanager
    def refresh(self) -> Iterator[None]:
        """One deadline (`Timeouts.refresh`) for every call made inside, however many: calls
        left when it passes fail as timed out. Nested, the outermost one holds."""
        if self._refresh_expires_at is not None:
            yield
            return
        self._refresh_expires_at = time.monotonic() + self._timeouts.refresh
        try:
            yield
        finally:
            self._refresh_expires_at = None

    def _fetch_snapshot(
        self, project_ids: Sequence[str], projects: Sequence[Project] | None
    ) -> BalanceSnapshot:
        if projects is None:
            projects = self.list_projects()
        projects = _first_of_each(projects)
        project_ids = list(dict.fromkeys(project_ids))
        if project_ids:
            by_id = {p.project_id: p for p in projects}
            watched = [by_id.get(pid, Project(project_id=pid, name=pid)) for pid in project_ids]
            unknown = {pid for pid in project_ids if pid not in by_id}
        else:
            watched, unknown = list(projects), set()

        def read(project: Project) -> ProjectBalances:
            if project.project_id in unknown:
                return ProjectBalances(project, error=_not_visible(project.project_id))
            try:
                return ProjectBalances(
                    project, balances=tuple(self.list_balances(project.project_id))
                )
            except ApiError as exc:
                return ProjectBalances(project, error=exc)

        results = _without_repeated_balances(self._map_bounded(read, watched))
        return BalanceSnapshot(fetched_at=datetime.now(timezone.utc), projects=tuple(results))

    def _map_bounded(self, func: Callable[[Project], T], items: Sequence[Project]) -> list[T]:
        if len(items) <= 1:
            return [func(item) for item in items]  # no thread pool for the common one-project case
        from concurrent.futures import ThreadPoolExecutor

        workers = min(self._max_workers, len(items))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="balances") as pool:
            return list(pool.map(func, items))

    def _get_json(self, path: str, *, project_id: str | None = None) -> object:
        seconds = self._seconds_for_next_call()
        if seconds <= 0:
            raise self._timeout_error()
        with deadline(seconds) as call:
            try:
                return self._exchange(path, project_id)
            except (ApiError, requests.RequestException, OSError):
                # Whatever a cut-off socket looked like to the layers below, it was the deadline.
                if call.expired:
                    raise self._timeout_error() from None
                raise

    def _seconds_for_next_call(self) -> float:
        """A call's own limit, cut to what is left of the refresh's when one is running."""
        seconds = self._timeouts.total
        if self._refresh_expires_at is not None:
            seconds = min(seconds, self._refresh_expires_at - time.monotonic())
        return seconds

    def _exchange(self, path: str, project_id: str | None) -> object:
        url = self.base_url + path
        started = time.monotonic()
        try:
            response = self._session.get(
                url,
                timeout=(self._timeouts.connect, self._timeouts.read),
                stream=True,
                # The key may go only to the configured host: never follow a redirect anywhere.
                allow_redirects=False,
                proxies=self._proxies,
            )
        except requests.Timeout as exc:
            raise self._timeout_error() from exc
        except requests.RequestException as exc:
            raise NetworkError(
                f"Could not reach {self._host} ({_reason(exc)}): check your internet connection "
                "and api_url, then try again."
            ) from exc
        with response:
            body = self._read_capped(response)
            status = response.status_code
            request_id = clean_server_text(response.headers.get("dg-request-id") or "") or None
            log.debug(
                "GET %s -> %s in %.3f s (request id %s)", path, status, _since(started), request_id
            )
            if 300 <= status < 400:
                raise NetworkError(
                    f"The API answered with a redirect (HTTP {status}) instead of data: check "
                    "api_url, or whether a proxy or captive portal is intercepting requests.",
                    status=status,
                    request_id=request_id,
                )
            if status >= 400:
                # The server's words in it are redacted before it is built: they could echo the key.
                raise error_for_status(status, body, response.headers, project_id=project_id)
            if status != 200:
                raise MalformedResponseError(
                    f"The API answered with HTTP {status} and no data: check api_url.",
                    status=status,
                    request_id=request_id,
                )
            return decode_json(body, request_id=request_id)

    def _read_capped(self, response: requests.Response) -> bytes:
        """Read the body up to the size cap.

        `read1` returns whatever bytes have arrived; the call's deadline (see `deadline`) cuts
        the socket off under it when a server trickles, and `_get_json` reports that.
        """
        import urllib3.exceptions

        chunks: list[bytes] = []
        size = 0
        try:
            while chunk := response.raw.read1(65_536, decode_content=True):
                size += len(chunk)
                if size > self._max_body_bytes:
                    raise MalformedResponseError(
                        f"The API's answer was larger than {self._max_body_bytes // 1000} kB, "
                        "which no balance answer is: check api_url, or whether a proxy is "
                        "answering."
                    )
                chunks.append(chunk)
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise self._timeout_error() from exc
        except urllib3.exceptions.DecodeError as exc:
            raise MalformedResponseError(
                "The API's answer could not be decompressed: check api_url, or whether a proxy "
                "is answering."
            ) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise NetworkError(
                f"The connection to {self._host} broke while reading the answer "
                f"({_reason(exc)}): try again."
            ) from exc
        return b"".join(chunks)

    def _timeout_error(self) -> NetworkError:
        return NetworkError(
            f"{self._host} did not answer in time: check your internet connection and try again."
        )


def _first_of_each(projects: Sequence[Project]) -> list[Project]:
    """Each project id once: a listing that repeats one must not read or count it twice."""
    first: dict[str, Project] = {}
    for project in projects:
        first.setdefault(project.project_id, project)
    return list(first.values())


def _without_repeated_balances(results: list[ProjectBalances]) -> list[ProjectBalances]:
    """Each balance id counted once, under the first project that lists it.

    A balance is one credit: an answer that shows it twice (in one project or two) must not double
    the money, nor give Prometheus two series of the same name and labels. Balances without an id
    cannot be told apart, so they all stay.
    """
    seen: set[str] = set()
    kept = []
    for result in results:
        balances = []
        for balance in result.balances:
            if balance.balance_id and balance.balance_id in seen:
                log.info("Balance %s is listed more than once: counted once", balance.balance_id)
                continue
            seen.add(balance.balance_id)
            balances.append(balance)
        if len(balances) != len(result.balances):
            result = result._replace(balances=tuple(balances))
        kept.append(result)
    return kept


def _not_visible(project_id: str) -> NotFoundError:
    return NotFoundError(
        f"Project {project_id} is not visible to this key: remove it from the `projects` setting "
        "or use a key of the account that owns it."
    )


def _since(started: float) -> float:
    return time.monotonic() - started


def _reason(exc: Exception) -> str:
    """A few words on why a connection failed, without URLs or library internals."""
    text = str(exc).lower()
    for needle, words in (
        ("name or service not known", "the host name could not be resolved"),
        ("nodename nor servname", "the host name could not be resolved"),
        ("getaddrinfo failed", "the host name could not be resolved"),
        ("temporary failure in name resolution", "the host name could not be resolved"),
        ("connection refused", "the connection was refused"),
        ("certificate", "its TLS certificate could not be verified"),
        ("connection reset", "the connection was reset"),
        ("remotedisconnected", "the server closed the connection"),
        ("remote end closed", "the server closed the connection"),
        ("incompleteread", "the answer was cut short"),
        ("connection broken", "the answer was cut short"),
        ("proxy", "the proxy failed"),
    ):
        if needle in text:
            return words
    return type(exc).__name__
