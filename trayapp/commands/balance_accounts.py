"""`deepgram-tray balance --all-accounts`: every account of the config, each read as
`balance --account NAME` reads it (its key, projects, thresholds and saved read), in one output.

An account that cannot be read (no key, key refused, Deepgram unreachable) is an entry saying
why: it never hides the others. The exit code is the most severe of every account's.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from trayapp.accounts import Account, load_accounts
from trayapp.cli import print_error
from trayapp.commands.balance import (
    PANEL_FORMATS,
    emit,
    read_deepgram,
    recent_read,
    stale_read,
)
from trayapp.credentials import require_api_key
from trayapp.errors import (
    ConfigError,
    DeepgramTrayError,
    KeyringUnavailableError,
    MissingKeyError,
    most_severe_exit_code,
)
from trayapp.formats_accounts import (
    AccountRead,
    render_accounts_json,
    render_accounts_prometheus,
    render_accounts_text,
)

if TYPE_CHECKING:
    from trayapp.credentials import ApiKey
    from trayapp.tray.panel_formats import PanelView

NO_PROJECT_OPTION = (
    "--project cannot be used with --all-accounts, as a project belongs to one account: set "
    "each account's `projects` in the config, or use --account NAME --project ID."
)


def run_all_accounts(args: argparse.Namespace) -> int:
    if args.project:
        raise ConfigError(NO_PROJECT_OPTION)
    accounts = load_accounts()
    reads = _read_every_account(args, accounts)
    by_name = {account.name: account for account in accounts}

    if args.format == "json":
        now = datetime.now(timezone.utc)
        output = render_accounts_json(reads, now, forecast=args.forecast)
    elif args.format == "prometheus":
        output = render_accounts_prometheus(reads)
    elif args.format in PANEL_FORMATS:
        output = _render_panel(args.format, [(by_name[r.name], r) for r in reads])
    else:
        output = render_accounts_text(reads)
    emit(args, output)

    for read in reads:
        if read.error is not None:
            print_error(f"{read.heading}: {read.error.user_message()}")
        if read.snapshot is not None and not read.stale:
            for project in read.snapshot.projects:
                if project.error is not None:
                    message = project.error.user_message()
                    print_error(f"{read.heading}: {project.project.name}: {message}")
    return most_severe_exit_code([code for read in reads for code in read.exit_codes])


# --- reading ---------------------------------------------------------------------------------


def _read_every_account(
    args: argparse.Namespace, accounts: tuple[Account, ...]
) -> list[AccountRead]:
    """Saved reads and keys first, here (a keyring may prompt: one question at a time), then
    Deepgram for every account at once, so a slow account does not add its wait to the others'."""
    answered: dict[str, AccountRead] = {}
    to_read: list[tuple[Account, ApiKey]] = []
    others_exist = len(accounts) > 1
    for account in accounts:
        projects = account.settings.projects
        recent = recent_read(args, account, projects) if args.max_age > 0 else None
        if recent is not None:
            answered[account.name] = AccountRead(account.name, account.label, *recent)
            continue
        try:
            to_read.append((account, require_api_key(account=account.name)))
        except (MissingKeyError, KeyringUnavailableError) as exc:
            if account.is_default and others_exist:
                # The top level is an account only when it has a key: a user of named accounts
                # alone has none there. With no named account, its missing key is the answer.
                continue
            answered[account.name] = AccountRead(account.name, account.label, None, error=exc)
        except DeepgramTrayError as exc:  # a key that cannot be one, say
            answered[account.name] = AccountRead(account.name, account.label, None, error=exc)

    if to_read:
        with ThreadPoolExecutor(max_workers=len(to_read)) as pool:
            done = list(pool.map(lambda pair: _read_one(args, *pair), to_read))
        answered |= {read.name: read for read in done}
    return [answered[a.name] for a in accounts if a.name in answered]


def _read_one(args: argparse.Namespace, account: Account, key: ApiKey) -> AccountRead:
    try:
        snapshot, forecast = read_deepgram(args, account, account.settings.projects, key)
    except DeepgramTrayError as exc:
        # A bar keeps showing the account's saved read, marked stale, while Deepgram is away.
        stale = stale_read(args, account, account.settings.projects, exc)
        if stale is None:
            return AccountRead(account.name, account.label, None, error=exc)
        return AccountRead(account.name, account.label, *stale, error=exc, stale=True)
    return AccountRead(account.name, account.label, snapshot, forecast)


# --- status bars -------------------------------------------------------------------------------

_SEVERITY = ("ok", "stale", "warn", "error", "critical")
"""Which account a bar shows: the worst, by this order. A balance about to run out is the most
urgent news; an account that cannot be read could be anything, so it outranks a low one; a
stale read was fine when last seen. Among equals, the first in the config."""

_CONCERN = {"warn": "low", "critical": "critical", "error": "problem", "stale": "not refreshed"}
"""A word after an account's line in the tooltip or dropdown, for every class but `ok`."""


def _render_panel(format_name: str, reads: list[tuple[Account, AccountRead]]) -> str:
    """The worst account's text and class in the bar; a line per account in the tooltip or
    dropdown, with what went wrong under an account that has a problem."""
    from trayapp.tray.panel_formats import PanelView, waybar_line, xbar_block
    from trayapp.tray.render import clock_time

    views = [(read, _view_of(account, read)) for account, read in reads]
    worst_read, worst = max(views, key=lambda pair: _SEVERITY.index(pair[1].panel_class))
    details: list[str] = []
    for read, view in views:
        concern = _CONCERN.get(view.panel_class)
        details.append(f"{read.label}: {view.title}" + (f" ({concern})" if concern else ""))
        if view.panel_class in ("error", "stale"):
            details += [f"  {line}" for line in view.details if not line.startswith("Updated ")]
    fresh = [r.snapshot.fetched_at for r, _ in views if r.snapshot is not None and not r.stale]
    if fresh:
        details.append(f"Updated {clock_time(max(fresh))}")
    combined = PanelView(
        text=f"{worst_read.label}: {worst.text}",
        panel_class=worst.panel_class,
        title=f"{worst_read.label}: {worst.title}",
        details=tuple(details),
    )
    return waybar_line(combined) if format_name == "waybar" else xbar_block(combined)


def _view_of(account: Account, read: AccountRead) -> PanelView:
    from trayapp.tray.panel_formats import failure_view, panel_view
    from trayapp.tray.state import Thresholds

    if read.snapshot is None:
        assert read.error is not None
        return failure_view(read.error.user_message(), read.error.words)
    thresholds = Thresholds.from_settings(account.settings)
    if read.stale:
        problem = None if read.error is None else read.error.user_message()
        stale_since = read.snapshot.fetched_at
        return panel_view(
            read.snapshot, thresholds, read.forecast, stale_since=stale_since, problem=problem
        )
    return panel_view(read.snapshot, thresholds, read.forecast)
