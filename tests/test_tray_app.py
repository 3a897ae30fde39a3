"""The tray app wired to the real poller and the test HTTP server, on a recording backend."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest

from tests.conftest import OWNER_KEY, PROJECT_A, PROJECT_B
from tests.support.colours import dominant_family
from tests.support.deepgram_server import FakeDeepgram
from tests.support.recording_backend import RecordingIcon
from tests.support.tray_states import state_with
from tests.support.waiting import wait_until
from trayapp.accounts import Account
from trayapp.config import Settings
from trayapp.outlook.forecast import SpendRate, build_forecast
from trayapp.tray.app import CONSOLE_URL, TrayApp
from trayapp.tray.fetch_process import fetch_in_child_process
from trayapp.tray.poller import Poller
from trayapp.tray.render import menu_lines
from trayapp.tray.scheduler import Clock
from trayapp.tray.view import AccountState, TrayView
from trayapp.updates.release import Release


@dataclass
class RunningTray:
    app: TrayApp
    icon: RecordingIcon
    poller: Poller
    ui: threading.Thread
    worker: threading.Thread
    opened: list[str]
    settings_opened: list[bool]
    login: list[bool]
    history_opened: list[bool]

    def latest(self, name: str) -> object:
        values = self.icon.recorded(name)
        return values[-1] if values else None


@pytest.fixture
def tray(deepgram: FakeDeepgram, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningTray]:
    # Fetches run in the real worker child process, which finds the key in its environment.
    monkeypatch.setenv("DEEPGRAM_API_KEY", OWNER_KEY)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    settings = Settings(api_url=deepgram.base_url, poll_interval=300)
    opened: list[str] = []
    settings_opened: list[bool] = []
    history_opened: list[bool] = []
    login = [False]
    poller = Poller(
        load_settings=lambda: settings,
        fetch=fetch_in_child_process,
        on_state=lambda state: app.show(state),
        on_alert=lambda alert: app.notify(alert),
        clock=Clock(monotonic=time.monotonic, wall=time.time),
    )
    app = TrayApp(
        backend="dummy",  # the recording backend needs no backend-specific hooks
        icon_class=RecordingIcon,
        initial_state=poller.state,
        on_refresh=poller.refresh,
        on_quit=poller.stop,
        on_settings=lambda: settings_opened.append(True),
        on_history=lambda: history_opened.append(True),
        start_at_login=lambda: login[-1],
        set_start_at_login=login.append,
        open_url=opened.append,
    )
    assert isinstance(app.icon, RecordingIcon)
    worker = threading.Thread(target=poller.run, name="poller")
    ui = threading.Thread(target=app.run, kwargs={"on_ready": worker.start}, name="ui")
    ui.start()
    running = RunningTray(
        app, app.icon, poller, ui, worker, opened, settings_opened, login, history_opened
    )
    try:
        yield running
    finally:
        app.quit()
        ui.join(timeout=10)
        if worker.is_alive():
            worker.join(timeout=10)
        assert not ui.is_alive() and not worker.is_alive(), "the tray did not shut down"


def test_shows_the_total_in_tooltip_menu_and_icon(tray: RunningTray) -> None:
    wait_until(lambda: "Total: $128.32" in tray.icon.menu_texts())
    menu = tray.icon.menu_texts()
    assert "Voice Bot Prod: $125.07" in [t.strip() for t in menu]
    assert "Staging: $3.25" in [t.strip() for t in menu]
    assert str(tray.latest("title")).startswith("Deepgram $128.32 · updated ")
    assert dominant_family(tray.latest("icon")) == "green"  # type: ignore[arg-type]
    assert "show" in [c.name for c in tray.icon.calls]


def test_every_ui_change_runs_on_the_ui_thread(tray: RunningTray) -> None:
    wait_until(lambda: "Total: $128.32" in tray.icon.menu_texts())
    updates = [c for c in tray.icon.calls if c.name in ("icon", "title", "menu", "notify")]
    assert updates
    assert {c.thread for c in updates} == {tray.icon.ui_thread}


def test_refresh_from_the_menu_follows_the_server(
    tray: RunningTray, deepgram: FakeDeepgram
) -> None:
    wait_until(lambda: "Total: $128.32" in tray.icon.menu_texts())
    deepgram.set_balances(PROJECT_A, [{"amount": 10, "units": "usd"}])
    before = len(deepgram.requests_to("/balances"))
    tray.icon.click("Refresh now")
    wait_until(lambda: "Total: $13.25" in tray.icon.menu_texts())
    assert len(deepgram.requests_to("/balances")) == before + 2
    assert dominant_family(tray.latest("icon")) == "amber"  # type: ignore[arg-type]
    wait_until(lambda: tray.icon.recorded("notify"))
    assert tray.icon.recorded("notify") == [
        (
            "Deepgram balance low: $13.25",
            "Your Deepgram credit is $13.25, below $20.00: consider topping up soon.",
        )
    ]


def test_left_click_refreshes(tray: RunningTray, deepgram: FakeDeepgram) -> None:
    wait_until(lambda: "Total: $128.32" in tray.icon.menu_texts())
    deepgram.set_balances(PROJECT_B, [{"amount": "0.5", "units": "usd"}])
    deepgram.set_balances(PROJECT_A, [{"amount": "1", "units": "usd"}])
    tray.icon.left_click()
    wait_until(lambda: "Total: $1.50" in tray.icon.menu_texts())
    assert dominant_family(tray.latest("icon")) == "red"  # type: ignore[arg-type]


def test_open_console(tray: RunningTray) -> None:
    wait_until(lambda: tray.icon.menu_texts())
    tray.icon.click("Open Deepgram Console")
    wait_until(lambda: tray.opened)
    assert tray.opened == [CONSOLE_URL]


@pytest.mark.parametrize("item", ["Settings…", "Set API key…"])
def test_settings_items_open_the_window(tray: RunningTray, item: str) -> None:
    wait_until(lambda: tray.icon.menu_texts())
    tray.icon.click(item)
    wait_until(lambda: tray.settings_opened)
    assert tray.settings_opened == [True]


def test_show_history_opens_its_window(tray: RunningTray) -> None:
    wait_until(lambda: tray.icon.menu_texts())
    tray.icon.click("Show history…")
    wait_until(lambda: tray.history_opened)
    assert tray.history_opened == [True] and tray.settings_opened == []


def test_start_at_login_toggles_and_shows_its_tick(tray: RunningTray) -> None:
    def tick() -> bool:
        items = [i for i in tray.icon.menu.items if str(i) == "Start at login"]
        return bool(items and items[0].checked)

    wait_until(lambda: "Start at login" in tray.icon.menu_texts())
    assert not tick()
    tray.icon.click("Start at login")
    wait_until(tick, what="the tick")
    assert tray.login == [False, True]
    tray.icon.click("Start at login")
    wait_until(lambda: not tick(), what="the tick to go")
    assert tray.login == [False, True, False]


def test_quit_stops_the_ui_loop_and_the_poller(tray: RunningTray) -> None:
    wait_until(lambda: tray.icon.menu_texts())
    tray.icon.click("Quit")
    tray.ui.join(timeout=10)
    tray.worker.join(timeout=10)
    assert not tray.ui.is_alive() and not tray.worker.is_alive()
    assert tray.icon.recorded("stopped") == [None]


NEW_RELEASE = Release("0.2.0", "https://pypi.org/project/deepgram-balance-tray/0.2.0/")


def app_doing(did: list[str], **changes: object) -> TrayApp:
    """A TrayApp on the recording backend whose every handler notes what it did in `did`."""
    arguments: dict[str, object] = {
        "backend": "dummy",
        "icon_class": RecordingIcon,
        "initial_state": state_with("1"),
        "on_refresh": lambda: did.append("refresh"),
        "on_quit": lambda: did.append("quit"),
        "on_settings": lambda: did.append("settings"),
        "on_history": lambda: did.append("history"),
        "start_at_login": lambda: False,
        "set_start_at_login": lambda enabled: did.append(f"start at login: {enabled}"),
        "open_url": did.append,
    }
    arguments.update(changes)
    return TrayApp(**arguments)  # type: ignore[arg-type]


def test_every_menu_item_does_what_it_says() -> None:
    """Choosing each item runs its own handler, the information lines too (a disabled item is
    drawn faint): a new MenuAction with none fails here."""
    did: list[str] = []
    forecast = build_forecast(Decimal(1), SpendRate("billing", Decimal(1)), None)
    state = state_with("1", forecast=forecast)
    app = app_doing(did, initial_state=state)
    app._apply_update(NEW_RELEASE)  # what show_update does on the UI thread (none runs here)
    assert isinstance(app.icon, RecordingIcon)
    items = {str(item): item for item in app.icon.menu.items}
    effects: dict[str, list[str]] = {}
    for line in menu_lines(state, start_at_login=False, update=NEW_RELEASE):
        if line.is_separator:
            continue
        assert items[line.text].enabled, line.text
        did.clear()
        items[line.text](app.icon)  # what the backend does when the item is chosen
        effects[line.text.strip()] = wait_until(lambda: list(did), what=line.text)
    assert effects == {
        "Total: $1.00": [CONSOLE_URL],
        "Project 0: $1.00": [f"{CONSOLE_URL}project/p0"],
        "Spending $1.00 a day on average (Deepgram's billing, last 7 days)": ["history"],
        "About 1 day left": ["history"],
        "Updated 18:03": ["refresh"],
        "Version 0.2.0 available": [NEW_RELEASE.page],
        "Refresh now": ["refresh"],
        "Show history…": ["history"],
        "Settings…": ["settings"],
        "Set API key…": ["settings"],
        "Start at login": ["start at login: True"],
        "Open Deepgram Console": [CONSOLE_URL],
        "Quit": ["quit"],
    }


def test_an_accounts_section_acts_on_that_account() -> None:
    """With several accounts, a section's key problem opens that account's settings, its forecast
    that account's chart; the icon and the tooltip speak for the account that needs money."""
    did: list[str] = []
    forecast = build_forecast(Decimal(4), SpendRate("billing", Decimal(1)), None)
    view = TrayView(
        (
            AccountState(Account("default", "default", Settings()), state_with("128")),
            AccountState(
                Account("client-a", "Client A", Settings()), state_with("4", forecast=forecast)
            ),
            AccountState(Account("client-b", "Client B", Settings()), state_with(has_key=False)),
        )
    )
    app = app_doing(
        did,
        initial_state=view,
        on_account_settings=lambda name: did.append(f"settings {name}"),
        on_account_history=lambda name: did.append(f"history {name}"),
    )
    assert isinstance(app.icon, RecordingIcon)
    items = {str(item).strip(): item for item in app.icon.menu.items}
    for text, effect in [
        ("Client B — No API key set", "settings client-b"),
        ("About 4 days left", "history client-a"),
        ("Settings…", "settings"),
        ("Show history…", "history"),
    ]:
        did.clear()
        items[text](app.icon)
        assert wait_until(lambda: list(did), what=text) == [effect]
    assert app.icon.title.splitlines()[:2] == ["Deepgram balances", "Client A: $4.00"]
    assert dominant_family(app.icon.icon) == "red"


@pytest.mark.parametrize("fails", ["returns False", "raises"])
def test_no_browser_says_where_the_console_is(fails: str, caplog: pytest.LogCaptureFixture) -> None:
    """webbrowser.open answers False when it could start no browser (and may raise): the click
    is answered with a notification, and the log says it too."""

    def no_browser(url: str) -> bool:
        if fails == "raises":
            raise OSError("no such file: firefox")
        return False

    app = app_doing([], open_url=no_browser)
    icon = app.icon
    assert isinstance(icon, RecordingIcon)
    ui = threading.Thread(target=app.run, kwargs={"on_ready": lambda: None})
    ui.start()
    try:
        with caplog.at_level(logging.WARNING):
            icon.click("Open Deepgram Console")
            said = wait_until(lambda: icon.recorded("notify"), what="the notification")
        assert said == [
            (
                "No web browser could be opened",
                "The Deepgram Console is at https://console.deepgram.com/",
            )
        ]
        assert "No web browser could be opened for https://console.deepgram.com/" in caplog.text
    finally:
        app.quit()
        ui.join(timeout=10)
    assert not ui.is_alive()


def test_the_update_line_comes_and_goes_and_says_where_its_page_is() -> None:
    app = app_doing([], open_url=lambda url: False)
    icon = app.icon
    assert isinstance(icon, RecordingIcon)
    ui = threading.Thread(target=app.run, kwargs={"on_ready": lambda: None})
    ui.start()
    try:
        assert "Version 0.2.0 available" not in icon.menu_texts()
        app.show_update(NEW_RELEASE)
        wait_until(lambda: "Version 0.2.0 available" in icon.menu_texts(), what="the line")
        texts = icon.menu_texts()
        assert texts[texts.index("Refresh now") - 1] == "Version 0.2.0 available"
        icon.click("Version 0.2.0 available")
        said = wait_until(lambda: icon.recorded("notify"), what="the notification")
        assert said == [
            ("No web browser could be opened", f"The new version's page is at {NEW_RELEASE.page}")
        ]
        app.show_update(None)
        wait_until(lambda: "Version 0.2.0 available" not in icon.menu_texts())
    finally:
        app.quit()
        ui.join(timeout=10)
    assert not ui.is_alive()


def test_a_browser_that_opens_says_nothing() -> None:
    opened: list[str] = []
    app = app_doing([], open_url=lambda url: opened.append(url) or True)
    icon = app.icon
    assert isinstance(icon, RecordingIcon)
    ui = threading.Thread(target=app.run, kwargs={"on_ready": lambda: None})
    ui.start()
    try:
        icon.click("    Project 0: $1.00")
        wait_until(lambda: opened, what="the project's page to open")
        for thread in threading.enumerate():
            if thread.name == "browser":
                thread.join(timeout=10)  # whatever it would say is queued by now
        done = threading.Event()
        app._dispatch(done.set)  # and handled before this
        assert done.wait(timeout=10)
    finally:
        app.quit()
        ui.join(timeout=10)
    assert opened == [f"{CONSOLE_URL}project/p0"]
    assert icon.recorded("notify") == []
