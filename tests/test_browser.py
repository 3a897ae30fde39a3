"""Opening the Console: a browser that could not be opened is known, so the tray can say so.

Real commands on PATH stand in for xdg-open and the user's BROWSER, as a desktop without a web
browser has them: xdg-open there exits non-zero ("no method available") after webbrowser has
already called its start a success.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from trayapp.tray.browser import open_in_browser

URL = "https://console.deepgram.com/"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="xdg-open is a Unix command")


def command(folder: Path, name: str, exit_code: int) -> Path:
    """A command that notes its arguments in NAME.args and exits with `exit_code`."""
    path = folder / name
    path.write_text(f'#!/bin/sh\necho "$@" >> "{folder / name}.args"\nexit {exit_code}\n')
    path.chmod(0o755)
    return path


def ran(folder: Path, name: str) -> list[str]:
    args = folder / f"{name}.args"
    return args.read_text().splitlines() if args.exists() else []


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    monkeypatch.delenv("BROWSER", raising=False)
    return tmp_path


def test_xdg_open_finding_no_browser_is_a_failure(
    bin_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    command(bin_dir, "xdg-open", 3)  # xdg-open's "no method available"
    with caplog.at_level(logging.WARNING):
        assert open_in_browser(URL) is False
    assert ran(bin_dir, "xdg-open") == [URL]
    assert f"xdg-open could not open {URL} (exit code 3)" in caplog.text


def test_xdg_open_that_opens_it(bin_dir: Path) -> None:
    command(bin_dir, "xdg-open", 0)
    assert open_in_browser(URL) is True
    assert ran(bin_dir, "xdg-open") == [URL]


def test_the_users_browser_comes_first(bin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    command(bin_dir, "xdg-open", 0)
    mine = command(bin_dir, "my-browser", 0)
    monkeypatch.setenv("BROWSER", str(mine))
    assert open_in_browser(URL) is True
    assert ran(bin_dir, "my-browser") == [URL] and ran(bin_dir, "xdg-open") == []


def test_a_failing_browser_and_xdg_open_is_a_failure(
    bin_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command(bin_dir, "xdg-open", 4)
    monkeypatch.setenv("BROWSER", f"{command(bin_dir, 'broken', 1)}:{bin_dir / 'missing'}")
    assert open_in_browser(URL) is False
    assert ran(bin_dir, "broken") == [URL] and ran(bin_dir, "xdg-open") == [URL]
