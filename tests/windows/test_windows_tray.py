"""The tray under Windows: the real TrayApp with pystray's win32 backend, in Wine's desktop with a
taskbar, against the test HTTP server.

The icon's colour is read from screenshots of the notification area; the menu is opened with a
right click and read with OCR; the tooltip is read with OCR after hovering over the icon (Wine's
explorer draws it as a window of its own, which no other API exposes); balloons are read with OCR
above the taskbar. See tests/support/wine_desktop.py for how each is found.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import BAD_KEY, OWNER_KEY, PROJECT_A, PROJECT_B
from tests.support.deepgram_server import FakeDeepgram
from tests.support.desktop import VirtualDesktop, missing_tools
from tests.support.required import require_tools
from tests.support.waiting import wait_until
from tests.support.wine import WindowsPython
from tests.support.wine_desktop import Output, WineShell, word

pytestmark = pytest.mark.display

# Above the defaults (20 and 5), so a colour that follows them proves the config file was read.
CONFIG = "warn_below = 50\ncritical_below = 10\n"
# As the Start menu starts it: the windowed launcher, with no standard streams (`start` gives it
# none; the test's pipes would otherwise become its stdout and stderr).
FROM_THE_START_MENU = ["start", "/wait", "deepgram-tray-gui.exe"]
FIRST_START = 90.0  # the first Windows program in a fresh desktop starts explorer too


@pytest.fixture(scope="module")
def shell(windows: WindowsPython) -> Iterator[WineShell]:
    require_tools(missing_tools())
    desktop = VirtualDesktop(with_tray_panel=False).start()
    try:
        shell = WineShell(windows, desktop).configure()
        try:
            yield shell
        finally:
            windows.kill_programs()
            shell.restore()
    finally:
        desktop.stop()


class WindowsTray:
    """`deepgram-tray run` as a Windows process: its exit code and output are the test's."""

    def __init__(
        self, windows: WindowsPython, env: dict[str, str], program: list[str] | None = None
    ) -> None:
        self.process = subprocess.Popen(
            windows.command("run", program=program),
            env=windows.env(**env),
            cwd=windows.workdir,  # the installed app, not the checkout's trayapp/
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # both to files would stop Windows Python from starting
            start_new_session=True,
        )
        self.output = Output()
        self.output.follow(self.process)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def reap(self) -> None:
        """After the prefix's programs were ended: collect the process, close its pipe."""
        self.process.wait(timeout=30)
        assert self.process.stdout is not None
        self.process.stdout.close()


StartTray = Callable[..., WindowsTray]


@pytest.fixture
def start_tray(
    shell: WineShell,
    windows: WindowsPython,
    deepgram: FakeDeepgram,
    app_folders: dict[str, Path],
    tmp_path: Path,
) -> Iterator[StartTray]:
    config = tmp_path / "config.toml"

    started: list[WindowsTray] = []

    def start(
        key: str = OWNER_KEY, *, config_text: str = CONFIG, program: list[str] | None = None
    ) -> WindowsTray:
        config.write_text(config_text, encoding="utf-8")
        env = tray_env(windows, deepgram, config) | {"DEEPGRAM_API_KEY": key}
        started.append(WindowsTray(windows, env, program))
        return started[-1]

    try:
        yield start
    finally:
        # Every Windows process goes, the desktop (explorer) with it: the next test starts clean.
        windows.kill_programs()
        for tray in started:
            tray.reap()


def tray_env(windows: WindowsPython, deepgram: FakeDeepgram, config: Path) -> dict[str, str]:
    return {
        "DEEPGRAM_TRAY_API_URL": deepgram.base_url,
        "DEEPGRAM_API_KEY": OWNER_KEY,
        "DEEPGRAM_TRAY_CONFIG": windows.windows_path(config),
    }


def popup_text(shell: WineShell) -> str:
    popup = shell.popup()
    return shell.read_text(popup) if popup is not None else ""


def popup_saying(shell: WineShell, text: str) -> str:
    """The text of the tooltip or balloon shown, once it says `text`; "" before."""
    shown = popup_text(shell)
    return shown if text in shown else ""


def test_the_tray_in_the_windows_notification_area(
    shell: WineShell,
    windows: WindowsPython,
    deepgram: FakeDeepgram,
    start_tray: StartTray,
    tmp_path: Path,
) -> None:
    tray = start_tray()
    wait_until(lambda: shell.tray_icon_colour() == "green", timeout=FIRST_START, what="green")
    shell.screenshot().save(tmp_path / "green.png")

    # The tooltip, drawn by explorer when the pointer rests on the icon.
    shell.hover_icon()
    tooltip = wait_until(lambda: popup_saying(shell, "$128.32"), what="the tooltip")
    assert tooltip.startswith("Deepgram $128.32"), tooltip
    shell.move_away()

    # A second tray, started as a user types it, says so and leaves while the first runs on.
    env = tray_env(windows, deepgram, tmp_path / "config.toml")
    second = windows.run(["run"], env, program=["deepgram-tray.exe"])
    assert second.returncode == 0, second.stderr
    assert "The tray is already running (process " in second.stderr
    assert tray.process.poll() is None

    # The menu, by right click; "Refresh now" reaches the server and the config's warn_below (50,
    # not the default 20) turns the icon amber; crossing it brings a balloon.
    menu, words = shell.open_menu()
    shell.screenshot().save(tmp_path / "menu.png")
    texts = [w.text for w in words]
    assert "$128.32" in texts and "$125.07" in texts and "Quit" in texts, texts
    deepgram.set_balances(PROJECT_A, [{"balance_id": "b", "amount": "30", "units": "usd"}])
    before = len(deepgram.requests_to("^/v1/projects/.+/balances"))
    shell.choose(menu, word(words, "Refresh"))
    wait_until(
        lambda: len(deepgram.requests_to("^/v1/projects/.+/balances")) >= before + 2,
        what="the refresh to reach the server",
    )
    wait_until(lambda: shell.tray_icon_colour() == "amber", timeout=30, what="an amber icon")
    low = wait_until(lambda: popup_saying(shell, "low"), timeout=30, what="the low balloon")
    shell.screenshot().save(tmp_path / "balloon.png")
    assert "Deepgram balance low: $33.25" in low and "below $50.00" in low, low

    # Below critical_below (10, not 5): a left click refreshes too (the menu's default item).
    shell.dismiss_popups()
    deepgram.set_balances(PROJECT_A, [{"balance_id": "b", "amount": "7", "units": "usd"}])
    deepgram.set_balances(PROJECT_B, [])
    shell.desktop.click(shell.icon_centre(), button=1)
    shell.move_away()
    wait_until(lambda: shell.tray_icon_colour() == "red", timeout=30, what="a red icon")
    critical = wait_until(lambda: popup_saying(shell, "critical"), timeout=30, what="a balloon")
    assert "$7.00" in critical and "below $10.00" in critical, critical

    # Quit from the menu ends the Windows process, cleanly.
    menu, words = shell.open_menu()
    shell.choose(menu, word(words, "Quit"))
    assert tray.wait(timeout=30) == 0, tray.output.text()
    assert "Traceback" not in tray.output.text()
    wait_until(lambda: shell.tray_icon() is None, what="the icon to leave the taskbar")

    # The log file is where Windows keeps an app's logs, in the user's local AppData.
    log = windows.user_folder("AppData/Local/deepgram-balance-tray/Logs/tray.log")
    text = log.read_text(encoding="utf-8")
    assert "Tray backend: win32" in text and "Stopped" in text
    assert OWNER_KEY not in text and OWNER_KEY not in tray.output.text()


def test_a_refused_key_gives_a_grey_icon(
    shell: WineShell, deepgram: FakeDeepgram, start_tray: StartTray
) -> None:
    start_tray(BAD_KEY, program=FROM_THE_START_MENU)
    wait_until(lambda: deepgram.requests_to("^/v1/projects$"), timeout=FIRST_START, what="a try")

    # Grey also means "no data yet": the tooltip says why it is grey.
    def says_refused() -> bool:
        shell.hover_icon()
        return bool(popup_saying(shell, "refused"))

    wait_until(says_refused, timeout=30, interval=0.5, what="the refusal in the tooltip")
    assert shell.tray_icon_colour() == "grey"

    # Started again the same way, it has no console to say so in: it says so in a message box.
    second = start_tray(BAD_KEY, program=FROM_THE_START_MENU)
    shell.move_away()

    def message_box() -> str:
        box = shell.shown()
        text = shell.read_text(box) if box is not None else ""
        return text if "already running" in text else ""

    said = wait_until(message_box, timeout=60, interval=0.5, what="the message box")
    assert "The tray is already running (process " in said, said
    shell.desktop.xdotool("key", "Return")
    assert second.wait(timeout=30) == 0


# --- `deepgram-tray stop` ------------------------------------------------------------------------
# No signal reaches a windowed program on Windows: the tray waits on a named event that `stop` sets
# (trayapp/desktop/stop_request.py). Here, beside the other tray tests, so they share one Wine
# shell: a second shell started in the same prefix after the first had ended showed no icon.


@pytest.mark.parametrize(
    "program", [FROM_THE_START_MENU, ["deepgram-tray.exe"]], ids=["start-menu", "typed"]
)
def test_stop_quits_the_windows_tray(
    shell: WineShell,
    windows: WindowsPython,
    deepgram: FakeDeepgram,
    start_tray: StartTray,
    tmp_path: Path,
    program: list[str],
) -> None:
    tray = start_tray(program=program)
    wait_until(lambda: shell.tray_icon_colour() == "green", timeout=FIRST_START, what="green")
    env = tray_env(windows, deepgram, tmp_path / "config.toml")

    stopped = windows.run(["stop"], env, program=["deepgram-tray.exe"])
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.startswith("Stopped the tray (process "), stopped.stdout
    assert tray.wait(timeout=30) == 0, tray.output.text()
    assert "Traceback" not in tray.output.text()
    wait_until(lambda: shell.tray_icon() is None, what="the icon to leave the taskbar")

    again = windows.run(["stop"], env, program=["deepgram-tray.exe"])
    assert (again.returncode, again.stdout) == (0, "No tray was running.\n"), again.stderr
