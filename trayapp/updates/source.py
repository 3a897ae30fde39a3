"""Ask PyPI for the app's latest release: one plain GET, in the fetch worker.

What is sent is exactly: `GET /pypi/deepgram-balance-tray/json` to pypi.org over https, with the
headers `User-Agent: deepgram-balance-tray/<version>`, `Accept: application/json` and the ones
`requests` always sends (`Accept-Encoding`, `Connection`). No key, no account, no setting, no
cookie, no credential from ~/.netrc, and no redirect followed. `DEEPGRAM_TRAY_UPDATES_URL` points
it elsewhere (a mirror, or a test's stand-in); plain http:// only on loopback, so nothing on the
way can fake an answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests
import requests.auth
import urllib3.exceptions

from trayapp import __version__
from trayapp.deepgram.deadline import DeadlineAdapter, deadline
from trayapp.deepgram.tls import VerifyingAdapter, configure_tls
from trayapp.deepgram.urls import is_loopback_host
from trayapp.errors import ConfigError, MalformedResponseError, NetworkError, ServerError
from trayapp.updates.release import DISTRIBUTION, Release, UnreadableRelease, latest_release

UPDATES_URL_ENV = "DEEPGRAM_TRAY_UPDATES_URL"
DEFAULT_UPDATES_URL = f"https://pypi.org/pypi/{DISTRIBUTION}/json"
USER_AGENT = f"{DISTRIBUTION}/{__version__}"
CHECK_SECONDS = 20.0
"""The whole check (connecting, TLS, headers, body) ends within this: it is never urgent."""
CONNECT_SECONDS = 10.0
MAX_ANSWER_BYTES = 4 * 1024 * 1024
"""PyPI's answer for a project is some kilobytes per release: this is far more than enough."""


class _NoCredentials(requests.auth.AuthBase):
    """Set as the session's auth, it keeps requests from adding ~/.netrc credentials."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


class _Adapter(VerifyingAdapter, DeadlineAdapter):
    """TLS checked against the trust store the Deepgram calls use, and one deadline per call."""


def updates_url(env: Mapping[str, str]) -> str:
    """Where to ask: `DEEPGRAM_TRAY_UPDATES_URL`, else PyPI. ConfigError when the variable
    names something that cannot be asked."""
    text = env.get(UPDATES_URL_ENV, "").strip()
    if not text:
        return DEFAULT_UPDATES_URL
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
    except ValueError:
        host, parts = "", None
    if parts is None or parts.scheme not in ("https", "http") or not host:
        raise ConfigError(
            f"{UPDATES_URL_ENV} must be an https:// URL such as {DEFAULT_UPDATES_URL}."
        )
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ConfigError(
            f"{UPDATES_URL_ENV} must use https:// for {host}; plain http:// is allowed only for "
            "localhost."
        )
    return text


def read_latest_release(url: str) -> Release | None:
    """The latest final release the update source names (None: none, or a pre-release);
    NetworkError, ServerError or MalformedResponseError when it cannot say."""
    host = urlsplit(url).hostname or url
    with requests.Session() as session:
        session.auth = _NoCredentials()
        session.headers["User-Agent"] = USER_AGENT
        session.headers["Accept"] = "application/json"
        configure_tls(session, pool_maxsize=1, adapter_class=_Adapter)
        with deadline(CHECK_SECONDS) as call:
            try:
                # Redirects are not followed: requests would add ~/.netrc credentials for the
                # host redirected to, and PyPI's address for a project does not redirect.
                with session.get(
                    url,
                    timeout=(CONNECT_SECONDS, CHECK_SECONDS),
                    stream=True,
                    allow_redirects=False,
                ) as response:
                    status = response.status_code
                    body = _read_capped(response)
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                if call.expired:
                    raise NetworkError(
                        f"{host} did not answer within {CHECK_SECONDS:.0f} s."
                    ) from None
                raise NetworkError(f"Could not reach {host} ({type(exc).__name__}).") from exc
    if status != 200:
        raise ServerError(f"{host} answered the update check with HTTP {status}.")
    try:
        return latest_release(json.loads(body), url)
    except (ValueError, RecursionError) as exc:  # UnreadableRelease, and JSON that is not
        reason = str(exc) if isinstance(exc, UnreadableRelease) else "not JSON"
        raise MalformedResponseError(f"{host} answered the update check with {reason}.") from exc


def _read_capped(response: requests.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := response.raw.read1(65_536, decode_content=True):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise MalformedResponseError(
                f"The update check's answer was larger than {MAX_ANSWER_BYTES // 1_000_000} MB."
            )
        chunks.append(chunk)
    return b"".join(chunks)
