"""Numbers at the settings' edges: a trillion and one past it, either sign, typed or in the file,
and the smallest numbers a TOML float keeps."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trayapp.errors import ConfigError
from trayapp.setting_fields import number_text, poll_seconds, whole_number_text

TRILLION = 1_000_000_000_000


def refusal(parse: object, *args: object) -> str:
    with pytest.raises(ConfigError) as info:
        parse(*args)  # type: ignore[operator]
    return info.value.message


def test_a_poll_interval_up_to_a_trillion_is_quoted_past_it_described() -> None:
    assert refusal(poll_seconds, TRILLION, "poll_interval") == (
        "poll_interval is 1000000000000 s: use at most 86400 (one day)."
    )
    assert refusal(poll_seconds, TRILLION + 1, "poll_interval") == (
        "poll_interval is more than a trillion seconds: use at most 86400 (one day)."
    )


def test_typed_whole_numbers_stop_at_a_trillion_either_way() -> None:
    parse = whole_number_text("a number of days, e.g. 7")
    assert parse(str(TRILLION), "days") == TRILLION
    assert parse(str(-TRILLION), "days") == -TRILLION  # the setting's own range says no later
    assert refusal(parse, str(TRILLION + 1), "days") == (
        "days is larger than a trillion: it takes a number of days, e.g. 7."
    )
    assert refusal(parse, str(-TRILLION - 1), "days") == "days takes a number of days, e.g. 7."
    assert refusal(parse, "9" * 5000, "days") == (
        "days is larger than a trillion: it takes a number of days, e.g. 7."
    )
    assert refusal(parse, "-" + "9" * 5000, "days") == "days takes a number of days, e.g. 7."


def test_typed_numbers_stop_at_a_trillion_either_way() -> None:
    parse = number_text("an amount, e.g. 10")
    assert parse("1000000000000", "cap") == TRILLION
    assert parse("-1000000000000", "cap") == -TRILLION
    assert refusal(parse, "1000000000000.01", "cap") == (
        "cap is larger than a trillion: it takes an amount, e.g. 10."
    )
    assert refusal(parse, "-1000000000000.01", "cap") == "cap takes an amount, e.g. 10."


@pytest.mark.parametrize("text", ["0", "0.0", "-0", "1e-300", "0.5", "-1e-300", "1.5"])
def test_zero_and_small_numbers_a_float_keeps_are_kept(text: str) -> None:
    assert number_text("an amount, e.g. 10")(text, "cap") == Decimal(text)


@pytest.mark.parametrize("text", ["1e-400", "-1e-400", "4e-330"])
def test_numbers_a_float_turns_into_zero_are_refused(text: str) -> None:
    assert refusal(number_text("an amount, e.g. 10"), text, "cap") == (
        "cap is too close to zero to keep: it takes an amount, e.g. 10."
    )
