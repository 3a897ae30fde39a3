"""The parts settings are described with: each error message is built from its entry's words."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trayapp.errors import ConfigError
from trayapp.setting_fields import (
    NumberEntry,
    as_is,
    comma_list,
    non_negative_number,
    number_text,
    setting,
    toml_number,
    whole_number,
    whole_number_text,
    yes_or_no,
)


def refusal(parse: object, *args: object) -> str:
    with pytest.raises(ConfigError) as info:
        parse(*args)  # type: ignore[operator]
    return info.value.message


def test_whole_number_within_its_bounds() -> None:
    read = whole_number(1, 5, expects="a whole number from 1 to 5")
    assert (read(1, "n"), read(5, "n"), read(3.0, "n")) == (1, 5, 3)
    for bad in (0, 6, 2.5, True, "3", None):
        assert (
            refusal(read, bad, "n in f.toml") == "n in f.toml must be a whole number from 1 to 5."
        )


def test_non_negative_number_from_its_noun_and_example() -> None:
    read = non_negative_number("sum", example="3 (0: none)")
    assert read(2.5, "cap") == Decimal("2.5") and read(0, "cap") == 0
    assert refusal(read, "2", "cap") == "cap must be a sum, e.g. 3 (0: none)."
    assert refusal(read, False, "cap") == "cap must be a sum, e.g. 3 (0: none)."
    assert refusal(read, -0.5, "cap") == "cap must be zero or a positive sum, e.g. 3 (0: none)."
    assert refusal(read, float("nan"), "cap") == (
        "cap must be zero or a positive sum, e.g. 3 (0: none)."
    )
    for huge in (float("inf"), 10**12 + 1, 10**5000):  # str(10**5000) would raise ValueError
        assert refusal(read, huge, "cap") == (
            "cap is larger than a trillion: it must be a sum, e.g. 3 (0: none)."
        )
    assert read(10**12, "cap") == 10**12


def test_typed_numbers_name_the_setting_and_say_what_to_type() -> None:
    whole = whole_number_text("a count, e.g. 2")
    assert whole("12", "tries") == 12
    assert refusal(whole, "two", "tries") == "tries takes a count, e.g. 2."
    assert refusal(whole, "1.5", "tries") == "tries takes a count, e.g. 2."
    number = number_text("a sum, e.g. 1.5")
    assert number("1.50", "cap") == Decimal("1.50")
    for bad in ("lots", "nan", "-inf", ""):
        assert refusal(number, bad, "cap") == "cap takes a sum, e.g. 1.5."


def test_typed_lists_and_yes_or_no() -> None:
    assert comma_list("a, b ,,c", "projects") == ("a", "b", "c")
    assert comma_list("", "projects") == ()
    assert [yes_or_no(word, "n") for word in ("true", "YES", "on", "1")] == [True] * 4
    assert [yes_or_no(word, "n") for word in ("false", "No", "off", "0")] == [False] * 4
    assert refusal(yes_or_no, "maybe", "sound") == "sound takes true or false."


def test_numbers_are_written_as_a_person_would() -> None:
    assert (toml_number(Decimal("7")), toml_number(Decimal("7.0"))) == (7, 7)
    assert type(toml_number(Decimal("7.0"))) is int
    assert toml_number(Decimal("2.5")) == 2.5 and type(toml_number(Decimal("2.5"))) is float
    assert as_is("same") == "same"


def test_a_setting_keeps_its_parts_in_order() -> None:
    read = whole_number(0, 9, expects="a digit")
    parse = whole_number_text("a digit")
    row = NumberEntry(1, "Tries", "at most")
    field = setting("tries", 3, read=read, parse=parse, write=as_is, form=row)
    assert tuple(field) == ("tries", 3, read, parse, as_is, row)
    assert setting("quiet", False, read=read, parse=parse, write=as_is).form is None
