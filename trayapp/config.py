"""Settings: the TOML config file, its validation, environment overrides and atomic writes.

An unreadable or invalid file is reported, never overwritten: `config set` refuses to touch it.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NamedTuple

from trayapp.deepgram.urls import DEFAULT_API_URL, validate_api_url
from trayapp.desktop.paths import config_path
from trayapp.errors import ConfigError

log = logging.getLogger(__name__)

API_URL_ENV = "DEEPGRAM_TRAY_API_URL"
MIN_POLL_INTERVAL = 10
MAX_POLL_INTERVAL = 86_400
MAX_EXPIRY_DAYS = 365


class Settings(NamedTuple):
    api_url: str = DEFAULT_API_URL
    """Management API base URL, without a trailing slash."""
    poll_interval: int = 300
    """Seconds between background refreshes."""
    warn_below: Decimal = Decimal("20.0")
    """Total (main unit) below which the icon turns amber."""
    critical_below: Decimal = Decimal("5.0")
    """Total (main unit) below which the icon turns red."""
    projects: tuple[str, ...] = ()
    """Watched project ids; empty means every project the key sees."""
    notify: bool = True
    """Desktop notification when a threshold is crossed downward."""
    warn_days_left: Decimal = Decimal(7)
    """Notify when the spend rate says the credit lasts fewer days than this (0: never)."""
    warn_expiry_days: int = 14
    """Notify this many days before credit expires (0: never)."""


SETTING_NAMES = Settings._fields


# --- reading -----------------------------------------------------------------------------------


def read_config_file(path: Path) -> dict[str, object]:
    """The file's table, {} when it does not exist; ConfigError when it cannot be used."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(
            f"The config file {path} cannot be read ({reason}): check that it is a file you may "
            "read."
        ) from exc
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


def settings_from_table(table: Mapping[str, object], *, origin: str) -> Settings:
    """Validate a config table; `origin` names where it came from in error messages."""
    values: dict[str, object] = {}
    for name, raw in table.items():
        parse = _TOML_PARSERS.get(name)
        if parse is None:
            log.warning("Ignoring unknown setting %r in %s", name, origin)
            continue
        values[name] = parse(raw, f"{name} in {origin}")
    settings = Settings(**values)  # type: ignore[arg-type]
    _check_thresholds(settings, origin)
    return settings


def load_settings(env: Mapping[str, str] = os.environ) -> Settings:
    """Config file, then the environment's API URL override on top."""
    path = config_path(env)
    settings = settings_from_table(read_config_file(path), origin=str(path))
    url_override = env.get(API_URL_ENV, "").strip()
    if url_override:
        settings = settings._replace(api_url=validate_api_url(url_override, source=API_URL_ENV))
    return settings


def _check_thresholds(settings: Settings, origin: str) -> None:
    if settings.critical_below > settings.warn_below:
        raise ConfigError(
            f"critical_below ({settings.critical_below}) is above warn_below "
            f"({settings.warn_below}) in {origin}: make critical_below the smaller one."
        )


# --- per-key validation of TOML values ----------------------------------------------------------


def _api_url(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f'{where} must be a quoted URL such as "{DEFAULT_API_URL}".')
    return validate_api_url(value, source=where)


def _poll_interval(value: object, where: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # TOML writers may turn 300 into 300.0
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where} must be a whole number of seconds, e.g. 300.")
    seconds = value
    if seconds < MIN_POLL_INTERVAL:
        raise ConfigError(
            f"{where} is {seconds} s, below the minimum of {MIN_POLL_INTERVAL} s: use a larger "
            "value (the default is 300) so the API is polled gently."
        )
    if seconds > MAX_POLL_INTERVAL:
        raise ConfigError(f"{where} is {seconds} s: use at most {MAX_POLL_INTERVAL} (one day).")
    return seconds


def _threshold(value: object, where: str) -> Decimal:
    return _non_negative_number(value, where, noun="number", example="20.0")


def _days_left(value: object, where: str) -> Decimal:
    return _non_negative_number(
        value, where, noun="number of days", example="7 (0 turns the warning off)"
    )


def _non_negative_number(value: object, where: str, *, noun: str, example: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where} must be a {noun}, e.g. {example}.")
    amount = Decimal(str(value))
    if not amount.is_finite() or amount < 0:
        raise ConfigError(f"{where} must be zero or a positive {noun}, e.g. {example}.")
    return amount


def _projects(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(
            f'{where} must be a list of project ids, e.g. ["id-1", "id-2"], or [] for all.'
        )
    return tuple(dict.fromkeys(v.strip() for v in value))


def _notify(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false.")
    return value


def _expiry_days(value: object, where: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_EXPIRY_DAYS:
        raise ConfigError(
            f"{where} must be a whole number of days from 0 to {MAX_EXPIRY_DAYS}, e.g. 14 "
            "(0 turns the warning off)."
        )
    return value


_TOML_PARSERS: dict[str, Callable[[object, str], object]] = {
    "api_url": _api_url,
    "poll_interval": _poll_interval,
    "warn_below": _threshold,
    "critical_below": _threshold,
    "projects": _projects,
    "notify": _notify,
    "warn_days_left": _days_left,
    "warn_expiry_days": _expiry_days,
}


def validate_value(name: str, value: object) -> object:
    """Check one setting's value on its own (cross-setting rules are checked with the rest)."""
    parse = _TOML_PARSERS.get(name)
    if parse is None:
        raise ConfigError(f"There is no setting called {name!r}.")
    return parse(value, name)


# --- `config set`: text from the command line to a TOML value -----------------------------------


def parse_cli_value(name: str, text: str) -> object:
    """The TOML value for `config set NAME TEXT`, or ConfigError saying what is expected."""
    text = text.strip()
    if name == "api_url":
        return validate_api_url(text)
    if name == "poll_interval":
        try:
            return int(text)
        except ValueError:
            raise ConfigError("poll_interval takes a whole number of seconds, e.g. 300.") from None
    if name in ("warn_below", "critical_below"):
        return float(_number_text(text, f"{name} takes a number, e.g. 20 or 7.5."))
    if name == "warn_days_left":
        days = _number_text(text, "warn_days_left takes a number of days, e.g. 7 (0: never).")
        return _toml_number(days)
    if name == "warn_expiry_days":
        try:
            return int(text)
        except ValueError:
            raise ConfigError("warn_expiry_days takes a whole number of days, e.g. 14.") from None
    if name == "projects":
        return [part.strip() for part in text.split(",") if part.strip()]
    if name == "notify":
        lowered = text.lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        if lowered in ("false", "no", "off", "0"):
            return False
        raise ConfigError("notify takes true or false.")
    raise ConfigError(
        f"There is no setting called {name!r}: use one of {', '.join(SETTING_NAMES)}."
    )


def _number_text(text: str, expected: str) -> Decimal:
    """A finite number typed on the command line; `expected` says what to type instead."""
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ConfigError(expected) from None
    if not amount.is_finite():
        raise ConfigError(expected)
    return amount


def set_config_value(path: Path, name: str, text: str) -> Settings:
    """Change one key in the file, keeping the others (unknown ones too); validate, then write."""
    return update_config(path, {name: parse_cli_value(name, text)})


def update_config(path: Path, values: Mapping[str, object]) -> Settings:
    """Merge TOML values into the file, keeping other keys; validate the result, then write."""
    import tomli_w

    from trayapp.atomic import write_atomically

    table = read_config_file(path)  # raises on an unusable file, which is then left untouched
    table.update(values)
    settings = settings_from_table(table, origin=str(path))
    write_atomically(path, tomli_w.dumps(table).encode("utf-8"))
    return settings


def settings_as_table(settings: Settings) -> dict[str, object]:
    """The TOML table for these settings (thresholds as floats: TOML has no decimal type)."""
    return {
        "api_url": settings.api_url,
        "poll_interval": settings.poll_interval,
        "warn_below": float(settings.warn_below),
        "critical_below": float(settings.critical_below),
        "projects": list(settings.projects),
        "notify": settings.notify,
        "warn_days_left": _toml_number(settings.warn_days_left),
        "warn_expiry_days": settings.warn_expiry_days,
    }


def _toml_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)
