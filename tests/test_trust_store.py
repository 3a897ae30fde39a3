"""TLS is verified against the OS trust store, or the bundle REQUESTS_CA_BUNDLE names, never not.

A real HTTPS server with a throwaway CA's certificate (tests/support/tls_server.py). On Linux,
truststore reads the OS store through OpenSSL's default paths, which SSL_CERT_FILE overrides: a
CA written there is "in the OS store", as a company's CA is behind a TLS-inspecting proxy.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import certifi
import pytest
import requests
import trustme

from tests.support.tls_server import (
    TunnelHandler,
    TunnelServer,
    https_server,
    proxy_url,
    tunnel_proxy,
    write_ca,
)
from trayapp.deepgram import tls
from trayapp.deepgram.client import DeepgramClient
from trayapp.errors import ConfigError, NetworkError

KEY = "tlsTestKeyLEAKCHECK0123456789abcdef0123"

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="SSL_CERT_FILE stands in for the OS store only where truststore uses OpenSSL's paths",
)
# Marks the tests that go through DeepgramClient and need it to build its adapter with
# trayapp.deepgram.tls; strict, so they report XPASS (and fail) once it does: then drop the mark.


@pytest.fixture(autouse=True)
def no_trust_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test from the machine's own store, whatever the developer's shell sets."""
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server(ca: trustme.CA) -> Iterator[str]:
    with https_server(ca) as url:
        yield url


@pytest.fixture
def ca_pem(ca: trustme.CA, tmp_path: Path) -> Path:
    return write_ca(ca, tmp_path / "company-ca.pem")


@pytest.fixture
def ca_in_os_store(ca_pem: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_pem))
    return ca_pem


@pytest.fixture
def other_ca_pem(tmp_path: Path) -> Path:
    return write_ca(trustme.CA(), tmp_path / "other-ca.pem")


def verified_session(env: dict[str, str] | None = None) -> requests.Session:
    session = requests.Session()
    tls.configure_tls(session, pool_maxsize=4, env=env)
    return session


def get_projects(session: requests.Session, url: str) -> object:
    with session:
        response = session.get(f"{url}/v1/projects", timeout=10)
        response.raise_for_status()
        return response.json()


# --- The OS trust store -------------------------------------------------------------------------


@linux_only
@pytest.mark.usefixtures("ca_in_os_store")
def test_a_ca_in_the_os_store_is_trusted(server: str) -> None:
    assert get_projects(verified_session(), server) == {"projects": []}


@linux_only
@pytest.mark.usefixtures("ca_in_os_store")
def test_certifi_alone_refuses_the_os_stores_ca(server: str) -> None:
    """What the client did before: proves the test above needs the OS store to pass."""
    with pytest.raises(requests.exceptions.SSLError):
        get_projects(requests.Session(), server)


@linux_only
@pytest.mark.usefixtures("ca_in_os_store")
def test_one_context_serves_concurrent_calls(server: str) -> None:
    """The client reads balances four at a time over one adapter, so one shared context."""
    session = verified_session()
    with session, ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(
            pool.map(lambda _: session.get(f"{server}/v1/projects", timeout=10).json(), range(16))
        )
    assert answers == [{"projects": []}] * 16


@linux_only
@pytest.mark.usefixtures("ca_in_os_store")
def test_the_client_trusts_a_ca_in_the_os_store(server: str) -> None:
    with DeepgramClient(server, KEY) as client:
        assert client.list_projects() == []


def test_certifi_is_not_consulted_next_to_the_os_store(
    server: str, ca_pem: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The OS store alone decides (requests would add certifi on every connection if let)."""
    monkeypatch.setattr(certifi, "where", lambda: str(ca_pem))
    with pytest.raises(requests.exceptions.SSLError):
        get_projects(verified_session(), server)


# --- REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE ------------------------------------------------------


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_a_bundle_with_the_ca_is_trusted_without_the_os_store(
    server: str, ca_pem: Path, variable: str
) -> None:
    assert get_projects(verified_session({variable: str(ca_pem)}), server) == {"projects": []}


@linux_only
@pytest.mark.usefixtures("ca_in_os_store")
def test_the_bundle_is_the_whole_trust_store(server: str, other_ca_pem: Path) -> None:
    """As requests documents: the OS store's CA is not trusted next to the bundle."""
    session = verified_session({"REQUESTS_CA_BUNDLE": str(other_ca_pem)})
    with pytest.raises(requests.exceptions.SSLError):
        get_projects(session, server)


@pytest.mark.skipif(not shutil.which("openssl"), reason="needs openssl to hash the directory")
def test_a_bundle_directory_is_trusted(server: str, ca_pem: Path, tmp_path: Path) -> None:
    """requests takes a directory of hashed certificates too (OpenSSL's capath)."""
    directory = tmp_path / "certs"
    directory.mkdir()
    ca_pem.rename(directory / "company-ca.pem")
    subprocess.run(["openssl", "rehash", str(directory)], check=True, timeout=30)
    session = verified_session({"REQUESTS_CA_BUNDLE": str(directory)})
    assert get_projects(session, server) == {"projects": []}


def test_requests_ca_bundle_wins_over_curl_ca_bundle(
    server: str, ca_pem: Path, other_ca_pem: Path
) -> None:
    env = {"REQUESTS_CA_BUNDLE": str(ca_pem), "CURL_CA_BUNDLE": str(other_ca_pem)}
    assert get_projects(verified_session(env), server) == {"projects": []}
    swapped = {"REQUESTS_CA_BUNDLE": str(other_ca_pem), "CURL_CA_BUNDLE": str(ca_pem)}
    with pytest.raises(requests.exceptions.SSLError):
        get_projects(verified_session(swapped), server)


def test_an_empty_variable_counts_as_unset(tmp_path: Path) -> None:
    assert tls.ca_bundle_setting({"REQUESTS_CA_BUNDLE": "", "CURL_CA_BUNDLE": ""}) is None
    assert tls.ca_bundle_setting({"REQUESTS_CA_BUNDLE": "", "CURL_CA_BUNDLE": "/b.pem"}) == (
        "CURL_CA_BUNDLE",
        "/b.pem",
    )


@linux_only
@pytest.mark.usefixtures("ca_in_os_store")
def test_a_session_that_ignores_the_environment_ignores_the_bundle(
    server: str, other_ca_pem: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As requests does with `trust_env = False`: the OS store decides."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other_ca_pem))
    session = requests.Session()
    session.trust_env = False
    tls.configure_tls(session, pool_maxsize=1)
    assert get_projects(session, server) == {"projects": []}


def test_a_session_that_ignores_the_environment_ignores_a_missing_bundle(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = str(tmp_path / "missing.pem")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", missing)
    assert tls.ca_bundle_setting(os.environ, trust_env=False) is None
    assert tls.ca_bundle_setting(os.environ) == ("REQUESTS_CA_BUNDLE", missing)
    session = requests.Session()
    session.trust_env = False
    with session:
        tls.configure_tls(session, pool_maxsize=1)  # no ConfigError: requests would not read it


def test_the_bundle_is_read_from_the_process_environment_by_default(
    server: str, ca_pem: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_pem))
    assert get_projects(verified_session(), server) == {"projects": []}


def test_the_client_trusts_the_bundle(
    server: str, ca_pem: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_pem))
    with DeepgramClient(server, KEY) as client:
        assert client.list_projects() == []


def get_projects_through_a_proxy(session: requests.Session, url: str) -> object:
    with tunnel_proxy() as proxy, session:
        response = session.get(
            f"{url}/v1/projects", proxies={"https": proxy_url(proxy)}, timeout=10
        )
        assert proxy.tunnels == 1, "the call went through the proxy"
        return response.json()


def test_the_bundle_is_trusted_through_a_proxy(server: str, ca_pem: Path) -> None:
    session = verified_session({"REQUESTS_CA_BUNDLE": str(ca_pem)})
    assert get_projects_through_a_proxy(session, server) == {"projects": []}


@linux_only
@pytest.mark.usefixtures("ca_in_os_store")
def test_the_os_store_is_trusted_through_a_proxy(server: str) -> None:
    assert get_projects_through_a_proxy(verified_session(), server) == {"projects": []}


# --- A bundle that cannot be used: one sentence, exit 2 ------------------------------------------


def bundle_error(path: Path | str, variable: str = "REQUESTS_CA_BUNDLE") -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        tls.make_adapter(1, {variable: str(path)})
    assert caught.value.exit_code == 2
    return caught.value


def test_a_missing_bundle_is_a_config_error_naming_variable_and_path(tmp_path: Path) -> None:
    missing = tmp_path / "gone.pem"
    assert bundle_error(missing).message == (
        f"REQUESTS_CA_BUNDLE is set to {missing}, which does not exist: fix the path, or unset "
        "REQUESTS_CA_BUNDLE to use the system's certificates."
    )


def test_a_missing_curl_ca_bundle_names_curl_ca_bundle(tmp_path: Path) -> None:
    message = bundle_error(tmp_path / "gone.pem", "CURL_CA_BUNDLE").message
    assert message.startswith("CURL_CA_BUNDLE is set to ")
    assert message.endswith("unset CURL_CA_BUNDLE to use the system's certificates.")


def test_a_bundle_under_a_file_is_unreadable(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    assert bundle_error(not_a_dir / "ca.pem").message == (
        f"REQUESTS_CA_BUNDLE is set to {not_a_dir / 'ca.pem'}, which cannot be read (Not a "
        "directory): fix the path, or unset REQUESTS_CA_BUNDLE to use the system's certificates."
    )


def test_a_bundle_that_is_not_pem_is_a_config_error(tmp_path: Path) -> None:
    not_pem = tmp_path / "bundle.der"
    not_pem.write_bytes(b"\x30\x82\x01\x0a not a certificate")
    assert bundle_error(not_pem).message == (
        f"REQUESTS_CA_BUNDLE is set to {not_pem}, which holds no PEM certificates: point it at a "
        "PEM bundle of trusted CA certificates, or unset REQUESTS_CA_BUNDLE to use the system's "
        "certificates."
    )


def test_an_empty_bundle_is_a_config_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    assert "holds no PEM certificates" in bundle_error(empty).message


def test_the_client_reports_a_missing_bundle_as_a_config_error(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "gone.pem"))
    with pytest.raises(ConfigError, match=r"^REQUESTS_CA_BUNDLE is set to "):
        DeepgramClient(server, KEY).list_projects()


# --- Verification is never turned off -----------------------------------------------------------


def test_an_untrusted_certificate_is_refused(server: str) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        get_projects(verified_session(), server)


def test_the_client_reports_an_untrusted_certificate_as_a_network_error(server: str) -> None:
    with DeepgramClient(server, KEY) as client, pytest.raises(NetworkError) as caught:
        client.list_projects()
    assert caught.value.message == (
        "Could not reach 127.0.0.1 (its TLS certificate could not be verified): check your "
        "internet connection and api_url, then try again."
    )


def test_verify_false_is_refused(server: str, ca_pem: Path) -> None:
    session = verified_session({"REQUESTS_CA_BUNDLE": str(ca_pem)})
    with session, pytest.raises(ValueError, match="never turns certificate verification off"):
        session.get(f"{server}/v1/projects", timeout=10, verify=False)


def test_a_verify_path_given_per_call_does_not_widen_the_trust(server: str, ca_pem: Path) -> None:
    """The adapter's context alone decides: requests must not load more certificates into it."""
    session = verified_session()
    with session, pytest.raises(requests.exceptions.SSLError):
        session.get(f"{server}/v1/projects", timeout=10, verify=str(ca_pem))


# --- Without truststore: certifi ----------------------------------------------------------------


@pytest.fixture
def no_truststore(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "truststore", None)  # `import truststore` raises ImportError
    monkeypatch.setattr(tls, "_fallback_logged", False)


@pytest.mark.usefixtures("no_truststore")
def test_without_truststore_certifi_is_the_trust_store(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger=tls.__name__):
        context = tls.trusted_ssl_context({})
        tls.trusted_ssl_context({})
    certifi_context = ssl.create_default_context(cafile=certifi.where())
    assert type(context) is ssl.SSLContext
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.get_ca_certs() == certifi_context.get_ca_certs()
    fallbacks = [r for r in caplog.records if "certifi" in r.getMessage()]
    assert len(fallbacks) == 1, "logged once, however many clients are built"
    assert fallbacks[0].levelno == logging.INFO


@linux_only
@pytest.mark.usefixtures("no_truststore", "ca_in_os_store")
def test_without_truststore_the_os_stores_ca_is_refused(server: str) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        get_projects(verified_session(), server)


@pytest.mark.usefixtures("no_truststore")
def test_without_truststore_certifi_verifies(
    server: str, ca_pem: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(certifi, "where", lambda: str(ca_pem))
    assert get_projects(verified_session(), server) == {"projects": []}


@pytest.mark.usefixtures("no_truststore")
def test_without_truststore_the_bundle_still_wins(server: str, ca_pem: Path) -> None:
    session = verified_session({"REQUESTS_CA_BUNDLE": str(ca_pem)})
    assert get_projects(session, server) == {"projects": []}


# --- Edges: the defaults, and what requests would add to the context ----------------------------


def test_the_first_fallback_to_certifi_is_logged() -> None:
    """In a fresh process, as the tray starts: the once-only log is not already spent."""
    code = (
        "import logging, sys\n"
        "sys.modules['truststore'] = None\n"
        "logging.basicConfig(level=logging.INFO, format='%(message)s')\n"
        "from trayapp.deepgram import tls\n"
        "tls.trusted_ssl_context({})\n"
        "tls.trusted_ssl_context({})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("verifying TLS with certifi") == 1, done.stderr


def test_the_context_reads_the_bundle_variables_unless_told_not_to(tmp_path: Path) -> None:
    env = {"REQUESTS_CA_BUNDLE": str(tmp_path / "gone.pem")}
    with pytest.raises(ConfigError, match="which does not exist"):
        tls.trusted_ssl_context(env)
    assert tls.trusted_ssl_context(env, trust_env=False).verify_mode == ssl.CERT_REQUIRED


@pytest.fixture
def hashed_ca_directory(ca_pem: Path, tmp_path: Path) -> Path:
    if not shutil.which("openssl"):
        pytest.skip("needs openssl to hash the directory")
    directory = tmp_path / "hashed"
    directory.mkdir()
    shutil.copy(ca_pem, directory / "company-ca.pem")
    subprocess.run(["openssl", "rehash", str(directory)], check=True, timeout=30)
    return directory


@pytest.mark.parametrize("default", ["file", "directory"])
def test_requests_default_bundle_is_never_added_to_the_context(
    server: str,
    ca_pem: Path,
    other_ca_pem: Path,
    hashed_ca_directory: Path,
    monkeypatch: pytest.MonkeyPatch,
    default: str,
) -> None:
    """requests hands each new connection its default bundle (certifi, or a distribution's file
    or directory); urllib3 would load it into the shared context, widening the trust for good."""
    import requests.adapters

    widened = ca_pem if default == "file" else hashed_ca_directory
    monkeypatch.setattr(requests.adapters, "DEFAULT_CA_BUNDLE_PATH", str(widened))
    session = verified_session({"REQUESTS_CA_BUNDLE": str(other_ca_pem)})
    for _ in range(2):  # a second connection finds the context as the first left it
        with pytest.raises(requests.exceptions.SSLError):
            get_projects(session, server)


class _TlsTunnelServer(TunnelServer):
    """A CONNECT proxy spoken to over TLS: an https:// proxy."""

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), TunnelHandler)
        self.context = context

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            tls_socket = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # the client refused the proxy's certificate
        with tls_socket:
            super().finish_request(tls_socket, client_address)


@contextlib.contextmanager
def https_proxy(ca: trustme.CA) -> Iterator[_TlsTunnelServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    proxy = _TlsTunnelServer(context)
    thread = threading.Thread(target=proxy.serve_forever, name="https-proxy", daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(timeout=10)


def test_an_https_proxy_is_checked_against_the_same_trust_store(
    server: str, ca: trustme.CA, ca_pem: Path
) -> None:
    """A company's proxy spoken to over TLS, its certificate from the company's CA: trusted
    through the bundle that names the CA, refused without it."""
    with https_proxy(ca) as proxy:
        proxies = {"https": f"https://127.0.0.1:{proxy.server_address[1]}"}
        with verified_session({"REQUESTS_CA_BUNDLE": str(ca_pem)}) as session:
            answer = session.get(f"{server}/v1/projects", proxies=proxies, timeout=10)
            assert answer.json() == {"projects": []} and proxy.tunnels == 1
        refused = pytest.raises(requests.exceptions.ProxyError, match="CERTIFICATE_VERIFY_FAILED")
        with verified_session() as session, refused:
            session.get(f"{server}/v1/projects", proxies=proxies, timeout=10)
        assert proxy.tunnels == 1, "the proxy's certificate was refused before any CONNECT"


def test_the_bundle_in_use_is_logged_for_troubleshooting(
    ca_pem: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger=tls.__name__):
        tls.make_adapter(1, {"CURL_CA_BUNDLE": str(ca_pem)})
    assert [r.getMessage() for r in caplog.records] == [
        f"Verifying TLS against {ca_pem} from CURL_CA_BUNDLE"
    ]


def test_a_bundle_directory_that_cannot_be_listed_is_a_config_error_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OpenSSL would only fail to read it at the first call; listing it says so when the client
    is built. (Simulated: root, who runs some test machines, may list any folder.)"""
    directory = tmp_path / "certs"
    directory.mkdir()
    real_listdir = os.listdir

    def refused(path: Any = ".") -> list[str]:
        if Path(path) == directory:
            raise PermissionError(13, "Permission denied", str(path))
        return real_listdir(path)

    monkeypatch.setattr(os, "listdir", refused)
    assert bundle_error(directory).message == (
        f"REQUESTS_CA_BUNDLE is set to {directory}, which cannot be read (Permission denied): fix "
        "the path, or unset REQUESTS_CA_BUNDLE to use the system's certificates."
    )


def test_plain_http_gets_the_same_adapter_as_https() -> None:
    """Loopback test servers speak http: they must go through the client's own adapter too."""

    class ClientAdapter(tls.VerifyingAdapter):
        pass

    with requests.Session() as session:
        tls.configure_tls(session, pool_maxsize=3, adapter_class=ClientAdapter)
        adapter = session.get_adapter("http://127.0.0.1:8080/v1/projects")
        assert isinstance(adapter, ClientAdapter)
        assert adapter is session.get_adapter("https://api.deepgram.com/v1/projects")


def test_requests_default_bundle_need_not_exist(
    server: str, ca_pem: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bundled app may ship without certifi's file: the OS store or the named bundle is all the
    adapter uses, so the calls must not need it."""
    import requests.adapters

    monkeypatch.setattr(requests.adapters, "DEFAULT_CA_BUNDLE_PATH", str(tmp_path / "gone.pem"))
    session = verified_session({"REQUESTS_CA_BUNDLE": str(ca_pem)})
    assert get_projects(session, server) == {"projects": []}
