"""The settings window's logic, without Tk: validate what was typed, decide what Save writes.

Pure: the window (settings_window.py) reads its widgets into FormInput, shows the FieldErrors next
to their fields, and carries out a SavePlan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from trayapp.config import (
    Settings,
    parse_cli_value,
    settings_as_table,
    settings_from_table,
    validate_value,
)
from trayapp.credentials import clean_key_text
from trayapp.errors import ConfigError, DeepgramTrayError

KEY_FIELD = "key"
NUMBER_FIELDS = (
    "warn_below",
    "critical_below",
    "poll_interval",
    "warn_days_left",
    "warn_expiry_days",
)


@dataclass(frozen=True)
class FormInput:
    """What the window's fields hold, as typed."""

    key_text: str
    """Empty means: keep the stored key."""
    warn_below: str
    critical_below: str
    poll_interval: str
    warn_days_left: str
    warn_expiry_days: str
    notify: bool
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

    def __bool__(self) -> bool:
        return bool(self.by_field)


def initial_input(settings: Settings) -> FormInput:
    """The form's starting values: the settings in effect, and no new key."""
    return FormInput(
        key_text="",
        warn_below=_plain(settings.warn_below),
        critical_below=_plain(settings.critical_below),
        poll_interval=str(settings.poll_interval),
        warn_days_left=_plain(settings.warn_days_left),
        warn_expiry_days=str(settings.warn_expiry_days),
        notify=settings.notify,
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
            errors[KEY_FIELD] = "No OS keyring is available, so the key cannot be stored here."
        else:
            try:
                new_key = clean_key_text(form.key_text)
            except ConfigError as exc:
                errors[KEY_FIELD] = exc.message
    elif not has_key:
        errors[KEY_FIELD] = "Paste an API key from the Deepgram Console (Owner or Admin)."

    updates: dict[str, object] = {}
    for name in NUMBER_FIELDS:
        text = getattr(form, name).strip()
        if not text:
            errors[name] = "Enter a number."
            continue
        try:
            value = parse_cli_value(name, text)
            validate_value(name, value)
        except ConfigError as exc:
            errors[name] = exc.message
        else:
            updates[name] = value
    updates["notify"] = form.notify
    if not form.watch_all and not form.watched:
        errors["projects"] = "Tick at least one project, or watch all of them."
    updates["projects"] = [] if form.watch_all else list(form.watched)

    settings = current
    if not any(name in errors for name in NUMBER_FIELDS):
        table = {**settings_as_table(current), **updates}
        try:
            settings = settings_from_table(table, origin="the settings window")
        except DeepgramTrayError as exc:
            # Each field passed on its own above: what is left is their order (critical <= warn).
            errors["critical_below"] = exc.message
    if errors:
        return FieldErrors(errors)
    return SavePlan(
        config_updates=updates,
        new_key=new_key,
        start_at_login=form.start_at_login,
        settings=settings,
    )


def _plain(number: object) -> str:
    """20.0 -> "20", 7.5 -> "7.5": what a person would type."""
    text = format(number, "f") if not isinstance(number, str) else number
    return text.rstrip("0").rstrip(".") if "." in text else text
