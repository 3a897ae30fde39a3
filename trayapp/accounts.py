"""Several Deepgram accounts: the `[accounts.NAME]` tables of the config, and where each one's
key is found. A one-account user has only `default`, the unnamed top level, and sees no change.

An account's settings are the top level's with its own `projects`, `warn_below` and
`critical_below` where it sets them (a key's projects belong to its account, so `projects` is
never inherited by a named account: it watches every project its key sees unless it says).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from trayapp.config import (
    ACCOUNTS_TABLE,
    EVERY_PROJECT,
    Settings,
    conflict_in,
    load_settings_and_table,
    parse_cli_value,
    read_setting,
    rewrite_config,
    settings_as_table,
    settings_with,
)
from trayapp.credentials import DEFAULT_ACCOUNT, key_env_var, keyring_username
from trayapp.errors import ConfigError

log = logging.getLogger(__name__)

NAME_PATTERN = re.compile(r"[a-z0-9_-]{1,40}")
LABEL_LIMIT = 40
"""Labels show in the menu and the tooltip, which have little room."""
ACCOUNT_SETTINGS = ("label", "projects", "warn_below", "critical_below")
"""What an `[accounts.NAME]` table may set; the rest is the top level's for every account."""

__all__ = ["DEFAULT_ACCOUNT", "key_env_var", "keyring_username"]  # where keys are found, too

NAME_RULE = "lower-case letters, digits, '-' and '_' (at most 40), e.g. client-a"
ACCOUNT_SETTING_RULE = (
    f"accounts.NAME.KEY, with NAME made of {NAME_RULE}, and KEY one of "
    + ", ".join(ACCOUNT_SETTINGS)
)
"""How `config set` names an account's setting."""


class Account(NamedTuple):
    name: str
    label: str
    """How the menu, tooltip and notifications name it (the name when no label is set)."""
    settings: Settings
    """The top-level settings with this account's own projects and thresholds."""

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_ACCOUNT


def check_name(name: str, origin: str | None = None) -> str:
    """`name` when it can name an account; ConfigError saying which names can.

    `origin` (a file, or a table in one) says where the name was found."""
    where = f" in {origin}" if origin else ""
    if name == DEFAULT_ACCOUNT:
        raise ConfigError(
            f"The account name 'default'{where} is the top-level settings' own: set those at the "
            f"top level, or give the account another name of {NAME_RULE}."
        )
    if not NAME_PATTERN.fullmatch(name):
        raise ConfigError(f"The account name {name!r}{where} cannot be used: use {NAME_RULE}.")
    return name


def accounts_from_table(
    table: Mapping[str, object], top: Settings, *, origin: str
) -> tuple[Account, ...]:
    """`default` (from `top`), then each `[accounts.NAME]` in the file's order; ConfigError,
    one sentence naming the account and the setting, when a table cannot be used."""
    found = [Account(DEFAULT_ACCOUNT, DEFAULT_ACCOUNT, top)]
    for name, entry in _account_tables(table, origin).items():
        found.append(_account(name, entry, top, f"[accounts.{name}] in {origin}"))
    _refuse_shared_variables(found, origin)
    return tuple(found)


def _account_tables(table: Mapping[str, object], origin: str) -> dict[str, Mapping[str, object]]:
    """The file's `[accounts.NAME]` tables by their checked names."""
    raw = table.get(ACCOUNTS_TABLE, {})
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f"accounts in {origin} must be tables like [accounts.client-a]: fix it, or remove it."
        )
    tables: dict[str, Mapping[str, object]] = {}
    for name, entry in raw.items():
        check_name(str(name), origin)
        if not isinstance(entry, Mapping):
            raise ConfigError(
                f"accounts.{name} in {origin} must be a table of settings: write it as "
                f"[accounts.{name}] with its settings on the lines below."
            )
        tables[str(name)] = entry
    return tables


def _refuse_shared_variables(accounts: list[Account], origin: str) -> None:
    """`client-a` and `client_a` would both read DEEPGRAM_API_KEY_CLIENT_A: one key for two."""
    seen: dict[str, str] = {}
    for account in accounts:
        variable = key_env_var(account.name)
        if variable in seen:
            raise ConfigError(
                f"The accounts {seen[variable]!r} and {account.name!r} in {origin} would both "
                f"take their key from {variable}: rename one of them."
            )
        seen[variable] = account.name


def _account(name: str, entry: Mapping[str, object], top: Settings, where: str) -> Account:
    label = name
    changes: dict[str, object] = {"projects": EVERY_PROJECT}
    for key, value in entry.items():
        if key == "label":
            label = _label(value, f"label of {where}")
        elif key in ACCOUNT_SETTINGS:
            changes[key] = read_setting(key, value, f"{key} of {where}")
        else:
            log.warning(
                "Ignoring %r in %s: an account sets only %s",
                key,
                where,
                ", ".join(ACCOUNT_SETTINGS),
            )
    settings = settings_with(top, changes)
    conflict = conflict_in(settings)
    if conflict is not None:
        raise ConfigError(conflict.said(where))
    return Account(name, label, settings)


# Control characters, and the line and paragraph separators: a label is one line in a menu.
_NOT_ONE_LINE = frozenset(("Cc", "Zl", "Zp"))


def _label(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > LABEL_LIMIT:
        raise ConfigError(f"The {where} must be text of 1 to {LABEL_LIMIT} characters.")
    if any(unicodedata.category(ch) in _NOT_ONE_LINE for ch in value):
        raise ConfigError(
            f"The {where} must be one line of plain text, without tabs or control characters."
        )
    return value.strip()


def load_accounts(env: Mapping[str, str] | None = None) -> tuple[Account, ...]:
    """Every account the config file describes, `default` first."""
    import os

    top, table, origin = load_settings_and_table(os.environ if env is None else env)
    return accounts_from_table(table, top, origin=origin)


def account_named(accounts: tuple[Account, ...], name: str) -> Account:
    """The account called `name`; ConfigError saying how to add it when there is none."""
    for account in accounts:
        if account.name == name:
            return account
    check_name(name)  # a name no account can have gets the rule, not advice to add it
    names = ", ".join(a.name for a in accounts)
    raise ConfigError(
        f"There is no account called {name!r} in the config: add it with "
        f'`deepgram-tray config set accounts.{name}.label "{name}"`, or use one of {names}.'
    )


# --- `config show` and `config set accounts.NAME.KEY VALUE` -------------------------------------


def account_as_table(account: Account) -> dict[str, object]:
    """The account's table as it is in effect: its label, projects and thresholds."""
    return {"label": account.label, **settings_as_table(account.settings, ACCOUNT_SETTINGS[1:])}


def accounts_as_table(accounts: tuple[Account, ...]) -> dict[str, object]:
    """`{"accounts": {NAME: table}}` for the named accounts; {} when there are none."""
    named = {a.name: account_as_table(a) for a in accounts if not a.is_default}
    return {ACCOUNTS_TABLE: named} if named else {}


def is_account_setting(dotted: str) -> bool:
    """Whether `config set` was given an account's setting (`accounts.NAME.KEY`)."""
    return dotted == ACCOUNTS_TABLE or dotted.startswith(ACCOUNTS_TABLE + ".")


def split_account_setting(dotted: str) -> tuple[str, str]:
    """`accounts.client-a.label` is ("client-a", "label"); ConfigError saying what works."""
    parts = dotted.split(".")
    if len(parts) != 3 or parts[0] != ACCOUNTS_TABLE:
        raise ConfigError(
            f"{dotted!r} does not name an account's setting: use {ACCOUNT_SETTING_RULE}."
        )
    name, key = parts[1], parts[2]
    check_name(name)
    if key not in ACCOUNT_SETTINGS:
        raise ConfigError(
            f"An account has no setting called {key!r}: use accounts.{name}.KEY with KEY one of "
            f"{', '.join(ACCOUNT_SETTINGS)}."
        )
    return name, key


def parse_account_value(name: str, key: str, text: str) -> object:
    """The TOML value for `config set accounts.NAME.KEY TEXT`, or ConfigError saying what is
    expected."""
    text = text.strip()
    if key == "label":
        return _label(text, f"label of [accounts.{name}]")
    return parse_cli_value(key, text, shown_as=f"accounts.{name}.{key}")


def set_account_value(path: Path, dotted: str, text: str) -> tuple[Account, str]:
    """Set one setting of one account in the file (creating its table), keeping everything else;
    the account as it is then in effect, and the key that was set. Nothing is written unless the
    whole file is valid afterwards."""
    name, key = split_account_setting(dotted)
    value = parse_account_value(name, key, text)
    origin = str(path)

    def change(table: dict[str, object]) -> None:
        tables = _account_tables(table, origin)  # refuses what is not tables, as reading does
        table[ACCOUNTS_TABLE] = {**tables, name: {**tables.get(name, {}), key: value}}

    top, table = rewrite_config(path, change)
    account = account_named(accounts_from_table(table, top, origin=origin), name)
    return account, key


def remove_account(path: Path, name: str) -> None:
    """Take `[accounts.NAME]` out of the file, keeping everything else (and no empty accounts
    table, so a file back to one account reads as it did). Nothing is written unless the whole
    file is valid afterwards."""
    origin = str(path)

    def change(table: dict[str, object]) -> None:
        tables = _account_tables(table, origin)  # refuses what is not tables, as reading does
        tables.pop(name, None)
        if tables:
            table[ACCOUNTS_TABLE] = tables
        else:
            table.pop(ACCOUNTS_TABLE, None)

    rewrite_config(path, change)
