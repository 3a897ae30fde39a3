"""Start at login: the pure writers for every OS, and a real round trip on Linux."""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli
from trayapp.desktop.autostart import LAUNCH_AGENT_LABEL, launch_agent_plist, windows_run_value
from trayapp.desktop.entry import desktop_entry, exec_line
from trayapp.desktop.self_command import launch_command, own_command


class TestLaunchCommand:
    def test_a_bundle_starts_itself(self) -> None:
        assert launch_command("/opt/Deepgram Balance/deepgram-tray", frozen=True) == [
            "/opt/Deepgram Balance/deepgram-tray"
        ]

    def test_a_venv_or_pipx_install_uses_its_launcher(self, tmp_path: Path) -> None:
        (tmp_path / "deepgram-tray").write_text("#!/bin/sh\n")
        assert launch_command(str(tmp_path / "python"), frozen=False) == [
            str(tmp_path / "deepgram-tray")
        ]

    def test_otherwise_the_same_python_runs_the_package(self, tmp_path: Path) -> None:
        python = str(tmp_path / "python3")
        assert launch_command(python, frozen=False) == [python, "-m", "trayapp"]

    def test_windows_prefers_the_windowed_launcher(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(sys, "platform", "win32")
        (tmp_path / "deepgram-tray.exe").write_text("")
        (tmp_path / "deepgram-tray-gui.exe").write_text("")
        assert launch_command(str(tmp_path / "python.exe"), frozen=False) == [
            str(tmp_path / "deepgram-tray-gui.exe")
        ]

    def test_a_windows_bundle_starts_its_windowed_program(self, tmp_path: Path) -> None:
        # Even when the console program (the CLI) was the one that ran `autostart enable`.
        (tmp_path / "deepgram-tray-gui.exe").write_text("")
        console = str(tmp_path / "deepgram-tray.exe")
        assert launch_command(console, frozen=True, platform="win32") == [
            str(tmp_path / "deepgram-tray-gui.exe")
        ]

    def test_windows_without_launchers_uses_pythonw(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(sys, "platform", "win32")
        (tmp_path / "pythonw.exe").write_text("")
        assert launch_command(str(tmp_path / "python.exe"), frozen=False) == [
            str(tmp_path / "pythonw.exe"),
            "-m",
            "trayapp",
        ]


class TestOwnCommand:
    """How the tray starts its own children (the fetch worker, the settings window)."""

    def test_an_installed_app_runs_the_package_with_its_python(self) -> None:
        assert own_command("_fetch", executable="/v/bin/python", frozen=False) == [
            "/v/bin/python",
            "-m",
            "trayapp",
            "_fetch",
        ]

    def test_a_bundle_runs_itself(self) -> None:
        assert own_command("_fetch", executable="/opt/dg/deepgram-tray", frozen=True) == [
            "/opt/dg/deepgram-tray",
            "_fetch",
        ]

    def test_a_windows_bundle_runs_its_console_program(self, tmp_path: Path) -> None:
        # The windowed program may have no stdout to answer on; the console one does, and
        # CREATE_NO_WINDOW keeps its console from showing.
        (tmp_path / "deepgram-tray.exe").write_text("")
        windowed = str(tmp_path / "deepgram-tray-gui.exe")
        assert own_command("_fetch", executable=windowed, frozen=True, platform="win32") == [
            str(tmp_path / "deepgram-tray.exe"),
            "_fetch",
        ]


class TestLinux:
    @pytest.mark.parametrize(
        ("command", "line"),
        [
            (["/usr/bin/deepgram-tray"], "/usr/bin/deepgram-tray"),
            (
                ["/home/a b/venv/bin/python", "-m", "trayapp"],
                '"/home/a b/venv/bin/python" -m trayapp',
            ),
            (['/opt/we"ird$/x'], '"/opt/we\\\\"ird\\\\$/x"'),
            (["/opt/100%/tray"], "/opt/100%%/tray"),
        ],
    )
    def test_exec_quoting(self, command: list[str], line: str) -> None:
        assert exec_line(command) == line.replace("\\\\", "\\")

    def test_entry_passes_desktop_file_validate(self, tmp_path: Path) -> None:
        validator = shutil.which("desktop-file-validate")
        if validator is None:
            if os.environ.get("DEEPGRAM_TRAY_TEST_REQUIRE_DISPLAY") == "1":
                pytest.fail("needs desktop-file-validate (scripts/test installs it)")
            pytest.skip("needs desktop-file-validate (desktop-file-utils)")
        entry = tmp_path / "deepgram-balance-tray.desktop"
        entry.write_text(
            desktop_entry(["/home/a b/venv/bin/python", "-m", "trayapp"], autostart=True)
        )
        completed = subprocess.run([validator, str(entry)], capture_output=True, text=True)
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert completed.stdout.strip() == ""  # not even a hint

    def test_enable_status_disable_round_trip(
        self, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        cli_env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
        entry = tmp_path / "xdg" / "autostart" / "deepgram-balance-tray.desktop"
        assert run_cli(["autostart", "status"], cli_env).stdout == "Start at login is disabled.\n"

        enabled = run_cli(["autostart", "enable"], cli_env)
        assert enabled.returncode == 0, enabled.stderr
        assert str(entry) in enabled.stdout
        written = entry.read_text()
        launcher = Path(sys.executable).parent / "deepgram-tray"
        expected = str(launcher) if launcher.exists() else f"{sys.executable} -m trayapp"
        assert f"\nExec={expected}\n" in written
        assert "X-GNOME-Autostart-enabled=true" in written
        assert "[Desktop Action" not in written  # the menu's Settings action is not for login
        assert run_cli(["autostart", "status"], cli_env).stdout == "Start at login is enabled.\n"

        disabled = run_cli(["autostart", "disable"], cli_env)
        assert disabled.stdout == "The tray will no longer start at login.\n"
        assert not entry.exists()
        again = run_cli(["autostart", "disable"], cli_env)
        assert again.stdout == "Start at login was not enabled; nothing to change.\n"

    def test_an_unwritable_autostart_folder_is_reported(
        self, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        blocker = tmp_path / "xdg"
        blocker.write_text("a file where the folder should be")
        cli_env["XDG_CONFIG_HOME"] = str(blocker)
        result = run_cli(["autostart", "enable"], cli_env)
        assert result.returncode == 2
        assert "Could not change start at login" in result.stderr
        assert "Traceback" not in result.stderr


def test_macos_launch_agent() -> None:
    plist = plistlib.loads(launch_agent_plist(["/Applications/Deepgram Balance.app/x"]))
    assert plist == {
        "Label": LAUNCH_AGENT_LABEL,
        "ProgramArguments": ["/Applications/Deepgram Balance.app/x"],
        "RunAtLoad": True,
        "ProcessType": "Interactive",
    }


def test_windows_run_value_quotes_paths_with_spaces() -> None:
    assert windows_run_value([r"C:\Program Files\Deepgram Balance\deepgram-tray.exe"]) == (
        r'"C:\Program Files\Deepgram Balance\deepgram-tray.exe"'
    )
    assert windows_run_value([r"C:\Users\a b\pythonw.exe", "-m", "trayapp"]) == (
        r'"C:\Users\a b\pythonw.exe" -m trayapp'
    )
