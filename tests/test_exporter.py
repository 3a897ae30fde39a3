"""`deepgram-tray serve` end to end: the real process against the loopback test server, scraped
over HTTP and parsed with Prometheus's own client parser."""

from __future__ import annotations

import concurrent.futures
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import OWNER_KEY, PROJECT_A, PROJECT_B, plant_at_startup, run_cli
from tests.support.deepgram_server import DOCUMENTED_ERRORS, FakeDeepgram
from tests.support.exporter_process import ExporterProcess
from tests.support.waiting import wait_until

READS = "/balances"


def write_config(env: dict[str, str], text: str) -> None:
    path = Path(env["DEEPGRAM_TRAY_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def serve_env(cli_env: dict[str, str]) -> dict[str, str]:
    # The shortest interval the settings allow, so a test sees a second read within seconds.
    write_config(cli_env, "poll_interval = 10\nwarn_below = 50.0\ncritical_below = 10.0\n")
    return cli_env


@pytest.fixture
def exporter(serve_env: dict[str, str], tmp_path: Path) -> Iterator[ExporterProcess]:
    process = ExporterProcess(serve_env, tmp_path / "serve")
    try:
        yield process
    finally:
        process.kill()


Samples = dict[str, list[tuple[dict[str, str], float]]]


def value(samples: Samples, name: str, **labels: str) -> float:
    matching = [v for found, v in samples.get(name, []) if labels.items() <= found.items()]
    assert len(matching) == 1, f"{name}{labels}: {samples.get(name)}"
    return matching[0]


def read_once(exporter: ExporterProcess) -> Samples:
    return wait_until(
        lambda: (m := exporter.metrics()).get("deepgram_balance_total") and m,
        what="the first read in /metrics",
    )


def test_metrics_serve_the_balances_the_cli_prints(
    exporter: ExporterProcess, serve_env: dict[str, str]
) -> None:
    metrics = read_once(exporter)
    assert value(metrics, "deepgram_balance_total", units="usd") == pytest.approx(128.31822227)
    assert value(metrics, "deepgram_balance_amount", balance_id="bal-3") == 3.25
    assert value(metrics, "deepgram_balance_up", project_id=PROJECT_A) == 1
    assert value(metrics, "deepgram_up") == 1
    assert value(metrics, "deepgram_balance_warn_below", units="usd") == 50
    assert value(metrics, "deepgram_balance_critical_below", units="usd") == 10
    assert value(metrics, "deepgram_poll_interval_seconds") == 10
    assert value(metrics, "deepgram_reads_total", result="success") >= 1
    assert value(metrics, "deepgram_last_success_timestamp_seconds") > 1.7e9
    assert "process_resident_memory_bytes" in metrics  # the exporter's own health, as usual

    # The same series, labels and values as `balance --format prometheus`, the contract's gauges.
    cli = run_cli(["balance", "--format", "prometheus"], serve_env)
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(cli.stdout):
        for sample in family.samples:
            assert value(metrics, sample.name, **sample.labels) == pytest.approx(sample.value)
    assert OWNER_KEY[-8:] not in exporter.stdout() + exporter.stderr()


def test_scrapes_never_read_deepgram(exporter: ExporterProcess, deepgram: FakeDeepgram) -> None:
    read_once(exporter)
    reads_before = len(deepgram.requests_to(READS))
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: exporter.get("/metrics")[0], range(30)))
    assert results == [200] * 30
    # Within the interval nothing more is read, however many scrapes came: at most the one
    # poll that may have fallen due meanwhile.
    assert len(deepgram.requests_to(READS)) - reads_before <= len((PROJECT_A, PROJECT_B))


@pytest.fixture
def quick_retry_exporter(serve_env: dict[str, str], tmp_path: Path) -> Iterator[ExporterProcess]:
    """The exporter, retrying 2-4 s after a failed read instead of 15-30 s: a test that waits for
    the retry then takes seconds. Only the first retry's length changes (tests/test_scheduler.py
    checks the real backoff); the process and its poller are otherwise as a user runs them."""
    plant_at_startup(
        serve_env,
        tmp_path / "plant",
        "import trayapp.tray.scheduler\ntrayapp.tray.scheduler.FIRST_RETRY = 4.0\n",
    )
    process = ExporterProcess(serve_env, tmp_path / "serve")
    try:
        yield process
    finally:
        process.kill()


def test_the_next_poll_reads_again_and_a_failure_keeps_the_last_good_read(
    quick_retry_exporter: ExporterProcess, deepgram: FakeDeepgram
) -> None:
    exporter = quick_retry_exporter
    read_once(exporter)
    deepgram.fail(READS, DOCUMENTED_ERRORS["service_unavailable"].fault())
    failed = wait_until(
        lambda: (m := exporter.metrics()) and value(m, "deepgram_up") == 0 and m,
        timeout=40,
        what="a failed read (the next poll)",
    )
    # Served between reads: the last good balances, with up 0 saying they are not fresh.
    assert value(failed, "deepgram_balance_total", units="usd") == pytest.approx(128.31822227)
    assert value(failed, "deepgram_reads_total", result="failure") >= 1
    status, health = exporter.health()
    assert status == 200 and "failed" in str(health["status"]), health

    deepgram.clear_faults()
    deepgram.set_balances(PROJECT_B, [{"balance_id": "bal-3", "amount": 1.0, "units": "usd"}])
    recovered = wait_until(
        lambda: (m := exporter.metrics()) and value(m, "deepgram_up") == 1 and m,
        timeout=60,  # the (shortened) backoff after a failure, on a loaded machine
        what="a good read again",
    )
    assert value(recovered, "deepgram_balance_amount", balance_id="bal-3") == 1.0


def test_healthz_and_unknown_paths(exporter: ExporterProcess) -> None:
    read_once(exporter)
    status, health = exporter.health()
    assert (status, health) == (200, {"ok": True, "status": "reading Deepgram"})
    status, body = exporter.get("/nothing")
    assert status == 404 and "/metrics" in body


def test_sigterm_stops_it_cleanly(exporter: ExporterProcess) -> None:
    read_once(exporter)
    assert exporter.stop() == 0
    assert exporter.stdout().rstrip().endswith("Stopped.")
    assert "Traceback" not in exporter.stderr()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", exporter.port), 2):
        pass


def test_it_saves_the_read_for_balance_max_age(
    exporter: ExporterProcess, serve_env: dict[str, str], deepgram: FakeDeepgram
) -> None:
    read_once(exporter)
    exporter.stop()
    reads = len(deepgram.requests_to(READS))
    answer = run_cli(["balance", "--json", "--max-age", "600"], serve_env)
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout)["totals"] == {"usd": 128.31822227}
    assert len(deepgram.requests_to(READS)) == reads, "answered from the exporter's read"


# --- what it refuses ----------------------------------------------------------------------------


@pytest.mark.parametrize("listen", ["9787", "localhost:", "[::1:9787", "host:99999", "::1:9787"])
def test_a_bad_listen_address_is_one_sentence(serve_env: dict[str, str], listen: str) -> None:
    result = run_cli(["serve", "--listen", listen], serve_env, timeout=30)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "HOST:PORT" in result.stderr, result.stderr


def test_a_port_in_use_is_one_sentence(serve_env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(["serve", "--listen", f"127.0.0.1:{port}"], serve_env, timeout=30)
    assert result.returncode == 2
    assert "Cannot listen on 127.0.0.1" in result.stderr and "Traceback" not in result.stderr


def test_without_a_key_it_says_so_and_exits(serve_env: dict[str, str]) -> None:
    env = {k: v for k, v in serve_env.items() if k != "DEEPGRAM_API_KEY"}
    result = run_cli(["serve"], env, timeout=30)
    assert result.returncode == 2 and "key" in result.stderr.lower(), result.stderr
    assert result.stdout == ""


# --- several accounts ---------------------------------------------------------------------------


def test_every_account_with_a_key_is_served_under_its_label(
    serve_env: dict[str, str], deepgram: FakeDeepgram, tmp_path: Path
) -> None:
    from tests.test_balance_accounts import CLIENT_A_KEY, CONFIG, PROJECT_C, two_accounts

    two_accounts(deepgram)
    config = Path(serve_env["DEEPGRAM_TRAY_CONFIG"])
    config.write_text(config.read_text() + CONFIG + '\n[accounts.no-key]\nlabel = "No key"\n')
    env = serve_env | {
        "DEEPGRAM_API_KEY_CLIENT_A": CLIENT_A_KEY,
        # An empty keyring: the account "no-key" has no key anywhere.
        "PYTHON_KEYRING_BACKEND": "tests.support.memory_keyring.MemoryKeyring",
    }
    process = ExporterProcess(env, tmp_path / "accounts")
    try:
        metrics = wait_until(
            lambda: (
                (m := process.metrics()) and len(m.get("deepgram_balance_total", [])) == 2 and m
            ),
            what="both accounts read",
        )
        assert value(metrics, "deepgram_balance_total", account="default") == pytest.approx(
            128.31822227
        )
        assert value(metrics, "deepgram_balance_total", account="client-a") == 40
        assert value(metrics, "deepgram_balance_up", project_id=PROJECT_C) == 1
        assert value(metrics, "deepgram_balance_warn_below", account="client-a") == 50
        assert value(metrics, "deepgram_balance_warn_below", account="default") == 50
        assert {labels["account"] for labels, _ in metrics["deepgram_up"]} == {
            "default",
            "client-a",
        }
        status, health = process.health()
        assert status == 200 and "client-a: reading Deepgram" in str(health["status"]), health
        assert "no-key" in process.stderr() and "key set --account no-key" in process.stderr()
        text = process.get("/metrics")[1]
        assert text.count("# TYPE deepgram_balance_total gauge") == 1  # one family, two series
        assert CLIENT_A_KEY[-8:] not in process.stdout() + process.stderr() + text
    finally:
        process.kill()


def test_a_keyring_that_fails_for_one_account_does_not_stop_the_others(
    serve_env: dict[str, str], tmp_path: Path
) -> None:
    # cli_env's keyring always fails; the default account's key is in the environment.
    config = Path(serve_env["DEEPGRAM_TRAY_CONFIG"])
    config.write_text(config.read_text() + "\n[accounts.client-b]\n")
    process = ExporterProcess(serve_env, tmp_path / "keyring-failed")
    try:
        metrics = read_once(process)
        assert [labels["account"] for labels, _ in metrics["deepgram_balance_total"]] == ["default"]
        assert "Not serving client-b: No OS keyring is available" in process.stderr()
    finally:
        process.kill()
