"""The StatusNotifierItem backend on a real session bus (a private dbus-daemon), headless.

The app's TrayApp drives the backend here as `deepgram-tray run` does; a minimal watcher stands in
for the panel (tests/support/sni_watcher.py), and the test reads and clicks the item as a host
does, over D-Bus. The real panels are in test_sni_desktop.py (Waybar on a headless Sway).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jeepney import DBusAddress, HeaderFields, MessageType, new_method_call
from jeepney.bus_messages import message_bus
from jeepney.wrappers import Properties

from tests.support.desktop import stop_process_group
from tests.support.sni_client import SessionBus, SniClient
from tests.support.tray_states import state_with
from tests.support.waiting import wait_until
from trayapp.errors import TrayUnavailableError
from trayapp.tray.app import TrayApp, candidate_backends, load_backend
from trayapp.tray.backends.interface import (
    IconDetails,
    KnowsItsHost,
    RunsItsOwnUiThread,
    ShowsDetails,
)
from trayapp.tray.notifications import Alert
from trayapp.tray.state import TrayState


@pytest.fixture
def session(private_bus: SessionBus, monkeypatch: pytest.MonkeyPatch) -> SessionBus:
    """The test's own session bus, which the app in this process connects to."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", private_bus.address)
    return private_bus


@pytest.fixture
def bus(session: SessionBus) -> str:
    return session.address


class Watcher:
    """The stand-in panel: started, stopped and restarted at will."""

    def __init__(self, address: str, log: Path) -> None:
        self.address = address
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, refuse: bool = False) -> None:
        self.log.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.sni_watcher",
                str(self.log),
                *(["refuse"] if refuse else []),
            ],
            env={"DBUS_SESSION_BUS_ADDRESS": self.address, "PATH": "/usr/bin:/bin"},
            start_new_session=True,
        )
        wait_until(self.log.exists, what="the watcher to own its name")

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process)
            self.process = None

    def registrations(self) -> list[str]:
        return self.log.read_text().split("\n")[:-1] if self.log.exists() else []


@pytest.fixture
def watcher(bus: str, tmp_path: Path) -> Iterator[Watcher]:
    running = Watcher(bus, tmp_path / "watcher.log")
    running.start()
    try:
        yield running
    finally:
        running.stop()


class RunningTray:
    """TrayApp on the SNI backend, its UI loop on a thread, wired to counters."""

    def __init__(self, state: TrayState) -> None:
        from trayapp.tray.backends.sni.icon import Icon

        self.refreshes = 0
        self.quits = 0
        self.app = TrayApp(
            backend="sni",
            icon_class=Icon,
            initial_state=state,
            on_refresh=self._refresh,
            on_quit=self._quit,
            start_at_login=lambda: True,
        )
        self.icon: Any = self.app.icon
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self.app.run, args=(self.ready.set,), name="ui")
        self.thread.start()
        assert self.ready.wait(10), "the tray did not start"

    def _refresh(self) -> None:
        self.refreshes += 1

    def _quit(self) -> None:
        self.quits += 1

    @property
    def item(self) -> str:
        return str(self.icon.bus_name)

    def settle(self) -> None:
        done = threading.Event()
        self.icon.run_on_ui_thread(done.set)
        assert done.wait(10), "the UI loop stopped answering"

    def stop(self) -> None:
        self.app.quit()
        self.thread.join(10)
        assert not self.thread.is_alive(), "the UI loop did not end"


@pytest.fixture
def start_tray(bus: str) -> Iterator[Any]:
    started: list[RunningTray] = []

    def start(state: TrayState | None = None) -> RunningTray:
        tray = RunningTray(state or state_with("149.00"))
        started.append(tray)
        return tray

    try:
        yield start
    finally:
        for tray in started:
            if tray.thread.is_alive():
                tray.stop()


def labels(sni_client: SniClient, item: str) -> list[str]:
    return [e["label"] if e["type"] != "separator" else "-" for e in sni_client.menu_layout(item)]


# --- choosing the backend -----------------------------------------------------------------------


def test_a_panel_with_a_watcher_puts_sni_first(
    watcher: Watcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYSTRAY_BACKEND", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert candidate_backends() == ["sni", "appindicator", "gtk", "xorg"]
    name, icon_class = load_backend()
    assert name == "sni"
    assert icon_class.__module__ == "trayapp.tray.backends.sni.icon"
    watcher.stop()
    assert candidate_backends() == ["appindicator", "gtk", "xorg"]


def test_no_session_bus_means_no_sni(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYSTRAY_BACKEND", raising=False)
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/nonexistent")  # jeepney's fallback address
    monkeypatch.setattr(sys, "platform", "linux")
    assert candidate_backends() == ["appindicator", "gtk", "xorg"]


def test_forcing_sni_without_a_session_bus_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYSTRAY_BACKEND", "sni")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/nonexistent")
    _, icon_class = load_backend()
    with pytest.raises(TrayUnavailableError, match="Could not reach the session D-Bus"):
        icon_class("x", icon=None, title="", menu=None)


# --- what a host sees ---------------------------------------------------------------------------


def test_the_item_registers_and_shows_the_amount(
    watcher: Watcher, sni_client: SniClient, start_tray: Any
) -> None:
    tray = start_tray(state_with("149.00"))
    assert isinstance(tray.icon, RunsItsOwnUiThread)
    assert isinstance(tray.icon, ShowsDetails)
    assert isinstance(tray.icon, KnowsItsHost)
    item = sni_client.wait_for_item()
    assert item == tray.item and item.startswith("org.kde.StatusNotifierItem-")
    assert sni_client.owner_uid(item) >= 0
    properties = sni_client.item_properties(item)
    assert properties["Status"] == "Active"
    assert properties["Id"] == "deepgram-balance-tray"
    assert properties["Title"].startswith("Deepgram $149.00")
    icon, pixmaps, heading, body = properties["ToolTip"]
    assert (icon, pixmaps, heading) == ("", [], "Deepgram $149.00")
    assert "updated" in body
    sizes = [(w, h) for w, h, _ in properties["IconPixmap"]]
    assert sizes == [(16, 16), (22, 22), (24, 24), (32, 32), (48, 48), (64, 64)]
    assert properties["ItemIsMenu"] is False
    wait_until(tray.icon.tray_host_found, what="the icon to know its host took it")


def test_the_menu_reads_as_the_app_builds_it(
    watcher: Watcher, sni_client: SniClient, start_tray: Any
) -> None:
    tray = start_tray(state_with("149.00"))
    item = sni_client.wait_for_item()
    entries = sni_client.menu_layout(item)
    assert labels(sni_client, item)[:2] == ["Total: $149.00", "    Project 0: $149.00"]
    assert entries[0]["enabled"] is True  # the total opens the Console: drawn readable
    by_label = {e["label"]: e for e in entries}
    assert by_label["Refresh now"]["enabled"] is True
    assert by_label["Start at login"]["toggle-type"] == "checkmark"
    assert by_label["Start at login"]["toggle-state"] == 1
    assert labels(sni_client, item)[-2:] == ["-", "Quit"]
    assert tray.refreshes == 0


def test_refresh_now_left_click_and_quit(
    watcher: Watcher, sni_client: SniClient, start_tray: Any
) -> None:
    tray = start_tray()
    item = sni_client.wait_for_item()
    sni_client.menu_click_label(item, "Refresh now")
    wait_until(lambda: tray.refreshes == 1, what="Refresh now to reach the app")
    sni_client.activate(item)  # a left click: the default item, Refresh now
    wait_until(lambda: tray.refreshes == 2, what="a left click to refresh")
    sni_client.menu_click_label(item, "Quit")
    tray.thread.join(10)
    assert not tray.thread.is_alive() and tray.quits == 1
    # The name goes with the connection, which is how panels know to drop the icon.
    wait_until(lambda: not sni_client.name_has_owner(item), what="the item's name to go")


def test_a_new_state_updates_in_place_and_says_so(
    watcher: Watcher, sni_client: SniClient, start_tray: Any
) -> None:
    tray = start_tray(state_with("149.00"))
    item = sni_client.wait_for_item()
    revision, _ = sni_client.menu_revision_and_layout(item)
    sni_client.listen(sender=sni_client.owner(item))
    tray.app.show(state_with("3.00"))  # red: critical
    tray.settle()
    names = sni_client.signal_names()
    assert {"NewIcon", "NewToolTip", "NewTitle", "NewStatus"} <= set(names)
    assert "ItemsPropertiesUpdated" in names and "LayoutUpdated" not in names
    properties = sni_client.item_properties(item)
    assert properties["Status"] == "NeedsAttention"
    assert properties["ToolTip"][2] == "Deepgram $3.00"
    new_revision, entries = sni_client.menu_revision_and_layout(item)
    assert (new_revision, entries[0]["label"]) == (revision, "Total: $3.00")


def test_a_new_shape_of_menu_is_a_new_layout(
    watcher: Watcher, sni_client: SniClient, start_tray: Any
) -> None:
    tray = start_tray(state_with("149.00"))
    item = sni_client.wait_for_item()
    revision, _ = sni_client.menu_revision_and_layout(item)
    sni_client.listen(sender=sni_client.owner(item))
    tray.app.show(state_with("100.00", "49.00"))  # a second project: one more line
    tray.settle()
    assert "LayoutUpdated" in sni_client.signal_names()
    new_revision, entries = sni_client.menu_revision_and_layout(item)
    assert new_revision > revision
    assert [e["label"] for e in entries[:3]] == [
        "Total: $149.00",
        "    Project 0: $100.00",
        "    Project 1: $49.00",
    ]


def test_a_restarted_panel_gets_the_icon_again(
    watcher: Watcher, sni_client: SniClient, start_tray: Any
) -> None:
    start_tray()
    sni_client.wait_for_item()
    watcher.stop()
    watcher.start()
    item = sni_client.wait_for_item()
    assert len(watcher.registrations()) == 1  # the log starts anew with the new watcher
    assert watcher.registrations()[0].endswith(f" {item}")


def test_a_panel_that_starts_after_the_tray_gets_it(
    watcher: Watcher, sni_client: SniClient, start_tray: Any
) -> None:
    watcher.stop()
    tray = start_tray()
    assert not tray.icon.tray_host_found()
    watcher.start()
    item = sni_client.wait_for_item()
    assert item == tray.item
    wait_until(tray.icon.tray_host_found, what="the icon to know its host took it")


def test_with_no_panel_it_says_so_once_the_grace_is_over(
    bus: str, start_tray: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("trayapp.tray.app.TRAY_HOST_GRACE", 0.1)
    tray = start_tray()
    wait_until(lambda: "No system tray took the icon" in capsys.readouterr().err or None,
               what="the warning")  # fmt: skip
    assert not tray.icon.tray_host_found()


def test_a_call_that_does_not_fit_gets_an_error_not_silence(
    watcher: Watcher, sni_client: SniClient, start_tray: Any
) -> None:
    tray = start_tray()
    item = sni_client.wait_for_item()
    address = DBusAddress(
        "/StatusNotifierItem", bus_name=item, interface="org.kde.StatusNotifierItem"
    )
    for message, error in [
        (new_method_call(address, "Activate"), "org.freedesktop.DBus.Error.Failed"),  # no x, y
        (new_method_call(address, "Explode"), "org.freedesktop.DBus.Error.UnknownMethod"),
        (Properties(address).get("Nothing"), "org.freedesktop.DBus.Error.InvalidArgs"),
    ]:
        reply = sni_client.connection.send_and_get_reply(message, timeout=5)
        assert reply.header.message_type is MessageType.error
        assert reply.header.fields[HeaderFields.error_name] == error
    assert sni_client.item_properties(item)["Status"] == "Active"  # and it goes on answering
    assert tray.refreshes == 0


def test_introspection_lists_both_interfaces(
    watcher: Watcher, sni_client: SniClient, start_tray: Any
) -> None:
    tray = start_tray()
    item = sni_client.wait_for_item()
    root = sni_client.introspect(item, "/")
    assert '<node name="StatusNotifierItem"/>' in root and '<node name="MenuBar"/>' in root
    assert 'interface name="org.kde.StatusNotifierItem"' in sni_client.introspect(
        item, "/StatusNotifierItem"
    )
    assert 'interface name="com.canonical.dbusmenu"' in sni_client.introspect(item, "/MenuBar")
    assert tray.refreshes == 0


def test_notifications_each_get_their_own_id(
    watcher: Watcher, sni_client: SniClient, start_tray: Any, bus: str, tmp_path: Path
) -> None:
    log = tmp_path / "notifications.jsonl"
    daemon = subprocess.Popen(
        [sys.executable, "-m", "tests.support.notification_daemon", str(log)],
        env={"DBUS_SESSION_BUS_ADDRESS": bus, "PATH": "/usr/bin:/bin"},
        start_new_session=True,
    )
    try:
        wait_until(log.exists, what="the notification daemon")
        tray = start_tray()
        sni_client.wait_for_item()
        tray.app.notify(Alert("Deepgram balance low: $13.25", "R&D <team> is below $20."))
        tray.app.notify(Alert("Deepgram credit: about 3 days left", "At $4 a day."))
        wait_until(lambda: len(log.read_text().splitlines()) >= 2, what="two notifications")
        said = [json.loads(line) for line in log.read_text().splitlines()]
        assert [n["summary"] for n in said] == [
            "Deepgram balance low: $13.25",
            "Deepgram credit: about 3 days left",
        ]
        assert said[0]["app"] == "Deepgram Balance"
        assert said[0]["body"] == "R&D <team> is below $20."  # this server reads no markup
        wait_until(lambda: len(tray.icon._notifier.shown) == 2, what="both ids")
        assert len(set(tray.icon._notifier.shown)) == 2
    finally:
        stop_process_group(daemon)


def test_the_bus_going_away_ends_the_tray_instead_of_hanging(
    session: SessionBus, watcher: Watcher, start_tray: Any, sni_client: SniClient
) -> None:
    tray = start_tray()
    sni_client.wait_for_item()
    stop_process_group(session.daemon)  # the session ends
    tray.thread.join(10)
    assert not tray.thread.is_alive()


# --- as a pystray Icon, and the panel's comings and goings ----------------------------------------


def solid(colour: tuple[int, int, int]) -> Any:
    from PIL import Image

    return Image.new("RGBA", (64, 64), (*colour, 255))


def first_pixel(properties: dict[str, Any], size: int) -> bytes:
    found = [data for w, _h, data in properties["IconPixmap"] if w == size]
    return bytes(found[0][:4])


def test_it_works_as_a_plain_pystray_icon(
    watcher: Watcher, sni_client: SniClient, bus: str, tmp_path: Path
) -> None:
    """No app around it: pystray's own API (setup shows it; icon, title, menu, visible,
    notify, remove_notification) with a check box whose state is read when the menu is built."""
    from trayapp.tray.backends.pystray_compat import import_pystray
    from trayapp.tray.backends.sni.icon import Icon

    pystray = import_pystray()
    ticked = [False]

    def toggle() -> None:
        ticked[0] = not ticked[0]

    menu = pystray.Menu(pystray.MenuItem("Tick", toggle, checked=lambda _item: ticked[0]))
    icon = Icon("plain", icon=solid((200, 0, 0)), title="Hello", menu=menu)
    log = tmp_path / "notifications.jsonl"
    daemon = subprocess.Popen(
        [sys.executable, "-m", "tests.support.notification_daemon", str(log)],
        env={"DBUS_SESSION_BUS_ADDRESS": bus, "PATH": "/usr/bin:/bin"},
        start_new_session=True,
    )
    thread = threading.Thread(target=icon.run, name="ui")  # no setup: pystray shows it
    thread.start()
    try:
        wait_until(log.exists, what="the notification daemon")
        item = sni_client.wait_for_item()
        properties = sni_client.item_properties(item)
        assert (properties["Title"], properties["ToolTip"][2:]) == ("Hello", ("Hello", ""))
        assert properties["Status"] == "Active"
        assert first_pixel(properties, 16) == b"\xff\xc8\x00\x00"  # resized from the image
        sni_client.listen(sender=sni_client.owner(item))

        icon.run_on_ui_thread(lambda: setattr(icon, "icon", solid((0, 200, 0))))
        wait_until(
            lambda: first_pixel(sni_client.item_properties(item), 16)[2] == 200, what="green"
        )
        assert "NewIcon" in sni_client.signal_names()

        sni_client.menu_click_label(item, "Tick")  # its state is read again after the click
        wait_until(lambda: sni_client.menu_layout(item)[0]["toggle-state"] == 1, what="the tick")

        icon.run_on_ui_thread(lambda: icon.notify("Body", "Summary"))
        wait_until(lambda: '"summary": "Summary"' in log.read_text(), what="the notification")
        wait_until(lambda: len(icon._notifier.shown) == 1, what="its id")
        icon.run_on_ui_thread(icon.remove_notification)
        wait_until(lambda: '"closed"' in log.read_text(), what="it closed")

        icon.run_on_ui_thread(lambda: setattr(icon, "visible", False))
        wait_until(lambda: sni_client.item_properties(item)["Status"] == "Passive", what="hidden")
        icon.run_on_ui_thread(
            lambda: icon.show_details(
                IconDetails("Hi", "there", needs_attention=True, draw=lambda s: solid((0, 0, 0)))
            )
        )
        wait_until(
            lambda: sni_client.item_properties(item)["ToolTip"][2] == "Hi", what="the new heading"
        )
        assert sni_client.item_properties(item)["Status"] == "Passive"  # hidden stays hidden
    finally:
        icon.run_on_ui_thread(icon.stop)
        thread.join(10)
        stop_process_group(daemon)
    assert not thread.is_alive()


def test_a_new_state_says_what_changed_in_its_signals(
    watcher: Watcher, sni_client: SniClient, start_tray: Any
) -> None:
    tray = start_tray(state_with("149.00"))
    item = sni_client.wait_for_item()
    sni_client.listen(sender=sni_client.owner(item))
    tray.app.show(state_with("3.00", "1.00"))  # red, and one more menu line
    tray.settle()
    sni_client.signal_names()
    bodies = {str(m.header.fields[HeaderFields.member]): m.body for m in sni_client.signals}
    assert bodies["NewStatus"] == ("NeedsAttention",)
    assert bodies["NewIcon"] == () and bodies["NewToolTip"] == ()
    revision, _ = sni_client.menu_revision_and_layout(item)
    assert bodies["LayoutUpdated"] == (revision, 0)  # the whole menu, from the root


def test_nobody_takes_the_items_name(
    watcher: Watcher, sni_client: SniClient, start_tray: Any, bus: str
) -> None:
    tray = start_tray()
    item = sni_client.wait_for_item()
    replace_existing, do_not_queue, exists = 2, 4, 3
    (answer,) = sni_client.call(message_bus.RequestName(item, replace_existing | do_not_queue))
    assert answer == exists
    from trayapp.tray.backends.sni.icon import Icon

    with pytest.raises(TrayUnavailableError, match="Another program holds the tray's D-Bus name"):
        Icon("second", icon=solid((0, 0, 0)), title="", menu=None)  # the same process's name
    assert tray.icon.tray_host_found()


def test_other_programs_coming_and_going_are_not_a_panel(
    watcher: Watcher, sni_client: SniClient, start_tray: Any, bus: str
) -> None:
    tray = start_tray()
    item = sni_client.wait_for_item()
    other = SniClient(bus)
    other.close()
    sni_client.item_properties(item)  # a round trip: the tray has seen both name changes
    sni_client.registered_items()  # and the watcher any registration they caused
    assert len(watcher.registrations()) == 1
    assert tray.icon.tray_host_found()


def test_what_it_logs_as_the_panel_comes_and_goes(
    watcher: Watcher, sni_client: SniClient, start_tray: Any, caplog: pytest.LogCaptureFixture
) -> None:
    watcher.stop()
    with caplog.at_level(logging.INFO, logger="trayapp.tray.backends.sni.icon"):
        tray = start_tray()
        tray.settle()
        assert "No StatusNotifierWatcher yet" in caplog.text
        watcher.start()
        sni_client.wait_for_item()
        wait_until(tray.icon.tray_host_found, what="the panel to take it")
        assert "A panel took the StatusNotifierWatcher name" in caplog.text
        assert "took the icon" in caplog.text
        watcher.stop()
        wait_until(lambda: not tray.icon.tray_host_found(), what="it to know the panel is gone")
        wait_until(lambda: "went away" in caplog.text, what="the log line")
        tray.settle()
    assert "refused" not in caplog.text  # nothing was sent to a panel that is not there


def test_a_panel_that_refuses_the_icon_is_logged(
    watcher: Watcher, sni_client: SniClient, start_tray: Any, caplog: pytest.LogCaptureFixture
) -> None:
    watcher.stop()
    watcher.start(refuse=True)
    with caplog.at_level(logging.WARNING, logger="trayapp.tray.backends.sni.icon"):
        tray = start_tray()
        wait_until(lambda: watcher.registrations(), what="the attempt")
        wait_until(lambda: "refused the icon" in caplog.text, what="the warning")
    assert "org.freedesktop.DBus.Error.InvalidArgs" in caplog.text
    assert not tray.icon.tray_host_found()
