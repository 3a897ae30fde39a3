"""The settings window (Tk), run as its own process: `deepgram-tray settings`.

Its own process, because macOS allows one main-thread UI loop per process and the tray owns that
one. Network calls (Test key, the project list) run on worker threads and hand their results back
through a queue that Tk polls: Tk itself is only ever touched from its own thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import TypeVar

from trayapp.config import Settings, load_settings, update_config
from trayapp.credentials import API_KEY_ENV, ApiKey, find_api_key, store_api_key
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
from trayapp.tk.look import (
    ERROR_COLOUR,
    OK_COLOUR,
    new_root,
    set_window_icon,
    use_platform_theme,
)
from trayapp.tk.settings_form import (
    KEY_FIELD,
    FieldErrors,
    FormInput,
    SavePlan,
    initial_input,
    plan_save,
    rows_top_first,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

TITLE = "Deepgram Balance settings"
SAVE_PROBLEM = "save"


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


class SettingsWindow:
    def __init__(self, root: tk.Tk) -> None:
        self.root = root
        self.results: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self.saved = False
        self.load_error: DeepgramTrayError | None = None
        try:
            self.settings = load_settings()
        except DeepgramTrayError as exc:
            self.settings, self.load_error = Settings(), exc
        self.key: ApiKey | None = None
        self.keyring_problem: KeyringUnavailableError | None = None
        try:
            self.key = find_api_key()
        except KeyringUnavailableError as exc:
            self.keyring_problem = exc
        self.projects: list[Project] = []
        self.project_vars: dict[str, tk.BooleanVar] = {}
        self.error_labels: dict[str, ttk.Label] = {}
        self.entry_vars: dict[str, tk.StringVar] = {}
        self.check_vars: dict[str, tk.BooleanVar] = {}
        self._build()
        self._poll_results()
        if self.key is not None:
            self._fetch_projects(self.key.value)

    # --- layout ---------------------------------------------------------------------------------

    def _build(self) -> None:
        root = self.root
        root.title(TITLE)
        self._icons = set_window_icon(root)  # kept: Tk forgets images nobody references
        use_platform_theme(root)
        frame = ttk.Frame(root, padding=16)
        frame.grid(sticky="nsew")
        root.columnconfigure(0, weight=1)
        row = 0
        for section in (
            self._notice_section,
            self._key_section,
            self._settings_section,
            self._start_at_login_section,
            self._buttons_section,
        ):
            row = section(frame, row)
        self._bind_keys()

    # Each section lays itself out from grid row `row` on and returns the next free row.

    def _notice_section(self, frame: ttk.Frame, row: int) -> int:
        notice = self._notice_text()
        if not notice:
            return row
        ttk.Label(frame, text=notice, wraplength=460, foreground=ERROR_COLOUR).grid(
            row=row, column=0, columnspan=3, sticky="w", pady=(0, 10)
        )
        return row + 1

    def _key_section(self, frame: ttk.Frame, row: int) -> int:
        ttk.Label(frame, text="API key").grid(row=row, column=0, sticky="w")
        self.key_var = tk.StringVar()
        self.key_entry = ttk.Entry(frame, textvariable=self.key_var, show="•", width=42)
        self.key_entry.grid(row=row, column=1, sticky="we")
        if self.keyring_problem is not None and not self.key:
            self.key_entry.state(["disabled"])
        self.key_entry.focus_set()
        self.show_key = tk.BooleanVar(value=False)
        ttk.Checkbutton(
            frame, text="Show", variable=self.show_key, command=self._toggle_key, takefocus=False
        ).grid(row=row, column=2, padx=(6, 0))
        row += 1
        if self.key is None:
            current = "No key is stored yet."
        else:
            where = "environment" if self.key.source == "env" else "keyring"
            current = f"Current key: {self.key.masked} ({where})."
        hint = " Type a new one to replace it." if self.key else " Paste yours above."
        ttk.Label(frame, text=current + hint).grid(row=row, column=1, columnspan=2, sticky="w")
        row += 1
        self._error_label(frame, KEY_FIELD, row)
        row += 1
        self.test_button = ttk.Button(frame, text="Test key", command=self._test_key)
        self.test_button.grid(row=row, column=1, sticky="w", pady=(2, 0))
        row += 1
        self.test_result = ttk.Label(frame, text="", wraplength=420)
        self.test_result.grid(row=row, column=1, columnspan=2, sticky="w", pady=(2, 8))
        return row + 1

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
        ttk.Label(frame, text=shown.label).grid(row=row, column=0, sticky="nw")
        self.watch_all = tk.BooleanVar(value=not self.settings.projects)
        self.projects_frame = ttk.Frame(frame)
        self.projects_frame.grid(row=row, column=1, columnspan=2, sticky="w")
        ttk.Checkbutton(
            self.projects_frame,
            text="Watch all projects",
            variable=self.watch_all,
            command=self._render_projects,
        ).grid(row=0, column=0, sticky="w")
        self.projects_status = ttk.Label(self.projects_frame, text="")
        self.projects_status.grid(row=1, column=0, sticky="w")
        self._render_projects()
        self._error_label(frame, name, row + 1)
        return row + 2

    def _number_row(
        self, frame: ttk.Frame, row: int, name: str, shown: NumberEntry, text: str
    ) -> int:
        ttk.Label(frame, text=shown.label).grid(row=row, column=0, sticky="w", pady=(6, 0))
        var = tk.StringVar(value=text)
        ttk.Entry(frame, textvariable=var, width=12).grid(
            row=row, column=1, sticky="w", pady=(6, 0)
        )
        ttk.Label(frame, text=shown.unit).grid(row=row, column=2, sticky="w", pady=(6, 0))
        self.entry_vars[name] = var
        self._error_label(frame, name, row + 1)
        return row + 2

    def _check_row(
        self, frame: ttk.Frame, row: int, name: str, shown: CheckBox, ticked: bool
    ) -> int:
        var = tk.BooleanVar(value=ticked)
        ttk.Checkbutton(frame, text=shown.text, variable=var).grid(
            row=row, column=1, columnspan=2, sticky="w", pady=(8, 0)
        )
        self.check_vars[name] = var
        return row + 1

    def _start_at_login_section(self, frame: ttk.Frame, row: int) -> int:
        self.start_at_login: tk.BooleanVar | None = None
        self.started_at_login = autostart.state()
        if self.started_at_login is None:
            return row
        self.start_at_login = tk.BooleanVar(value=self.started_at_login)
        ttk.Checkbutton(frame, text="Start at login", variable=self.start_at_login).grid(
            row=row, column=1, columnspan=2, sticky="w", pady=(4, 0)
        )
        return row + 1

    def _buttons_section(self, frame: ttk.Frame, row: int) -> int:
        buttons = ttk.Frame(frame)
        buttons.grid(row=row, column=0, columnspan=3, sticky="e", pady=(16, 0))
        ttk.Button(buttons, text="Cancel", command=self.cancel).grid(row=0, column=0, padx=(0, 8))
        self.save_button = ttk.Button(buttons, text="Save", command=self.save, default="active")
        self.save_button.grid(row=0, column=1)
        # Problems with saving itself (the config file, start at login) belong to no field.
        self._error_label(frame, SAVE_PROBLEM, row + 1)
        return row + 2

    def _bind_keys(self) -> None:
        root = self.root
        root.bind("<Return>", lambda _event: self.save())
        root.bind("<KP_Enter>", lambda _event: self.save())
        root.bind("<Escape>", lambda _event: self.cancel())
        root.protocol("WM_DELETE_WINDOW", self.cancel)

    def _notice_text(self) -> str:
        if self.keyring_problem is not None:
            return f"{self.keyring_problem.message} Keys are never stored in a plain file."
        if self.load_error is not None:
            return f"{self.load_error.message} Saving will not touch the file until it is fixed."
        if self.key is not None and self.key.source == "env":
            return f"{API_KEY_ENV} is set, so it is used instead of any key stored here."
        return ""

    def _error_label(self, parent: ttk.Frame, name: str, row: int) -> None:
        label = ttk.Label(parent, text="", foreground=ERROR_COLOUR, wraplength=420)
        label.grid(row=row, column=1, columnspan=2, sticky="w")
        self.error_labels[name] = label

    def _toggle_key(self) -> None:
        self.key_entry.configure(show="" if self.show_key.get() else "•")

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
                tk.BooleanVar(value=project.project_id in self.settings.projects),
            )
            box = ttk.Checkbutton(self.projects_frame, text=project.name, variable=var)
            box.grid(row=index + 2, column=0, sticky="w", padx=(18, 0))
            if watching_all:
                box.state(["disabled"])

    def _fetch_projects(self, key: str) -> None:
        self.projects_status.configure(text="Loading projects…")

        def fetch() -> list[Project] | DeepgramTrayError:
            from trayapp.deepgram.client import DeepgramClient

            try:
                with DeepgramClient(self.settings.api_url, key) as client:
                    return client.list_projects()
            except DeepgramTrayError as exc:
                return exc

        self._in_background("projects", fetch, self._projects_arrived)

    def _projects_arrived(self, result: list[Project] | DeepgramTrayError) -> None:
        if isinstance(result, DeepgramTrayError):
            self.projects_status.configure(text=result.message)
        else:
            self._show_projects(result)

    def _show_projects(self, projects: list[Project]) -> None:
        self.projects = projects
        self.projects_status.configure(text="" if projects else "This key sees no projects.")
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
        self.test_result.configure(text="Testing…", foreground="")

        def check() -> tuple[bool, str, list[Project]]:
            from trayapp.credentials import clean_key_text
            from trayapp.deepgram.client import DeepgramClient
            from trayapp.deepgram.key_check import check_key

            error: DeepgramTrayError | None = None
            summary: str | None = None
            projects: list[Project] = []
            try:
                with DeepgramClient(self.settings.api_url, clean_key_text(key)) as client:
                    check = check_key(client)
                projects = check.projects
                summary = check.summary()
                error = check.refusal
            except DeepgramTrayError as exc:
                error = exc
            worked, sentence = describe_key_check(error, summary)
            return worked, sentence, projects

        self._in_background("test-key", check, lambda outcome: self._finish_test(*outcome))

    def _finish_test(self, worked: bool, sentence: str, projects: list[Project]) -> None:
        self.test_button.state(["!disabled"])
        self._show_test_result(worked, sentence)
        if projects:
            self._show_projects(projects)

    def _show_test_result(self, worked: bool, sentence: str) -> None:
        self.test_result.configure(text=sentence, foreground=OK_COLOUR if worked else ERROR_COLOUR)

    # --- Save / Cancel ------------------------------------------------------------------------

    def read_form(self) -> FormInput:
        return FormInput(
            key_text=self.key_var.get(),
            entries={name: var.get() for name, var in self.entry_vars.items()},
            checks={name: var.get() for name, var in self.check_vars.items()},
            watch_all=self.watch_all.get(),
            watched=tuple(pid for pid, var in self.project_vars.items() if var.get()),
            start_at_login=self.start_at_login.get() if self.start_at_login else None,
        )

    def save(self) -> None:
        for label in self.error_labels.values():
            label.configure(text="")
        if self.load_error is not None:
            self.error_labels[KEY_FIELD].configure(text=self.load_error.message)
            return
        plan = plan_save(
            self.read_form(),
            self.settings,
            has_key=self.key is not None,
            keyring_usable=self.keyring_problem is None,
        )
        if isinstance(plan, FieldErrors):
            for name, message in plan.by_field.items():
                self.error_labels[name].configure(text=message)
            return
        try:
            self._write(plan)
        except DeepgramTrayError as exc:
            field = KEY_FIELD if isinstance(exc, KeyringUnavailableError) else SAVE_PROBLEM
            self.error_labels[field].configure(text=exc.message)
            return
        self.saved = True
        self.root.destroy()

    def _write(self, plan: SavePlan) -> None:
        # The key first: the keyring is what most often refuses, and then nothing is written.
        if plan.new_key is not None:
            store_api_key(plan.new_key)
        path = config_path()
        try:
            update_config(path, plan.config_updates)
        except OSError as exc:
            raise ConfigError(
                f"Cannot write {path} ({os_reason(exc)}): check that its "
                "folder exists and you may write to it."
            ) from exc
        if plan.start_at_login is not None and plan.start_at_login != self.started_at_login:
            try:
                autostart.set_enabled(plan.start_at_login)
            except OSError as exc:
                raise ConfigError(f"Could not change start at login ({os_reason(exc)}).") from exc
        log.info("Settings saved%s", " with a new key" if plan.new_key else "")

    def cancel(self) -> None:
        self.root.destroy()


def run_window() -> bool:
    """Show the window until Save or Cancel; True when something was saved."""
    root = new_root()
    window = SettingsWindow(root)
    root.minsize(480, 0)
    root.mainloop()
    return window.saved
