"""The tray backends by name, and what the app uses of a backend's Icon.

pystray has no type hints: the Protocols here name the public attributes and methods TrayApp
relies on, so mypy holds the app (and any backend a test brings) to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, get_args, runtime_checkable

if TYPE_CHECKING:
    from PIL import Image

BackendName = Literal["sni", "appindicator", "gtk", "xorg", "win32", "darwin", "dummy"]
"""pystray's backends, spelled as pystray spells them (and PYSTRAY_BACKEND takes them), and the
app's own: `sni`, the StatusNotifierItem backend in `backends/sni/`."""

BACKEND_NAMES: tuple[BackendName, ...] = get_args(BackendName)

GLIB_BACKENDS: frozenset[BackendName] = frozenset({"appindicator", "gtk"})
"""The backends that run a GLib main loop (and need PyGObject)."""

Action = Callable[[], None]
Dispatch = Callable[[Action], None]
"""Runs an action on the tray's UI thread, from any thread."""


def backend_named(text: str) -> BackendName | None:
    """The backend called `text`, or None when pystray has no backend by that name."""
    for name in BACKEND_NAMES:
        if name == text:
            return name
    return None


class TrayIcon(Protocol):
    """What TrayApp uses of a pystray Icon: its public API only.

    The private hooks some backends need are in `pystray_compat`.
    """

    @property
    def HAS_NOTIFICATION(self) -> bool:
        """False where the backend cannot show desktop notifications."""

    icon: Image.Image | None
    title: str
    menu: object
    """A `pystray.Menu`."""
    visible: bool

    def run(self, setup: Callable[[TrayIcon], object] | None = None) -> None:
        """Run the UI loop until `stop`; `setup(icon)` runs on a helper thread once it is up."""

    def stop(self) -> None: ...

    def notify(self, message: str, title: str | None = None) -> None: ...


class IconFactory(Protocol):
    """A backend's Icon class, called as TrayApp calls it."""

    def __call__(self, name: str, *, icon: Image.Image, title: str, menu: object) -> TrayIcon: ...


@runtime_checkable
class RunsItsOwnUiThread(Protocol):
    """A backend that says how to reach its UI thread (the SNI backend and the tests' recording
    backend do)."""

    def run_on_ui_thread(self, action: Action) -> None: ...


@dataclass(frozen=True)
class IconDetails:
    """What a backend can show beyond pystray's one-line title."""

    heading: str
    """The tooltip's first line: the amount."""
    body: str
    """The tooltip's other lines: what went wrong, the forecast, when it was read."""
    needs_attention: bool
    """Hosts that can (Plasma) show the icon prominently until the state passes."""
    draw: Callable[[int], Image.Image]
    """The icon drawn at a size in pixels, for backends that send several sizes."""


@runtime_checkable
class ShowsDetails(Protocol):
    def show_details(self, details: IconDetails) -> None: ...


@runtime_checkable
class KnowsItsHost(Protocol):
    def tray_host_found(self) -> bool:
        """Whether a tray host (panel) has taken the icon."""
