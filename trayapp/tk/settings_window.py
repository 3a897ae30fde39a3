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
from trayapp.credentials import ApiKey, find_api_key, store_api_key
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
        load_error = self.load_error.message if self.load_error is not None else None
        said = notice(self.key, load_error)
        if said is None:
            return row
        self._said_label(frame, said).grid(
            row=row, column=0, columnspan=3, sticky="w", pady=(0, 10)
        )
        return row + 1

    def _said_label(self, parent: tk.Misc, said: Said) -> ttk.Label:
        return ttk.Label(parent, text=said.text, wraplength=WRAP, style=STYLE_OF[said.tone])

    def _key_section(self, frame: ttk.Frame, row: int) -> int:
        ttk.Label(frame, text="API key").grid(row=row, column=0, sticky="w", padx=(0, LABEL_GAP))
        self.key_var = tk.StringVar()
        self.key_entry = ttk.Entry(frame, textvariable=self.key_var, show="•", width=42)
        self.key_entry.grid(row=row, column=1, sticky="we")
        self.show_key = tk.BooleanVar(value=False)
        show = ttk.Checkbutton(
            frame, text="Show", variable=self.show_key, command=self._toggle_key, takefocus=False
        )
        show.grid(row=row, column=2, padx=(6, 0))
        self.test_button = ttk.Button(frame, text="Test key", command=self._test_key)
        problem = self.keyring_problem.message if self.keyring_problem is not None else None
        if problem is not None and self.key is None:
            # Nothing typed here could be kept: the field, and what acts on it, say so by
            # looking disabled, and the hint below says why and what to do.
            for widget in (self.key_entry, show, self.test_button):
                widget.state(["disabled"])
        else:
            self.key_entry.focus_set()
        row += 1
        self.key_hint = self._said_label(frame, key_hint(self.key, problem))
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
        ttk.Label(frame, text=shown.label).grid(row=row, column=0, sticky="nw", padx=(0, LABEL_GAP))
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
        self._render_projects()
        self._error_label(frame, name, row + 1)
        return row + 2

    def _number_row(
        self, frame: ttk.Frame, row: int, name: str, shown: NumberEntry, text: str
    ) -> int:
        ttk.Label(frame, text=shown.label).grid(
            row=row, column=0, sticky="w", pady=(6, 0), padx=(0, LABEL_GAP)
        )
        var = tk.StringVar(value=text)
        # The entry and its unit share the field column, so a long unit never widens the label
        # column or pushes the entry about.
        line = ttk.Frame(frame)
        line.grid(row=row, column=1, columnspan=2, sticky="w", pady=(6, 0))
        ttk.Entry(line, textvariable=var, width=12).pack(side="left")
        ttk.Label(line, text=shown.unit).pack(side="left", padx=(6, 0))
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

    def _projects_say(self, text: str) -> None:
        self.projects_status.configure(text=text)
        if text:
            self.projects_status.grid()
        else:
            self.projects_status.grid_remove()

    def _fetch_projects(self, key: str) -> None:
        self._projects_say("Loading projects…")

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
            self._projects_say(result.message)
        else:
            self._show_projects(result)

    def _show_projects(self, projects: list[Project]) -> None:
        self.projects = projects
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
        self.test_result.configure(text=sentence, style=OK_STYLE if worked else ERROR_STYLE)
        self.test_result.grid()
        self._after_messages_changed(self.test_result)

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
            if label is not self.footer_message:
                label.grid_remove()
        if self.load_error is not None:
            self._show_errors({KEY_FIELD: self.load_error.message})
            return
        plan = plan_save(
            self.read_form(),
            self.settings,
            has_key=self.key is not None,
            keyring_usable=self.keyring_problem is None,
        )
        if isinstance(plan, FieldErrors):
            self._show_errors(plan.by_field)
            return
        try:
            self._write(plan)
        except DeepgramTrayError as exc:
            field = KEY_FIELD if isinstance(exc, KeyringUnavailableError) else SAVE_PROBLEM
            self._show_errors({field: exc.message})
            return
        self.saved = True
        self.root.destroy()

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
    window.fit_to_screen()
    root.minsize(360, 200)
    root.mainloop()
    return window.saved
