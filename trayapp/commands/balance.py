"""`deepgram-tray balance`: one fetch, printed or written atomically, then exit.

One account's (`--account NAME`, `default` unless given) with that account's key, projects,
thresholds and saved read; `--all-accounts` is trayapp.commands.balance_accounts.
"""

from __future__ import annotations

import argparse
import contextlib
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from trayapp.accounts import Account, account_named, load_accounts
from trayapp.cli import BUG_REPORT_HINT, print_error, print_out
from trayapp.config import Settings
from trayapp.credentials import require_api_key
from trayapp.deepgram.client import DeepgramClient
from trayapp.deepgram.models import BalanceSnapshot
from trayapp.errors import ConfigError, DeepgramTrayError, most_severe_exit_code, os_reason
from trayapp.formats import render_json, render_prometheus, render_text
from trayapp.outlook.forecast import Forecast
from trayapp.redaction import redact

if TYPE_CHECKING:
    from collections.abc import Callable

    from trayapp.credentials import ApiKey

RENDERERS = {"text": render_text, "json": render_json, "prometheus": render_prometheus}
PANEL_FORMATS = ("waybar", "xbar")
"""Formats a status bar runs the command for: they print their block even when the read fails."""


def run_balance(args: argparse.Namespace) -> int:
    try:
        if args.all_accounts:
            from trayapp.commands.balance_accounts import run_all_accounts

            return run_all_accounts(args)
        return _read_and_print(args)
    except Exception as exc:
        if args.format in PANEL_FORMATS:
            # The bar shows the failure in its own grammar; the sentence still goes to stderr
            # and the exit code stays, both from the CLI's one error handler.
            _show_failure_on_the_panel(args, exc)
        raise


def _read_and_print(args: argparse.Namespace) -> int:
    account = account_named(load_accounts(), args.account)
    settings = account.settings
    project_ids = tuple(dict.fromkeys(args.project)) or settings.projects
    recent = recent_read(args, account, project_ids) if args.max_age > 0 else None
    if recent is not None:
        snapshot, forecast = recent
    else:
        try:
            snapshot, forecast = read_deepgram(args, account, project_ids)
        except DeepgramTrayError as exc:
            if not _show_a_stale_read(args, account, project_ids, exc):
                raise
            print_error(exc.user_message())
            return exc.exit_code

    output = _render(args.format, snapshot, forecast, settings)
    emit(args, output)

    for project in snapshot.projects:
        if project.error is not None:
            print_error(f"{project.project.name}: {project.error.user_message()}")
    return most_severe_exit_code([error.exit_code for error in snapshot.errors])


def read_deepgram(
    args: argparse.Namespace,
    account: Account,
    project_ids: tuple[str, ...],
    key: ApiKey | None = None,
) -> tuple[BalanceSnapshot, Forecast | None]:
    """The account's read (with its key, or `key` when already looked up), saved for later."""
    from trayapp.account_advice import for_account, snapshot_for_account

    settings = account.settings
    try:
        if key is None:
            key = require_api_key(account=account.name)
        # One deadline for the whole command, the forecast's calls included.
        with DeepgramClient(settings.api_url, key.value) as client, client.refresh():
            snapshot = client.fetch_snapshot(project_ids)
            forecast = _read_forecast(client, snapshot, account) if args.forecast else None
    except DeepgramTrayError as exc:  # advice to set a key names the account's
        raise for_account(exc, account.name) from None
    snapshot = snapshot_for_account(snapshot, account.name)
    # Saved for a later `--max-age` (a bar's next run), as the tray and `serve` do.
    from trayapp.tray.last_read import ReadSaver

    ReadSaver(_saved_read_path(account)).offer(
        snapshot, forecast, failed=False, api_url=settings.api_url, asked=project_ids
    )
    return snapshot, forecast


def _saved_read_path(account: Account) -> Path:
    """Each account's own file: one account's figures never answer for another's."""
    from trayapp.desktop.paths import last_read_path

    return last_read_path(account.name)


def recent_read(
    args: argparse.Namespace, account: Account, project_ids: tuple[str, ...]
) -> tuple[BalanceSnapshot, Forecast | None] | None:
    """The account's saved read, when it is at most --max-age old and answers this command;
    looked at before the key is, so a bar's run every minute does not ask the keyring either."""
    from trayapp.tray.last_read import load, usable

    saved = load(_saved_read_path(account))
    if saved is None:
        return None
    snapshot = usable(
        saved,
        api_url=account.settings.api_url,
        asked=project_ids,
        forecast=args.forecast,
        max_age=args.max_age,
        now=datetime.now(timezone.utc),
    )
    return None if snapshot is None else (snapshot, saved.forecast if args.forecast else None)


UNREACHABLE = 4
STALE_AT_MOST = 24 * 3600
"""A bar shows a saved read as stale for up to a day after reads start failing; an older one
says too little to show as an amount."""


def stale_read(
    args: argparse.Namespace, account: Account, project_ids: tuple[str, ...], exc: Exception
) -> tuple[BalanceSnapshot, Forecast | None] | None:
    """For a bar (waybar, xbar) with --max-age, when Deepgram could not be reached: the saved
    read, to show as stale with the reason. None when there is none to show (the error stands)."""
    # Exit code 4: network, timeout, rate limit, server error; not a refused or missing key.
    unreachable = isinstance(exc, DeepgramTrayError) and exc.exit_code == UNREACHABLE
    if args.format not in PANEL_FORMATS or not args.max_age or not unreachable:
        return None
    within_a_day = argparse.Namespace(**{**vars(args), "max_age": STALE_AT_MOST})
    return recent_read(within_a_day, account, project_ids)


def _show_a_stale_read(
    args: argparse.Namespace, account: Account, project_ids: tuple[str, ...], exc: Exception
) -> bool:
    """The saved read, marked stale with the reason; False when there is none to show."""
    recent = stale_read(args, account, project_ids, exc)
    if recent is None:
        return False
    snapshot, forecast = recent
    from trayapp.tray.panel_formats import render_waybar, render_xbar
    from trayapp.tray.state import Thresholds

    render = render_waybar if args.format == "waybar" else render_xbar
    thresholds = Thresholds.from_settings(account.settings)
    problem = exc.user_message() if isinstance(exc, DeepgramTrayError) else None
    stale = render(snapshot, thresholds, forecast, stale_since=snapshot.fetched_at, problem=problem)
    emit(args, stale)
    return True


def _render(
    format_name: str, snapshot: BalanceSnapshot, forecast: Forecast | None, settings: Settings
) -> str:
    if format_name not in PANEL_FORMATS:
        return RENDERERS[format_name](snapshot, forecast)
    # Imported here: the tray's modules stay out of the other formats' start-up.
    from trayapp.tray.panel_formats import render_waybar, render_xbar
    from trayapp.tray.state import Thresholds

    render = render_waybar if format_name == "waybar" else render_xbar
    return render(snapshot, Thresholds.from_settings(settings), forecast)


def _show_failure_on_the_panel(args: argparse.Namespace, exc: Exception) -> None:
    from trayapp.tray.panel_formats import render_waybar_failure, render_xbar_failure

    if isinstance(exc, DeepgramTrayError):
        reason, words = exc.user_message(), exc.words
    else:  # the CLI's handler words it the same way
        reason = f"Something unexpected went wrong ({type(exc).__name__}): {BUG_REPORT_HINT}."
        words = DeepgramTrayError.words
    render: Callable[[str, str], str] = (
        render_waybar_failure if args.format == "waybar" else render_xbar_failure
    )
    # An --output that cannot be written cannot take this either: the first error stands.
    with contextlib.suppress(DeepgramTrayError):
        emit(args, render(reason, words))


def emit(args: argparse.Namespace, output: str) -> None:
    if args.output:
        _write_output(Path(args.output), output)
    else:
        print_out(output, machine_format=args.format != "text")


def _read_forecast(client: DeepgramClient, snapshot: BalanceSnapshot, account: Account) -> Forecast:
    """Billing and purchases of the projects that were read; the tray's history as the fallback
    (of the default account only: the history is its balance's, another's spend would be wrong)."""
    from trayapp.desktop.paths import history_path
    from trayapp.outlook.fetch import read_forecast
    from trayapp.outlook.history import recent_samples

    readable = [p.project.project_id for p in snapshot.projects if p.error is None]
    now = datetime.now(timezone.utc)
    history = recent_samples(history_path(), now) if account.is_default else []
    return read_forecast(client, readable, snapshot.main_total, now, history, snapshot=snapshot)


def _write_output(path: Path, text: str) -> None:
    from trayapp.atomic import NotARegularFileError, write_atomically

    try:
        # Scrubbed like stdout (print_out): whatever the server said is in it.
        write_atomically(path, redact(text).encode("utf-8"))
    except NotARegularFileError as exc:
        # Left as it is: replacing a named pipe or /dev/null with a file would break what uses it.
        raise ConfigError(
            f"Cannot write {path}, which is {exc.what}: give --output a new file name, or a "
            "regular file to replace."
        ) from exc
    except OSError as exc:
        reason = os_reason(exc)
        raise ConfigError(
            f"Cannot write {path} ({reason}): choose a file in a folder you may write to."
        ) from exc
