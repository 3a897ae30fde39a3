"""The settings window for real: Tk on Xvfb, typed into with xdotool, read with OCR, saving into
a real Secret Service (gnome-keyring-daemon) and the config file; and the first-run path from an
empty keyring to a green tray icon without a restart."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib

from tests.conftest import (
    MEMBER_KEY,
    OWNER_KEY,
    PROJECT_B,
    REPO_ROOT,
    plant_at_startup,
    stored_secret,
)
from tests.support import made_up_setting
from tests.support.deepgram_server import FakeDeepgram
from tests.support.desktop import Rect, TrayProcess, VirtualDesktop, Word
from tests.support.waiting import wait_until
from trayapp.tk.look import LIGHT
from trayapp.tk.settings_window import TITLE

pytestmark = [pytest.mark.display, pytest.mark.keyring_daemon]

SECRET_SERVICE = "keyring.backends.SecretService.Keyring"


@pytest.fixture
def session_env(deepgram: FakeDeepgram, tmp_path: Path) -> dict[str, str]:
    """A user with no key in the environment: the key lives in the test Secret Service."""
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    return {
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "DEEPGRAM_TRAY_CONFIG": str(tmp_path / "config.toml"),
        "DEEPGRAM_TRAY_API_URL": deepgram.base_url,
        "DEEPGRAM_API_KEY": "",
        "PYTHON_KEYRING_BACKEND": SECRET_SERVICE,
        "PYSTRAY_BACKEND": "gtk",
    }


def read_window(desktop: VirtualDesktop) -> tuple[Rect, list[Word]]:
    rect = wait_until(desktop.window_rect, what="the settings window")
    return rect, desktop.read_words(rect)


def window_text(desktop: VirtualDesktop) -> str:
    return " ".join(w.text for w in read_window(desktop)[1])


def find(words: list[Word], text: str) -> Word:
    for word in words:
        # OCR may read an entry's border as a bracket, bar, dot or dash next to its text.
        if word.text.strip("([{|}])._—~") == text:
            return word
    raise AssertionError(f"{text!r} not among {[w.text for w in words]}")


def key_field_inside(desktop: VirtualDesktop, window: Rect) -> tuple[int, int, int]:
    """A pixel well inside the API key field, the row below the account list in a window with
    no notice above it (found by place: OCR may miss a row whose entry has the focus ring)."""
    account_row = find(desktop.read_words(window), "Account").rect.centre[1]
    pixel = desktop.screenshot().getpixel((window.x + 250, account_row + 35))
    assert isinstance(pixel, tuple)
    return pixel[0], pixel[1], pixel[2]


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def open_window(
    desktop: VirtualDesktop, env: dict[str, str], tmp_path: Path, started: list[TrayProcess]
) -> TrayProcess:
    window = TrayProcess(desktop, env, tmp_path, args=("settings",), private_bus=False)
    started.append(window)
    wait_until(lambda: "Test" in window_text(desktop), what="the window's Test key button")
    return window


def type_into_key_field(desktop: VirtualDesktop, key: str) -> None:
    # No window manager runs: keyboard focus follows the pointer, so keep it over the window.
    rect = wait_until(desktop.window_rect, what="the settings window")
    desktop.xdotool("mousemove", str(rect.centre[0]), str(rect.centre[1]))
    desktop.xdotool("type", "--delay", "2", key)


def test_test_key_then_save_to_the_real_keyring_and_config(
    desktop: VirtualDesktop,
    secret_service: None,
    session_env: dict[str, str],
    tmp_path: Path,
    processes: list[TrayProcess],
) -> None:
    window = open_window(desktop, session_env, tmp_path, processes)
    rect, words = read_window(desktop)
    assert "No key is stored yet" in " ".join(w.text for w in words)
    # A usable keyring: the key field is an entry's white inside, ready to take the key.
    assert key_field_inside(desktop, rect) == (255, 255, 255)
    type_into_key_field(desktop, OWNER_KEY)

    # The key is masked on screen: OCR finds no run of it.
    rect, words = read_window(desktop)
    desktop.screenshot().crop(rect.box).save(tmp_path / "settings-window.png")
    seen = " ".join(w.text for w in words)
    assert OWNER_KEY[-8:] not in seen and OWNER_KEY[:8] not in seen

    desktop.click(find(words, "Test").rect.centre)
    wait_until(
        lambda: "can read balances" in window_text(desktop), what="the test result", timeout=30
    )
    assert "sees 2 projects" in window_text(desktop)

    # The projects from the API can be ticked once "Watch all projects" is off.
    _, words = read_window(desktop)
    desktop.click(find(words, "Watch").rect.centre)
    wait_until(lambda: "Staging" in window_text(desktop), what="the project list")
    _, words = read_window(desktop)
    assert "Voice" in [w.text for w in words]
    desktop.click(find(words, "Staging").rect.centre)

    # Warn below: select the current "20" and type over it, then Enter saves.
    _, words = read_window(desktop)
    x, y = find(words, "20").rect.centre
    desktop.xdotool("mousemove", str(x), str(y), "click", "--repeat", "3", "1")
    desktop.xdotool("type", "50")
    # Warn before credit expires: the "14" days become 30.
    _, words = read_window(desktop)
    x, y = find(words, "14").rect.centre
    desktop.xdotool("mousemove", str(x), str(y), "click", "--repeat", "3", "1")
    desktop.xdotool("type", "30")
    _, words = read_window(desktop)
    desktop.click(find(words, "Start").rect.centre)  # "Start at login"
    desktop.xdotool("key", "Return")
    assert window.wait(timeout=20) == 0
    assert "Settings saved." in window.stdout()

    assert stored_secret() == OWNER_KEY
    config = tomllib.loads(Path(session_env["DEEPGRAM_TRAY_CONFIG"]).read_text())
    assert config["warn_below"] == 50.0
    assert config["warn_expiry_days"] == 30 and config["warn_days_left"] == 7
    assert config["projects"] == [PROJECT_B]
    autostart_entry = Path(session_env["XDG_CONFIG_HOME"]) / "autostart"
    assert (autostart_entry / "deepgram-balance-tray.desktop").exists()
    assert OWNER_KEY not in Path(session_env["DEEPGRAM_TRAY_CONFIG"]).read_text()


def test_member_key_is_explained_and_escape_changes_nothing(
    desktop: VirtualDesktop,
    secret_service: None,
    session_env: dict[str, str],
    tmp_path: Path,
    processes: list[TrayProcess],
) -> None:
    window = open_window(desktop, session_env, tmp_path, processes)
    # The app's own icon, for title bars and task switchers (Tk shows none of its own).
    assert {(32, 32), (64, 64), (128, 128)} <= set(desktop.window_icon_sizes(TITLE))
    type_into_key_field(desktop, MEMBER_KEY)
    _, words = read_window(desktop)
    desktop.click(find(words, "Test").rect.centre)
    wait_until(lambda: "Owner or Admin" in window_text(desktop), what="the Member-key advice")
    desktop.xdotool("key", "Escape")
    assert window.wait(timeout=20) == 0
    assert "Nothing was changed." in window.stdout()
    assert stored_secret() is None
    assert not Path(session_env["DEEPGRAM_TRAY_CONFIG"]).exists()


def test_first_run_from_nothing_to_a_green_icon(
    desktop: VirtualDesktop,
    secret_service: None,
    session_env: dict[str, str],
    tmp_path: Path,
    processes: list[TrayProcess],
) -> None:
    tray = TrayProcess(desktop, session_env, tmp_path, private_bus=False)
    processes.append(tray)
    wait_until(lambda: desktop.tray_icon_colour() == "grey", what="a grey icon")
    # With no key anywhere, the tray opens the settings window by itself.
    wait_until(lambda: "Test" in window_text(desktop), what="the window to open", timeout=30)
    type_into_key_field(desktop, OWNER_KEY)
    desktop.xdotool("key", "Return")
    wait_until(lambda: desktop.window_rect() is None, what="the window to close")
    wait_until(lambda: desktop.tray_icon_colour() == "green", what="a green icon", timeout=30)
    assert stored_secret() == OWNER_KEY
    assert tray.process.poll() is None, "the tray turned green without a restart"


def test_without_a_keyring_the_window_says_so_and_stores_nothing(
    desktop: VirtualDesktop,
    session_env: dict[str, str],
    tmp_path: Path,
    processes: list[TrayProcess],
) -> None:
    session_env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    window = open_window(desktop, session_env, tmp_path, processes)
    rect, words = read_window(desktop)
    text = " ".join(w.text for w in words)
    # Under the key field: what is missing and what to do, and no plaintext fallback offered.
    assert "No OS keyring is available" in text and "DEEPGRAM_API_KEY" in text
    assert "gnome-keyring" in text and "plain file" in text
    assert "Paste yours above" not in text
    # The field looks disabled: the disabled grey inside, not an entry's white.
    inside = key_field_inside(desktop, rect)
    assert all(abs(a - b) <= 8 for a, b in zip(inside, rgb(LIGHT.disabled_field), strict=True))
    # Typing goes nowhere, and Save keeps the other settings without asking for a key.
    type_into_key_field(desktop, OWNER_KEY)
    desktop.xdotool("key", "Return")
    assert window.wait(timeout=20) == 0
    assert "Settings saved." in window.stdout()
    assert OWNER_KEY not in Path(session_env["DEEPGRAM_TRAY_CONFIG"]).read_text()


def test_a_config_that_cannot_be_written_is_reported_not_raised(
    desktop: VirtualDesktop,
    session_env: dict[str, str],
    tmp_path: Path,
    processes: list[TrayProcess],
) -> None:
    # Under /proc the file reads as absent, but no one (root included) can create it.
    session_env["DEEPGRAM_TRAY_CONFIG"] = "/proc/deepgram-balance-tray-test/config.toml"
    session_env["DEEPGRAM_API_KEY"] = OWNER_KEY  # no key to store: only the config is written
    window = open_window(desktop, session_env, tmp_path, processes)
    rect = wait_until(desktop.window_rect, what="the settings window")
    desktop.xdotool("mousemove", str(rect.centre[0]), str(rect.centre[1]))
    desktop.xdotool("key", "Return")
    wait_until(lambda: "Cannot write" in window_text(desktop), what="the save error")
    assert window.process.poll() is None, "the window stays open to fix it"
    assert "Traceback" not in window.stderr()
    desktop.xdotool("key", "Escape")
    assert window.wait(timeout=20) == 0


def type_over(desktop: VirtualDesktop, point: tuple[int, int], text: str) -> None:
    """Select all of the entry at `point` (a triple click) and type `text` over it."""
    desktop.xdotool("mousemove", str(point[0]), str(point[1]), "click", "--repeat", "3", "1")
    desktop.xdotool("type", text)


def test_a_setting_added_to_the_table_gets_a_row_that_checks_and_saves(
    desktop: VirtualDesktop,
    session_env: dict[str, str],
    tmp_path: Path,
    processes: list[TrayProcess],
) -> None:
    # One entry in the settings table (tests/support/made_up_setting.py, planted in the window's
    # process only): "Retry up to [12] times when Deepgram is busy", with nothing else written.
    session_env["DEEPGRAM_API_KEY"] = OWNER_KEY  # no key to store: only the config is written
    session_env["PYTHONPATH"] = str(REPO_ROOT)
    plant_at_startup(session_env, tmp_path / "start-up", made_up_setting.PLANT)
    window = open_window(desktop, session_env, tmp_path, processes)
    text = window_text(desktop)
    assert "Retry" in text and "times when Deepgram is busy" in text

    _, words = read_window(desktop)
    entry = find(words, "12").rect.centre
    type_over(desktop, entry, "100")
    desktop.xdotool("key", "Return")
    wait_until(
        lambda: "whole number from 0 to 99" in window_text(desktop),
        what="the new setting's own error beside its row",
    )
    assert window.process.poll() is None, "nothing valid to save: the window stays open"

    type_over(desktop, entry, "40")
    desktop.xdotool("key", "Return")
    assert window.wait(timeout=20) == 0
    assert "Settings saved." in window.stdout()
    config = tomllib.loads(Path(session_env["DEEPGRAM_TRAY_CONFIG"]).read_text())
    assert config["retries"] == 40 and config["warn_below"] == 20.0
