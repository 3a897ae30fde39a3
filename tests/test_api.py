"""The API client against a real HTTP server on 127.0.0.1 speaking Deepgram's shapes."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from decimal import Decimal

import pytest

from tests.conftest import BAD_KEY, MEMBER_KEY, OWNER_KEY, PROJECT_A, PROJECT_B
from tests.support.deepgram_server import FakeDeepgram, Fault, new_error, old_error
from trayapp import __version__
from trayapp.deepgram.client import DeepgramClient, Timeouts
from trayapp.errors import (
    ApiError,
    AuthError,
    ConfigError,
    MalformedResponseError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
)

FAST = Timeouts(connect=2.0, read=1.0, total=3.0)


@pytest.fixture
def client(deepgram: FakeDeepgram) -> Iterator[DeepgramClient]:
    with DeepgramClient(deepgram.base_url, OWNER_KEY, timeouts=FAST) as c:
        yield c


def test_snapshot_sums_every_balance_exactly(client: DeepgramClient) -> None:
    snapshot = client.fetch_snapshot()
    assert snapshot.totals == {"usd": Decimal("128.31822227")}
    by_name = {p.project.name: p for p in snapshot.projects}
    assert by_name["Voice Bot Prod"].totals == {"usd": Decimal("125.06822227")}
    assert by_name["Staging"].totals == {"usd": Decimal("3.25")}
    assert snapshot.errors == ()


def test_sends_the_key_only_as_a_token_header(
    client: DeepgramClient, deepgram: FakeDeepgram
) -> None:
    client.fetch_snapshot()
    assert deepgram.requests, "no request reached the server"
    for request in deepgram.requests:
        assert request.authorization == f"Token {OWNER_KEY}"
        assert OWNER_KEY not in request.path
        assert request.user_agent == f"deepgram-balance-tray/{__version__}"


def test_keeps_the_connection_alive(deepgram: FakeDeepgram) -> None:
    with DeepgramClient(deepgram.base_url, OWNER_KEY, max_workers=1) as client:
        client.list_projects()
        client.list_balances(PROJECT_A)
        client.list_balances(PROJECT_B)
    assert len({r.connection for r in deepgram.requests}) == 1


def test_watched_projects_only(client: DeepgramClient, deepgram: FakeDeepgram) -> None:
    snapshot = client.fetch_snapshot([PROJECT_B])
    assert [p.project.name for p in snapshot.projects] == ["Staging"]
    assert deepgram.requests_to(f"{PROJECT_A}/balances") == []


def test_unknown_watched_project_is_reported_not_requested(
    client: DeepgramClient, deepgram: FakeDeepgram
) -> None:
    snapshot = client.fetch_snapshot(["no-such-project", PROJECT_A])
    missing, found = snapshot.projects
    assert isinstance(missing.error, NotFoundError)
    assert "no-such-project" in missing.error.message
    assert found.totals == {"usd": Decimal("125.06822227")}
    assert deepgram.requests_to("no-such-project") == []


def test_balance_calls_run_concurrently_but_bounded() -> None:
    with FakeDeepgram(latency=0.15) as server:
        server.add_key(OWNER_KEY)
        for index in range(10):
            server.add_project(f"p{index}", f"P{index}", [{"amount": 1, "units": "usd"}])
        with DeepgramClient(server.base_url, OWNER_KEY, max_workers=4) as client:
            snapshot = client.fetch_snapshot()
        assert snapshot.totals == {"usd": Decimal(10)}
        assert server.max_in_flight == 4


def test_single_balance_endpoint_shape_is_served(deepgram: FakeDeepgram) -> None:
    # The fake also serves /balances/{id} (one object, no wrapper), as documented.
    import requests

    response = requests.get(
        f"{deepgram.base_url}/v1/projects/{PROJECT_A}/balances/bal-1",
        headers={"Authorization": f"Token {OWNER_KEY}"},
        timeout=5,
    )
    assert response.json()["amount"] == 104.56822227


class TestRefusals:
    def test_invalid_key(self, deepgram: FakeDeepgram) -> None:
        with DeepgramClient(deepgram.base_url, BAD_KEY) as client, pytest.raises(AuthError) as info:
            client.fetch_snapshot()
        assert "Invalid credentials." in info.value.message
        assert info.value.request_id  # from the old-shape body

    def test_member_key_lists_projects_but_not_balances(self, deepgram: FakeDeepgram) -> None:
        with DeepgramClient(deepgram.base_url, MEMBER_KEY) as client:
            snapshot = client.fetch_snapshot()
        assert len(snapshot.projects) == 2
        for project in snapshot.projects:
            assert isinstance(project.error, PermissionDeniedError)
            assert "Owner or Admin" in project.error.message
        assert snapshot.totals == {}

    def test_401_with_the_new_permission_shape(
        self, client: DeepgramClient, deepgram: FakeDeepgram
    ) -> None:
        deepgram.fail(
            "/balances", Fault(401, new_error("INSUFFICIENT_PERMISSIONS", "Missing scope."))
        )
        assert isinstance(client.fetch_snapshot().projects[0].error, PermissionDeniedError)

    def test_404_plain_text_for_a_project(
        self, client: DeepgramClient, deepgram: FakeDeepgram
    ) -> None:
        deepgram.fail(f"{PROJECT_A}/balances", Fault(404, "UUID parsing failed: bad id"))
        with pytest.raises(NotFoundError, match="UUID parsing failed"):
            client.list_balances(PROJECT_A)

    def test_404_on_projects_points_at_api_url(
        self, client: DeepgramClient, deepgram: FakeDeepgram
    ) -> None:
        deepgram.fail("^/v1/projects$", Fault(404, "Not Found"))
        with pytest.raises(NotFoundError, match="api_url"):
            client.list_projects()


class TestTransientFailures:
    def test_429_with_retry_after(self, client: DeepgramClient, deepgram: FakeDeepgram) -> None:
        deepgram.fail(
            "^/v1/projects$",
            Fault(429, old_error("TOO_MANY_REQUESTS", "Slow down."), {"Retry-After": "42"}),
        )
        with pytest.raises(RateLimitedError) as info:
            client.list_projects()
        assert info.value.retry_after == 42.0

    def test_429_without_retry_after(self, client: DeepgramClient, deepgram: FakeDeepgram) -> None:
        deepgram.fail("^/v1/projects$", Fault(429, new_error("TOO_MANY_REQUESTS", "Slow down.")))
        with pytest.raises(RateLimitedError) as info:
            client.list_projects()
        assert info.value.retry_after is None

    @pytest.mark.parametrize("status", [500, 502, 503])
    def test_server_errors(
        self, client: DeepgramClient, deepgram: FakeDeepgram, status: int
    ) -> None:
        deepgram.fail("^/v1/projects$", Fault(status, "<html><h1>Bad Gateway</h1></html>"))
        with pytest.raises(ServerError, match=f"HTTP {status}") as info:
            client.list_projects()
        assert info.value.request_id  # from the dg-request-id header

    def test_one_failing_project_does_not_hide_the_others(
        self, client: DeepgramClient, deepgram: FakeDeepgram
    ) -> None:
        deepgram.fail(f"{PROJECT_B}/balances", Fault(503))
        snapshot = client.fetch_snapshot()
        assert snapshot.totals == {"usd": Decimal("125.06822227")}
        assert [type(e) for e in snapshot.errors] == [ServerError]

    def test_recovers_once_the_server_is_healthy(
        self, client: DeepgramClient, deepgram: FakeDeepgram
    ) -> None:
        deepgram.fail("^/v1/projects$", Fault(502, times=1))
        with pytest.raises(ServerError):
            client.list_projects()
        assert len(client.list_projects()) == 2

    def test_hang_times_out(self, client: DeepgramClient, deepgram: FakeDeepgram) -> None:
        deepgram.fail("^/v1/projects$", Fault(action="hang"))
        with pytest.raises(NetworkError, match="did not answer in time"):
            client.list_projects()

    def test_slow_trickle_hits_the_total_deadline(self, deepgram: FakeDeepgram) -> None:
        body = '{"projects": [' + " " * 200 + "]}"
        deepgram.fail("^/v1/projects$", Fault(200, body, action="trickle", trickle_delay=0.05))
        timeouts = Timeouts(connect=2.0, read=1.0, total=1.0)
        with (
            DeepgramClient(deepgram.base_url, OWNER_KEY, timeouts=timeouts) as client,
            pytest.raises(NetworkError, match="did not answer in time"),
        ):
            client.list_projects()

    def test_connection_closed_without_an_answer(
        self, client: DeepgramClient, deepgram: FakeDeepgram
    ) -> None:
        deepgram.fail("^/v1/projects$", Fault(action="close"))
        with pytest.raises(NetworkError, match=r"closed the connection|reset"):
            client.list_projects()

    def test_connection_refused(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with (
            DeepgramClient(f"http://127.0.0.1:{port}", OWNER_KEY) as client,
            pytest.raises(NetworkError, match="refused"),
        ):
            client.list_projects()


class TestMalformed:
    def test_html_from_a_captive_portal(
        self, client: DeepgramClient, deepgram: FakeDeepgram
    ) -> None:
        deepgram.fail("^/v1/projects$", Fault(200, "<html><body>Log in to Wi-Fi</body></html>"))
        with pytest.raises(MalformedResponseError, match="HTML page"):
            client.list_projects()

    def test_an_answer_that_is_not_json_keeps_its_request_id(
        self, client: DeepgramClient, deepgram: FakeDeepgram
    ) -> None:
        deepgram.fail("^/v1/projects$", Fault(200, "<html>"))
        with pytest.raises(MalformedResponseError) as info:
            client.list_projects()
        assert info.value.request_id  # the test server sends one with every answer
        assert f"(request id {info.value.request_id})." in info.value.user_message()

    def test_truncated_json(self, client: DeepgramClient, deepgram: FakeDeepgram) -> None:
        deepgram.fail("/balances", Fault(200, '{"balances": [{"amount": 1', action="truncate"))
        errors = client.fetch_snapshot().errors
        assert errors and all(isinstance(e, (NetworkError, MalformedResponseError)) for e in errors)

    def test_json_cut_short_without_a_length(
        self, client: DeepgramClient, deepgram: FakeDeepgram
    ) -> None:
        deepgram.fail("/balances", Fault(200, '{"balances": [{"amount": 1'))
        errors = client.fetch_snapshot().errors
        assert [type(e) for e in errors] == [MalformedResponseError] * 2

    def test_wrong_types(self, client: DeepgramClient, deepgram: FakeDeepgram) -> None:
        deepgram.fail("^/v1/projects$", Fault(200, {"projects": "all of them"}))
        with pytest.raises(MalformedResponseError, match="not a list"):
            client.list_projects()

    def test_huge_body_is_cut_off(self, client: DeepgramClient, deepgram: FakeDeepgram) -> None:
        deepgram.fail("^/v1/projects$", Fault(action="huge", huge_bytes=50_000_000))
        with pytest.raises(MalformedResponseError, match="larger than"):
            client.list_projects()

    def test_redirect_is_not_followed_and_the_key_stays_home(
        self, client: DeepgramClient, deepgram: FakeDeepgram
    ) -> None:
        with FakeDeepgram() as elsewhere:
            deepgram.fail(
                "^/v1/projects$",
                Fault(302, action="redirect", redirect_to=f"{elsewhere.base_url}/v1/projects"),
            )
            with pytest.raises(NetworkError, match="redirect"):
                client.list_projects()
            assert elsewhere.requests == []


class TestBaseUrl:
    @pytest.mark.parametrize(
        "url",
        [
            "http://api.deepgram.com",
            "http://10.0.0.5:8080",
            "ftp://api.deepgram.com",
            "api.deepgram.com",
        ],
    )
    def test_refuses_insecure_or_odd_urls(self, url: str) -> None:
        with pytest.raises(ConfigError):
            DeepgramClient(url, OWNER_KEY)

    @pytest.mark.parametrize(
        "url",
        [
            "https://api.deepgram.com/",
            "http://127.0.0.1:8080",
            "http://localhost",
            "http://[::1]:9",
        ],
    )
    def test_accepts_https_and_loopback_http(self, url: str) -> None:
        with DeepgramClient(url, OWNER_KEY) as client:
            assert not client.base_url.endswith("/")


def test_every_api_error_has_a_kind_and_a_sentence(
    client: DeepgramClient, deepgram: FakeDeepgram
) -> None:
    deepgram.fail("/balances", Fault(500))
    for error in client.fetch_snapshot().errors:
        assert isinstance(error, ApiError)
        assert error.kind in {"auth", "permission", "network", "rate_limit", "server", "malformed"}
        assert error.message.endswith(".")
