"""Render a BalanceSnapshot as text (for people), JSON (for scripts) or Prometheus (for monitoring).

Pure: strings in, strings out. Amounts stay exact Decimals up to the last character printed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import TYPE_CHECKING, NamedTuple

from trayapp.deepgram.models import MAIN_UNIT, BalanceSnapshot, ProjectBalances
from trayapp.outlook.forecast import (
    Expiry,
    Forecast,
    days_until,
    describe_when_after_date,
    worth_announcing,
)

if TYPE_CHECKING:
    from trayapp.errors import DeepgramTrayError
    from trayapp.outlook.history import HistoryRow

# --- shared number formatting --------------------------------------------------------------------


def exact_number(amount: Decimal) -> str:
    """A JSON/Prometheus number with every digit the API sent, never in exponent form."""
    return format(amount, "f")


HOURS = "hour"
"""The other unit Deepgram documents for balances (projects billed by the hour)."""


def display_amount(amount: Decimal, units: str) -> str:
    """`$1,234.57` for dollars, `12.5 hours` or `1 hour` for hours, `12.50 zeta` for any other
    unit: shown as it comes, never converted."""
    rounded = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if units == MAIN_UNIT:
        sign = "-" if rounded < 0 else ""
        return f"{sign}${abs(rounded):,.2f}"
    if units == HOURS:
        return display_hours(rounded)
    return f"{rounded:,.2f} {units}"


def display_hours(rounded: Decimal) -> str:
    """Hours as a person writes them: no trailing zeros ("12.5 hours"), singular for one."""
    if rounded == rounded.to_integral_value():
        number = f"{int(rounded):,}"  # int() also drops the sign of a rounded-away -0.00
    else:
        number = f"{rounded:,.2f}".rstrip("0")
    return f"{number} hour{'' if abs(rounded) == 1 else 's'}"


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def display_date(day: date) -> str:
    """ "9 Jan 2027": unambiguous everywhere, unlike 01/09/2027. English month names, like the rest
    of the interface (strftime's %b follows the locale GTK and Tk switch the process to)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def display_totals(totals: Mapping[str, Decimal]) -> str:
    if not totals:
        return "no balance"
    ordered = sorted(totals, key=lambda unit: (unit != MAIN_UNIT, unit))
    return " + ".join(display_amount(totals[unit], unit) for unit in ordered)


# --- text ----------------------------------------------------------------------------------------


def render_text(snapshot: BalanceSnapshot, forecast: Forecast | None = None) -> str:
    if not snapshot.projects:
        return "This API key sees no projects.\n"
    table = _balance_table(snapshot)
    return table if forecast is None else table + "\n" + forecast_text(forecast, snapshot)


def forecast_text(forecast: Forecast, snapshot: BalanceSnapshot) -> str:
    """Spend, days left and the next expiry, in sentences, for `balance --forecast`."""
    from trayapp.outlook.forecast import describe_days_left

    rate, lines = forecast.rate, []
    if rate.per_day is not None:
        lines.append(f"Spending {display_amount(rate.per_day, MAIN_UNIT)} a day (last 7 days)")
    total = snapshot.main_total
    if total is None and HOURS in snapshot.totals:
        # Spend is in dollars and hours are never converted: there is nothing to divide.
        lines.append("No days left to count: the balance is in hours, the spend in dollars")
    else:
        days = describe_days_left(total if total is not None else Decimal(0), rate)
        lines.append(days.capitalize())
    expiry = forecast.nearest_expiry
    if expiry is not None:
        sentence = expiry_sentence(expiry, days_until(expiry, snapshot.fetched_at.date()))
        if sentence is not None:
            lines.append(sentence)
    return "".join(line + "\n" for line in lines)


# --- expiring credit, in the same words for the CLI, the menu, the tooltip and notifications ----


def expiring_credit(expiry: Expiry) -> str:
    """What expires: "$40.00 left of $200.00 promotional credit" when the order's balance says
    what is left, else "$200.00 purchased" (an order's amount is what was bought, not what is left).
    """
    purchased = display_amount(expiry.amount, expiry.units)
    kind = f"{expiry.order_type} credit" if expiry.order_type else "credit"
    if expiry.remaining is not None:
        return f"{display_amount(expiry.remaining, expiry.units)} left of {purchased} {kind}"
    return f"{purchased} purchased" + (f" as {kind}" if expiry.order_type else "")


def expiring_credit_short(expiry: Expiry) -> str:
    """The tooltip's few words: "$40.00 left of $200.00", or "$200.00 purchased credit"."""
    purchased = display_amount(expiry.amount, expiry.units)
    if expiry.remaining is not None:
        return f"{display_amount(expiry.remaining, expiry.units)} left of {purchased}"
    return f"{purchased} purchased credit"


def expiry_sentence(expiry: Expiry, days: int) -> str | None:
    """ "Credit expiring: $40.00 left of $200.00 promotional credit on 1 Jan 2027 (in 31 days)",
    for the menu and `balance --forecast`; None beyond the horizon (see `worth_announcing`)."""
    if not worth_announcing(days):
        return None
    when = describe_when_after_date(days)
    return f"Credit expiring: {expiring_credit(expiry)} on {display_date(expiry.day)}{when}"


def _balance_table(snapshot: BalanceSnapshot) -> str:
    rows = [(p.project.name, _project_cell(p)) for p in snapshot.projects]
    rows.append(("Total", display_totals(snapshot.totals)))
    name_width = max(len(name) for name, _ in rows)
    value_width = max(len(value) for _, value in rows)
    lines = [f"{name:<{name_width}}  {value:>{value_width}}" for name, value in rows[:-1]]
    lines.append(f"{'':-<{name_width}}  {'':-<{value_width}}")
    lines.append(f"{rows[-1][0]:<{name_width}}  {rows[-1][1]:>{value_width}}")
    return "\n".join(lines) + "\n"


def _project_cell(project: ProjectBalances) -> str:
    if project.error is not None:
        return f"unavailable ({project.error.kind.replace('_', ' ')})"
    return display_totals(project.totals)


# --- JSON ----------------------------------------------------------------------------------------

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
"""UTC times in every JSON and CSV output, e.g. 2026-11-24T18:00:00Z."""


def render_json(snapshot: BalanceSnapshot, forecast: Forecast | None = None) -> str:
    return encode_json(balance_document(snapshot, forecast))


def balance_document(
    snapshot: BalanceSnapshot, forecast: Forecast | None = None
) -> dict[str, object]:
    """`balance --json`'s object, which `--all-accounts` repeats for each account."""
    document: dict[str, object] = {
        "fetched_at": snapshot.fetched_at.strftime(TIME_FORMAT),
        "totals": dict(snapshot.totals),
        "projects": [_project_json(p) for p in snapshot.projects],
    }
    if forecast is not None:
        document["forecast"] = forecast_json(forecast)
    return document


CENTS = Decimal("0.01")
TENTHS = Decimal("0.1")
_WIDE = Context(prec=100)
"""Room for any days-left figure: up to 10^15 dollars over a spend down to 10^-30 a day has ~47
digits before the point, past the default context's 28 (where quantize would fail)."""


def days_left_figure(days: Decimal) -> Decimal:
    """Days left to a tenth, however many digits: a huge balance at a tiny spend is an answer."""
    return days.quantize(TENTHS, context=_WIDE)


def forecast_json(forecast: Forecast) -> dict[str, object]:
    rate, expiry = forecast.rate, forecast.nearest_expiry
    return {
        "basis": rate.basis,
        "spend_per_day": {} if rate.per_day is None else {MAIN_UNIT: rate.per_day.quantize(CENTS)},
        "days_left": None if forecast.days_left is None else days_left_figure(forecast.days_left),
        "nearest_expiry": None if expiry is None else _expiry_json(expiry),
    }


def _expiry_json(expiry: Expiry) -> dict[str, object]:
    """The contract's four fields, then what was added: `amount` stays the order's amount."""
    return {
        "date": expiry.day.isoformat(),
        "amount": expiry.amount,
        "units": expiry.units,
        "project_id": expiry.project_id,
        "order_id": expiry.order_id,
        "order_type": expiry.order_type,
        "purchased": expiry.amount,
        "remaining": expiry.remaining,
    }


def _project_json(project: ProjectBalances) -> dict[str, object]:
    return {
        "project_id": project.project.project_id,
        "name": project.project.name,
        "totals": dict(project.totals),
        "balances": [
            {
                "balance_id": b.balance_id,
                "amount": b.amount,
                "units": b.units,
                "purchase_order_id": b.purchase_order_id,
            }
            for b in project.balances
        ],
        "error": None if project.error is None else error_json(project.error),
    }


def error_json(error: DeepgramTrayError) -> dict[str, object]:
    """A failure as JSON: its kind, its sentence, and the request id and Retry-After when known."""
    document: dict[str, object] = {"kind": error.kind, "message": error.message}
    request_id = getattr(error, "request_id", None)
    if request_id:
        document["request_id"] = request_id
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        document["retry_after"] = Decimal(str(retry_after))
    return document


def encode_json(value: object) -> str:
    """Indented JSON with exact decimals, for any command's output."""
    return _encode(value) + "\n"


def _encode(value: object, depth: int = 0) -> str:
    """json.dumps with indent=2, except that Decimals are written as exact JSON numbers.

    The standard encoder would need them as floats, which rounds past 15-17 significant digits.
    """
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, Decimal):
        return exact_number(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(str(k))}: {_encode(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        items = [f"{inner}{_encode(v, depth + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


# --- Prometheus text exposition ------------------------------------------------------------------


def render_prometheus(snapshot: BalanceSnapshot, forecast: Forecast | None = None) -> str:
    return "".join(
        metric_block(
            family.name, family.help, [sample_line(family.name, *s) for s in family.samples]
        )
        for family in prometheus_families(snapshot, forecast)
    )


class PrometheusFamily(NamedTuple):
    """One metric of `balance --format prometheus`: its samples as (labels, value) pairs."""

    name: str
    help: str
    samples: list[tuple[dict[str, str], str]]


def prometheus_families(
    snapshot: BalanceSnapshot, forecast: Forecast | None = None
) -> list[PrometheusFamily]:
    """The metrics of one read, in the order they are printed (several accounts' are merged
    metric by metric, so each HELP and TYPE is written once)."""
    amounts = [
        (dict(labels), exact_number(amount))
        for labels, amount in amounts_by_series(snapshot).items()
    ]
    totals = [
        ({"units": units}, exact_number(amount))
        for units, amount in sorted(snapshot.totals.items())
    ]
    up = [
        ({"project_id": p.project.project_id}, "0" if p.error else "1") for p in snapshot.projects
    ]
    families = [
        PrometheusFamily(
            "deepgram_balance_amount", "Remaining amount of one Deepgram balance.", amounts
        ),
        PrometheusFamily(
            "deepgram_balance_total", "Sum of the watched projects' balances per unit.", totals
        ),
        PrometheusFamily(UP_METRIC, UP_HELP, up),
    ]
    if forecast is not None and forecast.rate.per_day is not None:
        per_day = exact_number(forecast.rate.per_day.quantize(CENTS))
        families.append(
            PrometheusFamily(
                "deepgram_spend_dollars_per_day",
                "Average spend per day over the last 7 days.",
                [({"basis": forecast.rate.basis}, per_day)],
            )
        )
    if forecast is not None and forecast.days_left is not None:
        left = exact_number(days_left_figure(forecast.days_left))
        families.append(
            PrometheusFamily(
                "deepgram_balance_days_left",
                "Days until the total runs out at the recent spend rate.",
                [({"units": MAIN_UNIT}, left)],
            )
        )
    return families


UP_METRIC = "deepgram_balance_up"
UP_HELP = "1 if the project's balances were read, 0 if not."
PROMETHEUS_METRICS = (
    "deepgram_balance_amount",
    "deepgram_balance_total",
    UP_METRIC,
    "deepgram_spend_dollars_per_day",
    "deepgram_balance_days_left",
)
"""Every metric `prometheus_families` may return, in its order."""


def amounts_by_series(snapshot: BalanceSnapshot) -> dict[tuple[tuple[str, str], ...], Decimal]:
    """Each balance's amount under its labels. Balances without an id (which Deepgram always
    sends, but the parser tolerates) can share labels: one series then carries their sum, since
    the exposition format allows a label set only once."""
    series: dict[tuple[tuple[str, str], ...], Decimal] = {}
    for project in snapshot.projects:
        for balance in project.balances:
            labels = (
                ("project_id", project.project.project_id),
                ("project_name", project.project.name),
                ("balance_id", balance.balance_id),
                ("units", balance.units),
            )
            series[labels] = series.get(labels, Decimal(0)) + balance.amount
    return series


def metric_block(name: str, help_text: str, samples: list[str]) -> str:
    """One metric's HELP and TYPE, then its sample lines (written by `sample_line`)."""
    header = f"# HELP {name} {help_text}\n# TYPE {name} gauge\n"
    return header + "".join(line + "\n" for line in samples)


def sample_line(name: str, labels: Mapping[str, str], value: str) -> str:
    rendered = ",".join(f'{key}="{escape_label_value(val)}"' for key, val in labels.items())
    return f"{name}{{{rendered}}} {value}"


def escape_label_value(value: str) -> str:
    """Backslash, double quote and line feed are the three escapes the exposition format defines."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


# --- the balance history ------------------------------------------------------------------------


def render_history_csv(rows: Sequence[HistoryRow]) -> str:
    """One record per sample: a unit holding a comma, a quote or a line break is quoted (RFC 4180).

    A total that is not a number (NaN, infinity) is left out, as the history reader leaves it.
    """
    import csv
    import io

    out = io.StringIO()
    plain = csv.writer(out, lineterminator="\n")
    # The writer quotes a field holding the line terminator's characters, not a lone "\r",
    # which readers take for a line break all the same: such a row is quoted in full.
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    plain.writerow(("time", "units", "total"))
    for r in rows:
        if r.total.is_finite():
            fields = (r.at.strftime(TIME_FORMAT), r.units, exact_number(r.total))
            (quoted if "\r" in r.units else plain).writerow(fields)
    return out.getvalue()


def render_history_json(rows: Sequence[HistoryRow]) -> str:
    """A total that is not a number is left out: NaN and Infinity are not JSON."""
    samples = [
        {"time": r.at.strftime(TIME_FORMAT), "units": r.units, "total": r.total}
        for r in rows
        if r.total.is_finite()
    ]
    return encode_json({"samples": samples})
