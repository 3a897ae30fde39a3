"""What a setting is besides its value: how the config file, `config set`, `config show` and the
settings window read, write and show it.

trayapp.config builds its table of settings (FIELDS) from these parts. The readers below check a
value from the TOML file, the parsers turn text typed by a person into a value; each error message
names the setting and says what to write instead, from the words its table entry gives.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple, TypeVar

from trayapp.deepgram.urls import DEFAULT_API_URL, validate_api_url
from trayapp.errors import ConfigError

T = TypeVar("T")

MIN_POLL_INTERVAL = 10
MAX_POLL_INTERVAL = 86_400
MAX_EXPIRY_DAYS = 365
MAX_NUMBER = 10**12
"""No setting's number is larger: far past any balance or number of days, and small enough to stay
exact as a TOML float and short in a message (Python reads a few thousand digits at most)."""
MAX_NUMBER_WORDS = "a trillion"


# --- how the settings window shows a setting ----------------------------------------------------


class NumberEntry(NamedTuple):
    """A number typed into an entry, with `label` before it and `unit` after it."""

    place: int
    """Where the row sits in the window, top first: the window groups settings its own way, not
    in the file's order."""
    label: str
    unit: str


class CheckBox(NamedTuple):
    """A box to tick, for a true-or-false setting."""

    place: int
    text: str


class ProjectPicker(NamedTuple):
    """ "Watch all projects", or tick some of those the key sees."""

    place: int
    label: str


FormRow = NumberEntry | CheckBox | ProjectPicker


# --- one setting --------------------------------------------------------------------------------


class SettingField(NamedTuple):
    """One setting: its name and default, how it is read, parsed and written, and how it shows."""

    name: str
    default: Any
    read: Callable[[object, str], Any]
    """A TOML value to the setting's value; a ConfigError names the place given as `where`."""
    parse: Callable[[str, str], Any]
    """Text typed by a person (stripped) to the setting's value; a ConfigError names the setting."""
    write: Callable[[Any], object]
    """The setting's value to a TOML value."""
    form: FormRow | None
    """How the settings window shows it; None when the window does not."""


def setting(
    name: str,
    default: T,
    *,
    read: Callable[[object, str], T],
    parse: Callable[[str, str], T],
    write: Callable[[T], object],
    form: FormRow | None = None,
) -> SettingField:
    """A SettingField whose parts agree on the value's type (the type checker holds them to it)."""
    return SettingField(name, default, read, parse, write, form)


def as_is(value: T) -> T:
    """For values TOML holds as they are: strings, whole numbers, true and false."""
    return value


def toml_number(value: Decimal) -> int | float:
    """7 stays 7 in the file, 2.5 stays 2.5 (TOML has no decimal type)."""
    return int(value) if value == value.to_integral_value() else float(value)


# --- reading TOML values ------------------------------------------------------------------------


def api_url_value(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f'{where} must be a quoted URL such as "{DEFAULT_API_URL}".')
    return validate_api_url(value, source=where)


def poll_seconds(value: object, where: str) -> int:
    seconds = _whole(value)
    if seconds is None:
        raise ConfigError(f"{where} must be a whole number of seconds, e.g. 300.")
    if seconds < MIN_POLL_INTERVAL:
        raise ConfigError(
            f"{where} is {seconds} s, below the minimum of {MIN_POLL_INTERVAL} s: use a larger "
            "value (the default is 300) so the API is polled gently."
        )
    if seconds > MAX_POLL_INTERVAL:
        said = f"{seconds} s" if seconds <= MAX_NUMBER else f"more than {MAX_NUMBER_WORDS} seconds"
        raise ConfigError(f"{where} is {said}: use at most {MAX_POLL_INTERVAL} (one day).")
    return seconds


def whole_number(low: int, high: int, *, expects: str) -> Callable[[object, str], int]:
    """A whole number from `low` to `high`; `expects` says which, after "must be"."""

    def read(value: object, where: str) -> int:
        number = _whole(value)
        if number is None or not low <= number <= high:
            raise ConfigError(f"{where} must be {expects}.")
        return number

    return read


def non_negative_number(noun: str, *, example: str) -> Callable[[object, str], Decimal]:
    """Zero or more, kept exact; `noun` and `example` finish the error messages."""

    def read(value: object, where: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where} must be a {noun}, e.g. {example}.")
        if not value >= 0:  # negative, or NaN (false whatever it is compared with)
            raise ConfigError(f"{where} must be zero or a positive {noun}, e.g. {example}.")
        # Compared before Decimal(str(...)): str() refuses an int of thousands of digits.
        if value > MAX_NUMBER:  # infinity too
            raise ConfigError(
                f"{where} is larger than {MAX_NUMBER_WORDS}: it must be a {noun}, e.g. {example}."
            )
        return Decimal(str(value))

    return read


def project_ids(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(
            f'{where} must be a list of project ids, e.g. ["id-1", "id-2"], or [] for all.'
        )
    return tuple(dict.fromkeys(v.strip() for v in value))


def true_or_false(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false.")
    return value


def _whole(value: object) -> int | None:
    """The whole number a TOML value holds, or None (true and false are not numbers here)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # TOML writers may turn 300 into 300.0
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


# --- parsing typed text -------------------------------------------------------------------------


def api_url_text(text: str, name: str) -> str:
    return validate_api_url(text, source=name)


def whole_number_text(expects: str) -> Callable[[str, str], int]:
    """Digits; `expects` says what to type, after "takes"."""

    def parse(text: str, name: str) -> int:
        try:
            number = int(text)
        except ValueError:
            # Digits past what Python reads (a few thousand) are a number all the same.
            if _POSITIVE_DIGITS.fullmatch(text):
                raise _too_large(name, expects) from None
            raise ConfigError(f"{name} takes {expects}.") from None
        if number > MAX_NUMBER:
            raise _too_large(name, expects)
        if number < -MAX_NUMBER:
            raise ConfigError(f"{name} takes {expects}.")
        return number

    return parse


def number_text(expects: str) -> Callable[[str, str], Decimal]:
    """A finite number, kept exact; `expects` says what to type, after "takes"."""

    def parse(text: str, name: str) -> Decimal:
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ConfigError(f"{name} takes {expects}.") from None
        if not amount.is_finite():
            raise ConfigError(f"{name} takes {expects}.")
        if amount > MAX_NUMBER:
            raise _too_large(name, expects)
        if amount < -MAX_NUMBER:
            raise ConfigError(f"{name} takes {expects}.")
        if amount != 0 and float(amount) == 0:
            # Written as a TOML float it would become 0, which turns some warnings off.
            raise ConfigError(f"{name} is too close to zero to keep: it takes {expects}.")
        return amount

    return parse


_POSITIVE_DIGITS = re.compile(r"\+?[0-9][0-9_]*")


def _too_large(name: str, expects: str) -> ConfigError:
    return ConfigError(f"{name} is larger than {MAX_NUMBER_WORDS}: it takes {expects}.")


def comma_list(text: str, name: str) -> tuple[str, ...]:
    """ "a, b ,,c" is ("a", "b", "c"); nothing typed is the empty list."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def yes_or_no(text: str, name: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "yes", "on", "1"):
        return True
    if lowered in ("false", "no", "off", "0"):
        return False
    raise ConfigError(f"{name} takes true or false.")
