"""The settings window's logic without Tk: validation, errors by field, and what Save writes."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from tests.conftest import OWNER_KEY
from trayapp.config import Settings
from trayapp.credentials import ApiKey
from trayapp.errors import AuthError, NetworkError, PermissionDeniedError
from trayapp.setting_fields import CheckBox, NumberEntry, ProjectPicker
from trayapp.tk.settings_form import (
    FieldErrors,
    FormInput,
    Said,
    SavePlan,
    in_label_words,
    initial_input,
    key_hint,
    notice,
    plan_save,
    rows_top_first,
    subject_of,
)

CURRENT = Settings(warn_below=Decimal("20.0"), critical_below=Decimal("5.0"))


def form(**changes: object) -> FormInput:
    """The form as first shown, with some changes; a setting's name changes its entry's text."""
    start = initial_input(CURRENT)
    typed = {name: text for name, text in changes.items() if name in start.entries}
    others = {name: value for name, value in changes.items() if name not in typed}
    return replace(start, entries={**start.entries, **typed}, **others)  # type: ignore[arg-type]


def plan(value: FormInput, *, has_key: bool = True, keyring_usable: bool = True) -> SavePlan:
    result = plan_save(value, CURRENT, has_key=has_key, keyring_usable=keyring_usable)
    assert isinstance(result, SavePlan), result
    return result


def errors(
    value: FormInput, *, has_key: bool = True, keyring_usable: bool = True
) -> dict[str, str]:
    result = plan_save(value, CURRENT, has_key=has_key, keyring_usable=keyring_usable)
    assert isinstance(result, FieldErrors), result
    return result.by_field


def test_initial_values_are_what_a_person_would_type() -> None:
    start = initial_input(Settings(projects=("a",), warn_below=Decimal("7.50"), notify=False))
    assert start.entries == {
        "warn_below": "7.5",
        "critical_below": "5",
        "poll_interval": "300",
        "warn_days_left": "7",
        "warn_expiry_days": "14",
    }
    assert start.key_text == "" and not start.watch_all and start.watched == ("a",)
    assert start.checks == {"notify": False, "check_updates": True}


def test_the_window_shows_its_rows_in_its_own_order() -> None:
    """Projects, money, polling, then warnings: not the file's order (the table's `place`)."""
    assert rows_top_first() == [
        ("projects", ProjectPicker(1, "Projects")),
        ("warn_below", NumberEntry(2, "Warn below", "USD (amber icon)")),
        ("critical_below", NumberEntry(3, "Critical below", "USD (red icon)")),
        ("poll_interval", NumberEntry(4, "Check every", "seconds (10 at least)")),
        ("warn_days_left", NumberEntry(5, "Warn at", "days of credit left (0: never)")),
        ("warn_expiry_days", NumberEntry(6, "Warn", "days before credit expires (0: never)")),
        ("notify", CheckBox(7, "Notify me (low balance, days left, expiring credit)")),
        ("check_updates", CheckBox(8, "Tell me when a new version is out (asks PyPI once a day)")),
    ]


def test_unchanged_form_saves_the_same_settings_and_keeps_the_key() -> None:
    result = plan(form())
    assert result.new_key is None
    assert result.settings == CURRENT


def test_a_new_key_and_new_values() -> None:
    result = plan(
        form(
            key_text=f"  {OWNER_KEY}\n",
            warn_below="50",
            critical_below="10",
            poll_interval="60",
            warn_days_left="3.5",
            warn_expiry_days="30",
        )
    )
    assert result.new_key == OWNER_KEY
    assert list(result.config_updates.items()) == [  # the file's order, as `config show` has it
        ("poll_interval", 60),
        ("warn_below", 50.0),
        ("critical_below", 10.0),
        ("projects", []),
        ("notify", True),
        ("warn_days_left", 3.5),
        ("warn_expiry_days", 30),
        ("check_updates", True),
    ]
    assert result.config_updates == {
        "warn_below": 50.0,
        "critical_below": 10.0,
        "poll_interval": 60,
        "warn_days_left": 3.5,
        "warn_expiry_days": 30,
        "notify": True,
        "projects": [],
        "check_updates": True,
    }
    assert result.settings.warn_below == Decimal("50.0")
    assert (
        result.settings.warn_days_left == Decimal("3.5") and result.settings.warn_expiry_days == 30
    )


def test_a_check_box_is_saved_as_true_or_false() -> None:
    result = plan(form(checks={"notify": False, "check_updates": True}))
    assert result.config_updates["notify"] is False
    assert result.settings.notify is False
    result = plan(form(checks={"notify": True, "check_updates": False}))
    assert result.config_updates["check_updates"] is False
    assert result.settings.check_updates is False


def test_thresholds_out_of_order_are_said_beside_critical_below_in_label_words() -> None:
    # Each value is fine on its own; together they are not. The sentence is the one the config
    # file gets, less the file's name, with the window's labels for the setting names.
    assert errors(form(critical_below="30")) == {
        "critical_below": "Critical below (30.0) is above Warn below (20.0): make Critical below "
        "the smaller one."
    }


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"warn_below": "lots"}, "warn_below", "Warn below takes a number, e.g. 20 or 7.5."),
        (
            {"warn_below": "-1"},
            "warn_below",
            "Warn below must be zero or a positive number, e.g. 20.0.",
        ),
        (
            {"critical_below": "1e13"},
            "critical_below",
            "Critical below is larger than a trillion: it takes a number, e.g. 20 or 7.5.",
        ),
        (
            {"poll_interval": "5"},
            "poll_interval",
            "Check every is 5 s, below the minimum of 10 s: use a larger value (the default is "
            "300) so the API is polled gently.",
        ),
        (
            {"poll_interval": "5.5"},
            "poll_interval",
            "Check every takes a whole number of seconds, e.g. 300.",
        ),
        (
            {"warn_days_left": "-1"},
            "warn_days_left",
            "Warn at must be zero or a positive number of days, e.g. 7 (0 turns the warning off).",
        ),
        (
            {"warn_expiry_days": "500"},
            "warn_expiry_days",
            "Warn … days before credit expires must be a whole number of days from 0 to 365, "
            "e.g. 14 (0 turns the warning off).",
        ),
    ],
)
def test_messages_name_settings_by_their_labels(
    changes: dict[str, str], field: str, message: str
) -> None:
    """The window speaks in the words beside its fields, never in config names."""
    assert errors(form(**changes)) == {field: message}


def test_every_shown_setting_has_words_and_no_message_names_a_config_key() -> None:
    bad = {name: "x" for name, row in rows_top_first() if isinstance(row, NumberEntry)}
    found = errors(form(**bad))
    assert set(found) == set(bad)
    for name, message in found.items():
        for config_name, _ in rows_top_first():
            assert config_name not in message, (name, message)


def test_label_words_replace_whole_names_only() -> None:
    assert in_label_words("warn_below and critical_below, not warn_below_x") == (
        "Warn below and Critical below, not warn_below_x"
    )
    assert subject_of(CheckBox(7, "Notify me")) == "Notify me"
    assert subject_of(ProjectPicker(1, "Projects")) == "Projects"
    assert subject_of(NumberEntry(6, "Warn", "days before credit expires (0: never)")) == (
        "Warn … days before credit expires"
    )


def test_start_at_login_is_carried_to_the_plan() -> None:
    assert plan(form()).start_at_login is None  # not offered
    assert plan(form(start_at_login=True)).start_at_login is True
    assert plan(form(start_at_login=False)).start_at_login is False


def test_watched_projects() -> None:
    result = plan(form(watch_all=False, watched=("p1", "p2")))
    assert result.config_updates["projects"] == ["p1", "p2"]
    assert errors(form(watch_all=False, watched=())) == {
        "projects": "Tick at least one project, or watch all of them."
    }


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"warn_below": "lots"}, "warn_below", "Warn below takes a number"),
        ({"warn_below": ""}, "warn_below", "Enter a number"),
        ({"critical_below": "30"}, "critical_below", "smaller one"),
        ({"poll_interval": "5"}, "poll_interval", "minimum of 10 s"),
        ({"poll_interval": "5.5"}, "poll_interval", "whole number"),
        ({"warn_days_left": "-1"}, "warn_days_left", "zero or a positive number of days"),
        ({"warn_expiry_days": "500"}, "warn_expiry_days", "from 0 to 365"),
        ({"warn_expiry_days": "two weeks"}, "warn_expiry_days", "whole number of days"),
        ({"key_text": "not a key at all"}, "key", "contains a space"),
    ],
)
def test_errors_land_beside_their_field(changes: dict[str, str], field: str, says: str) -> None:
    found = errors(form(**changes))
    assert list(found) == [field]
    assert says in found[field]


def test_several_errors_at_once() -> None:
    assert set(errors(form(warn_below="x", poll_interval="1", key_text="a b"))) == {
        "warn_below",
        "poll_interval",
        "key",
    }


def test_field_errors_are_true_when_there_are_some() -> None:
    assert not FieldErrors()
    assert FieldErrors({"warn_below": "Enter a number."})


def test_first_run_needs_a_key() -> None:
    assert "Paste an API key" in errors(form(), has_key=False)["key"]
    assert plan(form(key_text=OWNER_KEY), has_key=False).new_key == OWNER_KEY


def test_no_keyring_means_no_key_is_stored_anywhere() -> None:
    assert "No OS keyring" in errors(form(key_text=OWNER_KEY), keyring_usable=False)["key"]
    # Other settings can still be saved while the key comes from the environment.
    assert plan(form(warn_below="30"), keyring_usable=False).new_key is None
    # With no key and no keyring, the disabled key field asks for nothing it cannot take.
    assert plan(form(warn_below="30"), has_key=False, keyring_usable=False).new_key is None


class TestWindowLines:
    """The line under the key field and the notice above everything: words and tone."""

    NO_KEYRING = "No OS keyring is available to hold the API key: set DEEPGRAM_API_KEY."

    def test_no_keyring_and_no_key_explains_in_the_key_fields_hint(self) -> None:
        assert key_hint(None, self.NO_KEYRING) == Said(
            f"{self.NO_KEYRING} Keys are never stored in a plain file.", "error"
        )

    def test_first_run_and_a_key_in_use(self) -> None:
        assert key_hint(None, None) == Said("No key is stored yet. Paste yours above.", "hint")
        assert key_hint(ApiKey(OWNER_KEY, "keyring"), None) == Said(
            f"Current key: …{OWNER_KEY[-4:]} (keyring). Type a new one to replace it.", "hint"
        )
        assert key_hint(ApiKey(OWNER_KEY, "env"), None).text.startswith(
            f"Current key: …{OWNER_KEY[-4:]} (environment)."
        )

    def test_an_environment_key_is_information_not_an_error(self) -> None:
        assert notice(ApiKey(OWNER_KEY, "env"), None) == Said(
            "DEEPGRAM_API_KEY is set, so it is used instead of any key stored here.", "info"
        )
        assert notice(ApiKey(OWNER_KEY, "keyring"), None) is None
        assert notice(None, None) is None

    def test_an_unreadable_config_is_an_error_first(self) -> None:
        said = notice(ApiKey(OWNER_KEY, "env"), "The config file is not TOML.")
        assert said == Said(
            "The config file is not TOML. Saving will not touch the file until it is fixed.",
            "error",
        )


def test_typed_key_never_appears_in_an_error() -> None:
    secret = "abc def" + OWNER_KEY
    assert all(OWNER_KEY not in message for message in errors(form(key_text=secret)).values())


class TestKeyCheckWords:
    def test_each_key_kind(self) -> None:
        from trayapp.tk.settings_window import describe_key_check

        assert describe_key_check(None, "it sees 2 projects and can read balances") == (
            True,
            "This key works: it sees 2 projects and can read balances.",
        )
        assert "refused" in describe_key_check(AuthError("x"), None)[1]
        assert "Owner or Admin" in describe_key_check(PermissionDeniedError("x"), None)[1]
        offline = NetworkError("Could not reach api.deepgram.com: check your connection.")
        assert describe_key_check(offline, None) == (
            False,
            "The key could not be tested: Could not reach api.deepgram.com: check your connection.",
        )
