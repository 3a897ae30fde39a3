"""The update check against a loopback stand-in of PyPI's JSON API: what it reads, what it sends
(exactly), and how it fails, in this process and through the tray's fetch worker."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.pypi_server import PATH, FakePyPI
from trayapp import __version__
from trayapp.errors import ConfigError, MalformedResponseError, NetworkError, ServerError
from trayapp.tray.fetch_process import read_latest_release_in_child_process
from trayapp.updates import source
from trayapp.updates.release import Release
from trayapp.updates.source import DEFAULT_UPDATES_URL, read_latest_release, updates_url

SECRET = "dg_secret_key_0123456789abcdef0123456789abcdef"


@pytest.fixture
def short_deadline(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(source, "CHECK_SECONDS", 1.0)
    return 1.0


def page(pypi: FakePyPI, version: str) -> str:
    return f"{pypi.base_url}/project/deepgram-balance-tray/{version}/"


@pytest.mark.parametrize("version", ["9.9.9", "0.1.0", "0.0.1"], ids=["newer", "same", "older"])
def test_the_latest_final_release_whatever_it_is(pypi: FakePyPI, version: str) -> None:
    """Newer or not is the tray's to decide (trayapp.updates.release.newer_than)."""
    pypi.latest(version)
    assert read_latest_release(pypi.url) == Release(version, page(pypi, version))


@pytest.mark.parametrize("version", ["9.9.9rc1", "9.9.9.dev1", "10.0.0b2"])
def test_a_pre_release_is_ignored(pypi: FakePyPI, version: str) -> None:
    pypi.latest(version)
    assert read_latest_release(pypi.url) is None


def test_a_yanked_release_is_ignored(pypi: FakePyPI) -> None:
    pypi.latest("9.9.9", yanked=True)
    assert read_latest_release(pypi.url) is None


def test_exactly_one_plain_get_with_the_version_in_the_user_agent(
    pypi: FakePyPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing else goes out: not the key in the environment, not ~/.netrc's credentials for
    the host, not a cookie."""
    monkeypatch.setenv("DEEPGRAM_API_KEY", SECRET)
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login someone password {SECRET}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    pypi.latest("9.9.9")
    read_latest_release(pypi.url)
    [seen] = pypi.requests()
    assert (seen.method, seen.target, seen.body) == ("GET", PATH, b"")
    assert seen.header("User-Agent") == f"deepgram-balance-tray/{__version__}"
    assert seen.header("Accept") == "application/json"
    names = {name.lower() for name, _ in seen.headers}
    assert names == {"host", "user-agent", "accept", "accept-encoding", "connection"}
    assert SECRET not in repr(seen)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, "<html><body>Welcome to the hotel Wi-Fi</body></html>"),
        (200, b"\x00\xff garbage"),
        (200, {"message": "Not Found"}),
        (200, {"info": {"version": "latest"}}),
        (200, {"info": {"version": ["0.2.0"]}}),
        (200, b'{"info": {"version": "0.2.0"'),
    ],
    ids=["portal page", "bytes", "another json", "not a version", "a list", "cut short"],
)
def test_garbage_is_malformed(
    pypi: FakePyPI, status: int, body: bytes | str | dict[str, Any]
) -> None:
    pypi.answer(status, body)
    with pytest.raises(MalformedResponseError) as info:
        read_latest_release(pypi.url)
    assert info.value.message.startswith("127.0.0.1 answered the update check with ")


@pytest.mark.parametrize("status", [404, 429, 500, 503])
def test_an_error_status_is_a_server_error(pypi: FakePyPI, status: int) -> None:
    pypi.answer(status, {"message": "no"})
    with pytest.raises(ServerError, match=f"HTTP {status}"):
        read_latest_release(pypi.url)


def test_a_redirect_is_not_followed(
    pypi: FakePyPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Followed, requests would send ~/.netrc's credentials for the host redirected to."""
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine localhost login someone password {SECRET}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    elsewhere = pypi.url.replace("127.0.0.1", "localhost") + "?moved"
    pypi.answer(301, b"", headers={"Location": elsewhere})
    with pytest.raises(ServerError, match="HTTP 301"):
        read_latest_release(pypi.url)
    assert [seen.target for seen in pypi.requests()] == [PATH]


def test_a_huge_answer_is_not_read_whole(pypi: FakePyPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source, "MAX_ANSWER_BYTES", 1000)
    pypi.answer(200, b"x" * 5000)
    with pytest.raises(MalformedResponseError, match="larger than"):
        read_latest_release(pypi.url)


@pytest.mark.parametrize("behaviour", ["hang", "trickle"])
def test_a_server_that_does_not_answer_is_a_timeout(
    pypi: FakePyPI, short_deadline: float, behaviour: str
) -> None:
    getattr(pypi, behaviour)()
    started = time.monotonic()
    with pytest.raises(NetworkError, match="did not answer within 1 s"):
        read_latest_release(pypi.url)
    assert time.monotonic() - started < 10 * short_deadline  # bounded, not a server's whim


def test_nobody_listening_is_a_network_error() -> None:
    with pytest.raises(NetworkError, match=r"Could not reach 127\.0\.0\.1"):
        read_latest_release("http://127.0.0.1:9/pypi/deepgram-balance-tray/json")


def test_where_to_ask() -> None:
    assert (
        updates_url({})
        == DEFAULT_UPDATES_URL
        == ("https://pypi.org/pypi/deepgram-balance-tray/json")
    )
    assert updates_url({"DEEPGRAM_TRAY_UPDATES_URL": " "}) == DEFAULT_UPDATES_URL
    local = "http://127.0.0.1:8080/pypi/deepgram-balance-tray/json"
    assert updates_url({"DEEPGRAM_TRAY_UPDATES_URL": local}) == local
    mirror = "https://mirror.example/pypi/deepgram-balance-tray/json"
    assert updates_url({"DEEPGRAM_TRAY_UPDATES_URL": mirror}) == mirror


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("http://mirror.example/json", "must use https:// for mirror.example"),
        ("ftp://mirror.example/json", "must be an https:// URL"),
        ("pypi.org", "must be an https:// URL"),
        ("https://[::1/json", "must be an https:// URL"),
    ],
)
def test_an_unusable_updates_url_is_one_sentence(value: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says.replace("(", r"\(")) as info:
        updates_url({"DEEPGRAM_TRAY_UPDATES_URL": value})
    assert info.value.message.endswith(".") and "\n" not in info.value.message


# --- through the tray's fetch worker (a real `deepgram-tray _fetch` process) -------------------


def test_the_worker_reads_the_latest_release(
    pypi: FakePyPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEEPGRAM_API_KEY", SECRET)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    pypi.latest("9.9.9")
    assert read_latest_release_in_child_process(pypi.url) == Release("9.9.9", page(pypi, "9.9.9"))
    [seen] = pypi.requests()
    assert SECRET not in repr(seen) and seen.header("Authorization") is None


def test_the_worker_says_why_it_could_not_tell(pypi: FakePyPI) -> None:
    pypi.answer(200, "<html>portal</html>")
    with pytest.raises(MalformedResponseError, match="answered the update check with not JSON"):
        read_latest_release_in_child_process(pypi.url)


def test_the_worker_ignores_a_pre_release(pypi: FakePyPI) -> None:
    pypi.latest("9.9.9rc1")
    assert read_latest_release_in_child_process(pypi.url) is None
