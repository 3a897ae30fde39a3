"""What the tray says with several accounts: the view's headline, the tooltip's line per account
within Windows' limit, the menu's sections; and with one account exactly what it said before."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.support.tray_states import state_with
from trayapp.accounts import Account
from trayapp.config import Settings
from trayapp.errors import AuthError, NetworkError
from trayapp.tray.render import (
    MENU_TEXT_LIMIT,
    TOOLTIP_LIMIT,
    MenuAction,
    menu_lines,
    tooltip_heading_and_body,
    tooltip_text,
)
from trayapp.tray.render_accounts import (
    ACCOUNT_LINE_LIMIT,
    view_menu_lines,
    view_tooltip_heading_and_body,
    view_tooltip_text,
)
from trayapp.tray.state import TrayState
from trayapp.tray.view import AccountState, TrayView, as_view, single_view

REFUSED = AuthError("Deepgram refused the API key: set a new one.", status=401)


def entry(name: str, state: TrayState, label: str | None = None) -> AccountState:
    return AccountState(Account(name, label or name, Settings()), state)


def two(default: TrayState, client_a: TrayState) -> TrayView:
    return TrayView((entry("default", default), entry("client-a", client_a, "Client A")))


ONE_ACCOUNT_STATES = [
    state_with("128.32"),
    state_with("4.10"),
    state_with(has_key=False),
    state_with("12.00", error=REFUSED),
    state_with("12.00", stale=True),
    state_with(),
]


@pytest.mark.parametrize("state", ONE_ACCOUNT_STATES)
def test_one_account_reads_exactly_as_before_accounts(state: TrayState) -> None:
    view = single_view(state)
    assert view_tooltip_text(view) == tooltip_text(state)
    assert view_tooltip_heading_and_body(view) == tooltip_heading_and_body(state)
    assert view_menu_lines(view, start_at_login=True) == menu_lines(state, start_at_login=True)


class TestHeadline:
    def test_critical_then_unreadable_then_low_then_waiting(self) -> None:
        assert two(state_with("128"), state_with("4")).headline.name == "client-a"
        assert two(state_with("4"), state_with("400", error=REFUSED)).headline.name == "default"
        assert two(state_with("15"), state_with("400", error=REFUSED)).headline.name == "client-a"
        assert two(state_with("15"), state_with(has_key=False)).headline.name == "client-a"
        assert two(state_with("128"), state_with("15")).headline.name == "client-a"
        assert two(state_with(), state_with("128")).headline.name == "default"

    def test_among_equals_the_lower_amount_then_the_first(self) -> None:
        assert two(state_with("3"), state_with("2")).headline.name == "client-a"
        assert two(state_with("200"), state_with("200")).headline.name == "default"

    def test_a_state_alone_is_the_top_level_accounts_view(self) -> None:
        state = state_with("4")
        view = as_view(state)
        assert view.single and view.state is state and view.headline.name == "default"
        assert as_view(view) is view
        several = two(state_with("1"), state_with("2"))
        assert not several.single and as_view(several) is several

    def test_a_view_is_never_empty(self) -> None:
        with pytest.raises(ValueError, match="at least one account"):
            TrayView(())


class TestTooltip:
    def test_a_line_per_account_the_most_urgent_first(self) -> None:
        view = two(state_with("128.32"), state_with("4.10"))
        assert view_tooltip_text(view) == ("Deepgram balances\nClient A: $4.10\nDefault: $128.32")

    def test_says_what_is_wrong_with_an_account(self) -> None:
        view = TrayView(
            (
                entry("default", state_with("12.00", error=REFUSED)),
                entry("client-a", state_with(has_key=False), "Client A"),
                entry("client-b", state_with("50.00", stale=True), "Client B"),
            )
        )
        lines = view_tooltip_text(view).splitlines()
        assert lines[0] == "Deepgram balances"
        assert "Default: $12.00, API key refused" in lines
        assert "Client A: no API key set" in lines
        assert any(line.startswith("Client B: $50.00, stale since ") for line in lines)
        offline = two(state_with("9"), state_with(error=NetworkError("Offline.")))
        assert "Client A: offline" in view_tooltip_text(offline).splitlines()

    def test_many_accounts_fit_windows_limit_and_say_how_many_more(self) -> None:
        view = TrayView(
            tuple(
                entry(f"client-{n}", state_with(f"{n}00.00"), f"A rather long client name {n}")
                for n in range(1, 9)
            )
        )
        text = view_tooltip_text(view)
        assert len(text) <= TOOLTIP_LIMIT
        assert text.splitlines()[1] == "A rather long client name 1: $100.00"  # the lowest
        assert text.splitlines()[-1].startswith("+") and text.endswith(" more")

    def test_a_long_label_leaves_room_for_the_others(self) -> None:
        view = two(state_with("128"), state_with("1"))
        wide = TrayView((view.accounts[0], entry("client-a", state_with("1"), "W" * 100)))
        line = view_tooltip_text(wide).splitlines()[1]
        assert len(line) == 60 and line.endswith("…")

    def test_lines_that_fill_the_limit_exactly_are_all_shown(self) -> None:
        # "Deepgram balances" (17), then two lines of 54 ("<47 characters>: $1.00"): 127.
        view = TrayView(
            (
                entry("client-a", state_with("1"), "A" * 47),
                entry("client-b", state_with("1"), "B" * 47),
            )
        )
        text = view_tooltip_text(view)
        assert len(text) == TOOLTIP_LIMIT and "more" not in text

    def test_as_many_lines_as_fit_are_shown(self) -> None:
        # Three lines of 40 do not fit with the heading; two and "+1 more" do.
        view = TrayView(
            tuple(entry(f"c-{n}", state_with(f"{n}"), f"{n}" * 33) for n in range(1, 4))
        )
        lines = view_tooltip_text(view).splitlines()
        assert [len(line) for line in lines[1:3]] == [40, 40]
        assert lines[-1] == "+1 more" and len(lines) == 4

    def test_when_only_one_line_fits_the_rest_are_counted(self) -> None:
        view = TrayView(
            tuple(
                entry(f"client-{n}", state_with(f"{n}"), f"{n}" * ACCOUNT_LINE_LIMIT)
                for n in range(1, 4)
            )
        )
        lines = view_tooltip_text(view).splitlines()
        assert lines[0] == "Deepgram balances" and lines[-1] == "+2 more"
        assert len(lines) == 3 and lines[1].startswith("111")

    def test_the_status_notifier_body_has_every_account_and_the_time(self) -> None:
        view = two(state_with("128.32"), state_with("4.10"))
        heading, body = view_tooltip_heading_and_body(view)
        assert heading == "Deepgram balances"
        assert body.splitlines()[:2] == ["Client A: $4.10", "Default: $128.32"]
        assert body.splitlines()[2].startswith("updated ")


class TestMenu:
    def test_a_section_per_account_in_the_configs_order(self) -> None:
        view = two(state_with("128.32"), state_with("4.10"))
        texts = [line.text for line in view_menu_lines(view)]
        assert texts[0] == "Default — Total: $128.32"
        start = texts.index("Client A — Total: $4.10")
        assert texts[start - 1] == ""  # a separator between sections
        assert "    Project 0: $4.10" in texts[start:]
        assert texts[-1] == "Quit" and "Refresh now" in texts

    def test_a_key_problem_opens_that_accounts_settings(self) -> None:
        view = two(state_with("128.32"), state_with(has_key=False))
        lines = view_menu_lines(view)
        (no_key,) = [line for line in lines if line.text == "Client A — No API key set"]
        assert no_key.action is MenuAction.SETTINGS and no_key.account == "client-a"
        status = [line for line in lines if "Set a key" in line.text]
        assert status and all(line.account == "client-a" for line in status)
        # The actions below the sections are no one account's.
        (settings,) = [line for line in lines if line.text == "Settings…"]
        assert settings.account is None

    def test_a_sections_sentences_are_indented_and_within_the_limit(self) -> None:
        long = state_with("12.00", error=NetworkError("x " * 80 + "end."))
        lines = view_menu_lines(two(state_with("128"), long))
        start = [line.text for line in lines].index("Client A — Total: $12.00")
        end = [line.text for line in lines].index("", start)
        section = lines[start + 1 : end]
        assert len(section) > 2  # the project, and the sentence on several lines
        assert all(line.text.startswith("    ") for line in section)
        assert all(len(line.text) <= MENU_TEXT_LIMIT for line in lines)

    def test_a_long_label_is_cut_to_the_menus_limit(self) -> None:
        view = two(state_with("1"), state_with("2"))
        wide = TrayView((view.accounts[0], entry("client-a", state_with("2"), "W" * 120)))
        assert all(len(line.text) <= MENU_TEXT_LIMIT for line in view_menu_lines(wide))
        assert Decimal(2) == wide.accounts[1].state.total
