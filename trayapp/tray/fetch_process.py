"""Run one fetch in a child process (`deepgram-tray _fetch`) and read its answer.

Keeps requests, OpenSSL and keyring out of the long-lived tray process; see worker_protocol.
"""

from __future__ import annotations

import logging
import subprocess

from trayapp.config import Settings
from trayapp.deepgram.models import DEFAULT_TIMEOUTS, Project, Timeouts
from trayapp.desktop.self_command import own_command
from trayapp.errors import NetworkError, WorkerProtocolError
from trayapp.outlook.forecast import ForecastInputs
from trayapp.redaction import redact
from trayapp.tray.poller import FetchResult
from trayapp.tray.worker_protocol import (
    FetchRequest,
    ForecastInputsRequest,
    decode_answer,
    decode_forecast_inputs,
    encode_forecast_inputs_request,
    encode_request,
)

log = logging.getLogger(__name__)


WORKER_START_SECONDS = 10.0
"""Time for the worker process to start and answer, besides the calls themselves."""


def worker_deadline(timeouts: Timeouts) -> float:
    """The worker's calls end within the refresh's deadline (or, for the forecast's inputs, a few
    calls' totals); past that and its start-up, it is stuck, and stopped."""
    return max(timeouts.refresh, 4 * timeouts.total) + WORKER_START_SECONDS


def worker_command() -> list[str]:
    return own_command("_fetch")


def fetch_in_child_process(
    settings: Settings, known: list[Project] | None, *, timeouts: Timeouts = DEFAULT_TIMEOUTS
) -> FetchResult:
    request = FetchRequest(settings.api_url, settings.projects, known, timeouts)
    snapshot, projects = decode_answer(_run_worker(encode_request(request), timeouts))
    return FetchResult(snapshot=snapshot, projects=projects)


def fetch_forecast_inputs_in_child_process(
    settings: Settings, project_ids: list[str], *, timeouts: Timeouts = DEFAULT_TIMEOUTS
) -> ForecastInputs:
    request = ForecastInputsRequest(settings.api_url, tuple(project_ids), timeouts)
    return decode_forecast_inputs(_run_worker(encode_forecast_inputs_request(request), timeouts))


def _run_worker(request: bytes, timeouts: Timeouts) -> bytes:
    """The worker's answer; NetworkError when it overran, WorkerProtocolError when it broke."""
    deadline = worker_deadline(timeouts)
    # A windowed app on Windows would flash a console for the child without this flag.
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    try:
        completed = subprocess.run(
            worker_command(),
            input=request,
            capture_output=True,
            timeout=deadline,
            creationflags=flags,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise NetworkError(
            f"The balance check took longer than {deadline:.0f} s: check your connection; "
            "it will be retried."
        ) from exc
    except OSError as exc:
        raise WorkerProtocolError(
            f"The balance check could not be started ({type(exc).__name__}): reinstall the app."
        ) from exc
    if completed.returncode != 0:
        log.error(
            "The fetch worker exited with %s: %s",
            completed.returncode,
            redact(completed.stderr.decode(errors="replace"))[-2000:],
        )
        raise WorkerProtocolError(
            "The balance check failed unexpectedly: the log file has details; please report it."
        )
    return completed.stdout
