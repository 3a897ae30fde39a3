"""A hostile or broken server never leaks the key, crashes the CLI, hangs it or double-counts.

Each class of attack gets its examples here, against the real CLI (in-process, so many cases stay
quick; the subprocess path is the same code) and the tray's fetch worker, served by a raw-socket
server that sends exactly the bytes a case scripts. Property-based cases then generate bodies,
headers and timings. Every case checks the same things: the exit code the contract gives, one
sentence per line on stderr, no run of RUN_LENGTH characters of the key in any case anywhere
(stdout, stderr, the --output file, the logs), a bounded wall time, and each balance counted once.
"""

from __future__ import annotations

import gc
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import OWNER_KEY, REPO_ROOT
from tests.support.hostile_server import HostileServer, Reply, Request, json_reply
from trayapp import cli
from trayapp.deepgram.client import DeepgramClient
from trayapp.deepgram.models import Timeouts
from trayapp.redaction import RUN_LENGTH

KEY = OWNER_KEY
FAST = Timeouts(connect=1.0, read=1.0, total=2.0, refresh=3.0)
"""Short limits, so a case that would hang shows it in seconds."""
HANG_BOUND = 10.0
"""Wall time no case may reach: what a fixed hang takes is a few seconds, an unfixed one minutes."""

ESCAPES = "\x1b[31mRED\x1b[0m\x07\r\n\x9b2J\u202eevil\x00\u2028end"
"""Terminal escapes, a bell, line breaks, an 8-bit CSI, a direction override, a NUL and Unicode's
line separator."""
UNSAFE_ON_SCREEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""What no output may carry (tab and newline are the formats' own)."""


# --- the server's side ---------------------------------------------------------------------------


def project(project_id: str, name: str = "") -> dict[str, Any]:
    return {"project_id": project_id, "name": name or project_id}


def balance(balance_id: str, amount: Any, units: str = "usd") -> dict[str, Any]:
    return {"balance_id": balance_id, "amount": amount, "units": units}


def deepgramish(
    projects: list[dict[str, Any]],
    balances: dict[str, Reply | list[dict[str, Any]]],
    *,
    listing: Reply | None = None,
    other: Callable[[Request], Reply] | None = None,
) -> Callable[[Request], Reply]:
    """Answer `/v1/projects` with `projects` (or `listing`) and each project's balances with its
    entry in `balances`: a list of balance objects, or a Reply to send as it is."""

    def script(request: Request) -> Reply:
        path = request.path.split("?")[0]
        if path == "/v1/projects":
            return listing or json_reply({"projects": projects})
        match = re.fullmatch(r"/v1/projects/([^/]+)/balances", path)
        if match:
            from urllib.parse import unquote

            answer = balances.get(unquote(match.group(1)), [])
            return answer if isinstance(answer, Reply) else json_reply({"balances": answer})
        if other is not None:
            return other(request)
        return Reply(status_line=b"HTTP/1.1 404 Not Found", body=b"no such path")

    return script


# --- the CLI's side ------------------------------------------------------------------------------


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    output: str
    seconds: float

    def everything(self) -> str:
        return self.stdout + self.stderr + self.output


@pytest.fixture
def balance_cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> Callable[..., Run]:
    """Run `deepgram-tray balance ARGS` in this process against a base URL."""
    monkeypatch.setenv("DEEPGRAM_API_KEY", KEY)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("NO_PROXY", "*")
    defaults = dict(DeepgramClient.__init__.__kwdefaults__ or {})
    monkeypatch.setattr(DeepgramClient.__init__, "__kwdefaults__", {**defaults, "timeouts": FAST})
    output = tmp_path / "out" / "balance.txt"

    def run(base_url: str, *args: str, to_file: bool = False, verbose: bool = False) -> Run:
        monkeypatch.setenv("DEEPGRAM_TRAY_API_URL", base_url)
        output.unlink(missing_ok=True)
        capfd.readouterr()
        started = time.monotonic()
        options = ["--verbose"] if verbose else []
        code = cli.main(
            [*options, "balance", *args, *(["--output", str(output)] if to_file else [])]
        )
        seconds = time.monotonic() - started
        captured = capfd.readouterr()
        written = output.read_text(encoding="utf-8") if output.exists() else ""
        return Run(code, captured.out, captured.err, written, seconds)

    return run


def key_runs_in(text: str, key: str = KEY) -> list[str]:
    """Every RUN_LENGTH-character piece of the key that `text` holds, in any case."""
    folded, key = text.lower(), key.lower()
    pieces = {key[i : i + RUN_LENGTH] for i in range(len(key) - RUN_LENGTH + 1)}
    return sorted(piece for piece in pieces if piece in folded)


def assert_sentences(stderr: str) -> None:
    """Each line on stderr is one of the app's sentences: its name, words, a full stop."""
    assert "Traceback" not in stderr
    for line in stderr.splitlines():
        assert line.startswith("deepgram-tray: ") and line.endswith("."), line
        assert not UNSAFE_ON_SCREEN.search(line), repr(line)


def assert_contract(run: Run, codes: tuple[int, ...]) -> None:
    assert run.code in codes, (run.code, run.stderr)
    assert_sentences(run.stderr)
    assert key_runs_in(run.everything()) == []
    assert run.seconds < HANG_BOUND


def serve(script: Callable[[Request], Reply]) -> HostileServer:
    return HostileServer(script)


FORMATS = ["text", "json", "prometheus", "waybar", "xbar"]


# --- the key never leaks -------------------------------------------------------------------------

ECHOES = {
    "whole": KEY,
    "upper case": KEY.upper(),
    "mixed case": "".join(c.upper() if i % 2 else c for i, c in enumerate(KEY)),
    "first half": KEY[:20],
    "last half": KEY[20:],
    "cut by length": "x" * 150 + KEY,
}


@pytest.mark.parametrize("echo", ECHOES.values(), ids=ECHOES.keys())
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("to_file", [False, True], ids=["stdout", "output-file"])
def test_an_echoed_key_is_hidden_in_every_output(
    balance_cli: Callable[..., Run], echo: str, fmt: str, to_file: bool
) -> None:
    """The server puts the key (or a piece of it, in any case) into a request id header, the
    error body's request id and message, and the names and ids of what it lists."""
    refusal = Reply(
        status_line=b"HTTP/1.1 500 Internal Server Error",
        headers=[(b"Content-Type", b"application/json"), (b"dg-request-id", echo.encode())],
        body=json.dumps({"err_msg": f"Bad {echo}", "request_id": echo}).encode(),
    )
    listed = [project("p1", f"Named {echo}"), project("p2")]
    balances: dict[str, Reply | list[dict[str, Any]]] = {
        "p1": [{**balance(f"b-{echo}", 5, units="usd"), "purchase_order_id": echo}],
        "p2": refusal,
    }
    with serve(deepgramish(listed, balances)) as server:
        run = balance_cli(server.base_url, "--format", fmt, to_file=to_file)
    assert_contract(run, (4,))
    assert (run.output if to_file else run.stdout) != ""


@pytest.mark.parametrize("echo", ECHOES.values(), ids=ECHOES.keys())
def test_an_echoed_key_is_hidden_in_the_log(balance_cli: Callable[..., Run], echo: str) -> None:
    reply = Reply(
        status_line=b"HTTP/1.1 401 Unauthorized",
        headers=[(b"dg-request-id", echo.encode())],
        body=json.dumps({"err_code": "INVALID_AUTH", "err_msg": echo}).encode(),
    )
    with serve(deepgramish([], {}, listing=reply)) as server:
        run = balance_cli(server.base_url, verbose=True)
    assert run.code == 3
    assert "DEBUG" in run.stderr and key_runs_in(run.stderr) == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_loopback_api_is_never_reached_through_a_proxy(
    balance_cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    """With the usual proxy variables set, a plain http:// loopback API would otherwise send the
    key to the proxy in clear text."""
    refusing_proxy = lambda request: Reply(status_line=b"HTTP/1.1 502 Bad Gateway")  # noqa: E731
    listed = [project("p1")]
    with serve(refusing_proxy) as proxy, serve(deepgramish(listed, {"p1": []})) as api:
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        for variable in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(variable, proxy.base_url)
        run = balance_cli(api.base_url.replace("127.0.0.1", host), "--format", "json")
    assert_contract(run, (0,))
    assert proxy.requests == []
    assert [r.headers.get("authorization") for r in api.requests] == [f"Token {KEY}"] * 2


# --- odd headers and text: exit 4 or 0, never 1 --------------------------------------------------

RETRY_AFTERS = {
    "superscript digit": "²".encode(),
    "exponent": b"1e3",
    "negative": b"-5",
    "fraction": b"1.5",
    "hundred digits": b"9" * 100,
    "five thousand digits": b"9" * 5000,
    "latin-1 superscript digits": b"\xb2\xb3",
    "year 99999": b"Fri, 31 Dec 99999 23:59:59 GMT",
    "year 0": b"Mon, 01 Jan 0000 00:00:00 GMT",
    "day 32": b"Mon, 32 Jan 2026 00:00:00 GMT",
    "latin-1 bytes": b"\xff\xfe\xe9",
    "utf-8 bytes": "€ soon".encode(),
    "empty": b"",
    "escape": b"\x1b[2J",
}


@pytest.mark.parametrize("value", RETRY_AFTERS.values(), ids=RETRY_AFTERS.keys())
def test_a_retry_after_in_any_form_is_a_rate_limit(
    balance_cli: Callable[..., Run], value: bytes
) -> None:
    reply = Reply(
        status_line=b"HTTP/1.1 429 Too Many Requests",
        headers=[(b"Retry-After", value)],
        body=b'{"err_code": "TOO_MANY_REQUESTS", "err_msg": "Slow down."}',
    )
    with serve(deepgramish([project("p1")], {"p1": reply})) as server:
        run = balance_cli(server.base_url, "--format", "json")
    assert_contract(run, (4,))
    error = json.loads(run.stdout)["projects"][0]["error"]
    assert error["kind"] == "rate_limit"
    assert error.get("retry_after") is None or 0 <= error["retry_after"] <= 86_400


LEAKS_IN_URLLIB3 = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
"""urllib3 raises InvalidHeader for two different Content-Length values without closing the answer
it read them from, so its socket is closed only by the garbage collector (a warning, not a leak
that outlives the process). The test collects it while this mark applies, so that it does not
surface in whichever test runs next."""

ODD_HEADERS = {
    "content-length not a number": [(b"Content-Length", b"abc")],
    "two content lengths": pytest.param(
        [(b"Content-Length", b"5"), (b"Content-Length", b"6")], marks=LEAKS_IN_URLLIB3
    ),
    "gzip that is not": [(b"Content-Encoding", b"gzip")],
    "unknown encoding": [(b"Content-Encoding", b"br, zstd, x-evil")],
    "request id in latin-1": [(b"dg-request-id", b"\xff\xfe\x1b[31m")],
    "content type garbage": [(b"Content-Type", b"\x00\x01;charset=\xff")],
    "hundreds of headers": [(f"X-{n}".encode(), b"v") for n in range(300)],
    "a header line of 100 kB": [(b"X-Long", b"v" * 100_000)],
}


@pytest.mark.parametrize("headers", ODD_HEADERS.values(), ids=ODD_HEADERS.keys())
def test_odd_headers_are_a_network_or_format_failure_never_a_crash(
    balance_cli: Callable[..., Run], headers: list[tuple[bytes, bytes]]
) -> None:
    body = json.dumps({"balances": [balance("b1", 7)]}).encode()
    reply = Reply(headers=headers, body=body, content_length=False)
    with serve(deepgramish([project("p1")], {"p1": reply})) as server:
        run = balance_cli(server.base_url, "--format", "json")
    assert_contract(run, (0, 4))
    document = json.loads(run.stdout)
    if run.code == 0:
        assert document["totals"] == {"usd": 7}
    else:
        assert document["projects"][0]["error"]["kind"] in ("network", "malformed")
    gc.collect()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("to_file", [False, True], ids=["stdout", "output-file"])
def test_text_that_is_not_valid_unicode_still_prints(
    balance_cli: Callable[..., Run], fmt: str, to_file: bool
) -> None:
    """JSON's `\\ud800` escapes give strings that no encoding can write."""
    listing = Reply(
        headers=[(b"Content-Type", b"application/json")],
        body=b'{"projects": [{"project_id": "p\\ud800", "name": "Voice \\udfff Bot"}]}',
    )
    balances = Reply(
        body=b'{"balances": [{"balance_id": "b\\ud83d", "amount": 3, "units": "usd\\udc00x"}]}'
    )
    with serve(deepgramish([], {"p\ufffd": balances}, listing=listing)) as server:
        run = balance_cli(server.base_url, "--format", fmt, to_file=to_file)
    assert_contract(run, (0,))
    printed = run.output if to_file else run.stdout
    assert "Voice \ufffd Bot" in printed
    if fmt == "json":
        assert json.loads(printed)["projects"][0]["balances"][0]["units"] == "usd\ufffdx"


def test_a_huge_balance_with_a_tiny_spend_still_forecasts(
    balance_cli: Callable[..., Run],
) -> None:
    """Days left would be a number of 40 digits: it must neither overflow nor print as one."""
    from datetime import date, timedelta

    today = date.today()

    def billing(request: Request) -> Reply:
        if "/billing/breakdown" in request.path:
            days = [today - timedelta(days=n) for n in range(1, 8)]
            results = [
                {"dollars": "0.000000000000000001", "grouping": {"start": d.isoformat()}}
                for d in days
            ]
            return json_reply({"results": results, "end": today.isoformat()})
        return json_reply({"orders": []})

    listed = [project("p1")]
    script = deepgramish(listed, {"p1": [balance("b1", "999999999999999.99")]}, other=billing)
    for fmt in FORMATS:
        with serve(script) as server:
            run = balance_cli(server.base_url, "--forecast", "--format", fmt)
        assert_contract(run, (0,))
        if fmt == "json":
            forecast = json.loads(run.stdout)["forecast"]
            assert forecast["days_left"] is None or forecast["days_left"] > 10**6


def test_a_missing_ca_bundle_is_a_configuration_error(
    balance_cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Said before any call is made (a plain http:// API has no certificates to check)."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "company-ca.pem"))
    run = balance_cli("https://127.0.0.1:9")
    assert_contract(run, (2,))
    assert "REQUESTS_CA_BUNDLE" in run.stderr


# --- nothing hangs -------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["status", "headers", "body"])
def test_a_trickled_answer_ends_at_the_calls_deadline(
    balance_cli: Callable[..., Run], where: str
) -> None:
    """A byte every 0.3 s never trips a 1 s read timeout; the answer below would take a minute."""
    body = json.dumps({"balances": [balance("b1", 7)]}).encode() + b" " * 100
    reply = Reply(body=body, trickle=0.3, trickle_from=where)
    with serve(deepgramish([project("p1")], {"p1": reply})) as server:
        run = balance_cli(server.base_url)
    assert_contract(run, (4,))
    assert "did not answer in time" in run.stderr
    assert run.seconds < FAST.total + 3


def test_many_slow_projects_end_at_the_refreshs_deadline(balance_cli: Callable[..., Run]) -> None:
    """24 projects, four at a time, each held to the 2 s call limit: six rounds, 12 s, without a
    deadline for the whole refresh (3 s)."""
    listed = [project(f"p{n}") for n in range(24)]
    slow = Reply(body=b'{"balances": []}' + b" " * 200, trickle=0.2, trickle_from="body")
    with serve(deepgramish(listed, dict.fromkeys((p["project_id"] for p in listed), slow))) as srv:
        run = balance_cli(srv.base_url, "--format", "json")
    assert_contract(run, (4,))
    assert run.seconds < FAST.refresh + 3
    errors = [p["error"] for p in json.loads(run.stdout)["projects"]]
    assert all(error and error["kind"] == "network" for error in errors)


def test_a_slow_forecast_ends_at_the_refreshs_deadline(balance_cli: Callable[..., Run]) -> None:
    """Eight projects whose billing and purchases each answer in about 1.2 s, inside the 2 s call
    limit: 19 s one after the other, without one deadline for the command (3 s). The balances,
    read first, still print; the forecast falls back to what the history knows."""
    listed = [project(f"p{n}") for n in range(8)]
    slow = Reply(body=b'{"results": []}', trickle=0.08, trickle_from="body")
    script = deepgramish(
        listed,
        {p["project_id"]: [balance(f"b{p['project_id']}", 1)] for p in listed},
        other=lambda request: slow,
    )
    with serve(script) as server:
        run = balance_cli(server.base_url, "--forecast", "--format", "json")
    assert_contract(run, (0,))
    assert run.seconds < FAST.refresh + 3
    document = json.loads(run.stdout)
    assert document["totals"] == {"usd": 8}
    assert document["forecast"]["basis"] != "billing"


def test_a_server_that_never_answers_ends_at_the_calls_deadline(
    balance_cli: Callable[..., Run],
) -> None:
    with serve(lambda request: Reply(hang=True)) as server:
        run = balance_cli(server.base_url)
    assert_contract(run, (4,))


# --- each balance counts once --------------------------------------------------------------------


def prometheus_series(text: str) -> list[str]:
    return [line.rsplit(" ", 1)[0] for line in text.splitlines() if not line.startswith("#")]


def test_a_project_listed_twice_counts_once(balance_cli: Callable[..., Run]) -> None:
    listed = [project("p1"), project("p2"), project("p1", "Again")]
    script = deepgramish(listed, {"p1": [balance("b1", 10)], "p2": [balance("b2", 1)]})
    with serve(script) as server:
        document = json.loads(balance_cli(server.base_url, "--format", "json").stdout)
        prometheus = balance_cli(server.base_url, "--format", "prometheus").stdout
        asked = [r.path for r in server.requests if r.path.endswith("/balances")]
    assert document["totals"] == {"usd": 11}
    assert [p["project_id"] for p in document["projects"]] == ["p1", "p2"]
    assert len(asked) == 4  # p1 and p2, once per run
    series = prometheus_series(prometheus)
    assert len(series) == len(set(series))


def test_a_project_asked_for_twice_counts_once(balance_cli: Callable[..., Run]) -> None:
    script = deepgramish([project("p1")], {"p1": [balance("b1", 10)]})
    with serve(script) as server:
        run = balance_cli(server.base_url, "--format", "json", "--project", "p1", "--project", "p1")
    assert json.loads(run.stdout)["totals"] == {"usd": 10}


def test_a_balance_listed_twice_counts_once(balance_cli: Callable[..., Run]) -> None:
    """The same balance id twice in one project, and again in another project."""
    balances: dict[str, Reply | list[dict[str, Any]]] = {
        "p1": [balance("b1", 10), balance("b1", 10), balance("b2", 2)],
        "p2": [balance("b1", 10), balance("b3", 1)],
    }
    with serve(deepgramish([project("p1"), project("p2")], balances)) as server:
        run = balance_cli(server.base_url, "--format", "json")
        prometheus = balance_cli(server.base_url, "--format", "prometheus").stdout
        text = balance_cli(server.base_url).stdout
    document = json.loads(run.stdout)
    assert document["totals"] == {"usd": 13}
    assert sum(p["totals"].get("usd", 0) for p in document["projects"]) == 13
    series = prometheus_series(prometheus)
    assert len(series) == len(set(series))
    assert 'deepgram_balance_total{units="usd"} 13' in prometheus
    assert text.splitlines()[-1].endswith("$13.00")


def assert_each_balance_counted_once(document: dict[str, Any]) -> None:
    """No balance id twice in the document, and the totals are the sums of what it lists."""
    listed = [b for p in document["projects"] for b in p["balances"]]
    ids = [b["balance_id"] for b in listed if b["balance_id"]]
    assert len(ids) == len(set(ids))
    sums: dict[str, Decimal] = {}
    for b in listed:
        sums[b["units"]] = sums.get(b["units"], Decimal(0)) + b["amount"]
    assert document["totals"] == sums


# --- server text reaches no terminal raw ---------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_escape_sequences_from_the_server_are_not_printed(
    balance_cli: Callable[..., Run], fmt: str
) -> None:
    refusal = Reply(
        status_line=b"HTTP/1.1 503 Unavailable",
        headers=[(b"dg-request-id", ESCAPES.encode())],
        body=json.dumps({"err_msg": ESCAPES, "request_id": ESCAPES}).encode(),
    )
    listed = [project("p1", f"One{ESCAPES}"), project("p2", f"Two{ESCAPES}")]
    balances: dict[str, Reply | list[dict[str, Any]]] = {
        "p1": [balance(f"b{ESCAPES}", 3, units=f"usd{ESCAPES}")],
        "p2": refusal,
    }
    with serve(deepgramish(listed, balances)) as server:
        run = balance_cli(server.base_url, "--format", fmt)
    assert_contract(run, (4,))
    assert not UNSAFE_ON_SCREEN.search(run.stdout), repr(run.stdout)
    if fmt == "text":
        assert len(run.stdout.splitlines()) == 2 + 2  # two projects, the rule, the total


# --- the tray's fetch worker ---------------------------------------------------------------------


def test_the_fetch_worker_gives_the_tray_clean_text_and_single_counts(
    tmp_path: Path,
) -> None:
    """The tray reads through `deepgram-tray _fetch`; what it gets back is what the menu shows."""
    from trayapp.config import Settings
    from trayapp.tray.render import menu_lines, tooltip_text
    from trayapp.tray.state import Thresholds, TrayState
    from trayapp.tray.worker_protocol import FetchRequest, decode_answer, encode_request

    refusal = Reply(
        status_line=b"HTTP/1.1 500 Oops",
        headers=[(b"dg-request-id", KEY.upper().encode())],
        body=json.dumps({"err_msg": f"{ESCAPES} {KEY[:20]}"}).encode(),
    )
    listed = [project("p1", f"Prod{ESCAPES}{KEY}"), project("p1"), project("p2")]
    balances: dict[str, Reply | list[dict[str, Any]]] = {
        "p1": [balance("b1", 10), balance("b1", 10)],
        "p2": refusal,
    }
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DEEPGRAM_API_KEY": KEY,
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "HTTP_PROXY": "http://127.0.0.1:9",
    }
    with serve(deepgramish(listed, balances)) as server:
        request = FetchRequest(Settings(api_url=server.base_url).api_url, (), None, FAST)
        completed = subprocess.run(
            [sys.executable, "-m", "trayapp", "_fetch"],
            input=encode_request(request),
            capture_output=True,
            env=env,
            timeout=60,
            check=False,
        )
    assert completed.returncode == 0, completed.stderr
    raw = completed.stdout.decode() + completed.stderr.decode()
    assert key_runs_in(raw) == []
    snapshot, projects = decode_answer(completed.stdout)
    assert [p.project_id for p in projects] == ["p1", "p2"]
    assert snapshot.totals == {"usd": Decimal(10)}
    state = TrayState(Thresholds.from_settings(Settings()), snapshot=snapshot)
    shown = [line.text for line in menu_lines(state)] + [tooltip_text(state)]
    for text in shown:
        assert not UNSAFE_ON_SCREEN.search(text), repr(text)
        assert key_runs_in(text) == []


# --- generated cases -----------------------------------------------------------------------------

_texts = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()), max_size=40
) | st.sampled_from([*ECHOES.values(), ESCAPES, "\ud800", ""])
_amounts = st.one_of(
    st.integers(-(10**20), 10**20),
    st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["1e400", "NaN", "", "12,5", None, True, "0x10"]),
)
_balance_objects = st.fixed_dictionaries(
    {"balance_id": st.sampled_from(["b1", "b2", "b3", ""]) | _texts, "amount": _amounts},
    optional={"units": st.sampled_from(["usd", "USD", "hour"]) | _texts, "purchase": _texts},
)
_statuses = st.sampled_from([200, 200, 200, 204, 302, 400, 401, 403, 404, 418, 429, 500, 503])
_error_bodies = st.one_of(
    st.builds(
        lambda c, m, r: {"err_code": c, "err_msg": m, "request_id": r}, _texts, _texts, _texts
    ),
    st.builds(lambda c, m, d: {"category": c, "message": m, "details": d}, _texts, _texts, _texts),
    _texts,
)
_headers = st.lists(
    st.tuples(
        st.sampled_from([b"Retry-After", b"dg-request-id", b"Content-Type", b"X-Any"]),
        st.binary(max_size=30).filter(lambda b: b"\r" not in b and b"\n" not in b),
    ),
    max_size=3,
)


@st.composite
def balance_replies(draw: st.DrawFn) -> Reply:
    status = draw(_statuses)
    if status == 200:
        document: Any = {"balances": draw(st.lists(_balance_objects, max_size=4))}
    else:
        document = draw(_error_bodies)
    body = document.encode("utf-8", "surrogatepass") if isinstance(document, str) else b""
    if not isinstance(document, str):
        body = json.dumps(document).encode()
    trickle = draw(st.sampled_from([0.0, 0.0, 0.0, 0.002]))
    return Reply(
        status_line=f"HTTP/1.1 {status} X".encode(),
        headers=draw(_headers),
        body=body,
        trickle=trickle,
        trickle_from=draw(st.sampled_from(["status", "headers", "body"])),
    )


_project_ids = st.sampled_from(["p1", "p2", "p3"])
_listings = st.lists(
    st.fixed_dictionaries({"project_id": _project_ids}, optional={"name": _texts}), max_size=5
)


@pytest.fixture(scope="module")
def shared_server() -> Iterator[HostileServer]:
    """One server for every generated case; each case gives it its own script."""
    with HostileServer(lambda request: Reply()) as server:
        yield server


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    listing=_listings,
    replies=st.dictionaries(_project_ids, balance_replies()),
    fmt=st.sampled_from(FORMATS),
    to_file=st.booleans(),
)
def test_generated_answers_keep_the_contract(
    balance_cli: Callable[..., Run],
    shared_server: HostileServer,
    listing: list[dict[str, Any]],
    replies: dict[str, Reply],
    fmt: str,
    to_file: bool,
) -> None:
    shared_server.script = deepgramish(listing, dict(replies))
    run = balance_cli(shared_server.base_url, "--format", fmt, to_file=to_file)
    assert_contract(run, (0, 2, 3, 4))
    printed = run.output if to_file else run.stdout
    if fmt == "json" and printed:
        assert_each_balance_counted_once(
            json.loads(printed, parse_float=Decimal, parse_int=Decimal)
        )
    if fmt == "prometheus" and printed:
        series = prometheus_series(printed)
        assert len(series) == len(set(series))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(listing=_listings, replies=st.dictionaries(_project_ids, balance_replies()))
def test_generated_answers_reach_the_tray_clean(
    shared_server: HostileServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    listing: list[dict[str, Any]],
    replies: dict[str, Reply],
) -> None:
    """The tray's side: the fetch worker (run in this process) answers, the tray decodes it,
    records the history and draws its menu and tooltip; none of it holds the key or an escape,
    and the total counts each balance once."""
    import io
    from datetime import datetime, timezone
    from types import SimpleNamespace

    from trayapp.commands.fetch_worker import run_fetch_worker
    from trayapp.config import Settings
    from trayapp.errors import DeepgramTrayError, WorkerProtocolError
    from trayapp.outlook.history import record
    from trayapp.tray.render import menu_lines, tooltip_text
    from trayapp.tray.state import Thresholds, TrayState
    from trayapp.tray.transitions import after_failure, after_read
    from trayapp.tray.worker_protocol import FetchRequest, decode_answer, encode_request

    monkeypatch.setenv("DEEPGRAM_API_KEY", KEY)
    shared_server.script = deepgramish(listing, dict(replies))
    request = FetchRequest(shared_server.base_url, (), None, FAST)
    stdin = SimpleNamespace(buffer=io.BytesIO(encode_request(request)))
    stdout = SimpleNamespace(buffer=io.BytesIO(), flush=lambda: None)
    monkeypatch.setattr(sys, "stdin", stdin)
    monkeypatch.setattr(sys, "stdout", stdout)
    started = time.monotonic()
    assert run_fetch_worker(SimpleNamespace()) == 0
    assert time.monotonic() - started < HANG_BOUND
    monkeypatch.undo()
    answer = stdout.buffer.getvalue()
    assert key_runs_in(answer.decode("utf-8") + capfd.readouterr().err) == []
    waiting = TrayState(Thresholds.from_settings(Settings()))
    now = datetime.now(timezone.utc)
    try:
        snapshot, _ = decode_answer(answer)
    except DeepgramTrayError as failure:  # a failed listing crosses as the error the tray shows
        assert not isinstance(failure, WorkerProtocolError)
        state = after_failure(waiting, failure, settings_error=None, at=now)
    else:
        ids = [b.balance_id for p in snapshot.projects for b in p.balances if b.balance_id]
        assert len(ids) == len(set(ids))
        history = tmp_path / "history.sqlite3"
        record(history, snapshot.fetched_at, snapshot.totals)
        assert key_runs_in(history.read_bytes().decode("latin-1")) == []
        state = after_read(waiting, snapshot, settings_error=None, at=now)
    shown = [line.text for line in menu_lines(state)] + [tooltip_text(state)]
    for text in shown:
        assert not UNSAFE_ON_SCREEN.search(text), repr(text)
        assert key_runs_in(text) == []
