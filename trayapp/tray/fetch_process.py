"""Run one fetch in a child process (`deepgram-tray _fetch`) and read its answer.

Keeps requests, OpenSSL and keyring out of the long-lived tray process; see worker_protocol. One
run reads every account the poll asks for.
"""

from __future__ import annotations

import logging
import math
import subprocess

from trayapp.config import Settings
from trayapp.deepgram.models import DEFAULT_TIMEOUTS, Project, Timeouts
from trayapp.desktop.self_command import own_command
from trayapp.errors import DeepgramTrayError, NetworkError, WorkerProtocolError
from trayapp.outlook.forecast import ForecastInputs
from trayapp.redaction import redact
from trayapp.tray.poller import AccountRead, FetchAnswer, FetchResult, ForecastRead
from trayapp.tray.worker_protocol import (
    MAX_ACCOUNTS_AT_ONCE,
    FetchRequest,
    ForecastInputsAnswer,
    ForecastInputsRequest,
    ReleaseRequest,
    decode_answer,
    decode_balances,
    decode_forecast_inputs,
    decode_forecast_inputs_answers,
    decode_release,
    encode_forecast_inputs_request,
    encode_release_request,
    encode_request,
    encode_requests,
)
from trayapp.updates.release import Release

log = logging.getLogger(__name__)


WORKER_START_SECONDS = 10.0
"""Time for the worker process to start and answer, besides the calls themselves."""


def worker_deadline(timeouts: Timeouts, accounts: int = 1) -> float:
    """The worker's calls end within the refresh's deadline (or, for the forecast's inputs, a few
    calls' totals) for each round of accounts read side by side; past that and its start-up, it
    is stuck, and stopped."""
    rounds = math.ceil(max(1, accounts) / MAX_ACCOUNTS_AT_ONCE)
    return max(timeouts.refresh, 4 * timeouts.total) * rounds + WORKER_START_SECONDS


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


def fetch_accounts_in_child_process(
    reads: list[AccountRead], *, timeouts: Timeouts = DEFAULT_TIMEOUTS
) -> list[FetchAnswer]:
    """Every account's balances in one worker run: a FetchResult or an error per read."""
    requests = [
        FetchRequest(r.settings.api_url, r.settings.projects, r.known, timeouts, r.account)
        for r in reads
    ]
    answers = decode_balances(_run_worker(encode_requests(requests), timeouts, len(reads)))
    _check_accounts([name for name, _ in answers], reads)
    return [
        answer
        if isinstance(answer, DeepgramTrayError)
        else FetchResult(snapshot=answer[0], projects=answer[1])
        for _, answer in answers
    ]


def fetch_forecast_inputs_of_accounts_in_child_process(
    reads: list[ForecastRead], *, timeouts: Timeouts = DEFAULT_TIMEOUTS
) -> list[ForecastInputsAnswer]:
    """Every account's spend and expiry in one worker run."""
    requests = [
        ForecastInputsRequest(r.settings.api_url, tuple(r.project_ids), timeouts, r.account)
        for r in reads
    ]
    data = _run_worker(encode_requests(requests), timeouts, len(reads))
    answers = decode_forecast_inputs_answers(data)
    _check_accounts([name for name, _ in answers], reads)
    return [answer for _, answer in answers]


def _check_accounts(answered: list[str], reads: list[AccountRead] | list[ForecastRead]) -> None:
    """The worker answers each account asked, in order: anything else is a broken worker."""
    if answered != [r.account for r in reads]:
        raise WorkerProtocolError(
            "The balance check answered for other accounts than it was asked: please report it."
        )


def read_latest_release_in_child_process(url: str) -> Release | None:
    """The app's latest final release, as the update source at `url` names it (for the update
    notice); the worker's error raised again here when it could not tell."""
    from trayapp.updates.source import CHECK_SECONDS

    answer = _run_worker(
        encode_release_request(ReleaseRequest(url)),
        deadline=CHECK_SECONDS + WORKER_START_SECONDS,
        what="The update check",
    )
    return decode_release(answer)


def _run_worker(
    request: bytes,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
    accounts: int = 1,
    *,
    deadline: float | None = None,
    what: str = "The balance check",
) -> bytes:
    """The worker's answer; NetworkError when it overran, WorkerProtocolError when it broke."""
    if deadline is None:
        deadline = worker_deadline(timeouts, accounts)
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
            f"{what} took longer than {deadline:.0f} s: check your connection; it will be retried."
        ) from exc
    except OSError as exc:
        raise WorkerProtocolError(
            f"{what} could not be started ({type(exc).__name__}): reinstall the app."
        ) from exc
    if completed.returncode != 0:
        log.error(
            "The fetch worker exited with %s: %s",
            completed.returncode,
            redact(completed.stderr.decode(errors="replace"))[-2000:],
        )
        raise WorkerProtocolError(
            f"{what} failed unexpectedly: the log file has details; please report it."
        )
    return completed.stdout
