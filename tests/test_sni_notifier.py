"""Desktop notifications of the StatusNotifierItem backend, against a recording bus: what is
sent to org.freedesktop.Notifications, and what each answer leads to. The real bus is in
test_sni_backend.py."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from jeepney import HeaderFields, Message, new_error, new_method_return
from PIL import Image

from trayapp.desktop.resources import app_icon_png
from trayapp.tray.backends.sni.notifier import Notifier


class RecordingBus:
    def __init__(self) -> None:
        self.calls: list[tuple[Message, Callable[[Message], None] | None]] = []

    def call(self, message: Message, on_reply: Callable[[Message], None] | None = None) -> None:
        self.calls.append((message, on_reply))

    def members(self) -> list[str]:
        return [str(m.header.fields[HeaderFields.member]) for m, _ in self.calls]

    def answer(self, index: int, signature: str, *body: Any) -> None:
        message, on_reply = self.calls[index]
        assert on_reply is not None
        on_reply(new_method_return(message, signature, body))

    def fail(self, index: int, error: str = "org.freedesktop.DBus.Error.ServiceUnknown") -> None:
        message, on_reply = self.calls[index]
        assert on_reply is not None
        on_reply(new_error(message, error, "s", ("nobody",)))


@pytest.fixture
def bus() -> RecordingBus:
    return RecordingBus()


def notifier(bus: RecordingBus) -> Notifier:
    return Notifier(bus, app_name="Deepgram Balance", desktop_entry="deepgram-balance-tray")  # type: ignore[arg-type]


def test_it_asks_the_server_once_and_holds_notifications_until_it_answers(
    bus: RecordingBus,
) -> None:
    sender = notifier(bus)
    sender.notify("Deepgram balance low: $13.25", "Below $20.")
    sender.notify("Deepgram credit: about 3 days left", "At $4 a day.")
    assert bus.members() == ["GetCapabilities"]  # asked once, both wait
    bus.answer(0, "as", ["body"])
    assert bus.members() == ["GetCapabilities", "Notify", "Notify"]
    sender.notify("Third", "Now at once.")
    assert bus.members()[-1] == "Notify" and len(bus.calls) == 4


def test_each_notification_is_new_with_the_apps_name_and_entry(bus: RecordingBus) -> None:
    sender = notifier(bus)
    sender.notify("Deepgram balance low: $13.25", "R&D <team> is below $20.")
    bus.answer(0, "as", ["body"])
    message, _ = bus.calls[1]
    app, replaces, icon, summary, body, actions, hints, timeout = message.body
    assert (app, replaces) == ("Deepgram Balance", 0)  # 0: never replace the last one
    # The app's own icon, by its path: not the tray's icon, which may show a refresh mark.
    assert icon == str(app_icon_png(64))
    with Image.open(icon) as image:
        assert image.size == (64, 64)
    assert (summary, body) == ("Deepgram balance low: $13.25", "R&D <team> is below $20.")
    assert actions == [] and timeout == -1
    assert hints == {"desktop-entry": ("s", "deepgram-balance-tray"), "urgency": ("y", 1)}


def test_a_server_that_reads_markup_gets_the_body_escaped(bus: RecordingBus) -> None:
    sender = notifier(bus)
    sender.notify("Low", 'R&D <team> is "low"')
    bus.answer(0, "as", ["body", "body-markup"])
    assert bus.calls[1][0].body[4] == 'R&amp;D &lt;team&gt; is "low"'


def test_no_server_still_tries_and_logs_why_nothing_showed(
    bus: RecordingBus, caplog: pytest.LogCaptureFixture
) -> None:
    sender = notifier(bus)
    sender.notify("Deepgram balance low: $13.25", "Below $20.")
    bus.fail(0)
    assert bus.members() == ["GetCapabilities", "Notify"]
    assert bus.calls[1][0].body[4] == "Below $20."  # no markup assumed
    with caplog.at_level(logging.WARNING):
        bus.fail(1)
    assert (
        "Could not show a notification (org.freedesktop.DBus.Error.ServiceUnknown)" in caplog.text
    )
    assert "Deepgram balance low: $13.25" in caplog.text
    assert list(sender.shown) == []


def test_shown_ids_are_kept_to_close_them_and_bounded(bus: RecordingBus) -> None:
    sender = notifier(bus)
    sender.notify("a", "b")
    bus.answer(0, "as", [])
    bus.answer(1, "u", 7)
    for n in range(40):
        sender.notify("a", str(n))
        bus.answer(len(bus.calls) - 1, "u", 100 + n)
    assert len(sender.shown) == 32 and sender.shown[-1] == 139
    sender.close_all()
    closes = [
        m for m, _ in bus.calls if m.header.fields[HeaderFields.member] == "CloseNotification"
    ]
    assert [m.body for m in closes] == [(n,) for n in range(108, 140)]
    assert list(sender.shown) == []


def test_without_the_apps_icon_installed_the_server_chooses(
    bus: RecordingBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    import trayapp.desktop.resources

    monkeypatch.setattr(trayapp.desktop.resources, "app_icon_png", lambda size=64: None)
    sender = notifier(bus)
    sender.notify("Low", "Top up.")
    bus.answer(0, "as", [])
    assert bus.calls[1][0].body[2] == ""  # no icon: the server's default, never a wrong path
