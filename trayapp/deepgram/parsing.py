"""Turn the API's response bodies into models or typed errors. Pure: no I/O.

Tolerates the drift Deepgram's spec and SDKs show: every field optional, extra fields, amounts as
int, float or numeric string, units in any case, several balances per project, empty lists.
Anything else becomes a MalformedResponseError, never a stray KeyError or TypeError.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from trayapp.deepgram.models import MAIN_UNIT, Balance, Order, Project
from trayapp.errors import (
    BALANCES_KEY,
    MEMBER_KEYS_CANNOT,
    ApiError,
    AuthError,
    MalformedResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
)
from trayapp.redaction import redact

# Amounts beyond this are not credit balances; refusing them also keeps Decimal formatting cheap.
_MAX_ABS_AMOUNT = Decimal(10) ** 15
_MIN_EXPONENT = -30
_MAX_DETAIL_CHARS = 160
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]+")

_MALFORMED_HINT = "check api_url, or whether a proxy or captive portal is answering instead"


def decode_json(body: bytes, *, request_id: str | None = None) -> object:
    """Parse a body as JSON, keeping every number's exact decimal value.

    `request_id` goes into the error when the body is not JSON.
    """
    try:
        text = body.decode("utf-8")
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        snippet = "an HTML page" if body.lstrip()[:1] == b"<" else "something that is not JSON"
        raise MalformedResponseError(
            f"The API answered with {snippet}: {_MALFORMED_HINT}.", request_id=request_id
        ) from exc


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def parse_projects(payload: object) -> list[Project]:
    entries = _list_field(payload, "projects")
    projects = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise _malformed("a project entry is not an object")
        project_id = entry.get("project_id")
        if not isinstance(project_id, str) or not project_id.strip():
            raise _malformed("a project has no project_id")
        name = entry.get("name")
        display_name = name.strip() if isinstance(name, str) and name.strip() else project_id
        projects.append(Project(project_id=project_id, name=display_name))
    return projects


def parse_balances(payload: object) -> list[Balance]:
    return [parse_balance(entry) for entry in _list_field(payload, "balances")]


def parse_balance(entry: object) -> Balance:
    if not isinstance(entry, dict):
        raise _malformed("a balance entry is not an object")
    units = entry.get("units")
    if units is None:
        # Deepgram documents usd as the only unit; an absent one is that, not a reason to fail.
        units = MAIN_UNIT
    if not isinstance(units, str) or not units.strip():
        raise _malformed("a balance has units that are not text")
    balance_id = entry.get("balance_id")
    purchase_order_id = entry.get("purchase_order_id")
    return Balance(
        balance_id=balance_id if isinstance(balance_id, str) else "",
        amount=parse_amount(entry.get("amount")),
        units=units.strip().lower(),
        purchase_order_id=purchase_order_id if isinstance(purchase_order_id, str) else None,
    )


def parse_amount(value: object) -> Decimal:
    """Accept int, float, Decimal or numeric text; refuse bools, NaN, infinities, absurd sizes."""
    if isinstance(value, bool) or value is None:
        raise _malformed("a balance has no numeric amount")
    try:
        if isinstance(value, (int, Decimal)):
            amount = Decimal(value)
        elif isinstance(value, float):
            amount = Decimal(repr(value))
        elif isinstance(value, str):
            amount = Decimal(value.strip())
        else:
            raise _malformed("a balance has no numeric amount")
    except (InvalidOperation, ValueError) as exc:
        raise _malformed("a balance amount is not a number") from exc
    exponent = amount.as_tuple().exponent
    if not isinstance(exponent, int):  # NaN and the infinities have a letter here
        raise _malformed("a balance amount is not a finite number")
    if abs(amount) >= _MAX_ABS_AMOUNT or exponent < _MIN_EXPONENT:
        raise _malformed("a balance amount is out of range")
    return amount


def parse_billing_breakdown(payload: object) -> list[tuple[date, Decimal]]:
    """`billing/breakdown` at day resolution: (day, dollars spent) per result."""
    days = []
    for entry in _list_field(payload, "results"):
        if not isinstance(entry, dict):
            raise _malformed("a billing result that is not an object")
        grouping = entry.get("grouping")
        start = grouping.get("start") if isinstance(grouping, dict) else None
        day = _parse_day(start)
        if day is None:
            raise _malformed("a billing result without a start date")
        days.append((day, parse_amount(entry.get("dollars", 0))))
    return days


def parse_purchases(payload: object) -> list[Order]:
    orders = []
    for entry in _list_field(payload, "orders"):
        if not isinstance(entry, dict):
            raise _malformed("an order that is not an object")
        orders.append(
            Order(
                order_id=str(entry.get("order_id", "")),
                amount=parse_amount(entry.get("amount", 0)),
                units=str(entry.get("units") or "usd").lower(),
                expiration=_parse_day(entry.get("expiration")),
            )
        )
    return orders


def _parse_day(value: object) -> date | None:
    """A date or a date-time string (its date part); None when absent or unreadable."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _list_field(payload: object, name: str) -> list[object]:
    if not isinstance(payload, dict):
        raise _malformed(f"the {name} answer is not a JSON object")
    value = payload.get(name)
    if value is None:
        # Every field is optional in Deepgram's spec; a missing list means there is nothing in it.
        return []
    if not isinstance(value, list):
        raise _malformed(f"{name} is not a list")
    return value


def _malformed(what: str) -> MalformedResponseError:
    return MalformedResponseError(
        f"The API's answer was not understood ({what}): {_MALFORMED_HINT}."
    )


class ErrorBody(NamedTuple):
    """What an error response said, from any of Deepgram's three body shapes."""

    code: str | None = None
    """`err_code` (old shape) or `category` (new shape)."""
    message: str | None = None
    request_id: str | None = None


def parse_error_body(body: bytes) -> ErrorBody:
    """Read `{err_code, err_msg}`, `{category, message, details}` or plain text; never fails."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        payload = json.loads(text) if text[:1] == "{" else None
    except (ValueError, RecursionError):
        payload = None
    if isinstance(payload, dict):
        code = payload.get("err_code") or payload.get("category")
        message = payload.get("err_msg") or payload.get("message") or payload.get("details")
        request_id = payload.get("request_id")
        return ErrorBody(
            code=code if isinstance(code, str) else None,
            message=clean_server_text(message) if isinstance(message, str) else None,
            request_id=clean_server_text(request_id) if isinstance(request_id, str) else None,
        )
    if text[:1] == "<":
        return ErrorBody()  # an HTML error page says nothing a user can act on
    return ErrorBody(message=clean_server_text(text) or None)


def clean_server_text(text: str) -> str:
    """One short line without the key: server text is shown to users and written to logs.

    Redacted before it is cut, so a key cut in half cannot slip past as an unrecognised part.
    """
    text = _CONTROL_CHARS.sub(" ", redact(text)).strip()
    if len(text) > _MAX_DETAIL_CHARS:
        text = text[: _MAX_DETAIL_CHARS - 1].rstrip() + "…"
    return text


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(min(int(value), 86_400))
    from datetime import datetime, timezone
    from email.utils import parsedate_to_datetime  # rare path: keep it off start-up

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, min((when - datetime.now(timezone.utc)).total_seconds(), 86_400.0))


_SET_KEY_HINT = "set a valid key with `deepgram-tray key set`"
_ADMIN_KEY_HINT = (
    f"balances need {BALANCES_KEY} {MEMBER_KEYS_CANNOT}: create one in the Deepgram Console "
    "and set it with `deepgram-tray key set`"
)


def error_for_status(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    project_id: str | None = None,
) -> ApiError:
    """Map an HTTP error response to the typed error a user sees.

    `project_id` is set for per-project calls, so a 404 can name the project.
    """
    info = parse_error_body(body)
    request_id = info.request_id or clean_server_text(headers.get("dg-request-id") or "") or None
    said = f' ("{info.message}")' if info.message else ""
    permission_codes = {"INSUFFICIENT_PERMISSIONS", "FORBIDDEN", "MISSING_SCOPE"}
    code = (info.code or "").upper()

    if status == 403 or (status == 401 and code in permission_codes):
        return PermissionDeniedError(
            f"Deepgram refused access{said}: {_ADMIN_KEY_HINT}.",
            status=status,
            request_id=request_id,
        )
    if status == 401:
        return AuthError(
            f"Deepgram refused the API key{said}: {_SET_KEY_HINT}.",
            status=status,
            request_id=request_id,
        )
    if status == 404:
        if project_id is None:
            message = (
                f"The API has no projects endpoint at this address{said}: check api_url "
                "(it should be https://api.deepgram.com)."
            )
        else:
            message = (
                f"Project {project_id} was not found for this key{said}: remove it from the "
                "`projects` setting or use a key of the account that owns it."
            )
        return NotFoundError(message, status=status, request_id=request_id)
    if status == 429:
        retry_after = parse_retry_after(headers.get("Retry-After"))
        wait = f"wait {retry_after:.0f} s" if retry_after is not None else "wait a minute"
        return RateLimitedError(
            f"Deepgram is rate-limiting this key{said}: {wait} and try again.",
            status=status,
            request_id=request_id,
            retry_after=retry_after,
        )
    if status >= 500:
        return ServerError(
            f"Deepgram's API had a server error (HTTP {status}){said}: try again in a few minutes.",
            status=status,
            request_id=request_id,
        )
    return ServerError(
        f"Deepgram's API answered with an unexpected HTTP {status}{said}: try again later, "
        "and report it if it persists.",
        status=status,
        request_id=request_id,
    )
