"""The config file at its edges: exactly a mebibyte, which of several long numbers is named, and a
missing file read without loading the file-reading code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from trayapp.config import load_settings, read_config_file
from trayapp.errors import ConfigError

MIB = 1024 * 1024


def test_a_file_of_exactly_a_mebibyte_is_read_one_byte_more_is_not(
    isolated_config: Path,
) -> None:
    isolated_config.parent.mkdir(parents=True)
    setting = b"poll_interval = 600\n"
    comment = b"# " + b"x" * (MIB - len(setting) - 3) + b"\n"
    isolated_config.write_bytes(setting + comment)
    assert isolated_config.stat().st_size == MIB
    assert read_config_file(isolated_config) == {"poll_interval": 600}
    isolated_config.write_bytes(setting + comment + b"\n")
    with pytest.raises(ConfigError, match="is larger than 1 MiB"):
        read_config_file(isolated_config)


def test_the_setting_with_the_longest_number_is_named(isolated_config: Path) -> None:
    # critical_below's 150 digits Python reads; poll_interval's 5000 it refuses. The longer name
    # must not win.
    isolated_config.parent.mkdir(parents=True)
    isolated_config.write_text(f"critical_below = 1{'0' * 149}\npoll_interval = {'7' * 5000}\n")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.message == (
        f"poll_interval in the config file {isolated_config} is a number thousands of digits "
        "long: set it to a sensible value, or move the file away to start from the defaults."
    )


def test_a_long_number_no_setting_holds_is_still_one_sentence(isolated_config: Path) -> None:
    isolated_config.parent.mkdir(parents=True)
    isolated_config.write_text(f"extra = [{'7' * 5000}]\n")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.message == (
        f"The config file {isolated_config} holds a number thousands of digits long: fix it, or "
        "move it away to start from the defaults."
    )


def test_without_a_file_the_file_reading_code_is_never_loaded(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from trayapp.config import load_settings\n"
        "load_settings()\n"
        "print('trayapp.atomic' in sys.modules)\n"
    )
    env = dict(os.environ, DEEPGRAM_TRAY_CONFIG=str(tmp_path / "none.toml"))
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
        env=env,
    )
    assert done.stdout.strip() == "False", done.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="a symlink to itself, as POSIX has them")
def test_a_file_that_cannot_be_read_says_why(isolated_config: Path) -> None:
    isolated_config.parent.mkdir(parents=True)
    isolated_config.symlink_to(isolated_config.name)  # a loop: stat fails, lstat does not
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.message == (
        f"The config file {isolated_config} cannot be read (Too many levels of symbolic links): "
        "check that it is a file you may read."
    )
    assert isolated_config.is_symlink()
