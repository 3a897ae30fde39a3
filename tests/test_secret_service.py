"""The key's storage path against a real Secret Service (gnome-keyring-daemon on a private bus).

`scripts/test` provides the daemon (see scripts/with-test-keyring) and sets
DEEPGRAM_TRAY_TEST_SECRET_SERVICE=1; there a missing daemon fails these tests instead of skipping
them. Run by hand without it, they skip rather than write into your own keyring.
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import OWNER_KEY, run_cli, stored_secret

pytestmark = pytest.mark.keyring_daemon

SECRET_SERVICE_BACKEND = "keyring.backends.SecretService.Keyring"


def test_key_set_status_delete_round_trip(secret_service: None, cli_env: dict[str, str]) -> None:
    del cli_env["DEEPGRAM_API_KEY"]
    cli_env["PYTHON_KEYRING_BACKEND"] = SECRET_SERVICE_BACKEND
    # The keyring daemon's files live where scripts/with-test-keyring put them.
    cli_env["XDG_DATA_HOME"] = os.environ["XDG_DATA_HOME"]

    result = run_cli(["key", "set"], cli_env, stdin=OWNER_KEY + "\n")
    assert result.returncode == 0, result.stderr
    assert "it sees 2 projects and can read balances" in result.stdout
    assert stored_secret() == OWNER_KEY

    status = run_cli(["key", "status"], cli_env)
    assert status.returncode == 0
    assert f"…{OWNER_KEY[-4:]}, stored in the OS keyring (Secret Service)" in status.stdout

    balance = run_cli(["balance", "--json"], cli_env)
    assert balance.returncode == 0, balance.stderr
    assert '"usd": 128.31822227' in balance.stdout

    deleted = run_cli(["key", "delete"], cli_env)
    assert deleted.returncode == 0
    assert stored_secret() is None
    assert run_cli(["key", "status"], cli_env).returncode == 2


def test_key_set_replaces_an_existing_key(secret_service: None, cli_env: dict[str, str]) -> None:
    del cli_env["DEEPGRAM_API_KEY"]
    cli_env["PYTHON_KEYRING_BACKEND"] = SECRET_SERVICE_BACKEND
    assert (
        run_cli(["key", "set", "--no-verify"], cli_env, stdin="firstkey0000000001").returncode == 0
    )
    assert run_cli(["key", "set", "--no-verify"], cli_env, stdin=OWNER_KEY).returncode == 0
    assert stored_secret() == OWNER_KEY
