"""The API key: from DEEPGRAM_API_KEY first, else the OS keyring. Never from or to a plain file.

`keyring` is imported only when the keyring is really needed: its backend discovery costs tens of
milliseconds, which a CLI run with the key in the environment should not pay.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Literal, NamedTuple, TypeVar

from trayapp.errors import ConfigError, KeyringUnavailableError, MissingKeyError
from trayapp.redaction import remember_secret

KEYRING_SERVICE = "deepgram-balance-tray"
KEYRING_USERNAME = "api-key"
API_KEY_ENV = "DEEPGRAM_API_KEY"
DEFAULT_ACCOUNT = "default"
"""The unnamed top-level account (trayapp.accounts): DEEPGRAM_API_KEY and `api-key`."""


def key_env_var(account: str = DEFAULT_ACCOUNT) -> str:
    """DEEPGRAM_API_KEY for the default account, DEEPGRAM_API_KEY_CLIENT_A for `client-a`
    (upper-cased, every other character `_`)."""
    if account == DEFAULT_ACCOUNT:
        return API_KEY_ENV
    return (
        API_KEY_ENV
        + "_"
        + "".join(c if c.isascii() and c.isalnum() else "_" for c in account.upper())
    )


def keyring_username(account: str = DEFAULT_ACCOUNT) -> str:
    """The keyring entry's username: `api-key`, or `api-key:NAME` for a named account."""
    return KEYRING_USERNAME if account == DEFAULT_ACCOUNT else f"{KEYRING_USERNAME}:{account}"


# Windows Credential Locker caps a secret at 2560 bytes; real keys are 40 hex characters.
_MIN_KEY_LENGTH = 8
_MAX_KEY_LENGTH = 1024
_KEY_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~+/=")

T = TypeVar("T")

KeySource = Literal["env", "keyring"]


def mask(key: str) -> str:
    """What may be shown of a key: its last 4 characters at most."""
    return f"…{key[-4:]}" if len(key) >= _MIN_KEY_LENGTH else "…"


class ApiKey(NamedTuple):
    value: str
    source: KeySource

    def __repr__(self) -> str:  # the default would print the secret
        return f"ApiKey(source={self.source!r}, value={mask(self.value)!r})"

    def __str__(self) -> str:
        return repr(self)

    @property
    def masked(self) -> str:
        return mask(self.value)


PASTE_ONLY_THE_KEY = "paste only the key, as the Deepgram Console shows it"
"""What to do about a pasted or typed key that cannot be one."""
ENV_KEY_SOURCE = f"{API_KEY_ENV} (which is used before the OS keyring)"
ENV_KEY_FIX = f"set {API_KEY_ENV} to the key alone, or unset it to use the key in the OS keyring"
STORED_KEY_SOURCE = "The key stored in the OS keyring"
STORED_KEY_FIX = "store it again with `deepgram-tray key set`"

_QUOTES = frozenset("\"'`\u2018\u2019\u201c\u201d")


def key_text_problem(key: str) -> str | None:
    """What keeps stripped text from being a key, in words that never repeat it; None if none.

    The commonest slips first: quotes or a line break from a shell or a .env file, a space from
    copying a sentence, a curly quote or invisible space from a chat or document.
    """
    if not key:
        return "is empty"
    if any(ch in _QUOTES for ch in key):
        return "has quotes in it, which no Deepgram key has"
    if "\n" in key or "\r" in key:
        return "contains a line break, which no Deepgram key has"
    if any(ch.isspace() for ch in key):
        return "contains a space, which no Deepgram key has"
    if any(ord(ch) > 127 for ch in key):
        return (
            "contains a character that is not plain ASCII (often a dash or an invisible space "
            "picked up in copying), which no Deepgram key has"
        )
    if not set(key) <= _KEY_ALPHABET:
        return "contains a character no Deepgram key has"
    if not _MIN_KEY_LENGTH <= len(key) <= _MAX_KEY_LENGTH:
        return f"is {len(key)} characters long, which no Deepgram key is"
    return None


def clean_key_text(text: str, *, source: str = "The API key", fix: str = PASTE_ONLY_THE_KEY) -> str:
    """Strip surrounding whitespace and check the key could be one; never echo it in errors.

    `source` starts the error sentence (where the text came from) and `fix` ends it.
    """
    key = text.strip()
    if key:
        remember_secret(key)  # before any check, so not even a rejected key can be echoed
    problem = key_text_problem(key)
    if problem is not None:
        raise ConfigError(f"{source} {problem}: {fix}.")
    return key


def find_api_key(
    env: Mapping[str, str] = os.environ, account: str = DEFAULT_ACCOUNT
) -> ApiKey | None:
    """The account's key: the environment's, else the keyring's; None when neither has one."""
    from_env = key_from_env(env, account)
    return from_env if from_env is not None else key_from_keyring(account)


def key_from_env(
    env: Mapping[str, str] = os.environ, account: str = DEFAULT_ACCOUNT
) -> ApiKey | None:
    """The account's variable (DEEPGRAM_API_KEY for `default`) when it is set (blank is unset);
    ConfigError when it cannot be a key."""
    variable = key_env_var(account)
    env_value = env.get(variable, "")
    if not env_value.strip():
        return None
    if account == DEFAULT_ACCOUNT:
        source, fix = ENV_KEY_SOURCE, ENV_KEY_FIX
    else:
        source = f"{variable} (which is used before the OS keyring)"
        fix = f"set {variable} to the key alone, or unset it to use the key in the OS keyring"
    return ApiKey(clean_key_text(env_value, source=source, fix=fix), "env")


def key_from_keyring(account: str = DEFAULT_ACCOUNT) -> ApiKey | None:
    """The account's key stored in the OS keyring, which may prompt to unlock or create one."""
    username = keyring_username(account)
    stored = _keyring_call(lambda kr: kr.get_password(KEYRING_SERVICE, username))
    if not stored:
        return None
    fix = (
        STORED_KEY_FIX
        if account == DEFAULT_ACCOUNT
        else f"{STORED_KEY_FIX[:-1]} --account {account}`"
    )
    return ApiKey(clean_key_text(stored, source=STORED_KEY_SOURCE, fix=fix), "keyring")


NO_KEY = "No Deepgram API key is set: run `deepgram-tray key set`, or set DEEPGRAM_API_KEY."


def no_key_sentence(account: str = DEFAULT_ACCOUNT) -> str:
    if account == DEFAULT_ACCOUNT:
        return NO_KEY
    return (
        f"No Deepgram API key is set for the account {account!r}: run "
        f"`deepgram-tray key set --account {account}`, or set {key_env_var(account)}."
    )


def require_api_key(env: Mapping[str, str] = os.environ, account: str = DEFAULT_ACCOUNT) -> ApiKey:
    key = find_api_key(env, account)
    if key is None:
        raise MissingKeyError(no_key_sentence(account))
    return key


def store_api_key(key: str, account: str = DEFAULT_ACCOUNT) -> None:
    username = keyring_username(account)
    _keyring_call(lambda kr: kr.set_password(KEYRING_SERVICE, username, key))


def delete_api_key(account: str = DEFAULT_ACCOUNT) -> bool:
    """Remove the account's stored key; False when there was none."""
    username = keyring_username(account)

    def delete(kr: _Keyring) -> bool:
        if kr.get_password(KEYRING_SERVICE, username) is None:
            return False
        kr.delete_password(KEYRING_SERVICE, username)
        return True

    return _keyring_call(delete)


def keyring_backend_name() -> str:
    """A readable name for the keyring in use, for status output."""
    return _keyring_call(lambda kr: _describe_backend(kr.get_keyring()))


# --- the keyring boundary ----------------------------------------------------------------------


class _Keyring:
    """The slice of the `keyring` module used here (typed for the callbacks above)."""

    get_password: Callable[[str, str], str | None]
    set_password: Callable[[str, str, str], None]
    delete_password: Callable[[str, str], None]
    get_keyring: Callable[[], object]


def _keyring_call(action: Callable[[_Keyring], T]) -> T:
    """Run one keyring operation, translating every failure into a sentence with what to do."""
    with _translated_keyring_errors():
        import keyring

        _refuse_plaintext_backend(keyring.get_keyring())
        return action(keyring)  # type: ignore[arg-type]


@contextmanager
def _translated_keyring_errors() -> Iterator[None]:
    try:
        yield
    except KeyringUnavailableError:
        raise
    except Exception as exc:
        raise _keyring_error(exc) from exc


def _keyring_error(exc: Exception) -> KeyringUnavailableError:
    return KeyringUnavailableError(keyring_failure_sentence(exc))


SECRET_SERVICE_EXAMPLES = "gnome-keyring, or KeePassXC with its Secret Service integration on"
"""What a Linux user installs or starts to get an OS keyring, named the one way every message
names it."""
OR_USE_ENV = f"or set {API_KEY_ENV} in the environment instead"


def keyring_failure_sentence(exc: Exception, platform: str = sys.platform) -> str:
    """What a keyring library failure means and what to do, as one sentence.

    Library messages may carry paths or object ids that mean nothing to a user, so only the
    exception's type and cause choose the words; the type is named when nothing else fits.
    """
    from keyring import errors

    linux = platform.startswith("linux") or "bsd" in platform
    if isinstance(exc, errors.NoKeyringError):
        if linux:
            return (
                "No OS keyring is available to hold the API key: install and start a Secret "
                f"Service such as {SECRET_SERVICE_EXAMPLES}, {OR_USE_ENV}."
            )
        return (
            f"No OS keyring is available to hold the API key: set {API_KEY_ENV} in the "
            "environment instead."
        )
    if isinstance(exc, errors.KeyringLocked):
        return (
            "The OS keyring is locked: unlock it (log in to your desktop session or open your "
            "keyring manager) and try again."
        )
    if isinstance(exc, errors.InitError) or _no_service_answered(exc):
        if _prompt_dismissed(exc):
            # gnome-keyring with no keyring yet asks for a password to create one; cancelled,
            # or no prompt could be shown (no display, or no prompter installed).
            return (
                "The OS keyring (Secret Service) has no default keyring to keep the key in, and "
                "creating one was cancelled or could not be asked for: create one (e.g. in "
                f"Passwords and Keys) and try again, {OR_USE_ENV}."
            )
        return (
            "The OS keyring could not be opened: no Secret Service answered; install and start "
            f"one such as {SECRET_SERVICE_EXAMPLES}, {OR_USE_ENV}."
        )
    service = (
        f"a Secret Service (such as {SECRET_SERVICE_EXAMPLES})" if linux else "your keyring service"
    )
    return (
        f"The OS keyring failed ({type(exc).__name__}): check that {service} is running and "
        f"unlocked, {OR_USE_ENV}."
    )


_NOBODY_THERE = ("org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.Spawn.")


def _no_service_answered(exc: BaseException) -> bool:
    """A D-Bus error (jeepney's DBusErrorResponse) saying no Secret Service is there, or that
    the one the bus tried to start on demand failed to start."""
    name = getattr(exc, "name", None)
    return (
        type(exc).__name__ == "DBusErrorResponse"
        and isinstance(name, str)
        and name.startswith(_NOBODY_THERE)
    )


def _prompt_dismissed(exc: BaseException) -> bool:
    """keyring wraps secretstorage's PromptDismissedException (its cause) in an InitError."""
    cause = exc.__cause__
    if cause is not None and type(cause).__name__ == "PromptDismissedException":
        return True
    return "prompt dismissed" in str(exc).lower()


def _refuse_plaintext_backend(backend: object) -> None:
    """keyrings.alt can store secrets in a plain file; accept that only when chosen explicitly."""
    cls = type(backend)
    if "plaintext" in cls.__name__.lower() and not os.environ.get("PYTHON_KEYRING_BACKEND"):
        raise KeyringUnavailableError(
            f"The only keyring found ({cls.__module__}.{cls.__name__}) stores secrets in a plain "
            "file: start a real keyring service, or set DEEPGRAM_API_KEY in the environment."
        )


# What people call the stores keyring's backends use ("Windows WinVaultKeyring" means nothing to
# a Windows user; Credential Manager is where they would look for the entry).
FAMILIAR_NAMES = {
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Manager",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
    "keyring.backends.SecretService.Keyring": "Secret Service",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
}


def _describe_backend(backend: object) -> str:
    cls = type(backend)
    familiar = FAMILIAR_NAMES.get(f"{cls.__module__}.{cls.__qualname__}")
    if familiar:
        return familiar
    name = getattr(backend, "name", None)
    return str(name) if name else cls.__name__
