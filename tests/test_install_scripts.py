"""The README's install command and its undo, for real, into a throwaway home folder."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT


def run(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REPO_ROOT / "scripts" / script), *args],
        env=env,
        stdin=subprocess.DEVNULL,  # not a terminal: no key prompt
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_install_then_uninstall_leaves_nothing_behind(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    home = Path(cli_env["HOME"])
    data = Path(cli_env["XDG_DATA_HOME"])
    cli_env["XDG_CONFIG_HOME"] = str(home / ".config")
    cli_env["XDG_STATE_HOME"] = str(home / ".local" / "state")
    cli_env.pop("DEEPGRAM_TRAY_CONFIG", None)

    # With arguments the script installs, then runs `deepgram-tray ARGS` instead of the tray.
    installed = run("install-and-run", "balance", "--json", env=cli_env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert '"usd": 128.31822227' in installed.stdout
    link = home / ".local" / "bin" / "deepgram-tray"
    assert link.is_symlink() and link.resolve().is_file()
    entry = data / "applications" / "deepgram-balance-tray.desktop"
    assert f"\nExec={data / 'deepgram-balance-tray' / 'venv' / 'bin' / 'deepgram-tray'}\n" in (
        entry.read_text()
    )
    assert (data / "icons" / "hicolor" / "48x48" / "apps" / "deepgram-balance-tray.png").is_file()

    tray = str(link)
    subprocess.run([tray, "autostart", "enable"], env=cli_env, check=True, capture_output=True)
    subprocess.run([tray, "config", "set", "warn_below", "30"], env=cli_env, check=True)
    config = home / ".config" / "deepgram-balance-tray" / "config.toml"
    assert config.is_file()
    history = data / "deepgram-balance-tray" / "history.sqlite3"
    history.write_bytes(b"")  # as the tray would have recorded

    kept = run("uninstall", env=cli_env)
    assert kept.returncode == 0, kept.stderr
    assert not link.exists() and not entry.exists()
    assert not (data / "deepgram-balance-tray" / "venv").exists()
    assert not (home / ".config" / "autostart" / "deepgram-balance-tray.desktop").exists()
    assert config.is_file(), "plain uninstall keeps the settings"
    assert history.exists(), "and the balance history"
    assert "Kept the API key" in kept.stdout

    # --purge also removes the settings and logs (reinstall first: it needs the app).
    assert run("install-and-run", "--version", env=cli_env).returncode == 0
    purged = run("uninstall", "--purge", env=cli_env)
    assert purged.returncode == 0, purged.stderr
    assert not config.exists() and not config.parent.exists()
    assert not (data / "deepgram-balance-tray").exists()
    assert not (home / ".local" / "state" / "deepgram-balance-tray").exists()
    pip_cache = home / ".cache" / "pip"  # pip's own business (it may keep the wheel it built)
    leftovers = [
        p for p in home.rglob("*") if "deepgram" in p.name and not p.is_relative_to(pip_cache)
    ]
    assert leftovers == [], leftovers
