"""The Linux PyInstaller bundle next to the pip-installed app, in one run.

    python benchmarks/bundle.py [--bundle dist/deepgram-tray] [--runs 5] [--write]

Build the bundle first (packaging/build-linux.sh). Measures its size on disk and as a download,
and, interleaved on the same Xvfb + trayer desktop against the test HTTP server: start to icon,
start to the first amount, the tray's resident memory, and the CLI's `--version` and `balance`.
The pip side is this checkout's .venv (the system Python with the distribution's GTK): a pip install
shares those with the system, the bundle carries its own.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.cli_latency import describe_machine, write_section  # noqa: E402
from benchmarks.tray_resources import python_pid, rss_mib, start, start_to_icon  # noqa: E402
from tests.conftest import OWNER_KEY, populate  # noqa: E402
from tests.support.deepgram_server import FakeDeepgram  # noqa: E402
from tests.support.desktop import VirtualDesktop, stop_process_group  # noqa: E402
from tests.support.pypi_server import NOWHERE as NO_UPDATES  # noqa: E402


def folder_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_size for p in files), len(files)


def tarball_size(folder: Path) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "bundle.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(folder, arcname=folder.name)
        return archive.stat().st_size


def wall_ms(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, capture_output=True, check=True, timeout=60)
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=REPO / "dist" / "deepgram-tray")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    program = str((args.bundle / "deepgram-tray").resolve())
    if not Path(program).is_file():
        sys.exit(f"No bundle at {args.bundle}: run packaging/build-linux.sh first.")

    size, files = folder_size(args.bundle)
    download = tarball_size(args.bundle)

    with FakeDeepgram() as server, tempfile.TemporaryDirectory() as scratch:
        populate(server)
        home = Path(scratch)
        (home / "run").mkdir(mode=0o700)
        env = {
            "HOME": str(home),
            "XDG_RUNTIME_DIR": str(home / "run"),
            "XDG_STATE_HOME": str(home / "state"),
            "DEEPGRAM_TRAY_CONFIG": str(home / "config.toml"),
            "DEEPGRAM_TRAY_API_URL": server.base_url,
            "DEEPGRAM_TRAY_UPDATES_URL": NO_UPDATES,  # never the real PyPI while measuring
            "DEEPGRAM_API_KEY": OWNER_KEY,
        }
        sides = {"bundle": [program], "pip": ["-m", "trayapp"]}
        cli_env = {**os.environ, **env}
        cli: dict[str, dict[str, list[float]]] = {s: {"version": [], "balance": []} for s in sides}
        starts: dict[str, list[tuple[float, float]]] = {s: [] for s in sides}
        rss: dict[str, float] = {}
        desktop = VirtualDesktop().start()
        try:
            for _ in range(args.runs):  # interleaved, so drift hits both sides alike
                for side, prefix in sides.items():
                    command = prefix if side == "bundle" else [sys.executable, *prefix]
                    cli[side]["version"].append(wall_ms([*command, "--version"], cli_env))
                    cli[side]["balance"].append(wall_ms([*command, "balance"], cli_env))
                    starts[side].append(start_to_icon(desktop, [*prefix, "run"], env))
            for side, prefix in sides.items():
                session = start(desktop, [*prefix, "run"], env)
                try:
                    argv0 = prefix[0] if side == "bundle" else sys.executable
                    pid = python_pid(session, program=argv0)
                    time.sleep(10)  # past the first fetch
                    rss[side] = rss_mib(pid)
                finally:
                    stop_process_group(session)
        finally:
            desktop.stop()

    def median_ms(values: list[float]) -> float:
        return statistics.median(values)

    def start_ms(side: str, which: int) -> float:
        return statistics.median(s[which] for s in starts[side]) * 1000

    rows = [
        ("start to icon on screen", start_ms("bundle", 0), start_ms("pip", 0), "ms"),
        ("start to the first amount", start_ms("bundle", 1), start_ms("pip", 1), "ms"),
        (
            "`deepgram-tray --version`",
            median_ms(cli["bundle"]["version"]),
            median_ms(cli["pip"]["version"]),
            "ms",
        ),
        (
            "`deepgram-tray balance`",
            median_ms(cli["bundle"]["balance"]),
            median_ms(cli["pip"]["balance"]),
            "ms",
        ),
        ("tray resident memory after 10 s", rss["bundle"], rss["pip"], "MiB"),
    ]
    lines = [
        f"Machine: {describe_machine()}; Xvfb + trayer, pystray gtk backend, "
        f"medians of {args.runs} interleaved runs.",
        "",
        f"Bundle: {size / 2**20:.0f} MiB on disk in {files} files; "
        f"{download / 2**20:.0f} MiB as a .tar.gz download.",
        "",
        "| measure | bundle | pip install | ratio |",
        "| --- | --- | --- | --- |",
    ]
    for name, bundle_value, pip_value, unit in rows:
        digits = 1 if unit == "MiB" else 0
        lines.append(
            f"| {name} | {bundle_value:.{digits}f} {unit} | {pip_value:.{digits}f} {unit} | "
            f"{bundle_value / pip_value:.2f}x |"
        )
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_section(REPO / "BENCHMARKS.md", "bundle", table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
