"""`deepgram-tray serve`: the balances for Prometheus, read in the background on the tray's
schedule and served from memory at /metrics, with /healthz for supervisors.

The key is read once, at start (environment, then keyring): a server has nobody to answer a
keyring prompt later. Restart it after changing the key.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import signal
import threading
from datetime import datetime, timezone
from types import FrameType
from typing import TYPE_CHECKING

from trayapp.config import Settings, load_settings
from trayapp.credentials import require_api_key
from trayapp.deepgram.client import DeepgramClient
from trayapp.deepgram.models import Project
from trayapp.errors import ConfigError, os_reason
from trayapp.outlook.forecast import ForecastInputs
from trayapp.tray.poller import FetchResult

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from trayapp.exporter.readings import ExporterReadings

log = logging.getLogger(__name__)

DEFAULT_LISTEN = "127.0.0.1:9787"
"""Loopback: the balances are not for the network unless --listen says so."""
STOP_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP")


def parse_listen(text: str) -> tuple[str, int]:
    """HOST:PORT (an IPv6 host in brackets) as (host, port); ConfigError saying what to write."""
    host, sep, port_text = text.strip().rpartition(":")
    bracketed = host.startswith("[") and host.endswith("]")
    if bracketed:
        host = host[1:-1]
    problem = (
        f"--listen {text!r} is not HOST:PORT: write e.g. 127.0.0.1:9787, [::1]:9787, or "
        "0.0.0.0:9787 to serve every network."
    )
    if not sep or not host or not port_text.isdigit() or int(port_text) > 65535:
        raise ConfigError(problem)
    if ":" in host and not bracketed:  # "::1:9787" could be an address without a port
        raise ConfigError(problem)
    if bracketed:
        try:
            ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise ConfigError(problem) from exc
    return host, int(port_text)


def run_serve(args: argparse.Namespace) -> int:
    host, port = parse_listen(args.listen)
    settings = load_settings()  # a broken config stops it here, with the usual sentence
    key = require_api_key().value
    readings = _readings(key)
    server = _bind(host, port, readings, settings)
    bound_host, bound_port = str(server.server_address[0]), server.server_address[1]
    shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(f"Serving Deepgram balances on http://{shown_host}:{bound_port}/metrics", flush=True)

    stopping = threading.Event()
    _on_stop_signals(stopping)
    readings.start()
    serving = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    serving.start()
    try:
        while not stopping.wait(1.0):  # a timeout: Windows delivers Ctrl+C only between waits
            if not serving.is_alive():
                break
    finally:
        server.shutdown()
        server.server_close()
        readings.stop()
    print("Stopped.", flush=True)
    return 0


def _readings(key: str) -> ExporterReadings:
    from trayapp.desktop.paths import last_read_path
    from trayapp.exporter.readings import ExporterReadings

    def fetch(settings: Settings, known: list[Project] | None) -> FetchResult:
        with DeepgramClient(settings.api_url, key) as client, client.refresh():
            projects = client.list_projects() if known is None else known
            return FetchResult(
                client.fetch_snapshot(settings.projects, projects=projects), projects
            )

    def fetch_forecast_inputs(settings: Settings, project_ids: list[str]) -> ForecastInputs:
        from trayapp.outlook.fetch import read_forecast_inputs

        with DeepgramClient(settings.api_url, key) as client:
            return read_forecast_inputs(client, project_ids, datetime.now(timezone.utc).date())

    return ExporterReadings(
        load_settings=load_settings,
        fetch=fetch,
        fetch_forecast_inputs=fetch_forecast_inputs,
        last_read_path=last_read_path(),
    )


def _bind(host: str, port: int, readings: ExporterReadings, settings: Settings) -> WSGIServer:
    from prometheus_client import CollectorRegistry
    from prometheus_client.process_collector import ProcessCollector

    from trayapp.exporter.collector import FamiliesCollector
    from trayapp.exporter.families import families
    from trayapp.exporter.http import bind, make_app

    registry = CollectorRegistry(auto_describe=False)
    ProcessCollector(registry=registry)  # the exporter's own memory and CPU, as exporters do
    registry.register(FamiliesCollector(lambda: families(readings.view(settings))))
    try:
        return bind(host, port, make_app(registry, readings.health))
    except OSError as exc:
        raise ConfigError(
            f"Cannot listen on {host}:{port} ({os_reason(exc)}): choose another --listen "
            "address or port, or stop what is using it."
        ) from exc


def _on_stop_signals(stopping: threading.Event) -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        log.info("Signal %s: stopping", signum)
        stopping.set()

    for name in STOP_SIGNALS:
        number = getattr(signal, name, None)  # Windows has no SIGHUP
        if number is not None:
            signal.signal(number, stop)
