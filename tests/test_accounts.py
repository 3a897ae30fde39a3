"""Several accounts in the config (trayapp.accounts): names, labels, what each account inherits
from the top level, the mistakes a hand-written `[accounts.NAME]` table can hold, and where each
account's key is found. Every refusal is one sentence saying what to do."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import pytest
import tomli_w

from trayapp.accounts import (
    ACCOUNT_SETTINGS,
    DEFAULT_ACCOUNT,
    Account,
    account_as_table,
    account_named,
    accounts_as_table,
    accounts_from_table,
    check_name,
    is_account_setting,
    key_env_var,
    keyring_username,
    load_accounts,
    parse_account_value,
    set_account_value,
    split_account_setting,
)
from trayapp.config import Settings, load_settings, set_config_value
from trayapp.errors import ConfigError

ORIGIN = "/home/me/.config/deepgram-balance-tray/config.toml"
TOP = Settings(warn_below=Decimal(30), critical_below=Decimal(8), projects=("proj-top",))


def accounts(tables: dict[str, object], top: Settings = TOP) -> tuple[Account, ...]:
    return accounts_from_table({"accounts": tables}, top, origin=ORIGIN)


def refusal(call: object, *args: object, **kwargs: object) -> str:
    """The sentence a ConfigError says, checked to be one sentence."""
    assert callable(call)
    with pytest.raises(ConfigError) as caught:
        call(*args, **kwargs)
    said = str(caught.value)
    assert "\n" not in said and said.endswith("."), said
    assert any(advice in said for advice in (": ", " must ", " takes ")), f"what to do? {said}"
    return said


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["client-a", "a", "b_2", "9", "x" * 40, "-_-"])
def test_names_that_work(name: str) -> None:
    assert check_name(name) == name
    assert accounts({name: {}})[1].name == name


@pytest.mark.parametrize(
    "name", ["", "Client-A", "client a", "client.a", "caf\u00e9", "x" * 41, "a/b", "a\n"]
)
def test_names_that_do_not_say_which_do(name: str) -> None:
    said = refusal(check_name, name)
    assert said.endswith("use lower-case letters, digits, '-' and '_' (at most 40), e.g. client-a.")
    in_file = refusal(accounts, {name: {}})
    assert f"in {ORIGIN} cannot be used" in in_file


def test_default_is_the_top_levels_name_and_no_tables() -> None:
    said = refusal(accounts, {"default": {"label": "Mine"}})
    assert said.startswith(f"The account name 'default' in {ORIGIN} is the top-level settings'")
    assert "set those at the top level, or give the account another name" in said
    assert "set those at the top level" in refusal(check_name, DEFAULT_ACCOUNT)


def test_two_names_sharing_one_environment_variable_are_refused() -> None:
    said = refusal(accounts, {"client-a": {}, "client_a": {}})
    assert said == (
        f"The accounts 'client-a' and 'client_a' in {ORIGIN} would both take their key from "
        "DEEPGRAM_API_KEY_CLIENT_A: rename one of them."
    )


# --- labels ----------------------------------------------------------------------------------


def test_the_label_is_the_name_unless_one_is_given() -> None:
    found = accounts({"client-a": {}, "client-b": {"label": "  Client B  "}})
    assert [(a.name, a.label) for a in found] == [
        ("default", "default"),
        ("client-a", "client-a"),
        ("client-b", "Client B"),
    ]
    assert found[0].is_default and not found[1].is_default


@pytest.mark.parametrize("label", ["", "   ", "x" * 41, 5, ["Client"], True])
def test_labels_that_are_empty_too_long_or_not_text(label: object) -> None:
    said = refusal(accounts, {"client-a": {"label": label}})
    assert said == (
        f"The label of [accounts.client-a] in {ORIGIN} must be text of 1 to 40 characters."
    )


def test_a_label_of_forty_characters_fits() -> None:
    assert accounts({"client-a": {"label": "x" * 40}})[1].label == "x" * 40


@pytest.mark.parametrize(
    "label", ["Client\tA", "Client\nA", "Client\x1b[31mA", "A\u2028B", "A\x85B"]
)
def test_labels_with_control_characters_are_refused(label: str) -> None:
    said = refusal(accounts, {"client-a": {"label": label}})
    assert said == (
        f"The label of [accounts.client-a] in {ORIGIN} must be one line of plain text, without "
        "tabs or control characters."
    )


def test_labels_may_be_any_language() -> None:
    assert (
        accounts({"client-a": {"label": "Café \u2013 Zürich 東京"}})[1].label
        == "Café \u2013 Zürich 東京"
    )


# --- what an account inherits ------------------------------------------------------------------


def test_the_default_account_is_the_top_level() -> None:
    (default,) = accounts_from_table({}, TOP, origin=ORIGIN)
    assert default == Account("default", "default", TOP)


def test_thresholds_fall_back_to_the_top_level_and_projects_do_not() -> None:
    account = accounts({"client-a": {}})[1]
    assert account.settings == TOP._replace(projects=())  # every project its key sees


def test_an_account_sets_its_own_projects_and_thresholds() -> None:
    table = {"projects": ["p-1", "p-2"], "warn_below": 50, "critical_below": 10.5}
    account = accounts({"client-a": table})[1]
    assert account.settings == TOP._replace(
        projects=("p-1", "p-2"), warn_below=Decimal(50), critical_below=Decimal("10.5")
    )


def test_an_account_setting_one_threshold_keeps_the_other() -> None:
    account = accounts({"client-a": {"warn_below": 100}})[1]
    assert (account.settings.warn_below, account.settings.critical_below) == (
        Decimal(100),
        Decimal(8),
    )


def test_critical_above_warn_in_an_account_names_its_table() -> None:
    said = refusal(accounts, {"client-a": {"critical_below": 60, "warn_below": 50}})
    assert said == (
        f"critical_below (60) is above warn_below (50) in [accounts.client-a] in {ORIGIN}: make "
        "critical_below the smaller one."
    )


def test_critical_above_the_inherited_warn_is_a_conflict_too() -> None:
    said = refusal(accounts, {"client-a": {"critical_below": 31}})
    assert said.startswith("critical_below (31) is above warn_below (30) in [accounts.client-a]")


def test_a_bad_value_names_the_setting_and_the_table() -> None:
    said = refusal(accounts, {"client-a": {"warn_below": "lots"}})
    assert said == (f"warn_below of [accounts.client-a] in {ORIGIN} must be a number, e.g. 20.0.")
    said = refusal(accounts, {"client-a": {"projects": "p-1"}})
    assert said.startswith(f"projects of [accounts.client-a] in {ORIGIN} must be a list")


def test_unknown_and_top_level_only_keys_are_warned_about_and_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="trayapp.accounts"):
        account = accounts({"client-a": {"poll_interval": 5, "colour": "red", "label": "A"}})[1]
    assert account == Account("client-a", "A", TOP._replace(projects=()))
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == [
        f"Ignoring {key!r} in [accounts.client-a] in {ORIGIN}: an account sets only "
        "label, projects, warn_below, critical_below"
        for key in ("poll_interval", "colour")
    ]


@pytest.mark.parametrize("value", [5, "client-a", ["client-a"], True])
def test_accounts_that_is_not_tables(value: object) -> None:
    said = refusal(accounts_from_table, {"accounts": value}, TOP, origin=ORIGIN)
    assert said == (
        f"accounts in {ORIGIN} must be tables like [accounts.client-a]: fix it, or remove it."
    )


def test_an_account_that_is_not_a_table() -> None:
    said = refusal(accounts, {"client-a": "Client A"})
    assert said == (
        f"accounts.client-a in {ORIGIN} must be a table of settings: write it as "
        "[accounts.client-a] with its settings on the lines below."
    )


def test_accounts_keep_the_files_order() -> None:
    names = [a.name for a in accounts({"zeta": {}, "alpha": {}, "mid": {}})]
    assert names == ["default", "zeta", "alpha", "mid"]


# --- where keys are found --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "variable", "username"),
    [
        ("default", "DEEPGRAM_API_KEY", "api-key"),
        ("client-a", "DEEPGRAM_API_KEY_CLIENT_A", "api-key:client-a"),
        ("b_2", "DEEPGRAM_API_KEY_B_2", "api-key:b_2"),
        ("acme-eu-1", "DEEPGRAM_API_KEY_ACME_EU_1", "api-key:acme-eu-1"),
    ],
)
def test_environment_variables_and_keyring_usernames(
    name: str, variable: str, username: str
) -> None:
    assert key_env_var(name) == variable
    assert keyring_username(name) == username


# --- finding an account by name ----------------------------------------------------------------


def test_account_named() -> None:
    found = accounts({"client-a": {}})
    assert account_named(found, "client-a") is found[1]
    assert account_named(found, "default") is found[0]
    said = refusal(account_named, found, "client-b")
    assert said == (
        "There is no account called 'client-b' in the config: add it with "
        '`deepgram-tray config set accounts.client-b.label "client-b"`, or use one of default, '
        "client-a."
    )
    assert "use lower-case letters" in refusal(account_named, found, "Client B")


def test_load_accounts_reads_the_file_and_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'warn_below = 40.0\nprojects = ["mine"]\n\n[accounts.client-a]\nlabel = "Client A"\n'
    )
    env = {"DEEPGRAM_TRAY_CONFIG": str(path), "DEEPGRAM_TRAY_API_URL": "http://127.0.0.1:9/x"}
    default, client = load_accounts(env)
    assert default.settings.projects == ("mine",)
    assert client == Account(
        "client-a",
        "Client A",
        default.settings._replace(projects=()),  # the API URL override is every account's
    )
    assert client.settings.api_url == "http://127.0.0.1:9/x"


def test_a_one_account_config_has_only_the_default(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("warn_below = 40.0\n")
    (default,) = load_accounts({"DEEPGRAM_TRAY_CONFIG": str(path)})
    assert default.settings == load_settings({"DEEPGRAM_TRAY_CONFIG": str(path)})
    assert accounts_as_table((default,)) == {}


# --- `config show` and `config set accounts.NAME.KEY` ---------------------------------------


def test_an_accounts_table_in_effect() -> None:
    found = accounts({"client-a": {"label": "Client A", "warn_below": 50}})
    assert account_as_table(found[1]) == {
        "label": "Client A",
        "projects": [],
        "warn_below": 50.0,
        "critical_below": 8.0,
    }
    assert list(accounts_as_table(found)) == ["accounts"]
    assert tomli_w.dumps(accounts_as_table(found)).startswith("[accounts.client-a]\n")


@pytest.mark.parametrize(
    ("dotted", "expected"),
    [
        ("accounts.client-a.label", ("client-a", "label")),
        ("accounts.b_2.critical_below", ("b_2", "critical_below")),
    ],
)
def test_splitting_an_account_setting(dotted: str, expected: tuple[str, str]) -> None:
    assert is_account_setting(dotted)
    assert split_account_setting(dotted) == expected


@pytest.mark.parametrize("dotted", ["accounts", "accounts.client-a", "accounts.a.label.x"])
def test_an_account_setting_needs_name_and_key(dotted: str) -> None:
    said = refusal(split_account_setting, dotted)
    assert said.endswith(
        "use accounts.NAME.KEY, with NAME made of lower-case letters, digits, '-' and '_' (at "
        "most 40), e.g. client-a, and KEY one of label, projects, warn_below, critical_below."
    )


def test_an_account_setting_with_a_bad_key_or_name() -> None:
    assert refusal(split_account_setting, "accounts.client-a.poll_interval") == (
        "An account has no setting called 'poll_interval': use accounts.client-a.KEY with KEY one "
        "of label, projects, warn_below, critical_below."
    )
    assert "use lower-case letters" in refusal(split_account_setting, "accounts.Client.label")
    assert "top-level" in refusal(split_account_setting, "accounts.default.label")
    assert not is_account_setting("warn_below") and not is_account_setting("accountsx.a.label")


def test_parsing_an_account_value() -> None:
    assert parse_account_value("a", "label", "  Client A ") == "Client A"
    assert parse_account_value("a", "projects", "p-1, p-2,") == ["p-1", "p-2"]
    assert parse_account_value("a", "projects", "") == []
    assert parse_account_value("a", "warn_below", "50") == 50.0
    assert refusal(parse_account_value, "a", "warn_below", "lots") == (
        "accounts.a.warn_below takes a number, e.g. 20 or 7.5."
    )
    assert "1 to 40 characters" in refusal(parse_account_value, "a", "label", " ")


def test_every_account_setting_is_a_setting_or_the_label() -> None:
    assert ACCOUNT_SETTINGS[0] == "label"
    assert set(ACCOUNT_SETTINGS[1:]) <= set(Settings._fields)


def test_setting_an_account_value_creates_its_table_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('warn_below = 40.0\nunknown = "kept"\n\n[accounts.zeta]\nlabel = "Z"\n')
    account, key = set_account_value(path, "accounts.client-a.warn_below", "60")
    assert (account.name, key, account.settings.warn_below) == (
        "client-a",
        "warn_below",
        Decimal(60),
    )
    account, _ = set_account_value(path, "accounts.client-a.label", "Client A")
    assert (account.label, account.settings.warn_below) == ("Client A", Decimal(60))
    written = path.read_text()
    assert 'unknown = "kept"' in written
    assert written.index("[accounts.zeta]") < written.index("[accounts.client-a]")
    assert [a.name for a in load_accounts({"DEEPGRAM_TRAY_CONFIG": str(path)})] == [
        "default",
        "zeta",
        "client-a",
    ]


def test_a_value_that_breaks_an_account_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    original = "warn_below = 40.0\n\n[accounts.client-a]\ncritical_below = 15.0\n"
    path.write_text(original)
    said = refusal(set_account_value, path, "accounts.client-a.warn_below", "10")
    assert said == (
        f"critical_below (15.0) is above warn_below (10.0) in [accounts.client-a] in {path}: make "
        "critical_below the smaller one."
    )
    # A top-level threshold is an account's too, unless it sets its own.
    assert "in [accounts.client-a]" in refusal(set_config_value, path, "warn_below", "12")
    assert path.read_text() == original


@pytest.mark.parametrize(
    "original",
    ["accounts = 5\n", "[accounts]\nclient-a = 5\n", "this is [not toml\n"],
)
def test_an_unusable_file_is_reported_and_never_overwritten(tmp_path: Path, original: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(original)
    said = refusal(set_account_value, path, "accounts.client-a.label", "Client A")
    assert str(path) in said
    assert path.read_text() == original
