"""A real StatusNotifierItem desktop for end-to-end tests: headless Sway with a Waybar tray.

Most Linux desktops show tray icons only through StatusNotifierItem (SNI) over D-Bus, with the
menu exported over com.canonical.dbusmenu. Waybar is a real SNI host (it also owns the
org.kde.StatusNotifierWatcher name) that runs headless, so the tests can see what such a desktop
sees: the items registered, their properties and menus (read over D-Bus with jeepney) and the
icon as drawn (a screenshot with grim).

Sway refuses to run as root, so when the tests run as root the desktop runs as a user of its own,
on a session bus of its own that also lets root connect: the app under test and the test process
stay root (their interpreters need not be readable by that user).

Every process started here is stopped by `stop()`, and every wait has a deadline.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pwd
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any

from PIL import Image, ImageChops

from tests.support.colours import colour_family
from tests.support.desktop import Rect, stop_process_group
from tests.support.sni_client import WATCHER, SniClient
from tests.support.waiting import wait_until

SESSION_USER = "deepgram-tray-test"
SCREEN = (1024, 600)
BAR_HEIGHT = 30
ICON_SIZE = 24
# A colour no icon of the app uses, so the icon is whatever differs from it.
BAR_BACKGROUND = (32, 48, 64)

# Plain paths only: the desktop's processes get no environment from the test run.
SESSION_PATH = "/usr/local/bin:/usr/bin:/bin"


def missing_tools() -> list[str]:
    tools = ["sway", "waybar", "grim", "dbus-daemon"]
    if os.geteuid() == 0:
        tools.append("useradd")
    return [tool for tool in tools if shutil.which(tool) is None]


def ensure_session_user(name: str = SESSION_USER) -> pwd.struct_passwd:
    """The desktop's user, created with a home the first time (it is left for later runs)."""
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(name)
    created = subprocess.run(
        ["useradd", "--create-home", "--user-group", "--shell", "/usr/sbin/nologin", name],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    # 9: another test process created it in the meantime.
    if created.returncode not in (0, 9):
        raise AssertionError(f"useradd {name} failed: {created.stderr.strip()}")
    return pwd.getpwnam(name)


class SwayDesktop:
    """Headless Sway (1024x600) with a Waybar bar along the top holding only the tray.

    The bar is `BAR_HEIGHT` px high, solid `BAR_BACKGROUND`, with icons `ICON_SIZE` px.
    `log_dir` keeps the logs of the bus, Sway and Waybar (default: the temporary directory,
    removed by `stop()`); `waybar_log_level` is Waybar's `-l` (e.g. "debug", "trace").
    """

    def __init__(
        self,
        *,
        log_dir: Path | None = None,
        waybar_log_level: str = "info",
        icon_size: int = ICON_SIZE,
        bar_background: tuple[int, int, int] = BAR_BACKGROUND,
    ) -> None:
        """`icon_size` and `bar_background` change the tray's icon size and the bar's colour."""
        self.waybar_log_level = waybar_log_level
        self.icon_size = icon_size
        self.bar_background = bar_background
        self._log_dir = log_dir
        self._processes: list[subprocess.Popen[bytes]] = []
        self._waybar: subprocess.Popen[bytes] | None = None
        self._sni: SniClient | None = None
        self._base: Path | None = None
        self._user: pwd.struct_passwd | None = None
        self.bus_address = ""
        self.wayland_socket: Path | None = None

    # --- life cycle -------------------------------------------------------------------------------

    def __enter__(self) -> SwayDesktop:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> SwayDesktop:
        try:
            self._prepare_files()
            self._start_bus()
            self._start_sway()
            self._start_waybar()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._sni is not None:
            self._sni.close()
            self._sni = None
        self._waybar = None
        for process in reversed(self._processes):
            stop_process_group(process)
        self._processes.clear()
        if self._base is not None:
            shutil.rmtree(self._base, ignore_errors=True)
            self._base = None

    def restart_waybar(self) -> None:
        """A panel restart: the watcher goes away with Waybar and comes back with the new one."""
        if self._waybar is not None:
            stop_process_group(self._waybar)
            self._processes.remove(self._waybar)
            self._waybar = None
        wait_until(lambda: not self.sni.name_has_owner(WATCHER), what="the watcher to go away")
        self._start_waybar()

    # --- setting up -------------------------------------------------------------------------------

    @property
    def base(self) -> Path:
        if self._base is None:
            raise AssertionError("the desktop is not started")
        return self._base

    @property
    def runtime_dir(self) -> Path:
        """The session user's XDG_RUNTIME_DIR, where Sway puts its Wayland socket."""
        return self.base / "runtime"

    @property
    def client_runtime_dir(self) -> Path:
        """The XDG_RUNTIME_DIR that `env()` gives clients: the test process's own, not the
        session user's, so a client run as root writes nothing into that user's directory."""
        return self.base / "client-runtime"

    @property
    def shared_dir(self) -> Path:
        """A directory clients write to and the session user can read (an icon sent by its file
        path must be readable by Waybar): `env()` makes it their TMPDIR."""
        return self.base / "shared"

    @property
    def log_dir(self) -> Path:
        return self._log_dir if self._log_dir is not None else self.base / "logs"

    def _prepare_files(self) -> None:
        self._user = ensure_session_user() if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
        # The test process owns the base (mode 755: the session user may enter and read): a
        # client's runtime folder below a folder another user owns is refused by platformdirs.
        self._base = Path(tempfile.mkdtemp(prefix="sni-desktop-"))
        self._base.chmod(0o755)
        self.runtime_dir.mkdir(mode=0o700)
        os.chown(self.runtime_dir, self._user.pw_uid, self._user.pw_gid)
        self.client_runtime_dir.mkdir(mode=0o700)
        self.shared_dir.mkdir(mode=0o755)
        self.shared_dir.chmod(0o755)  # whatever the umask
        (self.base / "config").mkdir()  # an empty XDG_CONFIG_HOME: no user's GTK settings
        self.log_dir.mkdir(parents=True, exist_ok=True)
        width, height = SCREEN
        (self.base / "sway.conf").write_text(
            # No wallpaper: it would be one more process (swaybg), and only the bar is looked at.
            f"output HEADLESS-1 resolution {width}x{height}\n"
            "xwayland disable\n"
            "default_border none\n"
        )
        (self.base / "waybar.json").write_text(
            json.dumps(
                {
                    "layer": "top",
                    "position": "top",
                    "height": BAR_HEIGHT,
                    "modules-left": [],
                    "modules-center": [],
                    "modules-right": ["tray"],
                    "tray": {"icon-size": self.icon_size, "spacing": 4},
                }
            )
        )
        r, g, b = self.bar_background
        (self.base / "waybar.css").write_text(
            "* { border: none; border-radius: 0; min-height: 0; padding: 0; margin: 0;"
            " box-shadow: none; background-image: none; }\n"
            f"window#waybar, #tray {{ background-color: rgb({r}, {g}, {b}); }}\n"
            "#tray { padding: 0 6px; }\n"
        )
        for path in self.base.iterdir():
            if path.is_file():
                path.chmod(0o644)

    def _start_bus(self) -> None:
        assert self._user is not None
        socket = self.runtime_dir / "bus"  # where the session user may create it
        self.bus_address = f"unix:path={socket}"
        # The user's own uid may always connect; root needs saying, since the app under test and
        # this test process run as root. Eavesdropping lets dbus-monitor see every call.
        (self.base / "bus.conf").write_text(
            f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{self.bus_address}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="root"/>
    <allow user="{self._user.pw_name}"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""
        )
        (self.base / "bus.conf").chmod(0o644)
        self._spawn(
            ["dbus-daemon", f"--config-file={self.base / 'bus.conf'}", "--nofork", "--nopidfile"],
            "dbus-daemon",
        )
        self._sni = wait_until(self._connect_bus, what="the session bus to accept connections")

    def _connect_bus(self) -> SniClient | None:
        try:
            return SniClient(self.bus_address)
        except OSError:
            return None

    def _start_sway(self) -> None:
        self._spawn(
            ["sway", "--config", str(self.base / "sway.conf")],
            "sway",
            WLR_BACKENDS="headless",
            WLR_LIBINPUT_NO_DEVICES="1",
            WLR_RENDERER="pixman",
        )
        self.wayland_socket = wait_until(self._find_wayland_socket, what="Sway's Wayland socket")

    def _find_wayland_socket(self) -> Path | None:
        for path in sorted(self.runtime_dir.glob("wayland-*")):
            if not path.name.endswith(".lock") and path.is_socket():
                return path
        return None

    def _start_waybar(self) -> None:
        command = ["waybar", "--config", str(self.base / "waybar.json")]
        command += ["--style", str(self.base / "waybar.css"), "--log-level", self.waybar_log_level]
        self._waybar = self._spawn(command, "waybar")
        wait_until(lambda: self.sni.name_has_owner(WATCHER), what="Waybar's StatusNotifierWatcher")
        wait_until(self._bar_is_drawn, what="Waybar's bar on the screen")

    def _bar_is_drawn(self) -> bool:
        return self.screenshot().getpixel((1, 1)) == self.bar_background

    def _spawn(self, command: list[str], name: str, **extra: str) -> subprocess.Popen[bytes]:
        with open(self.log_dir / f"{name}.log", "ab") as log:
            process = subprocess.Popen(
                command,
                **self._as_session_user(**extra),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._processes.append(process)
        return process

    def _as_session_user(self, **extra: str) -> dict[str, Any]:
        """Popen arguments that run a command as the session user, with only its environment.

        Not runuser: it outlives its child by two seconds whenever it is sent SIGTERM."""
        assert self._user is not None
        arguments: dict[str, Any] = {"env": self.session_env(**extra), "cwd": self.base}
        if os.geteuid() == 0:
            arguments.update(user=self._user.pw_uid, group=self._user.pw_gid, extra_groups=[])
        return arguments

    def session_env(self, **extra: str) -> dict[str, str]:
        """The environment of the desktop's own processes (Sway, Waybar, grim)."""
        assert self._user is not None
        env = {
            "HOME": self._user.pw_dir,
            "USER": self._user.pw_name,
            "LOGNAME": self._user.pw_name,
            "PATH": SESSION_PATH,
            "LANG": "C.UTF-8",
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "XDG_CONFIG_HOME": str(self.base / "config"),
            "DBUS_SESSION_BUS_ADDRESS": self.bus_address,
            "NO_AT_BRIDGE": "1",
            "GTK_A11Y": "none",
        }
        if self.wayland_socket is not None:
            env["WAYLAND_DISPLAY"] = self.wayland_socket.name
            env["GDK_BACKEND"] = "wayland"
        env.update(extra)
        return env

    def env(self, **extra: str) -> dict[str, str]:
        """The environment for a client of this desktop run as the test process's user (root).

        It has the desktop's session bus, and Sway's socket as an absolute WAYLAND_DISPLAY (so a
        GTK client can draw, e.g. pystray's AppIndicator backend). XDG_RUNTIME_DIR is a private
        directory of its own, not the session user's. TMPDIR is `shared_dir`. DISPLAY is dropped:
        nothing is X11 here, and a client that needs it should fail rather than find another
        desktop's X server.
        """
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "XAUTHORITY")}
        env.update(
            DBUS_SESSION_BUS_ADDRESS=self.bus_address,
            WAYLAND_DISPLAY=str(self.wayland_socket),
            XDG_RUNTIME_DIR=str(self.client_runtime_dir),
            TMPDIR=str(self.shared_dir),
            XDG_SESSION_TYPE="wayland",
            GDK_BACKEND="wayland",
            NO_AT_BRIDGE="1",
            GTK_A11Y="none",
            **extra,
        )
        return env

    # --- D-Bus ------------------------------------------------------------------------------------

    @property
    def sni(self) -> SniClient:
        """What a host reads and sends, from the test process, on this desktop's bus."""
        if self._sni is None:
            raise AssertionError("the desktop is not started")
        return self._sni

    # --- looking ----------------------------------------------------------------------------------

    def screenshot(self) -> Image.Image:
        """The whole output, as the session user's grim sees it."""
        shot = subprocess.run(
            ["grim", "-t", "png", "-"],
            **self._as_session_user(),
            capture_output=True,
            timeout=20,
            check=True,
        )
        return Image.open(io.BytesIO(shot.stdout)).convert("RGB")

    def bar(self) -> Image.Image:
        return self.screenshot().crop((0, 0, SCREEN[0], BAR_HEIGHT))

    def tray_icon_box(self, shot: Image.Image | None = None) -> Rect | None:
        """Where the tray's icons are: the bar's pixels that differ from its background."""
        bar = (shot if shot is not None else self.screenshot()).crop((0, 0, SCREEN[0], BAR_HEIGHT))
        background = Image.new("RGB", bar.size, self.bar_background)
        difference = Image.eval(_difference(bar, background), lambda v: 255 if v > 24 else 0)
        box = difference.getbbox()
        if box is None:
            return None
        left, top, right, bottom = box
        return Rect(left, top, right - left, bottom - top)

    def tray_icon_pixels(self) -> Image.Image | None:
        """The tray's icons as drawn (None while the tray shows none)."""
        shot = self.screenshot()
        box = self.tray_icon_box(shot)
        return shot.crop(box.box) if box is not None else None

    def tray_icon_colour(self) -> str | None:
        """The colour family covering most of the tray's icons (as VirtualDesktop's), or None."""
        icon = self.tray_icon_pixels()
        if icon is None:
            return None
        counts: Counter[str] = Counter()
        data = icon.tobytes()
        for i in range(0, len(data), 3):
            pixel = (data[i], data[i + 1], data[i + 2])
            if pixel != self.bar_background:
                counts[colour_family(pixel)] += 1
        counts.pop("other", None)
        if not counts:
            return None
        family, count = counts.most_common(1)[0]
        return family if count >= 40 else None

    def start_bus_monitor(self, log: Path) -> None:
        """Record every message on the desktop's bus into `log` (dbus-monitor, stopped by `stop()`):
        to see what the host calls on an item, and what the item answers."""
        with open(log, "wb") as out:
            monitor = subprocess.Popen(
                ["dbus-monitor", "--address", self.bus_address],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._processes.append(monitor)
        # Its first line is the bus's reply to its own connection.
        wait_until(lambda: log.stat().st_size > 0, what="dbus-monitor to connect")

    def log(self, name: str) -> str:
        """A process's log so far: "dbus-daemon", "sway" or "waybar"."""
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _difference(a: Image.Image, b: Image.Image) -> Image.Image:
    """Per pixel, the largest channel difference, as a greyscale image."""
    red, green, blue = ImageChops.difference(a, b).split()
    return ImageChops.lighter(ImageChops.lighter(red, green), blue)
