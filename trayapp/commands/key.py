"""`deepgram-tray key set | status | delete`: the API key in the OS keyring."""

from __future__ import annotations

import argparse
import os
import sys

from trayapp.cli import print_error, print_out
from trayapp.config import Settings, load_settings
from trayapp.credentials import (
    DEFAULT_ACCOUNT,
    clean_key_text,
    delete_api_key,
    key_env_var,
    key_from_env,
    key_from_keyring,
    keyring_backend_name,
    mask,
    no_key_sentence,
    store_api_key,
)
from trayapp.deepgram.client import DeepgramClient
from trayapp.deepgram.key_check import check_key
from trayapp.errors import (
    BALANCES_KEY,
    ApiError,
    AuthError,
    ConfigError,
    MissingKeyError,
    NetworkError,
    PermissionDeniedError,
)

NOT_SAVED = "the key was not saved"
MAY_PROMPT = "your desktop may ask you to unlock or create a keyring"


def _before_asking_the_keyring(doing: str) -> None:
    """Say why nothing happens while the keyring daemon may be showing a password prompt
    (gnome-keyring asks to create a keyring when it has none, or to unlock a locked one).

    Only to a terminal: there a person may be waiting and wondering; scripts reading stderr
    keep getting one sentence per error, as the contract has it.
    """
    stream = sys.stderr
    try:
        interactive = stream is not None and stream.isatty()
    except (OSError, ValueError):  # closed or detached
        interactive = False
    if interactive:
        print_error(f"{doing} ({MAY_PROMPT})…")


def run_key_set(args: argparse.Namespace) -> int:
    account: str = args.account
    settings = _account_settings(account)  # first: no such account, no key to type
    key = clean_key_text(_read_key())
    summary = ""
    if not args.no_verify:
        summary = f": {_verify(key, account, settings)}"
    _before_asking_the_keyring("Saving the key in the OS keyring")
    store_api_key(key, account)
    _forget_the_last_read(account)
    backend = keyring_backend_name()
    print_out(
        f"Saved the key ending in {mask(key)}{_for(account)} to the OS keyring ({backend})"
        f"{summary}.\n"
    )
    variable = key_env_var(account)
    if os.environ.get(variable, "").strip():
        print_error(f"Note: {variable} is set and is used instead of the keyring while it is set.")
    return 0


def _account_settings(account: str) -> Settings | None:
    """The named account's settings; ConfigError when the config has no such account. None for
    the default account, whose settings are read only when the key is verified, as they always
    were (a broken config does not stop `key set --no-verify`)."""
    if account == DEFAULT_ACCOUNT:
        return None
    from trayapp.accounts import account_named, load_accounts

    return account_named(load_accounts(), account).settings


def _for(account: str) -> str:
    """Words naming a named account in a sentence about its key; none for the default one."""
    return "" if account == DEFAULT_ACCOUNT else f" for the account {account!r}"


def _key_set_command(account: str, *options: str) -> str:
    """The `key set` command line for this account, to suggest in a message."""
    named = () if account == DEFAULT_ACCOUNT else ("--account", account)
    return " ".join(("deepgram-tray", "key", "set", *options, *named))


MAX_PIPED_KEY_CHARS = 4096
"""Far more than any key with whitespace around it: `key set < /dev/zero` must not read forever."""


def _read_key() -> str:
    if sys.stdin is not None and not sys.stdin.isatty():
        text = sys.stdin.read(MAX_PIPED_KEY_CHARS + 1)
        if len(text) > MAX_PIPED_KEY_CHARS:
            raise ConfigError(
                f"The input is longer than {MAX_PIPED_KEY_CHARS} characters, which no API key "
                'is: pipe only the key, e.g. `printf %s "$KEY" | deepgram-tray key set`.'
            )
        return text
    import getpass

    return getpass.getpass("Deepgram API key (input is hidden): ")


def _verify(key: str, account: str, settings: Settings | None) -> str:
    """A short summary of what the key can do, or the error that keeps it from being saved."""
    if settings is None:
        settings = load_settings()
    try:
        with DeepgramClient(settings.api_url, key) as client:
            check = check_key(client)
    except AuthError as exc:
        raise AuthError(
            f"Deepgram refused this key, so {NOT_SAVED}: copy it again from the Deepgram Console.",
            status=exc.status,
            request_id=exc.request_id,
        ) from exc
    except PermissionDeniedError as exc:
        raise _member_key_error(exc, "This key", account) from exc
    except ApiError as exc:
        raise NetworkError(
            f"The key could not be checked, so {NOT_SAVED} ({exc.message.rstrip('.')}); try again, "
            f"or store it unchecked with `{_key_set_command(account, '--no-verify')}`.",
            request_id=exc.request_id,
        ) from exc
    if check.refusal is not None:
        seen = f"This key works and sees {check.project_count} project(s) but"
        raise _member_key_error(check.refusal, seen, account)
    return check.summary()


def _member_key_error(exc: PermissionDeniedError, what: str, account: str) -> PermissionDeniedError:
    """`what` starts the sentence: the key, and what it could do, before it was refused."""
    return PermissionDeniedError(
        f"{what} may not read balances, so {NOT_SAVED}: {BALANCES_KEY} can; create one in the "
        f"Deepgram Console and run `{_key_set_command(account)}` again.",
        status=exc.status,
        request_id=exc.request_id,
    )


def run_key_status(args: argparse.Namespace) -> int:
    account: str = args.account
    _account_settings(account)  # refuses an account the config does not have
    # The environment first, as everywhere; a value that cannot be a key is a ConfigError that
    # names the account's variable and what is wrong with it (exit 2), and the keyring is not
    # asked.
    key = key_from_env(os.environ, account)
    if key is None:
        _before_asking_the_keyring("Asking the OS keyring for the key")
        key = key_from_keyring(account)
    if key is None:
        raise MissingKeyError(no_key_sentence(account))
    if key.source == "env":
        where = f"from {key_env_var(account)} (it takes precedence over the keyring)"
    else:
        where = f"stored in the OS keyring ({keyring_backend_name()})"
    print_out(f"API key ending in {key.masked}{_for(account)}, {where}.\n")
    return 0


def run_key_delete(args: argparse.Namespace) -> int:
    account: str = args.account
    _account_settings(account)  # refuses an account the config does not have
    _before_asking_the_keyring("Deleting the key from the OS keyring")
    deleted = delete_api_key(account)
    _forget_the_last_read(account)
    if deleted:
        print_out(f"Deleted the API key{_for(account)} from the OS keyring.\n")
    else:
        print_out(f"No API key{_for(account)} was stored in the OS keyring; nothing to delete.\n")
    variable = key_env_var(account)
    if os.environ.get(variable, "").strip():
        print_error(f"Note: {variable} is still set, so a key is still in use.")
    return 0


def _forget_the_last_read(account: str) -> None:
    """The account's read saved for `balance --max-age` was made with the key before: it must not
    answer for the next one."""
    from trayapp.desktop.paths import last_read_path
    from trayapp.tray.last_read import forget

    forget(last_read_path(account))
