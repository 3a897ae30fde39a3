"""`balance --max-age SECONDS`: the real CLI answering from the read the last run saved, and
reading Deepgram only when that read is too old, covers other projects or lacks a forecast."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.conftest import PROJECT_A, PROJECT_B, run_cli
from tests.support.deepgram_server import DOCUMENTED_ERRORS, FakeDeepgram
from tests.support.panel_consumers import WaybarModule, waybar_reads

READS = "/balances"


def saved_read_path(env: dict[str, str]) -> Path:
    return Path(env["XDG_CACHE_HOME"]) / "deepgram-balance-tray" / "last-read.json"


def reads(deepgram: FakeDeepgram) -> int:
    return len(deepgram.requests_to(READS))


def shown(stdout: str) -> WaybarModule:
    """What Waybar shows of the line (the README's snippet ends in `|| true`: any exit code)."""
    module = waybar_reads(stdout, 0)
    assert module is not None
    return module


def age_the_saved_read(env: dict[str, str], seconds: int) -> None:
    path = saved_read_path(env)
    document = json.loads(path.read_text())
    then = datetime.now(timezone.utc) - timedelta(seconds=seconds)
    document["snapshot"]["fetched_at"] = then.isoformat()
    path.write_text(json.dumps(document))


def test_a_second_run_answers_from_the_first_runs_read(
    cli_env: dict[str, str], deepgram: FakeDeepgram
) -> None:
    first = run_cli(["balance", "--json"], cli_env)
    assert first.returncode == 0 and saved_read_path(cli_env).exists()
    before = reads(deepgram)
    deepgram.set_balances(PROJECT_B, [{"balance_id": "bal-3", "amount": 1, "units": "usd"}])

    again = run_cli(["balance", "--json", "--max-age", "600"], cli_env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["totals"] == {"usd": 128.31822227}, "the saved read"
    assert reads(deepgram) == before

    fresh = run_cli(["balance", "--json"], cli_env)  # --max-age 0, the default: always read
    assert json.loads(fresh.stdout)["totals"] == {"usd": 126.06822227}
    assert reads(deepgram) == before + 2


def test_a_read_older_than_max_age_is_read_again(
    cli_env: dict[str, str], deepgram: FakeDeepgram
) -> None:
    run_cli(["balance"], cli_env)
    age_the_saved_read(cli_env, 120)
    before = reads(deepgram)
    assert run_cli(["balance", "--max-age", "100"], cli_env).returncode == 0
    assert reads(deepgram) == before + 2
    assert run_cli(["balance", "--max-age", "100"], cli_env).returncode == 0  # saved again
    assert reads(deepgram) == before + 2


def test_what_the_saved_read_covers_decides(
    cli_env: dict[str, str], deepgram: FakeDeepgram
) -> None:
    run_cli(["balance", "--project", PROJECT_A], cli_env)
    before = reads(deepgram)
    # Saved for project A only: every project needs a read, project A does not.
    one = run_cli(["balance", "--json", "--project", PROJECT_A, "--max-age", "600"], cli_env)
    assert [p["project_id"] for p in json.loads(one.stdout)["projects"]] == [PROJECT_A]
    assert reads(deepgram) == before
    run_cli(["balance", "--max-age", "600"], cli_env)
    assert reads(deepgram) == before + 2
    # Saved without a forecast: --forecast reads, and saves one for the next --forecast.
    run_cli(["balance", "--forecast", "--max-age", "600"], cli_env)
    assert reads(deepgram) == before + 4
    forecast = run_cli(["balance", "--json", "--forecast", "--max-age", "600"], cli_env)
    assert "forecast" in json.loads(forecast.stdout)
    assert reads(deepgram) == before + 4


def test_a_partial_read_is_not_saved(cli_env: dict[str, str], deepgram: FakeDeepgram) -> None:
    deepgram.fail(f"{PROJECT_B}/balances", DOCUMENTED_ERRORS["service_unavailable"].fault())
    assert run_cli(["balance"], cli_env).returncode == 4
    assert not saved_read_path(cli_env).exists()


def test_a_new_or_deleted_key_forgets_the_saved_read(cli_env: dict[str, str]) -> None:
    env = cli_env | {"PYTHON_KEYRING_BACKEND": "tests.support.memory_keyring.MemoryKeyring"}
    run_cli(["balance"], env)
    assert saved_read_path(env).exists()
    assert run_cli(["key", "set", "--no-verify"], env, stdin="a" * 40 + "\n").returncode == 0
    assert not saved_read_path(env).exists()
    run_cli(["balance"], env)
    assert run_cli(["key", "delete"], env).returncode == 0
    assert not saved_read_path(env).exists()


def test_a_bar_shows_the_saved_read_as_stale_when_deepgram_is_unreachable(
    cli_env: dict[str, str], deepgram: FakeDeepgram
) -> None:
    run_cli(["balance"], cli_env)
    age_the_saved_read(cli_env, 900)
    deepgram.fail("/v1/projects", DOCUMENTED_ERRORS["service_unavailable"].fault())
    bar = run_cli(["balance", "--format", "waybar", "--max-age", "300"], cli_env)
    assert bar.returncode == 4
    module = shown(bar.stdout)
    assert (module.classes, module.shown_text) == (["stale"], "$128"), module
    assert "Stale: saved read from" in module.shown_tooltip
    assert bar.stderr.count("\n") == 1 and "Traceback" not in bar.stderr
    # Without --max-age a bar asked for a fresh read only: the failure, not an old amount.
    plain = run_cli(["balance", "--format", "waybar"], cli_env)
    assert shown(plain.stdout).classes == ["error"]
    # A day later, the saved read is too old to show.
    age_the_saved_read(cli_env, 2 * 86400)
    old = run_cli(["balance", "--format", "waybar", "--max-age", "300"], cli_env)
    assert shown(old.stdout).classes == ["error"]


@pytest.mark.parametrize("value", ["-5", "soon", "1.5", ""])
def test_a_bad_max_age_is_a_usage_error(cli_env: dict[str, str], value: str) -> None:
    result = run_cli(["balance", "--max-age", value], cli_env)
    assert result.returncode == 2 and "whole number of seconds" in result.stderr, result.stderr
