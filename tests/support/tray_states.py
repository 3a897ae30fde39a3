"""Ready-made tray states and snapshots for the headless tray tests."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from trayapp.deepgram.models import Balance, BalanceSnapshot, Project, ProjectBalances
from trayapp.tray.notifications import AlertMemory, alerts_for
from trayapp.tray.state import Thresholds, TrayState

WARN = Decimal("20")
CRITICAL = Decimal("5")
THRESHOLDS = Thresholds(
    warn_below=WARN, critical_below=CRITICAL, warn_days_left=Decimal(7), warn_expiry_days=14
)
"""The default settings' limits, spelled out: amber below $20, red below $5, a week, two weeks."""
FETCHED_AT = datetime(2026, 11, 24, 18, 3, tzinfo=timezone.utc)


def snapshot(*amounts: str, errors: dict[int, Exception] | None = None) -> BalanceSnapshot:
    """One project per amount; `errors` maps a project's index to its error."""
    projects = []
    for index, amount in enumerate(amounts):
        project = Project(f"p{index}", f"Project {index}")
        error = (errors or {}).get(index)
        if error is not None:
            projects.append(ProjectBalances(project, error=error))  # type: ignore[arg-type]
        else:
            balance = Balance(f"b{index}", Decimal(amount), "usd")
            projects.append(ProjectBalances(project, (balance,)))
    return BalanceSnapshot(fetched_at=FETCHED_AT, projects=tuple(projects))


def state_with(*amounts: str, **changes: object) -> TrayState:
    """A state showing these amounts (one project each) under THRESHOLDS.

    `changes` sets TrayState's fields, or one of the thresholds by its name (warn_below=...).
    """
    limits: dict[str, Any] = {n: changes.pop(n) for n in Thresholds._fields if n in changes}
    values: dict[str, object] = {
        "thresholds": THRESHOLDS._replace(**limits),
        "snapshot": snapshot(*amounts) if amounts else None,
    }
    values.update(changes)
    return TrayState(**values)  # type: ignore[arg-type]


def said(*states: TrayState) -> list[str]:
    """The notification titles shown for a run of states, starting from a fresh tray."""
    memory, titles = AlertMemory(), []
    for state in states:
        memory, alerts = alerts_for(memory, state)
        titles += [alert.title for alert in alerts]
    return titles
