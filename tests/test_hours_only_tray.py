"""An account billed only by the hour: the tray's dollar thresholds say nothing about it.

Before, its dollar total counted as $0: the icon turned red and "Deepgram balance critical: $0.00"
was sent for an account with hours to spare.
"""

from __future__ import annotations

from decimal import Decimal

from tests.support.tray_states import FETCHED_AT, THRESHOLDS, said
from trayapp.deepgram.models import Balance, BalanceSnapshot, Project, ProjectBalances
from trayapp.tray.icon import icon_text
from trayapp.tray.render import menu_lines
from trayapp.tray.state import Level, TrayState


def state_in(*balances: tuple[str, str]) -> TrayState:
    """One project holding these (amount, units) balances."""
    held = tuple(Balance(f"b{i}", Decimal(a), u) for i, (a, u) in enumerate(balances))
    project = ProjectBalances(Project("p0", "Project 0"), held)
    return TrayState(THRESHOLDS, BalanceSnapshot(fetched_at=FETCHED_AT, projects=(project,)))


def test_hours_only_is_not_a_dollar_amount() -> None:
    state = state_in(("12.5", "hour"))
    assert state.total is None
    assert state.level is Level.OK
    assert icon_text(state) == "12h"


def test_hours_only_sends_no_dollar_alert() -> None:
    assert said(state_in(("12.5", "hour")), state_in(("0.5", "hour"))) == []


def test_the_menu_still_shows_the_hours() -> None:
    texts = [line.text for line in menu_lines(state_in(("12.5", "hour")))]
    assert any("12.5 hours" in text for text in texts), texts


def test_dollars_beside_hours_keep_the_dollar_thresholds() -> None:
    state = state_in(("3", "usd"), ("12.5", "hour"))
    assert state.total == Decimal(3)
    assert state.level is Level.CRITICAL
    assert said(state) == ["Deepgram balance critical: $3.00"]


def test_no_balance_at_all_is_still_zero_dollars() -> None:
    empty = TrayState(
        THRESHOLDS,
        BalanceSnapshot(FETCHED_AT, (ProjectBalances(Project("p0", "Project 0"), ()),)),
    )
    assert empty.total == Decimal(0)
    assert empty.level is Level.CRITICAL


def test_a_unit_the_icon_cannot_show_gets_a_dash() -> None:
    state = state_in(("7", "credits"))
    assert state.level is Level.OK
    assert icon_text(state) == "-"
