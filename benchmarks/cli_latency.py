"""How long `deepgram-tray` takes next to the least a program could do, measured in one run.

    python benchmarks/cli_latency.py [--runs N] [--write]

Compared side by side, runs interleaved so machine noise hits both sides alike:
  * `deepgram-tray balance` vs a bare Python script making the same two requests with `requests`,
    and vs `curl` making them (the floor);
  * `deepgram-tray --version` vs `python -c pass` (interpreter start-up).
All against the test HTTP server on 127.0.0.1 with one project and one balance.
`--write` puts the table into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.deepgram_server import FakeDeepgram  # noqa: E402

KEY = "benchmarkkey0000000000000000000000000000"

BARE_SCRIPT = """
import os, requests
base, key = os.environ["DEEPGRAM_TRAY_API_URL"], os.environ["DEEPGRAM_API_KEY"]
session = requests.Session()
headers = {"Authorization": f"Token {key}"}
projects = session.get(f"{base}/v1/projects", headers=headers, timeout=10).json()["projects"]
pid = projects[0]["project_id"]
balances = session.get(f"{base}/v1/projects/{pid}/balances", headers=headers, timeout=10).json()
print(sum(float(b["amount"]) for b in balances["balances"]))
"""


def time_once(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def compare(pairs: dict[str, list[str]], env: dict[str, str], runs: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in pairs}
    for command in pairs.values():  # warm the page cache and .pyc files
        for _ in range(3):
            time_once(command, env)
    for _ in range(runs):
        for name, command in pairs.items():
            samples[name].append(time_once(command, env))
    return samples


def balance_commands(
    tray: str, base_url: str, project_id: str, scratch: Path
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The same two API calls made three ways, and their environment: `deepgram-tray balance`
    ("ours"), the bare `requests` script ("requests") and, where installed, curl ("curl")."""
    header = scratch / "auth-header"
    header.write_text(f"Authorization: Token {KEY}\n")
    env = {
        **os.environ,
        "DEEPGRAM_API_KEY": KEY,
        "DEEPGRAM_TRAY_API_URL": base_url,
        "DEEPGRAM_TRAY_CONFIG": str(scratch / "none.toml"),
    }
    commands = {"ours": [tray, "balance"], "requests": [sys.executable, "-c", BARE_SCRIPT]}
    curl = shutil.which("curl")
    if curl:
        commands["curl"] = [
            curl, "-sf", "-H", f"@{header}",
            f"{base_url}/v1/projects", f"{base_url}/v1/projects/{project_id}/balances",
        ]  # fmt: skip
    return commands, env


def describe_machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()

    tray = shutil.which("deepgram-tray", path=str(Path(sys.executable).parent))
    if tray is None:
        print("Install the project first (scripts/test does), then run this with its Python.")
        return 2

    with FakeDeepgram() as server, tempfile.TemporaryDirectory() as scratch:
        server.add_key(KEY)
        server.add_project(
            "p1", "Bench", [{"balance_id": "b1", "amount": 104.56822227, "units": "usd"}]
        )
        balance, env = balance_commands(tray, server.base_url, "p1", Path(scratch))
        startup = {
            "version": [tray, "--version"],
            "bare": [sys.executable, "-c", "pass"],
        }
        results = {**compare(balance, env, args.runs), **compare(startup, env, args.runs)}

    medians = {name: statistics.median(values) for name, values in results.items()}
    labels = {
        "ours": "deepgram-tray balance",
        "requests": "bare requests script",
        "curl": "curl",
        "version": "deepgram-tray --version",
        "bare": "python -c pass",
    }
    rows = [("ours", "requests", 1.2), ("version", "bare", 3.0)]
    lines = [
        f"Machine: {describe_machine()}. {args.runs} interleaved runs each, medians.",
        "",
        "| command | median | compared with | its median | ratio | target |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for ours, baseline, target in rows:
        ratio = medians[ours] / medians[baseline]
        verdict = "met" if ratio <= target else "missed"
        lines.append(
            f"| `{labels[ours]}` | {medians[ours] * 1000:.0f} ms | `{labels[baseline]}` | "
            f"{medians[baseline] * 1000:.0f} ms | {ratio:.2f}x | <= {target}x ({verdict}) |"
        )
    if "curl" in medians:
        ratio = medians["ours"] / medians["curl"]
        lines.append(
            f"| `{labels['ours']}` | {medians['ours'] * 1000:.0f} ms | "
            f"`curl` (floor) | {medians['curl'] * 1000:.0f} ms | {ratio:.2f}x | - |"
        )
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_section(REPO / "BENCHMARKS.md", "cli-latency", table)
    return 0


def write_section(path: Path, name: str, body: str) -> None:
    """Replace the text between this section's markers, keeping the rest of the file."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = path.read_text() if path.exists() else ""
    block = f"{start}\n{body}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip() + f"\n\n{block}\n"
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
