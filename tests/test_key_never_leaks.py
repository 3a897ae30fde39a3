"""The API key never appears in output, logs, files or exception text: at most its last 4 chars."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MEMBER_KEY, OWNER_KEY, PROJECT_B, plant_at_startup, run_cli
from tests.support.deepgram_server import FakeDeepgram, Fault
from trayapp.deepgram.client import DeepgramClient, Timeouts
from trayapp.errors import ApiError

# Each scenario: a server fault to set up (or None), then the command.
SCENARIOS: list[tuple[str, Fault | None, list[str]]] = [
    ("^/v1/projects$", None, ["--verbose", "balance"]),
    ("^/v1/projects$", None, ["--verbose", "balance", "--json"]),
    ("^/v1/projects$", None, ["--verbose", "balance", "--format", "prometheus"]),
    ("^/v1/projects$", Fault(500, "Token {key} was bad"), ["--verbose", "balance"]),
    ("^/v1/projects$", Fault(401, '{"err_msg": "key {key} invalid"}'), ["-v", "balance"]),
    ("/balances", Fault(403, '{"message": "no scope for {key}"}'), ["-v", "balance", "--json"]),
    ("^/v1/projects$", Fault(429, headers={"Retry-After": "3"}), ["-v", "balance"]),
    ("^/v1/projects$", Fault(200, "<html>{key}</html>"), ["-v", "balance"]),
    ("^/v1/projects$", Fault(action="close"), ["-v", "balance"]),
    ("^/v1/projects$", Fault(302, action="redirect"), ["-v", "balance"]),
    ("^/v1/projects$", None, ["-v", "balance", "--project", "missing"]),
    ("^/v1/projects$", None, ["-v", "key", "status"]),
    ("^/v1/projects$", None, ["-v", "key", "delete"]),
    ("^/v1/projects$", None, ["-v", "key", "set"]),
    ("^/v1/projects$", None, ["-v", "config", "show"]),
    ("^/v1/projects$", None, ["-v", "config", "set", "projects", PROJECT_B]),
    ("^/v1/projects$", None, ["-v", "run"]),
]


@pytest.mark.parametrize(("path", "fault", "args"), SCENARIOS, ids=lambda v: str(v)[:40])
def test_no_command_prints_or_writes_the_key(
    cli_env: dict[str, str],
    deepgram: FakeDeepgram,
    tmp_path: Path,
    path: str,
    fault: Fault | None,
    args: list[str],
) -> None:
    if fault is not None:
        if isinstance(fault.body, str):
            # A misbehaving server echoing the key back must not get it printed either.
            fault.body = fault.body.replace("{key}", OWNER_KEY)
        deepgram.fail(path, fault)
    result = run_cli(args, cli_env, stdin=OWNER_KEY)
    assert "Traceback" not in result.stderr
    for text in (result.stdout, result.stderr):
        assert OWNER_KEY not in text
    for file in tmp_path.rglob("*"):
        if file.is_file():
            assert OWNER_KEY.encode() not in file.read_bytes(), file


def test_verbose_logs_are_scrubbed_even_when_a_library_logs_the_key(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    plant_at_startup(
        cli_env,
        tmp_path / "plant",
        "import logging, trayapp.deepgram.client\n"
        "original = trayapp.deepgram.client.DeepgramClient.list_projects\n"
        "def chatty(self):\n"
        "    import os\n"
        "    key = os.environ['DEEPGRAM_API_KEY']\n"
        "    logging.getLogger('some.library').debug('header Token %s', key)\n"
        "    return original(self)\n"
        "trayapp.deepgram.client.DeepgramClient.list_projects = chatty\n",
    )
    result = run_cli(["--verbose", "balance"], cli_env)
    assert result.returncode == 0
    assert "header Token <key …" in result.stderr
    assert OWNER_KEY not in result.stderr


@pytest.mark.parametrize(
    "fault",
    [
        Fault(500),
        Fault(401),
        Fault(403),
        Fault(404),
        Fault(429),
        Fault(200, "<html>"),
        Fault(action="close"),
        Fault(302, action="redirect"),
    ],
    ids=lambda f: f"{f.action}-{f.status}",
)
def test_exceptions_never_carry_the_key(deepgram: FakeDeepgram, fault: Fault) -> None:
    deepgram.fail("/v1/projects", fault)
    with (
        DeepgramClient(deepgram.base_url, OWNER_KEY, timeouts=Timeouts(1, 1, 2)) as client,
        pytest.raises(ApiError) as info,
    ):
        client.list_projects()
    error = info.value
    texts = [str(error), repr(error), error.user_message()]
    cause = error.__cause__
    while cause is not None:
        texts += [str(cause), repr(cause)]
        cause = cause.__cause__
    for text in texts:
        assert OWNER_KEY not in text


def test_client_and_key_reprs_hide_the_key(deepgram: FakeDeepgram) -> None:
    with DeepgramClient(deepgram.base_url, MEMBER_KEY) as client:
        assert MEMBER_KEY not in repr(client._session.auth)
        assert MEMBER_KEY not in repr(vars(client))


@pytest.mark.parametrize("status", [401, 403, 404, 418, 429, 500])
@pytest.mark.parametrize("path", ["^/v1/projects$", "/balances"])
def test_an_error_quoting_the_key_is_built_without_it(
    deepgram: FakeDeepgram, status: int, path: str
) -> None:
    """Redacted before the error is built: message, str(), args and the sentence all agree."""
    deepgram.fail(
        path,
        Fault(
            status,
            f'{{"err_msg": "bad key {OWNER_KEY}", "request_id": "id {OWNER_KEY}"}}',
            headers={"dg-request-id": OWNER_KEY},
        ),
    )
    with (
        DeepgramClient(deepgram.base_url, OWNER_KEY, timeouts=Timeouts(1, 1, 2)) as client,
        pytest.raises(ApiError) as info,
    ):
        if path == "/balances":
            client.list_balances(PROJECT_B)
        else:
            client.list_projects()
    error = info.value
    assert str(error) == error.message
    assert f"bad key <key …{OWNER_KEY[-4:]}>" in error.message  # still quoted, only scrubbed
    for text in (str(error), error.message, error.user_message(), repr(error.args)):
        assert OWNER_KEY not in text
    assert error.request_id is not None and OWNER_KEY not in error.request_id


def test_a_request_id_header_quoting_the_key_is_scrubbed(deepgram: FakeDeepgram) -> None:
    deepgram.fail("^/v1/projects$", Fault(200, "<html>", headers={"dg-request-id": OWNER_KEY}))
    with (
        DeepgramClient(deepgram.base_url, OWNER_KEY, timeouts=Timeouts(1, 1, 2)) as client,
        pytest.raises(ApiError) as info,
    ):
        client.list_projects()
    assert info.value.request_id is not None
    assert OWNER_KEY not in info.value.user_message()
