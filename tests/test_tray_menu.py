"""The menu's information lines (pure): each does something when chosen, so no backend draws it
faint, and a long sentence wraps into lines instead of losing its end."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.conftest import PROJECT_A
from tests.support.deepgram_server import DOCUMENTED_ERRORS
from tests.support.tray_states import snapshot, state_with
from trayapp.accounts import Account
from trayapp.config import Settings
from trayapp.deepgram.parsing import error_for_status
from trayapp.errors import (
    BALANCES_KEY,
    AuthError,
    DeepgramTrayError,
    MalformedResponseError,
    NetworkError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
)
from trayapp.outlook.forecast import Expiry, SpendRate, build_forecast
from trayapp.tray.render import (
    CONSOLE_URL,
    MENU_TEXT_LIMIT,
    MenuAction,
    MenuLine,
    console_url,
    menu_lines,
    short_hours,
    tooltip_heading_and_body,
)
from trayapp.tray.render_accounts import view_menu_lines
from trayapp.tray.state import TrayState
from trayapp.tray.view import AccountState, TrayView
from trayapp.updates.release import Release

MEMBER = PermissionDeniedError(
    'Deepgram refused access ("User does not have sufficient permissions."), so this key may not '
    f"read balances: {BALANCES_KEY} can."
)


def information(lines: list[MenuLine]) -> list[MenuLine]:
    """The lines above the first separator: what the menu tells, before what it offers."""
    end = next(i for i, line in enumerate(lines) if line.is_separator)
    return lines[:end]


class TestEveryLineDoesSomething:
    def test_nothing_in_the_menu_is_disabled(self) -> None:
        rate = SpendRate("billing", Decimal("4.25"), Decimal("1.20"))
        expiry = Expiry(date(2026, 12, 4), Decimal(150), "usd", "p0")
        forecast = build_forecast(Decimal("128.32"), rate, expiry)
        states = [
            state_with("125.07", "3.25", forecast=forecast),
            state_with(),
            state_with(has_key=False),
            state_with(error=MEMBER),
            state_with("1", error=NetworkError("offline.")),
        ]
        for state in states:
            for line in menu_lines(state, start_at_login=False):
                assert line.is_separator or line.action is not None, line

    def test_the_amounts_open_the_console_each_project_its_own_page(self) -> None:
        state = state_with("125.07", "3.25")
        total, first, second, _status = information(menu_lines(state))
        assert total.text == "Total: $128.32"
        assert (total.action, total.link) == (MenuAction.CONSOLE, None)
        assert (first.action, first.link) == (MenuAction.CONSOLE, f"{CONSOLE_URL}project/p0")
        assert (second.action, second.link) == (MenuAction.CONSOLE, f"{CONSOLE_URL}project/p1")

    def test_the_forecast_opens_the_history_and_the_status_refreshes(self) -> None:
        forecast = build_forecast(Decimal(100), SpendRate("billing", Decimal(10)), None)
        lines = information(menu_lines(state_with("100", forecast=forecast)))
        assert [(line.text, line.action) for line in lines[2:]] == [
            (
                "Spending $10.00 a day on average (Deepgram's billing, last 7 days)",
                MenuAction.HISTORY,
            ),
            ("About 10 days left", MenuAction.HISTORY),
            ("Updated 18:03", MenuAction.REFRESH),
        ]

    @pytest.mark.parametrize(
        "state",
        [
            state_with(has_key=False),
            state_with(error=AuthError("Deepgram refused the API key.")),
            state_with(error=MEMBER),
            state_with(snapshot=snapshot("1", errors={0: MEMBER})),
        ],
        ids=["no key", "refused", "member key", "member key inside the read"],
    )
    def test_a_key_problem_opens_the_settings(self, state: TrayState) -> None:
        lines = information(menu_lines(state))
        first, status = lines[0], lines[-1]
        assert status.action is MenuAction.SETTINGS
        assert first.action in (MenuAction.SETTINGS, MenuAction.CONSOLE)  # the total: Console

    def test_before_the_first_read_the_first_line_refreshes(self) -> None:
        for state in (state_with(), state_with(error=NetworkError("offline."))):
            first, *_ = information(menu_lines(state))
            assert first.action is MenuAction.REFRESH, first


def test_console_urls() -> None:
    assert console_url() == CONSOLE_URL == "https://console.deepgram.com/"
    assert console_url("") == CONSOLE_URL
    assert console_url("3f0c-1") == "https://console.deepgram.com/project/3f0c-1"
    # An id is the server's word: it cannot lead anywhere else on the Console.
    assert console_url("../a b?c#d") == "https://console.deepgram.com/project/..%2Fa%20b%3Fc%23d"


def messages_of_every_kind() -> list[DeepgramTrayError]:
    """Every error a refresh can end with, in the words the app says them."""
    documented = [
        error_for_status(d.status, d.body, {}, project_id=PROJECT_A)
        for d in DOCUMENTED_ERRORS.values()
    ]
    return [
        *documented,
        MEMBER,
        error_for_status(404, b"{}", {}),  # no projects endpoint: names api_url's value
        error_for_status(429, b"", {"Retry-After": "120"}),
        error_for_status(502, b'{"err_msg": "' + b"Bad gateway " * 30 + b'"}', {}),
        NetworkError(
            "Could not reach api.deepgram.com (Name or service not known): check your internet "
            "connection and api_url, then try again."
        ),
        NetworkError(
            "The API answered with a redirect (HTTP 302) instead of data: check api_url, or "
            "whether a proxy or captive portal is intercepting requests."
        ),
        MalformedResponseError(
            "The API's answer was larger than 10000 kB, which no balance answer is: check "
            "api_url, or whether a proxy is answering."
        ),
        RateLimitedError("Deepgram is rate-limiting this key: wait a minute and try again."),
        ServerError("x" * 250 + " " + "https://status.deepgram.com/" + "y" * 120 + "."),
        DeepgramTrayError("Something unexpected went wrong: see the log."),
    ]


@pytest.mark.parametrize("error", messages_of_every_kind(), ids=lambda e: type(e).__name__)
def test_an_error_sentence_wraps_whole_into_lines_that_fit(error: DeepgramTrayError) -> None:
    for state in (state_with(error=error), state_with("12", error=error)):
        lines = information(menu_lines(state))
        status = lines[1:] if state.snapshot is None else lines[2:]  # after the amounts
        assert all(0 < len(line.text) <= MENU_TEXT_LIMIT for line in status), status
        joined = " ".join(line.text for line in status)
        # Nothing lost: the same words in the same order (a word broken only when too long).
        assert joined.replace(" ", "") == error.message.replace(" ", "")
        assert joined.split() == error.message.split() or any(
            len(word) > MENU_TEXT_LIMIT for word in error.message.split()
        )
        assert len({line.action for line in status}) == 1


def test_the_member_key_advice_is_all_there() -> None:
    """The sentence a user saw cut at "…perform that a…": its advice is its second line."""
    texts = [line.text for line in information(menu_lines(state_with(error=MEMBER)))]
    assert texts == [
        "Balance: unknown",
        'Deepgram refused access ("User does not have sufficient permissions."), so this key may',
        "not read balances: an Owner or Admin key can.",
    ]


def test_a_hyphenated_word_stays_whole() -> None:
    """`deepgram-tray key set` is one command to type: a line never ends inside it."""
    message = "x" * 75 + " run `deepgram-tray key set`."  # "`deepgram-" would fit line 1
    lines = [line.text for line in information(menu_lines(state_with(error=AuthError(message))))]
    assert lines[1:] == ["x" * 75 + " run", "`deepgram-tray key set`."]


def test_the_tooltip_as_heading_and_body() -> None:
    """For StatusNotifierItem hosts, which show both: nothing cut, a line a part."""
    assert tooltip_heading_and_body(state_with("3", error=NetworkError("offline."))) == (
        "Deepgram $3.00",
        "offline\nupdated 18:03",
    )


def test_hours_for_the_icon_round_down_like_dollars() -> None:
    assert [short_hours(Decimal(h)) for h in ("4.19", "12.9", "1234")] == ["4.1h", "12h", "1.2kh"]


RELEASE = Release("0.2.0", "https://pypi.org/project/deepgram-balance-tray/0.2.0/")


def test_a_newer_release_is_one_line_above_the_actions_that_opens_its_page() -> None:
    lines = menu_lines(state_with("10"), update=RELEASE)
    texts = [line.text for line in lines]
    at = texts.index("Version 0.2.0 available")
    assert texts[at - 1] == "" and texts[at + 1] == "Refresh now"
    assert lines[at] == MenuLine("Version 0.2.0 available", MenuAction.UPDATE, link=RELEASE.page)
    assert [line.text for line in menu_lines(state_with("10"))] == texts[:at] + texts[at + 1 :]


def test_the_update_line_is_in_a_menu_of_several_accounts_once() -> None:
    view = TrayView(
        (
            AccountState(Account("default", "default", Settings()), state_with("1")),
            AccountState(Account("client-a", "Client A", Settings()), state_with("2")),
        )
    )
    texts = [line.text for line in view_menu_lines(view, update=RELEASE)]
    assert texts.count("Version 0.2.0 available") == 1
    assert texts[texts.index("Version 0.2.0 available") + 1] == "Refresh now"
    assert "Version 0.2.0 available" not in [line.text for line in view_menu_lines(view)]


def test_a_release_of_absurd_length_is_cut_to_the_menus_limit() -> None:
    long = Release("1." + "0" * 120, "https://pypi.org/")
    (line,) = [line for line in menu_lines(state_with("1"), update=long) if line.link == long.page]
    assert len(line.text) <= MENU_TEXT_LIMIT
