"""Which API base URLs the key may be sent to."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from trayapp.errors import ConfigError

DEFAULT_API_URL = "https://api.deepgram.com"


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_api_url(url: str, *, source: str = "api_url") -> str:
    """Return the URL without a trailing slash, or raise ConfigError saying what is wrong.

    Plain http is allowed only for loopback hosts (local proxies and test servers): anywhere else
    it would send the key in clear text.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise ConfigError(f"{source} is not a valid URL: use e.g. {DEFAULT_API_URL}.") from exc
    if parts.scheme not in ("https", "http") or not host:
        raise ConfigError(f"{source} must be an https:// URL such as {DEFAULT_API_URL}.")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError(
            f"{source} must not contain credentials, a query or a fragment: use e.g. "
            f"{DEFAULT_API_URL}."
        )
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ConfigError(
            f"{source} must use https:// for {host}; plain http:// is allowed only for "
            "localhost, so the API key is never sent in clear text."
        )
    return text.rstrip("/")
