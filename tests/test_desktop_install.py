"""The applications-menu entry (`install-desktop` / `uninstall-desktop`) and the .desktop files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import REPO_ROOT, run_cli
from trayapp import cli
from trayapp.desktop import resources
from trayapp.desktop.entry import desktop_entry

SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def validate(path: Path) -> None:
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        if os.environ.get("DEEPGRAM_TRAY_TEST_REQUIRE_DISPLAY") == "1":
            pytest.fail("needs desktop-file-validate (scripts/test installs it)")
        pytest.skip("needs desktop-file-validate (desktop-file-utils)")
    completed = subprocess.run([validator, str(path)], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.strip() == ""  # not even a hint


def expected_launcher() -> str:
    launcher = Path(sys.executable).parent / "deepgram-tray"
    return str(launcher) if launcher.exists() else f"{sys.executable} -m trayapp"


class TestDesktopFiles:
    def test_the_packaged_entry_is_the_one_the_app_writes(self) -> None:
        # packaging/linux/ is for distribution packages (deepgram-tray on PATH); it must not drift
        # from what install-desktop writes.
        packaged = REPO_ROOT / "packaging" / "linux" / "deepgram-balance-tray.desktop"
        assert packaged.read_text(encoding="utf-8") == desktop_entry(["deepgram-tray"])

    def test_the_packaged_entry_validates(self) -> None:
        validate(REPO_ROOT / "packaging" / "linux" / "deepgram-balance-tray.desktop")

    @pytest.mark.parametrize("autostart", [False, True], ids=["menu", "autostart"])
    def test_entries_for_awkward_paths_validate(self, tmp_path: Path, autostart: bool) -> None:
        entry = tmp_path / "deepgram-balance-tray.desktop"
        command = ["/home/Jo $mith/100% tray/bin/python", "-m", "trayapp"]
        entry.write_text(desktop_entry(command, autostart=autostart), encoding="utf-8")
        validate(entry)

    def test_the_menu_entry_offers_the_history_and_settings_windows(self) -> None:
        entry = desktop_entry(["/opt/dg/deepgram-tray"])
        assert "Actions=history;settings;" in entry
        action = "[Desktop Action settings]\nName=Settings…\nExec=/opt/dg/deepgram-tray settings\n"
        assert action in entry
        history = (
            "[Desktop Action history]\nName=Balance history…\n"
            "Exec=/opt/dg/deepgram-tray history --window\n"
        )
        assert history in entry


class TestInstallDesktop:
    def test_install_and_uninstall_round_trip(
        self, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        data_home = tmp_path / "data"
        cli_env["XDG_DATA_HOME"] = str(data_home)
        cli_env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
        entry = data_home / "applications" / "deepgram-balance-tray.desktop"

        installed = run_cli(["install-desktop"], cli_env)
        assert installed.returncode == 0, installed.stderr
        assert str(entry) in installed.stdout
        assert "deepgram-tray autostart enable" in installed.stdout
        text = entry.read_text(encoding="utf-8")
        assert f"\nExec={expected_launcher()}\n" in text
        assert "\nIcon=deepgram-balance-tray\n" in text
        validate(entry)

        theme = data_home / "icons" / "hicolor"
        for size in SIZES:
            icon = theme / f"{size}x{size}" / "apps" / "deepgram-balance-tray.png"
            with Image.open(icon) as image:
                assert image.size == (size, size), icon
        assert (theme / "scalable" / "apps" / "deepgram-balance-tray.svg").is_file()

        # Installing again (an update) rewrites the same files, nothing more.
        again = run_cli(["install-desktop"], cli_env)
        assert again.returncode == 0, again.stderr
        assert len(list(theme.glob("*/apps/*"))) == len(SIZES) + 1

        # Start at login stays the user's choice; uninstalling says it is still on.
        assert run_cli(["autostart", "enable"], cli_env).returncode == 0
        removed = run_cli(["uninstall-desktop"], cli_env)
        assert removed.returncode == 0, removed.stderr
        assert removed.stdout.startswith(f"Removed the menu entry and {len(SIZES) + 1} icons.\n")
        assert "deepgram-tray autostart disable" in removed.stdout
        assert not entry.exists()
        assert list(theme.glob("*/apps/*")) == []

        nothing = run_cli(["uninstall-desktop"], cli_env)
        assert nothing.stdout.startswith("There was no menu entry to remove.\n")

    def test_other_apps_icons_are_left_alone(self, cli_env: dict[str, str], tmp_path: Path) -> None:
        cli_env["XDG_DATA_HOME"] = str(tmp_path / "data")
        neighbour = tmp_path / "data" / "icons" / "hicolor" / "48x48" / "apps" / "other-app.png"
        neighbour.parent.mkdir(parents=True)
        neighbour.write_bytes(b"not ours")
        assert run_cli(["install-desktop"], cli_env).returncode == 0
        assert run_cli(["uninstall-desktop"], cli_env).returncode == 0
        assert neighbour.read_bytes() == b"not ours"

    def test_an_unwritable_data_folder_is_reported(
        self, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        blocker = tmp_path / "data"
        blocker.write_text("a file where the folder should be")
        cli_env["XDG_DATA_HOME"] = str(blocker)
        result = run_cli(["install-desktop"], cli_env)
        assert result.returncode == 2
        assert result.stderr.startswith("deepgram-tray: Could not change the applications menu")
        assert "Traceback" not in result.stderr

    def test_missing_icons_are_reported(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
        monkeypatch.setattr(resources, "assets_dir", lambda: None)
        assert cli.main(["install-desktop"]) == 2
        assert "missing its icons: reinstall it" in capsys.readouterr().err
        assert not (tmp_path / "data").exists()

    @pytest.mark.parametrize("platform", ["win32", "darwin"])
    def test_other_systems_are_pointed_elsewhere(
        self,
        platform: str,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
    ) -> None:
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
        monkeypatch.setattr(sys, "platform", platform)
        assert cli.main(["install-desktop"]) == 2
        assert "is for Linux desktops" in capsys.readouterr().err
        assert not (tmp_path / "data").exists()
