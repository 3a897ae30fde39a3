"""trayapp.console in this process, on streams the tests make: what each OS's streams would do.

tests/test_encodings.py runs real interpreters under poor locales; tests/windows/ runs the real
Windows Python. These cover the decisions themselves, Windows' included, on any machine.
"""

from __future__ import annotations

import codecs
import io
import sys

import pytest

from trayapp import console


def stream(encoding: str = "cp1252", errors: str = "strict") -> tuple[io.TextIOWrapper, io.BytesIO]:
    """A text stream over a buffered one over bytes, as Python sets up stdout for a pipe."""
    raw = io.BytesIO()
    return io.TextIOWrapper(io.BufferedWriter(raw), encoding=encoding, errors=errors), raw


class TtyStream(io.TextIOWrapper):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.delenv("PYTHONIOENCODING", raising=False)


@pytest.fixture
def lenient() -> None:
    console._never_fail_to_encode(stream()[0])  # registers the error handler


class TestLenientErrors:
    def test_raw_bytes_read_from_the_system_go_back_out_as_they_came(self, lenient: None) -> None:
        assert "\udc80\udcff".encode("ascii", errors=console.LENIENT) == b"\x80\xff"

    def test_anything_else_the_encoding_lacks_is_a_question_mark(self, lenient: None) -> None:
        assert "a\udc7f\ud800日✓".encode("ascii", errors=console.LENIENT) == b"a????"

    def test_only_for_encoding(self, lenient: None) -> None:
        with pytest.raises(UnicodeDecodeError):
            b"\xff".decode("utf-8", errors=console.LENIENT)


class TestWindowsPipes:
    def test_a_pipe_in_the_ansi_code_page_becomes_utf8(self, windows: None) -> None:
        text, raw = stream("cp1252")
        console._never_fail_to_encode(text)
        text.write("日本語 ✓")
        text.flush()
        assert raw.getvalue() == "日本語 ✓".encode()

    def test_a_console_keeps_its_encoding(self, windows: None) -> None:
        raw = io.BytesIO()
        text = TtyStream(io.BufferedWriter(raw), encoding="cp1252")
        console._never_fail_to_encode(text)
        assert codecs.lookup(text.encoding).name == "cp1252"
        assert text.errors == console.LENIENT

    def test_the_users_choice_of_encoding_is_kept(
        self, windows: None, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("PYTHONIOENCODING", "cp1252")
        text, _ = stream("cp1252")
        console._never_fail_to_encode(text)
        assert codecs.lookup(text.encoding).name == "cp1252"

    def test_a_closed_stream_is_left_alone(self, windows: None) -> None:
        text, _ = stream("cp1252")
        text.close()
        assert console._ansi_code_page_pipe(text) is False

    def test_other_systems_keep_the_locales_encoding(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(sys, "platform", "linux")
        monkeypatch.delenv("PYTHONIOENCODING", raising=False)
        text, _ = stream("iso8859-1")
        assert console._ansi_code_page_pipe(text) is False
        console._never_fail_to_encode(text)
        assert codecs.lookup(text.encoding).name == "iso8859-1"
        assert text.errors == console.LENIENT


class ForeignStream:
    """A stand-in for sys.stdout (a capture, an IDE's console) that cannot be reconfigured."""

    encoding = "ascii"
    errors = "strict"


def test_a_stream_that_is_not_pythons_own_is_left_as_it_is() -> None:
    foreign = ForeignStream()
    console._never_fail_to_encode(foreign)  # type: ignore[arg-type]
    assert foreign.errors == "strict"


def test_chosen_lenient_errors_are_kept() -> None:
    text, _ = stream("ascii", errors="backslashreplace")
    console._never_fail_to_encode(text)
    assert text.errors == "backslashreplace"


def test_missing_streams_become_the_null_device(monkeypatch: pytest.MonkeyPatch) -> None:
    # pythonw and the windowed bundle start with no stdin, stdout or stderr at all.
    for name in ("stdin", "stdout", "stderr"):
        monkeypatch.setattr(sys, name, None)
    console.prepare_standard_streams()
    try:
        print("nowhere")
        print("nowhere", file=sys.stderr)
        assert sys.stdin.read() == ""
    finally:
        for name in ("stdin", "stdout", "stderr"):
            getattr(sys, name).close()


class TestWriting:
    def test_text_then_a_machine_format_arrive_in_order_and_at_once(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        text, raw = stream("utf-8")
        monkeypatch.setattr(sys, "stdout", text)
        console.write_text("text;")
        assert raw.getvalue() == b"text;"
        print("print;", end="")  # still in the text layer's buffer
        console.write_utf8("日本語\n")
        assert raw.getvalue() == "text;print;日本語\n".encode()

    def test_a_machine_format_is_utf8_whatever_the_stream(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        text, raw = stream("ascii")
        monkeypatch.setattr(sys, "stdout", text)
        console.write_utf8("✓\n")
        assert raw.getvalue() == "✓\n".encode()

    def test_a_stream_without_bytes_underneath_gets_text(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        captured = io.StringIO()
        monkeypatch.setattr(sys, "stdout", captured)
        console.write_utf8("✓\n")
        assert captured.getvalue() == "✓\n"
