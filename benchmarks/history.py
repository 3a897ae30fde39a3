"""The balance history's costs: the tray's write at each poll, the file's size after a year, the
export, and drawing the window's chart.

    python benchmarks/history.py [--quick] [--write]

A year at the default 300 s interval is 105,120 polls. Writing them one by one as the tray does
would take a while (each write is a committed transaction), so the file is built as the tray's
thinning leaves it (one sample a day before the last 90 days, every sample since) and the tray's
own `record()` is then timed on top of it, which also thins.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.cli_latency import describe_machine, write_section
from trayapp.outlook.history import THIN_AFTER, _open, main_unit_samples, read, record
from trayapp.tk.history_chart import draw_chart, history_view

REPO = Path(__file__).resolve().parent.parent
POLL = timedelta(seconds=300)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def year_of_history(path: Path) -> int:
    """A year of $4-a-day samples as the tray would have left it; returns the row count."""
    rows: list[tuple[int, str, str]] = []
    total = Decimal(2000)
    moment = NOW - timedelta(days=365)
    while moment <= NOW:
        old = moment < NOW - THIN_AFTER
        if not old or (moment + POLL).date() != moment.date():  # thinned: each day's last
            rows.append((int(moment.timestamp()), "usd", str(total)))
        total -= Decimal(4) * Decimal(POLL.total_seconds()) / 86400
        moment += POLL
    with _open(path) as db:
        db.executemany("INSERT OR REPLACE INTO samples (at, units, total) VALUES (?, ?, ?)", rows)
    return len(rows)


def time_records(path: Path, count: int) -> float:
    """Median seconds of the tray's record(): one transaction that inserts, thins, and reads the
    forecast window back for the spend rate."""
    times = []
    moment = NOW
    for _ in range(count):
        moment += POLL
        start = time.perf_counter()
        record(path, moment, {"usd": Decimal("123.45678")})
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_export(path: Path, runs: int) -> float:
    env = {"XDG_DATA_HOME": str(path.parent.parent), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "trayapp", "history", "--days", "90"]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, cwd=REPO, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_chart(path: Path, runs: int) -> float:
    """Reading 90 days and drawing the chart, as the window does on each redraw."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        samples = main_unit_samples(read(path, NOW - timedelta(days=90)))
        draw_chart(history_view(samples, 90, NOW, lambda at: at.date()))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few samples: a smoke run for CI")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    runs = 3 if args.quick else 20
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "deepgram-balance-tray" / "history.sqlite3"
        rows = year_of_history(path)
        size = path.stat().st_size
        write = time_records(path, runs * 5)
        export = time_export(path, runs)
        chart = time_chart(path, runs)
    body = "\n".join(
        [
            f"Machine: {describe_machine()}. Medians of {runs * 5} writes, {runs} exports and "
            f"{runs} charts{'; QUICK MODE, not for quoting' if args.quick else ''}.",
            "",
            "| measure | value |",
            "| --- | --- |",
            f"| history after a year of 300 s polls | {rows:,} rows, {size / 1024:,.0f} KiB |",
            f"| the tray's write at each poll (commit, thin, read the week back) | "
            f"{write * 1000:.1f} ms |",
            f"| `deepgram-tray history --days 90` (25,920 samples) | {export * 1000:.0f} ms |",
            f"| the window's 90-day redraw: read and draw | {chart * 1000:.0f} ms |",
        ]
    )
    print(body)
    if args.write:
        write_section(REPO / "BENCHMARKS.md", "history", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
