"""`balance --format waybar` in a real Waybar: the custom module from the README, on a headless
Sway, running the command every second against the test server. What the bar draws is read back
from screenshots: the module's colour (the class, painted by the style) and its words (OCR)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.conftest import BAD_KEY, OWNER_KEY
from tests.support.deepgram_server import FakeDeepgram
from tests.support.required import require_tools
from tests.support.sni_desktop import missing_tools
from tests.support.waiting import wait_until
from tests.support.waybar_panel import WaybarPanel

pytestmark = pytest.mark.display


def needed_tools() -> list[str]:
    return [*missing_tools(), *(["tesseract"] if shutil.which("tesseract") is None else [])]


def command_env(deepgram: FakeDeepgram, key: str) -> dict[str, str]:
    return {"DEEPGRAM_TRAY_API_URL": deepgram.base_url, "DEEPGRAM_API_KEY": key}


@pytest.fixture
def panel(deepgram: FakeDeepgram) -> Iterator[WaybarPanel]:
    require_tools(needed_tools())
    with WaybarPanel(command_env(deepgram, OWNER_KEY)) as desktop:
        yield desktop


def wait_for_shown(panel: WaybarPanel, family: str, word: str) -> None:
    """Until the module shows `word` on `family`'s colour (each screenshot is OCR'd)."""
    seen: list[object] = []

    def shows() -> bool:
        shown = panel.shown()
        seen[:] = [shown]
        return shown is not None and shown[0] == family and word in shown[1]

    try:
        wait_until(shows, timeout=30, interval=0.5, what=f"{word!r} on {family}")
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}; last seen: {seen}; waybar log: {panel.log('waybar')}"
        ) from exc


def test_the_bar_shows_the_amount_the_level_and_a_failure(
    panel: WaybarPanel, deepgram: FakeDeepgram
) -> None:
    wait_for_shown(panel, "green", "128")

    panel.config_file.write_text("warn_below = 500\ncritical_below = 200\n")
    panel.config_file.chmod(0o644)
    wait_for_shown(panel, "red", "128")

    # A refused key: the command exits 3, and the README's `|| true` lets Waybar show its line.
    panel.set_command_env(command_env(deepgram, BAD_KEY))
    wait_for_shown(panel, "grey", "refused")


def test_without_true_waybar_hides_a_failure(deepgram: FakeDeepgram) -> None:
    """Why the README's snippet ends in `|| true`: Waybar hides a module whose command exits
    non-zero, the failure's line and all."""
    require_tools(needed_tools())
    with WaybarPanel(command_env(deepgram, OWNER_KEY), keep_exit_code=True) as panel:
        wait_for_shown(panel, "green", "128")
        panel.set_command_env(command_env(deepgram, BAD_KEY))
        wait_until(
            lambda: panel.shown() is None, timeout=30, interval=0.5, what="the module hidden"
        )
