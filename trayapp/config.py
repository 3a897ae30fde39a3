"""Settings: the table of settings, the TOML config file, its validation, environment overrides
and atomic writes.

Every setting is one entry in FIELDS: the file, `config set`, `config show` and the settings
window all work from that table (Settings gives the rest of the app the values, typed). An
unreadable or invalid file is reported, never overwritten: `config set` refuses to touch it.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from trayapp.deepgram.urls import DEFAULT_API_URL, validate_api_url
from trayapp.desktop.paths import CONFIG_ENV, config_path
from trayapp.errors import ConfigError, os_reason
from trayapp.setting_fields import (
    MAX_EXPIRY_DAYS,
    CheckBox,
    FormRow,
    NumberEntry,
    ProjectPicker,
    SettingField,
    api_url_text,
    api_url_value,
    as_is,
    comma_list,
    non_negative_number,
    number_text,
    poll_seconds,
    project_ids,
    setting,
    toml_number,
    true_or_false,
    whole_number,
    whole_number_text,
    yes_or_no,
)

log = logging.getLogger(__name__)

API_URL_ENV = "DEEPGRAM_TRAY_API_URL"
ACCOUNTS_TABLE = "accounts"
"""The config's `[accounts.NAME]` tables: read by trayapp.accounts, not as settings."""
EVERY_PROJECT: tuple[str, ...] = ()
"""No project ids: watch every project the key sees."""


class Settings(NamedTuple):
    """The settings in effect, typed for the code that reads them; FIELDS below says the rest."""

    api_url: str = DEFAULT_API_URL
    """Management API base URL, without a trailing slash."""
    poll_interval: int = 300
    """Seconds between background refreshes."""
    warn_below: Decimal = Decimal("20.0")
    """Total (main unit) below which the icon turns amber."""
    critical_below: Decimal = Decimal("5.0")
    """Total (main unit) below which the icon turns red."""
    projects: tuple[str, ...] = EVERY_PROJECT
    """Watched project ids; empty means every project the key sees."""
    notify: bool = True
    """Desktop notification when a threshold is crossed downward."""
    warn_days_left: Decimal = Decimal(7)
    """Notify when the spend rate says the credit lasts fewer days than this (0: never)."""
    warn_expiry_days: int = 14
    """Notify this many days before credit expires (0: never)."""
    check_updates: bool = True
    """Once a day, ask PyPI whether a newer release exists, and say so in the menu."""


def dollar_threshold(name: str, default: Decimal, form: NumberEntry) -> SettingField:
    """A total in dollars below which the icon changes colour: both thresholds read, parse and
    write alike (the same words in their messages)."""
    return setting(
        name,
        default,
        read=non_negative_number("number", example="20.0"),
        parse=number_text("a number, e.g. 20 or 7.5"),
        write=float,
        form=form,
    )


# Each setting of Settings, in the same order with the same default (a test holds them together),
# and in the order the file and `config show` list them.
FIELDS: tuple[SettingField, ...] = (
    setting(
        "api_url",
        DEFAULT_API_URL,
        read=api_url_value,
        parse=api_url_text,
        write=as_is,
    ),
    setting(
        "poll_interval",
        300,
        read=poll_seconds,
        parse=whole_number_text("a whole number of seconds, e.g. 300"),
        write=as_is,
        form=NumberEntry(4, "Check every", "seconds (10 at least)"),
    ),
    dollar_threshold(
        "warn_below", Decimal("20.0"), NumberEntry(2, "Warn below", "USD (amber icon)")
    ),
    dollar_threshold(
        "critical_below", Decimal("5.0"), NumberEntry(3, "Critical below", "USD (red icon)")
    ),
    setting(
        "projects",
        EVERY_PROJECT,
        read=project_ids,
        parse=comma_list,
        write=list,
        form=ProjectPicker(1, "Projects"),
    ),
    setting(
        "notify",
        True,
        read=true_or_false,
        parse=yes_or_no,
        write=as_is,
        form=CheckBox(7, "Notify me (low balance, days left, expiring credit)"),
    ),
    setting(
        "warn_days_left",
        Decimal(7),
        read=non_negative_number("number of days", example="7 (0 turns the warning off)"),
        parse=number_text("a number of days, e.g. 7 (0: never)"),
        write=toml_number,
        form=NumberEntry(5, "Warn at", "days of credit left (0: never)"),
    ),
    setting(
        "warn_expiry_days",
        14,
        read=whole_number(
            0,
            MAX_EXPIRY_DAYS,
            expects=f"a whole number of days from 0 to {MAX_EXPIRY_DAYS}, e.g. 14 "
            "(0 turns the warning off)",
        ),
        parse=whole_number_text("a whole number of days, e.g. 14"),
        write=as_is,
        form=NumberEntry(6, "Warn", "days before credit expires (0: never)"),
    ),
    setting(
        "check_updates",
        True,
        read=true_or_false,
        parse=yes_or_no,
        write=as_is,
        form=CheckBox(8, "Tell me when a new version is out (asks PyPI once a day)"),
    ),
)


def form_rows() -> list[tuple[str, FormRow]]:
    """The settings the settings window shows, by name with how each shows, in the file's order."""
    return [(field.name, field.form) for field in FIELDS if field.form is not None]


def _field_named(name: str) -> SettingField | None:
    return next((field for field in FIELDS if field.name == name), None)


# --- reading -----------------------------------------------------------------------------------


MAX_CONFIG_BYTES = 1024 * 1024
"""A config file is a few hundred bytes: anything past a MiB is not one, and is not read."""


def read_config_file(path: Path) -> dict[str, object]:
    """The file's table, {} when it does not exist; ConfigError when it cannot be used."""
    data = _config_bytes(path)
    if data is None:
        return {}
    # Imported only once there is a file to parse: most CLI runs have none.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        return tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"The config file {path} is not valid TOML ({exc}): fix it, or move it away to start "
            "from the defaults."
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"The config file {path} is not UTF-8 text: fix it, or move it away to start from "
            "the defaults."
        ) from exc
    except ValueError as exc:
        # Not a TOMLDecodeError: Python refuses to turn thousands of digits into an int.
        raise ConfigError(_too_many_digits(path, data)) from exc
    except RecursionError as exc:
        raise ConfigError(
            f"The config file {path} nests its values too deeply to read: fix it, or move it away "
            "to start from the defaults."
        ) from exc


def _config_bytes(path: Path) -> bytes | None:
    """The file's bytes, None when there is no file (most CLI runs: then nothing more is
    imported); ConfigError when something else is there, or it is far too large."""
    if not os.path.lexists(path):
        return None
    from trayapp.atomic import FileTooLargeError, NotARegularFileError, read_regular_file

    try:
        return read_regular_file(path, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        return None
    except NotARegularFileError as exc:
        raise ConfigError(
            f"The config file {path} is {exc.what}, not a file: put a TOML file there, or point "
            f"{CONFIG_ENV} at one."
        ) from exc
    except FileTooLargeError as exc:
        raise ConfigError(
            f"The config file {path} is larger than 1 MiB, far too large for settings: fix it, or "
            "move it away to start from the defaults."
        ) from exc
    except OSError as exc:
        reason = os_reason(exc)
        raise ConfigError(
            f"The config file {path} cannot be read ({reason}): check that it is a file you may "
            "read."
        ) from exc


# A setting's name, then a long number: Python reads a few thousand digits at most.
_LONG_NUMBER = re.compile(
    r"^[ \t]*\"?([A-Za-z0-9_-]+)\"?[ \t]*=[ \t]*[+-]?([0-9_]{100,})", re.MULTILINE
)


def _too_many_digits(path: Path, data: bytes) -> str:
    found = max(
        _LONG_NUMBER.finditer(data.decode("utf-8")),
        key=lambda match: len(match.group(2)),
        default=None,
    )
    if found is None:
        return (
            f"The config file {path} holds a number thousands of digits long: fix it, or move it "
            "away to start from the defaults."
        )
    return (
        f"{found.group(1)} in the config file {path} is a number thousands of digits long: set "
        "it to a sensible value, or move the file away to start from the defaults."
    )


def settings_from_table(table: Mapping[str, object], *, origin: str) -> Settings:
    """Validate a config table; `origin` names where it came from in error messages."""
    values: dict[str, object] = {}
    for name, raw in table.items():
        field = _field_named(name)
        if name == ACCOUNTS_TABLE:
            continue  # the other accounts' tables (trayapp.accounts)
        if field is None:
            log.warning("Ignoring unknown setting %r in %s", name, origin)
            continue
        values[name] = field.read(raw, f"{name} in {origin}")
    settings = Settings._make(values.get(field.name, field.default) for field in FIELDS)
    conflict = conflict_in(settings)
    if conflict is not None:
        raise ConfigError(conflict.said(origin))
    return settings


def load_settings(env: Mapping[str, str] = os.environ) -> Settings:
    """Config file, then the environment's API URL override on top."""
    return load_settings_and_table(env)[0]


def load_settings_and_table(
    env: Mapping[str, str] = os.environ,
) -> tuple[Settings, dict[str, object], str]:
    """The settings in effect, the file's whole table (for its accounts) and the file's path."""
    path = config_path(env)
    table = read_config_file(path)
    settings = settings_from_table(table, origin=str(path))
    url_override = env.get(API_URL_ENV, "").strip()
    if url_override:
        settings = settings._replace(api_url=validate_api_url(url_override, source=API_URL_ENV))
    return settings, table, str(path)


def read_setting(name: str, value: object, where: str) -> object:
    """Check one setting's value, `where` naming it in the error (e.g. an account's table)."""
    field = _field_named(name)
    if field is None:
        raise ConfigError(f"There is no setting called {name!r}.")
    return field.read(value, where)


def validate_value(name: str, value: object) -> object:
    """Check one setting's value on its own (conflict_in checks them together)."""
    field = _field_named(name)
    if field is None:
        raise ConfigError(f"There is no setting called {name!r}.")
    return field.read(value, name)


def settings_with(current: Settings, values: Mapping[str, object]) -> Settings:
    """`current` with some settings changed, by name, to values validate_value gave."""
    return Settings._make(values.get(field.name, getattr(current, field.name)) for field in FIELDS)


# --- settings that are each fine but wrong together ---------------------------------------------


class Conflict(NamedTuple):
    """Two settings at odds: what is wrong, what to do, and which setting to change."""

    name: str
    """The setting to change, beside which the settings window shows the problem."""
    problem: str
    fix: str

    def said(self, origin: str | None = None) -> str:
        """The sentence, naming where the settings came from when they came from somewhere."""
        where = f" in {origin}" if origin else ""
        return f"{self.problem}{where}: {self.fix}"


def conflict_in(settings: Settings) -> Conflict | None:
    """The rules between settings, in one place; each setting has been checked on its own."""
    if settings.critical_below > settings.warn_below:
        return Conflict(
            "critical_below",
            f"critical_below ({settings.critical_below}) is above warn_below "
            f"({settings.warn_below})",
            "make critical_below the smaller one.",
        )
    return None


# --- `config set`: text from the command line to a TOML value -----------------------------------


def parse_cli_value(name: str, text: str, shown_as: str | None = None) -> object:
    """The TOML value for `config set NAME TEXT`, or ConfigError saying what is expected;
    `shown_as` names the setting in that sentence instead (an account's, say)."""
    field = _field_named(name)
    if field is None:
        names = ", ".join(field.name for field in FIELDS)
        raise ConfigError(f"There is no setting called {name!r}: use one of {names}.")
    return field.write(field.parse(text.strip(), shown_as or name))


def set_config_value(path: Path, name: str, text: str) -> Settings:
    """Change one key in the file, keeping the others (unknown ones too); validate, then write."""
    return update_config(path, {name: parse_cli_value(name, text)})


def update_config(path: Path, values: Mapping[str, object]) -> Settings:
    """Merge TOML values into the file, keeping other keys; validate the result, then write."""
    return rewrite_config(path, lambda table: table.update(values))[0]


def rewrite_config(
    path: Path, change: Callable[[dict[str, object]], None]
) -> tuple[Settings, dict[str, object]]:
    """Read the file, `change` its table, check the whole result (the accounts' tables too: a
    top-level threshold is theirs unless they set their own), then write it atomically. An
    unusable file, or a change that would make it invalid, raises and leaves the file untouched.

    The settings the file then gives (the environment's overrides aside), and its table."""
    import tomli_w

    # trayapp.accounts is imported here, not at the top: it reads settings with this module.
    from trayapp.accounts import accounts_from_table
    from trayapp.atomic import write_atomically

    table = read_config_file(path)  # raises on an unusable file, which is then left untouched
    change(table)
    settings = settings_from_table(table, origin=str(path))
    accounts_from_table(table, settings, origin=str(path))
    write_atomically(path, tomli_w.dumps(table).encode("utf-8"))
    return settings, table


def settings_as_table(settings: Settings, names: Iterable[str] | None = None) -> dict[str, object]:
    """The TOML table for these settings, or for those `names` (thresholds as floats: TOML has no
    decimal type)."""
    chosen = None if names is None else set(names)
    return {
        field.name: field.write(getattr(settings, field.name))
        for field in FIELDS
        if chosen is None or field.name in chosen
    }
