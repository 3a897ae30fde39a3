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

from trayapp.config import Settings
from trayapp.credentials import find_api_key, no_key_sentence
from trayapp.deepgram.client import DeepgramClient
from trayapp.deepgram.models import Project
from trayapp.errors import ConfigError, DeepgramTrayError, MissingKeyError, os_reason
from trayapp.outlook.forecast import ForecastInputs
from trayapp.tray.poller import FetchResult

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from trayapp.accounts import Account
    from trayapp.exporter.families import Family
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
    from trayapp.accounts import load_accounts

    # A broken config stops it here, with the usual sentence; so does no key at all.
    readings = [_readings(account, key) for account, key in _accounts_with_keys(load_accounts())]
    server = _bind(host, port, readings)
    bound_host, bound_port = str(server.server_address[0]), server.server_address[1]
    shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(f"Serving Deepgram balances on http://{shown_host}:{bound_port}/metrics", flush=True)

    stopping = threading.Event()
    _on_stop_signals(stopping)
    for each in readings:
        each.start()
    serving = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    serving.start()
    try:
        while not stopping.wait(1.0):  # a timeout: Windows delivers Ctrl+C only between waits
            if not serving.is_alive():
                break
    finally:
        server.shutdown()
        server.server_close()
        for each in readings:
            each.stop()
    print("Stopped.", flush=True)
    return 0


def _accounts_with_keys(accounts: tuple[Account, ...]) -> list[tuple[Account, str]]:
    """Every account with a key, read once now (a server has nobody to answer a keyring prompt
    later). The top level without a key is left out when named accounts have one; a named
    account without one is skipped with a warning saying how to add it."""
    keyed: list[tuple[Account, str]] = []
    first_problem: DeepgramTrayError = MissingKeyError(no_key_sentence())
    for account in accounts:
        try:
            key = find_api_key(account=account.name)
        except DeepgramTrayError as exc:  # a key that cannot be one, a keyring that failed
            log.warning("Not serving %s: %s", account.name, exc.user_message())
            first_problem = exc if account.is_default or not keyed else first_problem
            continue
        if key is not None:
            keyed.append((account, key.value))
        elif not account.is_default:
            log.warning("Not serving %s: %s", account.name, no_key_sentence(account.name))
    if not keyed:
        raise first_problem
    return keyed


def _readings(account: Account, key: str) -> ExporterReadings:
    from trayapp.accounts import account_named, load_accounts
    from trayapp.desktop.paths import last_read_path
    from trayapp.exporter.readings import ExporterReadings

    def settings_now() -> Settings:
        """The account's settings, re-read at each poll as the tray does."""
        return account_named(load_accounts(), account.name).settings

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
        load_settings=settings_now,
        fetch=fetch,
        fetch_forecast_inputs=fetch_forecast_inputs,
        last_read_path=last_read_path(account.name),
        account=account.name,
        settings=account.settings,
    )


def _bind(host: str, port: int, readings: list[ExporterReadings]) -> WSGIServer:
    from prometheus_client import CollectorRegistry
    from prometheus_client.process_collector import ProcessCollector

    from trayapp.exporter.collector import FamiliesCollector
    from trayapp.exporter.families import families, merged
    from trayapp.exporter.http import bind, make_app

    def current() -> list[Family]:
        return merged([families(each.view(each.fallback_settings)) for each in readings])

    def health() -> tuple[bool, str]:
        said = [(each.account, *each.health()) for each in readings]
        healthy = all(ok for _, ok, _ in said)
        if len(said) == 1:
            return healthy, said[0][2]
        return healthy, "; ".join(f"{account}: {status}" for account, _, status in said)

    registry = CollectorRegistry(auto_describe=False)
    ProcessCollector(registry=registry)  # the exporter's own memory and CPU, as exporters do
    registry.register(FamiliesCollector(current))
    try:
        return bind(host, port, make_app(registry, health))
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
