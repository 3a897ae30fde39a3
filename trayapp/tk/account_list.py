"""The settings window's account list, without Tk: how the list names each account, what Add
account accepts, and what Save writes for a named account.

The default account is the config's top level and saves exactly as settings_form.plan_save says.
A named account writes only what it sets itself to its `[accounts.NAME]` table: a threshold left
at the top level's value stays inherited, so changing the top level later still reaches it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from trayapp.accounts import (
    ACCOUNT_SETTINGS,
    LABEL_LIMIT,
    NAME_RULE,
    Account,
    check_name,
    parse_account_value,
)
from trayapp.config import ACCOUNTS_TABLE, EVERY_PROJECT, Settings, settings_as_table, settings_with
from trayapp.credentials import DEFAULT_ACCOUNT, key_env_var
from trayapp.errors import ConfigError
from trayapp.tk.settings_form import FieldErrors, FormInput, SavePlan, plan_save, rows_top_first

DEFAULT_SHOWN = "Default"
"""How the list names the top-level account."""
LABEL_FIELD = "label"
"""Where a named account's label error shows (a key of FieldErrors.by_field)."""
OWN_SETTINGS = tuple(name for name in ACCOUNT_SETTINGS if name != "label")
"""The settings a named account may set for itself; the window shows only these for it."""
LABEL_RULE = (
    f"A label is one line of at most {LABEL_LIMIT} characters: leave it empty to show the name."
)


def rows_for(account_name: str) -> set[str]:
    """The setting rows the window shows for an account: every one for the default account (the
    top level), a named account's own settings otherwise (the rest are the top level's)."""
    every = {name for name, _ in rows_top_first()}
    return every if account_name == DEFAULT_ACCOUNT else every & set(OWN_SETTINGS)


def shown_names(accounts: Sequence[tuple[str, str]]) -> dict[str, str]:
    """(name, label) pairs to how the list shows each: "Default", else the label, with the name
    in brackets where two would read alike (the list must tell them apart)."""
    plain = {name: DEFAULT_SHOWN if name == DEFAULT_ACCOUNT else label for name, label in accounts}
    counts: dict[str, int] = {}
    for shown in plain.values():
        counts[shown.casefold()] = counts.get(shown.casefold(), 0) + 1
    return {
        name: shown
        if counts[shown.casefold()] == 1 or name == DEFAULT_ACCOUNT
        else f"{shown} ({name})"
        for name, shown in plain.items()
    }


# --- Add account ---------------------------------------------------------------------------------


class NewAccount(NamedTuple):
    name: str
    label: str
    """Empty: the list shows the name."""


def check_label(text: str) -> str:
    """The label as saved (stripped; empty for none), or ConfigError with LABEL_RULE."""
    text = text.strip()
    if not text:
        return ""
    try:
        label = parse_account_value("new", "label", text)
    except ConfigError:  # its sentence names a table in the file; the window's names the field
        raise ConfigError(LABEL_RULE) from None
    return str(label)


def check_new_account(name_text: str, label_text: str, taken: Iterable[str]) -> NewAccount:
    """What Add account adds, or ConfigError: one sentence saying what name or label to give."""
    name = name_text.strip()
    if not name:
        raise ConfigError(f"Give the account a name: {NAME_RULE}.")
    if name == DEFAULT_ACCOUNT:
        raise ConfigError(
            f"'default' is the Default account's own name: use another, of {NAME_RULE}."
        )
    check_name(name)
    taken = tuple(taken)
    if name in taken:
        raise ConfigError(f"There is already an account called {name!r}: choose it in the list.")
    variable = key_env_var(name)
    for other in taken:
        if key_env_var(other) == variable:
            raise ConfigError(
                f"{name!r} and the account {other!r} would both take their key from {variable}: "
                "use another name."
            )
    return NewAccount(name, check_label(label_text))


def new_account(added: NewAccount, top: Settings) -> Account:
    """A just-added account as it will be once saved: the top level's settings, every project."""
    settings = settings_with(top, {"projects": EVERY_PROJECT})
    return Account(added.name, added.label or added.name, settings)


# --- Save ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountPlan:
    name: str
    table: Mapping[str, object]
    """What the account sets itself (label, projects, thresholds), as its table holds it."""
    new_key: str | None
    """A key to store as the account's keyring entry, or None to keep the current one."""


def plan_account_save(
    form: FormInput,
    account: Account,
    own: Mapping[str, object],
    label_text: str,
    *,
    has_key: bool,
    keyring_usable: bool,
) -> AccountPlan | FieldErrors:
    """What Save writes for a named account, or the errors to show beside their fields.

    `own` is the account's table as the file had it: what it set stays set (a person may pin a
    threshold to the top level's value); anything else is written only when it differs from what
    the account would have without it."""
    planned = plan_save(form, account.settings, has_key=has_key, keyring_usable=keyring_usable)
    errors = dict(planned.by_field) if isinstance(planned, FieldErrors) else {}
    label = ""
    try:
        label = check_label(label_text)
    except ConfigError as exc:
        errors[LABEL_FIELD] = exc.message
    if errors or not isinstance(planned, SavePlan):
        return FieldErrors(errors)
    # Where the account sets nothing of its own, its settings are what it inherits.
    inherited = settings_as_table(account.settings, OWN_SETTINGS)
    table: dict[str, object] = {"label": label} if label else {}
    for name in OWN_SETTINGS:
        value = planned.config_updates[name]
        if name in own or value != inherited[name]:
            table[name] = value
    return AccountPlan(account.name, table, planned.new_key)


def account_table(entry: Mapping[str, object], planned: Mapping[str, object]) -> dict[str, object]:
    """The file's `[accounts.NAME]` table with Save's plan in it: what the account no longer
    sets is dropped, and anything the window does not know of is the user's and stays."""
    table = {
        key: planned.get(key, value)
        for key, value in entry.items()
        if key in planned or key not in ACCOUNT_SETTINGS
    }
    table.update({key: value for key, value in planned.items() if key not in table})
    return table


def apply_plans(
    table: dict[str, object],
    top_updates: Mapping[str, object] | None,
    accounts: Sequence[AccountPlan],
) -> None:
    """Put what Save planned into the config file's table: the top level's settings (None: the
    default account was not shown, so left as it is), then each named account's table."""
    if top_updates is not None:
        table.update(top_updates)
    if not accounts:
        return  # a one-account user's file gains no accounts table
    found = table.get(ACCOUNTS_TABLE, {})
    tables = dict(found) if isinstance(found, Mapping) else {}
    for plan in accounts:
        entry = tables.get(plan.name, {})
        tables[plan.name] = account_table(entry if isinstance(entry, Mapping) else {}, plan.table)
    table[ACCOUNTS_TABLE] = tables
