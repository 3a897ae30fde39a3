"""The SNI backend's bus loop on a real session bus (a private dbus-daemon): routing, the standard
interfaces it answers for its objects, calls and signals, and running work from other threads."""

from __future__ import annotations

import logging
import os
import select
import threading
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import pytest
from jeepney import (
    DBusAddress,
    HeaderFields,
    MatchRule,
    MessageFlag,
    MessageType,
    new_method_call,
)
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection
from jeepney.wrappers import Properties

from tests.support.sni_client import SessionBus, SniClient
from tests.support.waiting import wait_until
from trayapp.tray.backends.sni.bus import BusLoop, DBusError, Method

PATH = "/org/example/Thing"
PROPERTIES = "org.freedesktop.DBus.Properties"
INTERFACE = "org.example.Thing"


class Thing:
    interface = INTERFACE

    def __init__(self) -> None:
        self.pokes: list[str] = []

    def methods(self) -> dict[str, Method]:
        def poke(word: str) -> tuple[str]:
            self.pokes.append(word)
            return (word.upper(),)

        def refuse() -> tuple[()]:
            raise DBusError("org.example.Error.No", "not today")

        return {"Poke": Method("s", "s", poke), "Refuse": Method("", "", refuse)}

    def properties(self) -> dict[str, Any]:
        return {"Colour": ("s", "green"), "Size": ("u", 24)}

    def introspection(self) -> str:
        return f'<interface name="{INTERFACE}"><method name="Poke"/></interface>'


@pytest.fixture
def session(private_bus: SessionBus) -> str:
    return private_bus.address


class Served:
    def __init__(self, address: str) -> None:
        self.loop = BusLoop(open_dbus_connection(address))
        self.thing = Thing()
        self.loop.export(PATH, self.thing)
        self.name = self.loop.connection.unique_name
        self.thread = threading.Thread(target=self.loop.run, name="loop")
        self.thread.start()

    def address(self, interface: str | None = INTERFACE, path: str = PATH) -> DBusAddress:
        return DBusAddress(path, bus_name=self.name, interface=interface)

    def on_loop(self, action: Any) -> None:
        done = threading.Event()

        def run() -> None:
            try:
                action()
            finally:
                done.set()

        self.loop.call_soon(run)
        assert done.wait(10)


@pytest.fixture
def served(session: str) -> Iterator[Served]:
    serving = Served(session)
    try:
        yield serving
    finally:
        serving.loop.stop()
        serving.thread.join(10)


def error_of(sni_client: SniClient, message: Any) -> str:
    reply = sni_client.connection.send_and_get_reply(message, timeout=5)
    assert reply.header.message_type is MessageType.error, reply.body
    return str(reply.header.fields[HeaderFields.error_name])


def test_a_method_is_routed_by_path_interface_and_member(
    served: Served, sni_client: SniClient, caplog: pytest.LogCaptureFixture
) -> None:
    assert sni_client.call(new_method_call(served.address(), "Poke", "s", ("hi",))) == ("HI",)
    # No interface named: the spec lets the object find the method by name.
    assert sni_client.call(new_method_call(served.address(None), "Poke", "s", ("yo",))) == ("YO",)
    assert served.thing.pokes == ["hi", "yo"]
    assert (
        error_of(sni_client, new_method_call(served.address(), "Refuse")) == "org.example.Error.No"
    )
    unknown = "org.freedesktop.DBus.Error.UnknownMethod"
    assert error_of(sni_client, new_method_call(served.address(), "Nothing")) == unknown
    assert error_of(
        sni_client, new_method_call(served.address("org.other"), "Poke", "s", ("x",))
    ) == (unknown)
    assert error_of(
        sni_client, new_method_call(served.address(path="/else"), "Poke", "s", ("x",))
    ) == (unknown)
    failed = "org.freedesktop.DBus.Error.Failed"
    with caplog.at_level(logging.WARNING):
        assert (
            error_of(sni_client, new_method_call(served.address(), "Poke")) == failed
        )  # no argument
    assert "Answering Poke failed" in caplog.text and "Traceback" in caplog.text
    introspectable = served.address("org.freedesktop.DBus.Introspectable")
    assert error_of(sni_client, new_method_call(introspectable, "Other")) == unknown


def test_properties_are_read_only(served: Served, sni_client: SniClient) -> None:
    properties = Properties(served.address())
    assert sni_client.call(properties.get_all()) == ({"Colour": ("s", "green"), "Size": ("u", 24)},)
    assert sni_client.call(properties.get("Size")) == (("u", 24),)
    invalid = "org.freedesktop.DBus.Error.InvalidArgs"
    assert error_of(sni_client, properties.get("Weight")) == invalid
    assert error_of(sni_client, Properties(served.address("org.other")).get_all()) == invalid
    read_only = "org.freedesktop.DBus.Error.PropertyReadOnly"
    assert error_of(sni_client, properties.set("Size", "u", 48)) == read_only
    only_interface = new_method_call(served.address(PROPERTIES), "Get", "s", (INTERFACE,))
    assert error_of(sni_client, only_interface) == invalid  # no property named at all
    odd = new_method_call(
        served.address("org.freedesktop.DBus.Properties"), "Frob", "s", (INTERFACE,)
    )
    assert error_of(sni_client, odd) == "org.freedesktop.DBus.Error.UnknownMethod"


def test_peer_and_introspection(served: Served, sni_client: SniClient) -> None:
    peer = served.address("org.freedesktop.DBus.Peer")
    assert sni_client.call(new_method_call(peer, "Ping")) == ()
    (machine,) = sni_client.call(new_method_call(peer, "GetMachineId"))
    assert len(machine) == 32
    assert (
        error_of(sni_client, new_method_call(peer, "Dance"))
        == "org.freedesktop.DBus.Error.UnknownMethod"
    )
    root = sni_client.introspect(served.name, "/")
    assert '<node name="org"/>' in root and "<interface" not in root  # nothing lives at /
    middle = sni_client.introspect(served.name, "/org/example")
    assert '<node name="Thing"/>' in middle
    for xml in (root, middle):
        ElementTree.fromstring(xml.split("\n", 1)[1])  # well-formed, past its DOCTYPE
    thing = sni_client.introspect(served.name, PATH)
    assert f'<interface name="{INTERFACE}">' in thing
    assert '<interface name="org.freedesktop.DBus.Properties">' in thing
    assert "<node name=" not in thing


def test_a_call_that_wants_no_reply_gets_none(served: Served, session: str) -> None:
    raw = open_dbus_connection(session)
    try:
        quiet = new_method_call(served.address(), "Poke", "s", ("shh",))
        quiet.header.flags |= MessageFlag.no_reply_expected
        raw.send(quiet, serial=100)
        ping = new_method_call(served.address("org.freedesktop.DBus.Peer"), "Ping")
        raw.send(ping, serial=101)
        replies = []
        while not replies or replies[-1] != 101:
            message = raw.receive(timeout=5)
            replies.append(message.header.fields.get(HeaderFields.reply_serial))
        assert 100 not in replies
        assert served.thing.pokes == ["shh"]
    finally:
        raw.close()


def test_calls_signals_and_work_from_other_threads(
    served: Served, sni_client: SniClient, caplog: pytest.LogCaptureFixture
) -> None:
    loop_thread: list[str] = []
    served.on_loop(lambda: loop_thread.append(threading.current_thread().name))
    assert loop_thread == ["loop"]

    # A call from the loop, its reply handed back there.
    replies: list[Any] = []
    served.on_loop(lambda: served.loop.call(message_bus.GetId(), replies.append))
    wait_until(lambda: replies, what="the reply")
    assert replies[0].header.message_type is MessageType.method_return

    # Signals reach the handler whose rule matches; a failing handler or action is logged.
    seen: list[str] = []

    def broken(message: Any) -> None:
        raise RuntimeError("a broken handler")

    rule = MatchRule(type="signal", interface="org.example.Ping", member="Pong")
    other = MatchRule(type="signal", interface="org.example.Ping", member="Other")
    # add_match waits for the bus's reply itself: fine from the loop, before anything else runs.
    served.on_loop(lambda: served.loop.add_match(rule, lambda m: seen.append(m.body[0])))
    served.on_loop(lambda: served.loop.add_match(other, broken))
    with caplog.at_level(logging.ERROR):
        emitter = DBusAddress("/p", interface="org.example.Ping")
        from jeepney import new_signal

        sni_client.connection.send(new_signal(emitter, "Other", "s", ("x",)))
        sni_client.connection.send(new_signal(emitter, "Pong", "s", ("one",)))
        wait_until(lambda: seen == ["one"], what="the signal")
        served.on_loop(lambda: (_ for _ in ()).throw(RuntimeError("a broken action")))
        # on_loop returns as the action ends: the log line comes just after.
        wait_until(lambda: "Updating the tray failed" in caplog.text, what="the action's log")
    assert "Handling a D-Bus message failed" in caplog.text
    assert sni_client.call(new_method_call(served.address(), "Poke", "s", ("on",))) == ("ON",)


def test_after_the_loop_ends_nothing_is_sent_and_nothing_breaks(
    served: Served, sni_client: SniClient
) -> None:
    served.loop.stop()
    served.thread.join(10)
    assert not served.thread.is_alive()
    ran: list[str] = []
    served.loop.call_soon(lambda: ran.append("late"))  # dropped, not an error
    served.loop.emit(PATH, INTERFACE, "Late")
    served.loop.call(message_bus.GetId(), ran.append)
    served.loop.close()  # twice is fine
    assert ran == []
    wait_until(lambda: not sni_client.name_has_owner(served.name), what="its name to go")


def test_the_bus_going_away_ends_the_loop(session: str, caplog: pytest.LogCaptureFixture) -> None:
    serving = Served(session)
    with caplog.at_level(logging.WARNING):
        serving.loop.connection.sock.shutdown(2)  # as when the daemon goes
        serving.thread.join(10)
    assert not serving.thread.is_alive()
    assert "The session bus closed the connection" in caplog.text


def test_errors_say_their_text() -> None:
    error = DBusError("org.example.Error.No", "not today")
    assert (error.name, error.text, str(error)) == (
        "org.example.Error.No",
        "not today",
        "not today",
    )


def test_a_failing_call_before_the_loop_raises_its_error(session: str) -> None:
    loop = BusLoop(open_dbus_connection(session))
    try:
        with pytest.raises(DBusError) as raised:
            loop.call_blocking(message_bus.GetNameOwner("org.example.Nobody"))
        assert raised.value.name == "org.freedesktop.DBus.Error.NameHasNoOwner"
    finally:
        loop.close()


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_closing_lets_go_of_every_descriptor(session: str) -> None:
    before = open_descriptors()
    loop = BusLoop(open_dbus_connection(session))
    assert open_descriptors() > before
    loop.close()
    assert open_descriptors() == before


def test_many_changes_queued_before_the_loop_runs_never_block_the_caller(session: str) -> None:
    """More wake-ups than a pipe holds (64 KiB) while nothing reads them: the writes must not
    block (the loop drains the queue, not the pipe)."""
    loop = BusLoop(open_dbus_connection(session))
    ran: list[int] = []
    queued = threading.Event()

    def queue_them() -> None:
        for n in range(70_000):
            loop.call_soon(lambda n=n: ran.append(n))
        queued.set()

    threading.Thread(target=queue_them, daemon=True).start()
    try:
        assert queued.wait(30), "call_soon blocked on a full pipe"
        loop.stop()
        loop.run()
        assert len(ran) == 70_000
    finally:
        loop.close()


def test_the_loop_reads_its_wake_ups_back(served: Served) -> None:
    """A wake-up left in the pipe would make every select return at once: a busy loop."""
    for _ in range(20):
        served.on_loop(lambda: None)
    # Each action runs after the loop has read the pipe: nothing may be left in it now.
    readable, _, _ = select.select([served.loop._wake_read], [], [], 0)
    assert readable == []
