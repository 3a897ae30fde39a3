"""What the running tray costs, next to a minimal pystray icon on the same backend, in one run.

    python benchmarks/tray_resources.py [--minutes 10] [--write]

On Xvfb with a trayer panel and pystray's gtk backend, against the test HTTP server:
  * start-to-icon: from process start to the icon's pixels on screen (each app alone);
  * resident memory (VmRSS) after --minutes, both running side by side;
  * CPU time used while idle between polls, over 60 s.
Needs the tools scripts/test installs (Xvfb, trayer, xdotool, xwininfo).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.cli_latency import describe_machine, write_section  # noqa: E402
from tests.conftest import OWNER_KEY, populate  # noqa: E402
from tests.support.deepgram_server import FakeDeepgram  # noqa: E402
from tests.support.desktop import VirtualDesktop, stop_process_group  # noqa: E402
from tests.support.pypi_server import NOWHERE as NO_UPDATES  # noqa: E402

MINIMAL_ICON = """
import pystray
from PIL import Image, ImageDraw
image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
ImageDraw.Draw(image).rounded_rectangle((0, 0, 63, 63), radius=14, fill=(34, 150, 60, 255))
icon = pystray.Icon("minimal", image, "Minimal", pystray.Menu(
    pystray.MenuItem("Quit", lambda icon, item: icon.stop())))
icon.run()
"""


BENCH_ENV = {"GDK_GL": "disable"}
"""Xvfb has no GPU: on some machines GTK then maps Mesa's software GL (llvmpipe, ~50 MiB of
libLLVM) into one process and not another, depending on when it first draws. Every GTK process
measured here runs without GL, so the comparisons are like for like."""


def start(desktop: VirtualDesktop, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Python with `args`, or any program when `args` starts with an absolute path."""
    command = args if args and Path(args[0]).is_absolute() else [sys.executable, *args]
    return subprocess.Popen(
        ["dbus-run-session", "--", *command],
        env=desktop.env(PYSTRAY_BACKEND="gtk", **BENCH_ENV, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def python_pid(
    session: subprocess.Popen[bytes], timeout: float = 20, program: str = sys.executable
) -> int:
    """The Python process (or `program`) under dbus-run-session."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = Path(f"/proc/{session.pid}/task/{session.pid}/children").read_text().split()
        for pid in children:
            # Match argv[0] exactly: until dbus-run-session's other child execs dbus-daemon, its
            # command line still mentions Python.
            argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
            if argv0 == program.encode():
                return int(pid)
        time.sleep(0.05)
    raise RuntimeError("the Python process did not start")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_to_icon(
    desktop: VirtualDesktop, args: list[str], env: dict[str, str]
) -> tuple[float, float]:
    """Seconds from start to an icon on screen (any colour), and to the green one."""
    started = time.perf_counter()
    session = start(desktop, args, env)
    visible = None
    try:
        deadline = time.monotonic() + 30
        while (colour := desktop.tray_icon_colour()) != "green":
            if colour is not None and visible is None:
                visible = time.perf_counter() - started
            if time.monotonic() > deadline:
                raise RuntimeError("no green icon within 30 s")
            time.sleep(0.02)
        green = time.perf_counter() - started
        return (visible if visible is not None else green), green
    finally:
        stop_process_group(session)
        deadline = time.monotonic() + 10
        while desktop.tray_icon_colour() is not None and time.monotonic() < deadline:
            time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()

    with FakeDeepgram() as server, tempfile.TemporaryDirectory() as scratch:
        populate(server)
        home = Path(scratch)
        (home / "run").mkdir(mode=0o700)
        ours_env = {
            "HOME": str(home),
            "XDG_RUNTIME_DIR": str(home / "run"),
            "XDG_STATE_HOME": str(home / "state"),
            "DEEPGRAM_TRAY_CONFIG": str(home / "config.toml"),
            "DEEPGRAM_TRAY_API_URL": server.base_url,
            "DEEPGRAM_TRAY_UPDATES_URL": NO_UPDATES,  # never the real PyPI while measuring
            "DEEPGRAM_API_KEY": OWNER_KEY,
        }
        ours_args = ["-m", "trayapp", "run"]
        minimal_args = ["-c", MINIMAL_ICON]
        desktop = VirtualDesktop().start()
        try:
            ours_start = [start_to_icon(desktop, ours_args, ours_env) for _ in range(3)]
            minimal_start = [start_to_icon(desktop, minimal_args, {}) for _ in range(3)]

            ours = start(desktop, ours_args, ours_env)
            minimal = start(desktop, minimal_args, {})
            try:
                ours_pid, minimal_pid = python_pid(ours), python_pid(minimal)
                time.sleep(5)  # let the first fetch finish
                cpu_before = cpu_seconds(ours_pid), cpu_seconds(minimal_pid)
                time.sleep(60)  # default poll interval is 300 s: this minute is idle
                cpu_after = cpu_seconds(ours_pid), cpu_seconds(minimal_pid)
                rss_start = rss_mib(ours_pid), rss_mib(minimal_pid)
                time.sleep(max(0.0, args.minutes * 60 - 65))
                rss_end = rss_mib(ours_pid), rss_mib(minimal_pid)
                balance_calls = len(server.requests_to("/balances$"))
            finally:
                stop_process_group(ours)
                stop_process_group(minimal)
        finally:
            desktop.stop()

    ours_visible = sorted(v for v, _ in ours_start)[1] * 1000
    ours_green = sorted(g for _, g in ours_start)[1] * 1000
    minimal_ms = sorted(g for _, g in minimal_start)[1] * 1000
    lines = [
        f"Machine: {describe_machine()}; Xvfb + trayer, pystray gtk backend.",
        "",
        "| measure | deepgram-tray | minimal pystray icon | ratio | target |",
        "| --- | --- | --- | --- | --- |",
        f"| start to icon on screen (median of 3) | {ours_visible:.0f} ms | {minimal_ms:.0f} ms | "
        f"{ours_visible / minimal_ms:.2f}x | - |",
        f"| start to the first amount on the icon | {ours_green:.0f} ms | - | - | - |",
        f"| resident memory after 1 min | {rss_start[0]:.1f} MiB | {rss_start[1]:.1f} MiB | "
        f"{rss_start[0] / rss_start[1]:.2f}x | <= 1.25x |",
        f"| resident memory after {args.minutes:g} min | {rss_end[0]:.1f} MiB | "
        f"{rss_end[1]:.1f} MiB | {rss_end[0] / rss_end[1]:.2f}x | <= 1.25x |",
        f"| CPU time while idle, over 60 s | {(cpu_after[0] - cpu_before[0]) * 1000:.0f} ms | "
        f"{(cpu_after[1] - cpu_before[1]) * 1000:.0f} ms | - | ~0 |",
        "",
        f"The server answered {balance_calls} balance calls in the whole run (2 projects a poll; "
        "3 short starts, then the soak at the default 300 s interval).",
    ]
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_section(REPO / "BENCHMARKS.md", "tray-resources", table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
