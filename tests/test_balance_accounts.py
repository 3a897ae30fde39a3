"""`balance --account NAME` and `balance --all-accounts`: the real CLI against the test server,
which keeps two Deepgram accounts apart (a key lists and reads only its own account's projects).

The default account's key is DEEPGRAM_API_KEY, client-a's DEEPGRAM_API_KEY_CLIENT_A; the config
names `[accounts.client-a]`. A one-account user's outputs are held byte for byte to what the
command printed before accounts existed.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import MEMBER_KEY, OWNER_KEY, PROJECT_A, PROJECT_B, CliResult, day, run_cli
from tests.support.deepgram_server import DOCUMENTED_ERRORS, FakeDeepgram
from tests.support.history_seed import seed_history
from tests.support.panel_consumers import waybar_reads, xbar_reads
from tests.support.two_accounts import CLIENT_A_KEY, PROJECT_C, two_accounts

UNKNOWN_KEY = "ffffffffffffffffffffffffffffffffffff0000"
CONFIG = """
[accounts.client-a]
label = "Client A"
warn_below = 50.0
critical_below = 10.0
"""
"""Client A's $40 is below its own warn_below (50), not below the default account's (20)."""


@pytest.fixture
def accounts(deepgram: FakeDeepgram) -> FakeDeepgram:
    return two_accounts(deepgram)


@pytest.fixture
def env(cli_env: dict[str, str], accounts: FakeDeepgram) -> dict[str, str]:
    config = Path(cli_env["DEEPGRAM_TRAY_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(CONFIG)
    return cli_env | {"DEEPGRAM_API_KEY_CLIENT_A": CLIENT_A_KEY}


def run(args: list[str], env: dict[str, str]) -> CliResult:
    """The command, checked to keep every key out of what it printed."""
    result = run_cli(["balance", *args], env)
    for key in (OWNER_KEY, CLIENT_A_KEY, UNKNOWN_KEY, MEMBER_KEY):
        assert key not in result.stdout and key not in result.stderr
    return result


def entries(result: CliResult) -> dict[str, dict[str, Any]]:
    document = json.loads(result.stdout)
    assert list(document) == ["fetched_at", "accounts"]
    return {entry["account"]: entry for entry in document["accounts"]}


def reads_with(deepgram: FakeDeepgram, key: str) -> int:
    return sum(1 for r in deepgram.requests if r.authorization == f"Token {key}")


# --- the test server ---------------------------------------------------------------------------


def test_the_server_keeps_each_accounts_projects_to_its_keys(accounts: FakeDeepgram) -> None:
    def get(path: str, key: str) -> requests.Response:
        return requests.get(accounts.base_url + path, headers={"Authorization": f"Token {key}"})

    listed = get("/v1/projects", CLIENT_A_KEY).json()["projects"]
    assert [p["project_id"] for p in listed] == [PROJECT_C]
    assert get(f"/v1/projects/{PROJECT_C}/balances", CLIENT_A_KEY).status_code == 200
    refused = get(f"/v1/projects/{PROJECT_A}/balances", CLIENT_A_KEY)
    assert (refused.status_code, refused.content) == (404, DOCUMENTED_ERRORS["not_found"].body)
    assert get(f"/v1/projects/{PROJECT_C}/purchases", OWNER_KEY).status_code == 404
    accounts.foreign_project_refusal = DOCUMENTED_ERRORS["authentication_failed"]
    assert get(f"/v1/projects/{PROJECT_A}/balances", CLIENT_A_KEY).status_code == 403
    # A key added without an account sees every project, as every key did before accounts.
    every = get("/v1/projects", MEMBER_KEY).json()["projects"]
    assert {p["project_id"] for p in every} == {PROJECT_A, PROJECT_B, PROJECT_C}


# --- --all-accounts ------------------------------------------------------------------------------


def test_json_has_an_entry_per_account_in_the_config_order(env: dict[str, str]) -> None:
    result = run(["--all-accounts", "--json"], env)
    assert result.returncode == 0, result.stderr
    found = entries(result)
    assert list(found) == ["default", "client-a"]
    default, client = found["default"], found["client-a"]
    assert list(client) == ["account", "label", "fetched_at", "totals", "projects", "error"]
    assert (default["label"], client["label"]) == ("default", "Client A")
    assert default["totals"] == {"usd": 128.31822227} and default["error"] is None
    assert client["totals"] == {"usd": 40} and client["error"] is None
    assert [p["project_id"] for p in client["projects"]] == [PROJECT_C]


def test_text_has_a_section_per_account_headed_by_its_label(env: dict[str, str]) -> None:
    result = run(["--all-accounts"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "default\n"
        "Voice Bot Prod  $125.07\n"
        "Staging           $3.25\n"
        "--------------  -------\n"
        "Total           $128.32\n"
        "\n"
        "Client A (client-a)\n"
        "Client A Prod  $40.00\n"
        "-------------  ------\n"
        "Total          $40.00\n"
    )


def test_prometheus_labels_every_series_with_its_account(env: dict[str, str]) -> None:
    result = run(["--all-accounts", "--format", "prometheus"], env)
    assert result.returncode == 0, result.stderr
    families = {f.name: f for f in text_string_to_metric_families(result.stdout)}
    for family in families.values():
        assert result.stdout.count(f"# HELP {family.name} ") == 1
        assert result.stdout.count(f"# TYPE {family.name} ") == 1
        assert all("account" in s.labels for s in family.samples), family.name
    totals = {s.labels["account"]: s.value for s in families["deepgram_balance_total"].samples}
    assert totals == {"default": 128.31822227, "client-a": 40}
    up = {
        (s.labels["account"], s.labels["project_id"])
        for s in families["deepgram_balance_up"].samples
    }
    assert up == {("default", PROJECT_A), ("default", PROJECT_B), ("client-a", PROJECT_C)}


def test_a_bar_shows_the_worst_account_with_its_own_thresholds(env: dict[str, str]) -> None:
    """Client A's $40 is low by its warn_below of 50: the bar shows it, amber."""
    waybar = run(["--all-accounts", "--format", "waybar"], env)
    module = waybar_reads(waybar.stdout, waybar.returncode)
    assert module is not None and module.classes == ["warn"]
    assert module.text == "Client A: $40"
    assert "default: $128.32\nClient A: $40.00 (low)\nUpdated " in module.tooltip

    xbar = xbar_reads(run(["--all-accounts", "--format", "xbar"], env).stdout)
    assert [item.text for item in xbar.title] == ["Client A: $40.00"]
    assert [i.text for i in xbar.dropdown if i][:2] == [
        "default: $128.32",
        "Client A: $40.00 (low)",
    ]


def test_a_balance_about_to_run_out_outranks_an_unreadable_account(
    env: dict[str, str], accounts: FakeDeepgram
) -> None:
    """Client A's $5 is below its critical_below (10) while the default key is refused: the bar
    shows the money running out, the refusal is in the tooltip."""
    accounts.set_balances(PROJECT_C, [{"balance_id": "bal-c", "amount": 5, "units": "usd"}])
    result = run(["--all-accounts", "--format", "waybar"], env | {"DEEPGRAM_API_KEY": UNKNOWN_KEY})
    assert result.returncode == 3
    module = waybar_reads(result.stdout, 0)
    assert module is not None and module.classes == ["critical"]
    assert module.text == "Client A: $5.0"
    assert "default: API key refused (problem)\n  Deepgram refused the API key" in module.tooltip


def test_one_refused_key_greys_only_its_own_entry(env: dict[str, str]) -> None:
    env = env | {"DEEPGRAM_API_KEY_CLIENT_A": UNKNOWN_KEY}
    result = run(["--all-accounts", "--json"], env)
    assert result.returncode == 3  # the refused key's, as `balance` alone gives
    found = entries(result)
    assert found["default"]["totals"] == {"usd": 128.31822227}
    assert found["default"]["error"] is None
    error = found["client-a"]["error"]
    assert isinstance(error, dict) and error["kind"] == "auth"
    assert (found["client-a"]["totals"], found["client-a"]["projects"]) == ({}, [])
    assert "Client A (client-a): Deepgram refused the API key" in result.stderr
    assert "`deepgram-tray key set --account client-a`" in error["message"]

    text = run(["--all-accounts"], env)
    assert text.returncode == 3
    assert "Total           $128.32\n" in text.stdout
    assert "Client A (client-a)\nUnavailable: Deepgram refused the API key" in text.stdout

    metrics = run(["--all-accounts", "--format", "prometheus"], env)
    up = {
        s.labels["account"]: s.value
        for f in text_string_to_metric_families(metrics.stdout)
        for s in f.samples
        if s.name == "deepgram_balance_up"
    }
    assert up == {"default": 1, "client-a": 0}

    module = waybar_reads(run(["--all-accounts", "--format", "waybar"], env).stdout, 0)
    assert module is not None and module.classes == ["error"]
    assert module.text == "Client A: API key refused"
    assert "default: $128.32" in module.tooltip


def test_an_account_without_a_key_says_how_to_add_it(env: dict[str, str]) -> None:
    env = {k: v for k, v in env.items() if k != "DEEPGRAM_API_KEY_CLIENT_A"}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"  # a keyring with no key
    text = run(["--all-accounts"], env)
    assert text.returncode == 2  # a setting to fix, as `balance` with no key
    assert "Total           $128.32\n" in text.stdout
    assert (
        "Client A (client-a)\nUnavailable: No Deepgram API key is set for the account "
        "'client-a': run `deepgram-tray key set --account client-a`, or set "
        "DEEPGRAM_API_KEY_CLIENT_A.\n"
    ) in text.stdout
    error = entries(run(["--all-accounts", "--json"], env))["client-a"]["error"]
    assert isinstance(error, dict) and error["kind"] == "no_key"


def test_the_top_level_without_a_key_is_no_account(env: dict[str, str]) -> None:
    """A user of named accounts alone: no `default` entry, and no error for it."""
    env = {k: v for k, v in env.items() if k != "DEEPGRAM_API_KEY"}
    result = run(["--all-accounts", "--json"], env)
    assert result.returncode == 0, result.stderr
    assert list(entries(result)) == ["client-a"]


def test_the_exit_code_is_the_most_severe_accounts(
    env: dict[str, str], accounts: FakeDeepgram
) -> None:
    """A refused key (3) and a project Deepgram failed to answer in the other account (4): 3,
    as `balance` alone orders them, with both accounts' entries there."""
    accounts.fail(f"/projects/{PROJECT_C}/", DOCUMENTED_ERRORS["service_unavailable"].fault())
    result = run(["--all-accounts", "--json"], env | {"DEEPGRAM_API_KEY": UNKNOWN_KEY})
    assert result.returncode == 3
    found = entries(result)
    assert found["default"]["error"]["kind"] == "auth"
    assert found["client-a"]["projects"][0]["error"]["kind"] == "server"


def test_an_unreachable_account_is_an_entry_exit_4(
    env: dict[str, str], accounts: FakeDeepgram
) -> None:
    accounts.fail(
        f"/projects/{PROJECT_C}/balances", DOCUMENTED_ERRORS["service_unavailable"].fault()
    )
    result = run(["--all-accounts", "--json"], env)
    assert result.returncode == 4
    found = entries(result)
    assert found["default"]["error"] is None
    project = found["client-a"]["projects"][0]
    assert project["error"]["kind"] == "server"


def test_forecast_is_read_per_account(env: dict[str, str], accounts: FakeDeepgram) -> None:
    accounts.daily_spend[PROJECT_A] = {day(n): 3 for n in range(1, 12)}
    accounts.daily_spend[PROJECT_C] = {day(n): 2 for n in range(1, 12)}
    result = run(["--all-accounts", "--json", "--forecast"], env)
    assert result.returncode == 0, result.stderr
    found = entries(result)
    spend = {name: e["forecast"]["spend_per_day"] for name, e in found.items()}
    assert spend == {"default": {"usd": 3}, "client-a": {"usd": 2}}
    assert list(found["client-a"])[-2:] == ["forecast", "error"]


def test_only_the_default_account_falls_back_to_the_trays_history(
    env: dict[str, str], accounts: FakeDeepgram
) -> None:
    """The tray's history is the default account's balance: another account whose spend cannot
    be read has no spend, rather than the default account's."""
    seed_history(Path(env["XDG_DATA_HOME"]))  # $4 a day lately
    accounts.fail("/billing/breakdown", DOCUMENTED_ERRORS["service_unavailable"].fault())
    found = entries(run(["--all-accounts", "--json", "--forecast"], env))
    assert found["default"]["forecast"]["basis"] == "history"
    assert found["default"]["forecast"]["spend_per_day"] == {"usd": 4}
    assert found["client-a"]["forecast"]["spend_per_day"] == {}


def test_project_is_refused_with_all_accounts(env: dict[str, str], accounts: FakeDeepgram) -> None:
    result = run(["--all-accounts", "--project", PROJECT_A], env)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "--project cannot be used with --all-accounts" in (
        result.stderr
    )
    assert accounts.requests == []


# --- --account NAME ------------------------------------------------------------------------------


def test_account_reads_that_accounts_key_projects_and_thresholds(
    env: dict[str, str], accounts: FakeDeepgram
) -> None:
    result = run(["--account", "client-a", "--json"], env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert list(document) == ["fetched_at", "totals", "projects"]  # the one-account shape
    assert document["totals"] == {"usd": 40}
    assert reads_with(accounts, OWNER_KEY) == 0

    module = waybar_reads(run(["--account", "client-a", "--format", "waybar"], env).stdout, 0)
    assert module is not None and module.classes == ["warn"]  # its warn_below: 50
    default = waybar_reads(run(["--account", "default", "--format", "waybar"], env).stdout, 0)
    assert default is not None and default.classes == ["ok"]


def test_an_unknown_account_is_named_with_the_others(env: dict[str, str]) -> None:
    result = run(["--account", "client-b"], env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "'client-b'" in result.stderr and "default, client-a" in result.stderr


def test_a_missing_account_key_says_which_variable(env: dict[str, str]) -> None:
    env = {k: v for k, v in env.items() if k != "DEEPGRAM_API_KEY_CLIENT_A"}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    result = run(["--account", "client-a"], env)
    assert result.returncode == 2
    assert "set DEEPGRAM_API_KEY_CLIENT_A" in result.stderr


# --- --max-age, per account ----------------------------------------------------------------------


def saved_read(env: dict[str, str], account: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    from trayapp.desktop.paths import last_read_path

    monkeypatch.setenv("XDG_CACHE_HOME", env["XDG_CACHE_HOME"])
    return last_read_path(account)


def age(path: Path, seconds: int) -> None:
    document = json.loads(path.read_text())
    then = datetime.now(timezone.utc) - timedelta(seconds=seconds)
    document["snapshot"]["fetched_at"] = then.isoformat()
    path.write_text(json.dumps(document))


def test_max_age_answers_each_account_from_its_own_saved_read(
    env: dict[str, str], accounts: FakeDeepgram, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(["--all-accounts"], env).returncode == 0
    default_file, client_file = (saved_read(env, a, monkeypatch) for a in ("default", "client-a"))
    assert default_file != client_file and default_file.exists() and client_file.exists()
    accounts.set_balances(PROJECT_B, [{"balance_id": "bal-3", "amount": 1, "units": "usd"}])
    accounts.set_balances(PROJECT_C, [{"balance_id": "bal-c", "amount": 7, "units": "usd"}])
    age(client_file, 900)  # too old for --max-age 600: client-a alone is read again
    before = (reads_with(accounts, OWNER_KEY), reads_with(accounts, CLIENT_A_KEY))

    found = entries(run(["--all-accounts", "--json", "--max-age", "600"], env))
    assert found["default"]["totals"] == {"usd": 128.31822227}, "the saved read"
    assert found["client-a"]["totals"] == {"usd": 7}, "read again"
    assert reads_with(accounts, OWNER_KEY) == before[0]
    assert reads_with(accounts, CLIENT_A_KEY) > before[1]

    # One account's saved read never answers for another's.
    client_file.unlink()
    alone = run(["--account", "client-a", "--json", "--max-age", "600"], env)
    assert json.loads(alone.stdout)["totals"] == {"usd": 7}
    assert client_file.exists()


def test_a_bar_shows_an_unreachable_accounts_saved_read_as_stale(
    env: dict[str, str], accounts: FakeDeepgram, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(["--all-accounts"], env).returncode == 0
    for account in ("default", "client-a"):
        age(saved_read(env, account, monkeypatch), 3600)  # too old for --max-age 60
    accounts.fail("^/v1/projects$", DOCUMENTED_ERRORS["service_unavailable"].fault())

    result = run(["--all-accounts", "--format", "waybar", "--max-age", "60"], env)
    assert result.returncode == 4
    module = waybar_reads(result.stdout, 0)
    assert module is not None and module.classes == ["stale"]
    assert module.text == "default: $128"
    assert "default: $128.32 (not refreshed)\n  Voice Bot Prod: $125.07" in module.tooltip
    assert "Client A: $40.00 (not refreshed)" in module.tooltip
    assert "  Stale: saved read from" in module.tooltip


# --- a one-account user sees no change -----------------------------------------------------------

BEFORE_ACCOUNTS = {
    "text": "Voice Bot Prod  $125.07\nStaging           $3.25\n--------------  -------\n"
    "Total           $128.32\n",
    "prometheus": "# HELP deepgram_balance_amount Remaining amount of one Deepgram balance.\n"
    "# TYPE deepgram_balance_amount gauge\n"
    'deepgram_balance_amount{project_id="{A}",project_name="Voice Bot Prod",balance_id="bal-1",'
    'units="usd"} 104.56822227\n'
    'deepgram_balance_amount{project_id="{A}",project_name="Voice Bot Prod",balance_id="bal-2",'
    'units="usd"} 20.5\n'
    'deepgram_balance_amount{project_id="{B}",project_name="Staging",balance_id="bal-3",'
    'units="usd"} 3.25\n'
    "# HELP deepgram_balance_total Sum of the watched projects' balances per unit.\n"
    "# TYPE deepgram_balance_total gauge\n"
    'deepgram_balance_total{units="usd"} 128.31822227\n'
    "# HELP deepgram_balance_up 1 if the project's balances were read, 0 if not.\n"
    "# TYPE deepgram_balance_up gauge\n"
    'deepgram_balance_up{project_id="{A}"} 1\n'
    'deepgram_balance_up{project_id="{B}"} 1\n',
    "waybar": '{"text": "$128", "tooltip": "Deepgram $128.32\\nVoice Bot Prod: $125.07\\n'
    'Staging: $3.25\\nUpdated HH:MM", "class": "ok", "alt": "ok"}\n',
    "xbar": "$128.32 | color=#147832 emojize=false symbolize=false ansi=false useMarkup=false "
    "unescape=false\n---\nVoice Bot Prod: $125.07 | emojize=false symbolize=false ansi=false "
    "useMarkup=false unescape=false\nStaging: $3.25 | emojize=false symbolize=false ansi=false "
    "useMarkup=false unescape=false\nUpdated HH:MM | emojize=false symbolize=false ansi=false "
    "useMarkup=false unescape=false\n---\nRefresh | refresh=true\n",
    "json": '{\n  "fetched_at": "TS",\n  "totals": {\n    "usd": 128.31822227\n  },\n'
    '  "projects": [\n    {\n      "project_id": "{A}",\n      "name": "Voice Bot Prod",\n'
    '      "totals": {\n        "usd": 125.06822227\n      },\n      "balances": [\n'
    '        {\n          "balance_id": "bal-1",\n          "amount": 104.56822227,\n'
    '          "units": "usd",\n          "purchase_order_id": "po-1"\n        },\n'
    '        {\n          "balance_id": "bal-2",\n          "amount": 20.5,\n'
    '          "units": "usd",\n          "purchase_order_id": "po-2"\n        }\n      ],\n'
    '      "error": null\n    },\n    {\n      "project_id": "{B}",\n      "name": "Staging",\n'
    '      "totals": {\n        "usd": 3.25\n      },\n      "balances": [\n        {\n'
    '          "balance_id": "bal-3",\n          "amount": 3.25,\n          "units": "usd",\n'
    '          "purchase_order_id": "po-3"\n        }\n      ],\n      "error": null\n'
    "    }\n  ]\n}\n",
}
"""What `balance --format FORMAT` printed for the seed server before accounts existed, its
read time written TS and its clock times HH:MM."""


def timeless(output: str) -> str:
    output = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "TS", output)
    return re.sub(r"\b\d\d:\d\d\b", "HH:MM", output)


@pytest.mark.parametrize("format_name", sorted(BEFORE_ACCOUNTS))
@pytest.mark.parametrize("account", [[], ["--account", "default"]], ids=["as-before", "default"])
def test_a_one_account_users_output_is_unchanged(
    cli_env: dict[str, str], format_name: str, account: list[str]
) -> None:
    result = run(["--format", format_name, *account], cli_env)
    assert result.returncode == 0 and result.stderr == ""
    expected = BEFORE_ACCOUNTS[format_name].replace("{A}", PROJECT_A).replace("{B}", PROJECT_B)
    assert timeless(result.stdout) == expected


def test_a_one_account_users_failure_is_unchanged(cli_env: dict[str, str]) -> None:
    result = run([], cli_env | {"DEEPGRAM_API_KEY": UNKNOWN_KEY})
    assert result.returncode == 3 and result.stdout == ""
    assert re.fullmatch(
        r"deepgram-tray: Deepgram refused the API key \(\"Invalid credentials\.\"\): set a valid "
        r"key with `deepgram-tray key set` \(request id [0-9a-f-]{36}\)\.\n",
        result.stderr,
    )
