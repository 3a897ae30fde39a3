"""What a key can do: how many projects it sees and whether it may read balances."""

from __future__ import annotations

from typing import NamedTuple

from trayapp.deepgram.client import DeepgramClient
from trayapp.deepgram.models import Project
from trayapp.errors import BALANCES_KEY, AuthError, PermissionDeniedError


class KeyCheck(NamedTuple):
    projects: list[Project]
    """What the key sees (listed once, for callers that show them too)."""
    balances_readable: bool | None
    """None when the key sees no project to try."""
    refusal: PermissionDeniedError | None = None

    @property
    def project_count(self) -> int:
        return len(self.projects)

    def summary(self) -> str:
        projects = f"{self.project_count} project{'s' if self.project_count != 1 else ''}"
        if self.balances_readable is None:
            return "it sees no projects yet, so reading balances could not be tried"
        if self.balances_readable:
            return f"it sees {projects} and can read balances"
        return f"it sees {projects} but may not read balances: {BALANCES_KEY} can"


def check_key(client: DeepgramClient) -> KeyCheck:
    """Raises the client's errors when the key is refused outright or the API is unreachable."""
    projects = client.list_projects()
    if not projects:
        return KeyCheck(projects=projects, balances_readable=None)
    try:
        client.list_balances(projects[0].project_id)
    except PermissionDeniedError as exc:
        return KeyCheck(projects=projects, balances_readable=False, refusal=exc)
    except AuthError as exc:
        # The same key just listed the projects, so this refusal is of the balances, not the key
        # (Deepgram's spec documents a 403 "Authentication failed." for the balances call).
        return KeyCheck(projects=projects, balances_readable=False, refusal=_as_refusal(exc))
    return KeyCheck(projects=projects, balances_readable=True)


def _as_refusal(exc: AuthError) -> PermissionDeniedError:
    return PermissionDeniedError(
        f"This key lists projects but may not read balances: {BALANCES_KEY} can; create one in "
        "the Deepgram Console and set it with `deepgram-tray key set`.",
        status=exc.status,
        request_id=exc.request_id,
    )
