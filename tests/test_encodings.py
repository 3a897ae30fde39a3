"""Output never fails on a name the locale cannot encode (Linux side; Windows: tests/windows/).

Project names are the user's own. Under LANG=C, Python switches to UTF-8 by itself (PEP 538/540);
with that switched off too, stdout is ASCII: machine formats must still be UTF-8, and text for
people must still print, with what cannot be shown replaced.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, UNICODE_NAME, UNICODE_PROJECT, run_cli
from tests.support.deepgram_server import FakeDeepgram

LOCALES = {
    "LANG=C": {"LANG": "C", "LC_ALL": ""},
    "LC_ALL=POSIX": {"LC_ALL": "POSIX"},
    # The locale as it is, no UTF-8 rescue: stdout is ASCII.
    "ascii": {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
}


def run_bytes(
    args: list[str], env: dict[str, str], *, program: list[str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*(program or [sys.executable, "-m", "trayapp"]), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        cwd=REPO_ROOT,
    )


@pytest.mark.parametrize("locale", LOCALES)
class TestUnderAPoorLocale:
    def test_json_and_prometheus_are_utf8(
        self, cli_env: dict[str, str], unicode_project: FakeDeepgram, locale: str
    ) -> None:
        env = {**cli_env, **LOCALES[locale]}

        as_json = run_bytes(["balance", "--json"], env)
        as_metrics = run_bytes(["balance", "--format", "prometheus"], env)

        assert as_json.returncode == 0, as_json.stderr
        names = [p["name"] for p in json.loads(as_json.stdout.decode("utf-8"))["projects"]]
        assert UNICODE_NAME in names
        assert as_metrics.returncode == 0, as_metrics.stderr
        assert f'project_name="{UNICODE_NAME}"' in as_metrics.stdout.decode("utf-8")

    def test_text_prints_every_other_line(
        self, cli_env: dict[str, str], unicode_project: FakeDeepgram, locale: str
    ) -> None:
        result = run_bytes(["balance"], {**cli_env, **LOCALES[locale]})

        assert result.returncode == 0, result.stderr
        lines = result.stdout.decode("utf-8").splitlines()
        assert lines[-1] == "Total           $135.32"
        assert any("$7.00" in line for line in lines)

    def test_an_error_naming_the_project_is_printed(
        self, cli_env: dict[str, str], unicode_project: FakeDeepgram, locale: str
    ) -> None:
        unicode_project.set_balances(UNICODE_PROJECT, "not a list")  # type: ignore[arg-type]

        result = run_bytes(["balance"], {**cli_env, **LOCALES[locale]})

        assert result.returncode == 4
        said = result.stderr.decode("utf-8")
        assert said.startswith("deepgram-tray: ")
        assert "Traceback" not in said


def test_in_a_utf8_locale_text_shows_the_name(
    cli_env: dict[str, str], unicode_project: FakeDeepgram
) -> None:
    result = run_cli(["balance"], {**cli_env, "LC_ALL": "C.UTF-8"})

    assert UNICODE_NAME in result.stdout


def test_under_ascii_text_replaces_only_what_cannot_be_shown(
    cli_env: dict[str, str], unicode_project: FakeDeepgram
) -> None:
    result = run_bytes(["balance"], {**cli_env, **LOCALES["ascii"]})

    assert "??? ? ?" in result.stdout.decode("ascii")


def test_output_files_are_utf8_whatever_the_locale(
    cli_env: dict[str, str], unicode_project: FakeDeepgram, tmp_path: Path
) -> None:
    target = tmp_path / "balance.txt"

    result = run_bytes(["balance", "--output", str(target)], {**cli_env, **LOCALES["ascii"]})

    assert result.returncode == 0, result.stderr
    assert UNICODE_NAME in target.read_text(encoding="utf-8")


def test_a_path_read_as_raw_bytes_is_printed_as_the_same_bytes(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    # Under the C locale Python reads a non-ASCII file name as raw bytes (surrogateescape); it
    # must come back out unchanged, not as "?", or scripts could not use it.
    raw = bytes(tmp_path) + b"/caf\xe9/config.toml"
    env: dict[str, str | bytes] = {**cli_env, **LOCALES["ascii"], "DEEPGRAM_TRAY_CONFIG": raw}

    result = subprocess.run(
        [sys.executable, "-m", "trayapp", "config", "path"],
        env=env,  # type: ignore[arg-type]
        capture_output=True,
        timeout=60,
        cwd=REPO_ROOT,
    )

    assert result.stdout == raw + b"\n"
