"""The Windows PyInstaller bundle (packaging/deepgram-tray.spec), built and run under Wine.

scripts/test builds it with packaging/build-windows-under-wine.sh and names the folder in
DEEPGRAM_TRAY_TEST_WINDOWS_BUNDLE. What can go wrong only in the bundle is what these check: the
console program's output through a pipe (the fetch worker's answer travels that way), the frozen
app answering exactly what the pip-installed one does, keyring finding the Credential Locker, start
at login naming the windowed program, the windowed program finding pystray's win32 backend and
starting its worker; and, when the installer was built (DEEPGRAM_TRAY_TEST_WINDOWS_INSTALLER), a
silent install, update and uninstall with the app running.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import OWNER_KEY
from tests.support.colours import colour_family
from tests.support.deepgram_server import FakeDeepgram
from tests.support.desktop import SCREEN, VirtualDesktop, missing_tools
from tests.support.pypi_server import FakePyPI
from tests.support.required import require_tools, unavailable
from tests.support.waiting import wait_until
from tests.support.wine import WindowsPython
from tests.support.wine_desktop import DESKTOP_NAME, Output
from trayapp import __version__

BUNDLE_ENV = "DEEPGRAM_TRAY_TEST_WINDOWS_BUNDLE"
INSTALLER_ENV = "DEEPGRAM_TRAY_TEST_WINDOWS_INSTALLER"
CONSOLE = "deepgram-tray.exe"
WINDOWED = "deepgram-tray-gui.exe"
RUN_KEY = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run"
FIRST_START = 90.0  # the first program on a new Wine desktop starts explorer and its taskbar too


@pytest.fixture(scope="session")
def bundle_folder() -> Path:
    folder = os.environ.get(BUNDLE_ENV, "").strip()
    if not folder:
        unavailable(
            f"needs the Windows bundle: packaging/build-windows-under-wine.sh and "
            f"{BUNDLE_ENV}=dist/windows/deepgram-tray (scripts/test does both)"
        )
    path = Path(folder).resolve()
    for program in (CONSOLE, WINDOWED):
        assert (path / program).is_file(), f"no {program} in the bundle at {path}"
    return path


def test_both_programs_print_their_version_through_a_pipe(
    windows: WindowsPython, bundle_folder: Path
) -> None:
    for program in (CONSOLE, WINDOWED):
        result = windows.run(["--version"], program=[str(bundle_folder / program)])
        assert (result.returncode, result.stdout) == (0, f"deepgram-tray {__version__}\n"), (
            program,
            result.stderr,
        )


def test_the_smoke_test_for_real_windows_passes_here(
    windows: WindowsPython, bundle_folder: Path, app_folders: dict[str, Path]
) -> None:
    # The release workflow runs tests/support/windows_smoke.py on a real Windows runner; here it
    # proves the script itself works (its tray step needs a desktop: the tests below do that).
    checkout = Path(__file__).resolve().parents[2]
    result = windows.run(
        ["-m", "tests.support.windows_smoke", windows.windows_path(bundle_folder), "--no-tray"],
        {"PYTHONPATH": windows.windows_path(checkout)},
        program=[str(windows.python_exe)],
        timeout=300,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok: a name outside the ANSI code page prints through a pipe, in UTF-8" in result.stdout


def test_balance_json_is_what_the_pip_installed_app_prints(
    windows: WindowsPython,
    bundle_folder: Path,
    windows_env: dict[str, str],
    deepgram: FakeDeepgram,
    app_folders: dict[str, Path],
) -> None:
    frozen = windows.run(["balance", "--json"], windows_env, program=[str(bundle_folder / CONSOLE)])
    assert frozen.returncode == 0, frozen.stderr
    assert deepgram.requests_to("^/v1/projects$"), "the bundle did not reach the server"
    installed = windows.run(["balance", "--json"], windows_env)
    assert installed.returncode == 0, installed.stderr
    answer, expected = json.loads(frozen.stdout), json.loads(installed.stdout)
    del answer["fetched_at"], expected["fetched_at"]
    assert answer == expected
    assert '"usd": 128.31822227' in frozen.stdout  # exact decimals survive freezing too


def test_the_key_goes_to_the_credential_locker_from_the_bundle(
    windows: WindowsPython, bundle_folder: Path, deepgram: FakeDeepgram
) -> None:
    # keyring finds its Windows backend through entry points and win32ctypes: both must have
    # been frozen into the bundle, or the key has nowhere to go.
    console = [str(bundle_folder / CONSOLE)]
    env = {"DEEPGRAM_TRAY_API_URL": deepgram.base_url, "DEEPGRAM_API_KEY": ""}
    try:
        saved = windows.run(["key", "set"], env, stdin=OWNER_KEY + "\n", program=console)
        assert saved.returncode == 0, saved.stderr
        status = windows.run(["key", "status"], env, program=console)
        assert status.stdout == (
            f"API key ending in …{OWNER_KEY[-4:]}, stored in the OS keyring "
            "(Windows Credential Manager).\n"
        )
        # The pip-installed app reads what the bundle stored: the same place, the same names.
        installed = windows.run(["balance", "--json"], env)
        assert json.loads(installed.stdout)["totals"] == {"usd": 128.31822227}, installed.stderr
        for result in (saved, status, installed):
            assert OWNER_KEY not in result.stdout + result.stderr
    finally:
        windows.run(["key", "delete"], env, program=console)
    assert windows.run(["key", "status"], env, program=console).returncode == 2


def test_start_at_login_runs_the_bundles_windowed_program(
    windows: WindowsPython, bundle_folder: Path
) -> None:
    console = [str(bundle_folder / CONSOLE)]
    try:
        enabled = windows.run(["autostart", "enable"], program=console)
        assert enabled.returncode == 0, enabled.stderr
        entry = windows.reg_query(RUN_KEY)
        # Not the console program: that would open a console window at every sign-in.
        assert windows.windows_path(bundle_folder / WINDOWED).lower() in entry.lower(), entry
    finally:
        windows.run(["autostart", "disable"], program=console)
    assert "deepgram-tray" not in windows.reg_query(RUN_KEY).lower()


# --- the windowed program's tray --------------------------------------------------------------


def notification_area_greens(shot: Image.Image) -> int:
    """Green pixels at the taskbar's right end, where Wine's notification area shows the icons.

    A local stand-in for tests/support/wine_desktop.py's WineShell.tray_icon_colour, which finds
    the icon itself; this only needs to know that a green badge is there.
    """
    width, height = shot.size
    corner = shot.crop((width - 160, height - 40, width, height)).convert("RGB")
    data = corner.tobytes()
    pixels = ((data[i], data[i + 1], data[i + 2]) for i in range(0, len(data), 3))
    return sum(colour_family(pixel) == "green" for pixel in pixels)


@pytest.fixture
def wine_desktop(windows: WindowsPython) -> Iterator[VirtualDesktop]:
    require_tools(missing_tools())
    desktop = VirtualDesktop(with_tray_panel=False).start()
    try:
        yield desktop
    finally:
        windows.kill_programs()  # the tray, its worker and explorer's desktop
        desktop.stop()


@pytest.mark.display
def test_the_windowed_program_shows_a_green_icon_fed_by_its_fetch_worker(
    windows: WindowsPython,
    bundle_folder: Path,
    wine_desktop: VirtualDesktop,
    deepgram: FakeDeepgram,
    app_folders: dict[str, Path],
    tmp_path: Path,
) -> None:
    pypi = FakePyPI().start()
    pypi.latest("9.9.9")
    env = windows.env(
        DISPLAY=wine_desktop.display,
        DEEPGRAM_TRAY_API_URL=deepgram.base_url,
        DEEPGRAM_API_KEY=OWNER_KEY,
        DEEPGRAM_TRAY_UPDATES_URL=pypi.url,
    )
    output = Output()
    process = start_in_taskbar_desktop(bundle_folder / WINDOWED, env, output=output)
    try:
        assert not notification_area_greens(wine_desktop.screenshot())  # nothing green before
        wait_until(
            lambda: notification_area_greens(wine_desktop.screenshot()) >= 40,
            timeout=FIRST_START,
            interval=0.5,
            what="a green icon in the notification area",
        )
        wine_desktop.screenshot().save(tmp_path / "green.png")
        # The tray itself never calls the API: what reached the server came from its worker, which
        # a bundle starts as its console program, `deepgram-tray.exe _fetch` (self_command.py).
        assert deepgram.requests_to("^/v1/projects/.+/balances")
        log = app_folders["config"] / "Logs" / "tray.log"
        text = wait_until(
            lambda: log.read_text(encoding="utf-8") if log.is_file() else "", what="the log"
        )
        assert "Tray backend: win32" in text, text
        # The update check, after the first read, from the same worker: one plain GET.
        wait_until(lambda: "Update check:" in log.read_text("utf-8"), what="the update check")
        text = log.read_text("utf-8")
        assert "Update check: the latest release is 9.9.9" in text, text
        (seen,) = pypi.requests()
        assert seen.header("User-Agent") == f"deepgram-balance-tray/{__version__}"
        assert seen.header("Authorization") is None
        assert "Traceback" not in text and "worker" not in text.lower(), text
        assert OWNER_KEY not in text and OWNER_KEY not in output.text()
    finally:
        pypi.stop()
        windows.kill_programs()
        process.wait(timeout=30)
        assert process.stdout is not None
        process.stdout.close()


# --- the installer ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def installer() -> Path:
    value = os.environ.get(INSTALLER_ENV, "").strip()
    if not value:
        pytest.skip(f"no installer built ({INSTALLER_ENV} unset): see build-windows-under-wine.sh")
    path = Path(value).resolve()
    assert path.is_file(), f"{INSTALLER_ENV} names no file: {path}"
    return path


@pytest.mark.display
def test_the_installer_installs_updates_and_uninstalls_silently(
    windows: WindowsPython,
    installer: Path,
    wine_desktop: VirtualDesktop,
    deepgram: FakeDeepgram,
    app_folders: dict[str, Path],
    tmp_path: Path,
) -> None:
    # Silent as it is, Setup makes its (hidden) wizard window, on the prefix's desktop: the
    # session made that desktop without a display, so it is made again with one.
    display = wine_desktop.display
    windows.display = display
    windows.kill_programs()
    # For all users: Wine 8 has no per-user Program Files (SHGetKnownFolderPath fails for
    # FOLDERID_UserProgramFiles), so Setup cannot expand {autopf} in its per-user default.
    app = windows.linux_path(r"C:\Program Files\Deepgram Balance")
    start_menu = windows.linux_path(r"C:\ProgramData\Microsoft\Windows\Start Menu\Programs")
    shortcut = start_menu / "Deepgram Balance.lnk"
    silent = ("/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART", "/ALLUSERS")
    running: list[subprocess.Popen[bytes]] = []
    shells: list[subprocess.Popen[bytes]] = []

    def setup(name: str) -> None:
        log = tmp_path / f"{name}.log"
        done = _wine(windows, display, str(installer), *silent, f"/LOG={windows.windows_path(log)}")
        assert done.returncode == 0, log.read_text(errors="replace") if log.exists() else done

    def uninstall() -> None:
        uninstaller = str(app / "unins000.exe")
        removed = _wine(windows, display, uninstaller, "/VERYSILENT", "/SUPPRESSMSGBOXES")
        assert removed.returncode == 0, removed

    try:
        setup("install")
        assert (app / CONSOLE).is_file() and (app / WINDOWED).is_file()
        assert shortcut.is_file() and (start_menu / "Deepgram Balance settings.lnk").is_file()
        installed = windows.run(["--version"], program=[str(app / CONSOLE)])
        assert (installed.returncode, installed.stdout) == (0, f"deepgram-tray {__version__}\n")
        # The "start at login" task (on by default) is the app's own Run entry, naming the
        # installed windowed program.
        run_entry = windows.reg_query(RUN_KEY)
        assert re.search(r"Deepgram.*deepgram-tray-gui\.exe", run_entry, re.I), run_entry

        # An update while the installed tray runs, and the console program too (the tray's fetch
        # worker, its settings or history window): Setup asks the tray to quit as its Quit item
        # does, so its icon leaves the taskbar, then ends what still holds the folder's files.
        log = app_folders["config"] / "Logs" / "tray.log"

        def start_tray_and_worker(starts: int) -> None:
            env = windows.env(
                DISPLAY=display, DEEPGRAM_TRAY_API_URL=deepgram.base_url, DEEPGRAM_API_KEY=OWNER_KEY
            )
            shells.append(start_in_taskbar_desktop(app / WINDOWED, env))
            wait_until(
                lambda: log.is_file() and log.read_text("utf-8").count("Tray backend:") == starts,
                timeout=FIRST_START,
                what="the installed tray to start",
            )
            running.append(start_worker(windows, app / CONSOLE))

        def quit_by_itself() -> int:
            # "Stopped" is the tray's last line when it quit by itself; a killed one writes none.
            return len(re.findall(r" Stopped$", log.read_text("utf-8"), re.M))

        start_tray_and_worker(starts=1)
        setup("update")
        running[-1].wait(timeout=30)  # waiting for a request that never comes: it was stopped
        assert quit_by_itself() == 1, log.read_text("utf-8")

        # Uninstalling while both run: the same, before the files are removed.
        start_tray_and_worker(starts=2)
        uninstall()
        assert quit_by_itself() == 2, log.read_text("utf-8")
    finally:
        if (app / "unins000.exe").is_file():
            running.append(start_worker(windows, app / CONSOLE))
            uninstall()
        for process in running:
            _reap(process)
        if shells:
            windows.kill_programs()  # the taskbar's desktop outlives the tray it was started for
            for shell in shells:
                shell.wait(timeout=30)
        windows.display = ""  # wine_desktop's clean-up then makes the desktop without it again
    # Nothing left behind, though the console program was running.
    wait_until(lambda: not app.exists(), what="the uninstaller to remove the whole folder")
    assert not shortcut.exists()
    assert "deepgram-tray-gui.exe" not in windows.reg_query(RUN_KEY).lower()


def start_in_taskbar_desktop(
    program: Path, env: dict[str, str], *, output: Output | None = None
) -> subprocess.Popen[bytes]:
    """A windowed program in Wine's desktop with a taskbar and a notification area, as a user's
    Start menu entry starts it; its output (explorer's, too) followed into `output` if given."""
    width, height = SCREEN
    process = subprocess.Popen(
        ["wine", "explorer", f"/desktop={DESKTOP_NAME},{width}x{height}", str(program)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL if output is None else subprocess.PIPE,
        stderr=subprocess.DEVNULL if output is None else subprocess.STDOUT,
        start_new_session=True,
    )
    if output is not None:
        output.follow(process)
    return process


def start_worker(windows: WindowsPython, program: Path) -> subprocess.Popen[bytes]:
    """`deepgram-tray.exe _fetch` waiting for its request, once it holds the bundle's files."""
    process = subprocess.Popen(
        ["wine", str(program), "_fetch"],
        env=windows.env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def python_loaded() -> bool:
        # Any process: under Wine the program may run in another process than the one started.
        for maps in Path("/proc").glob("[0-9]*/maps"):
            with contextlib.suppress(OSError):
                if loaded.search(maps.read_text(errors="replace")):
                    return True
        return False

    internal = re.escape(str(program.parent.resolve() / "_internal"))
    loaded = re.compile(internal + r"/python3\d+\.dll", re.I)
    wait_until(python_loaded, interval=0.2, what="the worker to load the bundle's Python")
    return process


def _reap(process: subprocess.Popen[bytes]) -> None:
    assert process.stdin is not None and process.stdout is not None
    with contextlib.suppress(OSError):
        process.stdin.close()  # a worker still waiting gets no request and leaves
    process.wait(timeout=30)
    process.stdout.close()


def _wine(
    windows: WindowsPython, display: str, *command: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["wine", *command],
        env=windows.env(DISPLAY=display),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=300,
        check=False,
    )
