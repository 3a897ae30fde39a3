"""Start-up stays lean: which modules each command imports (a structural check, not a timing one).

`deepgram-tray balance` is benchmarked against a bare `requests` script (BENCHMARKS.md); these
tests keep the imports that made it slow from creeping back.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO_ROOT

PROBE = """
import io, json, sys, contextlib
from trayapp.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
print(json.dumps(sorted(sys.modules)))
"""


def modules_loaded_by(args: list[str], env: dict[str, str]) -> set[str]:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
        timeout=60,
    )
    return set(json.loads(completed.stdout.splitlines()[-1]))


def test_version_imports_no_http_keyring_or_config_code(cli_env: dict[str, str]) -> None:
    loaded = modules_loaded_by(["--version"], cli_env)
    for heavy in (
        "requests",
        "keyring",
        "platformdirs",
        "tomllib",
        "trayapp.deepgram.client",
        "pystray",
    ):
        assert heavy not in loaded, heavy


def test_balance_with_an_env_key_skips_the_keyring_and_unused_parsers(
    cli_env: dict[str, str],
) -> None:
    loaded = modules_loaded_by(["balance"], cli_env)
    assert "trayapp.deepgram.client" in loaded  # the probe really fetched
    for unneeded in (
        "keyring",  # the key comes from DEEPGRAM_API_KEY
        "tomllib",  # there is no config file
        "dataclasses",  # value types are NamedTuples (see trayapp.deepgram.models)
        "pystray",
        "PIL",
        "trayapp.tray.panel_formats",  # only for the bars' formats
    ):
        assert unneeded not in loaded, unneeded
