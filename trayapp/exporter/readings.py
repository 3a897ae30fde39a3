"""The exporter's reads of Deepgram: the tray's own Poller, run headless, and what it last read.

The Poller brings the tray's rules with it: one read per `poll_interval`, exponential backoff
with jitter after failures, Retry-After honoured, the project list re-read at most hourly, spend
and expiry at most hourly, settings re-read at each poll. Scrapes only look at what it last
published, so however often Prometheus scrapes, Deepgram is read on that schedule alone.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from trayapp.config import Settings
from trayapp.deepgram.models import Project
from trayapp.errors import DeepgramTrayError
from trayapp.exporter.families import ExporterView
from trayapp.outlook.forecast import ForecastInputs, SpendRate
from trayapp.tray.last_read import ReadSaver, is_complete
from trayapp.tray.poller import Fetch, FetchResult, Poller
from trayapp.tray.scheduler import Clock
from trayapp.tray.state import Thresholds, TrayState

log = logging.getLogger(__name__)

FetchForecastInputs = Callable[[Settings, "list[str]"], ForecastInputs]


class ExporterReadings:
    """Runs the Poller on a thread of its own and keeps, under a lock, what scrapes serve."""

    def __init__(
        self,
        *,
        load_settings: Callable[[], Settings],
        fetch: Fetch,
        fetch_forecast_inputs: FetchForecastInputs,
        last_read_path: Path | None,
        clock: Clock | None = None,
        account: str = "default",
        settings: Settings | None = None,
    ) -> None:
        self.account = account
        self.fallback_settings = settings if settings is not None else load_settings()
        """The settings a scrape reports before the first read (its poll interval, thresholds)."""
        self._lock = threading.Lock()
        self._state: TrayState | None = None
        self._project_spend: Mapping[str, SpendRate] = {}
        self._reads: Counter[str] = Counter()
        self._up = False
        self._saver = ReadSaver(last_read_path) if last_read_path is not None else None
        self._last_success: datetime | None = None
        self._read_with: Settings | None = None
        """The settings of the last read (its URL and projects are saved with it)."""
        self._fetch = fetch
        self._fetch_forecast_inputs = fetch_forecast_inputs
        self.poller = Poller(
            load_settings=load_settings,
            fetch=self._counted_fetch,
            on_state=self._on_state,
            on_alert=lambda alert: None,  # alerts are the monitoring stack's job
            clock=clock or Clock(time.monotonic, time.time),
            fetch_forecast_inputs=self._captured_forecast_inputs,
        )
        self._thread = threading.Thread(target=self.poller.run, name="deepgram-reads", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop reading; a read in progress finishes first (within its own deadline)."""
        self.poller.stop()
        self._thread.join(timeout)

    # --- what a scrape sees ------------------------------------------------------------------

    def view(self, settings: Settings) -> ExporterView:
        """What to serve; `settings` are those in effect when nothing was read yet."""
        settings = self._read_with or settings
        with self._lock:
            state, spend, reads, up = self._state, self._project_spend, dict(self._reads), self._up
            last_success = self._last_success
        snapshot = state.snapshot if state is not None else None
        thresholds = state.thresholds if state is not None else Thresholds.from_settings(settings)
        return ExporterView(
            thresholds=thresholds,
            poll_interval=settings.poll_interval,
            snapshot=snapshot,
            forecast=state.forecast if state is not None else None,
            project_spend=spend,
            up=up,
            last_success=last_success,
            reads=reads,
            account=self.account,
        )

    def health(self) -> tuple[bool, str]:
        """Whether the reads go on, and the state of the last one in a few words."""
        alive = self._thread.is_alive()
        with self._lock:
            state, up = self._state, self._up
        if not alive:
            return False, "the reading thread has stopped"
        if state is None or (state.snapshot is None and state.error is None):
            return True, "starting: the first read is under way"
        if up:
            return True, "reading Deepgram"
        reason = state.error.user_message() if state.error is not None else "some projects failed"
        return True, f"the last read failed: {reason}"

    # --- the Poller's callbacks (on the reading thread) --------------------------------------

    def _counted_fetch(self, settings: Settings, known: list[Project] | None) -> FetchResult:
        self._read_with = settings
        try:
            result = self._fetch(settings, known)
        except DeepgramTrayError:
            self._count(False)
            raise
        self._count(is_complete(result.snapshot))
        return result

    def _count(self, success: bool) -> None:
        with self._lock:
            self._reads["success" if success else "failure"] += 1
            self._up = success

    def _captured_forecast_inputs(self, settings: Settings, ids: list[str]) -> ForecastInputs:
        inputs = self._fetch_forecast_inputs(settings, ids)
        with self._lock:
            self._project_spend = dict(inputs.billing_by_project)
        return inputs

    def _on_state(self, state: TrayState) -> None:
        snapshot, settings = state.snapshot, self._read_with
        complete = snapshot is not None and is_complete(snapshot) and state.error is None
        with self._lock:
            self._state = state
            if complete and snapshot is not None:
                self._last_success = snapshot.fetched_at
        if self._saver is not None and settings is not None:
            self._saver.offer(
                snapshot,
                state.forecast,
                failed=state.error is not None,
                api_url=settings.api_url,
                asked=settings.projects,
            )
