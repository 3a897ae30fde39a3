"""The settings window (Tk), run as its own process: `deepgram-tray settings`.

Its own process, because macOS allows one main-thread UI loop per process and the tray owns that
one. Network calls (Test key, the project list) run on worker threads and hand their results back
through a queue that Tk polls: Tk itself is only ever touched from its own thread.

The window works on one account at a time, chosen at the top (account_row.py). What is typed for
an account is kept when another is chosen, and Save writes every account's changes at once.

This module is what the window does when asked; the others hold the rest:
settings_layout.py its widgets, settings_drafts.py the accounts and what was typed for each,
settings_deepgram.py the project list and Test key, settings_save.py what Save and Remove account
write, settings_background.py the worker threads. The pure rules are settings_form.py's and
account_list.py's.
"""

from __future__ import annotations

import logging
import tkinter as tk

from trayapp.accounts import DEFAULT_ACCOUNT
from trayapp.desktop import autostart
from trayapp.tk.account_list import NewAccount, rows_for
from trayapp.tk.look import new_root
from trayapp.tk.settings_background import Background
from trayapp.tk.settings_deepgram import DeepgramQuestions, describe_key_check
from trayapp.tk.settings_drafts import Draft, Drafts
from trayapp.tk.settings_form import KEY_FIELD, FormInput, Said, key_hint, notice
from trayapp.tk.settings_layout import TITLE, AccountCallbacks, SettingsLayout
from trayapp.tk.settings_save import (
    SAVE_PROBLEM,
    SaveProblem,
    forget_stored_key,
    remove_from_config,
    save_accounts,
)

__all__ = ["TITLE", "SettingsWindow", "describe_key_check", "run_window"]

log = logging.getLogger(__name__)


class SettingsWindow:
    def __init__(self, root: tk.Tk, account: str = DEFAULT_ACCOUNT) -> None:
        self.root = root
        self.saved = False
        self.drafts = Drafts(account)
        self.started_at_login = autostart.state()
        self.layout = SettingsLayout(
            root,
            self.drafts.settings,
            accounts=AccountCallbacks(
                taken=lambda: list(self.drafts.accounts),
                on_choose=self._choose,
                on_add=self._add_account,
                on_remove=self._remove_account,
            ),
            can_change_accounts=self.drafts.load_error is None,
            started_at_login=self.started_at_login,
            on_test_key=self._test_key,
            on_save=self.save,
            on_cancel=self.cancel,
        )
        self.background = Background(root)
        self.deepgram = DeepgramQuestions(self.background, self.drafts, self.layout)
        self._show_account()

    # --- accounts -------------------------------------------------------------------------------

    def _show_account(self) -> None:
        """Fill the fields with the chosen account's values, and show only its settings."""
        drafts, layout = self.drafts, self.layout
        name = drafts.current
        drafts.look_up_key(name)
        draft = drafts.draft_of(name)
        layout.account_rows.show(drafts.shown_names(), name, draft.label)
        layout.fill(draft.form, drafts.project_lists.get(name, []))
        layout.clear_messages()
        layout.hide_test_result()
        load_error = drafts.load_error.message if drafts.load_error is not None else None
        layout.show_notice(notice(drafts.key, load_error, name))
        self._show_key_state()
        layout.show_rows(rows_for(name), start_at_login=name == DEFAULT_ACCOUNT)
        drafts.first_shown.setdefault(name, Draft(self.read_form(), draft.label))
        if name not in drafts.project_lists and drafts.key is not None:
            self.deepgram.fetch_projects(name, drafts.key.value)

    def _show_key_state(self) -> None:
        """The hint under the key field; without a keyring and with no key in use, nothing typed
        could be kept: the field, and what acts on it, say so by looking disabled."""
        drafts = self.drafts
        problem = drafts.keyring_problem.message if drafts.keyring_problem is not None else None
        said = key_hint(drafts.key, problem, drafts.current)
        if drafts.current in drafts.key_problems:
            said = Said(drafts.key_problems[drafts.current], "error")
        self.layout.show_key_state(said, usable=problem is None or drafts.key is not None)

    def _keep_draft(self) -> None:
        self.drafts.keep(Draft(self.read_form(), self.layout.account_rows.label_text()))

    def _choose(self, name: str) -> None:
        """Show another account; what was typed for this one is kept until Save or Cancel."""
        self._keep_draft()
        self.drafts.current = name
        self._show_account()

    def _add_account(self, added: NewAccount) -> None:
        """Show a new account to fill in; Save creates it."""
        self._keep_draft()
        self.drafts.add(added)
        self._show_account()
        self.layout.key_entry.focus_set()

    def _remove_account(self, name: str) -> None:
        """Remove a named account now (Remove account asked first): its table, then its key."""
        if name not in self.drafts.added:
            problem = remove_from_config(name)
            if problem is not None:
                self.layout.show_errors({SAVE_PROBLEM: problem})
                return
            self.saved = True
        shown = self.drafts.shown_names()[name]
        self.drafts.forget(name)
        self._show_account()
        if self.drafts.keyring_problem is None:
            problem = forget_stored_key(name, shown)
            if problem is not None:
                self.layout.show_errors({SAVE_PROBLEM: problem})

    # --- Test key -----------------------------------------------------------------------------

    def _test_key(self) -> None:
        typed = self.layout.key_var.get().strip()
        key = self.drafts.key
        self.deepgram.test_key(typed or (key.value if key else None))

    # --- Save / Cancel ------------------------------------------------------------------------

    def read_form(self) -> FormInput:
        drafts = self.drafts
        return self.layout.read_form(projects_read=drafts.current in drafts.project_lists)

    def save(self) -> None:
        self.layout.clear_messages()
        if self.drafts.load_error is not None:
            self.layout.show_errors({KEY_FIELD: self.drafts.load_error.message})
            return
        self._keep_draft()
        to_save = self.drafts.to_save()
        if not to_save:  # opened on a named account and nothing changed: nothing to write
            self.root.destroy()
            return
        outcome = save_accounts(self.drafts, to_save, self.started_at_login)
        if isinstance(outcome, SaveProblem):
            # Errors of an account not shown: show it (with what was typed there), then them.
            if outcome.account is not None and outcome.account != self.drafts.current:
                self._choose(outcome.account)
            self.layout.show_errors(outcome.by_field)
            return
        new_keys = outcome.new_keys
        log.info("Settings saved%s", f" with {new_keys} new key(s)" if new_keys else "")
        self.saved = True
        self.root.destroy()

    def cancel(self) -> None:
        self.root.destroy()


def run_window(account: str = DEFAULT_ACCOUNT) -> bool:
    """Show the window, on `account`, until Save or Cancel; True when something was saved."""
    root = new_root()
    window = SettingsWindow(root, account)
    window.layout.fit_to_screen()
    root.minsize(360, 200)
    root.mainloop()
    return window.saved
