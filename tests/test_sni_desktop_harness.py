"""The StatusNotifierItem test desktop (tests/support/sni_desktop.py) sees what a real one sees.

Proved with an item that exists today: pystray's AppIndicator backend (libayatana-appindicator),
run as the tray would be (as root, from the distribution's Python with PyGObject), on headless
Sway with Waybar as the tray host.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.desktop import stop_process_group
from tests.support.sni_desktop import BAR_HEIGHT, ICON_SIZE, SwayDesktop
from tests.support.waiting import wait_until

pytestmark = pytest.mark.display

# A solid red icon whose first menu entry writes "clicked" to the file named by argv[1].
ITEM = """
import sys
from pathlib import Path

import pystray
from PIL import Image

out = Path(sys.argv[1])


def write_the_file(icon, item):
    out.write_text("clicked")


pystray.Icon(
    "harness",
    Image.new("RGB", (64, 64), (220, 20, 20)),
    "Harness item",
    menu=pystray.Menu(
        pystray.MenuItem("Write the file", write_the_file),
        pystray.MenuItem("Checked", write_the_file, checked=lambda item: True),
        pystray.MenuItem("Disabled", write_the_file, enabled=False),
        pystray.Menu.SEPARATOR,
        pystray.MenuItem("More", pystray.Menu(pystray.MenuItem("Inner", write_the_file))),
    ),
).run()
"""


@pytest.fixture
def item(sway: SwayDesktop, tmp_path: Path) -> Iterator[str]:
    """The item, started; its bus address as the watcher lists it. The file its first menu entry
    writes is tmp_path / "clicked"."""
    with open(tmp_path / "item.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", ITEM, str(tmp_path / "clicked")],
            env=sway.env(PYSTRAY_BACKEND="appindicator"),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield sway.sni.wait_for_item()
    finally:
        stop_process_group(process)
        sway.sni.wait_for_no_items()


def test_the_item_registers_and_its_properties_and_menu_read_from_root(
    sway: SwayDesktop, item: str
) -> None:
    # The desktop runs as a user of its own when the tests run as root, and root reaches its bus.
    if os.geteuid() == 0:
        assert sway.sni.owner_uid("org.kde.StatusNotifierWatcher") != 0
    assert sway.sni.owner_uid(item.split("/")[0]) == os.geteuid()

    properties = sway.sni.item_properties(item)
    assert properties["Id"] == "harness"
    assert properties["Title"] == "Harness item"
    assert properties["Status"] == "Active"
    assert Path(properties["IconName"]).is_file()  # libayatana sends the icon as a file path

    menu = sway.sni.menu_layout(item)
    assert [entry["label"] for entry in menu] == [
        "Write the file",
        "Checked",
        "Disabled",
        "",
        "More",
    ]
    written, checked, disabled, separator, more = menu
    assert written["enabled"] and written["toggle-type"] == ""
    assert checked["toggle-type"] == "checkmark" and checked["toggle-state"] == 1
    assert not disabled["enabled"]
    assert separator["type"] == "separator"
    assert [child["label"] for child in more["children"]] == ["Inner"]


def test_a_menu_click_reaches_the_item(sway: SwayDesktop, item: str, tmp_path: Path) -> None:
    entry = sway.sni.menu_layout(item)[0]
    sway.sni.menu_click(item, entry["id"])
    written = tmp_path / "clicked"
    wait_until(
        lambda: written.exists() and written.read_text() == "clicked",
        what="the click to reach the item",
    )


def test_the_icon_is_drawn_in_the_bar_in_its_colour(sway: SwayDesktop, item: str) -> None:
    wait_until(lambda: sway.tray_icon_colour() == "red", what="a red icon in the bar")
    box = sway.tray_icon_box()
    assert box is not None
    assert box.width == box.height == ICON_SIZE, box
    assert box.y + box.height <= BAR_HEIGHT


def test_after_a_panel_restart_the_item_is_registered_and_drawn_again(
    sway: SwayDesktop, item: str, tmp_path: Path
) -> None:
    wait_until(lambda: sway.tray_icon_colour() == "red", what="a red icon in the bar")
    log = tmp_path / "bus.log"
    sway.start_bus_monitor(log)
    sway.restart_waybar()
    assert sway.sni.wait_for_item() == item
    wait_until(lambda: sway.tray_icon_colour() == "red", what="the red icon back in the bar")

    # The new Waybar read the item and its menu afresh, as the monitor saw.
    def seen(member: str) -> bool:
        return f"member={member}" in log.read_text(errors="replace")

    wait_until(lambda: seen("GetAll") and seen("GetLayout"), what="Waybar to read the item")
