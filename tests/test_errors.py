"""The error tree: each class's kind, exit code and words, the registry by kind, and helpers."""

from __future__ import annotations

import errno

import pytest

from trayapp import errors
from trayapp.errors import (
    ApiError,
    AuthError,
    ConfigError,
    DeepgramTrayError,
    HistoryUnreadableError,
    KeyringUnavailableError,
    MalformedResponseError,
    MissingKeyError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TrayUnavailableError,
    WorkerProtocolError,
    error_class_for,
    os_reason,
    registered_kinds,
)
from trayapp.tray.render import problem_words

# What each class is called between processes, how the CLI exits on it and what the tray says:
# pinned as the tray and the CLI said them before the classes carried them.
TABLE: list[tuple[type[DeepgramTrayError], str, int, str]] = [
    (DeepgramTrayError, "internal", 1, "something went wrong"),
    (WorkerProtocolError, "protocol", 1, "something went wrong"),
    (TrayUnavailableError, "no_tray", 2, "something went wrong"),
    (ConfigError, "config", 2, "settings need fixing"),
    (MissingKeyError, "no_key", 2, "no API key set"),
    (KeyringUnavailableError, "keyring", 2, "keyring unavailable"),
    (HistoryUnreadableError, "config", 2, "settings need fixing"),
    (ApiError, "server", 4, "something went wrong"),
    (AuthError, "auth", 3, "API key refused"),
    (PermissionDeniedError, "permission", 3, "key may not read balances"),
    (NotFoundError, "not_found", 2, "project not found"),
    (RateLimitedError, "rate_limit", 4, "rate-limited by Deepgram"),
    (ServerError, "server", 4, "Deepgram server error"),
    (NetworkError, "network", 4, "offline"),
    (MalformedResponseError, "malformed", 4, "unexpected answer from the API"),
]


@pytest.mark.parametrize(("cls", "kind", "exit_code", "words"), TABLE, ids=lambda v: str(v))
def test_each_class_carries_its_kind_exit_code_and_words(
    cls: type[DeepgramTrayError], kind: str, exit_code: int, words: str
) -> None:
    error = cls("Something happened.")
    assert (error.kind, error.exit_code, error.words) == (kind, exit_code, words)
    assert problem_words(error) == words


def test_the_registered_kinds_are_pinned() -> None:
    assert registered_kinds() == sorted(
        [
            "internal",
            "no_tray",
            "protocol",
            "config",
            "no_key",
            "keyring",
            "auth",
            "permission",
            "not_found",
            "rate_limit",
            "server",
            "network",
            "malformed",
        ]
    )


@pytest.mark.parametrize("kind", registered_kinds())
def test_every_registered_kind_names_one_class_of_that_kind(kind: str) -> None:
    assert error_class_for(kind).kind == kind


def test_a_class_that_names_its_own_kind_is_the_one_registered_under_it() -> None:
    owners = {cls: error_class_for(kind) for cls, kind, _, _ in TABLE}
    assert owners[ServerError] is ServerError  # not ApiError, whose kind is the same
    assert owners[AuthError] is AuthError and owners[DeepgramTrayError] is DeepgramTrayError
    # Without a kind of its own, a class crosses between processes as its parent.
    assert owners[HistoryUnreadableError] is ConfigError
    assert owners[WorkerProtocolError] is WorkerProtocolError


def test_an_unknown_kind_is_an_unexpected_error() -> None:
    assert error_class_for("from_a_newer_version") is DeepgramTrayError


def test_a_new_class_registers_itself_and_may_not_take_a_kind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(errors, "_CLASS_BY_KIND", dict(errors._CLASS_BY_KIND))

    class QuotaError(ApiError):
        kind = "quota"

    assert error_class_for("quota") is QuotaError
    with pytest.raises(TypeError, match="'network' is NetworkError's"):

        class OfflineError(ApiError):
            kind = "network"

    assert error_class_for("network") is NetworkError


def test_the_message_is_the_exceptions_text_and_stays_it() -> None:
    error = RateLimitedError("Slow down.", status=429, request_id="r-1", retry_after=3.0)
    assert str(error) == error.message == "Slow down." and error.args == ("Slow down.",)
    with pytest.raises(AttributeError):
        error.message = "Changed."  # type: ignore[misc]
    assert str(error) == error.message == "Slow down."


def test_the_request_id_is_added_to_the_sentence_not_the_message() -> None:
    error = ServerError("Deepgram had trouble.", request_id="r-7")
    assert error.message == "Deepgram had trouble."
    assert error.user_message() == "Deepgram had trouble (request id r-7)."


class TestOsReason:
    def test_the_systems_words(self) -> None:
        exc = PermissionError(errno.EACCES, "Permission denied", "/nowhere")
        assert os_reason(exc) == "Permission denied"

    @pytest.mark.parametrize(
        ("exc", "reason"),
        [(OSError("no errno"), "OSError"), (IsADirectoryError(), "IsADirectoryError")],
    )
    def test_the_type_when_the_system_said_nothing(self, exc: OSError, reason: str) -> None:
        assert os_reason(exc) == reason
