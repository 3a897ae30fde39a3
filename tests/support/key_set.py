"""`deepgram-tray key set` run in this process with a key typed on stdin, and what it says."""

from __future__ import annotations

import io
import re

import pytest

from trayapp.cli import main

NOT_SAVED = (
    "This key works and sees 2 project(s) but may not read balances, so the key was not "
    "saved: an Owner or Admin key can; create one in the Deepgram Console and run "
    "`deepgram-tray key set` again."
)
"""What `key set` says of a key that lists the test server's two projects but may not read
balances."""


def key_set(
    key: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """The exit code and stderr of `key set` given `key`, without the request id (it varies)."""
    monkeypatch.setattr("sys.stdin", io.StringIO(key + "\n"))
    code = main(["key", "set"])
    said = re.sub(r" \(request id [^)]+\)\.$", ".", capsys.readouterr().err.strip())
    return code, said
