"""One tray state for each look of the icon, by name: for the icon's tests and its contact sheet."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from tests.support.tray_states import THRESHOLDS, snapshot, state_with
from trayapp.deepgram.models import Balance, BalanceSnapshot, ProjectBalances
from trayapp.errors import AuthError
from trayapp.tray.state import TrayState


def _hours_only() -> TrayState:
    """An account billed only by the hour: the icon shows hours."""
    base = snapshot("0")
    project = base.projects[0]
    hours = ProjectBalances(project.project, (Balance("b0", Decimal("4.15"), "hour"),))
    return TrayState(THRESHOLDS, snapshot=BalanceSnapshot(base.fetched_at, (hours,)))


ICON_STATES: dict[str, TrayState] = {
    "no key": state_with(has_key=False),
    "waiting": state_with(),
    "ok": state_with("128.32"),
    "warn": state_with("12.5"),
    "critical": state_with("4.17"),
    "problem": state_with("128.32", error=AuthError("refused")),
    "stale": state_with("128.32", stale=True),
    "refreshing": state_with("1234.5", refreshing=True),
    "hours only": _hours_only(),
}
"""Every look: the levels, each grey with its reason, a refresh running (on a four-character
amount, the widest the icon shows) and hours."""


PANELS: dict[str, tuple[int, int, int]] = {"dark": (0x31, 0x36, 0x3B), "light": (0xE5, 0xE5, 0xE5)}
"""The panels the icon is measured on. Dark: KDE Breeze Dark's, among the lightest dark panels in
common use (GNOME's is black, Windows' #202020), so the hardest for a badge that relies on its
fill. Light: a shade darker than the usual light taskbars (#eeeeee-#f3f3f3), leaving room for
tints and translucency."""


def refreshing(state: TrayState) -> TrayState:
    return replace(state, refreshing=True)
