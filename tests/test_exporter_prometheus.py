"""A real Prometheus scraping `serve`, evaluating the shipped alert rules: the balance reaches
Prometheus's query API, and when the test server's balance drops the critical alert fires."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_A, PROJECT_B, REPO_ROOT
from tests.support.deepgram_server import FakeDeepgram
from tests.support.exporter_process import ExporterProcess
from tests.support.required import require_tools
from tests.support.waiting import wait_until

RULES = REPO_ROOT / "packaging" / "monitoring" / "deepgram-alerts.rules.yml"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Prometheus:
    """Debian's Prometheus on a loopback port, scraping and evaluating every second."""

    def __init__(self, folder: Path, target: str) -> None:
        config = folder / "prometheus.yml"
        config.write_text(
            "global:\n"
            "  scrape_interval: 1s\n"
            "  evaluation_interval: 1s\n"
            f"rule_files: [{json.dumps(str(RULES))}]\n"
            "scrape_configs:\n"
            "  - job_name: deepgram\n"
            f"    static_configs: [{{targets: [{json.dumps(target)}]}}]\n",
            encoding="utf-8",
        )
        self.port = free_port()
        self._log = open(folder / "prometheus.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={config}",
                f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def api(self, path: str, **query: str) -> Any:
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}?{urllib.parse.urlencode(query)}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.loads(response.read())["data"]
        except OSError:
            assert self.process.poll() is None, self.log()
            return None  # not up yet

    def log(self) -> str:
        return (Path(self._log.name)).read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
        self._log.close()


@pytest.fixture
def prometheus(cli_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[Prometheus, Any]]:
    require_tools([] if shutil.which("prometheus") else ["prometheus (Debian package)"])
    config = Path(cli_env["DEEPGRAM_TRAY_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("poll_interval = 10\nwarn_below = 50.0\ncritical_below = 10.0\n")
    exporter = ExporterProcess(cli_env, tmp_path / "serve")
    server = None
    try:
        server = Prometheus(tmp_path, f"127.0.0.1:{exporter.port}")
        yield server, exporter
    finally:
        if server is not None:
            server.stop()
        exporter.kill()


def instant(prometheus: Prometheus, query: str) -> list[Any]:
    data = prometheus.api("query", query=query)
    return [] if data is None else list(data["result"])


def firing(prometheus: Prometheus) -> set[str]:
    data = prometheus.api("alerts")
    alerts = [] if data is None else data["alerts"]
    return {a["labels"]["alertname"] for a in alerts if a["state"] == "firing"}


def test_prometheus_scrapes_the_total_and_fires_the_critical_alert(
    prometheus: tuple[Prometheus, ExporterProcess], deepgram: FakeDeepgram
) -> None:
    server, _ = prometheus
    total = wait_until(
        lambda: instant(server, 'deepgram_balance_total{units="usd"}'),
        timeout=60,
        what="Prometheus to scrape the balance total",
    )
    assert float(total[0]["value"][1]) == pytest.approx(128.31822227)
    assert total[0]["metric"]["job"] == "deepgram"
    assert firing(server) == set(), "nothing fires at $128 with thresholds 50 and 10"

    deepgram.set_balances(PROJECT_A, [{"balance_id": "bal-1", "amount": 4.0, "units": "usd"}])
    deepgram.set_balances(PROJECT_B, [{"balance_id": "bal-3", "amount": 1.5, "units": "usd"}])
    # The exporter's next poll (10 s), a scrape (1 s) and an evaluation (1 s).
    wait_until(
        lambda: "DeepgramBalanceCritical" in firing(server),
        timeout=60,
        what="the critical balance alert to fire",
    )
    assert "DeepgramBalanceLow" not in firing(server), "one alert per state"
    alert = next(
        a
        for a in server.api("alerts")["alerts"]
        if a["labels"]["alertname"] == "DeepgramBalanceCritical"
    )
    assert "$5.50" in alert["annotations"]["summary"]
    assert "$10.00" in alert["annotations"]["description"]
    # Scraped each second, read each ten: the reads of Deepgram follow the poll, not the scrapes.
    scrapes = float(instant(server, 'count_over_time(up{job="deepgram"}[10m])')[0]["value"][1])
    reads = len(deepgram.requests_to(f"{PROJECT_A}/balances"))
    assert reads <= 1 + scrapes / 5, (scrapes, reads)
