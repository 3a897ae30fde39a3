"""Wine's own Windows-like desktop on a virtual X screen: its taskbar, notification area, menus,
tooltips and balloons, seen through screenshots and driven with xdotool.

Wine draws a desktop with a taskbar (a Start button at the left, the notification area at the
right) in a virtual-desktop window when that desktop is called "shell". Instead of starting each
program through `explorer /desktop=shell,WxH PROGRAM` (which leaves the program's exit code and
output with explorer), the prefix is told to put every program in that desktop, as winecfg's
"Emulate a virtual desktop" does: then `wine python.exe ...` is the program itself, its pipes and
exit code the test's. `WineShell.configure()` sets this and `restore()` undoes it, because the
prefix serves the whole test session.

Everything found on screen is found by colour against the desktop's plain background: the
taskbar is the band along the bottom edge, a tray icon is what is not the taskbar's colour at its
right end, and a menu, tooltip or balloon is what is not the background just above the taskbar.
"""

from __future__ import annotations

import subprocess
import threading
from collections import Counter
from dataclasses import dataclass, field

from PIL import Image, ImageChops

from tests.support.colours import colour_family
from tests.support.desktop import SCREEN, Rect, VirtualDesktop, Word
from tests.support.waiting import wait_until
from tests.support.wine import WindowsPython

DESKTOP_NAME = "shell"  # the name that makes Wine's explorer draw a taskbar
EXPLORER_KEY = r"HKCU\Software\Wine\Explorer"
NOTIFICATION_AREA_WIDTH = 160
"""How far from the taskbar's right end the notification area's icons are looked for."""


class WineShell:
    """A Wine prefix whose programs show on `desktop`, in Wine's desktop with a taskbar."""

    def __init__(self, windows: WindowsPython, desktop: VirtualDesktop) -> None:
        self.windows = windows
        self.desktop = desktop

    def configure(self) -> WineShell:
        width, height = SCREEN
        self._reg("add", EXPLORER_KEY, "/v", "Desktop", "/d", DESKTOP_NAME, "/f")
        self._reg(
            "add", EXPLORER_KEY + r"\Desktops", "/v", DESKTOP_NAME, "/d", f"{width}x{height}", "/f"
        )
        self.windows.display = self.desktop.display
        return self

    def restore(self) -> None:
        self.windows.display = ""
        self._reg("delete", EXPLORER_KEY, "/v", "Desktop", "/f", check=False)
        self._reg("delete", EXPLORER_KEY + r"\Desktops", "/v", DESKTOP_NAME, "/f", check=False)

    def _reg(self, *args: str, check: bool = True) -> None:
        completed = subprocess.run(
            ["wine", "reg", *args],
            env=self.windows.env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
            check=False,
        )
        if check:
            assert completed.returncode == 0, completed.stderr.decode(errors="replace")

    # --- looking ----------------------------------------------------------------------------------

    def screenshot(self) -> Image.Image:
        return self.desktop.screenshot()

    def background(self, shot: Image.Image) -> tuple[int, int, int]:
        """The desktop's plain colour, from its top-left corner, where the tray shows nothing."""
        colour: tuple[int, int, int] = shot.getpixel((2, 2))
        return colour

    def taskbar(self, shot: Image.Image | None = None) -> Rect | None:
        """The taskbar: the band along the bottom edge that is not the desktop's background."""
        shot = shot or self.screenshot()
        background = self.background(shot)
        x = shot.width // 2
        if shot.getpixel((x, shot.height - 1)) == background:
            return None  # no shell desktop (yet)
        top = shot.height - 1
        while top > 0 and shot.getpixel((x, top - 1)) != background:
            top -= 1
        if shot.height - top > 60:
            return None  # not a taskbar: the desktop has not drawn its background yet
        return Rect(0, top, shot.width, shot.height - top)

    def tray_icon(self, shot: Image.Image | None = None) -> Rect | None:
        """The rectangle of the notification area's icon (the only one there), or None."""
        shot = shot or self.screenshot()
        bar = self.taskbar(shot)
        if bar is None:
            return None
        left = bar.x + bar.width - NOTIFICATION_AREA_WIDTH
        # The taskbar's own colour, from a spot between the Start button and the icons.
        plain = shot.getpixel((left, bar.y + bar.height // 2))
        # Leave out the taskbar's top rows: its raised edge is drawn there.
        area = shot.crop((left, bar.y + 2, bar.x + bar.width, bar.y + bar.height))
        box = _differs(area, plain).getbbox()
        if box is None:
            return None
        x0, y0, x1, y1 = box
        if x1 - x0 < 8 or y1 - y0 < 8:
            return None
        return Rect(left + x0, bar.y + 2 + y0, x1 - x0, y1 - y0)

    def tray_icon_colour(self) -> str | None:
        """The colour family covering most of the tray icon, or None while there is no icon."""
        shot = self.screenshot()
        icon = self.tray_icon(shot)
        if icon is None:
            return None
        counts: Counter[str] = Counter()
        data = shot.crop(icon.box).tobytes()
        for i in range(0, len(data), 3):
            r, g, b = data[i], data[i + 1], data[i + 2]
            family = colour_family((r, g, b))
            if family == "grey" and not 100 <= max(r, g, b) <= 170:
                continue  # the glyphs' white fill and dark outline, not the badge
            counts[family] += 1
        counts.pop("other", None)
        if not counts:
            return None
        family, count = counts.most_common(1)[0]
        return family if count >= icon.width * icon.height // 4 else None

    def popup(self, shot: Image.Image | None = None) -> Rect | None:
        """A menu, tooltip or balloon: what covers the background just above the taskbar, at the
        right (where the notification area opens them)."""
        return self.shown(shot, left=SCREEN[0] // 3)

    def shown(self, shot: Image.Image | None = None, *, left: int = 0) -> Rect | None:
        """What covers the desktop's background (a window, a popup), right of `left`."""
        shot = shot or self.screenshot()
        bar = self.taskbar(shot)
        if bar is None:
            return None
        box = _differs(shot.crop((left, 0, shot.width, bar.y)), self.background(shot)).getbbox()
        if box is None:
            return None
        x0, y0, x1, y1 = box
        if x1 - x0 < 40 or y1 - y0 < 12:
            return None
        return Rect(left + x0, y0, x1 - x0, y1 - y0)

    def read_words(self, rect: Rect) -> list[Word]:
        return self.desktop.read_words(rect)

    def read_text(self, rect: Rect) -> str:
        return " ".join(word.text for word in self.read_words(rect))

    # --- doing ------------------------------------------------------------------------------------

    def icon_centre(self) -> tuple[int, int]:
        icon = wait_until(self.tray_icon, what="the tray icon")
        return icon.centre

    def hover_icon(self) -> None:
        x, y = self.icon_centre()
        # Arrive from one pixel away: a tooltip opens on mouse movement over the icon.
        self.desktop.xdotool("mousemove", str(x - 1), str(y))
        self.desktop.xdotool("mousemove", str(x), str(y))

    def move_away(self) -> None:
        """Put the pointer over the empty desktop, where it opens no tooltip."""
        self.desktop.xdotool("mousemove", str(SCREEN[0] // 4), str(SCREEN[1] // 4))

    def open_menu(self) -> tuple[Rect, list[Word]]:
        """Right-click the icon and read the menu; the pointer then rests on the menu's border,
        off any item (the icon's tooltip would otherwise cover the menu's last lines)."""
        self.dismiss_popups()
        self.desktop.click(self.icon_centre(), button=3)
        menu = wait_until(self._menu_shown, timeout=20, what="the tray menu")
        self.desktop.xdotool("mousemove", str(menu.x + 1), str(menu.y + menu.height // 2))
        menu = wait_until(self._menu_shown, what="the menu without a tooltip")
        return menu, self.read_words(menu)

    def _menu_shown(self) -> Rect | None:
        popup = self.popup()
        # A menu is taller than a tooltip or a balloon: it has the balance lines and the actions.
        return popup if popup is not None and popup.height > 150 else None

    def choose(self, menu: Rect, item: Word) -> None:
        """Click a menu item once the menu shows it highlighted under the pointer: a click that
        arrives before the menu has seen the pointer move is lost."""
        x, y = item.rect.centre
        self.desktop.xdotool("mousemove", str(x), str(y))
        # Right of the item's words: the menu's plain white, or the highlight's colour.
        probe = (menu.x + menu.width - 8, y)

        def highlighted() -> bool:
            r, g, b = self.screenshot().getpixel(probe)
            return max(r, g, b) - min(r, g, b) > 60

        wait_until(highlighted, what=f"{item.text!r} to be highlighted")
        self.desktop.xdotool("click", "1")

    def dismiss_popups(self) -> None:
        """Close a balloon (a click on it does) and any tooltip, so the next popup is alone."""
        self.move_away()
        popup = self.popup()
        if popup is not None and popup.height <= 150:
            self.desktop.click(popup.centre)
            self.move_away()
        wait_until(lambda: self.popup() is None, what="the balloon or tooltip to go")


def _differs(image: Image.Image, colour: object) -> Image.Image:
    """A mask of the pixels of `image` (RGB) that are not `colour`."""
    plain = Image.new("RGB", image.size, colour)
    return ImageChops.difference(image, plain).convert("L").point(lambda v: 255 if v else 0)


def word(words: list[Word], text: str) -> Word:
    for candidate in words:
        if candidate.text == text:
            return candidate
    raise AssertionError(f"{text!r} not among {[w.text for w in words]}")


@dataclass
class Output:
    """A process's output, read on a thread: Windows services the process starts (explorer)
    inherit its pipe, so the pipe's end may never come and a plain read() would hang."""

    data: bytearray = field(default_factory=bytearray)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def follow(self, process: subprocess.Popen[bytes]) -> None:
        def pump() -> None:
            assert process.stdout is not None
            for chunk in iter(lambda: process.stdout.read1(4096), b""):
                with self.lock:
                    self.data += chunk

        threading.Thread(target=pump, daemon=True).start()

    def text(self) -> str:
        with self.lock:
            return bytes(self.data).decode("utf-8", errors="replace").replace("\r\n", "\n")
