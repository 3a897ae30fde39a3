"""`deepgram-tray _fetch`: one fetch for the tray, run in a child process (hidden from --help).

Reads the request from stdin, finds the key itself (environment, then keyring) and writes the
answer to stdout; see trayapp.worker_protocol. Failures the user should see are part of the answer,
so the exit status is 0 unless something unexpected happened.
"""

from __future__ import annotations

import argparse
import sys

from trayapp.api import DeepgramClient
from trayapp.credentials import require_api_key
from trayapp.errors import DeepgramTrayError
from trayapp.worker_protocol import decode_request, encode_failure, encode_success


def run_fetch_worker(args: argparse.Namespace) -> int:
    request = sys.stdin.buffer.read()
    try:
        fetch = decode_request(request)
        key = require_api_key()
        with DeepgramClient(fetch.api_url, key.value, timeouts=fetch.timeouts) as client:
            projects = client.list_projects() if fetch.known is None else fetch.known
            snapshot = client.fetch_snapshot(fetch.watched, projects=projects)
        answer = encode_success(snapshot, projects)
    except DeepgramTrayError as exc:
        answer = encode_failure(exc)
    sys.stdout.buffer.write(answer)
    sys.stdout.flush()
    return 0
