"""Several accounts: what one worker run per poll saves over a run per account.

    python benchmarks/accounts.py [--quick] [--write]

Against the test HTTP server with 100 ms added to every answer, N accounts of two projects each,
each with its own key: the median time of one tray poll as the tray makes it (one `_fetch`
worker run reading the accounts side by side), next to a worker run per account one after the
other (what a poller per account would cost), next to the network's own floor (one listing and one
round of balance calls per round of accounts read together). `--quick` takes one sample each: it
shows the command works.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.cli_latency import describe_machine, write_section  # noqa: E402
from tests.support.deepgram_server import FakeDeepgram  # noqa: E402
from trayapp.config import Settings  # noqa: E402
from trayapp.credentials import key_env_var  # noqa: E402
from trayapp.tray.fetch_process import fetch_accounts_in_child_process  # noqa: E402
from trayapp.tray.poller import AccountRead, FetchResult  # noqa: E402
from trayapp.tray.worker_protocol import MAX_ACCOUNTS_AT_ONCE  # noqa: E402

LATENCY = 0.1
PROJECTS_EACH = 2


def account_names(count: int) -> list[str]:
    return ["default", *(f"client-{n}" for n in range(1, count))]


def server_with(accounts: list[str]) -> FakeDeepgram:
    """Each account its own key (in the environment, as the worker finds it) and projects."""
    server = FakeDeepgram(latency=LATENCY)
    for number, name in enumerate(accounts):
        key = f"{number:04d}" * 10
        server.add_key(key, account=name)
        os.environ[key_env_var(name)] = key
        for index in range(PROJECTS_EACH):
            server.add_project(
                f"{name}-p{index}",
                f"{name} {index}",
                [{"balance_id": f"b-{name}-{index}", "amount": 10, "units": "usd"}],
                account=name,
            )
    return server.start()


def timed(reads: list[AccountRead]) -> float:
    started = time.perf_counter()
    answers = fetch_accounts_in_child_process(reads)
    elapsed = time.perf_counter() - started
    assert all(isinstance(a, FetchResult) and not a.snapshot.errors for a in answers), answers
    return elapsed


def poll_times(count: int, runs: int) -> tuple[float, float, float]:
    """(one run for every account, a run per account, the floor), median seconds."""
    names = account_names(count)
    server = server_with(names)
    settings = Settings(api_url=server.base_url)
    reads = [AccountRead(name, settings, None) for name in names]
    try:
        together = [timed(reads) for _ in range(runs)]
        apart = [sum(timed([read]) for read in reads) for _ in range(runs)]
    finally:
        server.stop()
    # Per round of accounts read together: the listings, then their balances at once.
    floor = math.ceil(count / MAX_ACCOUNTS_AT_ONCE) * 2 * LATENCY
    return statistics.median(together), statistics.median(apart), floor


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one sample: a smoke run for CI")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    os.environ.update(PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    runs = 1 if args.quick else 10
    rows = [
        "| accounts | one worker run (the tray) | a run per account | saved | network floor |",
        "| --- | --- | --- | --- | --- |",
    ]
    for count in (1, 3, 5):
        together, apart, floor = poll_times(count, runs)
        rows.append(
            f"| {count} | {together * 1000:.0f} ms | {apart * 1000:.0f} ms | "
            f"{(apart - together) * 1000:.0f} ms | {floor * 1000:.0f} ms |"
        )
    body = "\n".join(
        [
            f"Machine: {describe_machine()}; {LATENCY * 1000:.0f} ms added to every answer, "
            f"{PROJECTS_EACH} projects per account, median of {runs}"
            f"{'; QUICK MODE, not for quoting' if args.quick else ''}.",
            "",
            *rows,
        ]
    )
    print(body)
    if args.write and not args.quick:
        write_section(REPO / "BENCHMARKS.md", "accounts", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
