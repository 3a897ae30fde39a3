"""The tray's fetch worker: the JSON it speaks, and the real child process vs the test server."""

from __future__ import annotations

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
    TODAY,
    plant_at_startup,
)
from tests.support.deepgram_server import FakeDeepgram, Fault, new_error
from tests.support.tray_states import snapshot
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
)
from trayapp.outlook.forecast import Expiry, ForecastInputs, SpendRate
from trayapp.tray.fetch_process import (
    fetch_forecast_inputs_in_child_process,
    fetch_in_child_process,
    worker_command,
)
from trayapp.tray.worker_protocol import (
    FetchRequest,
    ForecastInputsRequest,
    WorkerProtocolError,
    decode_answer,
    decode_forecast_inputs,
    decode_request,
    encode_failure,
    encode_forecast_inputs,
    encode_forecast_inputs_request,
    encode_request,
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
        "data", [b"", b"not json", b"[1, 2]", b'{"ok": true}', b'{"ok": true, "projects": 5}']
    )
    def test_garbage_is_a_protocol_error(self, data: bytes) -> None:
        with pytest.raises(WorkerProtocolError):
            decode_answer(data)


@pytest.fixture
def worker_env(deepgram: FakeDeepgram, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """The child inherits this process's environment, as it does under the tray."""
    monkeypatch.setenv("DEEPGRAM_API_KEY", OWNER_KEY)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("HOME", str(tmp_path))
    return Settings(api_url=deepgram.base_url)


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
        with pytest.raises(WorkerProtocolError):
            decode_forecast_inputs(b'{"ok": true, "billing": {"per_day": "x"}}')

    def test_deepgrams_rate_and_nearest_expiry(
        self, worker_env: Settings, billed: FakeDeepgram
    ) -> None:
        reading = fetch_forecast_inputs_in_child_process(worker_env, [PROJECT_A, PROJECT_B])
        assert reading.billing is not None
        assert reading.billing.per_day == Decimal("4.25") and reading.billing.today == 1
        assert reading.expiry == Expiry(TODAY + timedelta(days=20), Decimal(25), "usd", PROJECT_B)
        assert len(billed.requests_to("/billing/breakdown")) == 2
        assert len(billed.requests_to("/purchases$")) == 2

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
