"""Run the real TrayApp on pystray's xorg backend and change its image ten times, a few
milliseconds apart, as a poll against a quick server does; then stay until stopped:
`python -m tests.support.xorg_redraw_probe`.
"""

from __future__ import annotations

import os
import threading
import time

os.environ["PYSTRAY_BACKEND"] = "xorg"

from tests.support.tray_states import state_with
from trayapp.tray.app import TrayApp, load_backend

CHANGES = 10
APART = 0.005
"""Seconds between changes: pacing like a poller's, not a wait for anything."""


def main() -> None:
    backend, icon_class = load_backend()
    app = TrayApp(
        backend=backend,
        icon_class=icon_class,
        initial_state=state_with("128.32", refreshing=True),
        on_refresh=lambda: None,
        on_quit=lambda: None,
    )

    def drive() -> None:
        for n in range(CHANGES):
            # Ends not refreshing: a green badge.
            app.show(state_with("128.32", refreshing=n % 2 == 0))
            time.sleep(APART)
        print("changed", flush=True)

    app.run(on_ready=lambda: threading.Thread(target=drive, daemon=True).start())


if __name__ == "__main__":
    main()
