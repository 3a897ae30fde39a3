"""The command line's standard streams: always there, and never failing on a character.

Project names are the user's own and may be in any script ("日本語 ✓ 🚀"). Python encodes what it
prints with the locale's encoding, which cannot always hold them: on Windows, pipes and files get
the ANSI code page (cp1252), so a scheduler capturing `deepgram-tray balance` would get a
UnicodeEncodeError and exit 1. Here:
- machine formats (JSON, Prometheus, CSV) are written as UTF-8 bytes whatever the console, the
  same bytes `--output` writes to a file;
- text for people goes to a Windows pipe or file as UTF-8 (what Python itself does in UTF-8 mode,
  its default from 3.15 on), and wherever the encoding still cannot hold a character, that
  character becomes "?" instead of the whole output being lost.
"""

from __future__ import annotations

import io
import os
import sys
from typing import TextIO


def prepare_standard_streams() -> None:
    """Call once, before anything is printed."""
    # pythonw, the gui-script launcher and a windowed bundle on Windows run with sys.stdin, stdout
    # and stderr set to None; then argparse (--version, usage errors), warnings or any library
    # that prints would raise. The null device swallows it instead; the tray keeps its log file.
    for name, mode in (("stdin", "r"), ("stdout", "w"), ("stderr", "w")):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, mode, encoding="utf-8"))  # noqa: SIM115
    for stream in (sys.stdout, sys.stderr):
        _never_fail_to_encode(stream)


LENIENT = "deepgram-tray-lenient"


def _lenient(error: UnicodeError) -> tuple[str | bytes, int]:
    """Python's "surrogateescape" where it applies, else "replace": a file name that was read as
    raw bytes (the C locale's way) is written back as the same bytes; any other character the
    encoding cannot hold becomes "?"."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    chunk = error.object[error.start : error.end]
    if all("\udc80" <= character <= "\udcff" for character in chunk):
        return bytes(ord(character) - 0xDC00 for character in chunk), error.end
    return "?" * len(chunk), error.end


def _never_fail_to_encode(stream: TextIO) -> None:
    if not isinstance(stream, io.TextIOWrapper):
        return  # replaced by the caller (a test's capture, say): theirs to decide
    import codecs

    try:
        codecs.lookup_error(LENIENT)
    except LookupError:
        codecs.register_error(LENIENT, _lenient)
    if _ansi_code_page_pipe(stream):
        stream.reconfigure(encoding="utf-8", errors=LENIENT)
    elif stream.errors in ("strict", "surrogateescape"):
        stream.reconfigure(errors=LENIENT)


def _ansi_code_page_pipe(stream: io.TextIOWrapper) -> bool:
    """A Windows pipe or file that Python would write in the ANSI code page. A console is not
    one (Python writes it through the Unicode console API), and neither is a stream the user
    chose the encoding of (PYTHONIOENCODING, or UTF-8 mode)."""
    if sys.platform != "win32" or sys.flags.utf8_mode or os.environ.get("PYTHONIOENCODING"):
        return False
    try:
        return not stream.isatty()
    except ValueError:  # closed
        return False


def write_text(text: str) -> None:
    """Text for people, in the stream's encoding."""
    sys.stdout.write(text)
    sys.stdout.flush()


def write_utf8(text: str) -> None:
    """A machine format: UTF-8 with Unix line ends, byte for byte what --output would write."""
    sys.stdout.flush()
    binary = getattr(sys.stdout, "buffer", None)
    if binary is None:  # a stream without bytes underneath (a test's capture): text is all it takes
        write_text(text)
        return
    binary.write(text.encode("utf-8"))
    binary.flush()
