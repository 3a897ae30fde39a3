"""`deepgram-tray config path | show | set NAME VALUE`."""

from __future__ import annotations

import argparse
import os

from trayapp.cli import print_out
from trayapp.config import (
    API_URL_ENV,
    load_settings_and_table,
    set_config_value,
    settings_as_table,
)
from trayapp.desktop.paths import CONFIG_ENV, config_path

ACCOUNTS_NOTE = (
    "# Each account's settings in effect: its own, else the top-level thresholds; "
    "projects = [] watches every project its key sees."
)


def run_config_path(args: argparse.Namespace) -> int:
    print_out(f"{config_path()}\n")
    return 0


def run_config_show(args: argparse.Namespace) -> int:
    import tomli_w

    from trayapp.accounts import accounts_as_table, accounts_from_table

    path = config_path()
    settings, table, origin = load_settings_and_table(os.environ)
    accounts = accounts_as_table(accounts_from_table(table, settings, origin=origin))
    notes = [
        f"# Settings in effect; file: {path}" + ("" if path.exists() else " (not created yet)")
    ]
    if os.environ.get(CONFIG_ENV, "").strip():
        notes.append(f"# The file's path comes from {CONFIG_ENV}.")
    if os.environ.get(API_URL_ENV, "").strip():
        notes.append(f"# api_url comes from {API_URL_ENV}, which overrides the file.")
    shown = "\n".join(notes) + "\n" + tomli_w.dumps(settings_as_table(settings))
    if accounts:  # a one-account config shows what it always did
        shown += f"\n{ACCOUNTS_NOTE}\n" + tomli_w.dumps(accounts)
    print_out(shown)
    return 0


def run_config_set(args: argparse.Namespace) -> int:
    import tomli_w

    from trayapp.accounts import account_as_table, is_account_setting, set_account_value

    path = config_path()
    if is_account_setting(args.name):
        account, key = set_account_value(path, args.name, args.value)
        assignment = tomli_w.dumps({key: account_as_table(account)[key]}).strip()
        print_out(f"Saved {assignment} in [accounts.{account.name}] to {path}.\n")
        return 0
    settings = set_config_value(path, args.name, args.value)
    assignment = tomli_w.dumps({args.name: settings_as_table(settings)[args.name]}).strip()
    print_out(f"Saved {assignment} to {path}.\n")
    return 0
