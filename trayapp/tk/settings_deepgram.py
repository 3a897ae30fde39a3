"""What the settings window asks Deepgram: the projects a key sees, and Test key.

Each question runs on a worker thread (settings_background.py); its answer is shown if its
account is still the one shown, else the projects are kept for when it is shown again.
"""

from __future__ import annotations

from typing import NamedTuple

from trayapp.deepgram.models import Project
from trayapp.errors import BALANCES_KEY, AuthError, DeepgramTrayError, PermissionDeniedError
from trayapp.tk.settings_background import Background
from trayapp.tk.settings_drafts import Drafts
from trayapp.tk.settings_layout import SettingsLayout


def describe_key_check(error: DeepgramTrayError | None, summary: str | None) -> tuple[bool, str]:
    """What Test key says, in plain words: (worked, sentence)."""
    if error is None:
        return True, f"This key works: {summary}."
    if isinstance(error, AuthError):
        return False, "Deepgram refused this key: copy it again from the Deepgram Console."
    if isinstance(error, PermissionDeniedError):
        return False, (
            f"This key may not read balances: {BALANCES_KEY} can; create one in the Deepgram "
            "Console and paste it here."
        )
    return False, f"The key could not be tested: {error.message}"


class KeyTest(NamedTuple):
    worked: bool
    sentence: str
    projects: list[Project]
    """The projects the key sees, when it could list them."""


def read_projects(api_url: str, key: str) -> list[Project] | DeepgramTrayError:
    """The projects `key` sees (network: run it on a worker thread)."""
    # Imported on first use: the window opens without loading the HTTP client.
    from trayapp.deepgram.client import DeepgramClient

    try:
        with DeepgramClient(api_url, key) as client:
            return client.list_projects()
    except DeepgramTrayError as exc:
        return exc


def try_key(api_url: str, key: str) -> KeyTest:
    """What `key` (as pasted) can do (network: run it on a worker thread)."""
    from trayapp.credentials import clean_key_text
    from trayapp.deepgram.client import DeepgramClient
    from trayapp.deepgram.key_check import check_key

    error: DeepgramTrayError | None = None
    summary: str | None = None
    projects: list[Project] = []
    try:
        with DeepgramClient(api_url, clean_key_text(key)) as client:
            check = check_key(client)
        projects = check.projects
        summary = check.summary()
        error = check.refusal
    except DeepgramTrayError as exc:
        error = exc
    worked, sentence = describe_key_check(error, summary)
    return KeyTest(worked, sentence, projects)


class DeepgramQuestions:
    """Asks on the window's behalf, and shows each answer in its layout."""

    def __init__(self, background: Background, drafts: Drafts, layout: SettingsLayout) -> None:
        self._background = background
        self._drafts = drafts
        self._layout = layout

    def fetch_projects(self, account: str, key: str) -> None:
        self._layout.projects.say("Loading projects…")
        api_url = self._drafts.settings.api_url
        self._background.run(
            "projects",
            lambda: read_projects(api_url, key),
            lambda result: self._projects_arrived(account, result),
        )

    def test_key(self, key: str | None) -> None:
        """Test `key` (None: there is none to test) for the account shown."""
        if key is None:
            self._layout.show_test_result(False, "Paste a key first.")
            return
        self._layout.show_testing()
        account, api_url = self._drafts.current, self._drafts.settings.api_url
        self._background.run(
            "test-key",
            lambda: try_key(api_url, key),
            lambda outcome: self._test_finished(account, outcome),
        )

    def _projects_arrived(self, account: str, result: list[Project] | DeepgramTrayError) -> None:
        drafts = self._drafts
        if account != drafts.current:  # another account is shown by now
            if not isinstance(result, DeepgramTrayError) and account in drafts.accounts:
                drafts.project_lists[account] = result
        elif isinstance(result, DeepgramTrayError):
            self._layout.projects.say(result.message)
        else:
            self._show_projects(result)

    def _test_finished(self, account: str, outcome: KeyTest) -> None:
        self._layout.test_button.state(["!disabled"])
        if account != self._drafts.current:  # the answer is for an account no longer shown
            if outcome.projects and account in self._drafts.accounts:
                self._drafts.project_lists[account] = outcome.projects
            return
        self._layout.show_test_result(outcome.worked, outcome.sentence)
        if outcome.projects:
            self._show_projects(outcome.projects)

    def _show_projects(self, projects: list[Project]) -> None:
        self._drafts.project_lists[self._drafts.current] = projects
        self._layout.projects.show(projects)
