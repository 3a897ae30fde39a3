"""A smoke test of the Windows bundle, for real Windows (the release workflow runs it after the
build) and for Wine (tests/windows/test_windows_bundle.py runs it there, so it is known to work).

    python -m tests.support.windows_smoke dist\\deepgram-tray [--no-tray]

Only the standard library and tests/support/deepgram_server.py: a fresh Windows runner has
nothing else. It checks what Wine may not show as Windows does: the real Credential Manager, the
real registry, a real console code page, and (without --no-tray) the real notification area
taking the icon while the fetch worker reads the test server. Exit 0 when all pass.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.support.deepgram_server import FakeDeepgram

KEY = "014e77d716967678eca7671e2d3754a9ce8dc438"
UNICODE_NAME = "日本語 ✓ 🚀"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


class SmokeFailure(Exception):
    pass


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SmokeFailure(what)
    print(f"ok: {what}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle", type=Path, help="the bundle folder (dist\\deepgram-tray)")
    parser.add_argument("--no-tray", action="store_true", help="skip starting the tray")
    args = parser.parse_args(argv)
    server = FakeDeepgram().start()
    try:
        server.add_key(KEY)
        server.add_project(
            "p-1", "Voice Bot Prod", [{"balance_id": "b-1", "amount": 125.5, "units": "usd"}]
        )
        server.add_project(
            "p-2", UNICODE_NAME, [{"balance_id": "b-2", "amount": 2.5, "units": "usd"}]
        )
        smoke(args.bundle.resolve(), server, tray=not args.no_tray)
    except SmokeFailure as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    finally:
        server.stop()
    return 0


def smoke(bundle: Path, server: FakeDeepgram, *, tray: bool) -> None:
    console = bundle / "deepgram-tray.exe"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEEPGRAM_")}
    env.update(DEEPGRAM_TRAY_API_URL=server.base_url, NO_PROXY="*")

    def run(
        *args: str, key: str | None = KEY, stdin: str = ""
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [str(console), *args],
            env={**env, "DEEPGRAM_API_KEY": key or ""},
            input=stdin.encode(),
            capture_output=True,
            timeout=120,
            check=False,
        )

    version = run("--version")
    check(version.stdout.decode().startswith("deepgram-tray "), "the console program starts")

    as_json = run("balance", "--json")
    totals = json.loads(as_json.stdout.decode("utf-8"))["totals"] if as_json.stdout else None
    check(as_json.returncode == 0 and totals == {"usd": 128.0}, "balance --json reads the server")

    as_text = run("balance")
    check(
        as_text.returncode == 0 and UNICODE_NAME in as_text.stdout.decode("utf-8"),
        "a name outside the ANSI code page prints through a pipe, in UTF-8",
    )

    stored = run("key", "set", key=None, stdin=KEY + "\n")
    status = run("key", "status", key=None)
    deleted = run("key", "delete", key=None)
    check(stored.returncode == 0, "key set stores the key")
    check(b"(Windows Credential Manager)" in status.stdout, "key status finds it there")
    check(deleted.returncode == 0 and run("key", "status", key=None).returncode == 2, "key delete")
    check(KEY.encode() not in stored.stdout + status.stdout + stored.stderr, "the key never shows")

    enabled = run("autostart", "enable")
    value = run_key_value()
    run("autostart", "disable")
    check(
        enabled.returncode == 0 and value is not None and "deepgram-tray-gui.exe" in value,
        "start at login runs the windowed program",
    )
    check(run_key_value() is None, "start at login is turned off again")

    if tray:
        smoke_tray(bundle, env, server)


def run_key_value() -> str | None:
    import winreg  # Windows only

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            value, _ = winreg.QueryValueEx(key, "Deepgram Balance Tray")
    except OSError:
        return None
    return str(value)


def smoke_tray(bundle: Path, env: dict[str, str], server: FakeDeepgram) -> None:
    before = len(server.requests_to("/balances"))
    tray = subprocess.Popen(
        [str(bundle / "deepgram-tray-gui.exe")], env={**env, "DEEPGRAM_API_KEY": KEY}
    )
    try:
        deadline = time.monotonic() + 90
        while len(server.requests_to("/balances")) <= before and time.monotonic() < deadline:
            if tray.poll() is not None:
                raise SmokeFailure(f"the tray exited with {tray.returncode}")
            time.sleep(0.5)
        check(
            len(server.requests_to("/balances")) > before,
            "the tray's fetch worker reads the server",
        )
        log = Path(os.environ["LOCALAPPDATA"]) / "deepgram-balance-tray" / "Logs" / "tray.log"
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        check("Tray backend: win32" in text, "the tray runs on the win32 backend")
        check("No system tray" not in text and "Traceback" not in text, "the taskbar took the icon")
    finally:
        subprocess.run(
            ["taskkill", "/F", "/T", "/PID", str(tray.pid)], capture_output=True, check=False
        )
        tray.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
