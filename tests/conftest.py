from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import keyring
import pytest
from hypothesis import settings

from tests.support.deepgram_server import MEMBER, FakeDeepgram
from tests.support.memory_keyring import MemoryKeyring
from tests.support.pypi_server import NOWHERE, FakePyPI
from tests.support.required import require_tools, unavailable
from trayapp.config import Settings

if TYPE_CHECKING:
    from xdist.remote import Producer
    from xdist.scheduler import Scheduling

    from tests.support.desktop import TrayProcess, VirtualDesktop
    from tests.support.sni_client import SessionBus, SniClient
    from tests.support.sni_desktop import SwayDesktop

# Keys shaped like Deepgram's (40 random hex characters), sharing no run of characters: redaction
# hides any 8-character run of a key, so keys with runs in common would hide parts of each other.
# Any test may assert that they never show up where they must not.
OWNER_KEY = "084c603f91bff07b8564a4e2168934318e18f53c"
MEMBER_KEY = "0730d87a2ac72061f2de6015c1121627a3970063"
BAD_KEY = "014b1ea877b8188f9dd2d815407383f4db8e1059"

PROJECT_A = "3f0e5c6a-1b2c-4d5e-8f90-0a1b2c3d4e5f"
PROJECT_B = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"

REPO_ROOT = Path(__file__).resolve().parent.parent

# Property tests: thorough by default; scripts/mutate.py asks for a quick pass, since it runs the
# tests once per planted bug.
settings.register_profile("default", max_examples=300, deadline=None)
settings.register_profile("mutation", max_examples=40, deadline=None, derandomize=True)
settings.load_profile(os.environ.get("DEEPGRAM_TRAY_HYPOTHESIS_PROFILE", "default"))


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # optional: pytest-xdist defines the hook
def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> Scheduling | None:
    """`-n N` (`--dist load`, the default) runs module by module and keeps the costly lanes whole:
    see tests/support/xdist_scheduling.py. Other `--dist` modes are xdist's own."""
    if config.getvalue("dist") != "load":
        return None
    from tests.support.xdist_scheduling import LanesAndModules

    return LanesAndModules(config, log)


# The Secret Service scripts/test starts (scripts/with-test-keyring) keeps its files here; read
# once, before any test changes the environment.
TEST_KEYRING_DATA = (
    os.environ.get("XDG_DATA_HOME")
    if os.environ.get("DEEPGRAM_TRAY_TEST_SECRET_SERVICE") == "1"
    else None
)


@pytest.fixture(autouse=True)
def one_secret_service_test_at_a_time(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests that use the run's one Secret Service take turns across pytest-xdist's workers: they
    store and delete the same keyring entries, so two at once would see each other's keys."""
    uses_keyring = "secret_service" in request.fixturenames or request.node.get_closest_marker(
        "keyring_daemon"
    )
    if not uses_keyring or TEST_KEYRING_DATA is None:
        yield
        return
    from tests.support.turns import taking_turns

    lock = Path(TEST_KEYRING_DATA) / "deepgram-tray-tests.lock"
    with taking_turns(lock, what="the other workers' Secret Service tests"):
        yield


def populate(server: FakeDeepgram) -> FakeDeepgram:
    """Two projects whose balances sum to 128.31822227 (104.56822227 + 20.5 + 3.25)."""
    server.add_key(OWNER_KEY)
    server.add_key(MEMBER_KEY, MEMBER)
    server.add_project(
        PROJECT_A,
        "Voice Bot Prod",
        [
            {
                "balance_id": "bal-1",
                "amount": 104.56822227,
                "units": "usd",
                "purchase_order_id": "po-1",
            },
            {"balance_id": "bal-2", "amount": "20.5", "units": "USD", "purchase_order_id": "po-2"},
        ],
    )
    server.add_project(
        PROJECT_B,
        "Staging",
        [{"balance_id": "bal-3", "amount": 3.25, "units": "usd", "purchase_order_id": "po-3"}],
    )
    return server


@pytest.fixture
def deepgram() -> Iterator[FakeDeepgram]:
    server = populate(FakeDeepgram()).start()
    try:
        yield server
    finally:
        server.stop()


def today() -> date:
    """Today (UTC, as Deepgram bills), read when asked: a run that crosses midnight must seed
    and check each test against the same day, not the day the run started."""
    return datetime.now(timezone.utc).date()


def day(offset: int) -> str:
    """The ISO date `offset` days before today (negative: in the future), as the API writes it."""
    return (today() - timedelta(days=offset)).isoformat()


@pytest.fixture
def billed(deepgram: FakeDeepgram) -> FakeDeepgram:
    """Spend and orders on the test server (the seed balances total $128.31822227).

    Project A spends $3 a day, B $1.25 (as a string: the API's types drift), so $4.25 a day and
    about 30 days left; today is partial. The nearest credit to expire is B's $25 in 20 days.
    """
    deepgram.daily_spend[PROJECT_A] = {day(n): 3 for n in range(1, 12)} | {day(0): 1}
    deepgram.daily_spend[PROJECT_B] = {day(n): "1.25" for n in range(1, 12)}
    deepgram.orders[PROJECT_A] = [
        {"order_id": "o1", "amount": 100, "units": "usd", "expiration": None},
        {"order_id": "o2", "amount": 150, "units": "usd", "expiration": day(-45)},
        {"order_id": "o3", "amount": 20, "units": "usd", "expiration": day(3)},  # expired
    ]
    deepgram.orders[PROJECT_B] = [
        {"order_id": "o4", "amount": 25, "units": "USD", "expiration": day(-20) + "T00:00:00Z"}
    ]
    return deepgram


UNICODE_NAME = "日本語 ✓ 🚀"
UNICODE_PROJECT = "5d6e7f80-1a2b-4c3d-8e9f-0a1b2c3d4e5f"


@pytest.fixture
def unicode_project(deepgram: FakeDeepgram) -> FakeDeepgram:
    """A third project, with $7, named in characters no ANSI code page and no C locale holds."""
    deepgram.add_project(
        UNICODE_PROJECT,
        UNICODE_NAME,
        [{"balance_id": "bal-u", "amount": 7, "units": "usd", "purchase_order_id": "po-u"}],
    )
    return deepgram


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def no_cli_log_handler_left() -> Iterator[None]:
    """A test that runs the CLI in this process leaves its stderr log handler on the root logger,
    bound to that test's captured stream: later tests' warnings would go to a closed file."""
    import logging

    from trayapp.desktop import logs

    root = logging.getLogger()
    before = list(root.handlers)
    yield
    for handler in root.handlers[:]:
        if handler not in before:
            root.removeHandler(handler)
    logs._cli_handler = None


@pytest.fixture(autouse=True)
def forgotten_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no remembered key, as each run of the app does: a key one test
    remembered would otherwise be hidden from the next one's output."""
    from trayapp import redaction

    monkeypatch.setattr(redaction, "_patterns", {})


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the developer's real config, or picks up their key or API URL, or
    asks the real update source."""
    path = tmp_path / "config" / "config.toml"
    monkeypatch.setenv("DEEPGRAM_TRAY_CONFIG", str(path))
    monkeypatch.delenv("DEEPGRAM_API_KEY", raising=False)
    monkeypatch.delenv("DEEPGRAM_TRAY_API_URL", raising=False)
    # Every tray a test starts inherits this: none ever asks the real PyPI for updates.
    monkeypatch.setenv("DEEPGRAM_TRAY_UPDATES_URL", NOWHERE)
    return path


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def worker_env(deepgram: FakeDeepgram, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """For running the tray's fetch worker against the test server: the child inherits this
    process's environment, as it does under the tray."""
    monkeypatch.setenv("DEEPGRAM_API_KEY", OWNER_KEY)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("HOME", str(tmp_path))
    return Settings(api_url=deepgram.base_url)


@pytest.fixture
def cli_env(tmp_path: Path, deepgram: FakeDeepgram) -> dict[str, str]:
    """Environment for running `deepgram-tray` as a subprocess against the test server.

    The keyring is the always-failing backend unless a test chooses another, so no subprocess
    ever touches a real keyring by accident.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEEPGRAM_", "PYTHON_KEYRING"))}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        DEEPGRAM_TRAY_CONFIG=str(tmp_path / "config" / "config.toml"),
        DEEPGRAM_TRAY_API_URL=deepgram.base_url,
        DEEPGRAM_API_KEY=OWNER_KEY,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        PYTHONPATH=str(REPO_ROOT),
        NO_PROXY="*",
    )
    return env


def plant_at_startup(env: dict[str, str], folder: Path, code: str) -> None:
    """Make every interpreter started with `env` run `code` first (as sitecustomize).

    Lets subprocess tests plant a bug or a misbehaving library without changing the app.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(code)
    env["PYTHONPATH"] = os.pathsep.join([str(folder), env["PYTHONPATH"]])


def run_cli(
    args: list[str],
    env: dict[str, str],
    *,
    stdin: str | None = None,
    timeout: float = 60,
    program: list[str] | None = None,
) -> CliResult:
    """Run `deepgram-tray ARGS` the way a user's shell would (a fresh interpreter).

    `program` runs another build of the app instead, e.g. the PyInstaller bundle.
    """
    completed = subprocess.run(
        [*(program or [sys.executable, "-m", "trayapp"]), *args],
        env=env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
    )
    return CliResult(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture(scope="module")
def desktop() -> Iterator[VirtualDesktop]:
    """Xvfb with a trayer panel, shared by a module's tests; fails instead of skipping in CI."""
    from tests.support.desktop import VirtualDesktop, missing_tools

    require_tools(missing_tools())
    screen = VirtualDesktop().start()
    try:
        yield screen
    finally:
        screen.stop()


@pytest.fixture(scope="module")
def sway() -> Iterator[SwayDesktop]:
    """A StatusNotifierItem panel (Waybar on a headless Sway), shared by a module's tests."""
    from tests.support.sni_desktop import SwayDesktop, missing_tools

    require_tools(missing_tools())
    with SwayDesktop() as desktop:
        yield desktop


@pytest.fixture
def private_bus() -> Iterator[SessionBus]:
    """A session bus (dbus-daemon) of the test's own, stopped after it."""
    from tests.support.desktop import stop_process_group
    from tests.support.sni_client import SessionBus, start_session_bus

    require_tools([t for t in ("dbus-daemon",) if shutil.which(t) is None])
    daemon, address = start_session_bus()
    try:
        yield SessionBus(address, daemon)
    finally:
        stop_process_group(daemon)


@pytest.fixture
def sni_client(private_bus: SessionBus) -> Iterator[SniClient]:
    """The test's own connection to `private_bus`, reading and clicking as a panel does."""
    from tests.support.sni_client import SniClient

    connected = SniClient(private_bus.address)
    try:
        yield connected
    finally:
        connected.close()


@pytest.fixture
def secret_service() -> Iterator[None]:
    """The isolated Secret Service of scripts/test (see scripts/with-test-keyring), left empty."""
    if os.environ.get("DEEPGRAM_TRAY_TEST_SECRET_SERVICE") != "1":
        pytest.skip("needs the isolated Secret Service that scripts/test starts")
    from keyring.backends import SecretService

    from trayapp.credentials import KEYRING_SERVICE, KEYRING_USERNAME

    backend = SecretService.Keyring()
    assert backend.priority > 0, "the Secret Service is not reachable on the session bus"

    def clear() -> None:
        with contextlib.suppress(Exception):
            backend.delete_password(KEYRING_SERVICE, KEYRING_USERNAME)

    clear()
    yield
    clear()


def stored_secret() -> str | None:
    """Read the key straight from the Secret Service, bypassing the app and the keyring library."""
    import secretstorage

    from trayapp.credentials import KEYRING_SERVICE, KEYRING_USERNAME

    with secretstorage.dbus_init() as connection:
        collection = secretstorage.get_default_collection(connection)
        items = list(
            collection.search_items({"service": KEYRING_SERVICE, "username": KEYRING_USERNAME})
        )
        return items[0].get_secret().decode() if items else None


@pytest.fixture(scope="session")
def bundle() -> list[str]:
    """The PyInstaller bundle's program (scripts/test builds it with packaging/build-linux.sh)."""
    folder = os.environ.get("DEEPGRAM_TRAY_TEST_BUNDLE")
    if not folder:
        message = (
            "needs the Linux bundle: run packaging/build-linux.sh and set "
            "DEEPGRAM_TRAY_TEST_BUNDLE=dist/deepgram-tray (scripts/test does both)"
        )
        unavailable(message)
    program = Path(folder).resolve() / "deepgram-tray"
    assert program.is_file(), f"no program in the bundle at {program}"
    return [str(program)]


@pytest.fixture
def processes() -> Iterator[list[TrayProcess]]:
    """App processes a test starts (TrayProcess): each is stopped, its group too, at the end."""
    started: list[TrayProcess] = []
    try:
        yield started
    finally:
        for process in started:
            process.stop()


@pytest.fixture
def pypi() -> Iterator[FakePyPI]:
    """A loopback stand-in of PyPI's JSON API, for the update check (DEEPGRAM_TRAY_UPDATES_URL:
    its `url`)."""
    with FakePyPI() as server:
        yield server
