"""Every benchmark, side by side in one run, as ratios: prints one table, `--write` puts it in
BENCHMARKS.md.

    python benchmarks/run.py [--quick] [--write]

1. `deepgram-tray balance` vs a bare `requests` script (target <= 1.2x) and vs curl (the floor).
2. Refresh time (the tray's fetch worker) for 1, 10 and 50 projects with 100 ms server latency,
   vs the ideal: one projects call plus ceil(N / 4) rounds of balance calls (4 at a time).
3. The tray's resident memory after start and after a 1,000-poll soak on a fake clock, vs a
   minimal pystray icon on the same backend (target <= 1.25x, no growth), and CPU time while idle.
4. Requests per day at default settings for 1 and 10 projects (a simulated day).
5. Start to icon visible, vs the minimal icon.

Runs on Xvfb with a trayer panel and pystray's gtk backend, against the test HTTP server.
`--quick` (used in CI) takes fewer samples and a 50-poll soak: it shows the command works, not
numbers to quote.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.cli_latency import KEY, balance_commands, compare, describe_machine, write_section  # noqa: E402
from benchmarks.tray_resources import (  # noqa: E402
    BENCH_ENV,
    MINIMAL_ICON,
    cpu_seconds,
    python_pid,
    rss_mib,
    start,
    start_to_icon,
)
from tests.support.clock import FakeClock  # noqa: E402
from tests.support.deepgram_server import FakeDeepgram  # noqa: E402
from tests.support.desktop import VirtualDesktop, stop_process_group  # noqa: E402
from tests.support.pypi_server import NOWHERE as NO_UPDATES  # noqa: E402
from trayapp.config import Settings  # noqa: E402
from trayapp.deepgram.client import MAX_CONCURRENT_REQUESTS, DeepgramClient  # noqa: E402
from trayapp.deepgram.models import Project  # noqa: E402
from trayapp.outlook.fetch import read_forecast_inputs  # noqa: E402
from trayapp.outlook.forecast import ForecastInputs  # noqa: E402
from trayapp.tray.fetch_process import fetch_in_child_process  # noqa: E402
from trayapp.tray.poller import FetchResult, Poller  # noqa: E402

LATENCY = 0.1


def server_with(projects: int, *, latency: float = 0.0) -> FakeDeepgram:
    server = FakeDeepgram(latency=latency)
    server.add_key(KEY)
    for index in range(projects):
        server.add_project(
            f"p{index}",
            f"Project {index}",
            [{"balance_id": f"b{index}", "amount": 10, "units": "usd"}],
        )
    return server.start()


# --- 1. the CLI ----------------------------------------------------------------------------------


def cli_latency(runs: int) -> dict[str, float]:
    tray = shutil.which("deepgram-tray", path=str(Path(sys.executable).parent))
    assert tray is not None, "install the project first (scripts/test does)"
    server = server_with(1)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            commands, env = balance_commands(tray, server.base_url, "p0", Path(scratch))
            samples = compare(commands, env, runs)
    finally:
        server.stop()
    return {name: statistics.median(values) for name, values in samples.items()}


# --- 2. refresh time -----------------------------------------------------------------------------


def refresh_time(projects: int, runs: int) -> tuple[float, float]:
    """(median seconds for one tray refresh through its fetch worker, the ideal)."""
    server = server_with(projects, latency=LATENCY)
    settings = Settings(api_url=server.base_url)
    try:
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            result = fetch_in_child_process(settings, None)
            samples.append(time.perf_counter() - started)
            assert len(result.snapshot.projects) == projects and not result.snapshot.errors
    finally:
        server.stop()
    ideal = LATENCY * (1 + math.ceil(projects / MAX_CONCURRENT_REQUESTS))
    return statistics.median(samples), ideal


# --- 3. memory and CPU ---------------------------------------------------------------------------


def tray_memory(desktop: VirtualDesktop, polls: int, idle_seconds: float) -> dict[str, float]:
    server = server_with(2)
    data_home = tempfile.TemporaryDirectory()  # the soaked tray's balance history
    env = {
        "DEEPGRAM_TRAY_API_URL": server.base_url,
        "DEEPGRAM_TRAY_UPDATES_URL": NO_UPDATES,  # never the real PyPI while measuring
        "DEEPGRAM_API_KEY": KEY,
        "XDG_DATA_HOME": data_home.name,
    }
    driver = [str(REPO / "benchmarks" / "tray_soak_driver.py"), str(polls)]
    minimal = start(desktop, ["-c", MINIMAL_ICON], {})
    try:
        soak = subprocess.run(
            ["dbus-run-session", "--", sys.executable, *driver],
            env=desktop.env(PYSTRAY_BACKEND="gtk", **BENCH_ENV, **env),
            capture_output=True,
            text=True,
            timeout=3600,
            check=True,
        )
        result: dict[str, float] = json.loads(soak.stdout.strip().splitlines()[-1])
        result["minimal_rss_mib"] = rss_mib(python_pid(minimal))
    finally:
        stop_process_group(minimal)
        data_home.cleanup()

    # Idle CPU: the real tray as users run it, between two polls (default interval 300 s).
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch)
        (home / "run").mkdir(mode=0o700)
        tray_env = {
            **env,
            "HOME": str(home),
            "XDG_RUNTIME_DIR": str(home / "run"),
            "XDG_STATE_HOME": str(home / "state"),
            "DEEPGRAM_TRAY_CONFIG": str(home / "config.toml"),
        }
        tray = start(desktop, ["-m", "trayapp", "run"], tray_env)
        try:
            pid = python_pid(tray)
            deadline = time.monotonic() + 30
            while desktop.tray_icon_colour() != "green" and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(2)
            before = cpu_seconds(pid)
            time.sleep(idle_seconds)
            result["idle_cpu_ms"] = (cpu_seconds(pid) - before) * 1000
            result["idle_seconds"] = idle_seconds
        finally:
            stop_process_group(tray)
    server.stop()
    return result


# --- 4. requests per day -------------------------------------------------------------------------


def requests_per_day(projects: int) -> int:
    """A simulated day at default settings: the real poller and client, a fake clock."""
    server = server_with(projects)
    clock = FakeClock()

    def fetch(settings: Settings, known: list[Project] | None) -> FetchResult:
        with DeepgramClient(settings.api_url, KEY) as client:
            listed = client.list_projects() if known is None else known
            return FetchResult(client.fetch_snapshot(settings.projects, projects=listed), listed)

    def fetch_forecast_inputs(settings: Settings, project_ids: list[str]) -> ForecastInputs:
        with DeepgramClient(settings.api_url, KEY) as client:
            return read_forecast_inputs(client, project_ids, datetime.now(timezone.utc).date())

    settings = Settings(api_url=server.base_url)  # every other setting at its default
    poller = Poller(
        load_settings=lambda: settings,
        fetch=fetch,
        on_state=lambda state: None,
        on_alert=lambda alert: None,
        clock=clock.clock,
        fetch_forecast_inputs=fetch_forecast_inputs,
    )
    end = clock.mono + 86400
    try:
        while clock.mono < end:
            poller.step()
            clock.advance(max(poller.seconds_until_next_turn(), 0.001))
        return len(server.requests)
    finally:
        server.stop()


# --- 5. start to icon ----------------------------------------------------------------------------


def start_times(desktop: VirtualDesktop, runs: int) -> dict[str, float]:
    server = server_with(2)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            home = Path(scratch)
            (home / "run").mkdir(mode=0o700)
            env = {
                "HOME": str(home),
                "XDG_RUNTIME_DIR": str(home / "run"),
                "XDG_STATE_HOME": str(home / "state"),
                "DEEPGRAM_TRAY_CONFIG": str(home / "config.toml"),
                "DEEPGRAM_TRAY_API_URL": server.base_url,
                "DEEPGRAM_TRAY_UPDATES_URL": NO_UPDATES,  # never the real PyPI while measuring
                "DEEPGRAM_API_KEY": KEY,
            }
            ours, minimal = [], []
            for _ in range(runs):
                ours.append(start_to_icon(desktop, ["-m", "trayapp", "run"], env))
                minimal.append(start_to_icon(desktop, ["-c", MINIMAL_ICON], {}))
    finally:
        server.stop()
    return {
        "ours_visible": statistics.median(v for v, _ in ours),
        "ours_amount": statistics.median(g for _, g in ours),
        "minimal": statistics.median(g for _, g in minimal),
    }


# --- the table -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few samples: a smoke run for CI")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    # The tray's fetch worker finds the key as it would on a server: in the environment.
    os.environ.update(DEEPGRAM_API_KEY=KEY, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    runs = 3 if args.quick else 30
    polls = 50 if args.quick else 1000
    idle = 10.0 if args.quick else 60.0

    cli = cli_latency(runs)
    refresh = {n: refresh_time(n, 2 if args.quick else 10) for n in (1, 10, 50)}
    per_day = {n: requests_per_day(n) for n in (1, 10)}
    desktop = VirtualDesktop().start()
    try:
        memory = tray_memory(desktop, polls, idle)
        starts = start_times(desktop, 1 if args.quick else 5)
    finally:
        desktop.stop()

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.0f} ms"

    rows = [
        ("1. `deepgram-tray balance`", ms(cli["ours"]), "bare `requests` script",
         ms(cli["requests"]), cli["ours"] / cli["requests"], "<= 1.2x"),
    ]  # fmt: skip
    if "curl" in cli:
        rows.append(("1. `deepgram-tray balance`", ms(cli["ours"]), "curl (the floor)",
                     ms(cli["curl"]), cli["ours"] / cli["curl"], "-"))  # fmt: skip
    for n, (took, ideal) in refresh.items():
        rows.append((f"2. refresh, {n} project{'s' if n > 1 else ''}, 100 ms latency", ms(took),
                     "ideal: 1 + ceil(N/4) round trips", ms(ideal), took / ideal, "-"))  # fmt: skip
    rows += [
        ("3. tray memory after start", f"{memory['rss_start_mib']:.1f} MiB",
         "minimal pystray icon", f"{memory['minimal_rss_mib']:.1f} MiB",
         memory["rss_start_mib"] / memory["minimal_rss_mib"], "<= 1.25x"),
        (f"3. tray memory after {memory['polls']:.0f} polls", f"{memory['rss_end_mib']:.1f} MiB",
         "the same tray after start", f"{memory['rss_start_mib']:.1f} MiB",
         memory["rss_end_mib"] / memory["rss_start_mib"], "no growth"),
        (f"3. CPU while idle, {memory['idle_seconds']:.0f} s", f"{memory['idle_cpu_ms']:.0f} ms",
         "-", "-", None, "~0"),
        ("4. requests per day, 1 project", str(per_day[1]), "polls a day at 300 s", "288",
         per_day[1] / 288, "-"),
        ("4. requests per day, 10 projects", str(per_day[10]), "polls a day at 300 s", "288",
         per_day[10] / 288, "-"),
        ("5. start to icon on screen", ms(starts["ours_visible"]), "minimal pystray icon",
         ms(starts["minimal"]), starts["ours_visible"] / starts["minimal"], "-"),
        ("5. start to the first amount", ms(starts["ours_amount"]), "-", "-", None, "-"),
    ]  # fmt: skip
    lines = [
        f"Machine: {describe_machine()}; Xvfb + trayer, pystray gtk backend"
        f"{'; QUICK MODE, not for quoting' if args.quick else ''}.",
        "",
        "| measure | ours | compared with | its value | ratio | target |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, ours, baseline, theirs, ratio, target in rows:
        shown = f"{ratio:.2f}x" if ratio is not None else "-"
        lines.append(f"| {name} | {ours} | {baseline} | {theirs} | {shown} | {target} |")
    lines.append("")
    lines.append(
        f"Threads in the soaked tray: {memory['threads_start']:.0f} after start, "
        f"{memory['threads_end']:.0f} after the polls."
    )
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_section(REPO / "BENCHMARKS.md", "summary", table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
