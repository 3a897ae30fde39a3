"""`key set | status | delete` in-process, with an in-memory keyring and the real test server."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BAD_KEY, MEMBER_KEY, OWNER_KEY, REPO_ROOT
from tests.support.deepgram_server import FakeDeepgram
from tests.support.memory_keyring import MemoryKeyring
from trayapp.cli import main
from trayapp.credentials import KEYRING_SERVICE, KEYRING_USERNAME

SLOT = (KEYRING_SERVICE, KEYRING_USERNAME)


@pytest.fixture
def api(deepgram: FakeDeepgram, monkeypatch: pytest.MonkeyPatch) -> FakeDeepgram:
    monkeypatch.setenv("DEEPGRAM_TRAY_API_URL", deepgram.base_url)
    return deepgram


def key_set(monkeypatch: pytest.MonkeyPatch, key: str, *args: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(key + "\n"))
    return main(["key", "set", *args])


def test_owner_key_is_verified_and_saved(
    api: FakeDeepgram,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert key_set(monkeypatch, OWNER_KEY) == 0
    assert memory_keyring.store == {SLOT: OWNER_KEY}
    out = capsys.readouterr().out
    assert f"…{OWNER_KEY[-4:]}" in out
    assert "it sees 2 projects and can read balances" in out
    assert api.requests_to("/balances"), "verification should try reading a balance"


def test_member_key_is_refused_and_not_saved(
    api: FakeDeepgram,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert key_set(monkeypatch, MEMBER_KEY) == 3
    assert memory_keyring.store == {}
    err = capsys.readouterr().err
    assert "sees 2 project(s) but may not read balances" in err
    assert "Owner or Admin" in err and "not saved" in err


def test_invalid_key_is_refused_and_not_saved(
    api: FakeDeepgram,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert key_set(monkeypatch, BAD_KEY) == 3
    assert memory_keyring.store == {}
    assert "refused this key" in capsys.readouterr().err


def test_unreachable_api_keeps_the_key_unsaved_and_suggests_no_verify(
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DEEPGRAM_TRAY_API_URL", "http://127.0.0.1:9")
    assert key_set(monkeypatch, OWNER_KEY) == 4
    assert memory_keyring.store == {}
    assert "--no-verify" in capsys.readouterr().err
    assert key_set(monkeypatch, OWNER_KEY, "--no-verify") == 0
    assert memory_keyring.store == {SLOT: OWNER_KEY}


def test_key_with_no_projects_is_saved_with_a_note(
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with FakeDeepgram() as empty:
        empty.add_key(OWNER_KEY)
        monkeypatch.setenv("DEEPGRAM_TRAY_API_URL", empty.base_url)
        assert key_set(monkeypatch, OWNER_KEY) == 0
    assert memory_keyring.store == {SLOT: OWNER_KEY}
    assert "sees no projects yet" in capsys.readouterr().out


def test_pasted_junk_is_refused_without_echo(
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert key_set(monkeypatch, "export DEEPGRAM_API_KEY=secretvalue123", "--no-verify") == 2
    captured = capsys.readouterr()
    assert "secretvalue123" not in captured.out + captured.err
    assert memory_keyring.store == {}


def test_endless_input_is_refused_after_a_bounded_read(tmp_path: Path) -> None:
    """`key set < /dev/zero` would read until memory ran out; it reads a few kB and stops."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEEPGRAM_")}
    env.update(PYTHONPATH=str(REPO_ROOT), PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    env["DEEPGRAM_TRAY_CONFIG"] = str(tmp_path / "config.toml")
    with open("/dev/zero", "rb") as endless:
        completed = subprocess.run(
            [sys.executable, "-m", "trayapp", "key", "set", "--no-verify"],
            stdin=endless,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
    assert completed.returncode == 2
    assert completed.stderr.startswith("deepgram-tray: The input is longer than 4096 characters")
    assert completed.stderr.count("\n") == 1


def test_env_key_is_noted_when_saving(
    api: FakeDeepgram,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DEEPGRAM_API_KEY", MEMBER_KEY)
    assert key_set(monkeypatch, OWNER_KEY) == 0
    assert "DEEPGRAM_API_KEY is set" in capsys.readouterr().err


def test_status_and_delete(
    memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["key", "status"]) == 2
    assert "No Deepgram API key is set" in capsys.readouterr().err
    memory_keyring.store[SLOT] = OWNER_KEY
    assert main(["key", "status"]) == 0
    out = capsys.readouterr().out
    assert f"ending in …{OWNER_KEY[-4:]}, stored in the OS keyring" in out
    assert OWNER_KEY not in out
    assert main(["key", "delete"]) == 0
    assert "Deleted" in capsys.readouterr().out
    assert memory_keyring.store == {}
    assert main(["key", "delete"]) == 0
    assert "nothing to delete" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("abc def ghijkl", "contains a space"),
        (f"{OWNER_KEY}\nexport OTHER=1", "contains a line break"),
        (f'"{OWNER_KEY}"', "has quotes in it"),
        ("short", "is 5 characters long"),
        (f"{OWNER_KEY}\u00e9", "not plain ASCII"),
    ],
)
def test_status_of_a_bad_environment_key_names_its_source_and_problem(
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    value: str,
    problem: str,
) -> None:
    memory_keyring.store[SLOT] = MEMBER_KEY  # there, but the environment comes first
    monkeypatch.setenv("DEEPGRAM_API_KEY", value)
    assert main(["key", "status"]) == 2  # the contract's configuration error
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1, captured.err  # one sentence
    assert captured.err.startswith(
        "deepgram-tray: DEEPGRAM_API_KEY (which is used before the OS keyring) "
    )
    assert problem in captured.err
    assert captured.err.rstrip().endswith("or unset it to use the key in the OS keyring.")
    for secret in (OWNER_KEY, MEMBER_KEY):
        assert secret[:8] not in captured.err and secret[-4:] not in captured.err


class Terminal(io.StringIO):
    """Captured text that says it is a terminal, as a person's stderr is."""

    def isatty(self) -> bool:
        return True


def test_status_says_it_is_asking_the_keyring_on_a_terminal_only(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The keyring daemon may show a password prompt (to create or unlock a keyring) while the
    command waits: a person at a terminal is told why first; a script's stderr stays quiet."""
    memory_keyring.store[SLOT] = OWNER_KEY
    asked = "Asking the OS keyring for the key (your desktop may ask you to unlock or create a "
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["key", "status"]) == 0
    assert terminal.getvalue() == f"deepgram-tray: {asked}keyring)…\n"

    piped = io.StringIO()
    monkeypatch.setattr("sys.stderr", piped)
    assert main(["key", "status"]) == 0
    assert piped.getvalue() == ""

    # With the key in the environment the keyring is not asked, so nothing is said.
    monkeypatch.setenv("DEEPGRAM_API_KEY", OWNER_KEY)
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["key", "status"]) == 0
    assert terminal.getvalue() == ""


def test_set_and_delete_say_they_use_the_keyring_on_a_terminal(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert key_set(monkeypatch, OWNER_KEY, "--no-verify") == 0
    assert main(["key", "delete"]) == 0
    assert terminal.getvalue().splitlines() == [
        "deepgram-tray: Saving the key in the OS keyring (your desktop may ask you to unlock or "
        "create a keyring)…",
        "deepgram-tray: Deleting the key from the OS keyring (your desktop may ask you to unlock "
        "or create a keyring)…",
    ]


def test_delete_with_a_bad_environment_key_still_deletes_and_notes_it(
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    memory_keyring.store[SLOT] = OWNER_KEY
    monkeypatch.setenv("DEEPGRAM_API_KEY", "not a key")
    assert main(["key", "delete"]) == 0
    assert memory_keyring.store == {}
    assert "DEEPGRAM_API_KEY is still set" in capsys.readouterr().err
