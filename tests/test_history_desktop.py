"""The history window for real: Tk on Xvfb, opened as the tray opens it, its period switched and its
Export CSV… used with xdotool, its chart checked by pixel colour and its words read with OCR."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageColor

from tests.conftest import run_cli
from tests.support.desktop import Rect, TrayProcess, VirtualDesktop, Word
from tests.support.history_seed import seed_history
from tests.support.waiting import wait_until
from trayapp.formats import MONTHS
from trayapp.tk.history_chart import BALANCE_COLOUR, SPEND_COLOUR
from trayapp.tk.history_window import TITLE
from trayapp.tk.look import LIGHT

pytestmark = pytest.mark.display


@pytest.fixture
def user(tmp_path: Path) -> dict[str, str]:
    """A user whose tray has recorded 60 days (see seed_history)."""
    home = tmp_path / "home"
    env = {
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "DEEPGRAM_TRAY_CONFIG": str(tmp_path / "config.toml"),
        "DEEPGRAM_API_KEY": "",
    }
    seed_history(home / "data")
    return env


@pytest.fixture
def window(desktop: VirtualDesktop, user: dict[str, str], tmp_path: Path) -> Iterator[TrayProcess]:
    process = TrayProcess(desktop, user, tmp_path, args=("history", "--window"))
    try:
        wait_until(lambda: "a day on average" in window_text(desktop), what="the history window")
        yield process
    finally:
        process.stop()
        wait_until(lambda: desktop.window_rect() is None, what="the window to close")


def read_window(desktop: VirtualDesktop) -> tuple[Rect, list[Word]]:
    rect = wait_until(desktop.window_rect, what="the history window")
    return rect, desktop.read_words(rect)


def window_text(desktop: VirtualDesktop) -> str:
    return " ".join(w.text for w in read_window(desktop)[1])


def strip_words(desktop: VirtualDesktop, rect: Rect, *, top: bool) -> list[Word]:
    """OCR just the window's top or bottom strip (the period choice, or the buttons): whole-window
    OCR reads the chart's axes well but misses small widgets."""
    height = 40
    y = rect.y if top else rect.y + rect.height - height
    return desktop.read_words(Rect(rect.x, y, rect.width, height))


def find(words: list[Word], text: str) -> Word:
    for word in words:
        if word.text.strip("([{|}])") == text:
            return word
    raise AssertionError(f"{text!r} not among {[w.text for w in words]}")


def colour_pixels(desktop: VirtualDesktop, rect: Rect, colour: tuple[int, int, int]) -> int:
    counts = desktop.screenshot().crop(rect.box).getcolors(rect.width * rect.height) or []
    return sum(count for count, pixel in counts if pixel == colour)


def bars_width(desktop: VirtualDesktop, rect: Rect) -> int:
    """From the first spend bar's left edge to the last one's right edge, along their feet."""
    shot = desktop.screenshot().crop(rect.box)
    feet = max(y for y in range(shot.height) if SPEND_COLOUR in _row(shot, y))
    xs = [x for x, pixel in enumerate(_row(shot, feet - 2)) if pixel == SPEND_COLOUR]
    return max(xs) - min(xs)


def _row(shot: Image.Image, y: int) -> list[tuple[int, int, int]]:
    return [shot.getpixel((x, y)) for x in range(shot.width)]  # type: ignore[misc]


def test_the_chart_switches_period_and_exports_csv(
    desktop: VirtualDesktop, window: TrayProcess, user: dict[str, str], tmp_path: Path
) -> None:
    rect, words = read_window(desktop)
    desktop.screenshot().crop(rect.box).save(tmp_path / "history-30.png")
    text = " ".join(w.text for w in words)
    assert "in 30 days" in text and "a day on average" in text, text
    assert "the tray recorded" in text, text  # which basis the figures use
    # Dates under the chart between the first and the last (the seed's 60 days end today).
    month_names = [w for w in words if w.text.strip(".,") in MONTHS]
    assert len(month_names) >= 4, text
    assert colour_pixels(desktop, rect, BALANCE_COLOUR) > 1000  # the balance line
    assert colour_pixels(desktop, rect, SPEND_COLOUR) > 10_000  # the spend bars
    bars_30 = bars_width(desktop, rect)

    # 90 days: the same 60 days of data now fill only the right two thirds of the chart.
    desktop.click(find(strip_words(desktop, rect, top=True), "90").rect.centre)
    wait_until(lambda: "in 60 days" in window_text(desktop), what="the 90-day summary")
    rect = wait_until(desktop.window_rect, what="the history window")
    desktop.screenshot().crop(rect.box).save(tmp_path / "history-90.png")
    bars_90 = bars_width(desktop, rect)
    assert 0.55 < bars_90 / bars_30 < 0.8, (bars_90, bars_30)

    # Export CSV…: the save dialog takes a typed path; the file matches `history --format csv`.
    desktop.click(find(strip_words(desktop, rect, top=False), "Export").rect.centre)
    target = tmp_path / "exported.csv"
    dialog = wait_until(
        lambda: desktop.window_named("Export the balance history"), what="the save dialog"
    )
    desktop.xdotool("mousemove", str(dialog.centre[0]), str(dialog.centre[1]))
    desktop.xdotool("key", "ctrl+slash", "Delete")  # select all, delete: Tk entry bindings
    desktop.xdotool("type", "--delay", "2", str(target))
    desktop.xdotool("key", "Return")
    wait_until(target.exists, what="the exported file")
    wait_until(
        lambda: (
            "Saved 1441 samples" in " ".join(w.text for w in strip_words(desktop, rect, top=False))
        ),
        what="the window to say it saved",
    )
    expected = run_cli(["history", "--days", "90"], {**desktop.env(), **user})
    assert target.read_text() == expected.stdout
    assert len(target.read_text().splitlines()) == 60 * 24 + 2  # header and every hourly sample


def test_the_window_has_the_app_title_and_icon(
    desktop: VirtualDesktop, window: TrayProcess
) -> None:
    assert (32, 32) in desktop.window_icon_sizes(TITLE)


def test_a_click_on_a_period_leaves_no_focus_ring_behind(
    desktop: VirtualDesktop, window: TrayProcess
) -> None:
    rect = wait_until(desktop.window_rect, what="the history window")
    top = Rect(rect.x, rect.y, rect.width, 40)
    accent = ImageColor.getrgb(LIGHT.accent)  # the ring's colour

    def ring_pixels() -> int:
        return colour_pixels(desktop, top, accent)  # type: ignore[arg-type]

    desktop.click(find(strip_words(desktop, rect, top=True), "90").rect.centre)
    wait_until(lambda: "in 60 days" in window_text(desktop), what="the 90-day summary")
    desktop.xdotool("mousemove", str(rect.centre[0]), str(rect.centre[1]))  # no hover either
    assert ring_pixels() == 0
    # From the keyboard the ring is there, where it belongs: Tab reaches the first choice.
    desktop.xdotool("key", "Tab")
    wait_until(lambda: ring_pixels() > 20, what="the keyboard focus ring")
