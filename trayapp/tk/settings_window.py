"""The settings window (Tk), run as its own process: `deepgram-tray settings`.

Its own process, because macOS allows one main-thread UI loop per process and the tray owns that
one. Network calls (Test key, the project list) run on worker threads and hand their results back
through a queue that Tk polls: Tk itself is only ever touched from its own thread.

The window works on one account at a time, chosen at the top (account_row.py). What is typed for
an account is kept when another is chosen, and Save writes every account's changes at once.
"""

from __future__ import annotations

import logging
import queue
import threading
import tkinter as tk
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from tkinter import ttk
from typing import NamedTuple, TypeVar

from trayapp.accounts import (
    DEFAULT_ACCOUNT,
    Account,
    accounts_from_table,
    remove_account,
)
from trayapp.config import ACCOUNTS_TABLE, Settings, load_settings_and_table, rewrite_config
from trayapp.credentials import ApiKey, delete_api_key, find_api_key, store_api_key
from trayapp.deepgram.models import Project
from trayapp.desktop import autostart
from trayapp.desktop.paths import config_path
from trayapp.errors import (
    BALANCES_KEY,
    AuthError,
    ConfigError,
    DeepgramTrayError,
    KeyringUnavailableError,
    PermissionDeniedError,
    os_reason,
)
from trayapp.setting_fields import CheckBox, NumberEntry, ProjectPicker
from trayapp.tk.account_list import (
    LABEL_FIELD,
    AccountPlan,
    NewAccount,
    apply_plans,
    new_account,
    plan_account_save,
    rows_for,
    shown_names,
)
from trayapp.tk.account_row import AccountRows
from trayapp.tk.look import (
    ERROR_STYLE,
    HINT_STYLE,
    INFO_STYLE,
    OK_STYLE,
    new_root,
    set_window_icon,
    use_platform_theme,
)
from trayapp.tk.scrolled_body import ScrolledBody, fitting_height
from trayapp.tk.settings_form import (
    KEY_FIELD,
    FieldErrors,
    FormInput,
    Said,
    SavePlan,
    Tone,
    initial_input,
    key_hint,
    notice,
    plan_save,
    rows_top_first,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

TITLE = "Deepgram Balance settings"
SAVE_PROBLEM = "save"
WRAP = "4.4i"
"""How wide messages run before they wrap (a screen distance: it grows with the font's scaling)."""
LABEL_GAP = 12
"""Pixels between a label and its field."""
FIRST_PLACEMENT_ALLOWANCE = 40
"""Pixels a window manager may put above a new window (its title bar) before we know where."""
STYLE_OF: dict[Tone, str] = {"error": ERROR_STYLE, "info": INFO_STYLE, "hint": HINT_STYLE}


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


class Draft(NamedTuple):
    """An account's fields as last shown, kept while another account is shown, until Save."""

    form: FormInput
    label: str
    """The label as typed (named accounts)."""


class SettingsWindow:
    def __init__(self, root: tk.Tk, account: str = DEFAULT_ACCOUNT) -> None:
        self.root = root
        self.results: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self.saved = False
        self.load_error: DeepgramTrayError | None = None
        self.own_tables: dict[str, Mapping[str, object]] = {}
        """Each named account's table as the file had it: what it sets itself stays set."""
        try:
            top, table, origin = load_settings_and_table()
            accounts = accounts_from_table(table, top, origin=origin)
            found = table.get(ACCOUNTS_TABLE, {})
            if isinstance(found, Mapping):  # accounts_from_table has checked it is tables
                self.own_tables = {str(k): v for k, v in found.items() if isinstance(v, Mapping)}
        except DeepgramTrayError as exc:
            top, self.load_error = Settings(), exc
            accounts = (Account(DEFAULT_ACCOUNT, DEFAULT_ACCOUNT, top),)
        self.top = top
        self.accounts: dict[str, Account] = {a.name: a for a in accounts}
        self.current = account if account in self.accounts else DEFAULT_ACCOUNT
        self.drafts: dict[str, Draft] = {}
        self.first_shown: dict[str, Draft] = {}
        """Each account's fields as first shown: a draft that differs was changed."""
        self.added: set[str] = set()
        """Accounts added in this window and not saved yet: Save creates their tables."""
        self.keys: dict[str, ApiKey | None] = {}
        self.key_problems: dict[str, str] = {}
        """An account's key that cannot be used (a variable set to something no key is)."""
        self.keyring_problem: KeyringUnavailableError | None = None
        self._look_up_key(self.current, opening=True)
        self.project_lists: dict[str, list[Project]] = {}
        """Each account's projects as its key sees them, once read."""
        self.projects: list[Project] = []
        self.project_vars: dict[str, tk.BooleanVar] = {}
        self.watched_at_start: tuple[str, ...] = self.settings.projects
        self.error_labels: dict[str, ttk.Label] = {}
        self.entry_vars: dict[str, tk.StringVar] = {}
        self.check_vars: dict[str, tk.BooleanVar] = {}
        self.row_widgets: dict[str, list[ttk.Widget]] = {}
        """The widgets of each setting's row, to show only the chosen account's settings."""
        self._build()
        self._show_account()
        self._poll_results()

    @property
    def account(self) -> Account:
        return self.accounts[self.current]

    @property
    def settings(self) -> Settings:
        """The chosen account's settings in effect."""
        return self.account.settings

    @property
    def key(self) -> ApiKey | None:
        return self.keys.get(self.current)

    def _look_up_key(self, name: str, *, opening: bool = False) -> None:
        """The account's key in use, looked up once. A key that cannot be one stops the window
        from opening on that account (the command says why), and is said under the key field of
        an account chosen later."""
        if name in self.keys:
            return
        self.keys[name] = None
        try:
            self.keys[name] = find_api_key(account=name)
        except KeyringUnavailableError as exc:
            self.keyring_problem = exc
        except ConfigError as exc:
            if opening:
                raise
            self.key_problems[name] = exc.message

    # --- layout ---------------------------------------------------------------------------------

    def _build(self) -> None:
        """A body that scrolls if the screen is short, above a footer that never does: Save and
        Cancel stay on screen however many messages the body shows."""
        root = self.root
        root.title(TITLE)
        self._icons = set_window_icon(root)  # kept: Tk forgets images nobody references
        self.palette = use_platform_theme(root)
        root.columnconfigure(0, weight=1)
        root.rowconfigure(0, weight=1)
        # The theme's own frame colour where it has one (vista's and aqua's are system colours),
        # so the canvas under the body never shows as a band of another grey.
        frame_background = ttk.Style(root).lookup("TFrame", "background")
        self.body = ScrolledBody(root, background=frame_background or self.palette.background)
        self.body.grid(row=0, column=0, sticky="nsew")
        frame = ttk.Frame(self.body.inner, padding=(16, 16, 16, 8))
        frame.pack(fill="both", expand=True)
        frame.columnconfigure(1, weight=1)
        row = 0
        for section in (
            self._notice_section,
            self._account_section,
            self._key_section,
            self._settings_section,
            self._start_at_login_section,
        ):
            row = section(frame, row)
        ttk.Separator(root, orient="horizontal").grid(row=1, column=0, sticky="we")
        self._footer(root).grid(row=2, column=0, sticky="we")
        self._bind_keys()
        # Whatever grows the body (messages, the project list) grows the window while the
        # screen has room; past that the body scrolls.
        self._fit_pending = False
        self.body.inner.bind("<Configure>", lambda _event: self._fit_soon(), add="+")

    def _fit_soon(self) -> None:
        if self._fit_pending or not self.root.winfo_ismapped():
            return
        self._fit_pending = True

        def fit() -> None:
            self._fit_pending = False
            self.fit_to_screen()

        self.root.after_idle(fit)

    def fit_to_screen(self) -> None:
        """As tall as the body wants, as far as the screen allows below the window's top."""
        root = self.root
        root.update_idletasks()
        body_width, body_height = self.body.wanted_size()
        chrome = self.footer.winfo_reqheight() + 2  # the separator
        mapped = root.winfo_ismapped()
        top = root.winfo_rooty() if mapped else FIRST_PLACEMENT_ALLOWANCE
        height = fitting_height(body_height + chrome, top, root.winfo_screenheight())
        width = min(
            max(body_width, self.footer.winfo_reqwidth()), root.winfo_screenwidth() - 2 * 16
        )
        if mapped:  # after messages appeared: only ever grow, the user may have resized it
            height = max(height, root.winfo_height())
            width = max(width, root.winfo_width())
        root.geometry(f"{width}x{height}")

    # Each section lays itself out from grid row `row` on and returns the next free row.

    def _notice_section(self, frame: ttk.Frame, row: int) -> int:
        self.notice = ttk.Label(frame, text="", wraplength=WRAP)
        self.notice.grid(row=row, column=0, columnspan=3, sticky="w", pady=(0, 10))
        self.notice.grid_remove()  # shown when there is something to say (see _show_notice)
        return row + 1

    def _show_notice(self) -> None:
        load_error = self.load_error.message if self.load_error is not None else None
        said = notice(self.key, load_error, self.current)
        if said is None:
            self.notice.grid_remove()
        else:
            self.notice.configure(text=said.text, style=STYLE_OF[said.tone])
            self.notice.grid()

    def _account_section(self, frame: ttk.Frame, row: int) -> int:
        self.account_rows = AccountRows(
            frame,
            row,
            taken=lambda: list(self.accounts),
            on_choose=self._choose,
            on_add=self._add_account,
            on_remove=self._remove_account,
            can_change=self.load_error is None,
        )
        self.error_labels[LABEL_FIELD] = self.account_rows.label_error
        return self.account_rows.next_row

    def _key_section(self, frame: ttk.Frame, row: int) -> int:
        ttk.Label(frame, text="API key").grid(row=row, column=0, sticky="w", padx=(0, LABEL_GAP))
        self.key_var = tk.StringVar()
        self.key_entry = ttk.Entry(frame, textvariable=self.key_var, show="•", width=42)
        self.key_entry.grid(row=row, column=1, sticky="we")
        self.show_key = tk.BooleanVar(value=False)
        self.show_key_box = ttk.Checkbutton(
            frame, text="Show", variable=self.show_key, command=self._toggle_key, takefocus=False
        )
        self.show_key_box.grid(row=row, column=2, padx=(6, 0))
        self.test_button = ttk.Button(frame, text="Test key", command=self._test_key)
        self.key_entry.focus_set()
        row += 1
        self.key_hint = ttk.Label(frame, text="", wraplength=WRAP)
        self.key_hint.grid(row=row, column=1, columnspan=2, sticky="w")
        row += 1
        self._error_label(frame, KEY_FIELD, row)
        row += 1
        self.test_button.grid(row=row, column=1, sticky="w", pady=(2, 0))
        row += 1
        self.test_result = ttk.Label(frame, text="", wraplength=WRAP)
        self.test_result.grid(row=row, column=1, columnspan=2, sticky="w", pady=(2, 0))
        self.test_result.grid_remove()
        ttk.Frame(frame, height=8).grid(row=row + 1, column=0)  # space before the settings
        row += 1
        return row + 1

    def _show_key_state(self) -> None:
        """The hint under the key field; without a keyring and with no key in use, nothing typed
        could be kept: the field, and what acts on it, say so by looking disabled."""
        problem = self.keyring_problem.message if self.keyring_problem is not None else None
        said = key_hint(self.key, problem, self.current)
        if self.current in self.key_problems:
            said = Said(self.key_problems[self.current], "error")
        self.key_hint.configure(text=said.text, style=STYLE_OF[said.tone])
        usable = problem is None or self.key is not None
        for widget in (self.key_entry, self.show_key_box, self.test_button):
            widget.state(["!disabled"] if usable else ["disabled"])

    def _settings_section(self, frame: ttk.Frame, row: int) -> int:
        """One row per setting the window shows, in the order and kind the settings table says."""
        form = initial_input(self.settings)
        for name, shown in rows_top_first():
            if isinstance(shown, ProjectPicker):
                row = self._projects_row(frame, row, name, shown)
            elif isinstance(shown, NumberEntry):
                row = self._number_row(frame, row, name, shown, form.entries[name])
            else:
                row = self._check_row(frame, row, name, shown, form.checks[name])
        return row

    def _projects_row(self, frame: ttk.Frame, row: int, name: str, shown: ProjectPicker) -> int:
        caption = ttk.Label(frame, text=shown.label)
        caption.grid(row=row, column=0, sticky="nw", padx=(0, LABEL_GAP))
        self.watch_all = tk.BooleanVar(value=not self.settings.projects)
        self.projects_frame = ttk.Frame(frame)
        self.projects_frame.grid(row=row, column=1, columnspan=2, sticky="w")
        ttk.Checkbutton(
            self.projects_frame,
            text="Watch all projects",
            variable=self.watch_all,
            command=self._render_projects,
        ).grid(row=0, column=0, sticky="w")
        self.projects_status = ttk.Label(self.projects_frame, text="", wraplength=WRAP)
        self.projects_status.grid(row=1, column=0, sticky="w")
        self.projects_status.grid_remove()
        self.row_widgets[name] = [caption, self.projects_frame]
        self._error_label(frame, name, row + 1)
        return row + 2

    def _number_row(
        self, frame: ttk.Frame, row: int, name: str, shown: NumberEntry, text: str
    ) -> int:
        caption = ttk.Label(frame, text=shown.label)
        caption.grid(row=row, column=0, sticky="w", pady=(6, 0), padx=(0, LABEL_GAP))
        var = tk.StringVar(value=text)
        # The entry and its unit share the field column, so a long unit never widens the label
        # column or pushes the entry about.
        line = ttk.Frame(frame)
        line.grid(row=row, column=1, columnspan=2, sticky="w", pady=(6, 0))
        ttk.Entry(line, textvariable=var, width=12).pack(side="left")
        ttk.Label(line, text=shown.unit).pack(side="left", padx=(6, 0))
        self.entry_vars[name] = var
        self.row_widgets[name] = [caption, line]
        self._error_label(frame, name, row + 1)
        return row + 2

    def _check_row(
        self, frame: ttk.Frame, row: int, name: str, shown: CheckBox, ticked: bool
    ) -> int:
        var = tk.BooleanVar(value=ticked)
        box = ttk.Checkbutton(frame, text=shown.text, variable=var)
        box.grid(row=row, column=1, columnspan=2, sticky="w", pady=(8, 0))
        self.check_vars[name] = var
        self.row_widgets[name] = [box]
        return row + 1

    def _start_at_login_section(self, frame: ttk.Frame, row: int) -> int:
        self.start_at_login: tk.BooleanVar | None = None
        self.start_at_login_box: ttk.Checkbutton | None = None
        self.started_at_login = autostart.state()
        if self.started_at_login is None:
            return row
        self.start_at_login = tk.BooleanVar(value=self.started_at_login)
        self.start_at_login_box = ttk.Checkbutton(
            frame, text="Start at login", variable=self.start_at_login
        )
        self.start_at_login_box.grid(row=row, column=1, columnspan=2, sticky="w", pady=(4, 0))
        return row + 1

    def _footer(self, root: tk.Tk) -> ttk.Frame:
        """Save and Cancel, with problems of saving itself (the config file, start at login)
        beside them: they belong to no field."""
        footer = ttk.Frame(root, padding=(16, 8, 16, 12))
        footer.columnconfigure(0, weight=1)
        label = ttk.Label(footer, text="", style=ERROR_STYLE, wraplength=WRAP)
        label.grid(row=0, column=0, sticky="w", padx=(0, 12))
        self.error_labels[SAVE_PROBLEM] = label
        self.footer_message = label
        ttk.Button(footer, text="Cancel", command=self.cancel).grid(row=0, column=1, padx=(0, 8))
        self.save_button = ttk.Button(footer, text="Save", command=self.save, default="active")
        self.save_button.grid(row=0, column=2)
        self.footer = footer
        return footer

    def _bind_keys(self) -> None:
        root = self.root
        root.bind("<Return>", lambda _event: self.save())
        root.bind("<KP_Enter>", lambda _event: self.save())
        root.bind("<Escape>", lambda _event: self.cancel())
        root.protocol("WM_DELETE_WINDOW", self.cancel)
        # Tabbing to a field below the fold brings it into view.
        root.bind("<FocusIn>", lambda event: self.body.see(event.widget), add="+")

    def _error_label(self, parent: ttk.Frame, name: str, row: int) -> None:
        label = ttk.Label(parent, text="", style=ERROR_STYLE, wraplength=WRAP)
        label.grid(row=row, column=1, columnspan=2, sticky="w")
        label.grid_remove()  # an empty line would still take a line's height: shown when said
        self.error_labels[name] = label

    def _toggle_key(self) -> None:
        self.key_entry.configure(show="" if self.show_key.get() else "•")

    # --- accounts -------------------------------------------------------------------------------

    def _draft_of(self, name: str) -> Draft:
        """What the account's fields hold: as last left, else as the file has it."""
        if name in self.drafts:
            return self.drafts[name]
        account = self.accounts[name]
        label = account.label if account.label != account.name else ""
        return Draft(initial_input(account.settings), label)

    def _keep_draft(self) -> None:
        self.drafts[self.current] = Draft(self.read_form(), self.account_rows.label_text())

    def _choose(self, name: str) -> None:
        """Show another account; what was typed for this one is kept until Save or Cancel."""
        self._keep_draft()
        self.current = name
        self._show_account()

    def _shown_names(self) -> dict[str, str]:
        pairs = []
        for name, account in self.accounts.items():
            label = self.drafts[name].label.strip() if name in self.drafts else ""
            pairs.append((name, label or account.label))
        return shown_names(pairs)

    def _show_account(self) -> None:
        """Fill the fields with the chosen account's values, and show only its settings."""
        name = self.current
        self._look_up_key(name)
        draft = self._draft_of(name)
        self.account_rows.show(self._shown_names(), name, draft.label)
        form = draft.form
        self.key_var.set(form.key_text)
        for setting, entry_var in self.entry_vars.items():
            entry_var.set(form.entries[setting])
        for setting, check_var in self.check_vars.items():
            check_var.set(form.checks[setting])
        self.watch_all.set(form.watch_all)
        self.watched_at_start = form.watched
        self.project_vars = {}
        self.projects = self.project_lists.get(name, [])
        self._clear_messages()
        self.test_result.grid_remove()
        self._show_notice()
        self._show_key_state()
        shown = rows_for(name)
        for setting, widgets in self.row_widgets.items():
            for widget in widgets:
                if setting in shown:
                    widget.grid()
                else:
                    widget.grid_remove()
        if self.start_at_login_box is not None:
            if name == DEFAULT_ACCOUNT:
                self.start_at_login_box.grid()
            else:
                self.start_at_login_box.grid_remove()
        self._projects_say("")
        self._render_projects()
        self.first_shown.setdefault(name, Draft(self.read_form(), draft.label))
        if name not in self.project_lists and self.key is not None:
            self._fetch_projects(name, self.key.value)

    def _add_account(self, added: NewAccount) -> None:
        """Show a new account to fill in; Save creates it."""
        account = new_account(added, self.top)
        self.accounts[account.name] = account
        self.added.add(account.name)
        self._keep_draft()
        self.drafts[account.name] = Draft(initial_input(account.settings), added.label)
        self.current = account.name
        self._show_account()
        self.key_entry.focus_set()

    def _remove_account(self, name: str) -> None:
        """Remove a named account now (Remove account asked first): its table, then its key."""
        if name not in self.added:
            path = config_path()
            try:
                remove_account(path, name)
            except OSError as exc:
                self._show_errors({SAVE_PROBLEM: _cannot_write(path, exc).message})
                return
            except DeepgramTrayError as exc:
                self._show_errors({SAVE_PROBLEM: exc.message})
                return
            self.saved = True
        shown = self._shown_names()[name]
        for held in (
            self.accounts,
            self.drafts,
            self.first_shown,
            self.keys,
            self.project_lists,
            self.own_tables,
        ):
            held.pop(name, None)
        self.added.discard(name)
        self.current = DEFAULT_ACCOUNT
        self._show_account()
        if self.keyring_problem is None:
            try:
                delete_api_key(name)
            except KeyringUnavailableError as exc:
                said = f"{shown} was removed, but its stored key was not: {exc.message}"
                self._show_errors({SAVE_PROBLEM: said})

    # --- background work --------------------------------------------------------------------

    def _in_background(self, name: str, work: Callable[[], T], then: Callable[[T], None]) -> None:
        """Run `work` on a worker thread, then `then(result)` on Tk's thread, via the queue that
        _poll_results empties: Tk itself is only ever touched from its own thread."""

        def run() -> None:
            result = work()
            self.results.put(lambda: then(result))

        threading.Thread(target=run, name=name, daemon=True).start()

    def _poll_results(self) -> None:
        while True:
            try:
                action = self.results.get_nowait()
            except queue.Empty:
                break
            action()
        self.root.after(50, self._poll_results)

    # --- projects ---------------------------------------------------------------------------

    def _render_projects(self) -> None:
        for child in self.projects_frame.winfo_children()[2:]:
            child.destroy()
        watching_all = self.watch_all.get()
        for index, project in enumerate(self.projects):
            var = self.project_vars.setdefault(
                project.project_id,
                tk.BooleanVar(value=project.project_id in self.watched_at_start),
            )
            box = ttk.Checkbutton(self.projects_frame, text=project.name, variable=var)
            box.grid(row=index + 2, column=0, sticky="w", padx=(18, 0))
            if watching_all:
                box.state(["disabled"])

    def _projects_say(self, text: str) -> None:
        self.projects_status.configure(text=text)
        if text:
            self.projects_status.grid()
        else:
            self.projects_status.grid_remove()

    def _fetch_projects(self, account: str, key: str) -> None:
        self._projects_say("Loading projects…")
        api_url = self.settings.api_url

        def fetch() -> list[Project] | DeepgramTrayError:
            from trayapp.deepgram.client import DeepgramClient

            try:
                with DeepgramClient(api_url, key) as client:
                    return client.list_projects()
            except DeepgramTrayError as exc:
                return exc

        self._in_background(
            "projects", fetch, lambda result: self._projects_arrived(account, result)
        )

    def _projects_arrived(self, account: str, result: list[Project] | DeepgramTrayError) -> None:
        if account != self.current:  # another account is shown by now
            if not isinstance(result, DeepgramTrayError) and account in self.accounts:
                self.project_lists[account] = result
        elif isinstance(result, DeepgramTrayError):
            self._projects_say(result.message)
        else:
            self._show_projects(result)

    def _show_projects(self, projects: list[Project]) -> None:
        self.projects = projects
        self.project_lists[self.current] = projects
        self._projects_say("" if projects else "This key sees no projects.")
        self._render_projects()

    # --- Test key ---------------------------------------------------------------------------

    def _key_to_test(self) -> str | None:
        typed = self.key_var.get().strip()
        if typed:
            return typed
        return self.key.value if self.key else None

    def _test_key(self) -> None:
        key = self._key_to_test()
        if key is None:
            self._show_test_result(False, "Paste a key first.")
            return
        self.test_button.state(["disabled"])
        self.test_result.configure(text="Testing…", style="TLabel")
        self.test_result.grid()
        account, api_url = self.current, self.settings.api_url

        def check() -> tuple[bool, str, list[Project]]:
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
            return worked, sentence, projects

        self._in_background("test-key", check, lambda outcome: self._finish_test(account, *outcome))

    def _finish_test(
        self, account: str, worked: bool, sentence: str, projects: list[Project]
    ) -> None:
        self.test_button.state(["!disabled"])
        if account != self.current:  # the answer is for an account no longer shown
            if projects and account in self.accounts:
                self.project_lists[account] = projects
            return
        self._show_test_result(worked, sentence)
        if projects:
            self._show_projects(projects)

    def _show_test_result(self, worked: bool, sentence: str) -> None:
        self.test_result.configure(text=sentence, style=OK_STYLE if worked else ERROR_STYLE)
        self.test_result.grid()
        self._after_messages_changed(self.test_result)

    # --- Save / Cancel ------------------------------------------------------------------------

    def read_form(self) -> FormInput:
        if self.current in self.project_lists:
            watched = tuple(pid for pid, var in self.project_vars.items() if var.get())
        else:  # the key's projects are not read yet: none could be ticked or unticked
            watched = self.watched_at_start
        return FormInput(
            key_text=self.key_var.get(),
            entries={name: var.get() for name, var in self.entry_vars.items()},
            checks={name: var.get() for name, var in self.check_vars.items()},
            watch_all=self.watch_all.get(),
            watched=watched,
            start_at_login=self.start_at_login.get() if self.start_at_login else None,
        )

    def _clear_messages(self) -> None:
        for label in self.error_labels.values():
            label.configure(text="")
            if label is not self.footer_message:
                label.grid_remove()

    def save(self) -> None:
        self._clear_messages()
        if self.load_error is not None:
            self._show_errors({KEY_FIELD: self.load_error.message})
            return
        self._keep_draft()
        to_save = self._to_save()
        if not to_save:  # opened on a named account and nothing changed: nothing to write
            self.root.destroy()
            return
        top: SavePlan | None = None
        named: list[AccountPlan] = []
        new_keys: list[tuple[str, str]] = []
        for name in to_save:
            plan = self._plan(name)
            if isinstance(plan, FieldErrors):
                self._show_account_errors(name, plan.by_field)
                return
            if isinstance(plan, SavePlan):
                top = plan
            else:
                named.append(plan)
            if plan.new_key is not None:
                new_keys.append((plan.new_key, name))
        # The keys first: the keyring is what most often refuses, and then nothing is written.
        for key, name in new_keys:
            try:
                store_api_key(key, account=name)
            except DeepgramTrayError as exc:
                field = KEY_FIELD if isinstance(exc, KeyringUnavailableError) else SAVE_PROBLEM
                self._show_account_errors(name, {field: exc.message})
                return
        try:
            self._write(top, named)
        except DeepgramTrayError as exc:
            self._show_errors({SAVE_PROBLEM: exc.message})
            return
        log.info("Settings saved%s", f" with {len(new_keys)} new key(s)" if new_keys else "")
        self.saved = True
        self.root.destroy()

    def _to_save(self) -> list[str]:
        """The accounts Save writes, the default (top level) first: each one added or changed
        here. With none, the default account alone, as Save did before there were accounts; an
        untouched default is otherwise left as the file has it."""
        changed = [name for name in self.accounts if name in self.added or self._changed(name)]
        if changed or DEFAULT_ACCOUNT not in self.first_shown:
            return changed
        return [DEFAULT_ACCOUNT]

    def _changed(self, name: str) -> bool:
        if name not in self.drafts or name not in self.first_shown:
            return False  # never shown
        now, first = self.drafts[name], self.first_shown[name]
        # Ticked projects come in the list's order, the file's in its own: the same ones.
        return now.label != first.label or replace(
            now.form, watched=tuple(sorted(now.form.watched))
        ) != replace(first.form, watched=tuple(sorted(first.form.watched)))

    def _plan(self, name: str) -> SavePlan | AccountPlan | FieldErrors:
        draft = self.drafts[name]
        has_key = self.keys.get(name) is not None
        usable = self.keyring_problem is None
        if name == DEFAULT_ACCOUNT:
            return plan_save(
                draft.form, self.accounts[name].settings, has_key=has_key, keyring_usable=usable
            )
        return plan_account_save(
            draft.form,
            self.accounts[name],
            self.own_tables.get(name, {}),
            draft.label,
            has_key=has_key,
            keyring_usable=usable,
        )

    def _show_account_errors(self, name: str, by_field: dict[str, str]) -> None:
        """Errors of an account not shown: show it (with what was typed there), then them."""
        if name != self.current:
            self._choose(name)
        self._show_errors(by_field)

    def _show_errors(self, by_field: dict[str, str]) -> None:
        for name, message in by_field.items():
            self.error_labels[name].configure(text=message)
            self.error_labels[name].grid()
        first = next((self.error_labels[name] for name in by_field), None)
        if first is not None:
            self._after_messages_changed(first)

    def _after_messages_changed(self, shown: tk.Misc) -> None:
        """Grow the window for new messages while the screen has room, then bring `shown`
        into view: past that, the body scrolls and the buttons stay put."""
        self.fit_to_screen()
        self.body.see(shown)

    def _write(self, top: SavePlan | None, named: list[AccountPlan]) -> None:
        """The config file (every account's settings at once), then start at login."""
        path = config_path()
        top_updates = top.config_updates if top is not None else None
        try:
            rewrite_config(path, lambda table: apply_plans(table, top_updates, named))
        except OSError as exc:
            raise _cannot_write(path, exc) from exc
        wanted = top.start_at_login if top is not None else None
        if wanted is not None and wanted != self.started_at_login:
            try:
                autostart.set_enabled(wanted)
            except OSError as exc:
                raise ConfigError(f"Could not change start at login ({os_reason(exc)}).") from exc

    def cancel(self) -> None:
        self.root.destroy()


def _cannot_write(path: Path, exc: OSError) -> ConfigError:
    return ConfigError(
        f"Cannot write {path} ({os_reason(exc)}): check that its folder exists and you may "
        "write to it."
    )


def run_window(account: str = DEFAULT_ACCOUNT) -> bool:
    """Show the window, on `account`, until Save or Cancel; True when something was saved."""
    root = new_root()
    window = SettingsWindow(root, account)
    window.fit_to_screen()
    root.minsize(360, 200)
    root.mainloop()
    return window.saved
