"""Every error a user may see, each carrying the one sentence they are shown.

    DeepgramTrayError                 exit 1, kind "internal" (unexpected)
    +-- ConfigError                   exit 2, kind "config": bad config or input
    |   +-- MissingKeyError           kind "no_key": no API key anywhere
    |   +-- KeyringUnavailableError   kind "keyring": no usable OS keyring, or it is locked
    +-- ApiError                      exit 4 unless noted; `kind` goes into JSON output
        +-- AuthError                 exit 3, kind "auth": the key was refused (401)
        +-- PermissionDeniedError     exit 3, kind "permission": e.g. a Member key (403)
        +-- NotFoundError             exit 2, kind "not_found": project id or API path unknown
        +-- RateLimitedError          kind "rate_limit", with Retry-After when sent
        +-- ServerError               kind "server": 5xx and unexpected statuses
        +-- NetworkError              kind "network": DNS, refused, reset, timeout, redirect
        +-- MalformedResponseError    kind "malformed": HTML, truncated JSON, wrong types, too big

`requests` and `keyring` exceptions are translated into these at the module that calls them,
so nothing above that boundary ever sees a library exception or a traceback.
"""

from __future__ import annotations


class DeepgramTrayError(Exception):
    """Base of the tree. `message` is a complete sentence that says what to do."""

    exit_code = 1
    kind = "internal"
    """A stable name for the failure, used in JSON output and between processes."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def user_message(self) -> str:
        return self.message


class ConfigError(DeepgramTrayError):
    exit_code = 2
    kind = "config"


class MissingKeyError(ConfigError):
    kind = "no_key"


class KeyringUnavailableError(ConfigError):
    kind = "keyring"


class ApiError(DeepgramTrayError):
    exit_code = 4
    kind = "server"

    def __init__(
        self, message: str, *, status: int | None = None, request_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.request_id = request_id

    def user_message(self) -> str:
        if not self.request_id:
            return self.message
        # The request id lets Deepgram support find the call; keep the sentence a sentence.
        return f"{self.message.rstrip('.')} (request id {self.request_id})."


class AuthError(ApiError):
    exit_code = 3
    kind = "auth"


class PermissionDeniedError(ApiError):
    exit_code = 3
    kind = "permission"


class NotFoundError(ApiError):
    exit_code = 2
    kind = "not_found"


class RateLimitedError(ApiError):
    kind = "rate_limit"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, request_id=request_id)
        self.retry_after = retry_after


class ServerError(ApiError):
    kind = "server"


class NetworkError(ApiError):
    kind = "network"


class MalformedResponseError(ApiError):
    kind = "malformed"


# Which failure wins when several projects fail differently: a bug first, then what the user
# must fix (config, then key), then what fixes itself (network and server trouble).
_SEVERITY = {0: 0, 4: 1, 3: 2, 2: 3, 1: 4}


def most_severe_exit_code(codes: list[int]) -> int:
    return max(codes, key=lambda code: _SEVERITY.get(code, 4), default=0)
