"""End to end on a real StatusNotifierItem panel: Waybar on a headless Sway.

The app is started as a user starts it: from a Python without PyGObject (as pipx, pyenv and uv
give: its StatusNotifierItem backend) through that install's own `deepgram-tray` launcher, and from
the distribution's Python (`python -m trayapp`, which finds the same panel and picks the same
backend), against the test HTTP server. Waybar draws the icon (checked by pixel colour in a grim
screenshot); the item's ToolTip, menu and clicks go over D-Bus, as Waybar itself reads and sends
them. Right clicks cannot be sent to a headless Sway (it has no input devices), so the menu is
clicked the way Waybar's menu clicks: a dbusmenu Event.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from tests.conftest import BAD_KEY, MEMBER_KEY, OWNER_KEY, PROJECT_A
from tests.support.deepgram_server import FakeDeepgram, Fault
from tests.support.desktop import TrayProcess
from tests.support.mako import Mako
from tests.support.mako import missing_tools as mako_missing
from tests.support.pypi_server import FakePyPI
from tests.support.required import require_tools, unavailable
from tests.support.sni_desktop import SwayDesktop
from tests.support.two_accounts import (
    CLIENT_A_KEY,
    accept_client_b,
    client_a_has,
    two_accounts,
)
from tests.support.waiting import wait_until
from trayapp.desktop.resources import app_icon_png

pytestmark = pytest.mark.display

PLAIN_PYTHON = "DEEPGRAM_TRAY_TEST_PLAIN_PYTHON"


def plain_python() -> str:
    python = os.environ.get(PLAIN_PYTHON, "")
    if not python:
        unavailable(f"needs {PLAIN_PYTHON}: a Python without PyGObject (scripts/test makes one)")
    return python


def tray_command(python: str, folder: Path) -> tuple[list[str], Path | None]:
    """The command that starts the tray on `python`, and the folder to start it in.

    The Python without PyGObject is an install of the app's wheel (scripts/test makes it): its own
    `deepgram-tray` launcher starts it, from a folder outside the checkout, as a pipx user's shell
    would; from the checkout, `-m trayapp` (the tray's fetch worker runs so) would import the
    checkout's source instead of the installed package. The distribution's Python runs the
    checkout, as the test run does.
    """
    if python == sys.executable:
        return [python, "-m", "trayapp"], None
    return [str(Path(python).parent / "deepgram-tray")], folder


@pytest.fixture(params=["plain", "distribution"])
def python(request: pytest.FixtureRequest) -> str:
    """The interpreter the tray runs on: one without PyGObject, and the distribution's."""
    return plain_python() if request.param == "plain" else sys.executable


class Sni:
    """Starts the tray on the Sway desktop; stops it and checks the panel dropped it."""

    def __init__(self, sway: SwayDesktop, deepgram: FakeDeepgram, tmp_path: Path) -> None:
        self.sway = sway
        self.deepgram = deepgram
        self.tmp_path = tmp_path
        self.started: list[TrayProcess] = []

    def start(self, python: str, *, key: str = OWNER_KEY, config: str = "", **extra: str) -> str:
        """Start the tray; its item's name once the panel has it."""
        home = self.tmp_path / "home"
        (self.tmp_path / "config.toml").write_text(config)
        env = {
            "HOME": str(home),
            "XDG_STATE_HOME": str(home / "state"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "DEEPGRAM_TRAY_CONFIG": str(self.tmp_path / "config.toml"),
            "DEEPGRAM_TRAY_API_URL": self.deepgram.base_url,
            "DEEPGRAM_API_KEY": key,
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "PYTHONPATH": "",
            "PYSTRAY_BACKEND": "",  # the app chooses, unless a test says
            **extra,
        }
        program, cwd = tray_command(python, self.tmp_path)
        tray = TrayProcess(
            self.sway,
            env,
            self.tmp_path,
            private_bus=False,  # the desktop's own bus, where the panel is
            program=program,
            cwd=cwd,
        )
        self.started.append(tray)
        item = wait_until(
            lambda: self._item_of(tray), timeout=30, what="the tray's item on the panel"
        )
        return str(item)

    def _item_of(self, tray: TrayProcess) -> str | None:
        assert tray.process.poll() is None, tray.stderr()
        items = self.sway.sni.registered_items()
        return next((i for i in items if self.sway.sni.owner_pid(i) == tray.process.pid), None)

    def stop_all(self) -> None:
        for tray in self.started:
            tray.stop()
        self.sway.sni.wait_for_no_items()


@pytest.fixture
def sni(sway: SwayDesktop, deepgram: FakeDeepgram, tmp_path: Path) -> Iterator[Sni]:
    starter = Sni(sway, deepgram, tmp_path)
    try:
        yield starter
    finally:
        starter.stop_all()


def tooltip(sway: SwayDesktop, item: str) -> tuple[str, str]:
    _icon, _pixmaps, heading, body = sway.sni.item_properties(item)["ToolTip"]
    return heading, body


def balance_reads(deepgram: FakeDeepgram) -> int:
    return len(deepgram.requests_to("/balances"))


def test_green_icon_exact_total_and_a_working_menu(
    sway: SwayDesktop, sni: Sni, deepgram: FakeDeepgram, python: str
) -> None:
    item = sni.start(python)
    assert item.startswith("org.kde.StatusNotifierItem-"), item  # the app's own backend
    wait_until(lambda: sway.tray_icon_colour() == "green", what="a green icon on the panel")
    wait_until(lambda: tooltip(sway, item)[0] == "Deepgram $128.32", what="the total")
    _heading, body = tooltip(sway, item)
    assert "updated" in body

    entries = sway.sni.menu_layout(item)
    labels = [e["label"] for e in entries if e["type"] != "separator"]
    assert labels[:3] == ["Total: $128.32", "    Voice Bot Prod: $125.07", "    Staging: $3.25"]
    assert "Refresh now" in labels and labels[-1] == "Quit"
    # Every entry is enabled: a disabled one is drawn faint, and the total is what one looks for.
    assert all(e["enabled"] for e in entries if e["type"] != "separator"), entries

    before = balance_reads(deepgram)
    sway.sni.menu_click_label(item, "Refresh now")
    wait_until(lambda: balance_reads(deepgram) >= before + 2, what="Refresh now to reach Deepgram")
    before = balance_reads(deepgram)
    sway.sni.activate(item)  # a left click on the icon
    wait_until(lambda: balance_reads(deepgram) >= before + 2, what="a left click to refresh")

    tray = sni.started[-1]
    sway.sni.menu_click_label(item, "Quit")
    assert tray.wait(timeout=20) == 0
    sway.sni.wait_for_no_items()
    assert "Traceback" not in tray.stderr()
    assert OWNER_KEY not in tray.stderr() + tray.stdout()


def test_the_icon_colour_follows_every_state(
    sway: SwayDesktop, sni: Sni, deepgram: FakeDeepgram
) -> None:
    """Healthy, warn, critical, stale and refused key, on one running tray (a Python without
    PyGObject), each reached by a Refresh now click, each drawn by the panel."""
    item = sni.start(plain_python(), config="poll_interval = 10\n")
    wait_until(lambda: sway.tray_icon_colour() == "green", what="a green icon")
    properties = sway.sni.item_properties(item)
    assert properties["Status"] == "Active"

    def refresh_and_see(colour: str) -> None:
        sway.sni.menu_click_label(item, "Refresh now")
        wait_until(lambda: sway.tray_icon_colour() == colour, what=f"a {colour} icon")

    deepgram.set_balances(PROJECT_A, [{"balance_id": "b", "amount": "10", "units": "usd"}])
    refresh_and_see("amber")
    assert tooltip(sway, item)[0] == "Deepgram $13.25"

    deepgram.set_balances(PROJECT_A, [{"balance_id": "b", "amount": "1", "units": "usd"}])
    refresh_and_see("red")
    assert sway.sni.item_properties(item)["Status"] == "NeedsAttention"

    # Stale: nothing good for two poll intervals (20 s), however the reads fail.
    deepgram.fail("/v1/projects", Fault(status=503, body="busy"))
    wait_until(lambda: sway.tray_icon_colour() == "grey", timeout=60, what="a stale grey icon")
    heading, body = tooltip(sway, item)
    assert heading == "Deepgram $4.25" and "stale since" in body

    deepgram.clear_faults()
    deepgram.keys.pop(OWNER_KEY)  # the key is revoked
    sway.sni.menu_click_label(item, "Refresh now")
    wait_until(lambda: "refused" in tooltip(sway, item)[1], what="the refused key in the tooltip")
    assert sway.tray_icon_colour() == "grey"


def test_a_refused_key_at_start(sway: SwayDesktop, sni: Sni) -> None:
    item = sni.start(plain_python(), key=BAD_KEY)
    wait_until(lambda: sway.tray_icon_colour() == "grey", what="a grey icon")
    wait_until(lambda: "refused" in tooltip(sway, item)[1], what="why, in the tooltip")
    assert BAD_KEY not in str(sway.sni.item_properties(item))


def test_a_panel_restart_brings_the_icon_back(
    sway: SwayDesktop, sni: Sni, deepgram: FakeDeepgram
) -> None:
    item = sni.start(plain_python())
    wait_until(lambda: sway.tray_icon_colour() == "green", what="a green icon")
    sway.restart_waybar()
    assert sway.sni.wait_for_item() == item
    wait_until(lambda: sway.tray_icon_colour() == "green", what="the icon back on the new panel")
    before = balance_reads(deepgram)
    sway.sni.menu_click_label(item, "Refresh now")  # and it still answers
    wait_until(lambda: balance_reads(deepgram) >= before + 2, what="a refresh after the restart")


def test_the_appindicator_path_still_works_where_forced(sway: SwayDesktop, sni: Sni) -> None:
    """What distribution-Python users got before the SNI backend: pystray's AppIndicator."""
    item = sni.start(sys.executable, PYSTRAY_BACKEND="appindicator")
    wait_until(lambda: sway.tray_icon_colour() == "green", what="a green icon")
    entries = sway.sni.menu_layout(item)
    labels = [e["label"] for e in entries]
    assert "Total: $128.32" in labels and "Quit" in labels
    # libappindicator exports pystray's items as they are: the information lines enabled too.
    assert all(e["enabled"] for e in entries if e["type"] != "separator"), entries


# --- a real notification daemon (mako) ---------------------------------------------------------


@pytest.fixture
def mako(sway: SwayDesktop, tmp_path: Path) -> Iterator[Mako]:
    """mako on the Sway desktop's bus and output (ask for it before `sni`: it outlives the tray)."""
    require_tools(mako_missing())
    daemon = Mako(sway, tmp_path).start()
    try:
        yield daemon
    finally:
        daemon.stop()


def is_the_apps_icon(path: str) -> bool:
    """The app's own icon, pixel for pixel: not the tray icon, which may show a refresh mark."""
    expected = app_icon_png(64)
    assert expected is not None
    with Image.open(path) as shown, Image.open(expected) as wanted:
        a, b = shown.convert("RGBA"), wanted.convert("RGBA")
        return a.size == b.size and ImageChops.difference(a, b).getbbox() is None


def test_alerts_raised_together_reach_mako_as_one_notification(
    mako: Mako, sway: SwayDesktop, sni: Sni, billed: FakeDeepgram, tmp_path: Path
) -> None:
    item = sni.start(plain_python())
    wait_until(lambda: "days left" in tooltip(sway, item)[1], timeout=30, what="the forecast")
    assert mako.shown() == []

    # New limits make three things true at once: critical, too few days left, an expiry near.
    (tmp_path / "config.toml").write_text(
        "warn_below = 250\ncritical_below = 200\nwarn_days_left = 40\nwarn_expiry_days = 30\n"
    )
    before = balance_reads(billed)
    sway.sni.menu_click_label(item, "Refresh now")
    wait_until(lambda: balance_reads(billed) >= before + 2, what="the refresh")
    wait_until(mako.shown, what="a notification")
    sway.screenshot().save(tmp_path / "notification.png")
    (shown,) = mako.shown()
    assert (shown.app, shown.summary) == ("Deepgram Balance", "Deepgram balance critical: $128.32")
    lines = shown.body.splitlines()
    assert len(lines) == 3, lines
    assert lines[0].startswith("Credit is $128.32, below $200.00")
    assert lines[1] == "At $4.25 a day, it lasts about 30 days."
    assert lines[2].startswith("Credit expires on ")
    assert is_the_apps_icon(shown.icon_path), shown.icon_path


@pytest.mark.parametrize("backend", ["sni", "appindicator"])
def test_a_member_key_at_start_is_titled_by_what_is_wrong(
    mako: Mako, sway: SwayDesktop, sni: Sni, backend: str
) -> None:
    """From the app's own StatusNotifierItem backend, and from pystray's AppIndicator one, whose
    notifications the app sends itself (pystray's own have no app name)."""
    python = plain_python() if backend == "sni" else sys.executable
    sni.start(python, key=MEMBER_KEY, PYSTRAY_BACKEND=backend)
    (shown,) = wait_until(mako.shown, timeout=30, what="a notification")
    assert (shown.app, shown.summary) == ("Deepgram Balance", "Deepgram key cannot read balances")
    assert "Owner or Admin key" in shown.body and shown.body.endswith("."), shown.body
    assert is_the_apps_icon(shown.icon_path), shown.icon_path
    assert MEMBER_KEY[-4:] not in shown.body


def test_several_accounts_a_section_and_a_tooltip_line_each(
    sway: SwayDesktop, sni: Sni, deepgram: FakeDeepgram
) -> None:
    """Three accounts on one icon (a Python without PyGObject): the colour follows the account
    that needs a look, one refused key greys only its own section."""
    two_accounts(deepgram, client_a_amount="10")
    config = '[accounts.client-a]\nlabel = "Client A"\n[accounts.client-b]\nlabel = "Client B"\n'
    item = sni.start(
        plain_python(),
        config=config,
        DEEPGRAM_API_KEY_CLIENT_A=CLIENT_A_KEY,
        DEEPGRAM_API_KEY_CLIENT_B=BAD_KEY,
    )
    wait_until(lambda: "refused" in tooltip(sway, item)[1], what="every account read")
    wait_until(lambda: sway.tray_icon_colour() == "grey", what="Client B's grey")
    heading, body = tooltip(sway, item)
    assert heading == "Deepgram balances"
    assert body.splitlines()[:3] == [
        "Client B: API key refused",
        "Client A: $10.00",
        "Default: $128.32",
    ]

    labels = [e["label"] for e in sway.sni.menu_layout(item) if e["type"] != "separator"]
    assert labels[:3] == [
        "Default — Total: $128.32",
        "    Voice Bot Prod: $125.07",
        "    Staging: $3.25",
    ]
    client_a = labels.index("Client A — Total: $10.00")
    assert labels[client_a + 1] == "    Client A Prod: $10.00"
    client_b = labels.index("Client B — Balance: unknown")
    assert "refused" in labels[client_b + 1]
    assert "Refresh now" in labels and labels[-1] == "Quit"

    client_a_has(deepgram, "1")
    sway.sni.menu_click_label(item, "Refresh now")
    wait_until(lambda: sway.tray_icon_colour() == "red", what="Client A's red")
    assert tooltip(sway, item)[1].splitlines()[0] == "Client A: $1.00"
    accept_client_b(deepgram, BAD_KEY)
    client_a_has(deepgram, "10")
    sway.sni.menu_click_label(item, "Refresh now")
    wait_until(lambda: sway.tray_icon_colour() == "amber", what="Client A's amber")
    assert "Client B: $500.00" in tooltip(sway, item)[1].splitlines()


# --- the update notice -------------------------------------------------------------------------


def refresh(sway: SwayDesktop, item: str, deepgram: FakeDeepgram) -> None:
    """Refresh now, from the menu, and wait for its read."""
    before = balance_reads(deepgram)
    sway.sni.menu_click_label(item, "Refresh now")
    wait_until(lambda: balance_reads(deepgram) >= before + 2, what="a refresh")


def test_a_newer_release_is_one_menu_line_one_notification_and_one_request(
    mako: Mako, sway: SwayDesktop, sni: Sni, deepgram: FakeDeepgram, tmp_path: Path
) -> None:
    """The tray installed from the wheel, on a Python without PyGObject, against a loopback
    stand-in of PyPI that names a newer release: the menu gains one line that opens the release's
    page, one notification says so, and PyPI is asked once however often the tray reads the
    balance; started again, the tray shows the line at once and asks and says nothing more."""
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\nprintf %s "$1" > {opened}\n')
    browser.chmod(0o755)
    with FakePyPI() as pypi:
        pypi.latest("9.9.9")
        extra = {"DEEPGRAM_TRAY_UPDATES_URL": pypi.url, "BROWSER": str(browser)}
        item = sni.start(plain_python(), **extra)

        def labels() -> list[str]:
            return [e["label"] for e in sway.sni.menu_layout(item) if e["type"] != "separator"]

        wait_until(lambda: "Version 9.9.9 available" in labels(), timeout=30, what="the line")
        (shown,) = wait_until(mako.shown, timeout=30, what="the notification")
        assert (shown.app, shown.summary) == ("Deepgram Balance", "Deepgram Balance 9.9.9 is out")
        assert "You have 0." in shown.body and "Version 9.9.9 available" in shown.body
        assert labels().count("Version 9.9.9 available") == 1
        assert labels().index("Version 9.9.9 available") + 1 == labels().index("Refresh now")
        assert wait_until(lambda: "Total: $128.32" in labels(), what="the balance")

        for _ in range(3):
            refresh(sway, item, deepgram)
        sway.sni.menu_click_label(item, "Version 9.9.9 available")
        page = f"{pypi.base_url}/project/deepgram-balance-tray/9.9.9/"
        wait_until(lambda: opened.exists() and opened.read_text() == page, what="the page")
        assert len(pypi.requests()) == 1
        assert len(mako.shown()) == 1

        sni.stop_all()
        again = sni.start(plain_python(), **extra)
        wait_until(
            lambda: (
                "Version 9.9.9 available"
                in [e["label"] for e in sway.sni.menu_layout(again) if e["type"] != "separator"]
            ),
            timeout=30,
            what="the line after a restart",
        )
        refresh(sway, again, deepgram)
        assert len(pypi.requests()) == 1
        assert [n.summary for n in mako.shown()] == ["Deepgram Balance 9.9.9 is out"]


def test_check_updates_false_asks_nothing(
    sway: SwayDesktop, sni: Sni, deepgram: FakeDeepgram
) -> None:
    with FakePyPI() as pypi:
        pypi.latest("9.9.9")
        item = sni.start(
            plain_python(), config="check_updates = false\n", DEEPGRAM_TRAY_UPDATES_URL=pypi.url
        )
        wait_until(lambda: balance_reads(deepgram) >= 2, what="the first read")
        refresh(sway, item, deepgram)
        labels = [e["label"] for e in sway.sni.menu_layout(item)]
        assert "Version 9.9.9 available" not in labels and "Refresh now" in labels
        assert pypi.requests() == []
