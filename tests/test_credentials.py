"""Key lookup and storage against an in-memory keyring; the real Secret Service is tested apart."""

from __future__ import annotations

import keyring
import pytest
from keyring.errors import KeyringLocked, NoKeyringError

from tests.conftest import OWNER_KEY
from tests.support.memory_keyring import FailingKeyring, MemoryKeyring
from trayapp.credentials import (
    KEYRING_SERVICE,
    KEYRING_USERNAME,
    ApiKey,
    _describe_backend,
    clean_key_text,
    delete_api_key,
    find_api_key,
    mask,
    require_api_key,
    store_api_key,
)
from trayapp.errors import ConfigError, KeyringUnavailableError, MissingKeyError


def test_env_comes_first(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.store[(KEYRING_SERVICE, KEYRING_USERNAME)] = "storedkey0000000000"
    key = find_api_key({"DEEPGRAM_API_KEY": f"  {OWNER_KEY}\n"})
    assert key == ApiKey(OWNER_KEY, "env")


def test_keyring_when_no_env(memory_keyring: MemoryKeyring) -> None:
    store_api_key(OWNER_KEY)
    assert memory_keyring.store == {("deepgram-balance-tray", "api-key"): OWNER_KEY}
    assert find_api_key({}) == ApiKey(OWNER_KEY, "keyring")


def test_no_key_anywhere(memory_keyring: MemoryKeyring) -> None:
    assert find_api_key({}) is None
    with pytest.raises(MissingKeyError, match="deepgram-tray key set") as info:
        require_api_key({})
    assert info.value.exit_code == 2


def test_delete(memory_keyring: MemoryKeyring) -> None:
    assert delete_api_key() is False
    store_api_key(OWNER_KEY)
    assert delete_api_key() is True
    assert memory_keyring.store == {}


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (NoKeyringError("none"), "No OS keyring is available"),
        (KeyringLocked("locked"), "keyring is locked"),
        (
            RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown"),
            "keyring failed \\(RuntimeError\\)",
        ),
    ],
)
def test_keyring_failures_say_what_to_do(error: Exception, says: str) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(FailingKeyring(error))
    try:
        with pytest.raises(KeyringUnavailableError, match=says) as info:
            find_api_key({})
        assert "DEEPGRAM_API_KEY" in info.value.message or "unlock" in info.value.message
        with pytest.raises(KeyringUnavailableError, match=says):
            store_api_key(OWNER_KEY)
    finally:
        keyring.set_keyring(previous)


def test_env_key_needs_no_keyring() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(FailingKeyring(NoKeyringError("none")))
    try:
        assert find_api_key({"DEEPGRAM_API_KEY": OWNER_KEY}) == ApiKey(OWNER_KEY, "env")
    finally:
        keyring.set_keyring(previous)


def test_a_plaintext_backend_is_refused_unless_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    class PlaintextKeyring(MemoryKeyring):
        pass

    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    previous = keyring.get_keyring()
    backend = PlaintextKeyring()
    keyring.set_keyring(backend)
    try:
        with pytest.raises(KeyringUnavailableError, match="plain file"):
            store_api_key(OWNER_KEY)
        assert backend.store == {}
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "some.PlaintextKeyring")
        store_api_key(OWNER_KEY)
        assert backend.store
    finally:
        keyring.set_keyring(previous)


class TestKeyText:
    def test_strips_whitespace(self) -> None:
        assert clean_key_text(f"\n {OWNER_KEY} \r\n") == OWNER_KEY

    @pytest.mark.parametrize(
        ("text", "says"),
        [
            ("", "empty"),
            ("   ", "empty"),
            ("abc def ghijkl", "spaces or unexpected characters"),
            ("Token abcdefgh12345", "spaces or unexpected characters"),
            ("abcd\x00efgh1234", "spaces or unexpected characters"),
            ("short", "characters long"),
            ("a" * 5000, "characters long"),
        ],
    )
    def test_refuses_what_cannot_be_a_key_without_echoing_it(self, text: str, says: str) -> None:
        with pytest.raises(ConfigError, match=says) as info:
            clean_key_text(text)
        if text.strip():
            assert text.strip() not in info.value.message


def test_masking_shows_at_most_four_characters() -> None:
    assert mask(OWNER_KEY) == f"…{OWNER_KEY[-4:]}"
    key = ApiKey(OWNER_KEY, "keyring")
    assert OWNER_KEY not in repr(key) and OWNER_KEY not in str(key)
    assert OWNER_KEY[-4:] in repr(key)


class TestBackendNames:
    """What `key set` and `key status` call the store: the name its users know it by."""

    @staticmethod
    def backend(module: str, class_name: str, **attributes: object) -> object:
        return type(class_name, (), {"__module__": module, **attributes})()

    @pytest.mark.parametrize(
        ("module", "name", "familiar"),
        [
            ("keyring.backends.Windows", "WinVaultKeyring", "Windows Credential Manager"),
            ("keyring.backends.macOS", "Keyring", "macOS Keychain"),
            ("keyring.backends.SecretService", "Keyring", "Secret Service"),
            ("keyring.backends.kwallet", "DBusKeyring", "KWallet"),
        ],
    )
    def test_the_os_stores(self, module: str, name: str, familiar: str) -> None:
        store = self.backend(module, name, name="keyring's own name")
        assert _describe_backend(store) == familiar

    def test_another_backend_by_its_own_name_or_else_its_class(self) -> None:
        named = self.backend("keyrings.alt.file", "EncryptedKeyring", name="Encrypted file")
        assert _describe_backend(named) == "Encrypted file"
        assert _describe_backend(self.backend("somewhere", "CustomKeyring")) == "CustomKeyring"
