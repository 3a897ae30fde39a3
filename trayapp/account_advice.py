"""Advice that names the account: an error about a named account's key says to set *that* key.

The messages are made where the failure is met (the Deepgram client, the keyring), which knows
nothing of accounts, so they say `deepgram-tray key set`; for account NAME the command that fixes
it is `deepgram-tray key set --account NAME`.
"""

from __future__ import annotations

import copy
from typing import TypeVar

from trayapp.credentials import DEFAULT_ACCOUNT
from trayapp.deepgram.models import BalanceSnapshot
from trayapp.errors import DeepgramTrayError

E = TypeVar("E", bound=DeepgramTrayError)

KEY_SET = "`deepgram-tray key set`"


def for_account(error: E, account: str) -> E:
    """`error`, its `key set` advice naming `account` (unchanged for the default account)."""
    if account == DEFAULT_ACCOUNT or KEY_SET not in error.message:
        return error
    named = copy.copy(error)
    message = error.message.replace(KEY_SET, f"`deepgram-tray key set --account {account}`")
    named.args = (message, *error.args[1:])
    return named


def snapshot_for_account(snapshot: BalanceSnapshot, account: str) -> BalanceSnapshot:
    """`snapshot` with each project's error advising for `account`."""
    if account == DEFAULT_ACCOUNT or not snapshot.errors:
        return snapshot
    projects = tuple(
        p if p.error is None else p._replace(error=for_account(p.error, account))
        for p in snapshot.projects
    )
    return snapshot._replace(projects=projects)
