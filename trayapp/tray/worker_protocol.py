"""What the tray and its fetch worker say to each other: JSON on a pipe. Pure.

The tray runs each fetch in a short-lived child process (`deepgram-tray _fetch`), so the long-lived
UI process never loads requests, OpenSSL or keyring (about 20 MB of resident memory), and a hung or
crashing fetch cannot take the icon down. Amounts cross as exact decimal text; errors cross as
their `kind`, message and details, and are rebuilt as the same classes on the other side.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, NamedTuple

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
    AuthError,
    ConfigError,
    DeepgramTrayError,
    KeyringUnavailableError,
    MalformedResponseError,
    MissingKeyError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
)
from trayapp.formats import render_json
from trayapp.outlook.forecast import Expiry, ForecastInputs, SpendRate

ERROR_CLASSES: dict[str, type[DeepgramTrayError]] = {
    cls.kind: cls
    for cls in (
        DeepgramTrayError,
        ConfigError,
        MissingKeyError,
        KeyringUnavailableError,
        AuthError,
        PermissionDeniedError,
        NotFoundError,
        RateLimitedError,
        ServerError,
        NetworkError,
        MalformedResponseError,
    )
}


class WorkerProtocolError(DeepgramTrayError):
    """The worker's answer could not be read: a bug, reported as such."""


# --- requests -----------------------------------------------------------------------------------


class FetchRequest(NamedTuple):
    api_url: str
    watched: tuple[str, ...]
    known: list[Project] | None
    """None: list the projects first."""
    timeouts: Timeouts = DEFAULT_TIMEOUTS


class ForecastInputsRequest(NamedTuple):
    """Read the spend rate and credit expiry (billing breakdown, purchases) of these projects."""

    api_url: str
    project_ids: tuple[str, ...]
    timeouts: Timeouts = DEFAULT_TIMEOUTS


def encode_forecast_inputs_request(request: ForecastInputsRequest) -> bytes:
    document = {
        "read": "forecast_inputs",
        "api_url": request.api_url,
        "project_ids": list(request.project_ids),
        "timeouts": list(request.timeouts),
    }
    return json.dumps(document).encode()


def encode_request(request: FetchRequest) -> bytes:
    document = {
        "api_url": request.api_url,
        "watched": list(request.watched),
        "known_projects": (
            None if request.known is None else [[p.project_id, p.name] for p in request.known]
        ),
        "timeouts": list(request.timeouts),
    }
    return json.dumps(document).encode()


def decode_request(data: bytes) -> FetchRequest | ForecastInputsRequest:
    document = _load(data)
    if document.get("read") == "forecast_inputs":
        return ForecastInputsRequest(
            str(document["api_url"]),
            tuple(str(p) for p in document["project_ids"]),
            _timeouts(document),
        )
    known = document.get("known_projects")
    projects = None if known is None else [Project(str(i), str(n)) for i, n in known]
    return FetchRequest(
        str(document["api_url"]),
        tuple(str(p) for p in document["watched"]),
        projects,
        _timeouts(document),
    )


def _timeouts(document: dict[str, Any]) -> Timeouts:
    timeouts = document.get("timeouts")
    return Timeouts(*(float(t) for t in timeouts)) if timeouts else DEFAULT_TIMEOUTS


# --- answers ------------------------------------------------------------------------------------


def encode_success(snapshot: BalanceSnapshot, projects: list[Project]) -> bytes:
    envelope = json.dumps(
        {
            "ok": True,
            "fetched_at_exact": snapshot.fetched_at.isoformat(),
            "projects": [[p.project_id, p.name] for p in projects],
        }
    )
    # The snapshot travels as the CLI's own JSON, whose amounts are exact decimal numbers.
    return (envelope[:-1] + ', "snapshot": ' + render_json(snapshot).strip() + "}").encode()


def encode_forecast_inputs(reading: ForecastInputs) -> bytes:
    billing = reading.billing
    expiry = reading.expiry
    document = {
        "ok": True,
        "billing": None
        if billing is None
        else {"per_day": _decimal_text(billing.per_day), "today": _decimal_text(billing.today)},
        "expiry": None
        if expiry is None
        else {
            "date": expiry.day.isoformat(),
            "amount": str(expiry.amount),
            "units": expiry.units,
            "project_id": expiry.project_id,
        },
        "expiry_read": reading.expiry_read,
    }
    return json.dumps(document).encode()


def decode_forecast_inputs(data: bytes) -> ForecastInputs:
    """The worker's ForecastInputs, or its error raised again here."""
    document = _load_answer(data)
    try:
        billing_doc, expiry_doc = document["billing"], document["expiry"]
        billing = None
        if billing_doc is not None:
            billing = SpendRate(
                "billing",
                _decimal_or_none(billing_doc["per_day"]),
                _decimal_or_none(billing_doc["today"]),
            )
        expiry = None
        if expiry_doc is not None:
            expiry = Expiry(
                date.fromisoformat(expiry_doc["date"]),
                Decimal(str(expiry_doc["amount"])),
                str(expiry_doc["units"]),
                str(expiry_doc["project_id"]),
            )
        return ForecastInputs(billing, expiry, expiry_read=bool(document["expiry_read"]))
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise WorkerProtocolError(
            "The spend check returned something unreadable: please report this bug."
        ) from exc


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal_or_none(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def encode_failure(error: DeepgramTrayError) -> bytes:
    return json.dumps({"ok": False, "error": error_to_document(error)}).encode()


def decode_answer(data: bytes) -> tuple[BalanceSnapshot, list[Project]]:
    """The worker's snapshot and project list, or its error raised again here."""
    document = _load_answer(data)
    try:
        projects = [Project(str(i), str(n)) for i, n in document["projects"]]
        snapshot = _snapshot_from_document(document["snapshot"], document["fetched_at_exact"])
    except (KeyError, TypeError, ValueError) as exc:
        raise WorkerProtocolError(
            "The balance check returned something unreadable: please report this bug."
        ) from exc
    return snapshot, projects


def error_to_document(error: DeepgramTrayError) -> dict[str, Any]:
    document: dict[str, Any] = {"kind": error.kind, "message": error.message}
    if isinstance(error, ApiError):
        document.update(status=error.status, request_id=error.request_id)
    if isinstance(error, RateLimitedError):
        document["retry_after"] = error.retry_after
    return document


def error_from_document(document: dict[str, Any]) -> DeepgramTrayError:
    cls = ERROR_CLASSES.get(str(document.get("kind")), DeepgramTrayError)
    message = str(document.get("message") or "The balance check failed.")
    if issubclass(cls, RateLimitedError):
        retry_after = document.get("retry_after")
        return cls(
            message,
            status=document.get("status"),
            request_id=document.get("request_id"),
            retry_after=float(retry_after) if retry_after is not None else None,
        )
    if issubclass(cls, ApiError):
        return cls(message, status=document.get("status"), request_id=document.get("request_id"))
    return cls(message)


def _snapshot_from_document(document: dict[str, Any], fetched_at: str) -> BalanceSnapshot:
    projects = []
    for entry in document["projects"]:
        project = Project(str(entry["project_id"]), str(entry["name"]))
        if entry.get("error"):
            projects.append(ProjectBalances(project, error=_api_error(entry["error"])))
            continue
        balances = tuple(
            Balance(
                balance_id=str(b["balance_id"]),
                amount=Decimal(str(b["amount"])),
                units=str(b["units"]),
                purchase_order_id=b.get("purchase_order_id"),
            )
            for b in entry["balances"]
        )
        projects.append(ProjectBalances(project, balances))
    when = datetime.fromisoformat(fetched_at)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return BalanceSnapshot(fetched_at=when, projects=tuple(projects))


def _api_error(document: dict[str, Any]) -> ApiError:
    error = error_from_document(document)
    if isinstance(error, ApiError):
        return error
    return ServerError(error.message)


def _load_answer(data: bytes) -> dict[str, Any]:
    """A worker's answer document; its error raised again here when it failed."""
    document = _load(data)
    if not document.get("ok"):
        raise error_from_document(document.get("error") or {})
    return document


def _load(data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError) as exc:
        raise WorkerProtocolError(
            "The balance check returned something unreadable: please report this bug."
        ) from exc
    if not isinstance(document, dict):
        raise WorkerProtocolError("The balance check returned something unreadable.")
    return document
