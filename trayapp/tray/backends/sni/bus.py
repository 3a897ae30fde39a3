"""One session-bus connection served from one thread: exported objects, calls, signals, wake-ups.

jeepney gives messages, not objects: this routes method calls to the objects exported here
(answering Properties, Introspectable and Peer for them), hands replies to whoever made the call
and signals to whoever matched them, and runs actions queued from other threads. Everything runs
on the thread that calls `run`, which is also the tray's UI thread: nothing here is shared.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import selectors
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from jeepney import (
    DBusAddress,
    HeaderFields,
    MatchRule,
    Message,
    MessageFlag,
    MessageType,
    new_error,
    new_method_call,
    new_method_return,
    new_signal,
)
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection

log = logging.getLogger(__name__)

Action = Callable[[], None]
Variant = tuple[str, Any]
Reply = tuple[str, tuple[Any, ...]]
"""A method's answer: its D-Bus signature and body."""

PROPERTIES = "org.freedesktop.DBus.Properties"
INTROSPECTABLE = "org.freedesktop.DBus.Introspectable"
PEER = "org.freedesktop.DBus.Peer"


class DBusError(Exception):
    """Raised by a method handler: sent to the caller as a D-Bus error."""

    def __init__(self, name: str, text: str) -> None:
        super().__init__(text)
        self.name = name
        self.text = text


UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod"
INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"
FAILED = "org.freedesktop.DBus.Error.Failed"


@dataclass(frozen=True)
class Method:
    in_signature: str
    out_signature: str
    handler: Callable[..., tuple[Any, ...]]
    """Called with the call's arguments; returns the reply's body."""


class ExportedObject(Protocol):
    """One interface of an object on the bus."""

    interface: str

    def methods(self) -> dict[str, Method]: ...

    def properties(self) -> dict[str, Variant]: ...

    def introspection(self) -> str:
        """The `<interface>` element describing it."""


@dataclass
class _Path:
    objects: dict[str, ExportedObject] = field(default_factory=dict)


class BusLoop:
    def __init__(self, connection: DBusConnection) -> None:
        self.connection = connection
        self._paths: dict[str, _Path] = {}
        self._replies: dict[int, Callable[[Message], None]] = {}
        self._signal_handlers: list[tuple[MatchRule, Callable[[Message], None]]] = []
        self._actions: queue.SimpleQueue[Action] = queue.SimpleQueue()
        self._wake_read, self._wake_write = os.pipe()
        if sys.platform != "win32":  # always so: D-Bus session buses are a Unix thing
            os.set_blocking(self._wake_read, False)
            os.set_blocking(self._wake_write, False)
        self._stopping = False
        self._closed = False
        self._wake_lock = threading.Lock()

    # --- what is exported -----------------------------------------------------------------------

    def export(self, path: str, obj: ExportedObject) -> None:
        self._paths.setdefault(path, _Path()).objects[obj.interface] = obj

    # --- from any thread ------------------------------------------------------------------------

    def call_soon(self, action: Action) -> None:
        """Run `action` on the loop's thread; once the loop has ended, nothing is left to change."""
        with self._wake_lock:  # the loop closes the pipe under it: never write to a reused fd
            if self._closed:
                return
            self._actions.put(action)
            with contextlib.suppress(BlockingIOError):  # full: the loop is behind and will drain
                os.write(self._wake_write, b"!")

    def stop(self) -> None:
        def stopping() -> None:
            self._stopping = True

        self.call_soon(stopping)

    # --- on the loop's thread (or before it runs) -----------------------------------------------

    def call_blocking(self, message: Message, timeout: float = 5.0) -> tuple[Any, ...]:
        """Before the loop runs: send a call and wait for its reply (errors raise)."""
        reply = self.connection.send_and_get_reply(message, timeout=timeout)
        if reply.header.message_type is MessageType.error:
            raise DBusError(reply.header.fields.get(HeaderFields.error_name, ""), str(reply.body))
        body: tuple[Any, ...] = reply.body
        return body

    def call(
        self,
        message: Message,
        on_reply: Callable[[Message], None] | None = None,
    ) -> None:
        """Send a method call; `on_reply(reply or error message)` runs on the loop when it comes."""
        if self._closed:
            return
        serial = next(self.connection.outgoing_serial)
        if on_reply is not None:
            self._replies[serial] = on_reply
        self.connection.send(message, serial=serial)

    def emit(self, path: str, interface: str, name: str, signature: str = "", *body: Any) -> None:
        """Send a signal; after the loop has ended (the icon is gone) there is nobody to tell."""
        if self._closed:
            return
        signal = new_signal(DBusAddress(path, interface=interface), name, signature or None, body)
        self.connection.send(signal)

    def add_match(self, rule: MatchRule, handler: Callable[[Message], None]) -> None:
        """Before the loop runs: receive the signals that `rule` matches."""
        self.call_blocking(new_method_call(message_bus, "AddMatch", "s", (rule.serialise(),)))
        self._signal_handlers.append((rule, handler))

    def run(self) -> None:
        """Serve until `stop` (or until the bus goes away); closes the connection on the way out."""
        selector = selectors.DefaultSelector()
        selector.register(self.connection.sock, selectors.EVENT_READ, "bus")
        selector.register(self._wake_read, selectors.EVENT_READ, "wake")
        try:
            self._read_messages()  # what arrived while start-up waited for its replies
            while not self._stopping:
                for key, _ in selector.select():
                    if key.data == "wake":
                        self._run_actions()
                    elif not self._read_messages():
                        log.warning("The session bus closed the connection: the tray icon is gone")
                        return
        finally:
            selector.close()
            self.close()

    def close(self) -> None:
        """Hang up and let go of the wake-up pipe (once; `run` does it on its way out)."""
        with self._wake_lock:
            if self._closed:
                return
            self._closed = True
            os.close(self._wake_read)
            os.close(self._wake_write)
        with contextlib.suppress(OSError):
            self.connection.close()

    def _run_actions(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.read(self._wake_read, 4096)
        while not self._stopping:
            try:
                action = self._actions.get_nowait()
            except queue.Empty:
                return
            try:
                action()
            except Exception:  # a failed change must not take the tray down
                log.exception("Updating the tray failed")

    def _read_messages(self) -> bool:
        """Handle every message that has arrived; False once the bus has hung up."""
        while True:
            try:
                message = self.connection.receive(timeout=0)
            except TimeoutError:
                return True
            except OSError:
                return False
            self._handle(message)

    def _handle(self, message: Message) -> None:
        try:
            match message.header.message_type:
                case MessageType.method_call:
                    self._answer(message)
                case MessageType.method_return | MessageType.error:
                    serial = message.header.fields.get(HeaderFields.reply_serial)
                    on_reply = self._replies.pop(serial, None)
                    if on_reply is not None:
                        on_reply(message)
                case MessageType.signal:
                    for rule, handler in self._signal_handlers:
                        if rule.matches(message):
                            handler(message)
        except Exception:
            log.exception("Handling a D-Bus message failed")

    # --- answering calls ------------------------------------------------------------------------

    def _answer(self, call: Message) -> None:
        fields = call.header.fields
        try:
            signature, body = self._dispatch(
                fields.get(HeaderFields.path, ""),
                fields.get(HeaderFields.interface),
                fields.get(HeaderFields.member, ""),
                call.body,
            )
            reply = new_method_return(call, signature or None, body)
        except DBusError as error:
            reply = new_error(call, error.name, "s", (error.text,))
        except Exception as exc:  # e.g. arguments that do not fit: the caller must not hang
            log.warning("Answering %s failed", fields.get(HeaderFields.member), exc_info=True)
            reply = new_error(call, FAILED, "s", (f"{type(exc).__name__}",))
        if not call.header.flags & MessageFlag.no_reply_expected:
            self.connection.send(reply)

    def _dispatch(
        self, path: str, interface: str | None, member: str, args: tuple[Any, ...]
    ) -> Reply:
        if interface == INTROSPECTABLE and member == "Introspect":
            return "s", (self._introspect(path),)
        if interface == PEER:
            return _peer(member)
        objects = self._paths.get(path, _Path()).objects
        if interface == PROPERTIES:
            return _properties(objects, member, args)
        candidates = [objects[interface]] if interface in objects else []
        if interface is None:  # allowed by the spec: the first interface with that method
            candidates = list(objects.values())
        for obj in candidates:
            method = obj.methods().get(member)
            if method is not None:
                return method.out_signature, method.handler(*args)
        raise DBusError(UNKNOWN_METHOD, f"No method {interface}.{member} at {path}")

    def _introspect(self, path: str) -> str:
        parts = [
            '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN" '
            '"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">',
            "<node>",
        ]
        objects = self._paths.get(path, _Path()).objects
        if objects:
            parts += [_STANDARD_INTERFACES, *(o.introspection() for o in objects.values())]
        prefix = path.rstrip("/") + "/"
        children = {p[len(prefix) :].split("/")[0] for p in self._paths if p.startswith(prefix)}
        parts += [f'<node name="{child}"/>' for child in sorted(children) if child]
        parts.append("</node>")
        return "\n".join(parts)


def _properties(objects: dict[str, ExportedObject], member: str, args: tuple[Any, ...]) -> Reply:
    interface = str(args[0]) if args else ""
    obj = objects.get(interface)
    if obj is None:
        raise DBusError(INVALID_ARGS, f"No interface {interface} here")
    values = obj.properties()
    match member:
        case "GetAll":
            return "a{sv}", (values,)
        case "Get" if len(args) >= 2 and args[1] in values:
            return "v", (values[args[1]],)
        case "Get":
            raise DBusError(INVALID_ARGS, f"No such property on {interface}")
        case "Set":
            raise DBusError("org.freedesktop.DBus.Error.PropertyReadOnly", "Read-only")
    raise DBusError(UNKNOWN_METHOD, f"No method {PROPERTIES}.{member}")


def _peer(member: str) -> Reply:
    if member == "Ping":
        return "", ()
    if member == "GetMachineId":
        for place in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
            with contextlib.suppress(OSError):
                return "s", (Path(place).read_text(encoding="ascii").strip(),)
    raise DBusError(UNKNOWN_METHOD, f"No method {PEER}.{member}")


_STANDARD_INTERFACES = """<interface name="org.freedesktop.DBus.Introspectable">
<method name="Introspect"><arg type="s" direction="out"/></method></interface>
<interface name="org.freedesktop.DBus.Peer"><method name="Ping"/>
<method name="GetMachineId"><arg type="s" direction="out"/></method></interface>
<interface name="org.freedesktop.DBus.Properties">
<method name="Get"><arg type="s" direction="in"/><arg type="s" direction="in"/>
<arg type="v" direction="out"/></method>
<method name="GetAll"><arg type="s" direction="in"/><arg type="a{sv}" direction="out"/></method>
<method name="Set"><arg type="s" direction="in"/><arg type="s" direction="in"/>
<arg type="v" direction="in"/></method>
<signal name="PropertiesChanged"><arg type="s"/><arg type="a{sv}"/><arg type="as"/></signal>
</interface>"""
