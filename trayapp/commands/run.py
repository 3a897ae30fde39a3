"""`deepgram-tray` / `deepgram-tray run`: wire the poller to the tray icon and run until Quit."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from collections.abc import Callable

from trayapp.accounts import load_accounts
from trayapp.cli import print_error
from trayapp.deepgram.models import BalanceSnapshot
from trayapp.desktop.paths import last_read_path, log_dir
from trayapp.outlook.forecast import SpendRate
from trayapp.tray.last_read import ReadSaver
from trayapp.tray.notifications import Alert
from trayapp.tray.poller import Poller
from trayapp.tray.scheduler import Clock
from trayapp.tray.update_watch import UpdateWatcher
from trayapp.updates.release import Release

log = logging.getLogger(__name__)


def run_tray(args: argparse.Namespace) -> int:
    from trayapp.desktop.logs import configure_tray_logging
    from trayapp.desktop.single_instance import InstanceLock

    lock = InstanceLock()
    if not lock.acquire():
        holder = lock.holder_pid()
        running = f" (process {holder})" if holder else ""
        message = f"The tray is already running{running}: use its icon, or quit it first."
        print_error(message)
        _say_without_a_console(message)
        return 0
    try:
        log_file = configure_tray_logging(log_dir())
        log.info("Starting; log file %s", log_file)
        return _run()
    finally:
        lock.release()


def _say_without_a_console(message: str) -> None:
    """Started from the Start menu or a shortcut (the windowed launcher), the tray had no stderr
    (what it prints goes to the null device): Windows' way to say it is a message box."""
    if sys.platform != "win32" or sys.__stderr__ is not None:
        return
    import ctypes

    information = 0x40  # MB_ICONINFORMATION
    user32 = ctypes.windll.user32  # type: ignore[attr-defined,unused-ignore]  # Windows only
    user32.MessageBoxW(None, message, "Deepgram Balance", information)


def _run() -> int:
    from trayapp.desktop import autostart
    from trayapp.desktop.dpi import declare_dpi_awareness
    from trayapp.desktop.stop_request import listen_for_stop, quit_on_interrupt_in_glib
    from trayapp.tk.launcher import WindowLauncher
    from trayapp.tray.app import TrayApp, load_backend
    from trayapp.tray.backends.interface import GLIB_BACKENDS
    from trayapp.tray.fetch_process import (
        fetch_accounts_in_child_process,
        fetch_forecast_inputs_of_accounts_in_child_process,
    )
    from trayapp.tray.view import TrayView

    declare_dpi_awareness()  # before pystray makes its window and menus
    backend, icon_class = load_backend()

    def show(view: TrayView) -> None:
        from trayapp.errors import KeyringUnavailableError

        app.show(view)
        # No key, or no usable keyring to find one in: the window says what to do, once a run.
        state = view.state
        if not state.has_key or isinstance(state.error, KeyringUnavailableError):
            settings_window.open_once_for_first_run()

    savers: dict[str, ReadSaver] = {}

    def show_and_save(view: TrayView) -> None:
        show(view)
        # Each account's complete reads, for `balance --max-age` (bars, scripts).
        for entry in view.accounts:
            if entry.state.snapshot is None:
                continue
            saver = savers.setdefault(entry.name, ReadSaver(last_read_path(entry.name)))
            settings = entry.account.settings
            saver.offer(
                entry.state.snapshot,
                entry.state.forecast,
                failed=entry.state.error is not None,
                api_url=settings.api_url,
                asked=settings.projects,
            )

    updates = _update_watcher(
        on_update=lambda release: app.show_update(release),
        on_alert=lambda alert: app.notify(alert),
    )
    poller = Poller(
        load_accounts=load_accounts,
        fetch_accounts=fetch_accounts_in_child_process,
        on_view=show_and_save,
        on_alert=lambda alert: app.notify(alert),
        clock=Clock(monotonic=time.monotonic, wall=time.time),
        record_account_history=record_history,
        fetch_forecast_inputs_accounts=fetch_forecast_inputs_of_accounts_in_child_process,
        after_poll=updates.poke,
    )
    # Saved or not, re-reading the settings and the key is cheap: refresh when it closes.
    settings_window = WindowLauncher("settings", name="settings", on_closed=poller.refresh)
    history_window = WindowLauncher("history", "--window", name="history")
    app = TrayApp(
        backend=backend,
        icon_class=icon_class,
        initial_state=poller.view,
        on_refresh=poller.refresh,
        on_quit=poller.stop,
        on_settings=settings_window.open,
        on_history=history_window.open,
        on_account_settings=lambda name: settings_window.open("--account", name),
        on_account_history=lambda name: history_window.open("--account", name),
        start_at_login=autostart.state,
        set_start_at_login=_set_start_at_login,
    )
    worker = threading.Thread(target=poller.run, name="poller", daemon=True)
    update_checks = threading.Thread(target=updates.run, name="updates", daemon=True)
    # `deepgram-tray stop`, a logout's SIGHUP, a service manager's SIGTERM: quit as Quit does.
    stop_listening = listen_for_stop(app.quit)

    def ready() -> None:
        worker.start()
        update_checks.start()
        if backend in GLIB_BACKENDS:
            quit_on_interrupt_in_glib(app.quit)

    try:
        app.run(on_ready=ready)
    finally:
        stop_listening()
    poller.stop()
    updates.stop()
    settings_window.close()
    history_window.close()
    worker.join(timeout=5)
    log.info("Stopped")
    return 0


def _update_watcher(
    *, on_update: Callable[[Release | None], None], on_alert: Callable[[Alert], None]
) -> UpdateWatcher:
    """The update notice: the top level's check_updates and notify, PyPI asked in the worker."""
    import os

    from trayapp import __version__
    from trayapp.config import load_settings
    from trayapp.desktop.paths import update_check_path
    from trayapp.tray.fetch_process import read_latest_release_in_child_process
    from trayapp.updates.source import updates_url

    return UpdateWatcher(
        running=__version__,
        load_settings=load_settings,
        check=lambda: read_latest_release_in_child_process(updates_url(os.environ)),
        memory_path=update_check_path(),
        on_update=on_update,
        on_alert=on_alert,
    )


def _set_start_at_login(enabled: bool) -> None:
    from trayapp.desktop import autostart

    try:
        autostart.set_enabled(enabled)
    except OSError:
        log.exception("Could not change start at login")


def record_history(account: str, snapshot: BalanceSnapshot) -> SpendRate:
    """Add an account's complete read to the history file; the spend it shows up to it (top-ups
    left out)."""
    from trayapp.desktop.paths import history_path
    from trayapp.outlook.forecast import spend_from_history
    from trayapp.outlook.history import record

    now = snapshot.fetched_at
    return spend_from_history(record(history_path(), now, snapshot.totals, account), now)
