"""The tray's fetch worker: the JSON it speaks, and the real child process vs the test server."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import (
    BAD_KEY,
    MEMBER_KEY,
    OWNER_KEY,
    PROJECT_A,
    PROJECT_B,
    plant_at_startup,
    today,
)
from tests.support.deepgram_server import FakeDeepgram, Fault, new_error
from tests.support.tray_states import FETCHED_AT, snapshot
from tests.support.two_accounts import CLIENT_A_KEY
from tests.test_import_rules import imports_of
from trayapp.config import Settings
from trayapp.deepgram.models import Project, Timeouts
from trayapp.errors import (
    AuthError,
    ConfigError,
    DeepgramTrayError,
    KeyringUnavailableError,
    MalformedResponseError,
    MissingKeyError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    WorkerProtocolError,
)
from trayapp.outlook.forecast import Expiry, ForecastInputs, SpendRate
from trayapp.tray import worker_protocol
from trayapp.tray.fetch_process import (
    WORKER_START_SECONDS,
    fetch_accounts_in_child_process,
    fetch_forecast_inputs_in_child_process,
    fetch_forecast_inputs_of_accounts_in_child_process,
    fetch_in_child_process,
    worker_command,
    worker_deadline,
)
from trayapp.tray.poller import AccountRead, FetchResult, ForecastRead
from trayapp.tray.worker_protocol import (
    PROTOCOL,
    FetchRequest,
    ForecastInputsRequest,
    decode_answer,
    decode_balances,
    decode_forecast_inputs,
    decode_request,
    decode_requests,
    encode_balances,
    encode_failure,
    encode_forecast_inputs,
    encode_forecast_inputs_request,
    encode_request,
    encode_requests,
    encode_success,
)


class TestProtocol:
    def test_request_round_trip(self) -> None:
        known = [Project("p1", "One"), Project("p2", 'Two "quoted"')]
        request = FetchRequest("https://api.deepgram.com", ("p1",), known, Timeouts(1, 2, 3))
        assert decode_request(encode_request(request)) == request
        bare = decode_request(encode_request(FetchRequest("http://127.0.0.1:1", (), None)))
        assert isinstance(bare, FetchRequest)
        assert bare.known is None and bare.timeouts == Timeouts()

    def test_success_keeps_every_digit_and_each_projects_error(self) -> None:
        original = snapshot(
            "104.568222271234567890123",
            "3.25",
            errors={1: RateLimitedError("Slow down.", retry_after=42, request_id="r-1")},
        )
        decoded, projects = decode_answer(encode_success(original, [Project("p0", "Project 0")]))
        assert projects == [Project("p0", "Project 0")]
        assert decoded.fetched_at == original.fetched_at
        assert decoded.projects[0] == original.projects[0]
        assert decoded.totals == {"usd": Decimal("104.568222271234567890123")}
        error = decoded.projects[1].error
        assert isinstance(error, RateLimitedError)
        assert (error.message, error.retry_after, error.request_id) == ("Slow down.", 42.0, "r-1")

    @pytest.mark.parametrize(
        "error",
        [
            AuthError("refused", status=401, request_id="r"),
            PermissionDeniedError("member", status=403),
            NotFoundError("gone", status=404),
            RateLimitedError("slow", status=429, retry_after=7.5),
            RateLimitedError("slow, no header", status=429),
            ServerError("503", status=503),
            NetworkError("offline"),
            MalformedResponseError("html"),
            MissingKeyError("no key"),
            KeyringUnavailableError("locked"),
            ConfigError("bad config"),
            DeepgramTrayError("bug"),
        ],
        ids=lambda e: type(e).__name__,
    )
    def test_failures_come_back_as_the_same_error(self, error: DeepgramTrayError) -> None:
        with pytest.raises(type(error)) as info:
            decode_answer(encode_failure(error))
        back = info.value
        assert type(back) is type(error) and back.message == error.message
        for attribute in ("status", "request_id", "retry_after"):
            assert getattr(back, attribute, None) == getattr(error, attribute, None)

    @pytest.mark.parametrize(
        "data",
        [
            b"",
            b"not json",
            b"\xff\xfe",
            b"[1, 2]",
            b'{"protocol": 2, "read": "balances", "ok": true}',
            b'{"protocol": 2, "read": "balances", "ok": true, "accounts": []}',
            b'{"protocol": 2, "read": "balances", "ok": true, "accounts": [{"account": "default", '
            b'"ok": true, "projects": 5, "snapshot": {}}]}',
            b'{"protocol": 2, "read": "balances", "ok": true, "accounts": [{"account": "default", '
            b'"ok": "yes"}]}',
            b'{"protocol": 2, "read": "balances", "ok": true, "accounts": [5]}',
            b'{"protocol": 2, "read": "forecast_inputs", "ok": true, "accounts": []}',
            b'{"protocol": 2, "read": "balances", "ok": "yes"}',
        ],
    )
    def test_garbage_is_a_protocol_error(self, data: bytes) -> None:
        with pytest.raises(WorkerProtocolError, match="unreadable: please report this bug"):
            decode_answer(data)

    def test_the_answer_has_its_own_shape_with_exact_amounts(self) -> None:
        """The protocol's own format, not the CLI's JSON: `balance --json` may change alone."""
        shot = snapshot(
            "104.568222271234567890123", "0", "1E+2", errors={1: NotFoundError("Gone.")}
        )
        document = json.loads(encode_success(shot, [Project("p0", "Project 0")]))
        (part,) = document.pop("accounts")
        assert document == {"protocol": PROTOCOL, "read": "balances", "ok": True}
        assert part == {
            "account": "default",
            "ok": True,
            "snapshot": {
                "fetched_at": FETCHED_AT.isoformat(),
                "projects": [
                    {
                        "project": {"project_id": "p0", "name": "Project 0"},
                        "balances": [
                            {
                                "balance_id": "b0",
                                "amount": "104.568222271234567890123",
                                "units": "usd",
                                "purchase_order_id": None,
                            }
                        ],
                        "error": None,
                    },
                    {
                        "project": {"project_id": "p1", "name": "Project 1"},
                        "balances": [],
                        "error": {
                            "kind": "not_found",
                            "message": "Gone.",
                            "status": None,
                            "request_id": None,
                        },
                    },
                    {
                        "project": {"project_id": "p2", "name": "Project 2"},
                        "balances": [
                            {
                                "balance_id": "b2",
                                "amount": "1E+2",
                                "units": "usd",
                                "purchase_order_id": None,
                            }
                        ],
                        "error": None,
                    },
                ],
            },
            "projects": [{"project_id": "p0", "name": "Project 0"}],
        }
        decoded, _ = decode_answer(encode_success(shot, []))
        assert (decoded.projects[0], decoded.projects[2]) == (shot.projects[0], shot.projects[2])
        assert str(decoded.projects[2].balances[0].amount) == "1E+2"
        error = decoded.projects[1].error
        assert isinstance(error, NotFoundError) and error.message == "Gone."

    def test_the_protocol_does_not_borrow_the_clis_output(self) -> None:
        assert "trayapp.formats" not in imports_of(Path(worker_protocol.__file__))

    def test_every_message_carries_the_version(self) -> None:
        reading = ForecastInputs(None, None)
        for message in (
            encode_request(FetchRequest("https://api.deepgram.com", (), None)),
            encode_forecast_inputs_request(ForecastInputsRequest("https://api.deepgram.com", ())),
            encode_success(snapshot("1"), []),
            encode_forecast_inputs(reading),
            encode_failure(NetworkError("Offline.")),
        ):
            assert json.loads(message)["protocol"] == PROTOCOL

    @pytest.mark.parametrize("version", ["1", "3", "0", '"2"', "true", None], ids=str)
    @pytest.mark.parametrize(
        "decode", [decode_request, decode_answer, decode_forecast_inputs], ids=lambda f: f.__name__
    )
    def test_another_version_says_to_restart(
        self, decode: Callable[[bytes], object], version: str | None
    ) -> None:
        """After an upgrade the running tray may meet a newer worker: it says what to do."""
        failure = json.loads(encode_failure(AuthError("Refused.")))
        if version is None:
            del failure["protocol"]  # from before the envelope had a version
        else:
            failure["protocol"] = json.loads(version)
        with pytest.raises(WorkerProtocolError, match="quit the tray and start it again"):
            decode(json.dumps(failure).encode())

    @pytest.mark.parametrize(
        "data",
        [
            b"garbage",
            b'{"protocol": 2}',
            b'{"protocol": 2, "read": "everything", "accounts": []}',
            b'{"protocol": 2, "read": "balances", "accounts": []}',
            b'{"protocol": 2, "read": "balances", "accounts": {}}',
            b'{"protocol": 2, "read": "balances", "accounts": [{"account": "default", '
            b'"api_url": 5, "watched": [], "known_projects": null, "timeouts": [1, 2, 3]}]}',
            b'{"protocol": 2, "read": "balances", "accounts": [{"api_url": "x", "watched": [], '
            b'"known_projects": null, "timeouts": [1, 2, 3]}]}',
            b'{"protocol": 2, "read": "forecast_inputs", "accounts": [{"account": "default", '
            b'"api_url": "x", "project_ids": [], "timeouts": "fast"}]}',
        ],
    )
    def test_a_garbled_request_is_a_protocol_error(self, data: bytes) -> None:
        with pytest.raises(WorkerProtocolError, match="asked something unreadable"):
            decode_request(data)


class TestChildProcess:
    def test_fetches_exactly_like_the_cli(self, worker_env: Settings) -> None:
        result = fetch_in_child_process(worker_env, None)
        assert result.snapshot.totals == {"usd": Decimal("128.31822227")}
        assert [p.name for p in result.projects] == ["Voice Bot Prod", "Staging"]

    def test_known_projects_skip_the_listing(
        self, worker_env: Settings, deepgram: FakeDeepgram
    ) -> None:
        known = [Project(PROJECT_B, "Staging")]
        result = fetch_in_child_process(worker_env, known)
        assert result.snapshot.totals == {"usd": Decimal("3.25")}
        assert deepgram.requests_to("^/v1/projects$") == []

    def test_watched_projects_are_honoured(self, worker_env: Settings) -> None:
        settings = worker_env._replace(projects=(PROJECT_B,))
        assert [
            p.project.name for p in fetch_in_child_process(settings, None).snapshot.projects
        ] == ["Staging"]

    @pytest.mark.parametrize(
        ("key", "error"), [(BAD_KEY, AuthError), (MEMBER_KEY, None)], ids=["bad", "member"]
    )
    def test_key_problems_arrive_typed(
        self,
        worker_env: Settings,
        monkeypatch: pytest.MonkeyPatch,
        key: str,
        error: type[Exception] | None,
    ) -> None:
        monkeypatch.setenv("DEEPGRAM_API_KEY", key)
        if error is not None:
            with pytest.raises(error):
                fetch_in_child_process(worker_env, None)
            return
        result = fetch_in_child_process(worker_env, None)
        assert all(isinstance(e, PermissionDeniedError) for e in result.snapshot.errors)

    def test_no_key_is_reported_as_such(
        self, worker_env: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("DEEPGRAM_API_KEY")
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
        with pytest.raises(MissingKeyError):
            fetch_in_child_process(worker_env, None)

    def test_rate_limit_keeps_retry_after(
        self, worker_env: Settings, deepgram: FakeDeepgram
    ) -> None:
        deepgram.fail("^/v1/projects$", Fault(429, headers={"Retry-After": "90"}))
        with pytest.raises(RateLimitedError) as info:
            fetch_in_child_process(worker_env, None)
        assert info.value.retry_after == 90.0

    def test_a_crashing_worker_is_reported_and_logged_without_the_key(
        self,
        worker_env: Settings,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        env = {"PYTHONPATH": ""}
        plant_at_startup(
            env,
            tmp_path / "plant",
            "import os, trayapp.deepgram.client\n"
            "def broken(*args, **kwargs):\n"
            "    raise RuntimeError('planted crash near ' + os.environ['DEEPGRAM_API_KEY'])\n"
            "trayapp.deepgram.client.DeepgramClient.list_projects = broken\n",
        )
        monkeypatch.setenv("PYTHONPATH", env["PYTHONPATH"])
        with pytest.raises(WorkerProtocolError, match="failed unexpectedly"):
            fetch_in_child_process(worker_env, None)
        assert "RuntimeError" in caplog.text
        assert OWNER_KEY not in caplog.text

    @pytest.mark.parametrize(
        ("request_bytes", "says"),
        [
            (b'{"protocol": 99, "read": "balances"}', "quit the tray and start it again"),
            (b"not a request", "asked something unreadable"),
        ],
    )
    def test_the_worker_answers_a_request_it_cannot_read(
        self, worker_env: Settings, request_bytes: bytes, says: str
    ) -> None:
        completed = subprocess.run(
            worker_command(), input=request_bytes, capture_output=True, timeout=60, check=False
        )
        assert completed.returncode == 0, completed.stderr
        with pytest.raises(WorkerProtocolError, match=says):
            decode_answer(completed.stdout)

    def test_worker_command_in_a_bundle(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import sys

        monkeypatch.setattr(sys, "frozen", True, raising=False)
        assert worker_command() == [sys.executable, "_fetch"]


class TestOutlook:
    """The hourly read of spend and expiry: its JSON, and the real child process."""

    def test_round_trip_keeps_every_digit(self) -> None:
        request = ForecastInputsRequest("https://api.deepgram.com", ("p1", "p2"), Timeouts(1, 2, 3))
        assert decode_request(encode_forecast_inputs_request(request)) == request
        reading = ForecastInputs(
            SpendRate("billing", Decimal("4.2500000001"), Decimal("0.1")),
            Expiry(date(2027, 1, 9), Decimal("150.123456789"), "usd", "p1"),
        )
        assert decode_forecast_inputs(encode_forecast_inputs(reading)) == reading
        unreadable = ForecastInputs(None, None, expiry_read=False)
        assert decode_forecast_inputs(encode_forecast_inputs(unreadable)) == unreadable

    def test_errors_and_garbage_arrive_as_errors(self) -> None:
        with pytest.raises(ServerError):
            decode_forecast_inputs(encode_failure(ServerError("busy.")))
        with pytest.raises(WorkerProtocolError, match="spend check returned something unread"):
            decode_forecast_inputs(
                b'{"protocol": 2, "read": "forecast_inputs", "ok": true, "accounts": [{"account": '
                b'"default", "ok": true, "billing": {"per_day": "x", "today": null}, "expiry": '
                b'null, "expiry_read": true}]}'
            )
        with pytest.raises(WorkerProtocolError, match="spend check returned something unread"):
            decode_forecast_inputs(encode_success(snapshot("1"), []))

    def test_deepgrams_rate_and_nearest_expiry(
        self, worker_env: Settings, billed: FakeDeepgram
    ) -> None:
        reading = fetch_forecast_inputs_in_child_process(worker_env, [PROJECT_A, PROJECT_B])
        assert reading.billing is not None
        assert reading.billing.per_day == Decimal("4.25") and reading.billing.today == 1
        assert reading.expiry == Expiry(
            today() + timedelta(days=20), Decimal(25), "usd", PROJECT_B, order_id="o4"
        )
        assert len(billed.requests_to("/billing/breakdown")) == 2
        assert len(billed.requests_to(r"/purchases\?limit=1000$")) == 2

    def test_a_member_key_reads_neither(
        self, worker_env: Settings, billed: FakeDeepgram, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DEEPGRAM_API_KEY", MEMBER_KEY)
        reading = fetch_forecast_inputs_in_child_process(worker_env, [PROJECT_A, PROJECT_B])
        assert reading == ForecastInputs(None, None, expiry_read=False)

    def test_a_server_failure_is_raised_so_the_tray_keeps_what_it_knew(
        self, worker_env: Settings, billed: FakeDeepgram
    ) -> None:
        billed.fail("/billing/breakdown", Fault(status=503, body=new_error("BUSY", "Try later.")))
        with pytest.raises(ServerError):
            fetch_forecast_inputs_in_child_process(worker_env, [PROJECT_A])


class TestAccounts:
    """A poll reads every account in one worker run: a part each, one account's failure its own."""

    def test_requests_name_their_accounts(self) -> None:
        parts = [
            FetchRequest("https://api.deepgram.com", (), None),
            FetchRequest("https://api.deepgram.com", ("p9",), [Project("p9", "N")], account="c-a"),
        ]
        assert decode_requests(encode_requests(parts)) == parts
        forecasts = [ForecastInputsRequest("u", ("p1",), account="c-a")]
        assert decode_requests(encode_requests(forecasts)) == forecasts

    def test_each_account_gets_its_own_answer(self) -> None:
        shot = snapshot("12.5")
        refused = AuthError("Refused.", status=401, request_id="r-9")
        back = decode_balances(
            encode_balances([("default", (shot, [Project("p0", "Project 0")])), ("c-a", refused)])
        )
        assert [name for name, _ in back] == ["default", "c-a"]
        assert back[0][1] == (shot, [Project("p0", "Project 0")])
        error = back[1][1]
        assert isinstance(error, AuthError) and error.request_id == "r-9"

    def test_a_one_account_answer_of_two_parts_is_refused(self) -> None:
        two = encode_balances([("default", (snapshot("1"), [])), ("c-a", (snapshot("2"), []))])
        with pytest.raises(WorkerProtocolError, match="unreadable"):
            decode_answer(two)

    def test_one_run_reads_both_accounts_and_a_bad_key_fails_only_its_own(
        self, deepgram: FakeDeepgram, worker_env: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        deepgram.add_key(CLIENT_A_KEY, account="client-a")
        deepgram.add_project(
            "p-client-a",
            "Client A Prod",
            [{"balance_id": "b-c", "amount": 40, "units": "usd", "purchase_order_id": None}],
            account="client-a",
        )
        deepgram.project_accounts.update({PROJECT_A: "acme", PROJECT_B: "acme"})
        deepgram.add_key(OWNER_KEY, account="acme")
        monkeypatch.setenv("DEEPGRAM_API_KEY_CLIENT_A", CLIENT_A_KEY)
        monkeypatch.setenv("DEEPGRAM_API_KEY_CLIENT_B", BAD_KEY)
        reads = [
            AccountRead(name, worker_env, None) for name in ("default", "client-a", "client-b")
        ]
        answers = fetch_accounts_in_child_process(reads)

        default, client_a, client_b = answers
        assert isinstance(default, FetchResult) and isinstance(client_a, FetchResult)
        assert default.snapshot.totals == {"usd": Decimal("128.31822227")}
        assert client_a.snapshot.totals == {"usd": Decimal("40")}
        assert [p.name for p in client_a.projects] == ["Client A Prod"]
        assert isinstance(client_b, AuthError)
        assert "`deepgram-tray key set --account client-b`" in client_b.message
        # The forecast's inputs of both, in one run too.
        inputs = fetch_forecast_inputs_of_accounts_in_child_process(
            [
                ForecastRead("default", worker_env, [PROJECT_A]),
                ForecastRead("client-b", worker_env, ["p-x"]),
            ]
        )
        # A key that cannot read spend or purchases leaves the forecast to the history.
        assert isinstance(inputs[0], ForecastInputs) and inputs[0].expiry_read
        assert isinstance(inputs[1], ForecastInputs) and not inputs[1].expiry_read

    def test_an_account_without_a_key_says_so_and_names_the_variable(
        self, worker_env: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.memory_keyring.MemoryKeyring")
        (answer,) = fetch_accounts_in_child_process([AccountRead("client-z", worker_env, None)])
        assert isinstance(answer, MissingKeyError)
        assert "client-z" in answer.message

    def test_accounts_are_read_side_by_side(
        self, worker_env: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Three accounts of one project: each account's calls come one after the other, so
        more than one call at once on the server means accounts were read together."""
        server = FakeDeepgram(latency=0.3)
        names = ["default", "client-a", "client-b"]
        for number, name in enumerate(names):
            key = f"{number:04d}" * 10
            server.add_key(key, account=name)
            server.add_project(f"p-{name}", name, [{"amount": 5, "units": "usd"}], account=name)
            monkeypatch.setenv(
                f"DEEPGRAM_API_KEY{'' if number == 0 else '_' + name.upper().replace('-', '_')}",
                key,
            )
        with server:
            settings = worker_env._replace(api_url=server.base_url)
            answers = fetch_accounts_in_child_process(
                [AccountRead(name, settings, None) for name in names]
            )
        assert all(isinstance(a, FetchResult) for a in answers), answers
        assert server.max_in_flight >= 2

    def test_the_workers_deadline_grows_with_each_round_of_accounts(self) -> None:
        quick = Timeouts(connect=1.0, read=1.0, total=2.0, refresh=30.0)
        one, four, five = (worker_deadline(quick, n) for n in (1, 4, 5))
        assert one == four == 30.0 + WORKER_START_SECONDS  # four read side by side
        assert five == 2 * 30.0 + WORKER_START_SECONDS
