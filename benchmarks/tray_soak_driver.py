"""Run the real tray (the chosen pystray backend, the real Poller and fetch worker) for N polls on
a fake clock, and print its resident memory after start and after the polls as JSON.

    python benchmarks/tray_soak_driver.py POLLS     (needs DISPLAY, DEEPGRAM_TRAY_API_URL and a key;
                                                     writes its history under XDG_DATA_HOME)

benchmarks/run.py starts it on Xvfb next to a minimal pystray icon.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.clock import FakeClock
from trayapp.commands.run import record_history
from trayapp.config import Settings
from trayapp.deepgram.models import Project
from trayapp.tray.app import TrayApp, load_backend
from trayapp.tray.fetch_process import (
    fetch_forecast_inputs_in_child_process,
    fetch_in_child_process,
)
from trayapp.tray.poller import FetchResult, Poller


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def main() -> None:
    polls = int(sys.argv[1])
    backend, icon_class = load_backend()
    clock = FakeClock()
    settings = Settings(api_url=os.environ["DEEPGRAM_TRAY_API_URL"])
    fetched = [0]

    def fetch(s: Settings, known: list[Project] | None) -> FetchResult:
        fetched[0] += 1
        return fetch_in_child_process(s, known)

    poller = Poller(
        load_settings=lambda: settings,
        fetch=fetch,
        on_state=lambda state: app.show(state),
        on_alert=lambda alert: app.notify(alert),
        clock=clock.clock,
        # As `deepgram-tray run` wires it: the history file, and spend and expiry hourly.
        record_account_history=record_history,
        fetch_forecast_inputs=fetch_forecast_inputs_in_child_process,
    )
    app = TrayApp(
        backend=backend,
        icon_class=icon_class,
        initial_state=poller.state,
        on_refresh=poller.refresh,
        on_quit=poller.stop,
    )
    result: dict[str, float] = {}

    def drive() -> None:
        poller.step()
        time.sleep(2)  # the icon drawn and settled
        result["rss_start_mib"] = rss_mib()
        result["threads_start"] = threading.active_count()
        while fetched[0] < polls + 1:
            clock.advance(max(poller.seconds_until_next_turn(), 0.001))
            poller.step()
        time.sleep(2)
        result["rss_end_mib"] = rss_mib()
        result["threads_end"] = threading.active_count()
        result["polls"] = fetched[0] - 1
        app.quit()

    app.run(lambda: threading.Thread(target=drive, name="soak", daemon=True).start())
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
