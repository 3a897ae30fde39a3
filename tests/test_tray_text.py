"""fit: text cut to the limit a tooltip, a menu item or a notification allows; latin1: text an
X11 window name can hold."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trayapp.tray.text import fit, latin1


def test_text_within_the_limit_is_left_alone() -> None:
    assert fit("Deepgram $128.32", 16) == "Deepgram $128.32"
    assert fit("", 1) == ""


def test_longer_text_is_cut_to_the_limit_and_ends_with_an_ellipsis() -> None:
    assert fit("Deepgram $128.32", 15) == "Deepgram $128.…"
    assert fit("abcdef", 1) == "…"


def test_no_space_is_left_before_the_ellipsis() -> None:
    assert fit("Total: 12 days left", 11) == "Total: 12…"


@given(st.text(), st.integers(min_value=1, max_value=300))
def test_the_result_never_exceeds_the_limit_and_keeps_the_start(text: str, limit: int) -> None:
    fitted = fit(text, limit)
    assert len(fitted) <= limit
    if len(text) <= limit:
        assert fitted == text
    else:
        assert fitted.endswith("…") and text.startswith(fitted[:-1])


class TestLatin1:
    def test_latin1_text_is_kept(self) -> None:
        assert latin1("Deepgram · $128.32 · café ½") == "Deepgram · $128.32 · café ½"

    def test_compatibility_forms_stand_in_where_they_fit(self) -> None:
        assert latin1("Voice Bot…") == "Voice Bot..."

    def test_the_last_latin1_character_is_kept_and_the_next_replaced(self) -> None:
        assert latin1("\u00ff\u0100") == "\u00ff?"

    def test_anything_else_becomes_a_question_mark(self) -> None:
        assert latin1("日本語 ✓ 🚀") == "??? ? ?"
        latin1("日本語 ✓ 🚀 …").encode("latin-1")  # and it always encodes
