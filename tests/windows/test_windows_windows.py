"""The app's windows under Windows: Tk in a Windows CPython (Wine) on Xvfb, driven with xdotool.

The settings window stores the key in the Windows Credential Locker, which the test reads back
itself (win32cred, not the app or keyring), and writes the config file in the Windows profile; the
history window draws the chart of a history seeded where Windows keeps the app's data.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import tomllib
from PIL import Image

from tests.conftest import OWNER_KEY
from tests.support.deepgram_server import FakeDeepgram
from tests.support.desktop import Rect, VirtualDesktop, Word, stop_process_group
from tests.support.history_seed import seed_history
from tests.support.required import require_tools
from tests.support.waiting import wait_until
from tests.support.wine import WindowsPython
from tests.test_history_desktop import colour_pixels, find
from trayapp.credentials import KEYRING_SERVICE, KEYRING_USERNAME
from trayapp.desktop.resources import app_icon_png
from trayapp.tk import history_window, settings_window
from trayapp.tk.history_chart import (
    BALANCE_COLOUR,
    CHART_SIZE,
    GRID,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    SPEND_COLOUR,
)

pytestmark = pytest.mark.display

TOOLS = ("Xvfb", "xdotool", "xprop", "tesseract")

# The Credential Locker, read (and emptied, with DELETE=1) straight through the Windows API.
# keyring's Windows backend stores the key under the service name, or under "user@service" once
# another user name took that one; both are looked at. Of a secret, only whether it matches
# EXPECTED_KEY is printed. And where the app keeps its config in this Windows profile.
LOCKER = f"""
import json, os
from win32ctypes.pywin32 import pywintypes, win32cred
targets = ({KEYRING_SERVICE!r}, {f"{KEYRING_USERNAME}@{KEYRING_SERVICE}"!r})
found = {{}}
for target in targets:
    try:
        credential = win32cred.CredRead(Type=win32cred.CRED_TYPE_GENERIC, TargetName=target)
    except pywintypes.error as exc:
        if exc.winerror != 1168:  # ERROR_NOT_FOUND
            raise
        continue
    if os.environ.get("DELETE") == "1":
        win32cred.CredDelete(Type=win32cred.CRED_TYPE_GENERIC, TargetName=target)
    secret = credential["CredentialBlob"].decode("utf-16-le")
    found[target] = {{
        "user": credential["UserName"],
        "matches": secret == os.environ.get("EXPECTED_KEY"),
    }}
from trayapp.desktop.paths import config_path
print(json.dumps({{"locker": found, "config": str(config_path())}}))
"""


def look(windows: WindowsPython, *, expected: str = "", delete: bool = False) -> dict[str, Any]:
    """What the Credential Locker holds under the app's names ({target: {user, matches}}), and
    where the app keeps its config; `delete` empties the Locker of those entries."""
    result = windows.python(LOCKER, {"EXPECTED_KEY": expected, "DELETE": "1" if delete else "0"})
    assert result.returncode == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


@pytest.fixture(scope="module")
def screen(windows: WindowsPython) -> Iterator[VirtualDesktop]:
    """Xvfb without a window manager or panel; the Windows programs draw on it."""
    require_tools([tool for tool in TOOLS if shutil.which(tool) is None])
    desktop = VirtualDesktop(with_tray_panel=False).start()
    before, windows.display = windows.display, desktop.display
    try:
        yield desktop
    finally:
        windows.display = before
        desktop.stop()


@dataclass
class LockerCleanup:
    done: bool = False


@pytest.fixture
def empty_locker(windows: WindowsPython) -> Iterator[LockerCleanup]:
    """Whatever the test stored in the Credential Locker is removed after it, unless the test
    did it itself. (That it starts empty, the settings window says: "No key is stored yet".)"""
    cleanup = LockerCleanup()
    try:
        yield cleanup
    finally:
        if not cleanup.done:
            look(windows, delete=True)


@dataclass
class WindowProgram:
    """A `deepgram-tray` window under Windows Python, its output read through a pipe (Wine's
    Windows Python cannot start with both streams redirected to files)."""

    process: subprocess.Popen[bytes]

    def wait(self, timeout: float = 30) -> tuple[int, str]:
        output, _ = self.process.communicate(timeout=timeout)
        return self.process.returncode, output.decode("utf-8", errors="replace")


@pytest.fixture
def programs() -> Iterator[list[WindowProgram]]:
    started: list[WindowProgram] = []
    try:
        yield started
    finally:
        for program in started:
            stop_process_group(program.process)


def open_window(
    windows: WindowsPython,
    programs: list[WindowProgram],
    args: list[str],
    env: dict[str, str] | None = None,
) -> WindowProgram:
    program = WindowProgram(
        subprocess.Popen(
            windows.command(*args),
            env=windows.env(**(env or {})),
            cwd=windows.workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    )
    programs.append(program)
    return program


def window_ids(desktop: VirtualDesktop, title: str) -> list[str]:
    """The shown X windows with exactly this title (WM_NAME, which Wine sets from the Windows
    window's title)."""
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", f"^{title}$"],
        env=desktop.env(),
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    return found.stdout.split()


def window_named(desktop: VirtualDesktop, title: str) -> Rect | None:
    """The rectangle of the shown window with exactly this title."""
    for window in window_ids(desktop, title):
        shape = subprocess.run(
            ["xdotool", "getwindowgeometry", "--shell", window],
            env=desktop.env(),
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        values = dict(line.split("=", 1) for line in shape.stdout.split() if "=" in line)
        if {"X", "Y", "WIDTH", "HEIGHT"} <= values.keys() and int(values["WIDTH"]) > 100:
            return Rect(*(int(values[k]) for k in ("X", "Y", "WIDTH", "HEIGHT")))
    return None


def wait_for_window(desktop: VirtualDesktop, program: WindowProgram, title: str) -> Rect:
    """The window once it shows; fails at once, with the program's output, if it exits first."""

    def shown() -> Rect | None:
        if program.process.poll() is not None:
            returncode, output = program.wait()
            raise AssertionError(f"the window's program exited with {returncode}: {output}")
        return window_named(desktop, title)

    return wait_until(shown, what=f"the window {title!r}", timeout=90)


def window_icon(desktop: VirtualDesktop, title: str, size: int) -> list[tuple[int, int, int, int]]:
    """The RGBA pixels of the `size`-pixel icon in the window's _NET_WM_ICON (empty if none)."""
    for window in window_ids(desktop, title):
        listed = subprocess.run(
            ["xprop", "-id", window, "-f", "_NET_WM_ICON", "32c", " = $0+\n", "_NET_WM_ICON"],
            env=desktop.env(),
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        if "=" not in listed.stdout:
            continue
        values = [int(v) for v in listed.stdout.split("=", 1)[1].replace(" ", "").split(",")]
        while len(values) >= 2:  # width, height, then width * height ARGB values, per icon
            width, height = values[:2]
            pixels, values = values[2 : 2 + width * height], values[2 + width * height :]
            if (width, height) == (size, size):
                return [(v >> 16 & 255, v >> 8 & 255, v & 255, v >> 24 & 255) for v in pixels]
    return []


def shows(desktop: VirtualDesktop, title: str, text: str) -> tuple[Rect, list[Word]]:
    """The window's rectangle and words (OCR) once they include `text`."""

    def read() -> tuple[Rect, list[Word]] | None:
        rect = window_named(desktop, title)
        if rect is None:
            return None
        words = words_in(desktop, rect)
        return (rect, words) if text in " ".join(w.text for w in words) else None

    return wait_until(read, what=f"{text!r} in the window", timeout=30)


def words_in(desktop: VirtualDesktop, rect: Rect) -> list[Word]:
    return desktop.read_words(rect)


def text_of(desktop: VirtualDesktop, rect: Rect) -> str:
    return " ".join(word.text for word in words_in(desktop, rect))


# --- the settings window --------------------------------------------------------------------------


def test_settings_window_stores_the_key_in_the_credential_locker_and_writes_the_config(
    windows: WindowsPython,
    screen: VirtualDesktop,
    deepgram: FakeDeepgram,
    app_folders: dict[str, Path],
    empty_locker: LockerCleanup,
    programs: list[WindowProgram],
    tmp_path: Path,
) -> None:
    window = open_window(
        windows, programs, ["settings"], {"DEEPGRAM_TRAY_API_URL": deepgram.base_url}
    )
    title = settings_window.TITLE
    wait_for_window(screen, window, title)
    shows(screen, title, "No key is stored yet")

    # The key field has the focus; with no window manager, keyboard focus follows the pointer.
    rect = wait_until(lambda: window_named(screen, title), what="the settings window")
    screen.xdotool("mousemove", str(rect.centre[0]), str(rect.centre[1]))
    # Typed from stdin, so that the key is on no command line.
    subprocess.run(
        ["xdotool", "type", "--delay", "2", "--file", "-"],
        input=OWNER_KEY.encode(),
        env=screen.env(),
        check=True,
        timeout=30,
    )
    # Test key, the next stop for Tab (OCR misreads the bordered buttons' words): verified against
    # the test server, from Windows.
    screen.xdotool("key", "Tab", "space")
    rect, words = shows(screen, title, "can read balances")
    assert any(r.authorization == f"Token {OWNER_KEY}" for r in deepgram.requests_to("/v1/"))
    seen = " ".join(w.text for w in words)
    assert OWNER_KEY[:8] not in seen and OWNER_KEY[-8:] not in seen, "the key is masked"
    screen.screenshot().crop(rect.box).save(tmp_path / "settings-window.png")

    # Warn below: click into its entry, empty it and type 50; then Save. OCR reads the labels
    # reliably but not the digits inside the small entries, so the entry is found as the "Warn
    # below" row in the column where the hint under the key field starts. (Keys, not a triple
    # click to select: under load, clicks can arrive too far apart to make one.)
    column = find(words, "No").rect.x  # "No key is stored yet."
    row = next(w for i, w in enumerate(words) if w.text == "below" and words[i - 1].text == "Warn")
    screen.click((column + 12, row.rect.centre[1]))
    screen.xdotool("key", "End", *["BackSpace"] * 8)
    screen.xdotool("type", "50")
    screen.xdotool("key", "Return")  # Save
    returncode, output = window.wait()
    assert returncode == 0, output
    assert "Settings saved." in output
    assert OWNER_KEY not in output

    # The key is in the Credential Locker, as keyring's Windows backend names it (read, then
    # removed, in one go: each Windows program takes seconds to start).
    seen = look(windows, expected=OWNER_KEY, delete=True)
    empty_locker.done = True
    stored = {KEYRING_SERVICE: {"user": KEYRING_USERNAME, "matches": True}}
    assert seen["locker"] == stored, seen["locker"]

    # The config file in the Windows profile has the new threshold, and no key.
    path = windows.linux_path(seen["config"])
    assert app_folders["config"] in path.parents, path
    config = tomllib.loads(path.read_text(encoding="utf-8"))
    assert (config["warn_below"], config["critical_below"]) == (50.0, 5.0), config
    for file in app_folders["config"].rglob("*"):
        if file.is_file():
            data = file.read_bytes()
            assert OWNER_KEY.encode() not in data and OWNER_KEY.encode("utf-16-le") not in data


# --- the history window ---------------------------------------------------------------------------


DESKTOP_KEY = r"HKCU\Control Panel\Desktop"


@pytest.fixture
def scaled_125(windows: WindowsPython) -> Iterator[None]:
    """Windows' "Scale" setting at 125 % (120 DPI), the one it picks for most laptops, for the
    programs the test starts; then back to Windows' default, 100 % (96 DPI)."""
    set_log_pixels(windows, 120)
    try:
        yield
    finally:
        set_log_pixels(windows, 96)


def set_log_pixels(windows: WindowsPython, dpi: int) -> None:
    reg(windows, "add", DESKTOP_KEY, "/v", "LogPixels", "/t", "REG_DWORD", "/d", str(dpi), "/f")


def reg(windows: WindowsPython, *args: str) -> None:
    done = subprocess.run(
        ["wine", "reg", *args], env=windows.env(), capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr


def grid_width(desktop: VirtualDesktop, rect: Rect) -> int:
    """The length of the chart's horizontal grid lines, in screen pixels."""
    shot = desktop.screenshot().crop(rect.box)
    data, stride, grid = shot.tobytes(), shot.width * 3, bytes(GRID)
    longest = 0
    for y in range(shot.height):
        row = data[y * stride : (y + 1) * stride]
        xs = [x for x in range(0, stride, 3) if row[x : x + 3] == grid]
        if len(xs) > shot.width // 3:
            longest = max(longest, (xs[-1] - xs[0]) // 3)
    return longest


def test_history_window_draws_the_chart_for_the_screens_scaling(
    windows: WindowsPython,
    screen: VirtualDesktop,
    app_folders: dict[str, Path],
    programs: list[WindowProgram],
    scaled_125: None,
    tmp_path: Path,
) -> None:
    # Where platformdirs puts Windows user data: %LOCALAPPDATA%\deepgram-balance-tray.
    seed_history(windows.user_folder("AppData/Local"))
    window = open_window(windows, programs, ["history", "--window"])
    title = history_window.TITLE
    wait_for_window(screen, window, title)

    def summary() -> str:
        # Just the strip above the chart: whole-window OCR reads the chart's big axis labels but
        # misses the small summary line.
        rect = window_named(screen, title)
        return text_of(screen, Rect(rect.x, rect.y, rect.width, 100)) if rect else ""

    wait_until(lambda: "day on average" in summary(), what="the summary above the chart")
    assert "in 30 days" in summary()
    rect = wait_until(lambda: window_named(screen, title), what="the history window")
    screen.screenshot().crop(rect.box).save(tmp_path / "history-window.png")
    assert colour_pixels(screen, rect, BALANCE_COLOUR) > 1000  # the balance line
    assert colour_pixels(screen, rect, SPEND_COLOUR) > 10_000  # the spend bars
    # At 125 % Tk enlarges the window's text, sized in points; the chart, a picture, must grow
    # as much (it did not: its labels came out smaller than the window's text).
    unscaled = CHART_SIZE[0] - MARGIN_LEFT - MARGIN_RIGHT
    assert abs(grid_width(screen, rect) - unscaled * 1.25) < 6, grid_width(screen, rect)
    # The title bar's and taskbar's icon is the app's, not Tk's feather: Wine hands the Windows
    # window's icon to X as _NET_WM_ICON, pixel for pixel.
    ours = app_icon_png(32)
    assert ours is not None
    with Image.open(ours) as image:
        data = image.convert("RGBA").tobytes()
    expected = [tuple(data[i : i + 4]) for i in range(0, len(data), 4)]
    shown = window_icon(screen, title, 32)
    assert len(shown) == len(expected)
    opaque = [(s, e) for s, e in zip(shown, expected, strict=True) if e[3] == 255]
    assert len(opaque) > 200 and all(s[:3] == e[:3] for s, e in opaque)

    screen.xdotool("mousemove", str(rect.centre[0]), str(rect.centre[1]))
    screen.xdotool("key", "Escape")
    returncode, output = window.wait()
    assert returncode == 0, output
    assert "Traceback" not in output


# --- what Windows needs of a Tk program -----------------------------------------------------------

# Runs both windows' real start-up with the main loop made a no-op, recording, in order, the calls
# into shcore.dll and the making of Tk roots; the shcore calls still reach Windows.
DPI_PROBE = r"""
import ctypes, json, tkinter

events = []
RealOleDLL = ctypes.OleDLL

class RecordingDLL:
    def __init__(self, name, *args, **kwargs):
        self.name, self.dll = name, RealOleDLL(name, *args, **kwargs)

    def __getattr__(self, attribute):
        function = getattr(self.dll, attribute)

        def call(*args):
            events.append([self.name.lower(), attribute, list(args)])
            return function(*args)

        return call

ctypes.OleDLL = RecordingDLL
real_init = tkinter.Tk.__init__

def recording_init(self, *args, **kwargs):
    events.append(["Tk"])
    real_init(self, *args, **kwargs)

tkinter.Tk.__init__ = recording_init
tkinter.Tk.mainloop = lambda self, n=0: self.destroy()

from trayapp.desktop.paths import history_path
from trayapp.tk import history_window, settings_window

settings_window.run_window()
history_window.run_window(history_path(), 30)
user32 = ctypes.windll.user32
awareness = user32.GetAwarenessFromDpiAwarenessContext(user32.GetThreadDpiAwarenessContext())
print(json.dumps({"events": events, "awareness": awareness}))
"""


def test_windows_declare_dpi_awareness_before_tk_draws(
    windows: WindowsPython, screen: VirtualDesktop, app_folders: dict[str, Path]
) -> None:
    # Unless a program says it draws for the screen's DPI before its first window, Windows lays
    # it out at 96 DPI and stretches it: blurred text at 125-200 % scaling. Wine stretches
    # nothing and counts every program DPI aware (it refuses the declaration as one made already,
    # which the app must take in its stride), so what is checked is the call and its order.
    result = windows.python(DPI_PROBE, {"DEEPGRAM_API_KEY": ""})
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.splitlines()[-1])
    declare = ["shcore", "SetProcessDpiAwareness", [1]]  # PROCESS_SYSTEM_DPI_AWARE
    assert probe["events"] == [declare, ["Tk"], declare, ["Tk"]], probe
    assert probe["awareness"] != 0, "the process is DPI aware"


def test_without_tk_the_window_says_how_to_add_it_on_windows(
    windows: WindowsPython, tmp_path: Path
) -> None:
    # python.org's installer can leave Tk out ("tcl/tk and IDLE"): importing tkinter fails.
    no_tk = tmp_path / "no-tk"
    no_tk.mkdir()
    (no_tk / "sitecustomize.py").write_text("import sys\nsys.modules['tkinter'] = None\n")
    result = windows.run(["settings"], {"PYTHONPATH": windows.windows_path(no_tk)})
    assert result.returncode == 2, result.stderr
    assert 'tick "tcl/tk and IDLE"' in result.stderr, result.stderr
    assert "python3-tk" not in result.stderr and "`deepgram-tray key set`" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
