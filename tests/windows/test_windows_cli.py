"""The command-line contract under a Windows CPython (in Wine), against the loopback test server.

Each command a Windows user or script runs: exit codes, the three formats, `--output`, the
profile folders, the Credential Locker, the Run key, and output through pipes whatever the
project names.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import (
    BAD_KEY,
    MEMBER_KEY,
    OWNER_KEY,
    PROJECT_A,
    PROJECT_B,
    UNICODE_NAME,
    UNICODE_PROJECT,
    run_cli,
)
from tests.support.deepgram_server import FakeDeepgram
from tests.support.history_seed import seed_history
from tests.support.two_accounts import CLIENT_A_KEY, two_accounts
from tests.support.waiting import wait_until
from tests.support.wine import WindowsPython

RUN_KEY = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run"

# Reads the Credential Locker straight through the Windows API (as keyring's WinVaultKeyring
# stores it: target = service, UserName = username), bypassing the app and the keyring library.
# It says whether the secret matches EXPECTED, so the key itself is never printed.
READ_CREDENTIAL_LOCKER = """
import os
from win32ctypes.pywin32 import pywintypes, win32cred
try:
    entry = win32cred.CredRead("deepgram-balance-tray", win32cred.CRED_TYPE_GENERIC)
except pywintypes.error:
    print("absent")
else:
    secret = entry["CredentialBlob"].decode("utf-16-le")
    same = secret == os.environ["EXPECTED"]
    print(entry["UserName"], "matches" if same else "differs")
"""


def linux_json(args: list[str], tmp_path: Path, deepgram: FakeDeepgram) -> dict[str, object]:
    """The same command on this machine's Linux Python, for comparison."""
    import os
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEEPGRAM_", "PYTHON"))}
    env.update(
        HOME=str(tmp_path),
        DEEPGRAM_TRAY_CONFIG=str(tmp_path / "linux-config.toml"),
        DEEPGRAM_TRAY_API_URL=deepgram.base_url,
        DEEPGRAM_API_KEY=OWNER_KEY,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
        NO_PROXY="*",
    )
    result = run_cli(args, env, program=[sys.executable, "-m", "trayapp"])
    assert result.returncode == 0, result.stderr
    document: dict[str, object] = json.loads(result.stdout)
    return document


def without_time(document: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in document.items() if k != "fetched_at"}


class TestBalance:
    def test_json_is_the_same_document_as_on_linux(
        self, windows: WindowsPython, windows_env: dict[str, str], deepgram: FakeDeepgram,
        tmp_path: Path,
    ) -> None:  # fmt: skip
        result = windows.run(["balance", "--json"], windows_env)

        assert result.returncode == 0, result.stderr
        assert b"\r\n" not in result.stdout_bytes  # the bytes --output writes, on every OS
        on_windows = json.loads(result.stdout)
        assert on_windows["totals"] == {"usd": 128.31822227}
        assert without_time(on_windows) == without_time(
            linux_json(["balance", "--json"], tmp_path, deepgram)
        )

    def test_text_through_the_pip_launcher(
        self, windows: WindowsPython, windows_env: dict[str, str]
    ) -> None:
        # Scripts\deepgram-tray.exe: the command name Windows users type.
        result = windows.run(["balance"], windows_env, program=["deepgram-tray.exe"])

        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[-1] == "Total           $128.32"

    def test_prometheus(self, windows: WindowsPython, windows_env: dict[str, str]) -> None:
        result = windows.run(["balance", "--format", "prometheus"], windows_env)

        assert result.returncode == 0, result.stderr
        # The exposition format wants Unix line ends, whatever the OS writes text with.
        assert b"\r\n" not in result.stdout_bytes
        assert 'deepgram_balance_total{units="usd"} 128.31822227' in result.stdout
        assert f'deepgram_balance_up{{project_id="{PROJECT_B}"}} 1' in result.stdout

    @pytest.mark.parametrize(
        ("key", "api_url", "args", "code", "says"),
        [
            (None, None, ["balance"], 2, "No Deepgram API key"),
            (BAD_KEY, None, ["balance"], 3, "refused"),
            (MEMBER_KEY, None, ["balance"], 3, "an Owner or Admin key"),
            (OWNER_KEY, "http://127.0.0.1:9", ["balance"], 4, "the connection was refused"),
            (OWNER_KEY, None, ["balance", "--format", "csv"], 2, "invalid choice"),
        ],
        ids=["no-key", "bad-key", "member-key", "network", "usage"],
    )
    def test_exit_codes(
        self, windows: WindowsPython, windows_env: dict[str, str],
        key: str | None, api_url: str | None, args: list[str], code: int, says: str,
    ) -> None:  # fmt: skip
        env = dict(windows_env)
        if key is None:
            env["DEEPGRAM_API_KEY"] = ""
        else:
            env["DEEPGRAM_API_KEY"] = key
        if api_url:
            env["DEEPGRAM_TRAY_API_URL"] = api_url

        result = windows.run(args, env)

        assert result.returncode == code, result.stderr
        assert says in result.stderr
        assert "Traceback" not in result.stderr
        assert key is None or key not in result.stderr + result.stdout


class TestOutputFile:
    def test_replaces_an_existing_file_atomically(
        self, windows: WindowsPython, windows_env: dict[str, str], tmp_path: Path
    ) -> None:
        target = tmp_path / "textfile" / "deepgram.prom"
        target.parent.mkdir()
        target.write_text("old\n")

        result = windows.run(
            ["balance", "--format", "prometheus", "--output", windows.windows_path(target)],
            windows_env,
        )

        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        assert 'deepgram_balance_total{units="usd"} 128.31822227\n' in target.read_text()
        assert [p.name for p in target.parent.iterdir()] == ["deepgram.prom"]  # no temp file left

    def test_a_file_held_open_by_a_reader_is_reported_and_kept(
        self, windows: WindowsPython, windows_env: dict[str, str], tmp_path: Path
    ) -> None:
        # On Windows a file open without FILE_SHARE_DELETE (Python's open, Notepad...) cannot be
        # replaced; the app retries briefly, then says so instead of failing with a traceback.
        target = tmp_path / "deepgram.json"
        target.write_text("old\n")
        holder = subprocess.Popen(
            windows.command(
                "-c",
                f"f = open(r'{windows.windows_path(target)}'); print('open', flush=True); input()",
                program=[str(windows.python_exe)],
            ),
            env=windows.env(),
            cwd=windows.workdir,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == b"open"

            result = windows.run(
                ["balance", "--json", "--output", windows.windows_path(target)], windows_env
            )
        finally:
            holder.communicate(b"\n", timeout=60)

        assert result.returncode == 2, result.stderr
        written_to = windows.windows_path(target)
        assert result.stderr.startswith(f"deepgram-tray: Cannot write {written_to}")
        assert "Traceback" not in result.stderr
        assert target.read_text() == "old\n"
        assert [p.name for p in tmp_path.iterdir()] == ["deepgram.json"]


class TestProfileFolders:
    def test_config_lives_in_local_app_data(
        self, windows: WindowsPython, windows_env: dict[str, str], app_folders: dict[str, Path]
    ) -> None:
        shown = windows.run(["config", "path"], windows_env)
        path = windows.linux_path(shown.stdout.strip())

        saved = windows.run(["config", "set", "warn_below", "30"], windows_env)
        current = windows.run(["config", "show"], windows_env)

        assert shown.stdout.startswith("C:\\users\\"), shown.stdout
        assert "\\AppData\\Local\\deepgram-balance-tray\\" in shown.stdout
        assert saved.returncode == 0, saved.stderr
        assert path.read_text(encoding="utf-8") == "warn_below = 30.0\n"
        assert "warn_below = 30.0" in current.stdout

    def test_an_unreadable_config_is_reported_not_replaced(
        self, windows: WindowsPython, windows_env: dict[str, str], app_folders: dict[str, Path]
    ) -> None:
        path = windows.linux_path(windows.run(["config", "path"], windows_env).stdout.strip())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"warn_below = [\n")

        result = windows.run(["config", "set", "warn_below", "30"], windows_env)

        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert str(path.name) in result.stderr
        assert path.read_bytes() == b"warn_below = [\n"


class TestCredentialLocker:
    @pytest.fixture
    def locker(self, windows: WindowsPython) -> Iterator[None]:
        windows.run(["key", "delete"], {"DEEPGRAM_API_KEY": ""})
        yield
        windows.run(["key", "delete"], {"DEEPGRAM_API_KEY": ""})

    def test_set_status_use_delete(
        self, windows: WindowsPython, deepgram: FakeDeepgram, locker: None
    ) -> None:
        env = {"DEEPGRAM_TRAY_API_URL": deepgram.base_url, "DEEPGRAM_API_KEY": ""}

        saved = windows.run(["key", "set"], env, stdin=OWNER_KEY + "\n")
        stored = windows.python(READ_CREDENTIAL_LOCKER, {"EXPECTED": OWNER_KEY})
        status = windows.run(["key", "status"], env)
        balance = windows.run(["balance", "--json"], env)
        deleted = windows.run(["key", "delete"], env)
        after = windows.python(READ_CREDENTIAL_LOCKER, {"EXPECTED": OWNER_KEY})
        status_after = windows.run(["key", "status"], env)

        assert saved.returncode == 0, saved.stderr
        assert "(Windows Credential Manager)" in saved.stdout, saved.stdout
        assert stored.stdout.split() == ["api-key", "matches"]
        assert status.stdout == (
            f"API key ending in …{OWNER_KEY[-4:]}, stored in the OS keyring "
            "(Windows Credential Manager).\n"
        )
        assert json.loads(balance.stdout)["totals"] == {"usd": 128.31822227}
        assert deleted.stdout == "Deleted the API key from the OS keyring.\n"
        assert after.stdout.strip() == "absent"
        assert status_after.returncode == 2
        for result in (saved, status, balance, deleted):
            assert OWNER_KEY not in result.stdout + result.stderr


class TestRunKey:
    @pytest.fixture
    def run_key(self, windows: WindowsPython) -> Iterator[None]:
        yield
        windows.run(["autostart", "disable"])

    def test_enable_status_disable(self, windows: WindowsPython, run_key: None) -> None:
        before = windows.run(["autostart", "status"])
        enabled = windows.run(["autostart", "enable"])
        registered = windows.reg_query(RUN_KEY)
        status = windows.run(["autostart", "status"])
        disabled = windows.run(["autostart", "disable"])
        after = windows.reg_query(RUN_KEY)

        assert before.stdout == "Start at login is disabled.\n"
        assert enabled.returncode == 0, enabled.stderr
        assert "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run" in (
            enabled.stdout
        )
        value = next(line for line in registered.splitlines() if "Deepgram Balance Tray" in line)
        # Started at login with no console window: the windowed launcher or pythonw.
        assert "REG_SZ" in value
        assert "deepgram-tray-gui.exe" in value or "pythonw.exe" in value, value
        assert status.stdout == "Start at login is enabled.\n"
        assert disabled.stdout == "The tray will no longer start at login.\n"
        assert "Deepgram Balance Tray" not in after


class TestNamesNoCodePageHolds:
    @pytest.mark.parametrize("form", ["text", "json", "prometheus"])
    def test_through_a_pipe(
        self, windows: WindowsPython, windows_env: dict[str, str], unicode_project: FakeDeepgram,
        form: str,
    ) -> None:  # fmt: skip
        result = windows.run(["balance", "--format", form], windows_env)

        assert result.returncode == 0, result.stderr
        assert UNICODE_NAME in result.stdout  # strict UTF-8: the bytes are UTF-8, not cp1252

    def test_into_a_file(
        self, windows: WindowsPython, windows_env: dict[str, str], unicode_project: FakeDeepgram,
        tmp_path: Path,
    ) -> None:  # fmt: skip
        target = tmp_path / "balance.txt"

        result = windows.run(["balance", "--output", windows.windows_path(target)], windows_env)

        assert result.returncode == 0, result.stderr
        assert UNICODE_NAME in target.read_text(encoding="utf-8")

    def test_in_an_error_message(
        self, windows: WindowsPython, windows_env: dict[str, str], unicode_project: FakeDeepgram
    ) -> None:
        unicode_project.set_balances(UNICODE_PROJECT, "not a list")  # type: ignore[arg-type]

        result = windows.run(["balance"], windows_env)

        assert result.returncode == 4
        assert result.stderr.startswith(f"deepgram-tray: {UNICODE_NAME}: ")
        assert "Total" in result.stdout


def test_version_and_help(windows: WindowsPython) -> None:
    version = windows.run(["--version"])
    helped = windows.run(["--help"])

    assert version.stdout.startswith("deepgram-tray ")
    assert "balance" in helped.stdout


def test_the_linux_only_commands_say_so(windows: WindowsPython) -> None:
    result = windows.run(["install-desktop"])

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_project_ids_pass_through(
    windows: WindowsPython, windows_env: dict[str, str], deepgram: FakeDeepgram
) -> None:
    result = windows.run(["balance", "--json", "--project", PROJECT_A], windows_env)

    assert [p["project_id"] for p in json.loads(result.stdout)["projects"]] == [PROJECT_A]


class TestHistoryExport:
    def test_csv_and_json_from_the_profiles_history(
        self, windows: WindowsPython, app_folders: dict[str, Path]
    ) -> None:
        # Where the tray records it on Windows: %LOCALAPPDATA%\deepgram-balance-tray.
        seed_history(windows.user_folder("AppData/Local"))
        try:
            as_csv = windows.run(["history", "--days", "1"])
            as_json = windows.run(["history", "--format", "json", "--days", "1"])
        finally:
            shutil.rmtree(windows.user_folder("AppData/Local/deepgram-balance-tray"))

        assert as_csv.returncode == 0, as_csv.stderr
        # Machine formats keep Unix line ends on Windows, as --output would write them.
        assert b"\r\n" not in as_csv.stdout_bytes + as_json.stdout_bytes
        lines = as_csv.stdout.splitlines()
        assert lines[0] == "time,units,total"
        assert 24 <= len(lines) - 1 <= 26  # a day of hourly samples
        samples = json.loads(as_json.stdout)["samples"]
        assert len(samples) == len(lines) - 1
        assert samples[-1]["units"] == "usd"


def test_balance_with_the_forecast(
    windows: WindowsPython, windows_env: dict[str, str], billed: FakeDeepgram
) -> None:
    result = windows.run(["balance", "--json", "--forecast"], windows_env)

    assert result.returncode == 0, result.stderr
    forecast = json.loads(result.stdout)["forecast"]
    assert forecast["basis"] == "billing"
    assert forecast["spend_per_day"] == {"usd": 4.25}
    assert forecast["nearest_expiry"]["amount"] == 25


def test_uninstall_desktop_is_linux_only_too(windows: WindowsPython) -> None:
    result = windows.run(["uninstall-desktop"])

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1


class TestExporter:
    def test_serve_reads_in_the_background_and_answers_scrapes(
        self, windows: WindowsPython, windows_env: dict[str, str], deepgram: FakeDeepgram
    ) -> None:
        with socket.socket() as probe:  # a free loopback port (Wine shares this machine's)
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(
            windows.command("serve", "--listen", f"127.0.0.1:{port}"),
            env=windows.env(**windows_env),
            cwd=windows.workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

        def scrape() -> str:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    return str(r.read().decode("utf-8"))
            except OSError:
                assert server.poll() is None, server.communicate()[0]
                return ""

        try:
            metrics = wait_until(
                lambda: "deepgram_balance_total{" in (text := scrape()) and text,
                timeout=120,
                what="the Windows exporter's first read",
            )
            assert 'deepgram_balance_total{account="default",units="usd"} 128.31822227' in metrics
            reads = len(deepgram.requests_to("/balances"))
            assert all("deepgram_up" in scrape() for _ in range(10))
            assert len(deepgram.requests_to("/balances")) == reads
        finally:
            windows.kill_programs()
            server.kill()
            server.communicate(timeout=60)


class TestSeveralAccounts:
    @pytest.fixture
    def lockers(self, windows: WindowsPython) -> Iterator[None]:
        for args in (["key", "delete"], ["key", "delete", "--account", "client-a"]):
            windows.run(args, {"DEEPGRAM_API_KEY": ""})
        yield
        for args in (["key", "delete"], ["key", "delete", "--account", "client-a"]):
            windows.run(args, {"DEEPGRAM_API_KEY": ""})

    def test_each_accounts_key_in_the_credential_locker_and_one_output(
        self,
        windows: WindowsPython,
        deepgram: FakeDeepgram,
        app_folders: dict[str, Path],
        lockers: None,
    ) -> None:
        """Two keys under one service: Windows' vault keeps the second under a name of its own
        (`api-key:client-a@deepgram-balance-tray`); both are found again."""
        two_accounts(deepgram)
        env = {"DEEPGRAM_TRAY_API_URL": deepgram.base_url, "DEEPGRAM_API_KEY": ""}
        added = windows.run(["config", "set", "accounts.client-a.label", "Client A"], env)
        assert added.returncode == 0, added.stderr
        saved = [
            windows.run(["key", "set"], env, stdin=OWNER_KEY + "\n"),
            windows.run(["key", "set", "--account", "client-a"], env, stdin=CLIENT_A_KEY + "\n"),
        ]
        result = windows.run(["balance", "--all-accounts", "--json"], env)

        assert all(r.returncode == 0 for r in saved), [r.stderr for r in saved]
        assert result.returncode == 0, result.stderr
        document = json.loads(result.stdout)
        totals = {entry["account"]: entry["totals"] for entry in document["accounts"]}
        assert totals == {"default": {"usd": 128.31822227}, "client-a": {"usd": 40}}
        for output in (*saved, result):
            for key in (OWNER_KEY, CLIENT_A_KEY):
                assert key not in output.stdout + output.stderr
