"""Key lookup and storage against an in-memory keyring; the real Secret Service is tested apart."""

from __future__ import annotations

import keyring
import pytest
from keyring.errors import InitError, KeyringLocked, NoKeyringError

from tests.conftest import OWNER_KEY
from tests.support.memory_keyring import FailingKeyring, MemoryKeyring
from trayapp.credentials import (
    _KEY_ALPHABET,
    KEYRING_SERVICE,
    KEYRING_USERNAME,
    ApiKey,
    _describe_backend,
    clean_key_text,
    delete_api_key,
    find_api_key,
    key_text_problem,
    keyring_backend_name,
    keyring_failure_sentence,
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


def test_required_key_and_the_keyrings_name(memory_keyring: MemoryKeyring) -> None:
    assert require_api_key({"DEEPGRAM_API_KEY": OWNER_KEY}) == ApiKey(OWNER_KEY, "env")
    assert keyring_backend_name() == _describe_backend(memory_keyring)
    assert keyring_backend_name()


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
        (InitError("Failed to create the collection: x"), "no Secret Service answered"),
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
        "text",
        [
            "a" * 8,
            "a" * 1024,
            "aZ09-_.~+/=xyz",
            "".join(sorted(_KEY_ALPHABET)),  # every sign a key may have, at once
        ],
    )
    def test_accepts_every_length_and_sign_a_key_may_have(self, text: str) -> None:
        assert key_text_problem(text) is None
        assert clean_key_text(text) == text

    def test_ascii_ends_at_the_delete_character(self) -> None:
        assert key_text_problem("abcdefgh\x7f") == "contains a character no Deepgram key has"
        assert "not plain ASCII" in str(key_text_problem("abcdefgh\x80"))

    def test_a_refused_key_is_still_kept_out_of_output(self) -> None:
        from trayapp.redaction import redact

        with pytest.raises(ConfigError):
            clean_key_text(f"Token {OWNER_KEY}")
        assert OWNER_KEY not in redact(f"pasted: Token {OWNER_KEY}")

    def test_the_sentence_names_the_source_the_problem_and_the_fix(self) -> None:
        with pytest.raises(ConfigError) as info:
            clean_key_text("a b", source="The pasted key", fix="do this")
        assert info.value.message == (
            "The pasted key contains a space, which no Deepgram key has: do this."
        )
        with pytest.raises(ConfigError) as info:
            clean_key_text("  ")
        assert info.value.message == (
            "The API key is empty: paste only the key, as the Deepgram Console shows it."
        )

    @pytest.mark.parametrize(
        ("value", "problem"),
        [
            (f"{OWNER_KEY}\nexport X=1", "contains a line break"),
            (f'"{OWNER_KEY}"', "has quotes in it"),
            ("tooshort", None),  # eight characters: could be a key
            ("short", "is 5 characters long"),
            (f"{OWNER_KEY[:20]}\u00e9{OWNER_KEY[20:]}", "not plain ASCII"),
        ],
    )
    def test_a_bad_environment_value_names_the_variable_and_how_to_fix_it(
        self, value: str, problem: str | None
    ) -> None:
        if problem is None:
            assert find_api_key({"DEEPGRAM_API_KEY": value}) == ApiKey(value, "env")
            return
        with pytest.raises(ConfigError, match=problem) as info:
            find_api_key({"DEEPGRAM_API_KEY": value})
        message = info.value.message
        assert message.startswith("DEEPGRAM_API_KEY (which is used before the OS keyring) ")
        assert message.endswith(
            ": set DEEPGRAM_API_KEY to the key alone, or unset it to use the key in the OS keyring."
        )
        assert OWNER_KEY[:8] not in message and OWNER_KEY[-8:] not in message
        assert info.value.exit_code == 2

    def test_a_bad_stored_key_says_to_store_it_again(self, memory_keyring: MemoryKeyring) -> None:
        memory_keyring.store[(KEYRING_SERVICE, KEYRING_USERNAME)] = "key with spaces"
        with pytest.raises(ConfigError) as info:
            find_api_key({})
        assert info.value.message == (
            "The key stored in the OS keyring contains a space, which no Deepgram key has: "
            "store it again with `deepgram-tray key set`."
        )

    @pytest.mark.parametrize(
        ("text", "says"),
        [
            ("", "empty"),
            ("   ", "empty"),
            ("abc def ghijkl", "contains a space"),
            ("Token abcdefgh12345", "contains a space"),
            ("abcdefgh\tijkl", "contains a space"),
            ("abcdefgh\u00a0ijkl", "contains a space"),  # a no-break space from a web page
            ("abcd\x00efgh1234", "contains a character no Deepgram key has"),
            ("abcd:efgh1234", "contains a character no Deepgram key has"),
            ('"abcdefgh12345"', "has quotes in it"),
            ("'abcdefgh12345'", "has quotes in it"),
            ("\u201cabcdefgh12345\u201d", "has quotes in it"),  # curly, from a document
            ("abcdefgh\n12345", "contains a line break"),
            ("abcdefgh\r12345", "contains a line break"),
            ("abcd\u00e9fgh12345", "not plain ASCII"),
            ("abcdefgh\u200b12345", "not plain ASCII"),  # a zero-width space
            ("short", "is 5 characters long"),
            ("sevench", "is 7 characters long"),
            ("a" * 1025, "is 1025 characters long"),
            ("a" * 5000, "characters long"),
        ],
    )
    def test_refuses_what_cannot_be_a_key_without_echoing_it(self, text: str, says: str) -> None:
        with pytest.raises(ConfigError, match=says) as info:
            clean_key_text(text)
        if text.strip():
            assert text.strip() not in info.value.message


def test_masking_shows_at_most_four_characters() -> None:
    assert mask("abcdefgh") == "…efgh"  # the shortest key there can be
    assert mask("abcdefg") == "…"
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


class TestKeyringFailureSentences:
    """What each keyring failure tells the user: what is missing and what to do, in one sentence,
    never the library's own words (paths, object ids)."""

    def test_no_keyring_on_linux_names_the_services_to_install(self) -> None:
        said = keyring_failure_sentence(NoKeyringError("No recommended backend"), "linux")
        assert said == (
            "No OS keyring is available to hold the API key: install and start a Secret Service "
            "such as gnome-keyring, or KeePassXC with its Secret Service integration on, or set "
            "DEEPGRAM_API_KEY in the environment instead."
        )

    @pytest.mark.parametrize("platform", ["win32", "darwin"])
    def test_no_keyring_elsewhere_names_no_linux_service(self, platform: str) -> None:
        said = keyring_failure_sentence(NoKeyringError("none"), platform)
        assert said == (
            "No OS keyring is available to hold the API key: set DEEPGRAM_API_KEY in the "
            "environment instead."
        )

    def test_a_keyring_whose_creation_was_dismissed(self) -> None:
        """gnome-keyring with no keyring asks to create one; cancelled, or no prompt could show:
        keyring raises InitError caused by secretstorage's PromptDismissedException."""
        from secretstorage.exceptions import PromptDismissedException

        try:
            try:
                raise PromptDismissedException("Prompt dismissed.")
            except PromptDismissedException as cause:
                # Worded apart from the cause, so the cause alone must tell.
                raise InitError("Failed to create the collection.") from cause
        except InitError as error:
            said = keyring_failure_sentence(error, "linux")
        assert said.startswith(
            "The OS keyring (Secret Service) has no default keyring to keep the key in, and "
            "creating one was cancelled or could not be asked for: create one"
        )
        assert said.endswith("or set DEEPGRAM_API_KEY in the environment instead.")
        # Seen by its words too, when a backend raises it with no cause attached.
        assert keyring_failure_sentence(InitError("Prompt dismissed"), "linux") == said
        # Another cause is another failure.
        try:
            try:
                raise ValueError("bus closed")
            except ValueError as cause:
                raise InitError("Failed to create the collection.") from cause
        except InitError as error:
            other = keyring_failure_sentence(error, "linux")
        assert other.startswith("The OS keyring could not be opened")

    def test_a_secret_service_that_does_not_answer(self) -> None:
        said = keyring_failure_sentence(InitError("Failed to create the collection: x"), "linux")
        assert said == (
            "The OS keyring could not be opened: no Secret Service answered; install and start "
            "one such as gnome-keyring, or KeePassXC with its Secret Service integration on, or "
            "set DEEPGRAM_API_KEY in the environment instead."
        )
        assert "collection" not in said

    @pytest.mark.parametrize(
        "name",
        [
            "org.freedesktop.DBus.Error.ServiceUnknown",
            "org.freedesktop.DBus.Error.Spawn.ChildExited",
        ],
    )
    def test_a_bus_error_saying_no_service_is_there(self, name: str) -> None:
        """jeepney's error reply, as secretstorage lets it through: the Secret Service is not
        there, or the bus could not start it."""

        class DBusErrorResponse(Exception):
            def __init__(self, name: str) -> None:
                super().__init__(name)
                self.name = name

        said = keyring_failure_sentence(DBusErrorResponse(name), "linux")
        assert said.startswith("The OS keyring could not be opened: no Secret Service answered")
        other = keyring_failure_sentence(DBusErrorResponse("org.example.Error.Odd"), "linux")
        assert other.startswith("The OS keyring failed (DBusErrorResponse): check that a Secret")

    def test_locked(self) -> None:
        said = keyring_failure_sentence(KeyringLocked("Failed to unlock the collection!"), "linux")
        assert said.startswith("The OS keyring is locked: unlock it")

    @pytest.mark.parametrize(
        ("platform", "service"),
        [("linux", "a Secret Service (such as gnome-keyring"), ("win32", "your keyring service")],
    )
    def test_anything_else_is_named_by_type_only(self, platform: str, service: str) -> None:
        said = keyring_failure_sentence(RuntimeError("/org/freedesktop/secrets/x"), platform)
        assert said.startswith(f"The OS keyring failed (RuntimeError): check that {service}")
        assert "/org/freedesktop" not in said

    def test_the_general_sentence_reads_as_one(self) -> None:
        assert keyring_failure_sentence(RuntimeError("x"), "linux") == (
            "The OS keyring failed (RuntimeError): check that a Secret Service (such as "
            "gnome-keyring, or KeePassXC with its Secret Service integration on) is running and "
            "unlocked, or set DEEPGRAM_API_KEY in the environment instead."
        )
        assert keyring_failure_sentence(RuntimeError("x"), "win32") == (
            "The OS keyring failed (RuntimeError): check that your keyring service is running and "
            "unlocked, or set DEEPGRAM_API_KEY in the environment instead."
        )
