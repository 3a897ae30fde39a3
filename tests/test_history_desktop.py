"""The history window for real: Tk on Xvfb, opened as the tray opens it, its period and account
switched and its Export CSV… used with xdotool, its chart checked by pixel colour and its words read
with OCR."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image, ImageColor

from tests.conftest import run_cli
from tests.support.desktop import Rect, TrayProcess, VirtualDesktop, Word
from tests.support.history_seed import seed_account_history, seed_history
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


def export_csv(desktop: VirtualDesktop, rect: Rect, target: Path) -> None:
    """Export CSV…: the save dialog takes a typed path."""
    desktop.click(find(strip_words(desktop, rect, top=False), "Export").rect.centre)
    dialog = wait_until(
        lambda: desktop.window_named("Export the balance history"), what="the save dialog"
    )
    desktop.xdotool("mousemove", str(dialog.centre[0]), str(dialog.centre[1]))
    desktop.xdotool("key", "ctrl+slash", "Delete")  # select all, delete: Tk entry bindings
    desktop.xdotool("type", "--delay", "2", str(target))
    desktop.xdotool("key", "Return")
    wait_until(target.exists, what="the exported file")


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

    top = strip_words(desktop, rect, top=True)
    assert "Account" not in [w.text for w in top]  # one account: no chooser, as before accounts

    # 90 days: the same 60 days of data now fill only the right two thirds of the chart.
    desktop.click(find(top, "90").rect.centre)
    wait_until(lambda: "in 60 days" in window_text(desktop), what="the 90-day summary")
    rect = wait_until(desktop.window_rect, what="the history window")
    desktop.screenshot().crop(rect.box).save(tmp_path / "history-90.png")
    bars_90 = bars_width(desktop, rect)
    assert 0.55 < bars_90 / bars_30 < 0.8, (bars_90, bars_30)

    # Export CSV…: the file matches `history --format csv`.
    target = tmp_path / "exported.csv"
    export_csv(desktop, rect, target)
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


CLIENT_A_DAYS = 20
"""Within the window's 30 days however long the test takes: its export is all of them."""


@pytest.fixture
def two_accounts(user: dict[str, str]) -> dict[str, str]:
    """The user's default account as in `user`, and client-a, in the thousands: from $7,000 down
    by $100 a day (the default's is under $500, down by $4 a day)."""
    config = Path(user["DEEPGRAM_TRAY_CONFIG"])
    config.write_text('[accounts.client-a]\nlabel = "Client A"\n')
    seed_account_history(
        Path(user["XDG_DATA_HOME"]),
        "client-a",
        days=CLIENT_A_DAYS,
        start=Decimal(7000),
        per_day=Decimal(100),
    )
    return user


def test_the_chart_of_an_account_and_the_chooser_switching_to_another(
    desktop: VirtualDesktop, two_accounts: dict[str, str], tmp_path: Path
) -> None:
    process = TrayProcess(
        desktop, two_accounts, tmp_path, args=("history", "--window", "--account", "client-a")
    )
    try:
        wait_until(lambda: "a day on average" in window_text(desktop), what="the history window")
        rect, words = read_window(desktop)
        text = " ".join(w.text for w in words)
        assert desktop.window_named(f"{TITLE} — Client A") is not None
        assert "Client A: Balance $5,000.00" in text, text
        assert "$100.00 a day on average" in text, text
        assert "$10,000" in text, text  # the balance axis's top
        top = " ".join(w.text for w in strip_words(desktop, rect, top=True))
        assert "Account" in top, top  # the chooser is there, showing client-a

        # Export CSV… saves client-a's samples, as `history --account client-a` prints them.
        target = tmp_path / "client-a.csv"
        export_csv(desktop, rect, target)
        saved = f"Saved {CLIENT_A_DAYS * 24 + 1} samples"
        wait_until(
            lambda: saved in " ".join(w.text for w in strip_words(desktop, rect, top=False)),
            what="the window to say it saved",
        )
        cli = run_cli(["history", "--account", "client-a"], {**desktop.env(), **two_accounts})
        assert target.read_text() == cli.stdout
        assert len(cli.stdout.splitlines()) == CLIENT_A_DAYS * 24 + 2

        # The chooser lists the default account first; picking it redraws for it.
        account = find(strip_words(desktop, rect, top=True), "Account").rect
        desktop.click((account.x + account.width + 40, account.centre[1]))
        # Read just under the box: whole-window OCR muddles the list with the summary behind it.
        under = Rect(account.x + account.width, account.y + account.height + 4, 100, 40)

        def entries() -> dict[str, Rect]:
            words = desktop.read_words(under)
            found = {e: w.rect for e in ("default", "Client") for w in words if e in w.text}
            return found if len(found) == 2 else {}

        listed = wait_until(entries, what="the chooser's list")
        assert listed["default"].y < listed["Client"].y, listed
        desktop.click(listed["default"].centre)
        wait_until(lambda: desktop.window_named(TITLE), what="the default account's title")
        wait_until(lambda: "$4.00 a day on average" in window_text(desktop), what="its summary")
        text = window_text(desktop)
        assert "Client A" not in text and "$10,000" not in text, text
        assert "Balance $319.92" in text and "$500" in text, text
    finally:
        process.stop()
        wait_until(lambda: desktop.window_rect() is None, what="the window to close")
