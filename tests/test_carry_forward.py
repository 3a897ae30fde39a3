"""What the tray keeps showing when a fetch reads some projects, or none (pure logic)."""

from __future__ import annotations

from decimal import Decimal

from tests.support.tray_states import snapshot, state_with
from trayapp.errors import (
    AuthError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
)
from trayapp.tray.carry_forward import carry_forward, headline_error, read_nothing
from trayapp.tray.render import menu_lines
from trayapp.tray.state import Level


def test_a_fetch_that_read_no_project_read_nothing() -> None:
    assert read_nothing(snapshot("1", "2", errors={0: ServerError("x."), 1: ServerError("y.")}))
    assert not read_nothing(snapshot("1", "2", errors={0: ServerError("x.")}))
    assert not read_nothing(snapshot())  # no projects at all is an answer: an empty account


def test_the_headline_error_is_the_one_to_act_on_first() -> None:
    network, member = NetworkError("n."), PermissionDeniedError("p.")
    assert headline_error((network, member)) is member
    assert headline_error((PermissionDeniedError("p."), AuthError("a."))).kind == "auth"
    short, long = RateLimitedError("r.", retry_after=30), RateLimitedError("r.", retry_after=600)
    assert headline_error((network, short, long)) is long
    assert headline_error((network, ServerError("s."))) is network
    unspecified, one_second = RateLimitedError("r."), RateLimitedError("r.", retry_after=1)
    assert headline_error((unspecified, one_second)) is one_second


def test_a_project_that_fails_twice_in_a_row_keeps_its_amount() -> None:
    failure = ServerError("busy.")
    once = carry_forward(snapshot("90", "0", errors={1: failure}), snapshot("100", "3.25"))
    twice = carry_forward(snapshot("80", "0", errors={1: failure}), once)
    assert twice.main_total == Decimal("83.25")  # no false drop, so no false low-balance alert
    assert twice.projects[1].error is failure


def test_an_unread_project_keeps_its_last_amount_with_the_error() -> None:
    previous = snapshot("100", "3.25")
    failure = ServerError("busy.")
    merged = carry_forward(snapshot("90", "0", errors={1: failure}), previous)
    assert merged.main_total == Decimal("93.25")
    assert merged.projects[1].error is failure
    assert merged.projects[0].totals == {"usd": Decimal("90")}


def test_a_project_that_is_not_found_is_not_carried() -> None:
    merged = carry_forward(
        snapshot("90", "0", errors={1: NotFoundError("gone.")}), snapshot("1", "2")
    )
    assert merged.main_total == Decimal("90")
    assert merged.projects[1].balances == ()


def test_nothing_to_carry_without_a_previous_read() -> None:
    new = snapshot("90", "0", errors={1: ServerError("busy.")})
    assert carry_forward(new, None) is new


def test_the_menu_marks_a_carried_amount() -> None:
    merged = carry_forward(
        snapshot("90", "0", errors={1: ServerError("busy.")}), snapshot("1", "5")
    )
    state = state_with(snapshot=merged)
    texts = [line.text.strip() for line in menu_lines(state)]
    assert "Project 1: $5.00, not updated (Deepgram server error)" in texts
    assert "Total: $95.00" in texts
    assert state.level is Level.OK
