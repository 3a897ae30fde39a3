"""Every error body Deepgram documents, served by the test server, gives the right kind, exit code
and a sentence that is true: through `balance --json` and through the tray's fetch worker.

The bodies and their sources are `DOCUMENTED_ERRORS` in tests/support/deepgram_server.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.conftest import MEMBER_KEY, OWNER_KEY, PROJECT_A, run_cli
from tests.support.deepgram_server import DOCUMENTED_ERRORS, FakeDeepgram
from tests.support.key_set import NOT_SAVED, key_set
from tests.support.memory_keyring import MemoryKeyring
from trayapp.config import Settings
from trayapp.deepgram.parsing import error_for_status, parse_error_body
from trayapp.errors import (
    MAY_NOT_READ_BALANCES,
    ApiError,
    AuthError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
)
from trayapp.tk.settings_window import describe_key_check
from trayapp.tray.fetch_process import fetch_in_child_process


class Expected(NamedTuple):
    error: type[ApiError]
    kind: str
    exit_code: int
    says: tuple[str, ...]
    """Parts of the sentence: what Deepgram said, and what to do."""


SET_VALID_KEY = "set a valid key with `deepgram-tray key set`"
SET_ADMIN_KEY = "set an Owner or Admin key from the Deepgram Console with `deepgram-tray key set`"
NOT_THIS_PROJECT = f"Project {PROJECT_A} was not found for this key"

EXPECTED = {
    "invalid_auth": Expected(
        AuthError, "auth", 3, ('refused the API key ("Invalid credentials.")', SET_VALID_KEY)
    ),
    # A 401 is not always a bad key: these two refuse a permission.
    "insufficient_permissions": Expected(
        PermissionDeniedError,
        "permission",
        3,
        ('("User does not have sufficient permissions.")', MAY_NOT_READ_BALANCES),
    ),
    "project_unauthorized": Expected(
        PermissionDeniedError,
        "permission",
        3,
        ('("User does not have sufficient permissions.")', MAY_NOT_READ_BALANCES),
    ),
    "model_access": Expected(
        PermissionDeniedError,
        "permission",
        3,
        ('("Project does not have access to the requested model.")', MAY_NOT_READ_BALANCES),
    ),
    # A 403 is not always a missing permission: this one is an authentication failure.
    "authentication_failed": Expected(
        AuthError, "auth", 3, ('refused the API key ("Authentication failed.")', SET_ADMIN_KEY)
    ),
    "project_not_found": Expected(
        NotFoundError, "not_found", 2, (NOT_THIS_PROJECT, '("Project not found.")')
    ),
    "not_found": Expected(
        NotFoundError,
        "not_found",
        2,
        (NOT_THIS_PROJECT, '("A project with the submitted ID cannot be found.")'),
    ),
    "uuid_parsing_failed": Expected(
        NotFoundError, "not_found", 2, (NOT_THIS_PROJECT, '("UUID parsing failed: invalid')
    ),
    "too_many_requests": Expected(
        RateLimitedError,
        "rate_limit",
        4,
        ('rate-limiting this key ("Too many requests. Please try again later")', "wait a minute"),
    ),
    "service_unavailable": Expected(
        ServerError,
        "server",
        4,
        ('server error (HTTP 503) ("Please try again later")', "try again in a few minutes"),
    ),
}

# Claims nothing Deepgram publishes supports for the refusal at hand.
UNSOURCED = re.compile(r"billing:read|Member keys? (cannot|can't)", re.IGNORECASE)


def test_every_documented_body_has_an_expectation() -> None:
    assert set(EXPECTED) == set(DOCUMENTED_ERRORS)


def assert_true_sentence(message: str, expected: Expected) -> None:
    for part in expected.says:
        assert part in message
    assert not UNSOURCED.search(message), message
    assert message.endswith(".") and "\n" not in message


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_mapping(name: str) -> None:
    documented, expected = DOCUMENTED_ERRORS[name], EXPECTED[name]
    error = error_for_status(documented.status, documented.body, {}, project_id=PROJECT_A)
    assert type(error) is expected.error
    assert (error.kind, error.exit_code, error.status) == (
        expected.kind,
        expected.exit_code,
        documented.status,
    )
    assert_true_sentence(error.message, expected)


def test_the_503_example_names_its_code_error_code() -> None:
    info = parse_error_body(DOCUMENTED_ERRORS["service_unavailable"].body)
    assert info == ("Service Unavailable", "Please try again later", "[unique_request_id]")


def test_a_project_not_found_without_a_request_id_takes_the_header_one() -> None:
    documented = DOCUMENTED_ERRORS["project_not_found"]
    error = error_for_status(404, documented.body, {"dg-request-id": "hdr-1"}, project_id="p")
    assert error.request_id == "hdr-1"


def test_a_permission_code_wins_over_an_authentication_wording() -> None:
    body = b'{"err_code": "INSUFFICIENT_PERMISSIONS", "err_msg": "Authentication failed."}'
    assert isinstance(error_for_status(403, body, {}), PermissionDeniedError)


@pytest.mark.parametrize(
    "body",
    [
        b'{"category": "UNAUTHORIZED", "message": "Credentials not accepted."}',  # the code alone
        b'{"message": "Authentication failed: token expired."}',  # the wording alone
        b"authentication failed",  # plain text, any case
    ],
)
def test_either_the_code_or_the_wording_marks_a_403_as_a_refused_key(body: bytes) -> None:
    assert isinstance(error_for_status(403, body, {}), AuthError)


def test_a_403_with_neither_is_a_missing_permission() -> None:
    body = b'{"category": "FORBIDDEN_ROLE", "message": "Not allowed to authenticate here."}'
    assert isinstance(error_for_status(403, body, {}), PermissionDeniedError)


class TestThroughTheCli:
    @pytest.mark.parametrize("name", sorted(EXPECTED))
    def test_balance_json(self, name: str, cli_env: dict[str, str], deepgram: FakeDeepgram) -> None:
        expected = EXPECTED[name]
        deepgram.fail(f"/v1/projects/{PROJECT_A}/balances", DOCUMENTED_ERRORS[name].fault())
        result = run_cli(["balance", "--json"], cli_env)
        assert result.returncode == expected.exit_code, result.stderr
        document = json.loads(result.stdout)
        failed, read = document["projects"]
        assert failed["project_id"] == PROJECT_A and failed["balances"] == []
        assert failed["error"]["kind"] == expected.kind
        assert_true_sentence(failed["error"]["message"], expected)
        assert read["error"] is None and document["totals"] == {"usd": 3.25}
        assert failed["error"]["message"].rstrip(".") in result.stderr
        assert "Traceback" not in result.stderr and OWNER_KEY not in result.stderr

    @pytest.mark.parametrize(
        "name", ["invalid_auth", "authentication_failed", "insufficient_permissions"]
    )
    def test_when_the_project_list_is_refused(
        self, name: str, cli_env: dict[str, str], deepgram: FakeDeepgram
    ) -> None:
        expected = EXPECTED[name]
        deepgram.fail("^/v1/projects$", DOCUMENTED_ERRORS[name].fault())
        result = run_cli(["balance", "--json"], cli_env)
        assert result.returncode == expected.exit_code
        assert result.stdout == ""
        line = result.stderr.strip()
        assert line.startswith("deepgram-tray: ") and "\n" not in line
        for part in expected.says:
            assert part in line
        assert not UNSOURCED.search(line)

    def test_a_member_key(self, cli_env: dict[str, str]) -> None:
        cli_env["DEEPGRAM_API_KEY"] = MEMBER_KEY
        result = run_cli(["balance", "--json"], cli_env)
        assert result.returncode == 3
        document = json.loads(result.stdout)
        assert {p["error"]["kind"] for p in document["projects"]} == {"permission"}
        for project in document["projects"]:
            assert_true_sentence(project["error"]["message"], EXPECTED["insufficient_permissions"])


@pytest.fixture
def worker_settings(
    deepgram: FakeDeepgram, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Settings:
    """The child inherits this process's environment, as it does under the tray."""
    monkeypatch.setenv("DEEPGRAM_API_KEY", OWNER_KEY)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("HOME", str(tmp_path))
    return Settings(api_url=deepgram.base_url)


class TestThroughTheFetchWorker:
    @pytest.mark.parametrize("name", sorted(EXPECTED))
    def test_a_project_whose_balances_fail(
        self, name: str, worker_settings: Settings, deepgram: FakeDeepgram
    ) -> None:
        expected = EXPECTED[name]
        deepgram.fail(f"/v1/projects/{PROJECT_A}/balances", DOCUMENTED_ERRORS[name].fault())
        failed, read = fetch_in_child_process(worker_settings, None).snapshot.projects
        error = failed.error
        assert type(error) is expected.error
        assert isinstance(error, ApiError)
        assert (error.kind, error.exit_code) == (expected.kind, expected.exit_code)
        assert_true_sentence(error.message, expected)
        assert read.error is None

    @pytest.mark.parametrize("name", ["authentication_failed", "project_unauthorized"])
    def test_when_the_project_list_is_refused(
        self, name: str, worker_settings: Settings, deepgram: FakeDeepgram
    ) -> None:
        expected = EXPECTED[name]
        deepgram.fail("^/v1/projects$", DOCUMENTED_ERRORS[name].fault())
        with pytest.raises(expected.error) as info:
            fetch_in_child_process(worker_settings, None)
        assert info.value.kind == expected.kind and info.value.exit_code == expected.exit_code
        assert_true_sentence(info.value.message, expected)


class TestKeyCheck:
    """A key that lists the projects and is then refused the balances is a working key."""

    @pytest.mark.parametrize("name", ["authentication_failed", "insufficient_permissions"])
    def test_key_set(
        self,
        name: str,
        deepgram: FakeDeepgram,
        memory_keyring: MemoryKeyring,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        deepgram.fail("/balances", DOCUMENTED_ERRORS[name].fault())
        monkeypatch.setenv("DEEPGRAM_TRAY_API_URL", deepgram.base_url)
        code, said = key_set(OWNER_KEY, monkeypatch, capsys)
        assert code == 3
        assert said.endswith(NOT_SAVED)
        assert memory_keyring.get_password("deepgram-balance-tray", "api-key") is None

    def test_the_settings_window_says_the_same(self) -> None:
        refused = PermissionDeniedError("Deepgram refused access.")
        assert describe_key_check(refused, None) == (
            False,
            "This key may not read balances: an Owner or Admin key can; create one in the "
            "Deepgram Console and paste it here.",
        )
