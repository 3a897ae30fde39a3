"""`deepgram-tray _fetch`: one fetch for the tray, run in a child process (hidden from --help):
the balances at each poll, or (at most hourly) the spend rate and credit expiry.

Reads the request from stdin, finds the key itself (environment, then keyring) and writes the
answer to stdout; see trayapp.tray.worker_protocol. Failures the user should see are part of the
answer, so the exit status is 0 unless something unexpected happened. That includes a request it
cannot read, garbled or from another version of the app: the tray then says what to do.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone

from trayapp.credentials import require_api_key
from trayapp.deepgram.client import DeepgramClient
from trayapp.errors import DeepgramTrayError
from trayapp.outlook.fetch import read_forecast_inputs
from trayapp.tray.worker_protocol import (
    ForecastInputsRequest,
    decode_request,
    encode_failure,
    encode_forecast_inputs,
    encode_success,
)


def run_fetch_worker(args: argparse.Namespace) -> int:
    request = sys.stdin.buffer.read()
    try:
        fetch = decode_request(request)
        key = require_api_key()
        with DeepgramClient(fetch.api_url, key.value, timeouts=fetch.timeouts) as client:
            if isinstance(fetch, ForecastInputsRequest):
                today = datetime.now(timezone.utc).date()
                answer = encode_forecast_inputs(
                    read_forecast_inputs(client, fetch.project_ids, today)
                )
            else:
                projects = client.list_projects() if fetch.known is None else fetch.known
                snapshot = client.fetch_snapshot(fetch.watched, projects=projects)
                answer = encode_success(snapshot, projects)
    except DeepgramTrayError as exc:
        answer = encode_failure(exc)
    sys.stdout.buffer.write(answer)
    sys.stdout.flush()
    return 0
