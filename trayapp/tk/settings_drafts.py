"""What the settings window knows of the accounts (no Tk here): each one as the config file has
it, its key, its projects once read, and what was typed for it until Save.

The window works on one account at a time (`current`); what was typed for an account is kept when
another is chosen, and Save writes every account that was added or changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import NamedTuple

from trayapp.accounts import DEFAULT_ACCOUNT, Account, accounts_from_table
from trayapp.config import ACCOUNTS_TABLE, Settings, load_settings_and_table
from trayapp.credentials import ApiKey, find_api_key
from trayapp.deepgram.models import Project
from trayapp.errors import ConfigError, DeepgramTrayError, KeyringUnavailableError
from trayapp.tk.account_list import NewAccount, new_account, shown_names
from trayapp.tk.settings_form import FormInput, initial_input


class Draft(NamedTuple):
    """An account's fields as last shown, kept while another account is shown, until Save."""

    form: FormInput
    label: str
    """The label as typed (named accounts)."""


class Drafts:
    """Reads the config file and the chosen account's key when made: a key that cannot be one
    raises ConfigError (the command says why); a config that cannot be read is kept in
    `load_error` for the window to explain, with the default account alone to show."""

    def __init__(self, account: str = DEFAULT_ACCOUNT) -> None:
        self.load_error: DeepgramTrayError | None = None
        self.own_tables: dict[str, Mapping[str, object]] = {}
        """Each named account's table as the file had it: what it sets itself stays set."""
        try:
            top, table, origin = load_settings_and_table()
            accounts = accounts_from_table(table, top, origin=origin)
            found = table.get(ACCOUNTS_TABLE, {})
            if isinstance(found, Mapping):  # accounts_from_table has checked it is tables
                self.own_tables = {str(k): v for k, v in found.items() if isinstance(v, Mapping)}
        except DeepgramTrayError as exc:
            top, self.load_error = Settings(), exc
            accounts = (Account(DEFAULT_ACCOUNT, DEFAULT_ACCOUNT, top),)
        self.top = top
        self.accounts: dict[str, Account] = {a.name: a for a in accounts}
        self.current = account if account in self.accounts else DEFAULT_ACCOUNT
        self.kept: dict[str, Draft] = {}
        """Each account's fields as last left, once shown."""
        self.first_shown: dict[str, Draft] = {}
        """Each account's fields as first shown: a draft that differs was changed."""
        self.added: set[str] = set()
        """Accounts added in this window and not saved yet: Save creates their tables."""
        self.keys: dict[str, ApiKey | None] = {}
        self.key_problems: dict[str, str] = {}
        """An account's key that cannot be used (a variable set to something no key is)."""
        self.keyring_problem: KeyringUnavailableError | None = None
        self.look_up_key(self.current, opening=True)
        self.project_lists: dict[str, list[Project]] = {}
        """Each account's projects as its key sees them, once read."""

    @property
    def account(self) -> Account:
        return self.accounts[self.current]

    @property
    def settings(self) -> Settings:
        """The chosen account's settings in effect."""
        return self.account.settings

    @property
    def key(self) -> ApiKey | None:
        return self.keys.get(self.current)

    def look_up_key(self, name: str, *, opening: bool = False) -> None:
        """The account's key in use, looked up once. A key that cannot be one stops the window
        from opening on that account (the command says why), and is said under the key field of
        an account chosen later."""
        if name in self.keys:
            return
        self.keys[name] = None
        try:
            self.keys[name] = find_api_key(account=name)
        except KeyringUnavailableError as exc:
            self.keyring_problem = exc
        except ConfigError as exc:
            if opening:
                raise
            self.key_problems[name] = exc.message

    def draft_of(self, name: str) -> Draft:
        """What the account's fields hold: as last left, else as the file has it."""
        if name in self.kept:
            return self.kept[name]
        account = self.accounts[name]
        label = account.label if account.label != account.name else ""
        return Draft(initial_input(account.settings), label)

    def keep(self, draft: Draft) -> None:
        """What the chosen account's fields hold now, kept until Save or Cancel."""
        self.kept[self.current] = draft

    def shown_names(self) -> dict[str, str]:
        """Each account's name as the Account row shows it: its label as typed, else saved."""
        pairs = []
        for name, account in self.accounts.items():
            label = self.kept[name].label.strip() if name in self.kept else ""
            pairs.append((name, label or account.label))
        return shown_names(pairs)

    def add(self, added: NewAccount) -> None:
        """A new account to fill in, chosen; Save creates it."""
        account = new_account(added, self.top)
        self.accounts[account.name] = account
        self.added.add(account.name)
        self.kept[account.name] = Draft(initial_input(account.settings), added.label)
        self.current = account.name

    def forget(self, name: str) -> None:
        """A removed account: nothing of it is kept, and the default account is chosen."""
        for held in (
            self.accounts,
            self.kept,
            self.first_shown,
            self.keys,
            self.project_lists,
            self.own_tables,
        ):
            held.pop(name, None)
        self.added.discard(name)
        self.current = DEFAULT_ACCOUNT

    def to_save(self) -> list[str]:
        """The accounts Save writes, the default (top level) first: each one added or changed
        here. With none, the default account alone, as Save did before there were accounts; an
        untouched default is otherwise left as the file has it."""
        changed = [name for name in self.accounts if name in self.added or self.changed(name)]
        if changed or DEFAULT_ACCOUNT not in self.first_shown:
            return changed
        return [DEFAULT_ACCOUNT]

    def changed(self, name: str) -> bool:
        if name not in self.kept or name not in self.first_shown:
            return False  # never shown
        now, first = self.kept[name], self.first_shown[name]
        # Ticked projects come in the list's order, the file's in its own: the same ones.
        return now.label != first.label or replace(
            now.form, watched=tuple(sorted(now.form.watched))
        ) != replace(first.form, watched=tuple(sorted(first.form.watched)))
