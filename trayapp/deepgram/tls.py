"""Which certificates the API's TLS certificate is checked against, and the adapter that does it.

Trust comes from, in order:

1. `REQUESTS_CA_BUNDLE`, else `CURL_CA_BUNDLE`: when set (and not empty), that file or directory
   alone is the trust store, as `requests` documents. Checked when the client is built, so a
   wrong path is a settings error the user can fix, not a crash on the first call.
2. The operating system's trust store, through `truststore` (Windows' and macOS' own certificate
   verification; OpenSSL's default paths on Linux, which `SSL_CERT_FILE` and `SSL_CERT_DIR`
   override). A company that inspects TLS puts its CA there, so the app works behind its proxy.
   certifi's bundle is not added to it: the OS store is what the rest of the machine trusts,
   and loading certifi would cost about 45 ms for every client built (each tray refresh builds
   one).
3. certifi's bundle, `requests`' own default, when `truststore` cannot be imported.

Verification is never turned off: the adapter checks every https connection against its own
context; a `verify` path given per call is not used, and `verify=False` is refused. `truststore`
is used through that context, not injected into the `ssl` module (`inject_into_ssl`), which would
change every TLS connection the process makes, other libraries' included, for good.
"""

from __future__ import annotations

import logging
import os
import ssl
from collections.abc import Mapping
from typing import Any, NamedTuple

import requests
from requests.adapters import HTTPAdapter

from trayapp.errors import ConfigError, os_reason

log = logging.getLogger(__name__)

CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
"""The environment variables `requests` reads a CA bundle from, first set one wins."""

_fallback_logged = False


class CaBundleSetting(NamedTuple):
    """A CA bundle the environment names: which variable, and the path it holds."""

    variable: str
    path: str


def ca_bundle_setting(env: Mapping[str, str], *, trust_env: bool = True) -> CaBundleSetting | None:
    """The bundle `requests` would verify against, read the way `requests` reads it.

    An empty variable counts as unset, and `trust_env=False` (a session told to ignore the
    environment) ignores both, as `Session.merge_environment_settings` does.
    """
    if not trust_env:
        return None
    for variable in CA_BUNDLE_VARIABLES:
        path = env.get(variable)
        if path:
            return CaBundleSetting(variable, path)
    return None


def trusted_ssl_context(
    env: Mapping[str, str] | None = None, *, trust_env: bool = True
) -> ssl.SSLContext:
    """The context that verifies the API's certificate (see the module's docstring).

    Raises ConfigError when the environment names a CA bundle that cannot be used.
    """
    setting = ca_bundle_setting(os.environ if env is None else env, trust_env=trust_env)
    if setting is not None:
        return _bundle_context(setting)
    return _system_context() or _certifi_context()


class VerifyingAdapter(HTTPAdapter):
    """An HTTPAdapter whose https connections, direct or through a proxy, use one SSL context.

    Cooperative: combine it with another adapter by listing it first, as in
    `class ClientAdapter(VerifyingAdapter, OtherAdapter)`.
    """

    def __init__(self, *, ssl_context: ssl.SSLContext, **kwargs: Any) -> None:
        # Set before HTTPAdapter.__init__, which builds the pool manager that needs it.
        self.ssl_context = ssl_context
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, ssl_context=self.ssl_context, **kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        proxy_kwargs["ssl_context"] = self.ssl_context
        if proxy.lower().startswith("https://"):
            # The proxy's own certificate is checked against the same trust store.
            proxy_kwargs["proxy_ssl_context"] = self.ssl_context
        return super().proxy_manager_for(proxy, **proxy_kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        """Require verification against this adapter's context alone.

        `requests` would load its own choice (certifi, or the bundle it read from the
        environment) into the context on every new connection: that would add certifi to the
        OS store, cost a bundle's parsing per connection, and change a context that every
        connection shares. The context already holds the right certificates.
        """
        if verify is False:
            raise ValueError("VerifyingAdapter never turns certificate verification off")
        if url.lower().startswith("https"):
            conn.cert_reqs = "CERT_REQUIRED"
            conn.ca_certs = None
            conn.ca_cert_dir = None


def make_adapter(
    pool_maxsize: int,
    env: Mapping[str, str] | None = None,
    *,
    trust_env: bool = True,
    adapter_class: type[VerifyingAdapter] = VerifyingAdapter,
) -> VerifyingAdapter:
    """An `adapter_class` over the trust store the environment chooses, with `pool_maxsize`."""
    context = trusted_ssl_context(env, trust_env=trust_env)
    return adapter_class(ssl_context=context, pool_maxsize=pool_maxsize)


def configure_tls(
    session: requests.Session,
    *,
    pool_maxsize: int,
    env: Mapping[str, str] | None = None,
    adapter_class: type[VerifyingAdapter] = VerifyingAdapter,
) -> None:
    """Mount one `adapter_class` on `session` for https:// and http:// (loopback test servers).

    Honours `session.trust_env` as `requests` does for the CA bundle variables. Raises
    ConfigError when the environment names a CA bundle that cannot be used.
    """
    adapter = make_adapter(
        pool_maxsize, env, trust_env=session.trust_env, adapter_class=adapter_class
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)


def _bundle_context(setting: CaBundleSetting) -> ssl.SSLContext:
    context = _urllib3_context()
    try:
        if os.path.isdir(setting.path):
            os.listdir(setting.path)  # OpenSSL reads a directory lazily: check it can be read
            context.load_verify_locations(capath=setting.path)
        else:
            context.load_verify_locations(cafile=setting.path)
    except ssl.SSLError as exc:  # before OSError: it is one
        raise ConfigError(_not_pem_message(setting)) from exc
    except OSError as exc:
        raise ConfigError(_unreadable_message(setting, exc)) from exc
    log.debug("Verifying TLS against %s from %s", setting.path, setting.variable)
    return context


def _system_context() -> ssl.SSLContext | None:
    """A context that verifies with the OS trust store, or None when truststore cannot be used."""
    try:
        # Imported here, not at the top: only building a client needs it (start-up is measured).
        import truststore
    except (ImportError, OSError) as exc:  # OSError: a system library it loads is missing
        _log_fallback_once(exc)
        return None
    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _certifi_context() -> ssl.SSLContext:
    context = _urllib3_context()
    context.load_verify_locations(cafile=_certifi_path())
    return context


def _urllib3_context() -> ssl.SSLContext:
    """A context with the options urllib3 gives its own, requiring a verified certificate."""
    from urllib3.util.ssl_ import create_urllib3_context

    return create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)


def _certifi_path() -> str:
    import certifi  # what requests verifies with by default; a dependency of requests

    return certifi.where()


def _log_fallback_once(exc: BaseException) -> None:
    global _fallback_logged
    if not _fallback_logged:
        _fallback_logged = True
        log.info("Not using the system's certificate store (%s): verifying TLS with certifi", exc)


def _unreadable_message(setting: CaBundleSetting, exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        problem = "which does not exist"
    else:
        problem = f"which cannot be read ({os_reason(exc)})"
    return (
        f"{setting.variable} is set to {setting.path}, {problem}: fix the path, or unset "
        f"{setting.variable} to use the system's certificates."
    )


def _not_pem_message(setting: CaBundleSetting) -> str:
    return (
        f"{setting.variable} is set to {setting.path}, which holds no PEM certificates: point it "
        f"at a PEM bundle of trusted CA certificates, or unset {setting.variable} to use the "
        "system's certificates."
    )
