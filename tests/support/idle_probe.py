"""Run the real TrayApp on pystray's gtk backend, show 50 states, and print as JSON how many GLib
idle sources that took and the menu's first line: `python -m tests.support.idle_probe`.

PyGObject before 3.44.2 leaks each idle source, so after start-up the tray must make none.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

os.environ["PYSTRAY_BACKEND"] = "gtk"

from gi.repository import GLib, GObject

from tests.support.tray_states import state_with
from trayapp.tray.app import TrayApp, load_backend


def menu_labels(icon: Any) -> list[str]:
    return [item.get_label() for item in icon._menu_handle.get_children()]


def main() -> None:
    backend, icon_class = load_backend()
    app = TrayApp(
        backend=backend,
        icon_class=icon_class,
        initial_state=state_with("128.32"),
        on_refresh=lambda: None,
        on_quit=lambda: None,
    )
    sources: list[str] = []
    result: dict[str, Any] = {}

    def on_ui_thread(action: Any) -> None:
        done = threading.Event()
        app._dispatch(lambda: (action(), done.set()))
        assert done.wait(20), "the UI loop did not answer"

    def drive() -> None:
        on_ui_thread(lambda: None)  # the icon is shown
        originals = GLib.idle_add, GObject.idle_add
        GLib.idle_add = lambda *a, **k: sources.append("GLib") or originals[0](*a, **k)
        GObject.idle_add = lambda *a, **k: sources.append("GObject") or originals[1](*a, **k)
        try:
            for n in range(50):
                app.show(state_with(f"{100 + n}.00", refreshing=n % 2 == 0))
            on_ui_thread(lambda: None)  # every change applied
        finally:
            GLib.idle_add, GObject.idle_add = originals
        on_ui_thread(
            lambda: result.update(
                menu=[i.get_label() for i in app.icon._menu_handle.get_children()]
            )
        )
        result["idle_sources"] = len(sources)
        app.quit()

    app.run(on_ready=lambda: threading.Thread(target=drive, daemon=True).start())
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
