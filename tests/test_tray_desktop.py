"""End to end on a real X server: Xvfb, a trayer panel, the real pystray gtk backend, the app
started as a user would start it, against the test HTTP server.

Screenshots are checked by pixel colour; the menu is opened and clicked with xdotool and read
with OCR. `scripts/test` installs the tools and sets DEEPGRAM_TRAY_TEST_REQUIRE_DISPLAY=1, so
there these tests fail rather than skip when something is missing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from tests.conftest import BAD_KEY, MEMBER_KEY, OWNER_KEY, PROJECT_A, PROJECT_B, run_cli
from tests.support.deepgram_server import FakeDeepgram
from tests.support.desktop import (
    Rect,
    TrayProcess,
    VirtualDesktop,
    Word,
    missing_tools,
    tray_env,
    wait_until,
)
from tests.support.dunst import Dunst
from tests.support.dunst import missing_tools as dunst_missing
from tests.support.pypi_server import FakePyPI
from tests.support.required import require_tools
from tests.support.sni_client import SessionBus
from tests.support.two_accounts import (
    CLIENT_A_KEY,
    accept_client_b,
    client_a_has,
    two_accounts,
)
from tests.test_settings_desktop import window_text
from trayapp.desktop.resources import app_icon_png
from trayapp.tk.history_window import TITLE as HISTORY_TITLE

pytestmark = pytest.mark.display


# Starts the notification daemon on the tray's private bus, waits (10 s at most) until it owns its
# name, then becomes the tray: sh -c SCRIPT sh PYTHON LOG run
WITH_NOTIFICATION_DAEMON = """
python="$1"; log="$2"; shift 2
"$python" -m tests.support.notification_daemon "$log" &
tries=0
while [ ! -e "$log" ] && [ "$tries" -lt 200 ]; do sleep 0.05; tries=$((tries + 1)); done
exec "$python" -m trayapp "$@"
"""


@pytest.fixture
def start_tray(desktop: VirtualDesktop, deepgram: FakeDeepgram, tmp_path: Path) -> Iterator[object]:
    started: list[TrayProcess] = []

    def start(
        key: str = OWNER_KEY,
        *,
        notifications: Path | None = None,
        bus: str | None = None,
        **extra: str,
    ) -> TrayProcess:
        """`notifications`: run a notification daemon on the tray's bus, logging to that file;
        `bus`: run on that session bus (a real notification daemon's) instead of one of its own."""
        env = tray_env(deepgram.base_url, tmp_path, key) | {"PYSTRAY_BACKEND": "gtk", **extra}
        program = None
        if notifications is not None:
            program = [
                "sh",
                "-c",
                WITH_NOTIFICATION_DAEMON,
                "sh",
                sys.executable,
                str(notifications),
            ]
        if bus is not None:
            env["DBUS_SESSION_BUS_ADDRESS"] = bus
        tray = TrayProcess(desktop, env, tmp_path, program=program, private_bus=bus is None)
        started.append(tray)
        return tray

    try:
        yield start
    finally:
        for tray in started:
            tray.stop()
        wait_until(lambda: desktop.tray_icon_colour() is None, what="the icon to go away")


def open_menu(desktop: VirtualDesktop, *, button: int = 3) -> tuple[Rect, list[Word]]:
    panel = desktop.panel()
    assert panel is not None
    desktop.click(panel.centre, button=button)
    menu = wait_until(desktop.open_menu_rect, what="the menu to open")
    return menu, desktop.read_words(menu)


def menu_text(desktop: VirtualDesktop) -> str:
    """Open the menu, read it, close it again."""
    _, words = open_menu(desktop)
    desktop.xdotool("key", "Escape")
    # Off the icon, whose tooltip would otherwise show where the menu was.
    desktop.xdotool("mousemove", "0", "700")
    wait_until(lambda: desktop.open_menu_rect() is None, what="the menu to close")
    return " ".join(w.text for w in words)


def word(words: list[Word], text: str) -> Word:
    for candidate in words:
        if candidate.text == text:
            return candidate
    raise AssertionError(f"{text!r} not among {[w.text for w in words]}")


def test_icon_menu_refresh_and_colours_follow_the_server(
    desktop: VirtualDesktop, deepgram: FakeDeepgram, start_tray, tmp_path: Path
) -> None:
    tray = start_tray()
    wait_until(lambda: desktop.tray_icon_colour() == "green", what="a green icon")
    desktop.screenshot().save(tmp_path / "green.png")

    menu, words = open_menu(desktop)
    desktop.screenshot().crop(menu.box).save(tmp_path / "menu.png")
    texts = [w.text for w in words]
    assert "$128.32" in texts, texts
    assert "$125.07" in texts and "$3.25" in texts

    # Amber: the balance drops below warn_below (20), and "Refresh now" is clicked in the menu.
    deepgram.set_balances(PROJECT_A, [{"balance_id": "b", "amount": "10", "units": "usd"}])
    before = len(deepgram.requests_to("/balances"))
    desktop.click(word(words, "Refresh").rect.centre)
    wait_until(lambda: len(deepgram.requests_to("/balances")) >= before + 2, what="a refresh")
    wait_until(lambda: desktop.tray_icon_colour() == "amber", what="an amber icon")

    # Red: below critical_below (5), refreshed by a left click on the icon (its default action).
    deepgram.set_balances(PROJECT_A, [{"balance_id": "b", "amount": "1", "units": "usd"}])
    deepgram.set_balances(PROJECT_B, [])
    panel = desktop.panel()
    assert panel is not None
    desktop.click(panel.centre, button=1)
    wait_until(lambda: desktop.tray_icon_colour() == "red", what="a red icon")

    # Quit from the menu: the process ends cleanly (no notification daemon runs here).
    _, words = open_menu(desktop)
    assert OWNER_KEY[-4:] not in " ".join(w.text for w in words)
    desktop.click(word(words, "Quit").rect.centre)
    assert tray.wait(timeout=20) == 0
    assert "Traceback" not in tray.stderr()

    # The log file was written, and neither it nor anything else holds the key.
    logs = list(tmp_path.rglob("tray.log"))
    assert logs and "Tray backend: gtk" in logs[0].read_text()
    for file in tmp_path.rglob("*"):
        if file.is_file():
            assert OWNER_KEY.encode() not in file.read_bytes(), file


def test_the_tray_saves_its_read_for_a_bars_max_age(
    desktop: VirtualDesktop, deepgram: FakeDeepgram, start_tray, cli_env: dict[str, str]
) -> None:
    start_tray()
    wait_until(lambda: desktop.tray_icon_colour() == "green", what="a green icon")
    before = len(deepgram.requests_to("/balances"))
    # A bar's command in the same user's session (same home, same API): the tray's read answers.
    bar = run_cli(["balance", "--json", "--max-age", "600"], cli_env)
    assert bar.returncode == 0, bar.stderr
    assert json.loads(bar.stdout)["totals"] == {"usd": 128.31822227}
    assert len(deepgram.requests_to("/balances")) == before


def test_a_refused_key_gives_a_grey_icon(
    desktop: VirtualDesktop, deepgram: FakeDeepgram, start_tray, tmp_path: Path
) -> None:
    start_tray(key=BAD_KEY)
    wait_until(lambda: deepgram.requests_to("^/v1/projects$"), what="the key to be tried")
    # Grey also means "no data yet", so wait for the menu to say why, reopening it until it does.
    wait_until(lambda: "refused" in menu_text(desktop), timeout=30, what="the refusal in the menu")
    assert desktop.tray_icon_colour() == "grey"


def test_a_second_start_says_so_and_exits(
    desktop: VirtualDesktop, start_tray, tmp_path: Path
) -> None:
    start_tray()
    wait_until(lambda: desktop.tray_icon_colour() == "green", what="a green icon")
    second = start_tray()
    assert second.wait(timeout=30) == 0
    assert "already running" in second.stderr()


def test_without_a_tray_host_it_says_what_is_missing(
    deepgram: FakeDeepgram, tmp_path: Path
) -> None:
    if missing_tools():
        pytest.skip("needs the desktop tools")  # the module fixture reports which, once
    bare = VirtualDesktop(with_tray_panel=False).start()
    tray = None
    try:
        env = {
            "HOME": str(tmp_path),
            "XDG_RUNTIME_DIR": str(tmp_path),
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "DEEPGRAM_TRAY_CONFIG": str(tmp_path / "config.toml"),
            "DEEPGRAM_TRAY_API_URL": deepgram.base_url,
            "DEEPGRAM_API_KEY": OWNER_KEY,
            "PYSTRAY_BACKEND": "gtk",
        }
        tray = TrayProcess(bare, env, tmp_path)
        wait_until(lambda: "No system tray took the icon" in tray.stderr(), what="the warning")
        assert "AppIndicator" in tray.stderr()
    finally:
        if tray is not None:
            tray.stop()
        bare.stop()


def test_the_menu_says_how_long_the_credit_lasts_and_what_expires(
    desktop: VirtualDesktop, billed: FakeDeepgram, start_tray, tmp_path: Path
) -> None:
    # The server's billing says $4.25 a day for the last week, and the balance is $128.32:
    # about 30 days left. The soonest credit to expire is $25 in 20 days.
    tray = start_tray()
    wait_until(lambda: desktop.tray_icon_colour() == "green", what="a green icon")

    def forecast_in_menu() -> str | None:
        text = menu_text(desktop)
        return text if "days left" in text else None

    text = wait_until(forecast_in_menu, timeout=30, what="the days left in the menu")
    menu, _ = open_menu(desktop)
    desktop.screenshot().crop(menu.box).save(tmp_path / "menu-forecast.png")
    desktop.xdotool("key", "Escape")
    assert "About 30 days left" in text, text
    assert "$4.25 a day on average" in text, text
    assert "billing, last 7 days" in text, text  # which basis the rate has
    assert "Credit expiring: $25.00" in text and "(in 20 days)" in text, text
    assert len(billed.requests_to("/billing/breakdown")) == 2  # once per project, not per poll
    assert len(billed.requests_to(r"/purchases\?limit=1000$")) == 2

    # Show history… opens the chart window, in a process of its own.
    _, words = open_menu(desktop)
    desktop.click(word(words, "Show").rect.centre)  # Show history…
    wait_until(lambda: desktop.window_named(HISTORY_TITLE), what="the history window")
    assert "Traceback" not in tray.stderr()


def test_one_desktop_notification_as_the_projection_crosses_the_limit(
    desktop: VirtualDesktop, billed: FakeDeepgram, start_tray, tmp_path: Path
) -> None:
    # About 30 days left, and the user wants to hear below 40: one notification, not one a poll.
    (tmp_path / "config.toml").write_text("warn_days_left = 40\n")
    log = tmp_path / "notifications.jsonl"
    tray = start_tray(notifications=log)

    def said() -> list[dict[str, str]]:
        text = log.read_text() if log.exists() else ""
        return [json.loads(line) for line in text.splitlines()]

    wait_until(lambda: said(), timeout=30, what="a desktop notification")
    assert [n["summary"] for n in said()] == ["Deepgram credit: about 30 days left"]
    assert "$4.25 a day" in said()[0]["body"] and said()[0]["app"] == "Deepgram Balance"

    # Two more polls (Refresh now, twice), then a third with the balance below warn_below: its
    # "balance low" notification comes next, with no second days-left one before it.
    def refresh_from_the_menu() -> None:
        before = len(billed.requests_to("/balances"))
        _, words = open_menu(desktop)
        desktop.click(word(words, "Refresh").rect.centre)
        wait_until(lambda: len(billed.requests_to("/balances")) >= before + 2, what="a refresh")

    refresh_from_the_menu()
    refresh_from_the_menu()
    billed.set_balances(PROJECT_A, [{"balance_id": "b", "amount": "10", "units": "usd"}])
    refresh_from_the_menu()
    wait_until(lambda: len(said()) >= 2, what="the balance-low notification", timeout=30)
    assert [n["summary"] for n in said()] == [
        "Deepgram credit: about 30 days left",
        "Deepgram balance low: $13.25",
    ]
    assert OWNER_KEY[-4:] not in log.read_text()
    assert "Traceback" not in tray.stderr()


def test_changes_after_start_make_no_glib_idle_sources(desktop: VirtualDesktop) -> None:
    # PyGObject before 3.44.2 (Debian 12, Ubuntu 22.04, the bundle) leaks every idle source:
    # a tray that made several a poll grew by megabytes a month.
    probe = subprocess.run(
        [sys.executable, "-m", "tests.support.idle_probe"],
        env=desktop.env(GDK_GL="disable"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    result = json.loads(probe.stdout.strip().splitlines()[-1])
    assert result["menu"][0] == "Total: $149.00", result  # every change was applied
    assert result["idle_sources"] == 0, result


def test_the_basic_x11_backend_starts_and_names_its_window(
    desktop: VirtualDesktop, start_tray, tmp_path: Path
) -> None:
    # pystray's xorg backend is what a Python without PyGObject gets. It writes the tooltip as the
    # window's name in Latin-1, which "…" and most of the world's scripts are not.
    tray = start_tray(PYSTRAY_BACKEND="xorg")

    def window_titles() -> list[str]:
        found = subprocess.run(
            ["xdotool", "search", "--name", "Deepgram"],
            env=desktop.env(),
            capture_output=True,
            text=True,
            timeout=20,
        ).stdout.split()
        return [
            subprocess.run(
                ["xdotool", "getwindowname", window],
                env=desktop.env(),
                capture_output=True,
                timeout=20,
            ).stdout.decode("latin-1")  # how the backend writes it
            for window in found
        ]

    # Its first name is the waiting state's tooltip, "…" included: the crash came with it. The
    # balance follows: changes are made on the backend's X loop, which a change sent from the
    # poller's thread used to leave waiting forever (the tray then never polled).
    titles = wait_until(
        lambda: window_titles() or tray.process.poll() is not None,
        what="the tray's window",
    )
    assert tray.process.poll() is None, tray.stderr()
    assert titles is not True and any(t.startswith("Deepgram") for t in titles), titles
    wait_until(lambda: any("$128.32" in t for t in window_titles()), what="the balance in its name")
    wait_until(lambda: desktop.tray_icon_colour() == "green", what="trayer to show the icon")
    # It says what is missing, in one line, since the icon alone cannot (it has no menu).
    assert "basic X11 icon without a menu" in tray.stderr()
    assert "Traceback" not in tray.stderr()


def test_the_basic_x11_icon_stays_shown_through_quick_changes(
    desktop: VirtualDesktop, tmp_path: Path
) -> None:
    # pystray's xorg icon asked to be docked again with each new image; trayer, given a few such
    # requests milliseconds apart (a poll's "refreshing" and its result), kept a 1 px socket and
    # the icon was never seen.
    probe = TrayProcess(
        desktop,
        {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
        tmp_path,
        program=[sys.executable, "-m", "tests.support.xorg_redraw_probe"],
    )
    try:
        wait_until(lambda: "changed" in probe.stdout(), what="the probe's changes")
        wait_until(lambda: desktop.tray_icon_colour() == "green", what="trayer to show the icon")
        panel = desktop.panel()
        assert panel is not None and panel.width > 20, panel
        assert "Traceback" not in probe.stderr()
    finally:
        probe.stop()
        wait_until(lambda: desktop.tray_icon_colour() is None, what="the icon to go away")


# --- a real notification daemon (dunst) and the menu's information lines -----------------------


@pytest.fixture
def dunst(desktop: VirtualDesktop, private_bus: SessionBus, tmp_path: Path) -> Iterator[Dunst]:
    """dunst on the test's display and its own session bus: start the tray with
    `bus=private_bus.address` to send it notifications."""
    require_tools(dunst_missing())
    daemon = Dunst(desktop, private_bus.address, tmp_path).start()
    try:
        yield daemon
    finally:
        daemon.stop()


def same_pixels(path: str, expected: Path) -> bool:
    with Image.open(path) as shown, Image.open(expected) as wanted:
        a, b = shown.convert("RGBA"), wanted.convert("RGBA")
        return a.size == b.size and ImageChops.difference(a, b).getbbox() is None


def test_alerts_raised_together_reach_a_real_daemon_as_one_notification(
    dunst: Dunst,
    private_bus: SessionBus,
    desktop: VirtualDesktop,
    billed: FakeDeepgram,
    start_tray,
    tmp_path: Path,
) -> None:
    # $128.32 at $4.25 a day (30 days), $25 expiring in 20 days: nothing to say yet.
    tray = start_tray(bus=private_bus.address)
    wait_until(lambda: desktop.tray_icon_colour() == "green", what="a green icon")
    wait_until(lambda: "days left" in menu_text(desktop), timeout=30, what="the forecast")
    assert dunst.displayed() == 0

    # New limits make three things true at once: the balance is critical, the credit lasts
    # fewer days than wanted, and an expiry is within the warning period. Sent as three, each
    # replacing the one before (as pystray's notifier does), only the last was ever seen.
    (tmp_path / "config.toml").write_text(
        "warn_below = 250\ncritical_below = 200\nwarn_days_left = 40\nwarn_expiry_days = 30\n"
    )
    before = len(billed.requests_to("/balances"))
    _, words = open_menu(desktop)
    desktop.click(word(words, "Refresh").rect.centre)  # the poll reads the settings
    wait_until(lambda: len(billed.requests_to("/balances")) >= before + 2, what="a refresh")
    wait_until(lambda: dunst.displayed() >= 1, timeout=30, what="a notification")
    desktop.screenshot().save(tmp_path / "notification.png")

    (shown,) = dunst.received()
    assert shown.app == "Deepgram Balance"
    assert shown.summary == "Deepgram balance critical: $128.32"
    lines = shown.body.splitlines()
    assert lines[0] == "Credit is $128.32, below $200.00: top up before requests start failing."
    assert lines[1] == "At $4.25 a day, it lasts about 30 days."
    assert lines[2].startswith("Credit expires on ") and lines[2].endswith(": $25.00 purchased.")
    assert len(lines) == 3
    # The app's icon, not the tray's (which shows a refresh mark while it reads).
    icon = app_icon_png(64)
    assert icon is not None and same_pixels(shown.icon_path, icon), shown.icon_path
    assert "Traceback" not in tray.stderr()


def test_a_member_key_at_start_is_titled_by_what_is_wrong(
    dunst: Dunst, private_bus: SessionBus, start_tray
) -> None:
    tray = start_tray(key=MEMBER_KEY, bus=private_bus.address)
    wait_until(lambda: dunst.displayed() >= 1, timeout=30, what="a notification")
    (shown,) = dunst.received()
    # It never worked, so it did not "stop working".
    assert (shown.app, shown.summary) == ("Deepgram Balance", "Deepgram key cannot read balances")
    # The sentence whole, advice and all (it was cut mid-word at 256 characters).
    assert "Owner or Admin key" in shown.body and shown.body.endswith("."), shown.body
    assert "…" not in shown.body
    assert MEMBER_KEY[-4:] not in shown.body
    assert "Traceback" not in tray.stderr()


def darkest(desktop: VirtualDesktop, found: Word) -> int:
    """The darkest grey level in a word's box: its text's colour (the menu is light)."""
    low, _high = desktop.screenshot().crop(found.rect.box).convert("L").getextrema()
    return int(low)


def test_the_menus_information_is_drawn_readable_and_opens_the_console(
    dunst: Dunst, private_bus: SessionBus, desktop: VirtualDesktop, start_tray, tmp_path: Path
) -> None:
    # BROWSER fails, and xdg-open finds no browser on this desktop: the click must not vanish.
    tray = start_tray(bus=private_bus.address, BROWSER="false")
    wait_until(lambda: desktop.tray_icon_colour() == "green", what="a green icon")
    _, words = open_menu(desktop)
    # The icon's tooltip covers the menu's top lines while the pointer rests on the icon.
    desktop.xdotool("mousemove", *map(str, word(words, "Quit").rect.centre))

    def total_shown() -> tuple[Rect, list[Word]] | None:
        menu = desktop.open_menu_rect()
        words = desktop.read_words(menu) if menu is not None else []
        return (menu, words) if menu is not None and "Total:" in [w.text for w in words] else None

    menu, words = wait_until(total_shown, what="the menu without the tooltip")
    desktop.screenshot().crop(menu.box).save(tmp_path / "menu.png")
    total, project, action = word(words, "$128.32"), word(words, "$125.07"), word(words, "Refresh")
    # Disabled items are drawn in a faint grey; these are drawn as dark as the actions.
    assert darkest(desktop, total) <= darkest(desktop, action) + 30
    assert darkest(desktop, project) <= darkest(desktop, action) + 30

    desktop.click(total.rect.centre)
    wait_until(lambda: dunst.displayed() >= 1, timeout=30, what="the no-browser notification")
    (shown,) = dunst.received()
    assert (shown.app, shown.summary) == ("Deepgram Balance", "No web browser could be opened")
    assert shown.body == "The Deepgram Console is at https://console.deepgram.com/"
    logs = list(tmp_path.rglob("tray.log"))
    assert logs and "No web browser could be opened for https://console" in logs[0].read_text()
    assert "Traceback" not in tray.stderr()


ACCOUNTS_CONFIG = """
[accounts.client-a]
label = "Client A"

[accounts.client-b]
label = "Client B"
"""
"""The default account (the seed's key and projects), client-a with a key of its own, and
client-b whose key Deepgram refuses."""


def test_several_accounts_one_icon_for_the_one_that_needs_a_look(
    desktop: VirtualDesktop, deepgram: FakeDeepgram, start_tray, tmp_path: Path
) -> None:
    two_accounts(deepgram, client_a_amount="10")
    (tmp_path / "config.toml").write_text(ACCOUNTS_CONFIG)
    tray = start_tray(DEEPGRAM_API_KEY_CLIENT_A=CLIENT_A_KEY, DEEPGRAM_API_KEY_CLIENT_B=BAD_KEY)
    # Client B's key is refused: grey, though the default has $128.32 and Client A's $10 is
    # only low (below warn_below, $20).
    wait_until(lambda: desktop.tray_icon_colour() is not None, what="the icon on the panel")
    wait_until(lambda: "refused" in menu_text(desktop), what="every account read")
    assert desktop.tray_icon_colour() == "grey"
    menu, words = open_menu(desktop)
    desktop.screenshot().crop(menu.box).save(tmp_path / "accounts-menu.png")
    text = " ".join(w.text for w in words)
    for seen in ("Default", "$128.32", "Client", "$10.00", "refused"):
        assert seen in text, text

    # Client B's section says what is wrong; choosing it opens the settings on Client B.
    desktop.click(word(words, "unknown").rect.centre)
    wait_until(lambda: "Client B" in window_text(desktop), what="the settings on Client B")
    settings = desktop.window_rect()
    assert settings is not None
    desktop.click((settings.x + 5, settings.y + 5))  # its own focus, for the key
    desktop.xdotool("key", "Escape")  # Cancel: nothing changes
    wait_until(lambda: desktop.window_rect() is None, what="the settings window to close")

    # Client A runs out: red, whatever the others are (a Refresh now click).
    client_a_has(deepgram, "1")
    _, words = open_menu(desktop)
    desktop.click(word(words, "Refresh").rect.centre)
    wait_until(lambda: desktop.tray_icon_colour() == "red", what="Client A's red")

    # Client B's key accepted, Client A at $10 again: amber (a left click refreshes).
    accept_client_b(deepgram, BAD_KEY)
    client_a_has(deepgram, "10")
    panel = desktop.panel()
    assert panel is not None
    desktop.click(panel.centre, button=1)
    wait_until(lambda: desktop.tray_icon_colour() == "amber", what="Client A's amber")

    _, words = open_menu(desktop)
    assert "$500.00" in " ".join(w.text for w in words)
    desktop.click(word(words, "Quit").rect.centre)
    assert tray.wait(timeout=20) == 0
    assert "Traceback" not in tray.stderr()
    for file in tmp_path.rglob("*"):
        if file.is_file():
            for key in (OWNER_KEY, CLIENT_A_KEY, BAD_KEY):
                assert key.encode() not in file.read_bytes(), file


def test_a_newer_release_is_a_line_of_the_gtk_menu_that_opens_its_page(
    desktop: VirtualDesktop, start_tray, pypi: FakePyPI, tmp_path: Path
) -> None:
    """On an XEmbed tray (trayer, the GTK backend): the update line read off the drawn menu,
    once, and a click on it opens the release's page."""
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\nprintf %s "$1" > {opened}\n')
    browser.chmod(0o755)
    pypi.latest("9.9.9")
    start_tray(DEEPGRAM_TRAY_UPDATES_URL=pypi.url, BROWSER=str(browser))
    wait_until(lambda: desktop.tray_icon_colour() == "green", what="a green icon")
    wait_until(lambda: "Version 9.9.9 available" in menu_text(desktop), what="the update line")
    _, words = open_menu(desktop)
    texts = [w.text for w in words]
    assert texts.count("9.9.9") == 1, texts
    desktop.click(word(words, "9.9.9").rect.centre)
    page = f"{pypi.base_url}/project/deepgram-balance-tray/9.9.9/"
    wait_until(lambda: opened.exists() and opened.read_text() == page, what="the page to open")
    assert len(pypi.requests()) == 1
