"""Advice for a key that may not read balances: one wording, kept word for word in each message."""

from __future__ import annotations

import pytest

from tests.conftest import MEMBER_KEY
from tests.support.deepgram_server import FakeDeepgram
from tests.support.key_set import NOT_SAVED, key_set
from tests.support.memory_keyring import MemoryKeyring
from trayapp.deepgram.key_check import KeyCheck
from trayapp.deepgram.models import Project
from trayapp.deepgram.parsing import error_for_status
from trayapp.errors import BALANCES_KEY, MAY_NOT_READ_BALANCES


def test_the_shared_words() -> None:
    # True whichever scope or role Deepgram checks: no scope name, no claim about Member keys.
    assert BALANCES_KEY == "an Owner or Admin key"
    assert MAY_NOT_READ_BALANCES == "this key may not read balances: an Owner or Admin key can"


def test_a_refusal_from_deepgram() -> None:
    error = error_for_status(403, b'{"category":"FORBIDDEN","message":"Nope"}', {})
    assert error.message == (
        'Deepgram refused access ("Nope"), so this key may not read balances: an Owner or Admin '
        "key can; create one in the Deepgram Console and set it with `deepgram-tray key set`."
    )


def test_a_key_check_that_could_not_read_balances() -> None:
    check = KeyCheck(projects=[Project("a", "A"), Project("b", "B")], balances_readable=False)
    assert check.summary() == (
        "it sees 2 projects but may not read balances: an Owner or Admin key can"
    )


def test_key_set_with_a_member_key(
    deepgram: FakeDeepgram,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DEEPGRAM_TRAY_API_URL", deepgram.base_url)
    code, said = key_set(MEMBER_KEY, monkeypatch, capsys)
    assert code == 3
    assert said.endswith(NOT_SAVED)
