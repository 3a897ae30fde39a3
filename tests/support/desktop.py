"""A real desktop for end-to-end tests: Xvfb, a trayer panel, xdotool, screenshots and OCR.

Every process started here is stopped by `stop()`, which tests call from fixtures' finally
blocks; every wait has a deadline.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PIL import Image, ImageGrab

from tests.support.colours import colour_family
from tests.support.hermetic_bus import hermetic_bus_config
from tests.support.waiting import wait_until

TOOLS = ("Xvfb", "trayer", "xdotool", "xwininfo", "tesseract", "dbus-run-session")
SCREEN = (1024, 768)
PANEL_HEIGHT = 32


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    width: int
    height: int

    @property
    def centre(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.x + self.width, self.y + self.height


@dataclass(frozen=True)
class Word:
    text: str
    rect: Rect


class VirtualDesktop:
    def __init__(
        self,
        *,
        with_tray_panel: bool = True,
        panel_height: int = PANEL_HEIGHT,
        panel_colour: tuple[int, int, int] | None = None,
    ) -> None:
        """`panel_colour`: paint trayer's panel in this colour (default: its theme's)."""
        self.with_tray_panel = with_tray_panel
        self.panel_height = panel_height
        self.panel_colour = panel_colour
        self.display = ""
        self._processes: list[subprocess.Popen[bytes]] = []

    # --- life cycle -------------------------------------------------------------------------------

    def start(self) -> VirtualDesktop:
        self._start_xvfb()
        wait_until(self._answers, what="the X server to answer")
        if not self.with_tray_panel:
            return self
        look = ["--transparent", "false", "--tint", "0xffffff"]
        if self.panel_colour is not None:  # a tint at alpha 0 is an opaque colour
            tint = "0x" + bytes(self.panel_colour).hex()
            look = ["--transparent", "true", "--alpha", "0", "--tint", tint]
        trayer = subprocess.Popen(
            ["trayer", "--edge", "top", "--align", "right", "--widthtype", "request",
             "--height", str(self.panel_height), *look],
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        self._processes.append(trayer)
        wait_until(self.panel, what="the trayer panel")
        return self

    def _start_xvfb(self) -> subprocess.Popen[bytes]:
        read_end, write_end = os.pipe()
        width, height = SCREEN
        # -noreset: by default Xvfb resets whenever its last client leaves, and a client that
        # connects during the reset fails (GTK then says it "could not be initialised").
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_end), "-screen", "0", f"{width}x{height}x24",
             "-nolisten", "tcp", "-noreset"],
            pass_fds=(write_end,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        self._processes.append(xvfb)
        os.close(write_end)
        try:
            # Read up to the newline: Xvfb writes the number and the newline separately, and
            # dies ("Cannot write display number") if the pipe is closed between the two.
            received = b""
            deadline = time.monotonic() + 20
            while not received.endswith(b"\n"):
                remaining = deadline - time.monotonic()
                ready, _, _ = select.select([read_end], [], [], max(0.0, remaining))
                chunk = os.read(read_end, 32) if ready else b""
                if not chunk:
                    raise AssertionError("Xvfb did not report its display number within 20 s")
                received += chunk
            self.display = ":" + received.decode().strip()
        finally:
            os.close(read_end)
        return xvfb

    def stop(self) -> None:
        for process in reversed(self._processes):
            stop_process_group(process)
        self._processes.clear()

    def _answers(self) -> bool:
        probe = subprocess.run(
            ["xwininfo", "-root"], env=self.env(), capture_output=True, timeout=20, check=False
        )
        return probe.returncode == 0

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(DISPLAY=self.display, NO_AT_BRIDGE="1", GTK_A11Y="none", **extra)
        return env

    # --- looking --------------------------------------------------------------------------------

    def screenshot(self) -> Image.Image:
        return ImageGrab.grab(xdisplay=self.display).convert("RGB")

    def panel(self) -> Rect | None:
        """Where trayer's panel is, from the X window tree."""
        for name, rect in self._top_level_windows():
            if name == "panel":
                return rect
        return None

    def tray_icon_colour(self) -> str | None:
        """The colour family covering most of the tray icon, or None while none is shown."""
        panel = self.panel()
        if panel is None:
            return None
        counts: Counter[str] = Counter()
        region = self.screenshot().crop(panel.box)
        data = region.tobytes()
        for i in range(0, len(data), 3):
            r, g, b = data[i], data[i + 1], data[i + 2]
            family = colour_family((r, g, b))
            if family == "grey" and not 100 <= max(r, g, b) <= 170:
                continue  # the panel's light background and the text's outline, not the badge
            counts[family] += 1
        counts.pop("other", None)
        if not counts:
            return None
        family, count = counts.most_common(1)[0]
        return family if count >= 40 else None

    def open_menu_rect(self) -> Rect | None:
        """The popup menu's rectangle: the non-black area below the panel (the root is black)."""
        shot = self.screenshot()
        below = shot.crop((0, PANEL_HEIGHT, shot.width, shot.height))
        box = below.convert("L").point(lambda v: 255 if v > 16 else 0).getbbox()
        if box is None:
            return None
        left, top, right, bottom = box
        if right - left < 60 or bottom - top < 40:
            return None
        return Rect(left, top + PANEL_HEIGHT, right - left, bottom - top)

    def window_rect(self) -> Rect | None:
        """An application window: the non-black area left of the panel (the root is black)."""
        shot = self.screenshot()
        panel = self.panel()
        right = panel.x if panel is not None else shot.width
        box = (
            shot.crop((0, 0, right, shot.height))
            .convert("L")
            .point(lambda v: 255 if v > 16 else 0)
            .getbbox()
        )
        if box is None or box[2] - box[0] < 100 or box[3] - box[1] < 100:
            return None
        left, top, right_edge, bottom = box
        return Rect(left, top, right_edge - left, bottom - top)

    def window_named(self, title: str) -> Rect | None:
        """A top-level window by its exact title (a dialog, or a window another process opened)."""
        for name, rect in self._top_level_windows():
            if name == title and rect.width > 1:
                return rect
        return None

    def read_words(self, rect: Rect) -> list[Word]:
        """OCR a region (scaled up 3x: menu text is small) into words with screen positions."""
        return ocr_words(self.screenshot().crop(rect.box).convert("L"), rect)

    def window_icon_sizes(self, title: str) -> list[tuple[int, int]]:
        """The sizes in a window's _NET_WM_ICON, the icon desktops show for it."""
        found = subprocess.run(
            ["xdotool", "search", "--name", f"^{title}$"],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=20,
        )
        sizes: list[tuple[int, int]] = []
        for window in found.stdout.split():
            icon = subprocess.run(
                ["xprop", "-id", window, "_NET_WM_ICON"],
                env=self.env(),
                capture_output=True,
                text=True,
                timeout=20,
            )
            found_sizes = re.findall(r"Icon \((\d+) x (\d+)\)", icon.stdout)
            sizes += [(int(w), int(h)) for w, h in found_sizes]
        return sizes

    # --- doing ----------------------------------------------------------------------------------

    def xdotool(self, *args: str) -> None:
        subprocess.run(["xdotool", *args], env=self.env(), check=True, timeout=20)

    def click(self, point: tuple[int, int], button: int = 1) -> None:
        x, y = point
        self.xdotool("mousemove", str(x), str(y), "click", str(button))

    def _top_level_windows(self) -> list[tuple[str, Rect]]:
        completed = subprocess.run(
            ["xwininfo", "-root", "-children"],
            env=self.env(),
            capture_output=True,
            timeout=20,
        )
        windows = []
        # Window names need not be UTF-8: pystray's xorg backend writes its title in Latin-1.
        for line in completed.stdout.decode("utf-8", errors="replace").splitlines():
            line = line.strip()
            if not line.startswith("0x") or '"' not in line:
                continue
            name = line.split('"')[1]
            geometry = line.split()[-2]  # WxH+X+Y
            size, x, y = geometry.split("+")[:3]
            width, height = size.split("x")
            windows.append((name, Rect(int(x), int(y), int(width), int(height))))
        return windows


def _png_bytes(image: Image.Image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def stop_process_group(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM the process's group (it was started in a session of its own), then SIGKILL."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)
    # Children that outlived the leader (a bus daemon, say) are in the group too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


class Desktop(Protocol):
    """Any test desktop a client can be started on: Xvfb's or Sway's."""

    def env(self, **extra: str) -> dict[str, str]: ...


class TrayProcess:
    """`deepgram-tray ARGS` started as a user's session would, by default on its own D-Bus bus.

    `program` starts another build of the app instead, e.g. the PyInstaller bundle.

    `private_bus=False` keeps the caller's session bus, where the test keyring daemon lives.

    `cwd` is the folder it starts in (else the test run's). An installed app must start outside the
    checkout: `python -m trayapp` there, in the tray or its fetch worker, imports the checkout's
    source instead of the installed package.
    """

    def __init__(
        self,
        desktop: Desktop,
        env: dict[str, str],
        log_dir: Path,
        *,
        args: tuple[str, ...] = ("run",),
        private_bus: bool = True,
        program: list[str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        name = args[0]
        self.stdout_path = log_dir / f"{name}.stdout"
        self.stderr_path = log_dir / f"{name}.stderr"
        command = [*(program or [sys.executable, "-m", "trayapp"]), *args]
        if private_bus:
            config = hermetic_bus_config()  # no service starts on it by itself
            command = ["dbus-run-session", f"--config-file={config}", "--", *command]
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                command,
                env=desktop.env(**env),
                stdout=out,
                stderr=err,
                start_new_session=True,
                cwd=cwd,
            )

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        stop_process_group(self.process)


OCR_SCALE = 3


def ocr_words(
    image: Image.Image, where: Rect, prepare: Callable[[Image.Image], Image.Image] | None = None
) -> list[Word]:
    """OCR a greyscale crop of the screen taken at `where` into words with screen positions: the
    crop is scaled up (small text reads better), then `prepare`d (e.g. made black on white)."""
    image = image.resize((image.width * OCR_SCALE, image.height * OCR_SCALE), Image.LANCZOS)
    if prepare is not None:
        image = prepare(image)
    completed = subprocess.run(
        ["tesseract", "stdin", "stdout", "--psm", "6", "tsv"],
        input=_png_bytes(image),
        capture_output=True,
        timeout=60,
        check=True,
    )
    words = []
    for line in completed.stdout.decode().splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) < 12 or not fields[11].strip():
            continue
        left, top, width, height = (int(v) // OCR_SCALE for v in fields[6:10])
        words.append(Word(fields[11].strip(), Rect(where.x + left, where.y + top, width, height)))
    return words


def tray_env(api_url: str, tmp_path: Path, key: str) -> dict[str, str]:
    """A tray's environment of its own under `tmp_path`: home, runtime, state, config and data
    folders, the config file, the API at `api_url`, the key from the environment and no keyring."""
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    return {
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "DEEPGRAM_TRAY_CONFIG": str(tmp_path / "config.toml"),
        "DEEPGRAM_TRAY_API_URL": api_url,
        "DEEPGRAM_API_KEY": key,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
