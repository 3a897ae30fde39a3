"""The settings window's account list without Tk: how accounts are named in it, what Add account
accepts, and what Save writes for a named account (only what it sets itself: an untouched
threshold stays inherited). Also `settings --account` refusing an account the config lacks."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
import tomli_w
import tomllib

from tests.conftest import OWNER_KEY, run_cli
from trayapp.accounts import Account, accounts_from_table, remove_account
from trayapp.config import Settings
from trayapp.credentials import ApiKey
from trayapp.errors import ConfigError
from trayapp.tk.account_list import (
    LABEL_FIELD,
    LABEL_RULE,
    AccountPlan,
    NewAccount,
    account_table,
    apply_plans,
    check_new_account,
    new_account,
    plan_account_save,
    rows_for,
    shown_names,
)
from trayapp.tk.settings_form import FieldErrors, FormInput, initial_input, key_hint, notice

TOP = Settings(warn_below=Decimal("30.0"), critical_below=Decimal("5.0"), poll_interval=120)


def named(own: dict[str, object]) -> Account:
    """client-a as the file describes it with `own` as its table."""
    table: dict[str, object] = {"accounts": {"client-a": own}}
    return accounts_from_table(table, TOP, origin="config.toml")[1]


def plan(
    own: dict[str, object],
    label: str = "Client A",
    *,
    has_key: bool = True,
    **changes: object,
) -> AccountPlan | FieldErrors:
    """Save's plan for client-a after typing `changes` (a setting's name: its entry's text)."""
    account = named(own)
    start = initial_input(account.settings)
    typed = {name: text for name, text in changes.items() if name in start.entries}
    others = {name: value for name, value in changes.items() if name not in typed}
    form: FormInput = replace(start, entries={**start.entries, **typed}, **others)  # type: ignore[arg-type]
    return plan_account_save(form, account, own, label, has_key=has_key, keyring_usable=True)


def table_of(result: AccountPlan | FieldErrors) -> dict[str, object]:
    assert isinstance(result, AccountPlan), result
    return dict(result.table)


def errors_of(result: AccountPlan | FieldErrors) -> dict[str, str]:
    assert isinstance(result, FieldErrors), result
    return result.by_field


class TestWhatSaveWrites:
    def test_an_untouched_account_writes_its_label_and_nothing_it_inherits(self) -> None:
        assert table_of(plan({"label": "Client A"})) == {"label": "Client A"}

    def test_a_changed_threshold_is_written_an_untouched_one_stays_inherited(self) -> None:
        assert table_of(plan({}, warn_below="50")) == {"label": "Client A", "warn_below": 50.0}

    def test_the_same_value_typed_again_is_not_a_change(self) -> None:
        assert "warn_below" not in table_of(plan({}, warn_below="30.0"))

    def test_what_the_account_set_itself_stays_set(self) -> None:
        own: dict[str, object] = {"label": "Client A", "critical_below": 5.0}
        # 5 is also the top level's: set in the table, it is the account's own all the same.
        assert table_of(plan(own)) == {"label": "Client A", "critical_below": 5.0}

    def test_ticked_projects_are_written_watching_all_is_not(self) -> None:
        watched = plan({}, watch_all=False, watched=("p1",))
        assert table_of(watched)["projects"] == ["p1"]
        assert "projects" not in table_of(plan({}))
        # An account that named its projects and now watches all says so in its table.
        assert table_of(plan({"projects": ["p1"]}))["projects"] == ["p1"]
        assert table_of(plan({"projects": ["p1"]}, watch_all=True))["projects"] == []

    def test_the_top_levels_own_settings_are_never_written_for_an_account(self) -> None:
        table = table_of(plan({}, warn_below="50", critical_below="1"))
        assert set(table) <= {"label", "projects", "warn_below", "critical_below"}

    def test_an_empty_label_means_none(self) -> None:
        assert table_of(plan({"label": "Client A"}, label="  ")) == {}

    def test_a_new_key_goes_to_the_plan_never_the_table(self) -> None:
        result = plan({}, key_text=f" {OWNER_KEY}\n")
        assert isinstance(result, AccountPlan)
        assert result.new_key == OWNER_KEY and result.name == "client-a"
        assert OWNER_KEY not in repr(result.table)


class TestWhatSaveRefuses:
    def test_an_account_without_a_key_asks_for_one(self) -> None:
        assert "Paste an API key" in errors_of(plan({}, has_key=False))["key"]

    @pytest.mark.parametrize("label", ["x" * 41, "Client\nA", "tab\there"])
    def test_a_label_that_is_not_one_short_line(self, label: str) -> None:
        assert errors_of(plan({}, label=label)) == {LABEL_FIELD: LABEL_RULE}

    def test_thresholds_against_the_inherited_one_are_said_in_label_words(self) -> None:
        # critical 40 is above the warn_below of 30 it inherits from the top level.
        assert errors_of(plan({}, critical_below="40")) == {
            "critical_below": "Critical below (40.0) is above Warn below (30.0): make Critical "
            "below the smaller one."
        }


class TestAddAccount:
    def test_a_name_and_a_label(self) -> None:
        assert check_new_account(" client-a ", " Client A ", ["default"]) == NewAccount(
            "client-a", "Client A"
        )
        assert check_new_account("client-a", "", ["default"]) == NewAccount("client-a", "")

    @pytest.mark.parametrize(
        ("name", "sentence"),
        [
            (
                "Client A",
                "The account name 'Client A' cannot be used: use lower-case letters, digits, '-' "
                "and '_' (at most 40), e.g. client-a.",
            ),
            (
                "",
                "Give the account a name: lower-case letters, digits, '-' and '_' (at most 40), "
                "e.g. client-a.",
            ),
            (
                "default",
                "'default' is the Default account's own name: use another, of lower-case "
                "letters, digits, '-' and '_' (at most 40), e.g. client-a.",
            ),
            ("client-a", "There is already an account called 'client-a': choose it in the list."),
            (
                "client_a",
                "'client_a' and the account 'client-a' would both take their key from "
                "DEEPGRAM_API_KEY_CLIENT_A: use another name.",
            ),
        ],
    )
    def test_a_name_that_cannot_be_used_gets_one_sentence(self, name: str, sentence: str) -> None:
        with pytest.raises(ConfigError) as refused:
            check_new_account(name, "", ["default", "client-a"])
        assert refused.value.message == sentence

    def test_a_bad_label_is_refused_too(self) -> None:
        with pytest.raises(ConfigError, match="one line of at most 40"):
            check_new_account("client-b", "y" * 50, ["default"])

    def test_a_new_account_watches_every_project_with_the_top_levels_thresholds(self) -> None:
        account = new_account(NewAccount("client-b", ""), TOP._replace(projects=("p1",)))
        assert account.label == "client-b" and account.settings.projects == ()
        assert account.settings.warn_below == Decimal("30.0")


class TestTheList:
    def test_default_then_labels(self) -> None:
        shown = shown_names([("default", "default"), ("client-a", "Client A"), ("b", "b")])
        assert shown == {"default": "Default", "client-a": "Client A", "b": "b"}

    def test_two_that_would_read_alike_are_told_apart_by_name(self) -> None:
        shown = shown_names(
            [("default", "default"), ("a", "Acme"), ("b", "acme"), ("c", "Default")]
        )
        assert shown == {
            "default": "Default",
            "a": "Acme (a)",
            "b": "acme (b)",
            "c": "Default (c)",
        }

    def test_a_named_account_shows_only_its_own_settings(self) -> None:
        assert rows_for("client-a") == {"projects", "warn_below", "critical_below"}
        assert {"poll_interval", "notify", "warn_below"} <= rows_for("default")

    def test_without_a_keyring_the_hint_names_the_accounts_own_variable(self) -> None:
        problem = "No OS keyring is available: install one, or set DEEPGRAM_API_KEY in the env."
        said = key_hint(None, problem, "client-a")
        assert said.text.startswith(
            "No OS keyring is available: install one, or set DEEPGRAM_API_KEY_CLIENT_A in the env."
        )
        assert "set DEEPGRAM_API_KEY in" in key_hint(None, problem).text

    def test_the_notice_names_the_accounts_own_variable(self) -> None:
        said = notice(ApiKey(OWNER_KEY, "env"), None, "client-a")
        assert said is not None and said.text.startswith("DEEPGRAM_API_KEY_CLIENT_A is set")


class TestTheFile:
    def test_the_default_account_alone_adds_no_accounts_table(self) -> None:
        table: dict[str, object] = {"warn_below": 30.0}
        apply_plans(table, {"warn_below": 40.0}, [])
        assert table == {"warn_below": 40.0}

    def test_account_tables_are_merged_and_others_left_alone(self) -> None:
        table: dict[str, object] = {
            "warn_below": 30.0,
            "accounts": {
                "client-a": {"label": "A", "warn_below": 9.0, "colour": "blue"},
                "client-b": {"label": "B"},
            },
        }
        plans = [
            AccountPlan("client-a", {"label": "Client A"}, None),
            AccountPlan("client-c", {}, OWNER_KEY),
        ]
        apply_plans(table, None, plans)
        assert table == {
            "warn_below": 30.0,  # not shown: left as it was
            "accounts": {
                # warn_below is no longer set; an unknown key is the user's and stays
                "client-a": {"label": "Client A", "colour": "blue"},
                "client-b": {"label": "B"},
                "client-c": {},
            },
        }

    def test_account_table_keeps_the_files_order(self) -> None:
        entry = {"warn_below": 1.0, "label": "A"}
        assert list(account_table(entry, {"label": "B", "warn_below": 2.0})) == [
            "warn_below",
            "label",
        ]

    def test_remove_account_takes_out_its_table_only(self, tmp_path: Path) -> None:
        path = tmp_path / "config.toml"
        table = {
            "warn_below": 30.0,
            "accounts": {"client-a": {"label": "A"}, "client-b": {"label": "B"}},
        }
        path.write_text(tomli_w.dumps(table))
        remove_account(path, "client-a")
        assert tomllib.loads(path.read_text()) == {
            "warn_below": 30.0,
            "accounts": {"client-b": {"label": "B"}},
        }
        remove_account(path, "client-b")
        # Back to one account: the file reads as a one-account user's.
        assert path.read_text() == tomli_w.dumps({"warn_below": 30.0})


class TestSettingsCommand:
    def test_an_unknown_account_is_one_sentence_before_any_window(
        self, cli_env: dict[str, str]
    ) -> None:
        # No display is set: the account is refused before Tk is even tried.
        result = run_cli(["settings", "--account", "client-z"], cli_env)
        assert result.returncode == 2
        assert result.stderr == (
            "deepgram-tray: There is no account called 'client-z' in the config: add it with "
            '`deepgram-tray config set accounts.client-z.label "client-z"`, or use one of '
            "default.\n"
        )

    def test_a_name_no_account_can_have_gets_the_rule(self, cli_env: dict[str, str]) -> None:
        result = run_cli(["settings", "--account", "Client A"], cli_env)
        assert result.returncode == 2
        assert "cannot be used: use lower-case letters" in result.stderr
        assert "Traceback" not in result.stderr
