"""`deepgram-tray serve` under load, and what a status-bar snippet costs Deepgram.

    python benchmarks/exporter.py [--quick] [--write]

Against the test HTTP server (two projects), run with this checkout's `.venv` Python:
  1. the exporter's resident memory (VmRSS) after its first read, and after a minute of scrapes;
  2. /metrics latency (p50, p95, p99, max) under 50 scrapes a second for 60 s, paced, from 8
     client threads, and the reads of Deepgram those scrapes caused (the goal: none);
  3. the calls to Deepgram a bar snippet causes: `balance --format waybar --max-age M` run every
     S seconds, with time compressed (S = 1 s, M = 6 s, for 60 runs), scaled to a day of the
     README's snippet (every 60 s, --max-age 360), next to the same snippet without --max-age.
`--quick` (3 s of load, 8 snippet runs) shows that it works, not numbers to quote.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.cli_latency import describe_machine, write_section  # noqa: E402
from tests.conftest import OWNER_KEY, populate  # noqa: E402
from tests.support.deepgram_server import FakeDeepgram  # noqa: E402
from tests.support.exporter_process import ExporterProcess  # noqa: E402
from tests.support.waiting import wait_until  # noqa: E402

SCRAPES_PER_SECOND = 50
CLIENTS = 8
SNIPPET_EVERY, SNIPPET_MAX_AGE = 60, 360
"""The README's snippets: run every minute, answered from a read at most six minutes old."""
SECONDS_PER_DAY = 86_400


def environment(folder: Path, server: FakeDeepgram) -> dict[str, str]:
    home = folder / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEEPGRAM_", "XDG_"))}
    env.update(
        HOME=str(home),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        DEEPGRAM_TRAY_CONFIG=str(folder / "config.toml"),
        DEEPGRAM_TRAY_API_URL=server.base_url,
        DEEPGRAM_API_KEY=OWNER_KEY,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        PYTHONPATH=str(REPO),
        NO_PROXY="*",
    )
    (folder / "config.toml").write_text("poll_interval = 300\n")
    return env


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def load(url: str, seconds: float) -> tuple[list[float], int]:
    """Paced scrapes at SCRAPES_PER_SECOND from CLIENTS threads: latencies (s) and failures."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    start = time.monotonic()
    total = int(seconds * SCRAPES_PER_SECOND)

    def client(first: int) -> None:
        nonlocal failures
        for n in range(first, total, CLIENTS):
            due = start + n / SCRAPES_PER_SECOND
            time.sleep(max(0.0, due - time.monotonic()))
            began = time.perf_counter()
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    response.read()
                    ok = response.status == 200
            except OSError:
                ok = False
            took = time.perf_counter() - began
            with lock:
                latencies.append(took)
                failures += not ok

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def snippet_calls(env: dict[str, str], server: FakeDeepgram, runs: int, max_age: int) -> int:
    """Calls to Deepgram made by `runs` runs of the bar snippet, one a second."""
    before = len(server.requests)
    command = [sys.executable, "-m", "trayapp", "balance", "--format", "waybar"]
    if max_age:
        command += ["--max-age", str(max_age)]
    start = time.monotonic()
    for n in range(runs):
        time.sleep(max(0.0, start + n - time.monotonic()))
        subprocess.run(command, env=env, capture_output=True, check=False, timeout=60)
    return len(server.requests) - before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    load_seconds, runs = (3, 8) if args.quick else (60, 60)

    rows: list[str] = []
    with tempfile.TemporaryDirectory() as scratch, populate(FakeDeepgram()) as server:
        folder = Path(scratch)
        env = environment(folder, server)
        exporter = ExporterProcess(env, folder / "serve")
        try:
            wait_until(
                lambda: "deepgram_balance_total{" in exporter.get("/metrics")[1],
                what="the first read",
            )
            after_start = rss_mib(exporter.process.pid)
            reads_before = len(server.requests_to("/balances"))
            latencies, failures = load(exporter.url + "/metrics", load_seconds)
            reads = len(server.requests_to("/balances")) - reads_before
            after_load = rss_mib(exporter.process.pid)
        finally:
            exporter.stop()
        ms = [t * 1000 for t in latencies]
        rows += [
            f"| exporter memory after its first read | {after_start:.1f} MiB |",
            f"| exporter memory after {len(ms)} scrapes | {after_load:.1f} MiB |",
            f"| /metrics at {SCRAPES_PER_SECOND}/s: p50 / p95 / p99 / max | "
            f"{statistics.median(ms):.1f} / {percentile(ms, 0.95):.1f} / "
            f"{percentile(ms, 0.99):.1f} / {max(ms):.1f} ms |",
            f"| failed scrapes | {failures} of {len(ms)} |",
            f"| balance reads of Deepgram during the scrapes | {reads} |",
        ]

        # The same number of runs per read as the real snippet: runs 1 s apart, max age 6 s.
        compressed_max_age = SNIPPET_MAX_AGE // SNIPPET_EVERY
        with_max_age = snippet_calls(env, server, runs, compressed_max_age)
        without = snippet_calls(env, server, runs, 0)
        runs_a_day = SECONDS_PER_DAY // SNIPPET_EVERY
        rows += [
            f"| bar snippet: {runs} runs 1 s apart, --max-age {compressed_max_age} | "
            f"{with_max_age} calls |",
            f"| the same, a day at every {SNIPPET_EVERY} s with --max-age {SNIPPET_MAX_AGE} | "
            f"{with_max_age * runs_a_day // runs} calls |",
            f"| the same, a day without --max-age | {without * runs_a_day // runs} calls |",
        ]

    body = "\n".join(
        [
            f"Machine: {describe_machine()}. Test server with two projects"
            + (" (quick run: not numbers to quote)." if args.quick else "."),
            "",
            "| measure | value |",
            "| --- | --- |",
            *rows,
        ]
    )
    print(body)
    if args.write:
        write_section(REPO / "BENCHMARKS.md", "exporter", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
