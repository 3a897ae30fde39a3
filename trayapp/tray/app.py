"""The tray icon: the only module that imports pystray.

It picks a backend, renders each TrayState (icon, tooltip, menu) and applies it on the UI thread:
pystray's gtk and appindicator backends queue calls onto their main loop, but win32 and darwin are
not thread-safe, so every change from the poller goes through `TrayApp.show`, which hands it over.
What it needs of pystray's private attributes, it gets from `backends.pystray_compat`.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import queue
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from trayapp import APP_NAME
from trayapp.errors import TrayUnavailableError
from trayapp.tray.backends import pystray_compat
from trayapp.tray.backends.interface import (
    GLIB_BACKENDS,
    BackendName,
    Dispatch,
    IconDetails,
    IconFactory,
    KnowsItsHost,
    RunsItsOwnUiThread,
    ShowsDetails,
    TrayIcon,
    backend_named,
)
from trayapp.tray.backends.pystray_compat import import_pystray
from trayapp.tray.backends.shown_size import follow_size_changes, shown_icon_size
from trayapp.tray.icon import ICON_SIZE, icon_image, icon_look, needs_attention, pystray_image_size
from trayapp.tray.notifications import Alert, no_browser_alert
from trayapp.tray.render import CONSOLE_URL, MenuAction
from trayapp.tray.render_accounts import (
    view_menu_lines,
    view_tooltip_heading_and_body,
    view_tooltip_text,
)
from trayapp.tray.state import TrayState
from trayapp.tray.text import latin1
from trayapp.tray.view import TrayView, as_view
from trayapp.updates.release import Release

if TYPE_CHECKING:
    from trayapp.tray.backends.glib_notify import GioNotifier

log = logging.getLogger(__name__)

TRAY_HOST_GRACE = 5.0
"""Seconds to wait for a tray host to take the icon before saying there is none."""


# --- choosing a backend -------------------------------------------------------------------------


BACKEND_MODULES: dict[BackendName, str] = {"sni": "trayapp.tray.backends.sni.icon"}
"""Where a backend that is not pystray's own lives."""


def candidate_backends(
    *, sni_host: Callable[[], bool] | None = None, xembed_tray: Callable[[], bool] | None = None
) -> list[BackendName]:
    """The backends to try, best first: PYSTRAY_BACKEND's alone when it is set.

    On Linux: StatusNotifierItem where a panel offers it (`sni_host()`: Plasma, GNOME's extension,
    Waybar...), then pystray's GTK backends (XEmbed panels such as i3bar, trayer, older Xfce),
    then xorg, a last resort that has no menu.
    ValueError when PYSTRAY_BACKEND names no backend.
    """
    chosen = os.environ.get("PYSTRAY_BACKEND", "").strip()
    if chosen:
        name = backend_named(chosen)
        if name is None:
            raise ValueError(f"{chosen}: there is no tray backend by that name")
        return [name]
    if sys.platform == "darwin":
        return ["darwin"]
    if sys.platform == "win32":
        return ["win32"]
    if sni_host is None:
        from trayapp.tray.backends.sni.watcher import watcher_present

        sni_host = watcher_present
    xembed: list[BackendName] = ["appindicator", "gtk", "xorg"]
    if sni_host():
        return ["sni", *xembed]
    if xembed_tray is None:
        from trayapp.tray.backends.xembed_tray import xembed_tray_present

        xembed_tray = xembed_tray_present
    # With no StatusNotifierItem host, AppIndicator falls back to a GTK status icon of its own,
    # and on an XEmbed tray that fallback makes GDK log a CRITICAL at every start. Where such a
    # tray runs, GTK's own status icon is the same icon without that. Where none runs (GNOME
    # without its extension), AppIndicator stays first: it moves to a StatusNotifierItem host
    # once one starts.
    return ["gtk", "appindicator", "xorg"] if xembed_tray() else xembed


def load_backend() -> tuple[BackendName, IconFactory]:
    """Import the first backend that works here; TrayUnavailableError says what is missing."""
    import_pystray()
    failures: list[str] = []
    try:
        candidates = candidate_backends()
    except ValueError as exc:
        raise TrayUnavailableError(_why_no_backend([str(exc)])) from None
    if GLIB_BACKENDS & set(candidates):
        _name_the_program()
    for name in candidates:
        try:
            module = importlib.import_module(BACKEND_MODULES.get(name, f"pystray._{name}"))
        except Exception as exc:  # ImportError, ValueError, Xlib errors, GLib errors...
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        if name == "xorg":
            log.warning("Using pystray's basic X11 backend: the icon will have no menu")
            print(
                f"{APP_NAME}: warning: no StatusNotifierItem panel and no PyGObject here, so the "
                "tray falls back to a basic X11 icon without a menu: see Troubleshooting in the "
                "README.",
                file=sys.stderr,
            )
        log.info("Tray backend: %s", name)
        icon_class: IconFactory = module.Icon
        return name, icon_class
    log.info("No tray backend could be loaded: %s", "; ".join(failures))  # details for the log
    raise TrayUnavailableError(_why_no_backend(failures))


def _name_the_program() -> None:
    """Before GTK starts: window managers and panels show this name instead of `__main__.py`."""
    with contextlib.suppress(Exception):  # no PyGObject: the import below reports it
        from gi.repository import GLib

        GLib.set_prgname(APP_NAME)
        GLib.set_application_name("Deepgram Balance")


def _why_no_backend(failures: list[str]) -> str:
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return (
            "No graphical session was found (DISPLAY is not set): start the tray from your "
            "desktop session; `deepgram-tray balance` works without one."
        )
    if any("No module named 'gi'" in f for f in failures):
        return (
            "No panel here shows StatusNotifierItem icons (on GNOME, install the 'AppIndicator "
            "and KStatusNotifierItem Support' extension), and the older XEmbed trays need "
            "PyGObject (python3-gi, as scripts/install-and-run sets up): see Troubleshooting in "
            "the README."
        )
    return (
        "No system tray backend works here (" + "; ".join(failures)[:300] + "): see "
        "Troubleshooting in the README."
    )


# --- handing work to the UI thread --------------------------------------------------------------


def make_dispatcher(backend: BackendName, icon: TrayIcon) -> Dispatch:
    """A function that runs a callable on the tray's UI thread."""
    if isinstance(icon, RunsItsOwnUiThread):  # the SNI backend, and test backends
        return icon.run_on_ui_thread
    match backend:
        case "sni":
            raise AssertionError("the SNI icon runs its own UI thread")
        case "gtk" | "appindicator":
            from trayapp.tray.backends.glib_dispatch import glib_dispatcher

            return glib_dispatcher(_guarded)
        case "darwin":
            from PyObjCTools import AppHelper

            return lambda action: AppHelper.callAfter(_guarded, action)
        case "win32":
            return _win32_dispatcher(icon)
        case "xorg":
            from trayapp.tray.backends.xorg_dispatch import xorg_dispatcher

            dispatch = xorg_dispatcher(icon, _guarded)
            if dispatch is None:
                log.warning("This pystray offers no way onto its X loop: changing the tray at once")
                return _guarded
            return dispatch
        case "dummy":
            return _guarded
        case _:
            _unhandled(backend)


def _win32_dispatcher(icon: TrayIcon) -> Dispatch:
    """Post a private window message; pystray's window procedure runs our handler for it.

    Changes wait while one of pystray's own handlers runs: its right-click handler shows the menu
    in a message loop of its own, which on Windows handles our message too, and a new menu there
    would destroy the one Windows is showing. They are made when the handler returns.
    """
    handlers = pystray_compat.win32_message_handlers(icon)
    if handlers is None:
        log.warning("This pystray offers no way onto its UI thread: changing the tray directly")
        return _guarded
    import ctypes

    user32 = ctypes.windll.user32  # type: ignore[attr-defined,unused-ignore]  # Windows only
    message = user32.RegisterWindowMessageW(f"{APP_NAME}-apply")
    pending: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
    running = [0]  # pystray handlers on the UI thread's stack (only that thread touches it)

    def drain(wparam: int = 0, lparam: int = 0) -> int:
        if running[0]:
            return 0  # the handler that runs drains the queue when it returns
        while True:
            try:
                action = pending.get_nowait()
            except queue.Empty:
                return 0
            _guarded(action)

    def waiting_for(handler: pystray_compat.MessageHandler) -> pystray_compat.MessageHandler:
        def run(wparam: int, lparam: int) -> int:
            running[0] += 1
            try:
                return handler(wparam, lparam)
            finally:
                running[0] -= 1
                drain()

        return run

    for known, handler in list(handlers.items()):
        handlers[known] = waiting_for(handler)
    handlers[message] = drain

    def post(action: Callable[[], None]) -> None:
        pending.put(action)
        user32.PostMessageW(pystray_compat.win32_window(icon), message, 0, 0)

    return post


def _guarded(action: Callable[[], object]) -> None:
    try:
        action()
    except Exception:  # a failed UI update must not take the tray down
        log.exception("Updating the tray failed")


def _unhandled(value: NoReturn) -> NoReturn:
    """Where a `match` over an Enum or Literal ends: mypy fails if any member can reach it."""
    raise AssertionError(f"unhandled: {value!r}")


# --- the app ------------------------------------------------------------------------------------


class TrayApp:
    def __init__(
        self,
        *,
        backend: BackendName,
        icon_class: IconFactory,
        initial_state: TrayState | TrayView,
        on_refresh: Callable[[], None],
        on_quit: Callable[[], None],
        on_settings: Callable[[], object] = lambda: None,
        on_history: Callable[[], object] = lambda: None,
        on_account_settings: Callable[[str], object] | None = None,
        on_account_history: Callable[[str], object] | None = None,
        start_at_login: Callable[[], bool | None] = lambda: None,
        set_start_at_login: Callable[[bool], object] = lambda enabled: None,
        open_url: Callable[[str], object] | None = None,
    ) -> None:
        self._pystray = import_pystray()
        self.backend = backend
        self._on_refresh = on_refresh
        self._on_quit = on_quit
        self._on_settings = on_settings
        self._on_history = on_history
        self._on_account_settings = on_account_settings or (lambda account: on_settings())
        self._on_account_history = on_account_history or (lambda account: on_history())
        self._start_at_login = start_at_login
        self._set_start_at_login = set_start_at_login
        self._open_url = open_url or _open_in_browser
        self._quitting = threading.Event()
        self._view = as_view(initial_state)
        self._update: Release | None = None
        """A newer release of the app, shown as a menu line until it is installed."""
        self._icon_size = ICON_SIZE
        self._glib_notifier: GioNotifier | None = None
        self.icon: TrayIcon = icon_class(
            APP_NAME,
            icon=icon_image(self._view.state),
            title=self._title_for(self._view),
            menu=self._menu_for(self._view),
        )
        self._dispatch = make_dispatcher(backend, self.icon)
        if backend == "xorg":  # its changes are made on its X loop (make_dispatcher)
            pystray_compat.xorg_draw_new_images_in_place(self.icon)

    # --- from any thread ----------------------------------------------------------------------

    def show(self, shown: TrayState | TrayView) -> None:
        """Render `shown` (one account's state, or every account's) and apply it on the UI
        thread (the one way the UI changes)."""
        view = as_view(shown)
        self._dispatch(lambda: self._apply(view))

    def notify(self, alert: Alert) -> None:
        self._dispatch(lambda: self._notify(alert))

    def show_update(self, release: Release | None) -> None:
        """Offer `release` (a newer version of the app) in the menu; None takes the line away."""
        self._dispatch(lambda: self._apply_update(release))

    def quit(self) -> None:
        if self._quitting.is_set():
            return
        self._quitting.set()
        self._on_quit()
        self._dispatch(self.icon.stop)

    # --- on the UI thread -------------------------------------------------------------------

    def run(self, on_ready: Callable[[], None]) -> None:
        """Show the icon and run the UI loop until Quit; `on_ready` runs once it is visible."""

        def setup(icon: TrayIcon) -> None:
            # pystray calls this on a helper thread: showing the icon is a UI change too.
            self._dispatch(self._show_icon)
            on_ready()
            self._warn_if_no_tray_host()

        try:
            self.icon.run(setup=setup)
        except Exception:
            # gtk/appindicator without a notification daemon raise from their clean-up after the
            # loop has ended; by then the icon is gone and quitting has succeeded.
            if not self._quitting.is_set():
                raise
            log.debug("Ignoring an error from the tray's clean-up after Quit", exc_info=True)
        finally:
            self._quitting.set()  # also when the loop ended by itself (the session bus went away)

    def _show_icon(self) -> None:
        self._show_details(self._view)
        self.icon.visible = True
        self._set_native_tooltip(self.icon.title)
        if self.backend in GLIB_BACKENDS:
            pystray_compat.apply_glib_updates_at_once(self.icon)
        follow_size_changes(self.backend, self.icon, lambda: self._redraw_icon(self._view.state))

    def _redraw_icon(self, previous: TrayState) -> None:
        """Draw the icon at the size the backend shows it, when it would look different (it
        speaks for the account that most needs a look)."""
        state = self._view.state
        size = pystray_image_size(self.backend, shown_icon_size(self.backend, self.icon))
        if icon_look(state) != icon_look(previous) or size != self._icon_size:
            self._icon_size = size
            self.icon.icon = icon_image(state, size)

    def _apply(self, view: TrayView) -> None:
        previous, self._view = self._view, view
        self._show_details(view)
        self._redraw_icon(previous.state)
        tooltip = self._title_for(view)
        if tooltip != self.icon.title:
            self.icon.title = tooltip
            self._set_native_tooltip(tooltip)
        self.icon.menu = self._menu_for(view)

    def _apply_update(self, release: Release | None) -> None:
        if release != self._update:
            self._update = release
            self.icon.menu = self._menu_for(self._view)

    def _show_details(self, view: TrayView) -> None:
        if isinstance(self.icon, ShowsDetails):
            state = view.state
            heading, body = view_tooltip_heading_and_body(view)
            self.icon.show_details(
                IconDetails(
                    heading=heading,
                    body=body,
                    needs_attention=needs_attention(state),
                    draw=lambda size: icon_image(state, size),
                )
            )

    def _title_for(self, view: TrayView) -> str:
        tooltip = view_tooltip_text(view)
        # xorg writes the title as the window's Latin-1 name, and fails on anything else.
        return latin1(tooltip) if self.backend == "xorg" else tooltip

    def _notify(self, alert: Alert) -> None:
        if not self.icon.HAS_NOTIFICATION:
            log.info("This tray shows no notifications: %s", alert.title)
            return
        try:
            if self.backend in GLIB_BACKENDS:
                # pystray's own would send no app name, the tray icon's file and the id of the
                # notification before, to be replaced.
                if self._glib_notifier is None:
                    from trayapp.tray.backends.glib_notify import GioNotifier

                    self._glib_notifier = GioNotifier()
                self._glib_notifier.notify(alert.title, alert.message)
            else:
                self.icon.notify(alert.message, alert.title)
        except Exception:  # no notification daemon, etc.: the icon still says it
            log.warning("Could not show a notification: %s", alert.title, exc_info=True)

    def _menu_for(self, view: TrayView) -> object:
        pystray = self._pystray
        items: list[object] = []
        lines = view_menu_lines(view, start_at_login=self._start_at_login(), update=self._update)
        for line in lines:
            if line.is_separator:
                items.append(pystray.Menu.SEPARATOR)
            elif line.action is None:  # every line has one now; none would draw it faint
                items.append(pystray.MenuItem(line.text, None, enabled=False))
            else:
                checked = None if line.checked is None else (lambda _item, v=line.checked: v)
                action = self._action(line.action, line.link, line.account)
                items.append(
                    pystray.MenuItem(line.text, action, default=line.default, checked=checked)
                )
        return pystray.Menu(*items)

    def _action(
        self, action: MenuAction, link: str | None = None, account: str | None = None
    ) -> Callable[[], None]:
        """What a menu item for `action` runs when chosen (an error is logged, not raised)."""
        handler = self._handler_for(action, link, account)
        return lambda: _guarded(handler)

    def _handler_for(
        self, action: MenuAction, link: str | None = None, account: str | None = None
    ) -> Callable[[], object]:
        match action:
            case MenuAction.REFRESH:
                return self._on_refresh
            case MenuAction.HISTORY:
                if account is not None:
                    return lambda: self._on_account_history(account)
                return self._on_history
            case MenuAction.SETTINGS:
                if account is not None:
                    return lambda: self._on_account_settings(account)
                return self._on_settings
            case MenuAction.AUTOSTART:
                return self._toggle_start_at_login
            case MenuAction.CONSOLE:
                return lambda: self._open_in_background(link or CONSOLE_URL)
            case MenuAction.UPDATE:
                page = link or ""
                return lambda: self._open_in_background(page, "The new version's page")
            case MenuAction.QUIT:
                return self.quit
            case _:
                _unhandled(action)

    def _open_in_background(self, url: str, page: str = "The Deepgram Console") -> None:
        # Not on the UI thread: webbrowser runs a BROWSER command and waits for it to exit.
        threading.Thread(target=self._open, args=(url, page), name="browser", daemon=True).start()

    def _open(self, url: str, page: str = "The Deepgram Console") -> None:
        """Open `url` in a browser; when none opens, say where the page is (a line in the log
        alone would leave the click without an answer)."""
        try:
            opened = self._open_url(url)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            log.warning("No web browser could be opened for %s (%s)", url, reason)
            opened = False
        else:
            if opened is False:  # webbrowser.open's answer when no browser could be started
                log.warning("No web browser could be opened for %s", url)
        if opened is False:
            self.notify(no_browser_alert(url, page))

    def _toggle_start_at_login(self) -> None:
        enabled = self._start_at_login()
        if enabled is not None:
            self._set_start_at_login(not enabled)
        self.icon.menu = self._menu_for(self._view)  # show the new check mark

    def _set_native_tooltip(self, text: str) -> None:
        # pystray's gtk backend sets only the StatusIcon's title, which most trays do not show.
        status_icon = pystray_compat.gtk_status_icon(self.icon)
        if status_icon is not None:
            status_icon.set_tooltip_text(text)

    def _warn_if_no_tray_host(self) -> None:
        icon = self.icon
        status_icon = pystray_compat.gtk_status_icon(icon)
        if status_icon is None and not isinstance(icon, KnowsItsHost):
            return  # only gtk and SNI can tell
        if self._quitting.wait(TRAY_HOST_GRACE):
            return
        taken = threading.Event()
        if isinstance(icon, KnowsItsHost):
            self._dispatch(lambda: taken.set() if icon.tray_host_found() else None)
        elif status_icon is not None:
            self._dispatch(lambda: taken.set() if status_icon.is_embedded() else None)
        if not taken.wait(2.0) and not self._quitting.is_set():
            message = (
                "No system tray took the icon: on GNOME install the 'AppIndicator and "
                "KStatusNotifierItem Support' extension, or use a desktop with a tray"
            )
            # A StatusNotifierItem registers again when a panel starts; a GTK icon does not.
            message += (
                "; the icon appears as soon as one starts."
                if isinstance(icon, KnowsItsHost)
                else "."
            )
            log.warning(message)
            print(f"{APP_NAME}: {message}", file=sys.stderr)


def _open_in_browser(url: str) -> object:
    from trayapp.tray.browser import open_in_browser

    return open_in_browser(url)
