"""Fault injection: the real tray and the CLI against a test server that misbehaves every way the
issue lists, checked for what the user sees, how often the server is asked, and where the key goes.

The tray is the real TrayApp, Poller and fetch worker (tests/support/tray_harness.py) on a clock
the test moves, so an hour of backoff takes seconds; every poll is a real HTTP exchange.
"""

from __future__ import annotations

import itertools
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import OWNER_KEY, PROJECT_A, REPO_ROOT, populate, run_cli
from tests.support.deepgram_server import FakeDeepgram, Fault, new_error, old_error
from tests.support.tray_harness import QUICK_TIMEOUTS, TrayHarness
from trayapp.config import Settings, load_settings
from trayapp.deepgram.models import Timeouts
from trayapp.desktop.paths import CONFIG_ENV
from trayapp.tray.scheduler import FIRST_RETRY, MAX_BACKOFF, REFRESH_DEBOUNCE

pytestmark = pytest.mark.faults

INTERVAL = 300.0
FAULT_WINDOW = 3600.0
PROJECTS = 2
ALL_CALLS = r"^/v1/projects"  # the listing and every balance call
BALANCE_CALLS = r"/balances"


@dataclass(frozen=True)
class Case:
    id: str
    fault: Fault = field(default_factory=Fault)
    path: str = ALL_CALLS
    words: str = ""
    """The plain words the tooltip gives for it."""
    exit_code: int = 4
    """What `deepgram-tray balance` exits with."""
    blocking: bool = False
    """The user must act (key or permission): the icon turns grey at once."""
    retry_after: float | None = None
    tray_timeouts: Timeouts = QUICK_TIMEOUTS
    """The tray's client limits: each try at a stalling server costs this much real time."""


# A byte every 0.3 s never trips the 1 s read timeout, so only the whole call's deadline ends a
# try; a short one makes the tray's hour of retries take seconds, not half a minute.
TRICKLE_TIMEOUTS = QUICK_TIMEOUTS._replace(total=1.0)

CASES = [
    Case(
        "401-invalid-key",
        Fault(status=401, body=old_error("INVALID_AUTH", "Invalid credentials.")),
        words="API key refused",
        exit_code=3,
        blocking=True,
    ),
    Case(
        "403-member-key",
        Fault(status=403, body=new_error("INSUFFICIENT_PERMISSIONS", "No billing:read.")),
        path=BALANCE_CALLS,
        words="key may not read balances",
        exit_code=3,
        blocking=True,
    ),
    Case(
        "429-retry-after",
        Fault(
            status=429,
            body=new_error("TOO_MANY_REQUESTS", "Slow down."),
            headers={"Retry-After": "600"},
        ),
        words="rate-limited by Deepgram",
        retry_after=600.0,
    ),
    Case(
        "429-no-retry-after",
        Fault(status=429, body=new_error("TOO_MANY_REQUESTS", "Slow down.")),
        words="rate-limited by Deepgram",
    ),
    Case("500", Fault(status=500, body=old_error("INTERNAL", "Oops.")), words="server error"),
    Case("502", Fault(status=502, body="Bad Gateway"), words="server error"),
    Case("503", Fault(status=503, body={"message": "Unavailable"}), words="server error"),
    Case("hang", Fault(action="hang"), words="offline"),
    Case("connection-closed", Fault(action="close"), words="offline"),
    Case(
        "html-page",
        Fault(
            status=200,
            body="<html><body>Sign in to the Wi-Fi</body></html>",
            headers={"Content-Type": "text/html"},
        ),
        words="unexpected answer",
    ),
    Case("truncated-json", Fault(status=200, action="truncate"), words="unexpected answer"),
    Case(
        "wrong-types",
        Fault(status=200, body={"balances": [{"balance_id": 7, "amount": "lots", "units": 1}]}),
        path=BALANCE_CALLS,
        words="unexpected answer",
    ),
    Case("50-mb-body", Fault(action="huge"), words="unexpected answer"),
    Case(
        "slow-trickle",  # a byte every 0.3 s: never a read timeout, so the total deadline must act
        Fault(
            status=200, action="trickle", trickle_delay=0.3, body={"projects": [], "x": "y" * 99}
        ),
        words="offline",
        tray_timeouts=TRICKLE_TIMEOUTS,
    ),
    # Most often a captive portal: not really online.
    Case("redirect-elsewhere", Fault(status=302, action="redirect"), words="offline"),
]


def most_fetches_allowed(window: float, retry_after: float | None) -> int:
    """Fetches the schedule permits in `window` seconds of failure, every jittered delay at its
    shortest: the first failure, then exponential backoff from FIRST_RETRY to its ceiling."""
    elapsed, fetches = 0.0, 1
    while True:
        delay = min(max(MAX_BACKOFF, INTERVAL), FIRST_RETRY * 2 ** (fetches - 1)) / 2
        if retry_after is not None:
            delay = max(delay, retry_after)
        elapsed += delay
        if elapsed >= window:
            return fetches
        fetches += 1


@pytest.fixture
def server(deepgram: FakeDeepgram) -> FakeDeepgram:
    """conftest's test server (the one cli_env points at), under the name these tests use."""
    return deepgram


@pytest.fixture
def elsewhere() -> Iterator[FakeDeepgram]:
    """Another host, where redirects point: it must never see a request."""
    other = populate(FakeDeepgram()).start()
    try:
        yield other
    finally:
        other.stop()


@pytest.fixture
def key_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fetch worker (a child process) finds the key in its environment, as with a CI key.
    monkeypatch.setenv("DEEPGRAM_API_KEY", OWNER_KEY)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def healthy_tray(server: FakeDeepgram, timeouts: Timeouts = QUICK_TIMEOUTS) -> TrayHarness:
    tray = TrayHarness(
        Settings(api_url=server.base_url, poll_interval=int(INTERVAL)), timeouts=timeouts
    )
    tray.run_for(1)
    assert tray.colour() == "green"
    assert "Total: $128.32" in tray.menu()
    return tray


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_tray_rides_out_the_fault_and_recovers(
    case: Case,
    server: FakeDeepgram,
    elsewhere: FakeDeepgram,
    key_in_env: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    if case.fault.action == "redirect":
        case.fault.redirect_to = f"{elsewhere.base_url}/v1/projects"
    tray = healthy_tray(server, case.tray_timeouts)
    try:
        server.fail(case.path, case.fault)
        started, requests_before = tray.clock.mono, len(server.requests)

        # The next poll fails: the last good amount stays, the problem is said in plain words.
        tray.run_for(INTERVAL)
        assert len(tray.fetch_times) == 2
        menu, tooltip = tray.menu(), tray.tooltip()
        assert "Total: $128.32" in menu, menu
        assert tooltip.startswith("Deepgram $128.32 · "), tooltip
        assert case.words in tooltip, tooltip
        status = tray.poller.state.error
        assert status is not None
        # The menu's status line is the message, shortened to fit a menu where it is long.
        assert any(len(line) > 20 and status.message.startswith(line.rstrip("…")) for line in menu)
        assert status.message.endswith(".") and "Traceback" not in status.message
        assert tray.colour() == ("grey" if case.blocking else "green")

        # An hour of failure: marked stale, and no more requests than the backoff allows.
        tray.run_for(FAULT_WINDOW)
        assert tray.poller.state.stale and tray.colour() == "grey"
        assert "Total: $128.32" in tray.menu()
        assert "stale since" in tray.tooltip()
        failing = tray.fetches_between(started, tray.clock.mono)
        assert len(failing) <= most_fetches_allowed(INTERVAL + FAULT_WINDOW, case.retry_after)
        assert len(server.requests) - requests_before <= len(failing) * (1 + PROJECTS)
        if case.retry_after is not None:
            gaps = [later - earlier for earlier, later in itertools.pairwise(failing)]
            assert min(gaps) >= case.retry_after

        # A burst of Refresh clicks gives one fetch, and Retry-After holds even against clicks.
        before = len(tray.fetch_times)
        for _ in range(20):
            tray.click("Refresh now")
        tray.run_for(REFRESH_DEBOUNCE * 5)
        clicked = tray.fetch_times[before:]
        if case.retry_after is None:
            assert len(clicked) == 1
        else:
            assert len(clicked) <= 1
            assert all(t - tray.fetch_times[before - 1] >= case.retry_after for t in clicked)

        # Healthy again: it recovers by itself on its schedule, without a click.
        server.clear_faults()
        tray.run_for(max(MAX_BACKOFF, case.retry_after or 0) + 1)
        assert tray.poller.state.error is None and not tray.poller.state.stale
        assert tray.colour() == "green"
        assert tray.menu()[0] == "Total: $128.32"
        assert tray.tooltip().startswith("Deepgram $128.32 · updated")
    finally:
        tray.close()

    # The key went nowhere else and was never shown or logged.
    assert elsewhere.requests == []
    assert OWNER_KEY not in tray.ui_texts()
    assert OWNER_KEY not in caplog.text and OWNER_KEY[:12] not in caplog.text


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_cli_says_one_sentence_and_exits_with_the_right_code(
    case: Case,
    server: FakeDeepgram,
    elsewhere: FakeDeepgram,
    cli_env: dict[str, str],
) -> None:
    if case.fault.action == "redirect":
        case.fault.redirect_to = f"{elsewhere.base_url}/v1/projects"
    server.fail(case.path, case.fault)
    result = run_cli(["balance", "--format", "json"], cli_env, timeout=120)
    assert result.returncode == case.exit_code, result.stderr
    assert "Traceback" not in result.stderr
    for line in result.stderr.strip().splitlines():
        assert line.startswith("deepgram-tray: ") and line.rstrip().endswith("."), line
    assert OWNER_KEY not in result.stdout + result.stderr
    assert elsewhere.requests == []


def test_a_project_that_is_not_found_is_dropped_not_guessed(
    server: FakeDeepgram, key_in_env: None
) -> None:
    tray = healthy_tray(server)
    try:
        server.fail(f"{PROJECT_A}/balances", Fault(status=404, body="Not Found"))
        tray.run_for(INTERVAL)
        menu = tray.menu()
        assert "Voice Bot Prod: unavailable (project not found)" in menu, menu
        assert "Staging: $3.25" in menu and "Total: $3.25" in menu
        server.clear_faults()
        tray.run_for(INTERVAL + 1)
        assert tray.menu()[0] == "Total: $128.32"
    finally:
        tray.close()


def test_a_project_that_cannot_be_read_keeps_its_last_amount(
    server: FakeDeepgram, key_in_env: None
) -> None:
    tray = healthy_tray(server)
    try:
        server.fail(f"{PROJECT_A}/balances", Fault(status=503, body="busy"))
        tray.run_for(INTERVAL)
        menu = tray.menu()
        # Not a drop to $3.25 (a false alarm): the unread project's last amount counts, marked.
        assert "Total: $128.32" in menu, menu
        assert "Voice Bot Prod: $125.07, not updated (Deepgram server error)" in menu
        assert tray.colour() == "green"
    finally:
        tray.close()


def test_refused_connections(server: FakeDeepgram, key_in_env: None) -> None:
    tray = healthy_tray(server)
    try:
        with socket.socket() as probe:  # a port nobody listens on
            probe.bind(("127.0.0.1", 0))
            dead_url = f"http://127.0.0.1:{probe.getsockname()[1]}"
        tray.settings = tray.settings._replace(api_url=dead_url)
        tray.run_for(INTERVAL)
        assert "offline" in tray.tooltip() and "Total: $128.32" in tray.menu()
        tray.run_for(FAULT_WINDOW)
        assert len(tray.fetch_times) - 1 <= most_fetches_allowed(INTERVAL + FAULT_WINDOW, None)
        tray.settings = tray.settings._replace(api_url=server.base_url)
        tray.run_for(MAX_BACKOFF + 1)
        assert tray.colour() == "green" and tray.poller.state.error is None
    finally:
        tray.close()


# --- the user's side: settings, keyring, clock ------------------------------------------------


def config_tray(path: Path) -> TrayHarness:
    """A tray reading its settings from the real config file at `path`, as the app does."""
    return TrayHarness(Settings(), load_settings=lambda: load_settings({CONFIG_ENV: str(path)}))


def test_a_corrupt_config_is_reported_and_never_overwritten(
    server: FakeDeepgram, key_in_env: None, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'api_url = "{server.base_url}"\n')
    tray = config_tray(config)
    try:
        tray.run_for(1)
        assert tray.menu()[0] == "Total: $128.32"
        garbage = b'api_url = "unterminated\n\xff\xfe poll_interval = [\n'
        config.write_bytes(garbage)
        tray.click("Refresh now")
        tray.run_for(INTERVAL * 3)
        assert "settings need fixing" in tray.tooltip()
        assert "Total: $128.32" in tray.menu()  # the last good settings keep polling
        assert tray.poller.state.error is not None
        assert str(config) in tray.poller.state.error.message
        # Neither the tray nor a `config set` writes over what the user may want to repair.
        cli_env["DEEPGRAM_TRAY_CONFIG"] = str(config)
        refused = run_cli(["config", "set", "warn_below", "50"], cli_env)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr
        assert config.read_bytes() == garbage
    finally:
        tray.close()


def test_an_unreadable_config_is_reported(key_in_env: None, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.mkdir()  # unreadable as a file, even for root
    tray = config_tray(config)
    try:
        tray.run_for(1)
        assert "settings need fixing" in tray.tooltip(), tray.tooltip()
        assert config.is_dir()
    finally:
        tray.close()


@pytest.mark.parametrize(
    "url", ["http://api.deepgram.com", "http://192.0.2.7:8080", "ftp://127.0.0.1/"]
)
def test_a_remote_plain_http_url_is_refused_before_any_request(
    url: str, server: FakeDeepgram, key_in_env: None, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'api_url = "{url}"\n')
    tray = config_tray(config)
    try:
        tray.run_for(INTERVAL)
        assert tray.fetch_times == []  # nothing was sent, so the key went nowhere
        assert "settings need fixing" in tray.tooltip()
    finally:
        tray.close()
    cli_env["DEEPGRAM_TRAY_API_URL"] = url
    result = run_cli(["balance"], cli_env)
    assert result.returncode == 2 and "https" in result.stderr
    assert server.requests == []


@pytest.mark.parametrize(
    ("backend", "words", "message"),
    [
        ("keyring.backends.fail.Keyring", "keyring unavailable", "No OS keyring is available"),
        ("tests.support.memory_keyring.LockedKeyring", "keyring unavailable", "locked"),
    ],
    ids=["missing", "locked"],
)
def test_a_missing_or_locked_keyring_is_shown_not_raised(
    backend: str,
    words: str,
    message: str,
    server: FakeDeepgram,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DEEPGRAM_API_KEY", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend)
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))  # the worker loads the test backend by name
    tray = TrayHarness(Settings(api_url=server.base_url))
    try:
        tray.run_for(1)
        assert words in tray.tooltip(), tray.tooltip()
        error = tray.poller.state.error
        assert error is not None and message in error.message
        assert server.requests == []
        tray.run_for(3600)  # it waits for the user to act (see test_poller.py), quietly
        assert tray.icon.ui_thread is not None and tray.colour() == "grey"
    finally:
        tray.close()


def test_sleep_and_resume_refresh_at_once_and_a_clock_set_back_changes_nothing(
    server: FakeDeepgram, key_in_env: None
) -> None:
    tray = healthy_tray(server)
    try:
        tray.run_for(60)
        fetched = len(tray.fetch_times)
        server.set_balances(PROJECT_A, [{"balance_id": "b", "amount": 10, "units": "usd"}])
        tray.clock.suspend(8 * 3600)  # the laptop sleeps overnight: wall time jumps ahead
        tray.run_for(1)
        assert len(tray.fetch_times) == fetched + 1, "a refresh right after waking"
        assert tray.menu()[0] == "Total: $13.25" and tray.colour() == "amber"

        tray.clock.wall -= 3600  # the clock is set back an hour (DST, NTP): no extra fetch
        tray.run_for(60)
        assert len(tray.fetch_times) == fetched + 1
        tray.run_for(INTERVAL)
        assert len(tray.fetch_times) == fetched + 2, "the schedule runs on as before"
    finally:
        tray.close()
