"""The real tray on a clock the test moves: simulated hours in moments, every due poll real.

TrayApp runs on the recording pystray backend with its UI loop on its own thread, wired to the
real Poller exactly as `deepgram-tray run` wires them; each due poll runs the real fetch worker
(`deepgram-tray _fetch`, a child process) against the test HTTP server. Only time is simulated:
the test steps the poller itself instead of its thread, at each moment the poller says it is next
due, so backoff, Retry-After, staleness and refresh bursts play out exactly as they would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone

from tests.support.clock import FakeClock
from tests.support.colours import dominant_family
from tests.support.recording_backend import RecordingIcon
from trayapp.config import Settings
from trayapp.deepgram.models import Project, Timeouts
from trayapp.tray.app import TrayApp
from trayapp.tray.fetch_process import (
    fetch_forecast_inputs_in_child_process,
    fetch_in_child_process,
)
from trayapp.tray.notifications import Alert
from trayapp.tray.poller import Fetch, FetchResult, Poller
from trayapp.tray.render import tooltip_text

# Faults that stall (hang, trickle) cost real seconds: keep the client's limits short here.
QUICK_TIMEOUTS = Timeouts(connect=2.0, read=1.0, total=2.0)


class TrayHarness:
    def __init__(
        self,
        settings: Settings,
        *,
        fetch: Fetch | None = None,
        load_settings: Callable[[], Settings] | None = None,
        timeouts: Timeouts = QUICK_TIMEOUTS,
        icon_class: type[RecordingIcon] = RecordingIcon,
        read_forecast_inputs: bool = False,
    ) -> None:
        """`read_forecast_inputs`: also read spend and expiry (hourly) through the real worker."""
        self.settings = settings
        self.clock = FakeClock()
        self.fetch_times: list[float] = []
        """Simulated monotonic time of every fetch the poller started."""
        self.alerts: list[Alert] = []
        self._fetch = fetch or (
            lambda s, known: fetch_in_child_process(s, known, timeouts=timeouts)
        )
        self.poller = Poller(
            load_settings=load_settings or (lambda: self.settings),
            fetch=self._counted_fetch,
            on_state=lambda state: self.app.show(state),
            on_alert=self._alert,
            clock=self.clock.clock,
            wall_now=lambda: datetime.fromtimestamp(self.clock.wall, timezone.utc),
            fetch_forecast_inputs=(
                (lambda s, ids: fetch_forecast_inputs_in_child_process(s, ids, timeouts=timeouts))
                if read_forecast_inputs
                else None
            ),
        )
        self.app = TrayApp(
            backend="dummy",  # the recording backend needs no backend-specific hooks
            icon_class=icon_class,
            initial_state=self.poller.state,
            on_refresh=self.poller.refresh,
            on_quit=self.poller.stop,
            on_settings=lambda: None,
            start_at_login=lambda: False,
            set_start_at_login=lambda enabled: None,
            open_url=lambda url: None,
        )
        assert isinstance(self.app.icon, RecordingIcon)
        self.icon = self.app.icon
        ready = threading.Event()
        self._ui = threading.Thread(target=self.app.run, args=(ready.set,), name="ui")
        self._ui.start()
        assert ready.wait(20), "the UI loop did not start"

    def _counted_fetch(self, settings: Settings, known: list[Project] | None) -> FetchResult:
        self.fetch_times.append(self.clock.mono)
        return self._fetch(settings, known)

    def _alert(self, alert: Alert) -> None:
        self.alerts.append(alert)
        self.app.notify(alert)

    # --- time -------------------------------------------------------------------------------

    def run_for(self, seconds: float) -> None:
        """Let `seconds` of simulated time pass, stepping the poller whenever it is due."""
        end = self.clock.mono + seconds
        self.poller.step()
        while True:
            wait = self.poller.seconds_until_next_turn()
            if self.clock.mono + wait > end:
                self.clock.advance(end - self.clock.mono)
                self.poller.step()
                break
            self.clock.advance(max(wait, 0.001))
            self.poller.step()
        self.settle()

    def fetches_between(self, start: float, end: float) -> list[float]:
        return [t for t in self.fetch_times if start <= t < end]

    # --- the UI -----------------------------------------------------------------------------

    def settle(self) -> None:
        """Wait until the UI thread has applied everything queued so far."""
        done = threading.Event()
        self.icon.run_on_ui_thread(done.set)
        assert done.wait(10), "the UI thread stopped answering"

    def click(self, text: str) -> None:
        self.icon.click(text)
        self.settle()

    def menu(self) -> list[str]:
        return [t.strip() for t in self.icon.menu_texts()]

    def tooltip(self) -> str:
        return str(self.icon.title or "")

    def colour(self) -> str | None:
        return dominant_family(self.icon.icon) if self.icon.icon is not None else None

    def shows_poller_state(self) -> bool:
        return self.tooltip() == tooltip_text(replace(self.poller.state))

    def ui_texts(self) -> str:
        """Everything the user could read: tooltips, menus and notifications, ever."""
        parts = [self.tooltip(), *(str(t) for t in self.icon.recorded("title"))]
        parts += [" ".join(m) for m in self.icon.recorded("menu")]
        parts += [f"{title} {message}" for title, message in self.icon.recorded("notify")]
        return "\n".join(parts)

    # --- the end ----------------------------------------------------------------------------

    def close(self) -> None:
        self.app.quit()
        self._ui.join(timeout=10)
        assert not self._ui.is_alive(), "the UI loop did not stop"
