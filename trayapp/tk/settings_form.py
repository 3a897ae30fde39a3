"""The settings window's logic, without Tk: validate what was typed, decide what Save writes.

Pure: the window's layout (settings_layout.py) lays out the rows rows_top_first() lists, reads
its widgets into FormInput and shows the FieldErrors next to their fields; settings_save.py
carries out a SavePlan.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from trayapp import config
from trayapp.config import (
    Settings,
    conflict_in,
    form_rows,
    settings_with,
)
from trayapp.credentials import (
    API_KEY_ENV,
    DEFAULT_ACCOUNT,
    ApiKey,
    clean_key_text,
    key_env_var,
)
from trayapp.errors import ConfigError
from trayapp.setting_fields import CheckBox, FormRow, NumberEntry, ProjectPicker, SettingField

KEY_FIELD = "key"
EMPTY_NUMBER = "Enter a number."
NO_PROJECT_TICKED = "Tick at least one project, or watch all of them."
NO_KEYRING_FOR_A_NEW_KEY = "No OS keyring is available, so the key cannot be stored here."
NEED_A_KEY = "Paste an API key from the Deepgram Console (Owner or Admin)."
NO_PLAIN_FILE = "Keys are never stored in a plain file."

Tone = Literal["error", "info", "hint"]
"""How a line of text is shown: a problem to fix, something to know, or a quiet hint."""


@dataclass(frozen=True)
class Said:
    text: str
    tone: Tone


@dataclass(frozen=True)
class FormInput:
    """What the window's fields hold, as typed."""

    key_text: str
    """Empty means: keep the stored key."""
    entries: Mapping[str, str]
    """Each number entry's text, by setting name."""
    checks: Mapping[str, bool]
    """Each check box, by setting name."""
    watch_all: bool
    watched: tuple[str, ...] = ()
    """Checked project ids; used when `watch_all` is off."""
    start_at_login: bool | None = None
    """The check box's state; None where start at login cannot be offered."""


@dataclass(frozen=True)
class SavePlan:
    config_updates: Mapping[str, object]
    new_key: str | None
    """A key to store in the keyring, or None to keep the current one."""
    start_at_login: bool | None
    settings: Settings
    """The settings as they will be once saved."""


@dataclass(frozen=True)
class FieldErrors:
    by_field: dict[str, str] = field(default_factory=dict)
    """Each message as the window shows it, by setting name (or KEY_FIELD)."""

    def __bool__(self) -> bool:
        return bool(self.by_field)


def rows_top_first() -> list[tuple[str, FormRow]]:
    """The window's setting rows in the order it lays them out (each row's `place`)."""
    return sorted(form_rows(), key=lambda row: row[1].place)


def initial_input(settings: Settings) -> FormInput:
    """The form's starting values: the settings in effect, and no new key."""
    rows = form_rows()
    return FormInput(
        key_text="",
        entries={
            name: _as_typed(getattr(settings, name))
            for name, row in rows
            if isinstance(row, NumberEntry)
        },
        checks={name: getattr(settings, name) for name, row in rows if isinstance(row, CheckBox)},
        watch_all=not settings.projects,
        watched=settings.projects,
    )


def plan_save(
    form: FormInput, current: Settings, *, has_key: bool, keyring_usable: bool
) -> SavePlan | FieldErrors:
    """Everything Save would write, or the errors to show beside their fields."""
    errors: dict[str, str] = {}
    new_key: str | None = None
    if form.key_text.strip():
        if not keyring_usable:
            errors[KEY_FIELD] = NO_KEYRING_FOR_A_NEW_KEY
        else:
            try:
                new_key = clean_key_text(form.key_text)
            except ConfigError as exc:
                errors[KEY_FIELD] = exc.message
    elif not has_key and keyring_usable:
        # Without a keyring the key field is disabled and its hint says why: asking for a key
        # there would ask the impossible, and the other settings may still be saved.
        errors[KEY_FIELD] = NEED_A_KEY

    rows = form_rows()
    updates: dict[str, object] = {}
    values: dict[str, object] = {}
    for name, row in rows:
        try:
            updates[name] = _toml_value(form, name, row)
            values[name] = _field(name).read(updates[name], subject_of(row))
        except ConfigError as exc:
            errors[name] = exc.message
        if isinstance(row, ProjectPicker) and not form.watch_all and not form.watched:
            errors[name] = NO_PROJECT_TICKED

    settings = settings_with(current, values)
    # Settings are checked together only once each one is fine on its own.
    conflict = conflict_in(settings) if len(values) == len(rows) else None
    if conflict is not None:
        errors[conflict.name] = in_label_words(conflict.said())
    if errors:
        return FieldErrors(errors)
    return SavePlan(
        config_updates=updates,
        new_key=new_key,
        start_at_login=form.start_at_login,
        settings=settings,
    )


def _toml_value(form: FormInput, name: str, row: FormRow) -> object:
    """What the row holds, as the config file would: ConfigError when the text is no value."""
    if isinstance(row, NumberEntry):
        text = form.entries[name].strip()
        if not text:
            raise ConfigError(EMPTY_NUMBER)
        field = _field(name)
        return field.write(field.parse(text, subject_of(row)))
    if isinstance(row, CheckBox):
        return form.checks[name]
    return [] if form.watch_all else list(form.watched)


def _as_typed(value: object) -> str:
    """20.0 -> "20", 7.5 -> "7.5", 300 -> "300": what a person would type."""
    if not isinstance(value, Decimal):
        return str(value)
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- the window's words -------------------------------------------------------------------------
# The window speaks in its labels' words ("Warn below must be…"); the config file and
# `config set` keep the setting names (warn_below), which is what a person types there.


def subject_of(row: FormRow) -> str:
    """What the window calls a setting in its messages: the words beside its field.

    A one-word label ("Warn") says too little on its own, so the words after the field come
    along ("Warn … days before credit expires"), less any note in brackets.
    """
    if isinstance(row, CheckBox):
        return row.text
    if isinstance(row, NumberEntry) and " " not in row.label:
        return f"{row.label} … {row.unit.split(' (')[0]}"
    return row.label


def in_label_words(message: str) -> str:
    """A message that names settings by their config names, with each shown one's label instead."""
    labels = {name: subject_of(row) for name, row in form_rows()}
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, labels)) + r")\b")
    return pattern.sub(lambda found: labels[found.group()], message)


def _field(name: str) -> SettingField:
    # Read from the module each time: the settings table is what a new setting extends.
    return next(field for field in config.FIELDS if field.name == name)


def key_hint(
    key: ApiKey | None, keyring_problem: str | None, account: str = DEFAULT_ACCOUNT
) -> Said:
    """The line under the key field: the key in use, or why none can be stored here."""
    if key is None and keyring_problem is not None:
        # The keyring's sentence names the default account's variable; each account has its own.
        problem = keyring_problem.replace(f"set {API_KEY_ENV} in", f"set {key_env_var(account)} in")
        return Said(f"{problem} {NO_PLAIN_FILE}", "error")
    if key is None:
        return Said("No key is stored yet. Paste yours above.", "hint")
    where = "environment" if key.source == "env" else "keyring"
    return Said(f"Current key: {key.masked} ({where}). Type a new one to replace it.", "hint")


def notice(
    key: ApiKey | None, load_error: str | None, account: str = DEFAULT_ACCOUNT
) -> Said | None:
    """The line above everything, if any: a config file that cannot be used, or the key that
    the environment sets for the account shown (worth knowing, nothing to fix)."""
    if load_error is not None:
        return Said(f"{load_error} Saving will not touch the file until it is fixed.", "error")
    if key is not None and key.source == "env":
        variable = key_env_var(account)
        return Said(f"{variable} is set, so it is used instead of any key stored here.", "info")
    return None
