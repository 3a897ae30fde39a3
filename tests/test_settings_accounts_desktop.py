"""The settings window's account list for real: Tk on Xvfb, typed into with xdotool, read with
OCR, saving into a real Secret Service and the config file. One scenario, two windows: a user
with a default account adds client-a (a bad name first), tests and saves its key; then opens the
window on client-a with `settings --account` and removes it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
import tomli_w
import tomllib

from tests.conftest import OWNER_KEY
from tests.support.deepgram_server import FakeDeepgram
from tests.support.desktop import TrayProcess, VirtualDesktop, Word
from tests.support.two_accounts import CLIENT_A_KEY, two_accounts
from tests.support.waiting import wait_until
from tests.test_settings_desktop import SECRET_SERVICE, find, read_window
from trayapp.credentials import KEYRING_SERVICE, keyring_username

pytestmark = [pytest.mark.display, pytest.mark.keyring_daemon]

TOP_LEVEL = {"poll_interval": 120, "warn_below": 30.0, "critical_below": 5.0}
"""The default account's settings, as a one-account user saved them."""


def secret(account: str) -> str | None:
    """The account's key straight from the Secret Service, bypassing the app."""
    import secretstorage

    with secretstorage.dbus_init() as connection:
        collection = secretstorage.get_default_collection(connection)
        attributes = {"service": KEYRING_SERVICE, "username": keyring_username(account)}
        items = list(collection.search_items(attributes))
        return items[0].get_secret().decode() if items else None


@pytest.fixture
def keyring_with_the_default_key(secret_service: None) -> Iterator[None]:
    """The test Secret Service holding the default account's key, and none for client-a."""
    from keyring.backends import SecretService

    backend = SecretService.Keyring()

    def forget_client_a() -> None:
        with contextlib.suppress(Exception):
            backend.delete_password(KEYRING_SERVICE, keyring_username("client-a"))

    forget_client_a()
    backend.set_password(KEYRING_SERVICE, keyring_username(), OWNER_KEY)
    yield
    forget_client_a()


@pytest.fixture
def env(deepgram: FakeDeepgram, tmp_path: Path) -> dict[str, str]:
    two_accounts(deepgram)  # client-a's key sees only client-a's project
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    config = tmp_path / "config.toml"
    config.write_text(tomli_w.dumps(TOP_LEVEL))
    return {
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "DEEPGRAM_TRAY_CONFIG": str(config),
        "DEEPGRAM_TRAY_API_URL": deepgram.base_url,
        "DEEPGRAM_API_KEY": "",
        "DEEPGRAM_API_KEY_CLIENT_A": "",
        "PYTHON_KEYRING_BACKEND": SECRET_SERVICE,
    }


class Seen(NamedTuple):
    """The window as OCR read it."""

    text: str
    words: list[Word]

    def at(self, word: str) -> tuple[int, int]:
        return find(self.words, word).rect.centre


def when_shown(
    desktop: VirtualDesktop, *texts: str, word: str | None = None, timeout: float = 20
) -> Seen:
    """The window once it shows each of `texts`, and `word` as a word of its own (each read is
    an OCR of the whole window: the one that found them is handed back to click from)."""

    def look() -> Seen | None:
        _, words = read_window(desktop)
        seen = Seen(" ".join(w.text for w in words), words)
        if not all(text in seen.text for text in texts):
            return None
        if word is not None and not any(w.text.strip("([{|}])._—~") == word for w in words):
            return None
        return seen

    return wait_until(look, what=f"{texts or word} in the window", timeout=timeout)


def open_window(
    desktop: VirtualDesktop,
    env: dict[str, str],
    tmp_path: Path,
    started: list[TrayProcess],
    *args: str,
) -> tuple[TrayProcess, Seen]:
    window = TrayProcess(desktop, env, tmp_path, args=("settings", *args), private_bus=False)
    started.append(window)
    return window, when_shown(desktop, "Test")


def type_text(desktop: VirtualDesktop, text: str) -> None:
    """Type into the field with the focus (no window manager runs: keyboard focus follows the
    pointer, so keep it over the window)."""
    rect = wait_until(desktop.window_rect, what="the settings window")
    desktop.xdotool("mousemove", str(rect.centre[0]), str(rect.centre[1]))
    desktop.xdotool("type", "--delay", "2", text)


def config_of(env: dict[str, str]) -> dict[str, object]:
    return tomllib.loads(Path(env["DEEPGRAM_TRAY_CONFIG"]).read_text())


def test_add_a_second_account_then_open_it_and_remove_it(
    desktop: VirtualDesktop,
    keyring_with_the_default_key: None,
    env: dict[str, str],
    tmp_path: Path,
    processes: list[TrayProcess],
) -> None:
    window, shown = open_window(desktop, env, tmp_path, processes)
    assert "Account" in shown.text and "seconds" in shown.text  # the top level: every setting

    # Add account…: a name no account can have is refused in one sentence, beside it.
    desktop.click(shown.at("Add"))
    when_shown(desktop, "New account")
    type_text(desktop, "Client A")
    desktop.xdotool("key", "Return")
    when_shown(desktop, "cannot be used")
    assert window.process.poll() is None and "Traceback" not in window.stderr()
    desktop.xdotool("key", "--repeat", "8", "BackSpace")
    type_text(desktop, "client-a")
    desktop.xdotool("key", "Tab")
    type_text(desktop, "Client A")
    desktop.xdotool("key", "Return")

    # The new account is shown: its label, and only the settings an account has of its own.
    shown = when_shown(desktop, "Remove")
    assert "Client" in shown.text and "No key is stored" in shown.text
    assert "seconds" not in shown.text
    type_text(desktop, CLIENT_A_KEY)
    desktop.click(shown.at("Test"))
    shown = when_shown(desktop, "can read balances", timeout=30)
    assert "sees 1 project" in shown.text  # client-a's, against the test server

    # Back to Default: what was typed for client-a is kept, and Save from here stores it.
    # (OCR reads the read-only list's grey face poorly: it is clicked left of Add account….)
    add = find(shown.words, "Add").rect
    desktop.click((add.x - 40, add.centre[1]))
    desktop.click(when_shown(desktop, word="Default").at("Default"))
    shown = when_shown(desktop, "seconds")
    assert "(keyring)" in shown.text  # the default's own key, still there
    desktop.xdotool("key", "Return")
    assert window.wait(timeout=20) == 0
    assert "Settings saved." in window.stdout()

    assert secret("client-a") == CLIENT_A_KEY
    assert secret("default") == OWNER_KEY
    config = config_of(env)
    # Only the label: client-a's untouched thresholds stay the top level's.
    assert config.pop("accounts") == {"client-a": {"label": "Client A"}}
    assert config == TOP_LEVEL  # the default account was not changed: its file is not either
    assert CLIENT_A_KEY not in Path(env["DEEPGRAM_TRAY_CONFIG"]).read_text()

    # `settings --account client-a` opens on it, with its own key in use.
    window, shown = open_window(desktop, env, tmp_path, processes, "--account", "client-a")
    assert "Client" in shown.text and "Remove" in shown.text and "(keyring)" in shown.text
    assert "seconds" not in shown.text

    # Remove account asks first; Delete removes its table and its key, not the default's.
    desktop.click(shown.at("Remove"))
    shown = when_shown(desktop, word="Delete")
    assert "accounts" in config_of(env), "nothing is removed before the answer"
    desktop.click(shown.at("Delete"))
    shown = when_shown(desktop, "seconds")
    assert "Client" not in shown.text
    desktop.xdotool("key", "Escape")
    assert window.wait(timeout=20) == 0
    assert "accounts" not in config_of(env)
    assert secret("client-a") is None
    assert secret("default") == OWNER_KEY
