"""`deepgram-tray history [--format csv|json] [--days N] [--account NAME] [--window]`: the samples
the tray recorded, as text for scripts, or in the chart window."""

from __future__ import annotations

import argparse
import logging
from datetime import datetime, timedelta, timezone

from trayapp.cli import print_error, print_out
from trayapp.commands.window_guard import run_tk_window
from trayapp.credentials import DEFAULT_ACCOUNT
from trayapp.desktop.paths import history_path
from trayapp.errors import ConfigError
from trayapp.formats import render_history_csv, render_history_json
from trayapp.outlook.history import read

log = logging.getLogger(__name__)

DEFAULT_WINDOW_DAYS = 30


def run_history(args: argparse.Namespace) -> int:
    now = datetime.now(timezone.utc)
    days = None
    if args.days is not None:
        if args.days < 1:
            raise ConfigError("--days must be 1 or more: the number of days to go back.")
        days = days_back(args.days, now)
    if args.window:
        return _open_window(days or DEFAULT_WINDOW_DAYS, args.account)
    account = _checked_account(args.account)
    since = now - timedelta(days=days) if days is not None else None
    rows = read(history_path(), since, account)
    if not rows:
        print_error(_no_history(account))
    rendered = render_history_json(rows) if args.format == "json" else render_history_csv(rows)
    print_out(rendered, machine_format=True)
    return 0


def _checked_account(name: str) -> str:
    """`name` when the config has that account; ConfigError in one sentence when not.

    The default account is always there, and its history needs no config: without --account the
    command reads no config file, as before accounts, so a broken one does not stop an export."""
    if name == DEFAULT_ACCOUNT:
        return name
    from trayapp.accounts import account_named, load_accounts

    return account_named(load_accounts(), name).name


def _no_history(account: str) -> str:
    if account == DEFAULT_ACCOUNT:
        return (
            "No history yet: the tray records the balance at each successful refresh while it runs."
        )
    return (
        f"No history of the account {account!r} yet: the tray records each account's balance at "
        "each successful refresh while it runs."
    )


EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def days_back(days: int, now: datetime) -> int:
    """`days`, or fewer when it reaches past 1970: the history holds nothing older, and a date
    a billion days back is past the calendar (OverflowError). So a huge N means "everything"."""
    return min(days, (now - EPOCH).days + 1)


def _open_window(days: int, account: str) -> int:
    offered = _accounts_to_offer(account)

    def show() -> None:
        from trayapp.tk.history_chart import account_choices
        from trayapp.tk.history_window import run_window

        choices = account_choices(offered)
        shown = next(choice for choice in choices if choice.name == account)
        run_window(history_path(), days, choices, shown)

    run_tk_window("history", show, instead="`deepgram-tray history --format csv`")
    return 0


def _accounts_to_offer(shown: str) -> list[tuple[str, str]]:
    """Every account of the config as (name, label), for the window's chooser; ConfigError in one
    sentence when the account to show is not among them.

    A config that cannot be read leaves the default account alone: its chart needs no config, as
    before accounts. Another account's does: then the config's error is said."""
    from trayapp.accounts import account_named, load_accounts

    try:
        accounts = load_accounts()
    except ConfigError as exc:
        if shown != DEFAULT_ACCOUNT:
            raise
        log.warning("The chart window offers only the top-level account: %s", exc.message)
        return []
    account_named(accounts, shown)  # refuses an unknown one before any window opens
    return [(account.name, account.label) for account in accounts]
