"""What the whole tray shows: every account's TrayState, and which one the icon speaks for. Pure.

A one-account user has one entry, `default`, and the tray renders it exactly as before accounts
existed. With several, the icon is drawn from the account that most needs a look (`headline`), so
a glance tells which one needs money, and the menu and tooltip give each account its own part.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from trayapp.accounts import Account
from trayapp.config import Settings
from trayapp.credentials import DEFAULT_ACCOUNT
from trayapp.tray.state import Level, TrayState

URGENCY = (Level.CRITICAL, Level.PROBLEM, Level.WARN, Level.WAITING, Level.OK)
"""Most urgent first, as the bars' `--all-accounts` output ranks them: an account about to run
out, then one that cannot be read (a refused key, no key: its amount may be as low, nobody
knows), then one running low, then one not read yet."""


@dataclass(frozen=True)
class AccountState:
    account: Account
    state: TrayState

    @property
    def name(self) -> str:
        return self.account.name

    @property
    def label(self) -> str:
        """How the tray names it: the top-level account, which has no label, is "Default"."""
        return "Default" if self.account.is_default else self.account.label


@dataclass(frozen=True)
class TrayView:
    accounts: tuple[AccountState, ...]
    """The accounts shown, `default` first, then the config's order; never empty."""

    def __post_init__(self) -> None:
        if not self.accounts:
            raise ValueError("a TrayView shows at least one account")

    @property
    def single(self) -> bool:
        """Only the top-level account: drawn, worded and announced as before accounts existed."""
        return len(self.accounts) == 1 and self.accounts[0].account.is_default

    @property
    def headline(self) -> AccountState:
        """The account the icon speaks for: the most urgent level, then the lowest amount (the
        first listed among equals)."""
        return min(self.accounts, key=_urgency)

    @property
    def state(self) -> TrayState:
        return self.headline.state


def _urgency(entry: AccountState) -> tuple[int, Decimal]:
    state = entry.state
    total = state.total
    return URGENCY.index(state.level), total if total is not None else Decimal("Infinity")


def single_view(state: TrayState) -> TrayView:
    """The view of a one-account tray showing `state` (its settings are not read from a view)."""
    account = Account(DEFAULT_ACCOUNT, DEFAULT_ACCOUNT, Settings())
    return TrayView((AccountState(account, state),))


def as_view(shown: TrayState | TrayView) -> TrayView:
    return shown if isinstance(shown, TrayView) else single_view(shown)
