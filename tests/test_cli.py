"""`deepgram-tray` as a subprocess against the test server: every output format and exit code."""

from __future__ import annotations

import json
import socket
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import (
    BAD_KEY,
    MEMBER_KEY,
    OWNER_KEY,
    PROJECT_A,
    PROJECT_B,
    plant_at_startup,
    run_cli,
)
from tests.support.deepgram_server import FakeDeepgram, Fault
from trayapp import __version__


def assert_one_sentence(stderr: str) -> None:
    """An error is one line per failure, prefixed with the program name, never a traceback."""
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert lines, "expected an error message on stderr"
    for line in lines:
        assert line.startswith("deepgram-tray: ")
        assert line.rstrip().endswith((".", ")."))


class TestBalance:
    def test_json_totals_are_exact(self, cli_env: dict[str, str]) -> None:
        result = run_cli(["balance", "--json"], cli_env)
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        document = json.loads(result.stdout, parse_float=Decimal)
        assert document["totals"] == {"usd": Decimal("128.31822227")}
        assert '"usd": 128.31822227' in result.stdout
        assert [p["name"] for p in document["projects"]] == ["Voice Bot Prod", "Staging"]
        assert all(p["error"] is None for p in document["projects"])

    def test_format_json_is_the_same_as_json(self, cli_env: dict[str, str]) -> None:
        result = run_cli(["balance", "--format", "json"], cli_env)
        assert result.returncode == 0
        assert json.loads(result.stdout)["totals"]["usd"] == 128.31822227

    def test_text_table(self, cli_env: dict[str, str]) -> None:
        result = run_cli(["balance"], cli_env)
        assert result.returncode == 0
        assert result.stdout.splitlines()[-1].split() == ["Total", "$128.32"]

    def test_prometheus_to_a_file(self, cli_env: dict[str, str], tmp_path: Path) -> None:
        target = tmp_path / "textfile" / "deepgram.prom"
        result = run_cli(["balance", "--format", "prometheus", "--output", str(target)], cli_env)
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        text = target.read_text()
        assert 'deepgram_balance_total{units="usd"} 128.31822227' in text
        assert sorted(p.name for p in target.parent.iterdir()) == ["deepgram.prom"]

    def test_project_flag_overrides_the_config(
        self, cli_env: dict[str, str], deepgram: FakeDeepgram
    ) -> None:
        config = Path(cli_env["DEEPGRAM_TRAY_CONFIG"])
        config.parent.mkdir(parents=True)
        config.write_text(f'projects = ["{PROJECT_A}"]\n')
        from_config = json.loads(run_cli(["balance", "--json"], cli_env).stdout)
        assert from_config["totals"] == {"usd": 125.06822227}
        from_flag = json.loads(
            run_cli(["balance", "--json", "--project", PROJECT_B], cli_env).stdout
        )
        assert from_flag["totals"] == {"usd": 3.25}

    def test_without_an_env_key_a_missing_keyring_says_what_to_do(
        self, cli_env: dict[str, str]
    ) -> None:
        # The failing keyring stands in for a machine without one: the message says what to do.
        del cli_env["DEEPGRAM_API_KEY"]
        result = run_cli(["balance"], cli_env)
        assert result.returncode == 2
        assert "DEEPGRAM_API_KEY" in result.stderr
        assert_one_sentence(result.stderr)


class TestExitCodes:
    def test_2_without_a_key(self, cli_env: dict[str, str]) -> None:
        del cli_env["DEEPGRAM_API_KEY"]
        cli_env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
        result = run_cli(["balance", "--json"], cli_env)
        assert result.returncode == 2
        assert result.stdout == ""
        assert "No Deepgram API key is set" in result.stderr
        assert_one_sentence(result.stderr)

    def test_2_for_a_bad_config(self, cli_env: dict[str, str]) -> None:
        config = Path(cli_env["DEEPGRAM_TRAY_CONFIG"])
        config.parent.mkdir(parents=True)
        config.write_text("poll_interval = 3\n")
        result = run_cli(["balance"], cli_env)
        assert result.returncode == 2
        assert "poll_interval" in result.stderr and "minimum of 10 s" in result.stderr
        assert_one_sentence(result.stderr)

    def test_2_for_a_plain_http_remote_url(self, cli_env: dict[str, str]) -> None:
        cli_env["DEEPGRAM_TRAY_API_URL"] = "http://api.deepgram.com"
        result = run_cli(["balance"], cli_env)
        assert result.returncode == 2
        assert "https://" in result.stderr
        assert_one_sentence(result.stderr)

    def test_2_for_an_unknown_project(self, cli_env: dict[str, str]) -> None:
        result = run_cli(
            ["balance", "--json", "--project", "nope", "--project", PROJECT_B], cli_env
        )
        assert result.returncode == 2
        document = json.loads(result.stdout)
        assert document["projects"][0]["error"]["kind"] == "not_found"
        assert document["totals"] == {"usd": 3.25}
        assert "nope" in result.stderr
        assert_one_sentence(result.stderr)

    def test_2_for_usage_errors(self, cli_env: dict[str, str]) -> None:
        result = run_cli(["balance", "--format", "xml"], cli_env)
        assert result.returncode == 2
        assert "invalid choice" in result.stderr and "Traceback" not in result.stderr

    def test_3_for_an_invalid_key(self, cli_env: dict[str, str]) -> None:
        cli_env["DEEPGRAM_API_KEY"] = BAD_KEY
        result = run_cli(["balance", "--json"], cli_env)
        assert result.returncode == 3
        assert result.stdout == ""
        assert "refused the API key" in result.stderr and "request id" in result.stderr
        assert_one_sentence(result.stderr)

    def test_3_for_a_member_key(self, cli_env: dict[str, str]) -> None:
        cli_env["DEEPGRAM_API_KEY"] = MEMBER_KEY
        result = run_cli(["balance", "--json"], cli_env)
        assert result.returncode == 3
        document = json.loads(result.stdout)
        assert {p["error"]["kind"] for p in document["projects"]} == {"permission"}
        assert document["totals"] == {}
        assert "Owner or Admin" in result.stderr
        assert_one_sentence(result.stderr)

    @pytest.mark.parametrize(
        ("fault", "says"),
        [
            (Fault(500, "oops"), "server error (HTTP 500)"),
            (Fault(503), "server error (HTTP 503)"),
            (Fault(429, headers={"Retry-After": "17"}), "wait 17 s"),
            (Fault(200, "<html>portal</html>"), "HTML page"),
            (Fault(200, '{"projects": [{"project_id"'), "not JSON"),
            (Fault(200, {"projects": {"x": 1}}), "not a list"),
            (Fault(action="close"), "closed the connection"),
        ],
    )
    def test_4_for_transient_and_malformed_answers(
        self, cli_env: dict[str, str], deepgram: FakeDeepgram, fault: Fault, says: str
    ) -> None:
        deepgram.fail("^/v1/projects$", fault)
        result = run_cli(["balance", "--json"], cli_env)
        assert result.returncode == 4
        assert result.stdout == ""
        assert says in result.stderr
        assert_one_sentence(result.stderr)

    def test_4_when_nothing_listens(self, cli_env: dict[str, str]) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        cli_env["DEEPGRAM_TRAY_API_URL"] = f"http://127.0.0.1:{port}"
        result = run_cli(["balance"], cli_env)
        assert result.returncode == 4
        assert "connection was refused" in result.stderr
        assert_one_sentence(result.stderr)

    def test_partial_failure_prints_what_was_read(
        self, cli_env: dict[str, str], deepgram: FakeDeepgram
    ) -> None:
        deepgram.fail(f"{PROJECT_B}/balances", Fault(502))
        result = run_cli(["balance", "--format", "prometheus"], cli_env)
        assert result.returncode == 4
        assert 'deepgram_balance_total{units="usd"} 125.06822227' in result.stdout
        assert f'deepgram_balance_up{{project_id="{PROJECT_B}"}} 0' in result.stdout
        assert "Staging: " in result.stderr
        assert_one_sentence(result.stderr)

    def test_most_severe_code_wins(self, cli_env: dict[str, str], deepgram: FakeDeepgram) -> None:
        deepgram.fail(f"{PROJECT_A}/balances", Fault(503))
        deepgram.fail(f"{PROJECT_B}/balances", Fault(403, {"category": "FORBIDDEN"}))
        result = run_cli(["balance", "--json"], cli_env)
        assert result.returncode == 3

    def test_1_for_a_bug_without_a_traceback(self, cli_env: dict[str, str], tmp_path: Path) -> None:
        plant_at_startup(
            cli_env,
            tmp_path / "plant",
            "import trayapp.formats\n"
            "def broken(snapshot, forecast=None):\n"
            "    raise ZeroDivisionError('planted')\n"
            "trayapp.formats.render_json = broken\n",
        )
        result = run_cli(["balance", "--json"], cli_env)
        assert result.returncode == 1
        assert "unexpected" in result.stderr and "ZeroDivisionError" in result.stderr
        assert_one_sentence(result.stderr)

    def test_4_for_an_unwritable_output(self, cli_env: dict[str, str], tmp_path: Path) -> None:
        blocker = tmp_path / "file"
        blocker.write_text("")
        result = run_cli(["balance", "--output", str(blocker / "out.prom")], cli_env)
        assert result.returncode == 2
        assert "Cannot write" in result.stderr
        assert_one_sentence(result.stderr)


class TestOtherCommands:
    def test_version(self, cli_env: dict[str, str]) -> None:
        result = run_cli(["--version"], cli_env)
        assert (result.returncode, result.stdout.strip()) == (0, f"deepgram-tray {__version__}")

    def test_config_path_show_set(self, cli_env: dict[str, str]) -> None:
        path = cli_env["DEEPGRAM_TRAY_CONFIG"]
        assert run_cli(["config", "path"], cli_env).stdout.strip() == path
        result = run_cli(["config", "set", "warn_below", "42"], cli_env)
        assert result.returncode == 0, result.stderr
        assert "warn_below = 42.0" in result.stdout
        shown = run_cli(["config", "show"], cli_env).stdout
        assert "warn_below = 42.0" in shown and "poll_interval = 300" in shown
        assert "DEEPGRAM_TRAY_API_URL" in shown  # says where api_url comes from

    def test_config_set_refuses_bad_values(self, cli_env: dict[str, str]) -> None:
        result = run_cli(["config", "set", "poll_interval", "3"], cli_env)
        assert result.returncode == 2
        assert not Path(cli_env["DEEPGRAM_TRAY_CONFIG"]).exists()
        assert_one_sentence(result.stderr)

    def test_config_set_never_overwrites_a_broken_file(self, cli_env: dict[str, str]) -> None:
        config = Path(cli_env["DEEPGRAM_TRAY_CONFIG"])
        config.parent.mkdir(parents=True)
        config.write_text("this is [not toml\n")
        result = run_cli(["config", "set", "notify", "false"], cli_env)
        assert result.returncode == 2
        assert "not valid TOML" in result.stderr
        assert config.read_text() == "this is [not toml\n"

    def test_key_status_from_env(self, cli_env: dict[str, str]) -> None:
        result = run_cli(["key", "status"], cli_env)
        assert result.returncode == 0
        assert f"ending in …{OWNER_KEY[-4:]}, from DEEPGRAM_API_KEY" in result.stdout

    def test_key_commands_without_a_keyring(self, cli_env: dict[str, str]) -> None:
        del cli_env["DEEPGRAM_API_KEY"]
        for args in (["key", "status"], ["key", "delete"], ["key", "set", "--no-verify"]):
            result = run_cli(args, cli_env, stdin=OWNER_KEY)
            assert result.returncode == 2, args
            assert "No OS keyring is available" in result.stderr
            assert_one_sentence(result.stderr)

    def test_run_without_a_display_says_what_to_do(self, cli_env: dict[str, str]) -> None:
        for name in ("DISPLAY", "WAYLAND_DISPLAY", "PYSTRAY_BACKEND"):
            cli_env.pop(name, None)
        cli_env["XDG_RUNTIME_DIR"] = cli_env["HOME"]
        result = run_cli(["run"], cli_env)
        assert result.returncode == 2
        assert "No graphical session was found" in result.stderr
        assert "deepgram-tray balance" in result.stderr
        assert_one_sentence(result.stderr)

    def test_help_lists_the_commands(self, cli_env: dict[str, str]) -> None:
        result = run_cli(["--help"], cli_env)
        assert result.returncode == 0
        for command in ("run", "balance", "key", "config"):
            assert command in result.stdout


class TestWindowedLauncher:
    """Windows' gui-script launcher, pythonw and a windowed bundle give the program no console:
    sys.stdin, stdout and stderr are None. Nothing may crash on that (an uncaught exception
    there is invisible: the process just exits with 1)."""

    @staticmethod
    def run_windowed(args: list[str], env: dict[str, str]) -> int:
        import subprocess
        import sys

        from tests.conftest import REPO_ROOT

        code = (
            "import sys\n"
            "sys.stdin = sys.stdout = sys.stderr = None\n"
            "from trayapp.cli import main\n"
            f"raise SystemExit(main({args!r}))\n"
        )
        completed = subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=REPO_ROOT, capture_output=True, timeout=60
        )
        return completed.returncode

    @pytest.mark.parametrize(
        ("args", "expected"),
        [
            (["--version"], 0),  # argparse prints to sys.stdout
            (["no-such-command"], 2),  # argparse prints usage to sys.stderr
            (["-v", "balance"], 0),  # log records go to sys.stderr
            (["key", "set", "--no-verify"], 2),  # reads sys.stdin: nothing there
        ],
    )
    def test_no_console_is_no_crash(
        self, args: list[str], expected: int, cli_env: dict[str, str]
    ) -> None:
        assert self.run_windowed(args, cli_env) == expected

    def test_output_to_a_file_still_works(self, cli_env: dict[str, str], tmp_path: Path) -> None:
        out = tmp_path / "balance.prom"
        assert (
            self.run_windowed(["balance", "--format", "prometheus", "--output", str(out)], cli_env)
            == 0
        )
        assert 'deepgram_balance_total{units="usd"} 128.31822227' in out.read_text()


@pytest.mark.parametrize(
    ("command", "instead"),
    [(["settings"], "`deepgram-tray key set`"), (["history", "--window"], "--format csv")],
)
def test_a_window_without_a_display_says_what_to_use_instead(
    cli_env: dict[str, str], command: list[str], instead: str
) -> None:
    env = {k: v for k, v in cli_env.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = run_cli(command, env)
    assert result.returncode == 2
    assert "needs a graphical session" in result.stderr and instead in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("command", [["settings"], ["history", "--window"]])
def test_a_window_without_tk_says_what_to_install(
    cli_env: dict[str, str], tmp_path: Path, command: list[str]
) -> None:
    # A Python built without Tk: importing tkinter fails.
    plant_at_startup(cli_env, tmp_path / "no-tk", "import sys\nsys.modules['tkinter'] = None\n")
    result = run_cli(command, cli_env)
    assert result.returncode == 2
    assert "needs Tk: install python3-tk" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
