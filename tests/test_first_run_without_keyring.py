"""A first start where no keyring can hold the key (i3, sway, minimal installs), end to end.

The real tray on Xvfb with a trayer panel, in a D-Bus session with no usable Secret Service and
no key in the environment: it says what is missing in its menu, opens the settings window by
itself, and the window's key field is visibly disabled with the explanation beneath it; `key
status` in the same session says the same, with the contract's exit code. Then the real
gnome-keyring prompt that `key status` may wait on, and the settings window on an 800x600 screen.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import OWNER_KEY, REPO_ROOT
from tests.support import desktop as desktop_module
from tests.support import keyring_sessions
from tests.support.deepgram_server import FakeDeepgram
from tests.support.desktop import (
    Rect,
    TrayProcess,
    VirtualDesktop,
    Word,
    ocr_words,
    stop_process_group,
)
from tests.support.required import require_tools
from tests.support.waiting import wait_until
from tests.test_settings_desktop import find, key_field_inside, read_window, window_text
from trayapp.tk.look import DARK, LIGHT, Palette

pytestmark = [pytest.mark.display, pytest.mark.keyring_daemon]

APP = [sys.executable, "-m", "trayapp"]

NO_SERVICE_SAYS = "No OS keyring is available to hold the API key: install and start"
DISMISSED_SAYS = "has no default keyring to keep the key in"
KEYRING_HELD = "The keyring is asked again on Refresh now or when the settings window closes"


@pytest.fixture(autouse=True)
def sessions_possible() -> None:
    require_tools(keyring_sessions.missing())


@pytest.fixture
def started() -> Iterator[list[TrayProcess | subprocess.Popen[bytes]]]:
    processes: list[TrayProcess | subprocess.Popen[bytes]] = []
    try:
        yield processes
    finally:
        for process in processes:
            if isinstance(process, TrayProcess):
                process.stop()
            else:
                stop_process_group(process)


def app_env(tmp_path: Path, deepgram: FakeDeepgram) -> dict[str, str]:
    env = keyring_sessions.session_env(tmp_path)
    env.update(
        DEEPGRAM_TRAY_CONFIG=str(tmp_path / "config.toml"),
        DEEPGRAM_TRAY_API_URL=deepgram.base_url,
        PYSTRAY_BACKEND="gtk",
    )
    return env


# --- reading the screen -------------------------------------------------------------------------


def shown_with(text: str, needle: str) -> str:
    """`text` once it holds `needle`, else nothing (for wait_until)."""
    return text if needle in text else ""


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def near(pixel: tuple[int, int, int], colour: str, tolerance: int = 8) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, rgb(colour), strict=True))


def pointer_away(desktop: VirtualDesktop) -> None:
    """Off the tray icon, whose tooltip would cover what is read next."""
    desktop.xdotool("mousemove", "1", str(desktop_module.SCREEN[1] - 1))


def tooltip_text(desktop: VirtualDesktop) -> str:
    """What shows below the panel while the pointer rests on the icon (the root is black)."""
    shown = desktop.open_menu_rect()  # any window below the panel: here, the tooltip
    return " ".join(w.text for w in desktop.read_words(shown)) if shown is not None else ""


def keyring_asks(tmp_path: Path) -> tuple[int, bool]:
    """How many fetches the tray's log shows failing (each asked the keyring: no key in the
    environment), and whether it said it holds the keyring until the user acts."""
    logs = list((tmp_path / "state").rglob("tray.log"))
    text = logs[0].read_text(errors="replace") if logs else ""
    return text.count("Refresh failed:"), KEYRING_HELD in text


def menu_text(desktop: VirtualDesktop) -> str:
    """Open the tray's menu, read it, close it again."""
    panel = desktop.panel()
    assert panel is not None
    desktop.click(panel.centre, button=3)
    menu = wait_until(desktop.open_menu_rect, what="the menu to open")
    words = desktop.read_words(menu)
    desktop.xdotool("key", "Escape")
    wait_until(lambda: desktop.open_menu_rect() is None, what="the menu to close")
    return " ".join(w.text for w in words)


# --- the first start ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("services", "says", "in_menu"),
    [
        (keyring_sessions.NO_SECRET_SERVICE, NO_SERVICE_SAYS, "No OS keyring is available"),
        # gnome-keyring with no keyring, and nothing to ask the user to create one: the case
        # users met as "The OS keyring failed (InitError)".
        (keyring_sessions.KEYRING_WITHOUT_PROMPTER, DISMISSED_SAYS, "no default keyring"),
    ],
    ids=["no-secret-service", "gnome-keyring-without-a-keyring"],
)
def test_first_run_without_a_usable_keyring_explains_itself(
    desktop: VirtualDesktop,
    deepgram: FakeDeepgram,
    tmp_path: Path,
    started: list[TrayProcess | subprocess.Popen[bytes]],
    services: tuple[str, ...],
    says: str,
    in_menu: str,
) -> None:
    config = keyring_sessions.bus_config(tmp_path, services)
    env = app_env(tmp_path, deepgram)
    pointer_away(desktop)
    tray = TrayProcess(
        desktop, env, tmp_path, private_bus=False, program=keyring_sessions.in_session(config, APP)
    )
    started.append(tray)

    # The tray opens the settings window by itself: there is no key, and nowhere to keep one.
    text = wait_until(
        lambda: shown_with(window_text(desktop), "API"),
        what="the settings window to open by itself",
        timeout=40,
    )
    rect, words = read_window(desktop)
    desktop.screenshot().crop(rect.box).save(tmp_path / "settings-without-keyring.png")
    text = " ".join(w.text for w in words)
    assert in_menu in text, text
    assert "DEEPGRAM_API_KEY" in text and "plain file" in text
    assert "Paste yours above" not in text  # the old hint asked for what cannot be kept
    # Visibly disabled: the field's inside is the disabled grey, not an entry's white.
    inside = key_field_inside(desktop, rect)
    assert near(inside, LIGHT.disabled_field), inside
    # The keyring was asked once, and is not asked again on the schedule (gnome-keyring could
    # put up its dialog every few minutes): only when the user acts.
    wait_until(lambda: keyring_asks(tmp_path)[1], what="the tray to hold the keyring")
    assert keyring_asks(tmp_path)[0] == 1

    # No window manager runs: the keyboard follows the pointer, so put it over the window.
    desktop.xdotool("mousemove", str(rect.centre[0]), str(rect.centre[1]))
    desktop.xdotool("key", "Escape")
    wait_until(lambda: desktop.window_rect() is None, what="the window to close")
    pointer_away(desktop)
    # Closing the window is the user acting: the keyring is asked once more.
    wait_until(lambda: keyring_asks(tmp_path)[0] == 2, what="the keyring asked on closing")

    # The menu says what is missing (the icon is grey: there is nothing to show).
    menu = wait_until(
        lambda: shown_with(menu_text(desktop), in_menu),
        what="the missing keyring in the menu",
        timeout=30,
    )
    assert "Balance" in menu
    assert desktop.tray_icon_colour() == "grey"
    # So does the tooltip, in the error's few words.
    panel = desktop.panel()
    assert panel is not None
    desktop.xdotool("mousemove", str(panel.centre[0]), str(panel.centre[1]))
    tip = wait_until(
        lambda: shown_with(tooltip_text(desktop), "keyring"), what="the tooltip", timeout=30
    )
    assert "Deepgram" in tip
    pointer_away(desktop)
    assert OWNER_KEY not in tray.stderr()
    assert keyring_asks(tmp_path)[0] == 2, "not asked again by the schedule meanwhile"

    # `key status` in the same kind of session (after the tray: a second gnome-keyring in the
    # same runtime folder would find the first one's socket): the same sentence, exit 2 (a
    # configuration error, as the contract says), one line of the app's own on stderr.
    tray.stop()
    status = subprocess.run(
        keyring_sessions.in_session(config, [*APP, "key", "status"]),
        env=desktop.env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert status.returncode == 2, status.stderr
    assert status.stdout == ""
    ours = [line for line in status.stderr.splitlines() if line.startswith("deepgram-tray:")]
    assert len(ours) == 1, status.stderr
    assert says in ours[0] and ours[0].endswith("in the environment instead.")


# --- the keyring's own prompt -------------------------------------------------------------------


def test_key_status_says_why_it_waits_before_the_keyring_prompts(
    desktop: VirtualDesktop,
    deepgram: FakeDeepgram,
    tmp_path: Path,
    started: list[TrayProcess | subprocess.Popen[bytes]],
) -> None:
    """gnome-keyring with no keyring asks for a password to create one, and `key status` waits
    on that dialog: on a terminal it first says why it may wait."""
    config = keyring_sessions.bus_config(tmp_path, keyring_sessions.KEYRING_THAT_PROMPTS)
    env = app_env(tmp_path, deepgram)
    terminal, stderr_side = pty.openpty()
    status: subprocess.Popen[bytes] | None = None
    try:
        status = subprocess.Popen(
            keyring_sessions.in_session(config, [*APP, "key", "status"]),
            env=desktop.env(**env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr_side,
            start_new_session=True,
        )
        started.append(status)
        os.close(stderr_side)
        said = bytearray()

        def terminal_shows(text: str) -> bool:
            while select.select([terminal], [], [], 0)[0]:
                try:
                    chunk = os.read(terminal, 4096)
                except OSError:  # the other side closed
                    break
                if not chunk:
                    break
                said.extend(chunk)
            return text in said.decode(errors="replace")

        wait_until(
            lambda: terminal_shows(
                "deepgram-tray: Asking the OS keyring for the key (your desktop may ask you to "
                "unlock or create a keyring)…"
            ),
            what="the word before the keyring is asked",
        )
        # The keyring's own dialog is up, and the command waits on it.
        prompt = wait_until(
            lambda: shown_with(window_text(desktop), "Continue"),
            what="gnome-keyring's new-keyring dialog",
            timeout=40,
        )
        assert "keyring" in prompt
        assert status.poll() is None, "key status waits while the dialog is up"
        _, words = read_window(desktop)
        desktop.click(find(words, "Cancel").rect.centre)
        assert status.wait(timeout=30) == 2
        wait_until(lambda: terminal_shows(DISMISSED_SAYS), what="the sentence after Cancel")
        assert status.stdout is not None and status.stdout.read() == b""
    finally:
        os.close(terminal)
        if status is not None and status.stdout is not None:
            status.stdout.close()


# --- a small screen -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_screen() -> Iterator[VirtualDesktop]:
    """An 800x600 X screen with no panel, as on a small netbook or a VM's first boot."""
    require_tools(desktop_module.missing_tools())
    normal = desktop_module.SCREEN
    desktop_module.SCREEN = (800, 600)
    try:
        screen = VirtualDesktop(with_tray_panel=False).start()
    finally:
        desktop_module.SCREEN = normal
    try:
        yield screen
    finally:
        screen.stop()


def type_over(desktop: VirtualDesktop, point: tuple[int, int], text: str) -> None:
    desktop.xdotool("mousemove", str(point[0]), str(point[1]), "click", "--repeat", "3", "1")
    desktop.xdotool("type", text)


def text_colour(desktop: VirtualDesktop, word: Word) -> tuple[int, int, int]:
    """The average colour of a word's ink: its pixels far from the window's light background."""
    data = desktop.screenshot().crop(word.rect.box).tobytes()
    pixels = [(data[i], data[i + 1], data[i + 2]) for i in range(0, len(data), 3)]
    ink = [p for p in pixels if sum(p) < 3 * 160]
    assert ink, f"no ink in {word}"
    return (
        sum(p[0] for p in ink) // len(ink),
        sum(p[1] for p in ink) // len(ink),
        sum(p[2] for p in ink) // len(ink),
    )


def footer_words(desktop: VirtualDesktop, window: Rect) -> list[Word]:
    """The words on the buttons in the window's last 46 pixels (Save, Cancel). Buttons' grey
    faces defeat OCR of the plain screenshot, so the strip is made black on white first."""
    strip = Rect(window.x, window.y + window.height - 46, window.width, 46)
    image = desktop.screenshot().crop(strip.box).convert("L")
    return ocr_words(image, strip, lambda scaled: scaled.point(lambda v: 255 if v > 140 else 0))


def open_settings(
    screen: VirtualDesktop,
    env: dict[str, str],
    tmp_path: Path,
    started: list[TrayProcess | subprocess.Popen[bytes]],
) -> TrayProcess:
    window = TrayProcess(screen, env, tmp_path, args=("settings",), private_bus=False)
    started.append(window)
    wait_until(lambda: "Save" in window_text(screen), what="the settings window")
    return window


def test_save_stays_on_an_800x600_screen_with_every_message_shown(
    small_screen: VirtualDesktop,
    deepgram: FakeDeepgram,
    tmp_path: Path,
    started: list[TrayProcess | subprocess.Popen[bytes]],
) -> None:
    env = app_env(tmp_path, deepgram)
    # The key from the environment: the key field still takes a new one, and checks it.
    env.update(DEEPGRAM_API_KEY=OWNER_KEY, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    window = open_settings(small_screen, env, tmp_path, started)
    rect, words = read_window(small_screen)
    assert rect.y + rect.height <= 600 and rect.x + rect.width <= 800, rect
    # The environment key's notice is information, in the info blue, not the error red.
    r, g, b = text_colour(small_screen, find(words, "DEEPGRAM_API_KEY"))
    assert b > r + 40, (r, g, b)

    # A key with a space in the key field (it has the focus; with no window manager the
    # keyboard follows the pointer), then something each number field refuses.
    small_screen.xdotool("mousemove", str(rect.centre[0]), str(rect.centre[1]))
    small_screen.xdotool("type", "not a key")
    for shown in ("20", "5", "300", "7", "14"):
        _, words = read_window(small_screen)
        type_over(small_screen, find(words, shown).rect.centre, "x")

    # Save, clicked with the pointer: every message appears, in the labels' words.
    small_screen.click(find(footer_words(small_screen, rect), "Save").rect.centre)
    wait_until(lambda: "takes" in window_text(small_screen), what="the messages")
    rect, words = read_window(small_screen)
    small_screen.screenshot().save(tmp_path / "settings-800x600-messages.png")
    text = " ".join(w.text for w in words)
    assert "warn_below" not in text and "poll_interval" not in text, text
    assert rect.y + rect.height <= 600, f"the window grew past the screen: {rect}"
    buttons = footer_words(small_screen, rect)
    save, cancel = find(buttons, "Save"), find(buttons, "Cancel")
    assert save.rect.y + save.rect.height <= 600 and save.rect.x + save.rect.width <= 800
    assert window.process.poll() is None, "nothing valid to save: the window stays open"
    # The wheel scrolls the body down to the last message; the buttons stay where they were.
    small_screen.xdotool("mousemove", str(rect.centre[0]), str(rect.y + 100))
    small_screen.xdotool("click", "--repeat", "10", "5")
    wait_until(
        lambda: "number of days, e.g. 14" in window_text(small_screen),
        what="the last field's message, scrolled into view",
    )
    rect = wait_until(small_screen.window_rect, what="the window")
    after = find(footer_words(small_screen, rect), "Save").rect.centre
    assert all(abs(a - b) <= 4 for a, b in zip(after, save.rect.centre, strict=True))
    # The buttons answer with every message shown.
    small_screen.click(cancel.rect.centre)
    assert window.wait(timeout=20) == 0
    assert "Nothing was changed." in window.stdout()

    # And Save, clicked on this screen, saves.
    window = open_settings(small_screen, env, tmp_path, started)
    rect = wait_until(small_screen.window_rect, what="the window")
    small_screen.click(find(footer_words(small_screen, rect), "Save").rect.centre)
    assert window.wait(timeout=20) == 0
    assert "Settings saved." in window.stdout()
    assert Path(env["DEEPGRAM_TRAY_CONFIG"]).exists()


# --- light or dark, as the desktop prefers ------------------------------------------------------

# Starts the appearance portal on the window's private bus, waits (10 s at most) until it owns
# its name, then becomes the settings window: sh -c SCRIPT sh PYTHON READY SCHEME
WITH_APPEARANCE_PORTAL = """
python="$1"; ready="$2"; scheme="$3"; shift 3
"$python" -m tests.support.appearance_portal "$ready" "$scheme" &
tries=0
while [ ! -e "$ready" ] && [ "$tries" -lt 200 ]; do sleep 0.05; tries=$((tries + 1)); done
exec "$python" -m trayapp "$@"
"""


@pytest.mark.parametrize(("scheme", "palette"), [(1, DARK), (2, LIGHT)], ids=["dark", "light"])
def test_the_window_follows_the_desktops_dark_or_light_preference(
    small_screen: VirtualDesktop,
    deepgram: FakeDeepgram,
    tmp_path: Path,
    started: list[TrayProcess | subprocess.Popen[bytes]],
    scheme: int,
    palette: Palette,
) -> None:
    config = keyring_sessions.bus_config(tmp_path, keyring_sessions.NO_SECRET_SERVICE)
    env = app_env(tmp_path, deepgram)
    env.update(DEEPGRAM_API_KEY=OWNER_KEY, PYTHONPATH=str(REPO_ROOT))
    ready = tmp_path / "portal-ready"
    program = ["sh", "-c", WITH_APPEARANCE_PORTAL, "sh", sys.executable, str(ready), str(scheme)]
    window = TrayProcess(
        small_screen,
        env,
        tmp_path,
        args=("settings",),
        private_bus=False,
        program=keyring_sessions.in_session(config, program),
    )
    started.append(window)
    rect = wait_until(small_screen.window_rect, what="the settings window")
    wait_until(lambda: "Save" in window_text(small_screen), what="the window's words")
    small_screen.screenshot().crop(rect.box).save(tmp_path / f"settings-scheme-{scheme}.png")
    # The window's own background, just inside its top-left corner.
    corner = small_screen.screenshot().getpixel((rect.x + 4, rect.y + 4))
    assert isinstance(corner, tuple)
    assert near((corner[0], corner[1], corner[2]), palette.background), corner
    assert ready.exists(), "the portal was up, so the answer was its"
