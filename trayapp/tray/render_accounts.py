"""TrayView -> what the tray says: with one account exactly what `render` says of it, with several
a menu section and a tooltip line per account. Pure.

The icon is drawn from the account that most needs a look (`TrayView.headline`), so the tooltip
starts with that one too: when the desktop's limit cuts it short, what is lost is the accounts
that need nothing.
"""

from __future__ import annotations

from dataclasses import replace

from trayapp.formats import display_totals
from trayapp.tray.render import (
    MENU_TEXT_LIMIT,
    SEPARATOR,
    TOOLTIP_LIMIT,
    MenuLine,
    account_menu_lines,
    clock_time,
    common_menu_lines,
    menu_lines,
    problem_words,
    tooltip_heading_and_body,
    tooltip_text,
)
from trayapp.tray.text import fit
from trayapp.tray.view import URGENCY, AccountState, TrayView
from trayapp.updates.release import Release

HEADING = "Deepgram balances"
SECTION_INDENT = "    "
ACCOUNT_LINE_LIMIT = 60
"""An account's tooltip line at most: a long label or error must leave room for the others."""


def view_tooltip_text(view: TrayView) -> str:
    """The tooltip within the shortest limit (Windows'): a line per account, the most urgent
    first, and "+N more" for those that do not fit."""
    if view.single:
        return tooltip_text(view.state)
    lines = [fit(account_line(entry), ACCOUNT_LINE_LIMIT) for entry in most_urgent_first(view)]

    def first(shown: int) -> str:
        rest = len(lines) - shown
        return "\n".join([HEADING, *lines[:shown], *([f"+{rest} more"] if rest else [])])

    for shown in range(len(lines), 1, -1):
        if len(first(shown)) <= TOOLTIP_LIMIT:
            return first(shown)
    return first(1)  # the heading, one line of ACCOUNT_LINE_LIMIT and "+N more" always fit


def view_tooltip_heading_and_body(view: TrayView) -> tuple[str, str]:
    """For trays that show a heading and a body (StatusNotifierItem): nothing is cut there."""
    if view.single:
        return tooltip_heading_and_body(view.state)
    body = [account_line(entry) for entry in most_urgent_first(view)]
    checked = [e.state.snapshot.fetched_at for e in view.accounts if e.state.snapshot is not None]
    if checked:
        body.append(f"updated {clock_time(max(checked))}")
    return HEADING, "\n".join(body)


def most_urgent_first(view: TrayView) -> list[AccountState]:
    """The accounts by urgency, the config's order among equals."""
    return sorted(view.accounts, key=lambda entry: URGENCY.index(entry.state.level))


def account_line(entry: AccountState) -> str:
    """`Client A: $40.00`, with what is wrong when something is."""
    state = entry.state
    snapshot = state.snapshot
    problem = state.blocking_error or state.error
    if not state.has_key:
        what = "no API key set"
    elif snapshot is None:
        what = problem_words(problem) if problem is not None else "checking…"
    else:
        what = display_totals(snapshot.totals)
        if problem is not None:
            what += f", {problem_words(problem)}"
        elif state.stale:
            what += f", stale since {clock_time(snapshot.fetched_at)}"
    return f"{entry.label}: {what}"


def view_menu_lines(
    view: TrayView, *, start_at_login: bool | None = None, update: Release | None = None
) -> list[MenuLine]:
    """The menu: with several accounts a section each, in the config's order, its first line
    naming the account; then the actions, which act on them all (Refresh reads every one), and
    the line of a newer release when one is out."""
    if view.single:
        return menu_lines(view.state, start_at_login=start_at_login, update=update)
    lines: list[MenuLine] = []
    for number, entry in enumerate(view.accounts):
        if number:
            lines.append(SEPARATOR)
        section = account_menu_lines(entry.state, account=entry.name, indent=SECTION_INDENT)
        first = section[0]
        lines.append(replace(first, text=fit(f"{entry.label} — {first.text}", MENU_TEXT_LIMIT)))
        lines += section[1:]
    return lines + common_menu_lines(start_at_login=start_at_login, update=update)
