"""The settings window's parts, each on its own rather than through the whole window: what the
drafts count as changed (no Tk), the projects Save keeps when the key's project list was never
read, and the Test key button coming back after an answer (a real Tk root on Xvfb, the worker
thread's answer faked)."""

from __future__ import annotations

import threading
import tkinter as tk
from collections.abc import Callable, Iterator
from pathlib import Path
from shutil import which

import pytest
import tomli_w
import tomllib

from tests.conftest import MEMBER_KEY, OWNER_KEY, PROJECT_A, PROJECT_B
from tests.support.desktop import VirtualDesktop
from tests.support.required import require_tools
from tests.support.waiting import wait_until
from trayapp.accounts import DEFAULT_ACCOUNT
from trayapp.deepgram.models import Project
from trayapp.tk import settings_deepgram
from trayapp.tk.settings_background import Background
from trayapp.tk.settings_deepgram import DeepgramQuestions, KeyTest
from trayapp.tk.settings_drafts import Draft, Drafts
from trayapp.tk.settings_layout import AccountCallbacks, SettingsLayout
from trayapp.tk.settings_save import Saved, save_accounts

CLIENT = "client-a"


def write_config(path: Path, table: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomli_w.dumps(table))


def read_config(path: Path) -> dict[str, object]:
    table: dict[str, object] = tomllib.loads(path.read_text())
    return table


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both accounts' keys from the environment: no keyring is asked."""
    monkeypatch.setenv("DEEPGRAM_API_KEY", OWNER_KEY)
    monkeypatch.setenv("DEEPGRAM_API_KEY_CLIENT_A", MEMBER_KEY)


def shown(drafts: Drafts, name: str) -> Draft:
    """What the window does when it shows an account: its fields as the file has them, noted
    as first shown (what a later draft is compared with)."""
    drafts.current = name
    draft = drafts.draft_of(name)
    drafts.first_shown.setdefault(name, draft)
    return draft


# --- 1. a changed label alone (no Tk) -----------------------------------------------------------


class TestLabelAloneChanged:
    @pytest.fixture(autouse=True)
    def client_account(self, isolated_config: Path, keys: None) -> None:
        write_config(isolated_config, {"accounts": {CLIENT: {"label": "Client A"}}})

    def test_counts_as_changed_and_save_writes_it(self, isolated_config: Path) -> None:
        drafts = Drafts(CLIENT)
        first = shown(drafts, CLIENT)
        drafts.keep(first._replace(label="Client B"))  # only the label was typed over

        assert drafts.changed(CLIENT)
        assert drafts.to_save() == [CLIENT]
        assert isinstance(save_accounts(drafts, drafts.to_save(), None), Saved)
        accounts = read_config(isolated_config)["accounts"]
        assert isinstance(accounts, dict)
        assert accounts[CLIENT]["label"] == "Client B"

    def test_an_account_left_as_shown_is_not_written(self) -> None:
        # The other side: were every shown account "changed", the test above would prove nothing.
        drafts = Drafts(CLIENT)
        drafts.keep(shown(drafts, CLIENT))
        assert not drafts.changed(CLIENT)
        assert drafts.to_save() == []


# --- a display for the Tk parts -----------------------------------------------------------------


@pytest.fixture(scope="module")
def x_server() -> Iterator[str]:
    """An X server with no panel, shared by the module's Tk tests: its display name."""
    require_tools([tool for tool in ("Xvfb", "xwininfo") if which(tool) is None])
    screen = VirtualDesktop(with_tray_panel=False).start()
    try:
        yield screen.display
    finally:
        screen.stop()


@pytest.fixture
def root(x_server: str) -> Iterator[tk.Tk]:
    # screenName rather than $DISPLAY: nothing else in this process is pointed at the server.
    root = tk.Tk(screenName=x_server)
    root.withdraw()  # laid out and read back, never looked at
    try:
        yield root
    finally:
        root.destroy()


def layout_for(root: tk.Tk, drafts: Drafts) -> SettingsLayout:
    """The window's widgets on their own, without the window that drives them."""

    def ignore(*_args: object) -> None:
        pass

    return SettingsLayout(
        root,
        drafts.settings,
        accounts=AccountCallbacks(
            taken=lambda: list(drafts.accounts),
            on_choose=ignore,
            on_add=ignore,
            on_remove=ignore,
        ),
        can_change_accounts=True,
        started_at_login=None,
        on_test_key=ignore,
        on_save=ignore,
        on_cancel=ignore,
    )


def pump_until(root: tk.Tk, condition: Callable[[], bool], what: str) -> None:
    """Let Tk run (the results queue is polled from its timers) until `condition` holds."""

    def pumped() -> bool:
        root.update()
        return condition()

    wait_until(pumped, timeout=10, what=what)


# --- 2. the watched projects kept when the list was never read ----------------------------------


@pytest.mark.display
def test_save_keeps_the_watched_projects_when_the_list_was_never_read(
    root: tk.Tk, isolated_config: Path, keys: None
) -> None:
    write_config(isolated_config, {"projects": [PROJECT_A, PROJECT_B]})
    drafts = Drafts()
    layout = layout_for(root, drafts)
    first = shown(drafts, DEFAULT_ACCOUNT)
    # As when reading the project list failed (or has not answered yet): no boxes to tick.
    layout.fill(first.form, [])
    assert DEFAULT_ACCOUNT not in drafts.project_lists

    form = layout.read_form(projects_read=False)
    assert not form.watch_all
    assert sorted(form.watched) == sorted([PROJECT_A, PROJECT_B])

    drafts.keep(Draft(form, first.label))
    assert isinstance(save_accounts(drafts, drafts.to_save(), None), Saved)
    assert read_config(isolated_config)["projects"] == [PROJECT_A, PROJECT_B]


@pytest.mark.display
def test_once_the_list_is_read_its_ticks_are_what_is_watched(
    root: tk.Tk, isolated_config: Path, keys: None
) -> None:
    # The other side: once listed, a project the key no longer sees is not kept.
    write_config(isolated_config, {"projects": [PROJECT_A, PROJECT_B]})
    drafts = Drafts()
    layout = layout_for(root, drafts)
    layout.fill(shown(drafts, DEFAULT_ACCOUNT).form, [])
    layout.projects.show([Project(PROJECT_A, "Only this one")])
    assert layout.read_form(projects_read=True).watched == (PROJECT_A,)


# --- 3. Test key comes back after an answer -----------------------------------------------------


class TestKeyButton:
    """The answer comes from a faked `try_key` that waits to be released: the button can be seen
    disabled while the test runs, then enabled once the answer is handled on Tk's thread."""

    @pytest.fixture(autouse=True)
    def two_accounts(self, isolated_config: Path, keys: None) -> None:
        write_config(isolated_config, {"accounts": {CLIENT: {"label": "Client A"}}})

    @pytest.fixture
    def release(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
        released = threading.Event()

        def answer(_api_url: str, _key: str) -> KeyTest:
            released.wait(timeout=20)  # never holds the worker past the test
            return KeyTest(True, "This key works: faked.", [Project(PROJECT_A, "Faked")])

        monkeypatch.setattr(settings_deepgram, "try_key", answer)
        try:
            yield released
        finally:
            released.set()

    def started(self, root: tk.Tk) -> tuple[Drafts, SettingsLayout, DeepgramQuestions]:
        drafts = Drafts()
        layout = layout_for(root, drafts)
        questions = DeepgramQuestions(Background(root), drafts, layout)
        questions.test_key(OWNER_KEY)
        assert layout.test_button.instate(["disabled"]), "disabled while the key is tested"
        return drafts, layout, questions

    @pytest.mark.display
    def test_enabled_again_after_the_answer(self, root: tk.Tk, release: threading.Event) -> None:
        _, layout, _ = self.started(root)
        release.set()
        pump_until(
            root,
            lambda: layout.test_result.cget("text") == "This key works: faked.",
            "the answer to be shown",
        )
        assert layout.test_button.instate(["!disabled"])

    @pytest.mark.display
    def test_enabled_again_when_the_answer_is_for_an_account_no_longer_shown(
        self, root: tk.Tk, release: threading.Event
    ) -> None:
        drafts, layout, _ = self.started(root)
        drafts.current = CLIENT  # chosen while the default account's key was being tested
        release.set()
        pump_until(
            root,
            lambda: DEFAULT_ACCOUNT in drafts.project_lists,
            "the answer's projects to be kept for the default account",
        )
        assert layout.test_button.instate(["!disabled"])
