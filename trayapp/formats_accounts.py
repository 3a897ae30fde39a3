"""`balance --all-accounts`: several accounts' reads as text, JSON and Prometheus. Pure.

Each account is shown as `balance --account NAME` would show it, so one format's rules live in
one place (trayapp.formats); an account that could not be read is an entry saying why, never a
reason to leave the others out.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from trayapp.deepgram.models import BalanceSnapshot
from trayapp.errors import DeepgramTrayError
from trayapp.formats import (
    PROMETHEUS_METRICS,
    TIME_FORMAT,
    UP_HELP,
    UP_METRIC,
    PrometheusFamily,
    balance_document,
    encode_json,
    error_json,
    metric_block,
    prometheus_families,
    render_text,
    sample_line,
)
from trayapp.outlook.forecast import Forecast

ACCOUNT_LABEL = "account"
"""The label every series gains with --all-accounts (as `serve` labels its own)."""


class AccountRead(NamedTuple):
    """What one account's part of the command found."""

    name: str
    label: str
    snapshot: BalanceSnapshot | None
    """None when nothing could be read (`error` says why)."""
    forecast: Forecast | None = None
    error: DeepgramTrayError | None = None
    """Why the account could not be read: no key, key refused, Deepgram unreachable…"""
    stale: bool = False
    """`snapshot` is a saved read shown because reading failed with `error` (bars only)."""

    @property
    def heading(self) -> str:
        """The label, with the name to pass to --account when the two differ."""
        return self.label if self.label == self.name else f"{self.label} ({self.name})"

    @property
    def exit_codes(self) -> list[int]:
        """The account's failures as exit codes: its own, and each unreadable project's."""
        codes = [] if self.error is None else [self.error.exit_code]
        if self.snapshot is not None and not self.stale:
            codes += [error.exit_code for error in self.snapshot.errors]
        return codes


# --- text ----------------------------------------------------------------------------------------


def render_accounts_text(reads: list[AccountRead]) -> str:
    """A section per account, headed by its label, each as `balance` prints one account."""
    sections = []
    for read in reads:
        if read.snapshot is None:
            assert read.error is not None
            body = f"Unavailable: {read.error.user_message()}\n"
        else:
            body = render_text(read.snapshot, read.forecast)
        sections.append(f"{read.heading}\n{body}")
    return "\n".join(sections)


# --- JSON ----------------------------------------------------------------------------------------


def render_accounts_json(reads: list[AccountRead], fetched_at: datetime, *, forecast: bool) -> str:
    """{"fetched_at", "accounts": [...]}: each entry `balance --json`'s object with the account's
    name and label first and its `error` last (null when it was read)."""
    entries = [_account_json(read, forecast=forecast) for read in reads]
    return encode_json({"fetched_at": fetched_at.strftime(TIME_FORMAT), "accounts": entries})


def _account_json(read: AccountRead, *, forecast: bool) -> dict[str, object]:
    entry: dict[str, object] = {"account": read.name, "label": read.label}
    if read.snapshot is not None:
        entry |= balance_document(read.snapshot, read.forecast)
    else:
        # The same keys as a read account's, empty, so a script can read every entry alike.
        entry |= {"fetched_at": None, "totals": {}, "projects": []}
        if forecast:
            entry["forecast"] = None
    entry["error"] = None if read.error is None else error_json(read.error)
    return entry


# --- Prometheus ----------------------------------------------------------------------------------


def render_accounts_prometheus(reads: list[AccountRead]) -> str:
    """The one-account metrics, each series labelled with its account first, each metric's HELP
    and TYPE once. An account that could not be read has `deepgram_balance_up{account} 0`, so
    an alert on `deepgram_balance_up == 0` hears of it as of any unreadable project."""
    merged: dict[str, PrometheusFamily] = {}
    for read in reads:
        families = (
            prometheus_families(read.snapshot, read.forecast)
            if read.snapshot is not None
            else [PrometheusFamily(UP_METRIC, UP_HELP, [({}, "0")])]
        )
        for family in families:
            into = merged.setdefault(family.name, PrometheusFamily(family.name, family.help, []))
            into.samples.extend(
                ({ACCOUNT_LABEL: read.name} | labels, value) for labels, value in family.samples
            )
    ordered = sorted(merged.values(), key=lambda f: PROMETHEUS_METRICS.index(f.name))
    return "".join(
        metric_block(f.name, f.help, [sample_line(f.name, *sample) for sample in f.samples])
        for f in ordered
    )
