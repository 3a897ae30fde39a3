"""`deepgram-tray _fetch`: one fetch for the tray, run in a child process (hidden from --help):
the balances of every account at each poll, or (at most hourly) their spend rate and credit expiry.

Reads the request from stdin, finds each account's key itself (environment, then keyring) and
writes the answer to stdout; see trayapp.tray.worker_protocol. Failures the user should see are
part of the answer (an account's own, or the whole request's), so the exit status is 0 unless
something unexpected happened. That includes a request it cannot read, garbled or from another
version of the app: the tray then says what to do.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone

from trayapp.account_advice import for_account, snapshot_for_account
from trayapp.credentials import require_api_key
from trayapp.deepgram.client import DeepgramClient
from trayapp.errors import DeepgramTrayError
from trayapp.outlook.fetch import read_forecast_inputs
from trayapp.tray.worker_protocol import (
    BalancesAnswer,
    FetchRequest,
    ForecastInputsAnswer,
    ForecastInputsRequest,
    decode_requests,
    encode_balances,
    encode_failure,
    encode_forecast_inputs_answers,
)


def run_fetch_worker(args: argparse.Namespace) -> int:
    request = sys.stdin.buffer.read()
    try:
        requests = decode_requests(request)
    except DeepgramTrayError as exc:
        answer = encode_failure(exc)
    else:
        # One account after the other: the keyring is asked once per account, never at once.
        if isinstance(requests[0], ForecastInputsRequest):
            answer = encode_forecast_inputs_answers(
                [
                    (r.account, _forecast_inputs(r))
                    for r in requests
                    if isinstance(r, ForecastInputsRequest)
                ]
            )
        else:
            answer = encode_balances(
                [(r.account, _balances(r)) for r in requests if isinstance(r, FetchRequest)]
            )
    sys.stdout.buffer.write(answer)
    sys.stdout.flush()
    return 0


def _balances(request: FetchRequest) -> BalancesAnswer:
    try:
        key = require_api_key(account=request.account)
        with DeepgramClient(request.api_url, key.value, timeouts=request.timeouts) as client:
            projects = client.list_projects() if request.known is None else request.known
            snapshot = client.fetch_snapshot(request.watched, projects=projects)
            return snapshot_for_account(snapshot, request.account), projects
    except DeepgramTrayError as exc:
        return for_account(exc, request.account)


def _forecast_inputs(request: ForecastInputsRequest) -> ForecastInputsAnswer:
    try:
        key = require_api_key(account=request.account)
        with DeepgramClient(request.api_url, key.value, timeouts=request.timeouts) as client:
            today = datetime.now(timezone.utc).date()
            return read_forecast_inputs(client, request.project_ids, today)
    except DeepgramTrayError as exc:
        return for_account(exc, request.account)
