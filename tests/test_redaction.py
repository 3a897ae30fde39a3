"""Redaction: a remembered key is hidden whole, in any case, and by any 8-character run of it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import MEMBER_KEY, OWNER_KEY
from trayapp.redaction import redact, remember_secret

KEY = OWNER_KEY
"""40 hex characters, as Deepgram's keys are; its last four are `f53c`."""
RUN = 8
"""The shortest run of a key that is hidden (written out: the documented promise, not the
module's constant, which a change could move)."""


def runs_of(key: str, length: int = RUN) -> list[str]:
    return [key[i : i + length] for i in range(len(key) - length + 1)]


@pytest.fixture
def key() -> str:
    remember_secret(KEY)
    return KEY


def test_the_whole_key_shows_only_its_last_four_characters(key: str) -> None:
    assert redact(f"Bad key {key}.") == "Bad key <key …f53c>."
    assert redact(key) == "<key …f53c>"


def test_the_key_in_another_case_is_hidden_in_the_case_it_came_in(key: str) -> None:
    assert redact(f"[{key.upper()}]") == "[<key …F53C>]"
    mixed = "".join(c.upper() if i % 2 else c for i, c in enumerate(key))
    assert redact(mixed) == f"<key …{mixed[-4:]}>"


@pytest.mark.parametrize("start", range(len(KEY) - RUN + 1))
def test_every_run_of_eight_characters_is_hidden(key: str, start: int) -> None:
    piece = key[start : start + RUN]
    assert redact(f"id {piece} end") == "id <key part> end"
    assert redact(f"id {piece.upper()} end") == "id <key part> end"


def test_runs_of_seven_characters_stay() -> None:
    """Shorter runs of hex turn up by chance in request ids: hiding them would garble those."""
    remember_secret(KEY)
    for piece in (KEY[:7], KEY[-7:], KEY[16:23]):
        assert redact(f"request {piece}") == f"request {piece}"


def test_a_key_cut_short_is_one_part_with_the_text_around_it_kept(key: str) -> None:
    assert redact(f"x{key[:20]}y") == "x<key part>y"
    assert redact(f"{'z' * 150}{key[:31]}") == "z" * 150 + "<key part>"


def test_each_occurrence_is_hidden_on_its_own(key: str) -> None:
    text = f"first {key}, then {key[:20]}, then {key.upper()}."
    assert redact(text) == "first <key …f53c>, then <key part>, then <key …F53C>."


def test_pieces_that_touch_are_hidden_as_one(key: str) -> None:
    """Two runs from different places of the key, back to back, are one stretch of it."""
    touching = key[:RUN] + key[20 : 20 + RUN]
    assert redact(f"<{touching}>") == "<<key part>>"


def test_text_without_the_key_is_unchanged(key: str) -> None:
    text = "Balance 12.50 usd, request 084c603 (no key here)"
    assert redact(text) == text
    assert redact("") == ""


def test_nothing_is_hidden_before_a_key_is_remembered() -> None:
    assert redact(f"Bad key {KEY}.") == f"Bad key {KEY}."


def test_several_keys_are_each_hidden() -> None:
    remember_secret(KEY)
    remember_secret(MEMBER_KEY)
    assert redact(f"{KEY} {MEMBER_KEY[5:25]}") == "<key …f53c> <key part>"


def test_remembering_a_key_twice_changes_nothing(key: str) -> None:
    remember_secret(key.upper())
    assert redact(f"{key} {key[3:12]}") == "<key …f53c> <key part>"


def test_text_not_shaped_like_a_key_is_hidden_only_whole() -> None:
    """What was pasted where a key belongs: its pieces are ordinary words, which stay."""
    pasted = "export DEEPGRAM_API_KEY=sk1!"
    remember_secret(pasted)
    assert redact(f"> {pasted.upper()} <") == "> <key …SK1!> <"
    assert redact("export DEEPGRAM_API_KEY") == "export DEEPGRAM_API_KEY"


def test_a_secret_of_exactly_eight_characters_is_hidden() -> None:
    remember_secret("pa55!w0r")
    assert redact("password pa55!w0r") == "password <key …!w0r>"


def test_a_secret_shorter_than_eight_characters_is_not_remembered() -> None:
    """Hiding every `hunter2` in every message would hide ordinary words and numbers."""
    remember_secret("hunter2")
    assert redact("hunter2 says hunter2") == "hunter2 says hunter2"


_noise = st.text(alphabet="0123456789abcdefABCDEF -:.", max_size=12)


def _piece(start: int, length: int, upper: bool) -> str:
    piece = KEY[start : start + length]
    return piece.upper() if upper else piece


_key_pieces = st.builds(
    _piece, st.integers(0, len(KEY) - RUN), st.integers(RUN, len(KEY)), st.booleans()
)


@given(st.lists(st.one_of(_noise, _key_pieces), max_size=6))
def test_no_run_of_the_key_survives_in_any_text(parts: list[str]) -> None:
    remember_secret(KEY)
    scrubbed = redact("".join(parts)).lower()
    assert [piece for piece in runs_of(KEY) if piece in scrubbed] == []
