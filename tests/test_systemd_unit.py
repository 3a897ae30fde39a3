"""The systemd user unit in packaging/systemd: systemd itself accepts it (every key known, every
value valid), it runs `serve` from where pipx and `pip install --user` put it, restarts on
failure, and keeps the key out of the unit."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
from pathlib import Path

from tests.support.required import require_tools

UNIT = (
    Path(__file__).resolve().parent.parent
    / "packaging"
    / "systemd"
    / "deepgram-tray-exporter.service"
)


def unit_sections() -> configparser.RawConfigParser:
    # systemd allows a key more than once (ExecStartPre=, Environment=): strict=False keeps the
    # last, which is enough for the keys checked here.
    parser = configparser.RawConfigParser(strict=False, delimiters=("=",), comment_prefixes=("#",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """`systemd-analyze --user verify` on a copy whose ExecStart names a program that exists here
    (verify checks that it is executable): an unknown key, a bad value or a bad specifier makes
    it complain."""
    analyze = shutil.which("systemd-analyze")
    stand_in = shutil.which("true")
    if analyze is None or stand_in is None:
        require_tools(["systemd-analyze (Debian package systemd)"])
    assert analyze is not None and stand_in is not None
    text = UNIT.read_text(encoding="utf-8")
    assert "ExecStart=%h/.local/bin/deepgram-tray serve\n" in text
    copy = tmp_path / UNIT.name
    copy.write_text(text.replace("%h/.local/bin/deepgram-tray", stand_in))
    runtime = tmp_path / "runtime"  # a user manager needs XDG_RUNTIME_DIR, even to verify
    runtime.mkdir(mode=0o700)
    result = subprocess.run(
        [analyze, "--user", "verify", str(copy)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(tmp_path)},
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_unit_runs_serve_and_restarts_it() -> None:
    service = unit_sections()["Service"]
    assert service["ExecStart"] == "%h/.local/bin/deepgram-tray serve"
    assert service["Restart"] == "on-failure"
    # A broken config or a missing key (exit status 2) waits for a person, not a restart loop.
    assert service["RestartPreventExitStatus"] == "2"
    assert unit_sections()["Install"]["WantedBy"] == "default.target"


def test_the_key_stays_out_of_the_unit() -> None:
    service = unit_sections()["Service"]
    assert service["EnvironmentFile"] == "-%h/.config/deepgram-balance-tray/exporter.env"
    assert "Environment" not in service
    assert "DEEPGRAM_API_KEY=" not in "".join(
        line for line in UNIT.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    )


def test_the_unit_is_sandboxed_only_in_ways_a_user_manager_can_apply() -> None:
    service = unit_sections()["Service"]
    assert service["NoNewPrivileges"] == "yes"  # what lets an unprivileged manager use seccomp
    assert service["SystemCallFilter"] == "@system-service"
    assert "AF_UNIX" in service["RestrictAddressFamilies"]  # the keyring is on the session bus
    # These need mount namespaces, which a user service only gets where unprivileged user
    # namespaces are allowed: elsewhere the service would fail to start (status 226/NAMESPACE).
    for needs_namespaces in ("ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices"):
        assert needs_namespaces not in service
