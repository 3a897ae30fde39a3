"""Which desktop notifications a new state deserves: each threshold crossing once, not every poll.

Pure: the tray keeps an AlertMemory between states and shows what `alerts_for` returns.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from trayapp.formats import display_amount
from trayapp.models import MAIN_UNIT
from trayapp.state import TrayState

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
    amount = display_amount(total, MAIN_UNIT)
    if total < state.critical_below:
        if not memory.critical:
            limit = display_amount(state.critical_below, MAIN_UNIT)
            alerts.append(
                _alert(
                    f"Deepgram balance critical: {amount}",
                    f"Your Deepgram credit is {amount}, below {limit}: top up in the Deepgram "
                    "Console before requests start failing.",
                )
            )
        return replace(memory, warned=True, critical=True), alerts
    memory = replace(memory, critical=False)
    if total < state.warn_below:
        if not memory.warned:
            limit = display_amount(state.warn_below, MAIN_UNIT)
            alerts.append(
                _alert(
                    f"Deepgram balance low: {amount}",
                    f"Your Deepgram credit is {amount}, below {limit}: consider topping up soon.",
                )
            )
        return replace(memory, warned=True), alerts
    return replace(memory, warned=False), alerts


def _alert(title: str, message: str) -> Alert:
    return Alert(title=_fit(title, TITLE_LIMIT), message=_fit(message, MESSAGE_LIMIT))


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
