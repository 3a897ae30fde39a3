"""What the tray and its fetch worker say to each other: versioned JSON on a pipe. Pure.

The tray runs each fetch in a short-lived child process (`deepgram-tray _fetch`), so the long-lived
UI process never loads requests, OpenSSL or keyring (about 20 MB of resident memory), and a hung or
crashing fetch cannot take the icon down.

Every request and answer is an envelope `{"protocol": PROTOCOL, ...}` whose whole shape is written
here, not borrowed from the CLI's JSON output, so a change to `balance --json` cannot change what
the tray reads. The child runs from the installed files: after an upgrade it may speak another
version than the tray still running, and the version says so instead of being misread. Amounts
cross as exact decimal text; errors cross as their `kind`, message and details, and are rebuilt
as the same classes on the other side.

One request reads every account (a part each, with its name: the worker finds each account's key
itself), and the answer has a part per account, each a success or that account's error, so one
account's bad key or outage never costs the others their read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from trayapp.credentials import DEFAULT_ACCOUNT
from trayapp.deepgram.models import (
    DEFAULT_TIMEOUTS,
    Balance,
    BalanceSnapshot,
    Project,
    ProjectBalances,
    Timeouts,
)
from trayapp.errors import (
    ApiError,
    DeepgramTrayError,
    RateLimitedError,
    ServerError,
    WorkerProtocolError,
    error_class_for,
)
from trayapp.outlook.forecast import Expiry, Forecast, ForecastInputs, SpendBasis, SpendRate
from trayapp.updates.release import Release

PROTOCOL = 2
"""The envelope's version: raise it whenever a message changes shape (2: a part per account)."""

MAX_ACCOUNTS_AT_ONCE = 4
"""How many accounts the worker reads side by side (each reads up to four projects at once)."""

READ_BALANCES = "balances"
READ_FORECAST_INPUTS = "forecast_inputs"
READ_LATEST_RELEASE = "latest_release"

OTHER_VERSION = (
    "The tray and its balance check are different versions of the app (probably upgraded while "
    "the tray was running): quit the tray and start it again."
)
_UNREADABLE_REQUEST = "The balance check was asked something unreadable: please report this bug."
_UNREADABLE_BALANCES = "The balance check returned something unreadable: please report this bug."
_UNREADABLE_SPEND = "The spend check returned something unreadable: please report this bug."
_UNREADABLE_RELEASE = "The update check returned something unreadable: please report this bug."

# What a document of the wrong shape raises while it is taken apart (InvalidOperation, from
# Decimal, is an ArithmeticError).
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, ArithmeticError)


# --- requests -----------------------------------------------------------------------------------


class FetchRequest(NamedTuple):
    """Read one account's balances."""

    api_url: str
    watched: tuple[str, ...]
    known: list[Project] | None
    """None: list the projects first."""
    timeouts: Timeouts = DEFAULT_TIMEOUTS
    account: str = DEFAULT_ACCOUNT
    """Whose key to read them with."""


class ForecastInputsRequest(NamedTuple):
    """Read the spend rate and credit expiry (billing breakdown, purchases) of these projects."""

    api_url: str
    project_ids: tuple[str, ...]
    timeouts: Timeouts = DEFAULT_TIMEOUTS
    account: str = DEFAULT_ACCOUNT


Request = FetchRequest | ForecastInputsRequest


def encode_requests(requests: Sequence[FetchRequest] | Sequence[ForecastInputsRequest]) -> bytes:
    """One request for every account's part (all of one kind)."""
    parts: list[dict[str, Any]] = []
    read = READ_BALANCES
    for request in requests:
        part: dict[str, Any] = {
            "account": request.account,
            "api_url": request.api_url,
            "timeouts": list(request.timeouts),
        }
        if isinstance(request, FetchRequest):
            part["watched"] = list(request.watched)
            part["known_projects"] = (
                None if request.known is None else [_project_document(p) for p in request.known]
            )
        else:
            read = READ_FORECAST_INPUTS
            part["project_ids"] = list(request.project_ids)
        parts.append(part)
    return _encode({"read": read, "accounts": parts})


def encode_request(request: FetchRequest) -> bytes:
    return encode_requests([request])


def encode_forecast_inputs_request(request: ForecastInputsRequest) -> bytes:
    return encode_requests([request])


def decode_requests(data: bytes) -> list[FetchRequest] | list[ForecastInputsRequest]:
    """Every account's part of a request; WorkerProtocolError when it is not one."""
    document = _load(data, _UNREADABLE_REQUEST)
    try:
        read, parts = document["read"], document["accounts"]
        if not isinstance(parts, list) or not parts:
            raise TypeError("no accounts")
        if read == READ_BALANCES:
            return [_fetch_request(part) for part in parts]
        if read == READ_FORECAST_INPUTS:
            return [_forecast_inputs_request(part) for part in parts]
    except _SHAPE_ERRORS as exc:
        raise WorkerProtocolError(_UNREADABLE_REQUEST) from exc
    raise WorkerProtocolError(_UNREADABLE_REQUEST)


def decode_request(data: bytes) -> Request:
    """The request of one account's part."""
    requests = decode_requests(data)
    if len(requests) != 1:
        raise WorkerProtocolError(_UNREADABLE_REQUEST)
    return requests[0]


def _fetch_request(part: dict[str, Any]) -> FetchRequest:
    known = part["known_projects"]
    return FetchRequest(
        _text(part["api_url"]),
        tuple(_text(p) for p in part["watched"]),
        None if known is None else [_project(p) for p in known],
        _timeouts(part["timeouts"]),
        _text(part["account"]),
    )


def _forecast_inputs_request(part: dict[str, Any]) -> ForecastInputsRequest:
    return ForecastInputsRequest(
        _text(part["api_url"]),
        tuple(_text(p) for p in part["project_ids"]),
        _timeouts(part["timeouts"]),
        _text(part["account"]),
    )


def _timeouts(value: object) -> Timeouts:
    if not isinstance(value, list):
        raise TypeError("timeouts are not a list")
    return Timeouts(*(float(t) for t in value))


# --- answers ------------------------------------------------------------------------------------


Balances = tuple[BalanceSnapshot, "list[Project]"]
"""One account's read: the snapshot, and the project list it was read with."""
BalancesAnswer = Balances | DeepgramTrayError
ForecastInputsAnswer = ForecastInputs | DeepgramTrayError


def encode_balances(answers: Sequence[tuple[str, BalancesAnswer]]) -> bytes:
    """Each account's read, or why it failed, by account name."""
    parts = []
    for account, answer in answers:
        if isinstance(answer, DeepgramTrayError):
            parts.append(_failed_part(account, answer))
            continue
        snapshot, projects = answer
        parts.append(
            {
                "account": account,
                "ok": True,
                "snapshot": snapshot_document(snapshot),
                "projects": [_project_document(p) for p in projects],
            }
        )
    return _encode({"read": READ_BALANCES, "ok": True, "accounts": parts})


def encode_success(snapshot: BalanceSnapshot, projects: list[Project]) -> bytes:
    """The answer to a one-account request."""
    return encode_balances([(DEFAULT_ACCOUNT, (snapshot, projects))])


def decode_balances(data: bytes) -> list[tuple[str, BalancesAnswer]]:
    """Each account's read or error, in the request's order; the worker's error raised again
    here when it failed as a whole."""
    parts = _load_parts(data, READ_BALANCES, _UNREADABLE_BALANCES)
    try:
        return [(_text(p["account"]), _balances_answer(p)) for p in parts]
    except _SHAPE_ERRORS as exc:
        raise WorkerProtocolError(_UNREADABLE_BALANCES) from exc


def _balances_answer(part: dict[str, Any]) -> BalancesAnswer:
    if part["ok"] is False:
        return _part_error(part)
    if part["ok"] is not True:
        raise ValueError("ok is not true or false")
    snapshot = snapshot_from_document(part["snapshot"])
    return snapshot, [_project(p) for p in part["projects"]]


def snapshot_document(snapshot: BalanceSnapshot) -> dict[str, Any]:
    """A snapshot as JSON-ready data, amounts as exact decimal text (also what the saved last
    read keeps: trayapp.tray.last_read)."""
    return {
        "fetched_at": snapshot.fetched_at.isoformat(),
        "projects": [_project_balances_document(p) for p in snapshot.projects],
    }


def snapshot_from_document(document: Any) -> BalanceSnapshot:
    """The snapshot `snapshot_document` wrote; KeyError, TypeError or ValueError (and Decimal's
    ArithmeticError) when it is not one."""
    return BalanceSnapshot(
        fetched_at=datetime.fromisoformat(_text(document["fetched_at"])),
        projects=tuple(_project_balances(p) for p in document["projects"]),
    )


_SPEND_BASES: dict[str, SpendBasis] = {"billing": "billing", "history": "history", "none": "none"}


def forecast_document(forecast: Forecast) -> dict[str, Any]:
    rate = forecast.rate
    return {
        "rate": {
            "basis": rate.basis,
            "per_day": _decimal_text(rate.per_day),
            "today": _decimal_text(rate.today),
        },
        "days_left": _decimal_text(forecast.days_left),
        "nearest_expiry": None
        if forecast.nearest_expiry is None
        else _expiry_document(forecast.nearest_expiry),
    }


def forecast_from_document(document: Any) -> Forecast:
    """The forecast `forecast_document` wrote; the same errors as `snapshot_from_document`."""
    rate, expiry = document["rate"], document["nearest_expiry"]
    basis = _SPEND_BASES[_text(rate["basis"])]
    return Forecast(
        SpendRate(basis, _decimal_or_none(rate["per_day"]), _decimal_or_none(rate["today"])),
        _decimal_or_none(document["days_left"]),
        None if expiry is None else _expiry(expiry),
    )


def decode_answer(data: bytes) -> Balances:
    """The answer to a one-account request: its snapshot and project list, or its error raised
    again here."""
    return _only(decode_balances(data), _UNREADABLE_BALANCES)


def encode_forecast_inputs_answers(answers: Sequence[tuple[str, ForecastInputsAnswer]]) -> bytes:
    parts = []
    for account, reading in answers:
        if isinstance(reading, DeepgramTrayError):
            parts.append(_failed_part(account, reading))
            continue
        billing, expiry = reading.billing, reading.expiry
        parts.append(
            {
                "account": account,
                "ok": True,
                "billing": None
                if billing is None
                else {
                    "per_day": _decimal_text(billing.per_day),
                    "today": _decimal_text(billing.today),
                },
                "expiry": None if expiry is None else _expiry_document(expiry),
                "expiry_read": reading.expiry_read,
            }
        )
    return _encode({"read": READ_FORECAST_INPUTS, "ok": True, "accounts": parts})


def encode_forecast_inputs(reading: ForecastInputs) -> bytes:
    """The answer to a one-account request."""
    return encode_forecast_inputs_answers([(DEFAULT_ACCOUNT, reading)])


def decode_forecast_inputs_answers(data: bytes) -> list[tuple[str, ForecastInputsAnswer]]:
    """Each account's ForecastInputs or error; the worker's error raised again here when it
    failed as a whole."""
    parts = _load_parts(data, READ_FORECAST_INPUTS, _UNREADABLE_SPEND)
    try:
        return [(_text(p["account"]), _forecast_inputs_answer(p)) for p in parts]
    except _SHAPE_ERRORS as exc:
        raise WorkerProtocolError(_UNREADABLE_SPEND) from exc


def decode_forecast_inputs(data: bytes) -> ForecastInputs:
    """The answer to a one-account request, or its error raised again here."""
    return _only(decode_forecast_inputs_answers(data), _UNREADABLE_SPEND)


def _forecast_inputs_answer(document: dict[str, Any]) -> ForecastInputsAnswer:
    if document["ok"] is False:
        return _part_error(document)
    if document["ok"] is not True:
        raise ValueError("ok is not true or false")
    billing_document, expiry_document = document["billing"], document["expiry"]
    billing = None
    if billing_document is not None:
        billing = SpendRate(
            "billing",
            _decimal_or_none(billing_document["per_day"]),
            _decimal_or_none(billing_document["today"]),
        )
    expiry = None if expiry_document is None else _expiry(expiry_document)
    expiry_read = document["expiry_read"]
    if not isinstance(expiry_read, bool):
        raise TypeError("expiry_read is not true or false")
    return ForecastInputs(billing, expiry, expiry_read=expiry_read)


def _expiry_document(expiry: Expiry) -> dict[str, Any]:
    return {
        "date": expiry.day.isoformat(),
        "amount": str(expiry.amount),
        "units": expiry.units,
        "project_id": expiry.project_id,
        "order_id": expiry.order_id,
        "order_type": expiry.order_type,
        "remaining": _decimal_text(expiry.remaining),
    }


def _expiry(document: dict[str, Any]) -> Expiry:
    return Expiry(
        date.fromisoformat(_text(document["date"])),
        _decimal(document["amount"]),
        _text(document["units"]),
        _text(document["project_id"]),
        _text_or_none(document["order_id"]),
        _text_or_none(document["order_type"]),
        _decimal_or_none(document["remaining"]),
    )


# --- the update check -----------------------------------------------------------------------------


class ReleaseRequest(NamedTuple):
    """Ask the update source which release is the latest. No account: no key is read for it."""

    url: str


def encode_release_request(request: ReleaseRequest) -> bytes:
    return _encode({"read": READ_LATEST_RELEASE, "url": request.url})


def decode_release_request(data: bytes) -> ReleaseRequest | None:
    """The request when it asks for the latest release; None when it asks for something else."""
    document = _load(data, _UNREADABLE_REQUEST)
    if document.get("read") != READ_LATEST_RELEASE:
        return None
    try:
        return ReleaseRequest(_text(document["url"]))
    except _SHAPE_ERRORS as exc:
        raise WorkerProtocolError(_UNREADABLE_REQUEST) from exc


def encode_release(release: Release | None) -> bytes:
    found = None if release is None else {"version": release.version, "page": release.page}
    return _encode({"read": READ_LATEST_RELEASE, "ok": True, "release": found})


def decode_release(data: bytes) -> Release | None:
    """The latest release the worker found (None: no final release); its error raised again
    here when it found none."""
    document = _load(data, _UNREADABLE_RELEASE)
    try:
        if document["ok"] is False:
            raise _part_error(document)
        if document["ok"] is not True or document["read"] != READ_LATEST_RELEASE:
            raise ValueError("not an answer to the update check")
        found = document["release"]
        return None if found is None else Release(_text(found["version"]), _text(found["page"]))
    except _SHAPE_ERRORS as exc:
        raise WorkerProtocolError(_UNREADABLE_RELEASE) from exc


def encode_failure(error: DeepgramTrayError) -> bytes:
    return _encode({"ok": False, "error": error_to_document(error)})


# --- errors -------------------------------------------------------------------------------------


def error_to_document(error: DeepgramTrayError) -> dict[str, Any]:
    document: dict[str, Any] = {"kind": error.kind, "message": error.message}
    if isinstance(error, ApiError):
        document.update(status=error.status, request_id=error.request_id)
    if isinstance(error, RateLimitedError):
        document["retry_after"] = error.retry_after
    return document


def error_from_document(document: dict[str, Any]) -> DeepgramTrayError:
    """The error a document describes, as its own class; a kind unknown here is a bug."""
    cls = error_class_for(str(document.get("kind")))
    message = str(document.get("message") or "The balance check failed.")
    status, request_id = document.get("status"), document.get("request_id")
    status = status if isinstance(status, int) else None
    request_id = request_id if isinstance(request_id, str) else None
    if issubclass(cls, RateLimitedError):
        retry_after = document.get("retry_after")
        return cls(
            message,
            status=status,
            request_id=request_id,
            retry_after=float(retry_after) if isinstance(retry_after, (int, float)) else None,
        )
    if issubclass(cls, ApiError):
        return cls(message, status=status, request_id=request_id)
    return cls(message)


def _api_error(document: object) -> ApiError:
    if not isinstance(document, dict):
        raise TypeError("an error is not an object")
    error = error_from_document(document)
    if isinstance(error, ApiError):
        return error
    return ServerError(error.message)


# --- the parts of a snapshot --------------------------------------------------------------------


def _project_document(project: Project) -> dict[str, str]:
    return {"project_id": project.project_id, "name": project.name}


def _project(document: dict[str, Any]) -> Project:
    return Project(_text(document["project_id"]), _text(document["name"]))


def _project_balances_document(entry: ProjectBalances) -> dict[str, Any]:
    return {
        "project": _project_document(entry.project),
        "balances": [
            {
                "balance_id": b.balance_id,
                "amount": str(b.amount),
                "units": b.units,
                "purchase_order_id": b.purchase_order_id,
            }
            for b in entry.balances
        ],
        "error": None if entry.error is None else error_to_document(entry.error),
    }


def _project_balances(document: dict[str, Any]) -> ProjectBalances:
    project = _project(document["project"])
    if document["error"] is not None:
        return ProjectBalances(project, error=_api_error(document["error"]))
    balances = tuple(
        Balance(
            balance_id=_text(b["balance_id"]),
            amount=_decimal(b["amount"]),
            units=_text(b["units"]),
            purchase_order_id=_text_or_none(b["purchase_order_id"]),
        )
        for b in document["balances"]
    )
    return ProjectBalances(project, balances)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not text")
    return value


def _text_or_none(value: object) -> str | None:
    return None if value is None else _text(value)


def _decimal(value: object) -> Decimal:
    """An amount, from the exact decimal text it crossed as."""
    return Decimal(_text(value))


def _decimal_or_none(value: object) -> Decimal | None:
    return None if value is None else _decimal(value)


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# --- the envelope -------------------------------------------------------------------------------


def _encode(document: dict[str, Any]) -> bytes:
    return json.dumps({"protocol": PROTOCOL, **document}).encode()


def _load_parts(data: bytes, read: str, unreadable: str) -> list[dict[str, Any]]:
    """The account parts of a worker's answer to a `read` request; its error raised again here
    when it failed as a whole."""
    document = _load(data, unreadable)
    if document.get("ok") is False:
        error = document.get("error")
        raise error_from_document(error if isinstance(error, dict) else {})
    parts = document.get("accounts")
    if document.get("ok") is not True or document.get("read") != read:
        raise WorkerProtocolError(unreadable)
    if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
        raise WorkerProtocolError(unreadable)
    return parts


T = TypeVar("T")


def _only(answers: list[tuple[str, T | DeepgramTrayError]], unreadable: str) -> T:
    """The one account's answer (its error raised) of a one-account request."""
    if len(answers) != 1:
        raise WorkerProtocolError(unreadable)
    answer = answers[0][1]
    if isinstance(answer, DeepgramTrayError):
        raise answer
    return answer


def _failed_part(account: str, error: DeepgramTrayError) -> dict[str, Any]:
    return {"account": account, "ok": False, "error": error_to_document(error)}


def _part_error(part: dict[str, Any]) -> DeepgramTrayError:
    error = part["error"]
    if not isinstance(error, dict):
        raise TypeError("an error is not an object")
    return error_from_document(error)


def _load(data: bytes, unreadable: str) -> dict[str, Any]:
    """The envelope's document, once it is known to be of this version."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WorkerProtocolError(unreadable) from exc
    if not isinstance(document, dict):
        raise WorkerProtocolError(unreadable)
    version = document.get("protocol")
    # An envelope without a version comes from before versions existed: another version too.
    if isinstance(version, bool) or version != PROTOCOL:
        raise WorkerProtocolError(OTHER_VERSION)
    return document
