"""Turn the API's response bodies into models or typed errors. Pure: no I/O.

Tolerates the drift Deepgram's spec and SDKs show: every field optional, extra fields, amounts as
int, float or numeric string, units in any case, several balances per project, empty lists.
Anything else becomes a MalformedResponseError, never a stray KeyError or TypeError.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from trayapp.deepgram.models import MAIN_UNIT, Balance, Order, Project
from trayapp.errors import (
    BALANCES_KEY,
    MAY_NOT_READ_BALANCES,
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
_MAX_FIELD_CHARS = 200
_UNSAFE_CHARS = re.compile(
    # C0 and C1 controls and DEL (terminal escapes, line breaks that split table rows), Unicode's
    # line and paragraph separators (line breaks too, to str.splitlines and many viewers), and the
    # marks that reorder text on screen (bidi overrides and isolates).
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]+"
)
_LONE_SURROGATES = re.compile("[\ud800-\udfff]")
"""JSON's `\\ud800` escapes decode to these; they cannot be encoded, so nothing could print them."""

_MALFORMED_HINT = "check api_url, or whether a proxy or captive portal is answering instead"


def decode_json(body: bytes, *, request_id: str | None = None) -> object:
    """Parse a body as JSON, keeping every number's exact decimal value.

    `request_id` goes into the error when the body is not JSON.
    """
    try:
        text = body.decode("utf-8")
        return json.loads(
            text,
            parse_float=Decimal,
            parse_constant=_reject_constant,
            parse_int=_parse_int,
            object_pairs_hook=_object_with_valid_text,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        snippet = "an HTML page" if body.lstrip()[:1] == b"<" else "something that is not JSON"
        raise MalformedResponseError(
            f"The API answered with {snippet}: {_MALFORMED_HINT}.", request_id=request_id
        ) from exc


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def _parse_int(text: str) -> object:
    """As Decimal: an int of thousands of digits would stop Python's int() (and is refused as an
    amount later, by size, like any other absurd number)."""
    return Decimal(text)


def _object_with_valid_text(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """An object whose text is valid Unicode (see `valid_text`). Called for every object as it is
    decoded, inner ones first, so only its own strings and lists of strings are left to see."""
    return {valid_text(key): _with_valid_text(value) for key, value in pairs}


def _with_valid_text(value: object) -> object:
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, list):
        return [valid_text(item) if isinstance(item, str) else item for item in value]
    return value


def valid_text(text: str) -> str:
    """`text` with lone surrogates, which no encoding can write, as U+FFFD."""
    return _LONE_SURROGATES.sub("\ufffd", text)


def parse_projects(payload: object) -> list[Project]:
    entries = _list_field(payload, "projects")
    projects = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise _malformed("a project entry is not an object")
        project_id = entry.get("project_id")
        if not isinstance(project_id, str) or not clean_field(project_id):
            raise _malformed("a project has no project_id")
        project_id = clean_field(project_id)
        name = entry.get("name")
        display_name = clean_field(name, limit=_MAX_FIELD_CHARS) if isinstance(name, str) else ""
        projects.append(Project(project_id=project_id, name=display_name or project_id))
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
    if not isinstance(units, str) or not clean_field(units):
        raise _malformed("a balance has units that are not text")
    balance_id = entry.get("balance_id")
    purchase_order_id = entry.get("purchase_order_id")
    if not isinstance(purchase_order_id, str):
        # The .NET SDK, older JS types, the old Python SDK and the docs pages call it `purchase`;
        # the spec's name wins when both are there.
        purchase_order_id = entry.get("purchase")
    return Balance(
        balance_id=clean_field(balance_id) if isinstance(balance_id, str) else "",
        amount=parse_amount(entry.get("amount")),
        units=clean_field(units, limit=_MAX_FIELD_CHARS).lower(),
        purchase_order_id=(
            clean_field(purchase_order_id) if isinstance(purchase_order_id, str) else None
        ),
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


_DAY_UNITS = ("day", "days")
_MAX_RESULT_DAYS = 366


def parse_billing_breakdown(payload: object) -> list[tuple[date, Decimal]]:
    """`billing/breakdown` as (day, dollars spent) pairs; the lines of one day are not added up.

    Every published example has the resolution `{"units": "day", "amount": 1}` and a result per
    day, but nothing here relies on it. At a resolution of N days a result covers N days from its
    grouping's `start`. At a resolution in another unit ("hour", "month") it covers its grouping's
    `start` to its `end`, both included (as in the examples, where a one-day result has
    start == end); without an `end` the days it covers are unknown, and the answer is malformed
    rather than guessed. Its dollars are spread evenly over its days, up to the breakdown's own
    `end` at most (nothing is spent in the future), so a weekly or monthly result still gives a
    daily rate. No resolution is one day ("billing data is always grouped by date"). An empty or
    absent `results` list means nothing was billed in the window.
    """
    if not isinstance(payload, dict):
        raise _malformed("the billing breakdown answer is not a JSON object")
    entries = _list_field(payload, "results")
    resolution_days = _resolution_days(payload.get("resolution"))
    breakdown_end = _parse_day(payload.get("end"))
    days = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise _malformed("a billing result that is not an object")
        first, last = _result_span(entry.get("grouping"), resolution_days)
        if breakdown_end is not None and first <= breakdown_end < last:
            last = breakdown_end
        dollars = parse_amount(entry.get("dollars", 0))
        count = (last - first).days + 1
        share = dollars if count == 1 else dollars / count
        days += [(first + timedelta(days=n), share) for n in range(count)]
    return days


def _resolution_days(resolution: object) -> int | None:
    """How many days one result covers by the breakdown's `resolution`; None in another unit."""
    if resolution is None:
        return 1
    if not isinstance(resolution, dict):
        raise _malformed("the billing resolution is not an object")
    units, amount = resolution.get("units"), resolution.get("amount")
    if isinstance(units, str) and units.strip().lower() not in _DAY_UNITS:
        return None
    if amount is None:
        return 1
    try:
        days = Decimal(str(amount)) if isinstance(amount, (int, str, Decimal)) else Decimal("NaN")
    except InvalidOperation:
        days = Decimal("NaN")
    if isinstance(amount, bool) or not days.is_finite() or days != days.to_integral_value():
        raise _malformed("the billing resolution is not a whole number of days")
    if not 1 <= days <= _MAX_RESULT_DAYS:
        raise _malformed("the billing resolution is out of range")
    return int(days)


def _result_span(grouping: object, resolution_days: int | None) -> tuple[date, date]:
    """The first and last day a billing result covers (see parse_billing_breakdown)."""
    if not isinstance(grouping, dict):
        raise _malformed("a billing result without a start date")
    first = _parse_day(grouping.get("start"))
    if first is None:
        raise _malformed("a billing result without a start date")
    if resolution_days is not None:
        return first, first + timedelta(days=resolution_days - 1)
    last = _parse_day(grouping.get("end"))
    if last is None:
        raise _malformed("a billing result without an end date, at a resolution not in days")
    if last < first:
        raise _malformed("a billing result that ends before it starts")
    if (last - first).days >= _MAX_RESULT_DAYS:
        raise _malformed("a billing result that covers more than a year")
    return first, last


def parse_purchases(payload: object) -> list[Order]:
    """`purchases`: each order's original amount (not what is left), expiry date and type."""
    orders = []
    for entry in _list_field(payload, "orders"):
        if not isinstance(entry, dict):
            raise _malformed("an order that is not an object")
        orders.append(
            Order(
                order_id=clean_field(str(entry.get("order_id", ""))),
                amount=parse_amount(entry.get("amount", 0)),
                units=clean_field(str(entry.get("units") or "usd"), limit=_MAX_FIELD_CHARS).lower(),
                expiration=_parse_day(entry.get("expiration")),
                order_type=_order_type(entry.get("order_type")),
            )
        )
    return orders


def _order_type(value: object) -> str | None:
    """`promotional` and the like; server text shown to users, so cleaned like any other."""
    text = clean_server_text(value) if isinstance(value, str) else ""
    return text.lower() or None


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
    """`err_code` (old shape), `category` (new shape) or `error_code` (Deepgram's 503 example)."""
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
        code = payload.get("err_code") or payload.get("category") or payload.get("error_code")
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
    """A server's message or request id as one short line (see `clean_field`)."""
    return clean_field(text, limit=_MAX_DETAIL_CHARS)


def clean_field(text: str, *, limit: int | None = None) -> str:
    """Text from the server made safe to show, log and write, which all of it may be.

    Without the key, valid Unicode, and on one line with nothing a terminal would act on:
    control characters and direction marks become spaces. Redacted before it is cut, so a key cut
    in half cannot slip past as an unrecognised part. Ids get no `limit`: cut, they would name
    something else.
    """
    text = _UNSAFE_CHARS.sub(" ", valid_text(redact(text))).strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


_DELTA_SECONDS = re.compile(r"[0-9]{1,12}")
_MAX_RETRY_AFTER = 86_400.0


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), at most a day.

    None for anything else: a header in another form, out of range or garbled only loses the
    hint, never the answer it came with.
    """
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return min(float(value), _MAX_RETRY_AFTER)
    from datetime import datetime, timezone
    from email.utils import parsedate_to_datetime  # rare path: keep it off start-up

    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, min(seconds, _MAX_RETRY_AFTER))


_SET_KEY_HINT = "set a valid key with `deepgram-tray key set`"
_ADMIN_KEY_HINT = (
    f"{MAY_NOT_READ_BALANCES}; create one in the Deepgram Console and set it with "
    "`deepgram-tray key set`"
)
# Deepgram's spec lists a 403 "Authentication failed." as the balances call's only refusal, so a
# valid key without the role may get it too: this advice fits that key and a bad one alike.
_SET_ADMIN_KEY_HINT = f"set {BALANCES_KEY} from the Deepgram Console with `deepgram-tray key set`"
_PERMISSION_CODES = frozenset({"INSUFFICIENT_PERMISSIONS", "FORBIDDEN", "MISSING_SCOPE"})


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

    if status == 403 and _is_authentication_failure(info):
        return AuthError(
            f"Deepgram refused the API key{said}: {_SET_ADMIN_KEY_HINT}.",
            status=status,
            request_id=request_id,
        )
    if status == 403 or (status == 401 and _is_permission_refusal(info)):
        return PermissionDeniedError(
            f"Deepgram refused access{said}, so {_ADMIN_KEY_HINT}.",
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


def _is_permission_refusal(info: ErrorBody) -> bool:
    """A 401 that refuses a permission, not the key: Deepgram documents the INSUFFICIENT_PERMISSIONS
    code and, on billing calls, the plain text "User does not have sufficient permissions."."""
    if (info.code or "").upper() in _PERMISSION_CODES:
        return True
    return "sufficient permission" in (info.message or "").lower()


def _is_authentication_failure(info: ErrorBody) -> bool:
    """A 403 that Deepgram documents as `{"category": "UNAUTHORIZED", "message": "Authentication
    failed."}`: the credentials were not accepted, which is not a missing permission."""
    code = (info.code or "").upper()
    if code in _PERMISSION_CODES:
        return False
    if code == "UNAUTHORIZED":
        return True
    return (info.message or "").lower().startswith("authentication failed")
