"""The API key: from DEEPGRAM_API_KEY first, else the OS keyring. Never from or to a plain file.

`keyring` is imported only when the keyring is really needed: its backend discovery costs tens of
milliseconds, which a CLI run with the key in the environment should not pay.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Literal, NamedTuple, TypeVar

from trayapp.errors import ConfigError, KeyringUnavailableError, MissingKeyError
from trayapp.redaction import remember_secret

KEYRING_SERVICE = "deepgram-balance-tray"
KEYRING_USERNAME = "api-key"
API_KEY_ENV = "DEEPGRAM_API_KEY"

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


def clean_key_text(text: str, *, source: str = "The API key") -> str:
    """Strip surrounding whitespace and check the key could be one; never echo it in errors."""
    key = text.strip()
    if key:
        remember_secret(key)  # before any check, so not even a rejected key can be echoed
    if not key:
        raise ConfigError(f"{source} is empty: paste the key from the Deepgram Console.")
    if not set(key) <= _KEY_ALPHABET:
        raise ConfigError(
            f"{source} contains spaces or unexpected characters: paste only the key itself."
        )
    if not _MIN_KEY_LENGTH <= len(key) <= _MAX_KEY_LENGTH:
        raise ConfigError(
            f"{source} is {len(key)} characters long, which no Deepgram key is: paste the whole "
            "key and nothing else."
        )
    return key


def find_api_key(env: Mapping[str, str] = os.environ) -> ApiKey | None:
    env_value = env.get(API_KEY_ENV, "")
    if env_value.strip():
        return ApiKey(clean_key_text(env_value, source=API_KEY_ENV), "env")
    stored = _keyring_call(lambda kr: kr.get_password(KEYRING_SERVICE, KEYRING_USERNAME))
    if not stored:
        return None
    return ApiKey(clean_key_text(stored, source="The key stored in the keyring"), "keyring")


def require_api_key(env: Mapping[str, str] = os.environ) -> ApiKey:
    key = find_api_key(env)
    if key is None:
        raise MissingKeyError(
            "No Deepgram API key is set: run `deepgram-tray key set`, or set DEEPGRAM_API_KEY."
        )
    return key


def store_api_key(key: str) -> None:
    _keyring_call(lambda kr: kr.set_password(KEYRING_SERVICE, KEYRING_USERNAME, key))


def delete_api_key() -> bool:
    """Remove the stored key; False when there was none."""

    def delete(kr: _Keyring) -> bool:
        if kr.get_password(KEYRING_SERVICE, KEYRING_USERNAME) is None:
            return False
        kr.delete_password(KEYRING_SERVICE, KEYRING_USERNAME)
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
    from keyring import errors

    if isinstance(exc, errors.NoKeyringError):
        return KeyringUnavailableError(
            "No OS keyring is available to hold the API key: on Linux install and start a Secret "
            "Service (e.g. gnome-keyring), or set DEEPGRAM_API_KEY in the environment instead."
        )
    if isinstance(exc, errors.KeyringLocked):
        return KeyringUnavailableError(
            "The OS keyring is locked: unlock it (log in to your desktop session or open your "
            "keyring manager) and try again."
        )
    # Secret Service failures surface as D-Bus or secretstorage exceptions; name the type only,
    # since library messages may carry paths or object ids that mean nothing to a user.
    return KeyringUnavailableError(
        f"The OS keyring failed ({type(exc).__name__}): check that your keyring service is running "
        "and unlocked, or set DEEPGRAM_API_KEY in the environment instead."
    )


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
