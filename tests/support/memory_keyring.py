"""An in-memory keyring backend for unit tests (installed with keyring.set_keyring)."""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.store[(service, username)]
        except KeyError:
            raise PasswordDeleteError("not found") from None


class FailingKeyring(MemoryKeyring):
    """Raises the given exception from every call, like a locked or broken OS keyring."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error


class LockedKeyring(FailingKeyring):
    """A locked keyring, loadable by name in a child process:
    PYTHON_KEYRING_BACKEND=tests.support.memory_keyring.LockedKeyring."""

    def __init__(self) -> None:
        from keyring.errors import KeyringLocked

        super().__init__(KeyringLocked("the collection is locked"))
