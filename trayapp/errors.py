"""Every error a user may see, each carrying the one sentence they are shown.

    DeepgramTrayError                 exit 1, kind "internal" (unexpected)
    +-- WorkerProtocolError           kind "protocol": the tray and its fetch worker disagree
    +-- TrayUnavailableError          exit 2, kind "no_tray": no system tray to put the icon in
    +-- ConfigError                   exit 2, kind "config": bad config or input
    |   +-- MissingKeyError           kind "no_key": no API key anywhere
    |   +-- KeyringUnavailableError   kind "keyring": no usable OS keyring, or it is locked
    |   +-- HistoryUnreadableError    the balance history file cannot be used
    +-- ApiError                      exit 4 unless noted; `kind` goes into JSON output
        +-- AuthError                 exit 3, kind "auth": the key was refused (401)
        +-- PermissionDeniedError     exit 3, kind "permission": e.g. a Member key (403)
        +-- NotFoundError             exit 2, kind "not_found": project id or API path unknown
        +-- RateLimitedError          kind "rate_limit", with Retry-After when sent
        +-- ServerError               kind "server": 5xx and unexpected statuses
        +-- NetworkError              kind "network": DNS, refused, reset, timeout, redirect
        +-- MalformedResponseError    kind "malformed": HTML, truncated JSON, wrong types, too big

Each class carries what the rest of the app says about it: its `kind`, `exit_code` and `words`.
A class that names its own kind is registered under it, so `error_class_for` can rebuild it in
another process; one without a kind of its own crosses as its parent.

`requests` and `keyring` exceptions are translated into these at the module that calls them,
so nothing above that boundary ever sees a library exception or a traceback. An error is built
once with its final sentence: server text is redacted before, never patched in after.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

_CLASS_BY_KIND: dict[str, type[DeepgramTrayError]] = {}


class DeepgramTrayError(Exception):
    """Base of the tree. `message` is a complete sentence that says what to do."""

    exit_code: ClassVar[int] = 1
    kind: ClassVar[str] = "internal"
    """A stable name for the failure, used in JSON output and between processes."""
    words: ClassVar[str] = "something went wrong"
    """The problem in a few plain words, for the tray's tooltip and menu."""

    def __init_subclass__(cls, *, abstract: bool = False, **kwargs: Any) -> None:
        """Register a class that names its own kind; `abstract` for a base never raised itself."""
        super().__init_subclass__(**kwargs)
        if abstract or "kind" not in vars(cls):
            return
        taken = _CLASS_BY_KIND.get(cls.kind)
        # The same class defined again (its module reloaded) takes the old one's place.
        if taken is not None and taken.__qualname__ != cls.__qualname__:
            raise TypeError(f"{cls.__qualname__}: kind {cls.kind!r} is {taken.__qualname__}'s")
        _CLASS_BY_KIND[cls.kind] = cls

    def __init__(self, message: str) -> None:
        super().__init__(message)

    @property
    def message(self) -> str:
        # Read from the exception's own args, so str(error) and the message can never differ.
        return str(self.args[0])

    def user_message(self) -> str:
        return self.message


_CLASS_BY_KIND[DeepgramTrayError.kind] = DeepgramTrayError


def error_class_for(kind: str) -> type[DeepgramTrayError]:
    """The class registered under `kind`; the base (an unexpected error) for a kind unknown here."""
    return _CLASS_BY_KIND.get(kind, DeepgramTrayError)


def registered_kinds() -> list[str]:
    return sorted(_CLASS_BY_KIND)


def os_reason(exc: OSError) -> str:
    """Why a file operation failed, in the system's words ("Permission denied"), else its type."""
    return exc.strerror or type(exc).__name__


class WorkerProtocolError(DeepgramTrayError):
    """The tray and its fetch worker could not understand each other: a bug, or an app upgraded
    while running. Its own kind lets the worker's "I could not read that" arrive as itself."""

    kind = "protocol"


class TrayUnavailableError(DeepgramTrayError):
    exit_code = 2
    kind = "no_tray"


class ConfigError(DeepgramTrayError):
    exit_code = 2
    kind = "config"
    words = "settings need fixing"


class MissingKeyError(ConfigError):
    kind = "no_key"
    words = "no API key set"


class KeyringUnavailableError(ConfigError):
    kind = "keyring"
    words = "keyring unavailable"


class HistoryUnreadableError(ConfigError):
    """The history file is not a usable database (damaged, or something else at its path)."""


class ApiError(DeepgramTrayError, abstract=True):
    """What the API, or the way to it, did wrong. Never raised itself: one of its subclasses is."""

    exit_code = 4
    kind = "server"

    def __init__(
        self, message: str, *, status: int | None = None, request_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.status: Final = status
        self.request_id: Final = request_id

    def user_message(self) -> str:
        if not self.request_id:
            return self.message
        # The request id lets Deepgram support find the call; keep the sentence a sentence.
        return f"{self.message.rstrip('.')} (request id {self.request_id})."


class AuthError(ApiError):
    exit_code = 3
    kind = "auth"
    words = "API key refused"


BALANCES_KEY = "an Owner or Admin key"
"""The key that can read balances, named the one way every message that asks for it names it.

Deepgram's roles page gives `billing:read` to the Owner and Admin roles only, and its older .NET
SDK says balances need a project owner or administrator; but nothing Deepgram publishes ties the
balances call to that scope, and a key may carry fewer scopes than its role. So messages name the
roles, never the scope, and never claim why this particular key was refused."""
MAY_NOT_READ_BALANCES = f"this key may not read balances: {BALANCES_KEY} can"
"""What a refusal means, worded to stay true whichever scope or role Deepgram turns out to check."""


class PermissionDeniedError(ApiError):
    exit_code = 3
    kind = "permission"
    words = "key may not read balances"


class NotFoundError(ApiError):
    exit_code = 2
    kind = "not_found"
    words = "project not found"


class RateLimitedError(ApiError):
    kind = "rate_limit"
    words = "rate-limited by Deepgram"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, request_id=request_id)
        self.retry_after: Final = retry_after


class ServerError(ApiError):
    kind = "server"
    words = "Deepgram server error"


class NetworkError(ApiError):
    kind = "network"
    words = "offline"


class MalformedResponseError(ApiError):
    kind = "malformed"
    words = "unexpected answer from the API"


# Which failure wins when several projects fail differently: a bug first, then what the user
# must fix (config, then key), then what fixes itself (network and server trouble).
_SEVERITY = {0: 0, 4: 1, 3: 2, 2: 3, 1: 4}


def most_severe_exit_code(codes: list[int]) -> int:
    return max(codes, key=lambda code: _SEVERITY.get(code, 4), default=0)
