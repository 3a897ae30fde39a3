"""Which desktop notifications a new state deserves: each threshold crossing once, not every poll.

Pure: the tray keeps an AlertMemory between states and shows what `alerts_for` returns.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from trayapp.deepgram.models import MAIN_UNIT
from trayapp.formats import display_amount, display_date, expiring_credit
from trayapp.outlook.forecast import describe_days, describe_when, worth_announcing
from trayapp.tray.state import TrayState
from trayapp.tray.text import fit

TITLE_LIMIT = 64  # Windows balloon titles
MESSAGE_LIMIT = 256  # Windows balloon texts


@dataclass(frozen=True)
class Alert:
    title: str
    message: str


@dataclass(frozen=True)
class AlertMemory:
    """Which alerts have fired and not yet been re-armed."""

    warned: bool = False
    critical: bool = False
    key_failed: bool = False
    few_days_left: bool = False
    expiry_warned: date | None = None
    """The expiry date already announced: a later, different expiry is announced again."""


def alerts_for(memory: AlertMemory, state: TrayState) -> tuple[AlertMemory, list[Alert]]:
    """Alerts for `state` given what has already been said; a rise back above re-arms each one."""
    alerts: list[Alert] = []
    blocking = state.blocking_error
    if blocking is not None:
        if not memory.key_failed:
            alerts.append(_alert("Deepgram key stopped working", blocking.message))
        return replace(memory, key_failed=True), alerts
    if state.error is None and state.snapshot is not None:
        memory = replace(memory, key_failed=False)

    total = state.total
    if total is None or state.stale or state.error is not None:
        return memory, alerts  # nothing new is known about the amount
    memory = _threshold_alerts(memory, state, total, alerts)
    memory = _days_left_alert(memory, state, total, alerts)
    return _expiry_alert(memory, state, alerts), alerts


def _threshold_alerts(
    memory: AlertMemory, state: TrayState, total: Decimal, alerts: list[Alert]
) -> AlertMemory:
    amount = display_amount(total, MAIN_UNIT)
    thresholds = state.thresholds
    if total < thresholds.critical_below:
        if not memory.critical:
            limit = display_amount(thresholds.critical_below, MAIN_UNIT)
            alerts.append(
                _alert(
                    f"Deepgram balance critical: {amount}",
                    f"Your Deepgram credit is {amount}, below {limit}: top up in the Deepgram "
                    "Console before requests start failing.",
                )
            )
        return replace(memory, warned=True, critical=True)
    memory = replace(memory, critical=False)
    if total < thresholds.warn_below:
        if not memory.warned:
            limit = display_amount(thresholds.warn_below, MAIN_UNIT)
            alerts.append(
                _alert(
                    f"Deepgram balance low: {amount}",
                    f"Your Deepgram credit is {amount}, below {limit}: consider topping up soon.",
                )
            )
        return replace(memory, warned=True)
    return replace(memory, warned=False)


def _days_left_alert(
    memory: AlertMemory, state: TrayState, total: Decimal, alerts: list[Alert]
) -> AlertMemory:
    """Once as the projection drops below warn_days_left; re-armed when it is back above."""
    forecast, limit = state.forecast, state.thresholds.warn_days_left
    if forecast is None or forecast.days_left is None or limit <= 0:
        return memory  # unknown is not "plenty": keep what was said until there is a figure
    if forecast.days_left >= limit:
        return replace(memory, few_days_left=False)
    if not memory.few_days_left and forecast.rate.per_day is not None:
        rate = display_amount(forecast.rate.per_day, MAIN_UNIT)
        lasts = describe_days(forecast.days_left)
        alerts.append(
            _alert(
                f"Deepgram credit: {lasts} left",
                f"At {rate} a day (the average of the last 7 days), your "
                f"{display_amount(total, MAIN_UNIT)} of Deepgram credit lasts {lasts}: top up in "
                "the Deepgram Console.",
            )
        )
    return replace(memory, few_days_left=True)


def _expiry_alert(memory: AlertMemory, state: TrayState, alerts: list[Alert]) -> AlertMemory:
    """Once per expiry date, warn_expiry_days before it."""
    forecast, limit, days = state.forecast, state.thresholds.warn_expiry_days, state.days_to_expiry
    if forecast is None or forecast.nearest_expiry is None or days is None or limit <= 0:
        return memory
    expiry = forecast.nearest_expiry
    if days > limit or not worth_announcing(days) or memory.expiry_warned == expiry.day:
        return memory
    alerts.append(
        _alert(
            f"Deepgram credit expires {describe_when(days)}",
            f"Deepgram credit expires on {display_date(expiry.day)}: {expiring_credit(expiry)}. "
            "Whatever is left of it then is lost, so plan your usage or top-ups around it.",
        )
    )
    return replace(memory, expiry_warned=expiry.day)


def _alert(title: str, message: str) -> Alert:
    return Alert(title=fit(title, TITLE_LIMIT), message=fit(message, MESSAGE_LIMIT))
