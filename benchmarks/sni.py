"""The StatusNotifierItem (SNI) tray on a real panel, next to pystray's AppIndicator, in one run.

    python benchmarks/sni.py [--plain-python PATH] [--quick] [--write]

Run it with the distribution's Python (this checkout's `.venv`, which sees PyGObject); PATH is a
Python without PyGObject that has the app installed (default `.venv-plain`, made by scripts/test).
On Waybar on a headless Sway (tests/support/sni_desktop.py), against the test HTTP server:
  1. resident memory (VmRSS) after a minute, side by side, of the app's tray on the SNI backend
     from the Python without PyGObject; a minimal pystray icon on pystray's AppIndicator backend
     (GTK) from the distribution's Python (target: SNI at most half of it); and the app forced onto
     that AppIndicator backend, as distribution-Python users had it before the SNI backend;
  2. growth of the SNI tray over 1000 polls (tray_soak_driver.py: a fake clock, real fetches);
  3. CPU time each of the three uses while idle between polls, over 60 s;
  4. start to the icon on the panel (its pixels in a grim screenshot), each alone, median of 3.
`--quick` (a smoke run: 10 s idle, a 50-poll soak, one start each) shows that it works, not
numbers to quote. Needs sway, waybar, grim and dbus-daemon.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.cli_latency import describe_machine, write_section  # noqa: E402
from benchmarks.tray_resources import BENCH_ENV, MINIMAL_ICON, cpu_seconds, rss_mib  # noqa: E402
from tests.conftest import OWNER_KEY, populate  # noqa: E402
from tests.support.deepgram_server import FakeDeepgram  # noqa: E402
from tests.support.desktop import stop_process_group  # noqa: E402
from tests.support.pypi_server import NOWHERE as NO_UPDATES  # noqa: E402
from tests.support.sni_desktop import SwayDesktop, missing_tools  # noqa: E402
from tests.support.waiting import wait_until  # noqa: E402
from trayapp.tray.app import TRAY_HOST_GRACE  # noqa: E402

SOAK_DRIVER = REPO / "benchmarks" / "tray_soak_driver.py"
OWN_ITEM_PREFIX = "org.kde.StatusNotifierItem-"
"""How the app's own SNI backend names its item; AppIndicator registers its bus's unique name."""


@dataclass(frozen=True)
class Tray:
    """One of the trays compared: which Python runs what, on which backend."""

    label: str
    python: str
    args: tuple[str, ...]
    backend: str  # PYSTRAY_BACKEND; "" lets the app choose (SNI, where Waybar runs)

    @property
    def is_app(self) -> bool:
        return self.args[:2] == ("-m", "trayapp")


def trays(plain_python: str) -> tuple[Tray, Tray, Tray]:
    app = ("-m", "trayapp", "run")
    return (
        Tray("SNI tray, Python without PyGObject", plain_python, app, ""),
        Tray("minimal pystray icon, AppIndicator", sys.executable, ("-c", MINIMAL_ICON),
             "appindicator"),
        Tray("the tray on AppIndicator (before)", sys.executable, app, "appindicator"),
    )  # fmt: skip


# --- starting and finding -----------------------------------------------------------------------


def launch(
    desktop: SwayDesktop,
    command: list[str],
    server: FakeDeepgram,
    home: Path,
    *,
    backend: str,
    stdout: int = subprocess.DEVNULL,
) -> subprocess.Popen[bytes]:
    """`command` as a client of the desktop's panel, with a home of its own (so two trays do not
    share a single-instance lock or a history), its stderr kept in `home`/stderr."""
    (home / "run").mkdir(mode=0o700, parents=True)
    (home / "config.toml").write_text("")
    env = {
        "HOME": str(home),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "DEEPGRAM_TRAY_CONFIG": str(home / "config.toml"),
        "DEEPGRAM_TRAY_API_URL": server.base_url,
        "DEEPGRAM_TRAY_UPDATES_URL": NO_UPDATES,  # never the real PyPI while measuring
        "DEEPGRAM_API_KEY": OWNER_KEY,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PYTHONPATH": "",
        "PYSTRAY_BACKEND": backend,
        **BENCH_ENV,
    }
    with open(home / "stderr", "wb") as stderr:
        # The home as working folder: `-m trayapp` then finds the app as each Python has it
        # installed, not this checkout.
        return subprocess.Popen(
            command,
            env={**desktop.env(**env), "XDG_RUNTIME_DIR": str(home / "run")},
            cwd=home,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )


def launch_tray(
    desktop: SwayDesktop, tray: Tray, server: FakeDeepgram, home: Path
) -> subprocess.Popen[bytes]:
    return launch(desktop, [tray.python, *tray.args], server, home, backend=tray.backend)


def item_of(desktop: SwayDesktop, pid: int) -> str | None:
    """The item on the panel that process `pid` registered, if any yet."""
    for item in desktop.sni.registered_items():
        # AssertionError: the item's owner left between the two calls.
        with contextlib.suppress(AssertionError):
            if desktop.sni.owner_pid(item) == pid:
                return item
    return None


def wait_for_item(desktop: SwayDesktop, process: subprocess.Popen[bytes], home: Path) -> str:
    def registered() -> str | None:
        if process.poll() is not None:
            stderr = (home / "stderr").read_text(errors="replace")
            raise RuntimeError(f"{process.args!r} ended ({process.returncode}): {stderr}")
        return item_of(desktop, process.pid)

    item = wait_until(registered, timeout=30, what="the item on the panel")
    assert item is not None  # wait_until returns only what is truthy
    return item


def stop(desktop: SwayDesktop, process: subprocess.Popen[bytes]) -> None:
    """Stop it and wait until the panel has dropped its item and its pixels."""
    stop_process_group(process)
    desktop.sni.wait_for_no_items()
    wait_until(lambda: desktop.tray_icon_box() is None, what="the panel to be empty")


def children(pid: int) -> list[str]:
    """Its child processes (the fetch worker runs from a thread, so every thread's children)."""
    found: list[str] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            found += (task / "children").read_text().split()
    return found


def context_switches(pid: int) -> dict[str, int]:
    """Per thread, its context switches so far: each one a wake-up (or a preemption)."""
    switches: dict[str, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            for line in (task / "status").read_text().splitlines():
                if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                    switches[task.name] = switches.get(task.name, 0) + int(line.split()[1])
    return switches


def backend_in_log(home: Path) -> str:
    """The backend the app says it chose, in its log file."""
    for log in home.glob("state/*/log/*.log"):
        for line in log.read_text(errors="replace").splitlines():
            if "Tray backend: " in line:
                return line.rsplit("Tray backend: ", 1)[1].strip()
    return "not logged"


# --- 1 and 3. memory and idle CPU, side by side --------------------------------------------------


@dataclass
class Idle:
    rss_mib: float
    cpu_ms: float
    wakeups: int
    """Context switches while idle, in threads alive through the whole window."""
    threads: int
    threads_changed: int
    """Threads that started or ended while idle."""
    age: float
    """Seconds from its start to the measure."""


def side_by_side(
    desktop: SwayDesktop, compared: tuple[Tray, ...], scratch: Path, idle_seconds: float
) -> dict[str, Idle]:
    """All of them on the panel at once; once every app tray's first poll (and the forecast reads
    that follow it) is done, its worker gone and its wait for a panel (TRAY_HOST_GRACE) over,
    `idle_seconds` without a poll (the default interval is 300 s), then their memory."""
    with populate(FakeDeepgram()) as server:
        started: dict[Tray, subprocess.Popen[bytes]] = {}
        homes = {tray: scratch / f"side-{index}" for index, tray in enumerate(compared)}
        items: list[str] = []
        launched: dict[str, float] = {}
        try:
            for tray in compared:
                launched[tray.label] = time.monotonic()
                started[tray] = launch_tray(desktop, tray, server, homes[tray])
                items.append(wait_for_item(desktop, started[tray], homes[tray]))
            settled = time.monotonic() + TRAY_HOST_GRACE + 2
            apps = [started[tray].pid for tray in compared if tray.is_app]
            # Each app tray's first poll reads a balance per project (2 here), then the
            # forecast's billing and purchases per project.
            wait_until(
                lambda: (
                    len(server.requests_to("/purchases")) >= 2 * len(apps)
                    and not any(children(pid) for pid in apps)
                ),
                timeout=60,
                what="the first polls to finish",
            )
            time.sleep(max(2.0, settled - time.monotonic()))
            for tray in filter(lambda t: t.is_app, compared):
                if (chosen := backend_in_log(homes[tray])) != (tray.backend or "sni"):
                    raise RuntimeError(f"{tray.label} runs on {chosen}")
            pids = {tray.label: process.pid for tray, process in started.items()}
            cpu_before = {label: cpu_seconds(pid) for label, pid in pids.items()}
            switches_before = {label: context_switches(pid) for label, pid in pids.items()}
            requests_before = len(server.requests)
            time.sleep(idle_seconds)
            if len(server.requests) != requests_before:
                raise RuntimeError("a tray polled during the idle window")
            measured = {}
            for label, pid in pids.items():
                before, after = switches_before[label], context_switches(pid)
                measured[label] = Idle(
                    rss_mib=rss_mib(pid),
                    cpu_ms=(cpu_seconds(pid) - cpu_before[label]) * 1000,
                    wakeups=sum(after[tid] - before[tid] for tid in before.keys() & after.keys()),
                    threads=len(after),
                    threads_changed=len(before.keys() ^ after.keys()),
                    age=time.monotonic() - launched[label],
                )
            return measured
        finally:
            for process in started.values():
                stop_process_group(process)
            wait_until(
                lambda: not set(items) & set(desktop.sni.registered_items()),
                what="the panel to drop the three",
            )


# --- 2. the soak ---------------------------------------------------------------------------------


class Soak:
    """tray_soak_driver.py from the Python without PyGObject, on the panel, against a server of
    its own: entering starts it and checks that its item is the app's own SNI backend's (that
    load_backend() chose "sni"); `result()` waits for its numbers.

    The caller may measure something else meanwhile, on the same thread (the desktop's D-Bus
    connection is not shared between threads)."""

    def __init__(self, desktop: SwayDesktop, plain_python: str, home: Path, polls: int) -> None:
        self.desktop = desktop
        self.command = [plain_python, str(SOAK_DRIVER), str(polls)]
        self.home = home
        self.server = populate(FakeDeepgram())
        self.driver: subprocess.Popen[bytes] | None = None
        self.item = ""

    def __enter__(self) -> Soak:
        self.server.start()
        try:
            self.driver = launch(
                self.desktop, self.command, self.server, self.home, backend="",
                stdout=subprocess.PIPE,
            )  # fmt: skip
            self.item = wait_for_item(self.desktop, self.driver, self.home)
            if not self.item.startswith(OWN_ITEM_PREFIX):
                raise RuntimeError(f"the soak is not on the SNI backend: its item is {self.item}")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def result(self) -> dict[str, float]:
        assert self.driver is not None
        stdout, _ = self.driver.communicate(timeout=3600)
        if self.driver.returncode != 0:
            stderr = (self.home / "stderr").read_text(errors="replace")
            raise RuntimeError(f"the soak failed ({self.driver.returncode}): {stderr}")
        result: dict[str, float] = json.loads(stdout.decode().strip().splitlines()[-1])
        result["balance_reads"] = len(self.server.requests_to("/balances"))
        wait_until(
            lambda: self.item not in self.desktop.sni.registered_items(),
            what="the soaked tray's item to go",
        )
        return result

    def __exit__(self, *exc_info: object) -> None:
        if self.driver is not None:
            stop_process_group(self.driver)
        self.server.stop()


# --- 4. start to icon ----------------------------------------------------------------------------


def start_to_icon(desktop: SwayDesktop, tray: Tray, home: Path) -> tuple[float, float]:
    """Seconds from start to its icon on the panel (any colour), and to the green one (the app's
    first amount; the minimal icon is green from the start)."""
    with populate(FakeDeepgram()) as server:
        started = time.perf_counter()
        process = launch_tray(desktop, tray, server, home)
        visible = None
        try:
            deadline = time.monotonic() + 30
            while (colour := desktop.tray_icon_colour()) != "green":
                if colour is not None and visible is None:
                    visible = time.perf_counter() - started
                if process.poll() is not None or time.monotonic() > deadline:
                    stderr = (home / "stderr").read_text(errors="replace")
                    raise RuntimeError(f"no green icon from {tray.label}: {stderr}")
            green = time.perf_counter() - started
            return (visible if visible is not None else green), green
        finally:
            stop(desktop, process)


def start_times(
    desktop: SwayDesktop, compared: tuple[Tray, ...], scratch: Path, runs: int
) -> dict[str, tuple[float, float]]:
    """Medians of `runs` starts each, interleaved."""
    samples: dict[str, list[tuple[float, float]]] = {tray.label: [] for tray in compared}
    for run in range(runs):
        for index, tray in enumerate(compared):
            home = scratch / f"start-{run}-{index}"
            samples[tray.label].append(start_to_icon(desktop, tray, home))
    return {
        label: (statistics.median(v for v, _ in s), statistics.median(g for _, g in s))
        for label, s in samples.items()
    }


# --- the table -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plain-python", default=str(REPO / ".venv-plain" / "bin" / "python"))
    parser.add_argument("--quick", action="store_true", help="few samples: a smoke run")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    if missing := missing_tools():
        print(f"Needs {', '.join(missing)} (scripts/test installs them).", file=sys.stderr)
        return 2
    has_gi = subprocess.run([args.plain_python, "-c", "import gi"], capture_output=True).returncode
    if has_gi == 0:
        print(f"{args.plain_python} has PyGObject: give a Python without it.", file=sys.stderr)
        return 2
    polls, idle, runs = (50, 10.0, 1) if args.quick else (1000, 60.0, 3)
    sni, minimal, before = compared = trays(args.plain_python)

    with SwayDesktop() as desktop, tempfile.TemporaryDirectory(prefix="sni-bench-") as folder:
        scratch = Path(folder)
        starts = start_times(desktop, compared, scratch, runs)
        soak = Soak(desktop, args.plain_python, scratch / "soak", polls)
        if args.quick:  # the soak's polls take most of the time: overlap it with the idle minute
            with soak:
                idle_stats = side_by_side(desktop, compared, scratch, idle)
                soaked = soak.result()
        else:  # each alone, so that nothing but the panel runs next to the idle trays
            idle_stats = side_by_side(desktop, compared, scratch, idle)
            with soak:
                soaked = soak.result()

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.0f} ms"

    def mib(value: float) -> str:
        return f"{value:.1f} MiB"

    ours, theirs = idle_stats[sni.label], idle_stats[minimal.label]
    old = idle_stats[before.label]
    rows = [
        ("1. memory after start", mib(ours.rss_mib), minimal.label, mib(theirs.rss_mib),
         ours.rss_mib / theirs.rss_mib, "<= 0.5x"),
        ("1. memory after start", mib(ours.rss_mib), before.label, mib(old.rss_mib),
         ours.rss_mib / old.rss_mib, "-"),
        (f"2. memory after {soaked['polls']:.0f} polls", mib(soaked["rss_end_mib"]),
         "the same SNI tray after start", mib(soaked["rss_start_mib"]),
         soaked["rss_end_mib"] / soaked["rss_start_mib"], "no growth"),
        (f"3. CPU while idle, {idle:.0f} s", f"{ours.cpu_ms:.0f} ms", minimal.label,
         f"{theirs.cpu_ms:.0f} ms", None, "0 ms"),
        (f"3. CPU while idle, {idle:.0f} s", f"{ours.cpu_ms:.0f} ms", before.label,
         f"{old.cpu_ms:.0f} ms", None, "0 ms"),
        ("4. start to icon on screen", ms(starts[sni.label][0]), minimal.label,
         ms(starts[minimal.label][0]), starts[sni.label][0] / starts[minimal.label][0], "-"),
        ("4. start to icon on screen", ms(starts[sni.label][0]), before.label,
         ms(starts[before.label][0]), starts[sni.label][0] / starts[before.label][0], "-"),
        ("4. start to the first amount", ms(starts[sni.label][1]), before.label,
         ms(starts[before.label][1]), starts[sni.label][1] / starts[before.label][1], "-"),
    ]  # fmt: skip
    quick = "; QUICK MODE, not for quoting" if args.quick else ""
    lines = [
        f"Machine: {describe_machine()}; headless Sway + Waybar{quick}.",
        "",
        "| measure | SNI tray | compared with | its value | ratio | target |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, value, baseline, its_value, ratio, target in rows:
        shown = f"{ratio:.2f}x" if ratio is not None else "-"
        lines.append(f"| {name} | {value} | {baseline} | {its_value} | {shown} | {target} |")
    lines += [
        "",
        f"Memory {ours.age:.0f} s after start, the three side by side; "
        + (f"starts alone, medians of {runs}." if runs > 1 else "starts alone, one each.")
        + " While idle, context switches (wake-ups) of the threads that lived through it, and "
        f"threads that started or ended: SNI {ours.wakeups} and {ours.threads_changed}, minimal "
        f"icon {theirs.wakeups} and {theirs.threads_changed}, tray on AppIndicator {old.wakeups} "
        f"and {old.threads_changed}. Threads: SNI {ours.threads}, minimal icon {theirs.threads}, "
        f"tray on AppIndicator {old.threads}; in the soaked SNI tray "
        f"{soaked['threads_start']:.0f} after start, {soaked['threads_end']:.0f} after the polls.",
    ]
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_section(REPO / "BENCHMARKS.md", "sni", table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
