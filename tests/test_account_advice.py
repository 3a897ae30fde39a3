"""Advice about a named account's key names that account's `key set`."""

from __future__ import annotations

from tests.support.tray_states import snapshot
from trayapp.account_advice import for_account, snapshot_for_account
from trayapp.errors import AuthError, NetworkError, RateLimitedError

REFUSED = AuthError(
    "Deepgram refused the API key: set a valid key with `deepgram-tray key set`.",
    status=401,
    request_id="r-1",
)


def test_a_named_accounts_advice_names_it_and_keeps_the_rest() -> None:
    named = for_account(REFUSED, "client-a")
    assert named.message == (
        "Deepgram refused the API key: set a valid key with "
        "`deepgram-tray key set --account client-a`."
    )
    assert str(named) == named.message  # what a log line or a traceback would show
    assert isinstance(named, AuthError) and (named.status, named.request_id) == (401, "r-1")
    assert REFUSED.message.endswith("`deepgram-tray key set`.")  # the original is left alone


def test_the_default_account_and_other_errors_are_unchanged() -> None:
    assert for_account(REFUSED, "default") is REFUSED
    offline = NetworkError("No connection: check it.")
    assert for_account(offline, "client-a") is offline
    waiting = RateLimitedError("Slow down.", retry_after=30)
    assert for_account(waiting, "client-a") is waiting


def test_each_projects_error_in_a_read_names_the_account() -> None:
    read = snapshot("1", "2", errors={1: REFUSED})
    named = snapshot_for_account(read, "client-a")
    error = named.projects[1].error
    assert error is not None and "--account client-a" in error.message
    assert named.projects[0] == read.projects[0]
    assert snapshot_for_account(read, "default") is read
