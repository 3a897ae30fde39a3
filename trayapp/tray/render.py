"""TrayState -> what the tray says: the tooltip, the menu's lines and the icon's short amount. Pure.

The icon's pixels are drawn in `tray/icon.py`. Nothing here knows pystray: `tray/app.py` turns
MenuLine values into its menu items.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from enum import Enum

from trayapp.deepgram.models import MAIN_UNIT
from trayapp.errors import DeepgramTrayError
from trayapp.formats import (
    display_amount,
    display_totals,
    expiring_credit_short,
    expiry_sentence,
)
from trayapp.outlook.forecast import (
    EXPIRY_HORIZON_DAYS,
    WINDOW_DAYS,
    SpendRate,
    days_left,
    describe_days_left,
    describe_when,
)
from trayapp.tray.state import TrayState
from trayapp.tray.text import fit
from trayapp.updates.release import Release

TOOLTIP_LIMIT = 127  # Windows allows 128 UTF-16 units including the terminating NUL
MENU_TEXT_LIMIT = 90

# --- words ----------------------------------------------------------------------------------


def short_amount(total: Decimal) -> str:
    """A few characters for the icon: `$4.1`, `$128`, `1.2k`, `99k`, `3.4M`; always rounded down."""
    if total < 0:
        return "-$" + short_amount(-total).lstrip("$") if total <= -1 else "$0"
    if total < 10:
        shown = total.quantize(Decimal("0.1"), rounding=ROUND_FLOOR)
        return "$0" if shown == 0 else f"${shown}"
    if total < 1000:
        return f"${int(total)}"
    for divisor, suffix in ((Decimal(1000), "k"), (Decimal(1_000_000), "M")):
        scaled = total / divisor
        if scaled < 10:
            return f"{scaled.quantize(Decimal('0.1'), rounding=ROUND_FLOOR)}{suffix}"
        if scaled < 1000:
            return f"{int(scaled)}{suffix}"
    return "1B+"


def short_hours(total: Decimal) -> str:
    """Hours for the icon, rounded down like dollars: `4.1h`, `12h`, `1.2kh`."""
    return short_amount(total).replace("$", "") + "h"


def problem_words(error: DeepgramTrayError) -> str:
    """The problem in a few plain words, for the tooltip and the menu: each error class says."""
    return error.words


def clock_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M")


def tooltip_text(state: TrayState) -> str:
    """The tooltip on one line, within the shortest limit (Windows')."""
    return fit(" · ".join(tooltip_parts(state)), TOOLTIP_LIMIT)


def tooltip_heading_and_body(state: TrayState) -> tuple[str, str]:
    """The tooltip as a heading (the amount) and a body of a line a part, for trays that show
    both (StatusNotifierItem's ToolTip): nothing is cut there."""
    heading, *rest = tooltip_parts(state)
    return heading, "\n".join(rest)


def tooltip_parts(state: TrayState) -> list[str]:
    """The amount first, then what went wrong or the forecast, then when it was read."""
    if not state.has_key:
        return ["Deepgram balance: no API key set"]
    snapshot = state.snapshot
    parts = ["Deepgram" if snapshot is None else f"Deepgram {display_totals(snapshot.totals)}"]
    problem = state.blocking_error or state.error
    if problem is not None:
        parts.append(problem_words(problem))
    elif state.forecast is not None and not state.stale:
        parts += forecast_tooltip_parts(state)
    if snapshot is not None:
        label = "stale since" if state.stale else "updated"
        parts.append(f"{label} {clock_time(snapshot.fetched_at)}")
    elif problem is None:
        parts.append("checking…")
    return parts


class MenuAction(Enum):
    """What choosing a menu item does; the tray handles each one (mypy checks that it does)."""

    REFRESH = "refresh"
    HISTORY = "history"
    SETTINGS = "settings"
    AUTOSTART = "autostart"
    CONSOLE = "console"
    UPDATE = "update"
    QUIT = "quit"


CONSOLE_URL = "https://console.deepgram.com/"


def console_url(project_id: str | None = None) -> str:
    """The Deepgram Console's page of a project (its balances and billing are a click away
    there), or the Console's front page."""
    if not project_id:
        return CONSOLE_URL
    from urllib.parse import quote

    return f"{CONSOLE_URL}project/{quote(project_id, safe='')}"


@dataclass(frozen=True)
class MenuLine:
    """One menu entry, or a separator when `text` is empty.

    Every entry does something when chosen, the lines that inform too: a disabled item is drawn
    faint, and the amounts are what the menu is for.
    """

    text: str
    action: MenuAction | None = None
    """What choosing it does; None for a separator."""
    default: bool = False
    checked: bool | None = None
    """A check box's state; None for plain items."""
    link: str | None = None
    """The page a CONSOLE entry opens (None: the Console's front page), or an UPDATE entry's
    release page."""
    account: str | None = None
    """The account a SETTINGS or HISTORY entry is about, in a menu of several (None: no one's)."""

    @property
    def is_separator(self) -> bool:
        return not self.text


SEPARATOR = MenuLine("")


def wrapped(
    text: str, action: MenuAction, *, indent: str = "", account: str | None = None
) -> list[MenuLine]:
    """`text` as menu lines of at most MENU_TEXT_LIMIT characters, broken between words (a word
    longer than that, a URL say, is broken too): nothing of a sentence is lost, each line does
    what the sentence's one item would."""
    lines = textwrap.wrap(text, MENU_TEXT_LIMIT - len(indent), break_on_hyphens=False)
    return [MenuLine(indent + line, action, account=account) for line in lines]


def menu_lines(
    state: TrayState, *, start_at_login: bool | None = None, update: Release | None = None
) -> list[MenuLine]:
    """The menu for `state`; `start_at_login` adds that check box (None: not offered here), and
    `update` a line saying that newer release is out.

    The amounts open the Console (a project's line, that project's page), the forecast opens the
    history chart, and the status opens what fixes it: the settings for a key problem, else a
    refresh.
    """
    return account_menu_lines(state) + common_menu_lines(
        start_at_login=start_at_login, update=update
    )


def account_menu_lines(
    state: TrayState, *, account: str | None = None, indent: str = ""
) -> list[MenuLine]:
    """What the menu says of one account: its total (or why there is none), its projects, the
    forecast and the status. `account` names it in a menu of several, where `indent` sets its
    sentences under its heading."""
    lines: list[MenuLine] = []
    snapshot = state.snapshot
    key_problem = not state.has_key or state.blocking_error is not None
    fix = MenuAction.SETTINGS if key_problem else MenuAction.REFRESH
    if not state.has_key:
        lines.append(MenuLine("No API key set", MenuAction.SETTINGS, account=account))
    elif snapshot is None:
        first = "Balance: checking…" if state.error is None else "Balance: unknown"
        lines.append(MenuLine(first, fix, account=account))
    else:
        lines.append(MenuLine(f"Total: {display_totals(snapshot.totals)}", MenuAction.CONSOLE))
        for project in snapshot.projects:
            if project.error is not None and project.balances:  # carried from the last read
                words = problem_words(project.error)
                value = f"{display_totals(project.totals)}, not updated ({words})"
            elif project.error is not None:
                value = f"unavailable ({problem_words(project.error)})"
            else:
                value = display_totals(project.totals)
            text = fit(f"    {project.project.name}: {value}", MENU_TEXT_LIMIT)
            link = console_url(project.project.project_id)
            lines.append(MenuLine(text, MenuAction.CONSOLE, link=link))
    for text in forecast_menu_texts(state):
        lines += wrapped(text, MenuAction.HISTORY, indent=indent, account=account)
    lines += wrapped(status_line(state), fix, indent=indent, account=account)
    return lines


def common_menu_lines(
    *, start_at_login: bool | None = None, update: Release | None = None
) -> list[MenuLine]:
    """The actions below the amounts, the same whatever they are; first, when a newer release is
    out, a line that opens its page."""
    lines = [SEPARATOR]
    if update is not None:
        text = fit(f"Version {update.version} available", MENU_TEXT_LIMIT)
        lines.append(MenuLine(text, MenuAction.UPDATE, link=update.page))
    lines += [
        MenuLine("Refresh now", action=MenuAction.REFRESH, default=True),
        MenuLine("Show history…", action=MenuAction.HISTORY),
        MenuLine("Settings…", action=MenuAction.SETTINGS),
        MenuLine("Set API key…", action=MenuAction.SETTINGS),
    ]
    if start_at_login is not None:
        lines.append(
            MenuLine("Start at login", action=MenuAction.AUTOSTART, checked=start_at_login)
        )
    lines += [
        MenuLine("Open Deepgram Console", action=MenuAction.CONSOLE),
        SEPARATOR,
        MenuLine("Quit", action=MenuAction.QUIT),
    ]
    return lines


def forecast_menu_texts(state: TrayState) -> list[str]:
    """Spend, days left and the nearest expiry: a line each."""
    forecast, total = state.forecast, state.total
    if forecast is None or total is None or state.snapshot is None:
        return []
    texts = []
    rate = forecast.rate
    if rate.per_day is not None:
        average = f"{display_amount(rate.per_day, MAIN_UNIT)} a day on average{_basis_words(rate)}"
        if rate.today is not None:
            texts.append(f"Spent today: {display_amount(rate.today, MAIN_UNIT)}, {average}")
        else:
            texts.append(f"Spending {average}")
    days = describe_days_left(total, rate)
    texts.append(days[:1].upper() + days[1:])
    expiry, to_expiry = forecast.nearest_expiry, state.days_to_expiry
    if expiry is not None and to_expiry is not None:
        sentence = expiry_sentence(expiry, to_expiry)  # None beyond the horizon
        if sentence is not None:
            texts.append(sentence)
    return texts


def _basis_words(rate: SpendRate) -> str:
    """Where a daily average comes from: the history window shows the app's own samples, which
    can differ from Deepgram's billing, so the menu says which one it used."""
    if rate.basis == "billing":
        return f" (Deepgram's billing, last {WINDOW_DAYS} days)"
    if rate.basis == "history":
        return " (from the balances this app recorded)"
    return ""


def forecast_tooltip_parts(state: TrayState) -> list[str]:
    """Days left with the rate behind it, and an expiry once it is within the warning period."""
    forecast, total = state.forecast, state.total
    if forecast is None or total is None or state.snapshot is None:
        return []
    rate, parts = forecast.rate, []
    if rate.per_day is not None:  # "too little data" is for the menu: the tooltip is short
        days = describe_days_left(total, rate)
        if days_left(total, rate) is not None:  # "no spending lately" needs no "at $0.00/day"
            days += f" at {display_amount(rate.per_day, MAIN_UNIT)}/day"
            if rate.today is not None:
                days += f" ({display_amount(rate.today, MAIN_UNIT)} today)"
        parts.append(days)
    expiry, to_expiry = forecast.nearest_expiry, state.days_to_expiry
    warn_within = min(state.thresholds.warn_expiry_days, EXPIRY_HORIZON_DAYS)
    if expiry is not None and to_expiry is not None and to_expiry <= warn_within:
        parts.append(f"{expiring_credit_short(expiry)} expires {describe_when(to_expiry)}")
    return parts


def status_line(state: TrayState) -> str:
    problem = state.blocking_error or state.error
    if not state.has_key:
        return "Set a key: choose Set API key…"
    if state.refreshing:
        return "Refreshing…"
    if problem is not None:
        return problem.message
    if state.snapshot is None:
        return "Waiting for the first update"
    when = clock_time(state.snapshot.fetched_at)
    return f"Stale: last update {when}" if state.stale else f"Updated {when}"
