"""The settings window's widgets (Tk): the sections and rows, the footer, and fitting the window
to the screen. What they show and what their buttons do is the window's (settings_window.py):
this module lays out, fills in and reads back.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Iterable
from tkinter import ttk
from typing import NamedTuple

from trayapp.config import Settings
from trayapp.deepgram.models import Project
from trayapp.setting_fields import CheckBox, NumberEntry, ProjectPicker
from trayapp.tk.account_list import LABEL_FIELD, NewAccount
from trayapp.tk.account_row import AccountRows
from trayapp.tk.look import (
    ERROR_STYLE,
    HINT_STYLE,
    INFO_STYLE,
    OK_STYLE,
    set_window_icon,
    use_platform_theme,
)
from trayapp.tk.scrolled_body import ScrolledBody, fitting_height
from trayapp.tk.settings_form import KEY_FIELD, FormInput, Said, Tone, initial_input, rows_top_first
from trayapp.tk.settings_save import SAVE_PROBLEM

TITLE = "Deepgram Balance settings"
WRAP = "4.4i"
"""How wide messages run before they wrap (a screen distance: it grows with the font's scaling)."""
LABEL_GAP = 12
"""Pixels between a label and its field."""
FIRST_PLACEMENT_ALLOWANCE = 40
"""Pixels a window manager may put above a new window (its title bar) before we know where."""
STYLE_OF: dict[Tone, str] = {"error": ERROR_STYLE, "info": INFO_STYLE, "hint": HINT_STYLE}


class AccountCallbacks(NamedTuple):
    """What the Account row tells the window (see AccountRows)."""

    taken: Callable[[], Iterable[str]]
    on_choose: Callable[[str], None]
    on_add: Callable[[NewAccount], None]
    on_remove: Callable[[str], None]


class SettingsLayout:
    """A body that scrolls if the screen is short, above a footer that never does: Save and
    Cancel stay on screen however many messages the body shows.

    `settings` fills the rows until the window shows an account; `started_at_login` is None
    where start at login is not offered (then its box is not shown)."""

    def __init__(
        self,
        root: tk.Tk,
        settings: Settings,
        *,
        accounts: AccountCallbacks,
        can_change_accounts: bool,
        started_at_login: bool | None,
        on_test_key: Callable[[], None],
        on_save: Callable[[], None],
        on_cancel: Callable[[], None],
    ) -> None:
        self.root = root
        self.error_labels: dict[str, ttk.Label] = {}
        self.entry_vars: dict[str, tk.StringVar] = {}
        self.check_vars: dict[str, tk.BooleanVar] = {}
        self.row_widgets: dict[str, list[ttk.Widget]] = {}
        """The widgets of each setting's row, to show only the chosen account's settings."""
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
        # Each section lays itself out from grid row `row` on and returns the next free row.
        row = self._notice_section(frame, 0)
        self.account_rows = AccountRows(
            frame,
            row,
            taken=accounts.taken,
            on_choose=accounts.on_choose,
            on_add=accounts.on_add,
            on_remove=accounts.on_remove,
            can_change=can_change_accounts,
        )
        self.error_labels[LABEL_FIELD] = self.account_rows.label_error
        row = self._key_section(frame, self.account_rows.next_row, on_test_key)
        row = self._settings_section(frame, row, settings)
        self._start_at_login_section(frame, row, started_at_login)
        ttk.Separator(root, orient="horizontal").grid(row=1, column=0, sticky="we")
        self._footer(root, on_save, on_cancel).grid(row=2, column=0, sticky="we")
        root.bind("<Return>", lambda _event: on_save())
        root.bind("<KP_Enter>", lambda _event: on_save())
        root.bind("<Escape>", lambda _event: on_cancel())
        root.protocol("WM_DELETE_WINDOW", on_cancel)
        # Tabbing to a field below the fold brings it into view.
        root.bind("<FocusIn>", lambda event: self.body.see(event.widget), add="+")
        # Whatever grows the body (messages, the project list) grows the window while the
        # screen has room; past that the body scrolls.
        self._fit_pending = False
        self.body.inner.bind("<Configure>", lambda _event: self._fit_soon(), add="+")

    # --- fitting the screen -----------------------------------------------------------------

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

    def after_messages_changed(self, shown: tk.Misc) -> None:
        """Grow the window for new messages while the screen has room, then bring `shown`
        into view: past that, the body scrolls and the buttons stay put."""
        self.fit_to_screen()
        self.body.see(shown)

    # --- sections ---------------------------------------------------------------------------

    def _notice_section(self, frame: ttk.Frame, row: int) -> int:
        self.notice = ttk.Label(frame, text="", wraplength=WRAP)
        self.notice.grid(row=row, column=0, columnspan=3, sticky="w", pady=(0, 10))
        self.notice.grid_remove()  # shown when there is something to say (see show_notice)
        return row + 1

    def _key_section(self, frame: ttk.Frame, row: int, on_test_key: Callable[[], None]) -> int:
        ttk.Label(frame, text="API key").grid(row=row, column=0, sticky="w", padx=(0, LABEL_GAP))
        self.key_var = tk.StringVar()
        self.key_entry = ttk.Entry(frame, textvariable=self.key_var, show="•", width=42)
        self.key_entry.grid(row=row, column=1, sticky="we")
        self.show_key = tk.BooleanVar(value=False)
        self.show_key_box = ttk.Checkbutton(
            frame, text="Show", variable=self.show_key, command=self._toggle_key, takefocus=False
        )
        self.show_key_box.grid(row=row, column=2, padx=(6, 0))
        self.test_button = ttk.Button(frame, text="Test key", command=on_test_key)
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

    def _toggle_key(self) -> None:
        self.key_entry.configure(show="" if self.show_key.get() else "•")

    def _settings_section(self, frame: ttk.Frame, row: int, settings: Settings) -> int:
        """One row per setting the window shows, in the order and kind the settings table says."""
        form = initial_input(settings)
        for name, shown in rows_top_first():
            if isinstance(shown, ProjectPicker):
                self.projects = ProjectChoices(frame, row, shown, watch_all=not settings.projects)
                self.row_widgets[name] = self.projects.widgets
                self._error_label(frame, name, row + 1)
                row += 2
            elif isinstance(shown, NumberEntry):
                row = self._number_row(frame, row, name, shown, form.entries[name])
            else:
                row = self._check_row(frame, row, name, shown, form.checks[name])
        return row

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

    def _start_at_login_section(self, frame: ttk.Frame, row: int, started: bool | None) -> int:
        self.start_at_login: tk.BooleanVar | None = None
        self.start_at_login_box: ttk.Checkbutton | None = None
        if started is None:
            return row
        self.start_at_login = tk.BooleanVar(value=started)
        self.start_at_login_box = ttk.Checkbutton(
            frame, text="Start at login", variable=self.start_at_login
        )
        self.start_at_login_box.grid(row=row, column=1, columnspan=2, sticky="w", pady=(4, 0))
        return row + 1

    def _footer(
        self, root: tk.Tk, on_save: Callable[[], None], on_cancel: Callable[[], None]
    ) -> ttk.Frame:
        """Save and Cancel, with problems of saving itself (the config file, start at login)
        beside them: they belong to no field."""
        footer = ttk.Frame(root, padding=(16, 8, 16, 12))
        footer.columnconfigure(0, weight=1)
        label = ttk.Label(footer, text="", style=ERROR_STYLE, wraplength=WRAP)
        label.grid(row=0, column=0, sticky="w", padx=(0, 12))
        self.error_labels[SAVE_PROBLEM] = label
        self.footer_message = label
        ttk.Button(footer, text="Cancel", command=on_cancel).grid(row=0, column=1, padx=(0, 8))
        self.save_button = ttk.Button(footer, text="Save", command=on_save, default="active")
        self.save_button.grid(row=0, column=2)
        self.footer = footer
        return footer

    def _error_label(self, parent: ttk.Frame, name: str, row: int) -> None:
        label = ttk.Label(parent, text="", style=ERROR_STYLE, wraplength=WRAP)
        label.grid(row=row, column=1, columnspan=2, sticky="w")
        label.grid_remove()  # an empty line would still take a line's height: shown when said
        self.error_labels[name] = label

    # --- filling in and reading back --------------------------------------------------------

    def fill(self, form: FormInput, projects: list[Project]) -> None:
        """The fields as `form` has them (`projects`: the key's, as far as read)."""
        self.key_var.set(form.key_text)
        for setting, entry_var in self.entry_vars.items():
            entry_var.set(form.entries[setting])
        for setting, check_var in self.check_vars.items():
            check_var.set(form.checks[setting])
        self.projects.reset(form.watch_all, form.watched, projects)

    def read_form(self, *, projects_read: bool) -> FormInput:
        """The fields as they are now (`projects_read`: whether the key's projects were read)."""
        return FormInput(
            key_text=self.key_var.get(),
            entries={name: var.get() for name, var in self.entry_vars.items()},
            checks={name: var.get() for name, var in self.check_vars.items()},
            watch_all=self.projects.watch_all.get(),
            watched=self.projects.watched(listed=projects_read),
            start_at_login=self.start_at_login.get() if self.start_at_login else None,
        )

    def show_rows(self, shown: set[str], *, start_at_login: bool) -> None:
        """Only the rows of the settings `shown` (the chosen account's), and start at login's
        box when `start_at_login`."""
        for setting, widgets in self.row_widgets.items():
            for widget in widgets:
                if setting in shown:
                    widget.grid()
                else:
                    widget.grid_remove()
        if self.start_at_login_box is not None:
            if start_at_login:
                self.start_at_login_box.grid()
            else:
                self.start_at_login_box.grid_remove()

    def show_notice(self, said: Said | None) -> None:
        if said is None:
            self.notice.grid_remove()
        else:
            self.notice.configure(text=said.text, style=STYLE_OF[said.tone])
            self.notice.grid()

    def show_key_state(self, said: Said, *, usable: bool) -> None:
        """The hint under the key field; a key field nothing typed in could be kept in says so
        by looking disabled, with what acts on it."""
        self.key_hint.configure(text=said.text, style=STYLE_OF[said.tone])
        for widget in (self.key_entry, self.show_key_box, self.test_button):
            widget.state(["!disabled"] if usable else ["disabled"])

    def show_testing(self) -> None:
        self.test_button.state(["disabled"])
        self.test_result.configure(text="Testing…", style="TLabel")
        self.test_result.grid()

    def show_test_result(self, worked: bool, sentence: str) -> None:
        self.test_result.configure(text=sentence, style=OK_STYLE if worked else ERROR_STYLE)
        self.test_result.grid()
        self.after_messages_changed(self.test_result)

    def hide_test_result(self) -> None:
        self.test_result.grid_remove()

    def clear_messages(self) -> None:
        """No errors shown (the footer's line keeps its place: it only empties)."""
        for label in self.error_labels.values():
            label.configure(text="")
            if label is not self.footer_message:
                label.grid_remove()

    def show_errors(self, by_field: dict[str, str]) -> None:
        for name, message in by_field.items():
            self.error_labels[name].configure(text=message)
            self.error_labels[name].grid()
        first = next((self.error_labels[name] for name in by_field), None)
        if first is not None:
            self.after_messages_changed(first)


class ProjectChoices:
    """The projects row: Watch all projects, then a box per project the key sees (greyed while
    all are watched), above a line saying how reading the list goes."""

    def __init__(self, frame: ttk.Frame, row: int, shown: ProjectPicker, watch_all: bool) -> None:
        caption = ttk.Label(frame, text=shown.label)
        caption.grid(row=row, column=0, sticky="nw", padx=(0, LABEL_GAP))
        self.watch_all = tk.BooleanVar(value=watch_all)
        self.frame = ttk.Frame(frame)
        self.frame.grid(row=row, column=1, columnspan=2, sticky="w")
        ttk.Checkbutton(
            self.frame,
            text="Watch all projects",
            variable=self.watch_all,
            command=self._render,
        ).grid(row=0, column=0, sticky="w")
        self.status = ttk.Label(self.frame, text="", wraplength=WRAP)
        self.status.grid(row=1, column=0, sticky="w")
        self.status.grid_remove()
        self.widgets: list[ttk.Widget] = [caption, self.frame]
        self._projects: list[Project] = []
        self._vars: dict[str, tk.BooleanVar] = {}
        self._watched_at_start: tuple[str, ...] = ()

    def reset(self, watch_all: bool, watched: tuple[str, ...], projects: list[Project]) -> None:
        """Another account's choices: `projects` as far as read, the ids in `watched` ticked."""
        self.watch_all.set(watch_all)
        self._watched_at_start = watched
        self._vars = {}
        self._projects = projects
        self.say("")
        self._render()

    def show(self, projects: list[Project]) -> None:
        """The projects the key sees, now read."""
        self._projects = projects
        self.say("" if projects else "This key sees no projects.")
        self._render()

    def say(self, text: str) -> None:
        self.status.configure(text=text)
        if text:
            self.status.grid()
        else:
            self.status.grid_remove()

    def watched(self, *, listed: bool) -> tuple[str, ...]:
        """The ids ticked; before the key's projects are `listed`, none could be ticked or
        unticked: those watched at the start."""
        if not listed:
            return self._watched_at_start
        return tuple(pid for pid, var in self._vars.items() if var.get())

    def _render(self) -> None:
        for child in self.frame.winfo_children()[2:]:
            child.destroy()
        watching_all = self.watch_all.get()
        for index, project in enumerate(self._projects):
            var = self._vars.setdefault(
                project.project_id,
                tk.BooleanVar(value=project.project_id in self._watched_at_start),
            )
            box = ttk.Checkbutton(self.frame, text=project.name, variable=var)
            box.grid(row=index + 2, column=0, sticky="w", padx=(18, 0))
            if watching_all:
                box.state(["disabled"])
