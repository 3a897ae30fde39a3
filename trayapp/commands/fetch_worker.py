"""`deepgram-tray _fetch`: one fetch for the tray, run in a child process (hidden from --help):
the balances of every account at each poll, (at most hourly) their spend rate and credit expiry,
or (at most daily) the app's latest release, for the update notice.

Reads the request from stdin, finds each account's key itself (environment, then keyring; one
account after the other), reads the accounts side by side, and writes the answer to stdout; see
trayapp.tray.worker_protocol. Failures the user should see are part of the answer (an account's
own, or the whole request's), so the exit status is 0 unless something unexpected happened. That
includes a request it cannot read, garbled or from another version of the app: the tray then says
what to do.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import TypeVar

from trayapp.account_advice import for_account, snapshot_for_account
from trayapp.credentials import ApiKey, require_api_key
from trayapp.deepgram.client import DeepgramClient
from trayapp.errors import DeepgramTrayError
from trayapp.outlook.fetch import read_forecast_inputs
from trayapp.outlook.forecast import ForecastInputs
from trayapp.tray.worker_protocol import (
    MAX_ACCOUNTS_AT_ONCE,
    Balances,
    FetchRequest,
    ForecastInputsRequest,
    decode_release_request,
    decode_requests,
    encode_balances,
    encode_failure,
    encode_forecast_inputs_answers,
    encode_release,
)
from trayapp.updates.source import read_latest_release


def run_fetch_worker(args: argparse.Namespace) -> int:
    request = sys.stdin.buffer.read()
    try:
        answer = _answer(request)
    except DeepgramTrayError as exc:
        answer = encode_failure(exc)
    sys.stdout.buffer.write(answer)
    sys.stdout.flush()
    return 0


def _answer(request: bytes) -> bytes:
    """The answer to `request`; DeepgramTrayError when it fails as a whole."""
    release_request = decode_release_request(request)
    if release_request is not None:
        # The update check reads no key: it is not about any account.
        return encode_release(read_latest_release(release_request.url))
    requests = decode_requests(request)
    keys = _keys(requests)
    if isinstance(requests[0], ForecastInputsRequest):
        forecasts = [r for r in requests if isinstance(r, ForecastInputsRequest)]
        inputs = _each(_forecast_inputs, forecasts, keys)
        return encode_forecast_inputs_answers(
            [(r.account, one) for r, one in zip(forecasts, inputs, strict=True)]
        )
    balances = [r for r in requests if isinstance(r, FetchRequest)]
    read = _each(_balances, balances, keys)
    return encode_balances([(r.account, one) for r, one in zip(balances, read, strict=True)])


Key = ApiKey | DeepgramTrayError


def _keys(requests: Sequence[FetchRequest | ForecastInputsRequest]) -> list[Key]:
    """Each account's key, or why there is none: one account after the other, so that a keyring
    that asks (an unlock dialog) asks once, never several times at once."""
    keys: list[Key] = []
    for request in requests:
        try:
            keys.append(require_api_key(account=request.account))
        except DeepgramTrayError as exc:
            keys.append(for_account(exc, request.account))
    return keys


R = TypeVar("R", FetchRequest, ForecastInputsRequest)
A = TypeVar("A")


def _each(
    read: Callable[[R, ApiKey], A], requests: list[R], keys: list[Key]
) -> list[A | DeepgramTrayError]:
    """`read` for every account that has a key, all at once: accounts are read side by side, so
    a poll of several takes about as long as its slowest account, not their sum."""

    def one(request: R, key: Key) -> A | DeepgramTrayError:
        if isinstance(key, DeepgramTrayError):
            return key
        try:
            return read(request, key)
        except DeepgramTrayError as exc:
            return for_account(exc, request.account)

    if len(requests) == 1:
        return [one(requests[0], keys[0])]
    with ThreadPoolExecutor(max_workers=min(len(requests), MAX_ACCOUNTS_AT_ONCE)) as pool:
        return list(pool.map(one, requests, keys))


def _balances(request: FetchRequest, key: ApiKey) -> Balances:
    with DeepgramClient(request.api_url, key.value, timeouts=request.timeouts) as client:
        projects = client.list_projects() if request.known is None else request.known
        snapshot = client.fetch_snapshot(request.watched, projects=projects)
        return snapshot_for_account(snapshot, request.account), projects


def _forecast_inputs(request: ForecastInputsRequest, key: ApiKey) -> ForecastInputs:
    with DeepgramClient(request.api_url, key.value, timeouts=request.timeouts) as client:
        today = datetime.now(timezone.utc).date()
        return read_forecast_inputs(client, request.project_ids, today)
