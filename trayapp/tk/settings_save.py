"""What Save and Remove account write (no Tk here): each account's save planned from what was
typed, the new keys stored, then every account's settings in one rewrite of the config file.

A problem comes back as words for the window to show beside the field it is about, or beside
Save when it is about saving itself (the config file, start at login, the keyring).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from trayapp.accounts import DEFAULT_ACCOUNT, remove_account
from trayapp.config import rewrite_config
from trayapp.credentials import delete_api_key, store_api_key
from trayapp.desktop import autostart
from trayapp.desktop.paths import config_path
from trayapp.errors import ConfigError, DeepgramTrayError, KeyringUnavailableError, os_reason
from trayapp.tk.account_list import AccountPlan, apply_plans, plan_account_save
from trayapp.tk.settings_drafts import Drafts
from trayapp.tk.settings_form import KEY_FIELD, FieldErrors, SavePlan, plan_save

SAVE_PROBLEM = "save"
"""Where a problem of saving itself is said: it belongs to no field."""


class SaveProblem(NamedTuple):
    by_field: dict[str, str]
    account: str | None
    """The account the fields are of, to show first; None: a problem of saving itself."""


class Saved(NamedTuple):
    new_keys: int


def save_accounts(
    drafts: Drafts, names: list[str], started_at_login: bool | None
) -> Saved | SaveProblem:
    """Save the accounts `names`, as typed (drafts kept), or nothing when one cannot be."""
    top: SavePlan | None = None
    named: list[AccountPlan] = []
    new_keys: list[tuple[str, str]] = []
    for name in names:
        plan = _plan(drafts, name)
        if isinstance(plan, FieldErrors):
            return SaveProblem(plan.by_field, name)
        if isinstance(plan, SavePlan):
            top = plan
        else:
            named.append(plan)
        if plan.new_key is not None:
            new_keys.append((plan.new_key, name))
    # The keys first: the keyring is what most often refuses, and then nothing is written.
    for key, name in new_keys:
        try:
            store_api_key(key, account=name)
        except DeepgramTrayError as exc:
            field = KEY_FIELD if isinstance(exc, KeyringUnavailableError) else SAVE_PROBLEM
            return SaveProblem({field: exc.message}, name)
    try:
        _write(top, named, started_at_login)
    except DeepgramTrayError as exc:
        return SaveProblem({SAVE_PROBLEM: exc.message}, None)
    return Saved(len(new_keys))


def _plan(drafts: Drafts, name: str) -> SavePlan | AccountPlan | FieldErrors:
    draft = drafts.kept[name]
    has_key = drafts.keys.get(name) is not None
    usable = drafts.keyring_problem is None
    if name == DEFAULT_ACCOUNT:
        return plan_save(
            draft.form, drafts.accounts[name].settings, has_key=has_key, keyring_usable=usable
        )
    return plan_account_save(
        draft.form,
        drafts.accounts[name],
        drafts.own_tables.get(name, {}),
        draft.label,
        has_key=has_key,
        keyring_usable=usable,
    )


def _write(top: SavePlan | None, named: list[AccountPlan], started_at_login: bool | None) -> None:
    """The config file (every account's settings at once), then start at login."""
    path = config_path()
    top_updates = top.config_updates if top is not None else None
    try:
        rewrite_config(path, lambda table: apply_plans(table, top_updates, named))
    except OSError as exc:
        raise _cannot_write(path, exc) from exc
    wanted = top.start_at_login if top is not None else None
    if wanted is not None and wanted != started_at_login:
        try:
            autostart.set_enabled(wanted)
        except OSError as exc:
            raise ConfigError(f"Could not change start at login ({os_reason(exc)}).") from exc


def remove_from_config(name: str) -> str | None:
    """Remove a named account's table from the config file; what went wrong, if anything."""
    path = config_path()
    try:
        remove_account(path, name)
    except OSError as exc:
        return _cannot_write(path, exc).message
    except DeepgramTrayError as exc:
        return exc.message
    return None


def forget_stored_key(name: str, shown: str) -> str | None:
    """Delete a removed account's stored key (`shown` is how the window names the account)."""
    try:
        delete_api_key(name)
    except KeyringUnavailableError as exc:
        return f"{shown} was removed, but its stored key was not: {exc.message}"
    return None


def _cannot_write(path: Path, exc: OSError) -> ConfigError:
    return ConfigError(
        f"Cannot write {path} ({os_reason(exc)}): check that its folder exists and you may "
        "write to it."
    )
